// Runs beside each other: one writer at a time per raw zone and warehouse, readers read-only,
// and nothing of a live run is cleaned away by another. Real `mdp` processes, a pinned clock.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import fc from "fast-check"
import { afterAll, assert, describe, it } from "vitest"
import { lockFileFor } from "../app/writer-lock.ts"
import { makeLocalRawZone } from "../ingestion/raw-zone.ts"
import { nodeFileSystem } from "./support/local-layers.ts"
import { onlyPlatformsSettings } from "./support/platform-subset.ts"
import { onWarehouse } from "./support/warehouse-file.ts"

const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")
const work = mkdtempSync(path.join(os.tmpdir(), "mdp-safety-"))
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  rmSync(work, { recursive: true, force: true })
})

const NOW = "2031-02-28"
const WINDOW = ["--from", "2031-02-01", "--to", "2031-02-10"]

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [mdp, ...args], { cwd: work, env: { ...process.env, MDP_NOW: NOW } })
  children.push(child)
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const finished = new Promise<Finished>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })))
  return { child, finished, output: () => stdout + stderr }
}

const run = (args: ReadonlyArray<string>) => start(args).finished

const settingsIn = (name: string) => {
  const folder = path.join(work, name)
  mkdirSync(folder, { recursive: true })
  const file = path.join(folder, "settings.yaml")
  // Google's and Meta's sample and models only: what is checked here is the processes' safety,
  // the same whichever platforms a run holds.
  writeFileSync(file, `warehouse: ${path.join(folder, "warehouse.duckdb")}\nraw_zone: ${path.join(folder, "raw")}\n${onlyPlatformsSettings(["google_ads", "meta_ads"])}`)
  return { file, warehouse: path.join(folder, "warehouse.duckdb"), raw: path.join(folder, "raw") }
}

/** A process that stays alive until killed: the holder of a lock written by hand. */
const sleeper = () => {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"])
  children.push(child)
  return child
}

const holdLock = (resource: string, pid: number) =>
  writeFileSync(lockFileFor(resource), JSON.stringify({ pid, host: os.hostname(), command: "mdp pipeline", since: "2031-02-28T11:00:00.000Z" }))

const waitFor = async (condition: () => boolean, what: string) => {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.isTrue(condition(), `timed out waiting for ${what}`)
}

// The marts of one undisturbed pipeline over the window, computed once for the tests that compare with it.
let undisturbed: Promise<unknown> | undefined
const undisturbedTotals = () =>
  (undisturbed ??= (async () => {
    const alone = settingsIn("alone")
    const reference = await run(["pipeline", "--config", alone.file, ...WINDOW])
    assert.strictEqual(reference.code, 0, reference.stdout + reference.stderr)
    return martTotals(alone.warehouse)
  })())

const martTotals = async (warehouse: string) =>
  (
    await onWarehouse(
      warehouse,
      "select count(*)::varchar as n, sum(impressions)::varchar as impressions, round(sum(spend), 6)::varchar as spend, round(sum(conversions), 6)::varchar as conversions from marts.campaign_performance_daily"
    )
  )[0]

describe("one writer at a time", () => {
  it("a second writer fails at once with --no-wait, naming the run that holds the warehouse", async () => {
    const target = settingsIn("no-wait")
    const holder = sleeper()
    holdLock(target.warehouse, holder.pid!)
    const result = await run(["transform", "--config", target.file, "--warehouse", target.warehouse, "--no-wait"])
    assert.strictEqual(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stderr, new RegExp(`another run writes here: mdp pipeline \\(pid ${holder.pid}, since 2031-02-28T11:00:00.000Z\\)`))
    assert.match(result.stderr, /\nhint: One run writes a warehouse or raw zone at a time/)
    assert.isFalse(existsSync(target.warehouse), "nothing was opened or created")
    holder.kill("SIGKILL")
  }, 60_000)

  it("a lock left empty by a writer killed as it created it is taken over", async () => {
    const target = settingsIn("empty-lock")
    writeFileSync(lockFileFor(target.warehouse), "")
    const minuteAgo = new Date(Date.now() - 60_000)
    utimesSync(lockFileFor(target.warehouse), minuteAgo, minuteAgo)
    const result = await run(["query", "--write", "--no-wait", "--warehouse", target.warehouse, "select 1 as x"])
    assert.strictEqual(result.code, 0, result.stderr)
    assert.isFalse(existsSync(lockFileFor(target.warehouse)))
  }, 60_000)

  it("a waiting writer says for whom it waits, and goes on when the holder's process is gone", async () => {
    const target = settingsIn("wait")
    const holder = sleeper()
    holdLock(target.raw, holder.pid!)
    const ingest = start(["ingest", "--config", target.file, ...WINDOW])
    await waitFor(() => ingest.output().includes(`waiting for mdp pipeline (pid ${holder.pid}`), "the waiting line")
    assert.notInclude(ingest.output(), "Ingestion complete", "nothing was ingested while the lock was held")
    // Killed: its lock is stale, and is taken over.
    holder.kill("SIGKILL")
    const result = await ingest.finished
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /Ingestion complete[\s\S]*Loaded \d+ rows/)
    assert.isFalse(existsSync(lockFileFor(target.raw)), "the raw zone's lock is released")
    assert.isFalse(existsSync(lockFileFor(target.warehouse)), "the warehouse's lock is released")
  }, 120_000)

  it("two pipelines started together both succeed, one after the other, and leave the marts of one undisturbed run", async () => {
    const together = settingsIn("together")
    const [first, second] = await Promise.all([run(["pipeline", "--config", together.file, ...WINDOW]), run(["pipeline", "--config", together.file, ...WINDOW])])
    for (const result of [first, second]) assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.isTrue([first, second].some((result) => result.stdout.includes("waiting for mdp pipeline")), "one of them waited")
    assert.deepStrictEqual(await martTotals(together.warehouse), await undisturbedTotals())
  }, 180_000)
})

describe("readers and leftovers", () => {
  it("mdp query reads without --write and refuses to change the warehouse; --write changes it", async () => {
    const target = settingsIn("query")
    await onWarehouse(target.warehouse, "create schema marts; create table marts.campaign_performance_daily as select 1 as impressions, 2.5 as spend, 1.0 as conversions", false)
    const refused = await run(["query", "--warehouse", target.warehouse, "delete from marts.campaign_performance_daily where true"])
    assert.strictEqual(refused.code, 1)
    assert.match(refused.stderr, /^error: mdp query opens the warehouse read-only: .*read-only mode/)
    assert.match(refused.stderr, /\nhint: Add --write to change the warehouse on purpose\./)
    const before = await martTotals(target.warehouse)
    assert.notStrictEqual(before?.["n"], "0")
    const deleted = await run(["query", "--write", "--warehouse", target.warehouse, "delete from marts.campaign_performance_daily where true"])
    assert.strictEqual(deleted.code, 0, deleted.stderr)
    assert.strictEqual((await martTotals(target.warehouse))?.["n"], "0")
    const missing = await run(["query", "--warehouse", path.join(work, "nowhere", "w.duckdb"), "select 1"])
    assert.match(missing.stderr, /there is no warehouse at .*nowhere/)
    assert.isFalse(existsSync(path.join(work, "nowhere")), "a mistyped path creates nothing")
  }, 120_000)

  it("clean-up removes the unfinished files of processes that are gone, never those of a live one", async () => {
    const root = path.join(work, "leftovers")
    const live = sleeper()
    const dead = spawn(process.execPath, ["-e", "0"])
    await new Promise((resolve) => dead.on("close", resolve))
    mkdirSync(path.join(root, "source=x"), { recursive: true })
    writeFileSync(path.join(root, "source=x", `a.ndjson.incomplete-${live.pid}`), "{}\n")
    writeFileSync(path.join(root, "source=x", `b.ndjson.incomplete-${dead.pid}`), "{}\n")
    const removed = await Effect.runPromise(makeLocalRawZone(root, nodeFileSystem).removeIncomplete())
    assert.strictEqual(removed, 1)
    assert.deepStrictEqual(readdirSync(path.join(root, "source=x")), [`a.ndjson.incomplete-${live.pid}`])
    live.kill("SIGKILL")
  }, 30_000)
})

describe("interrupts (Ctrl-C, SIGTERM)", () => {
  it("stop a running DuckDB statement at once, roll it back and release the lock", async () => {
    const target = settingsIn("interrupt-query")
    await onWarehouse(target.warehouse, "create schema marts", false)
    // A statement that would run for minutes.
    const query = start(["query", "--write", "--warehouse", target.warehouse, "create table marts.slow as select count(*) as n from range(100000000000)"])
    await waitFor(() => existsSync(lockFileFor(target.warehouse)), "the query to hold the lock")
    await new Promise((resolve) => setTimeout(resolve, 500))
    const interrupted = Date.now()
    query.child.kill("SIGINT")
    const result = await query.finished
    assert.isBelow(Date.now() - interrupted, 10_000, "the statement stopped when asked")
    assert.strictEqual(result.code, 130, result.stderr)
    assert.match(result.stderr, /^error: interrupted; what this run had not finished was rolled back/m)
    assert.isFalse(existsSync(lockFileFor(target.warehouse)), "the lock is released")
    assert.deepStrictEqual(await onWarehouse(target.warehouse, "select table_name from duckdb_tables()"), [], "nothing of the statement is kept")
  }, 60_000)

  it("a pipeline interrupted between its steps leaves what a re-run completes, as an undisturbed run would", async () => {
    const interrupted = settingsIn("interrupt-pipeline")
    // Another writer holds the warehouse: the pipeline ingests, then waits to load.
    const holder = sleeper()
    holdLock(interrupted.warehouse, holder.pid!)
    const pipeline = start(["pipeline", "--config", interrupted.file, ...WINDOW])
    await waitFor(() => pipeline.output().includes(`waiting for mdp pipeline (pid ${holder.pid}`), "the pipeline to wait for the warehouse")
    pipeline.child.kill("SIGTERM")
    const result = await pipeline.finished
    assert.strictEqual(result.code, 130, result.stdout + result.stderr)
    assert.isFalse(existsSync(lockFileFor(interrupted.raw)), "its own lock is released")
    assert.isTrue(existsSync(lockFileFor(interrupted.warehouse)), "the other writer's lock is left alone")
    holder.kill("SIGKILL")
    const rerun = await run(["pipeline", "--config", interrupted.file, ...WINDOW])
    assert.strictEqual(rerun.code, 0, rerun.stdout + rerun.stderr)
    assert.deepStrictEqual(await martTotals(interrupted.warehouse), await undisturbedTotals())
  }, 120_000)
})


describe("faults injected at seeded points", () => {
  // Where a pipeline is killed: after the first output line matching `after` (its `nth` one), plus
  // a delay. One point in each writing step; the seed picks the delays, the nth action and the signals.
  const steps = [
    { step: "ingest", after: /^1\/3 Ingest/m, maxNth: 1, maxDelayMs: 250 },
    // The load of a few small files takes milliseconds: this one lands in it or just after it.
    { step: "load", after: /^Raw zone: /m, maxNth: 1, maxDelayMs: 25 },
    { step: "transform", after: /^ {2}ok [a-z_]+\.[a-z_]+ /m, maxNth: 45, maxDelayMs: 60 }
  ] as const
  const points = fc.sample(
    fc.tuple(
      ...steps.map((step) =>
        fc.record({ nth: fc.integer({ min: 1, max: step.maxNth }), delayMs: fc.integer({ min: 0, max: step.maxDelayMs }), signal: fc.constantFrom("SIGKILL" as const, "SIGINT" as const) })
      )
    ),
    { seed: 2025, numRuns: 1 }
  )[0]!

  const occurrences = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, "gm"))?.length ?? 0

  it("killed in each step in turn, a pipeline leaves what one re-run completes, as an undisturbed run would", async () => {
    const target = settingsIn("killed")
    for (const [i, step] of steps.entries()) {
      const { nth, delayMs, signal } = points[i]!
      const pipeline = start(["pipeline", "--config", target.file, ...WINDOW])
      await waitFor(() => occurrences(pipeline.output(), step.after) >= nth || pipeline.child.exitCode !== null, `${step.step} to start`)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      pipeline.child.kill(signal)
      const result = await pipeline.finished
      // Ctrl-C stops with 130 after its finalizers; a kill leaves no code. (A run can finish first.)
      assert.include([signal === "SIGINT" ? 130 : null, 0], result.code, `${step.step}, ${signal}: ${result.stderr}`)
      if (signal === "SIGINT" && result.code === 130) {
        assert.isFalse(existsSync(lockFileFor(target.raw)) || existsSync(lockFileFor(target.warehouse)), `${step.step}: Ctrl-C released the locks`)
      }
    }
    const rerun = await run(["pipeline", "--config", target.file, ...WINDOW])
    assert.strictEqual(rerun.code, 0, rerun.stdout + rerun.stderr)
    assert.deepStrictEqual(await martTotals(target.warehouse), await undisturbedTotals())
    assert.deepStrictEqual(
      readdirSync(target.raw, { recursive: true }).filter((file) => String(file).includes(".incomplete-")),
      [],
      "the killed runs' unfinished files are cleaned up"
    )
    assert.isFalse(existsSync(lockFileFor(target.raw)) || existsSync(lockFileFor(target.warehouse)), "no lock is left")

    // A damaged warehouse file: a clear error whose hint, followed, rebuilds the same marts from the raw zone.
    writeFileSync(target.warehouse, Buffer.alloc(64 * 1024, 7))
    const damaged = await run(["pipeline", "--config", target.file, ...WINDOW])
    assert.strictEqual(damaged.code, 1)
    assert.match(damaged.stderr, /not a valid DuckDB database file/)
    assert.match(damaged.stderr, /\nhint: Move the damaged warehouse file aside \(keep it for inspection\); `npm run pipeline` builds a new one from the raw zone\./)
    renameSync(target.warehouse, `${target.warehouse}.damaged`)
    const rebuilt = await run(["pipeline", "--config", target.file, ...WINDOW])
    assert.strictEqual(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr)
    assert.deepStrictEqual(await martTotals(target.warehouse), await undisturbedTotals())
  }, 180_000)
})
