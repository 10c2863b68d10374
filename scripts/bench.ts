/**
 * `npm run bench -- --rows N`: measures the platform at N rows of raw daily campaign statistics,
 * generated deterministically by the sample source, and prints (and saves under data/bench/) the
 * figures beside their targets. Every figure is measured in this run. Not a test.
 */
import { registerBuiltinFunctions } from "../runner/builtin-functions.ts"
import { hash } from "node:crypto"
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { DuckDBInstance } from "@duckdb/node-api"
import { Clock, Effect, FileSystem, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { addDays } from "../ingestion/core/dates.ts"
import { IngestProgress } from "../ingestion/progress.ts"
import { ingest } from "../ingestion/ingest.ts"
import { duckdbColumns, loadRawZone, loadReferenceRates } from "../app/load.ts"
import { rawColumns } from "../ingestion/core/platforms.ts"
import { RawZone, makeLocalRawZone } from "../ingestion/raw-zone.ts"
import { SAMPLE_DELIVERY } from "../ingestion/sources/sample/generator.ts"
import { makeSampleSources } from "../ingestion/sources/sample/source.ts"
import { compileProject } from "../runner/compile.ts"
import { executeGraph } from "../runner/execute.ts"
import { inDependencyOrder, validateGraph } from "../runner/graph.ts"
import { duckdbRelation, quoteIdentifier } from "../runner/target.ts"
import { DEFAULT_MEMORY_LIMIT, WAREHOUSE_STORAGE_VERSION, Warehouse } from "../runner/warehouse.ts"
import { LIMIT_COMPARISONS, limitMismatchQuery, limitStatements } from "./bench-limit.ts"
import { UsageError, benchMachine, machineLine, parse, repositoryRoot, runCommand, table, usableCores } from "./cli-support.ts"

const help = `Usage: npm run bench -- --rows N [--pairs P] [--startup-runs S] [--keep] [--ingestion-only] [--out DIR]

Generates N rows of sample campaign daily statistics and measures, in one run:
  1. ingestion throughput through validation into the raw zone (the time spent generating the
     sample, which stands in for the ad platforms' servers, is measured and shown apart): the
     wall rate on the cores the process may use, and the one-core figure (rows per CPU second
     of all its threads) that the target is set beside; the main thread's CPU time per row, and
     peak memory (RSS); beside it, a machine speed check (one row serialised and hashed, before
     and after) shows where in a shared machine's drift the run fell
  2. loading the raw zone into DuckDB, against DuckDB's own read of the same files (best of two
     each, or one each above 2,000,000 rows)
  3. running the whole graph, against the same translated SQL run directly in DuckDB, and against
     the limit: the four marts written by hand for DuckDB from the raw tables
     (scripts/bench-limit.ts), checked to give the marts' rows; P rounds of the three (default 3,
     or 1 above 2,000,000 rows, where a round takes six minutes and one side two), each ratio the
     median of the rounds' ratios, printed with its spread
  4. an incremental run adding one day (with the look-back), against the full refresh
  5. compiling and translating the project
  6. start-up: mdp --help, mdp query "select 1" and the default pipeline (the embedded settings,
     an empty folder each time) as new processes, S runs each (default 3): medians, spreads, and
     the pipeline's peak memory (RSS)
Results are printed and saved as JSON in data/bench/, or in --out DIR, which then also holds
the work folder (about 22 GB at 10M rows). --keep leaves the work folder, with a copy of the
warehouse as it was just before the incremental run (before-incremental.duckdb), for profiling
that run again.
--ingestion-only stops after figure 1 (about 1 minute instead of 9 at 10M rows; saved as
bench-ingestion-N-….json, for comparing ingestion changes back to back).`

const ACCOUNTS = 4
const LARGE_ROWS = 2_000_000

const seconds = (ms: number) => ms / 1000
// Each measurement as it is taken: a 10M-row run lasts about half an hour.
const progress = (text: string) => console.log(`    ${text}`)
const fmt = (n: number, digits = 2) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const value = yield* effect
    return { value, ms: performance.now() - started }
  })

// A Google Ads row as the sample source makes it: the reference workload below serialises and hashes it.
const referenceRow = {
  customer: { resourceName: "customers/1234567890", id: "1234567890", descriptiveName: "Acme Europe (Google)", currencyCode: "EUR", timeZone: "Europe/Paris" },
  campaign: { resourceName: "customers/1234567890/campaigns/20000100012", id: "20000100012", name: "Shoes | search | 13", status: "ENABLED", advertisingChannelType: "SEARCH" },
  segments: { date: "2026-01-01" },
  metrics: { impressions: "2345", clicks: "120", costMicros: "123450000", conversions: 3.5, conversionsValue: 345.67 }
}

// Written to, so that the loop's work cannot be optimised away.
let referenceSink = 0
/**
 * The time of a fixed piece of ingestion's own work (serialise a row, SHA-256 it), in µs. A shared
 * virtual machine's speed drifts (the 2-core one in docs/performance-history.md: up to 2× over minutes);
 * taken before and after ingestion, this shows where a run fell. The median of five short rounds,
 * so that one preemption does not decide it.
 */
const referenceWorkloadMicros = (): number => {
  const perRound = 20_000
  const rounds: Array<number> = []
  for (let round = 0; round < 5; round++) {
    const started = performance.now()
    for (let i = 0; i < perRound; i++) referenceSink += hash("sha256", JSON.stringify(referenceRow), "hex").length
    rounds.push(((performance.now() - started) * 1000) / perRound)
  }
  return rounds.sort((a, b) => a - b)[2]!
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
// Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM) to its current RSS, so
// one phase's peak can be read apart from the ingestion and loading before it.
const resetPeakRss = (): boolean => {
  try {
    writeFileSync("/proc/self/clear_refs", "5")
    return true
  } catch {
    return false
  }
}
/** A memory figure of this process from /proc (VmHWM: the peak RSS; VmRSS: the current one), in MB. */
const processMemoryMb = (field: "VmHWM" | "VmRSS"): number | undefined => {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))?.[1]
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024)
  } catch {
    return undefined
  }
}
const spread = (values: ReadonlyArray<number>): readonly [number, number] => [Math.min(...values), Math.max(...values)]
const spreadText = ([low, high]: readonly [number, number]) => `median; ${fmt(low)}–${fmt(high)}`

/** The limit's rows against the runner's marts (scripts/bench-limit.ts says how they are compared). */
const compareLimit = async (limitFile: string, runnerFile: string) => {
  const instance = await DuckDBInstance.create(limitFile)
  const connection = await instance.connect()
  await connection.run(`ATTACH '${runnerFile}' AS runner (READ_ONLY)`)
  const marts: Array<{ readonly mart: string; readonly differing: number; readonly mart_rows: number; readonly limit_rows: number }> = []
  for (const comparison of LIMIT_COMPARISONS) {
    const [row] = (await connection.runAndReadAll(limitMismatchQuery(comparison, "runner.marts"))).getRowObjectsJson()
    marts.push({ mart: comparison.mart, differing: Number(row?.["differing"]), mart_rows: Number(row?.["mart_rows"]), limit_rows: Number(row?.["limit_rows"]) })
  }
  connection.disconnectSync()
  instance.closeSync()
  return { differing: marts.reduce((sum, m) => sum + m.differing, 0), marts }
}

class BenchError extends Schema.TaggedError<BenchError>()("BenchError", { reason: Schema.String }) {
  override get message(): string {
    return this.reason
  }
}

const compareLimitEffect = (limitFile: string, runnerFile: string) =>
  Effect.tryPromise({ try: () => compareLimit(limitFile, runnerFile), catch: (cause) => new BenchError({ reason: `comparing the limit with the marts: ${String(cause)}` }) })

const mdp = path.join(repositoryRoot, "scripts", "mdp.ts")
const peakRss = path.join(repositoryRoot, "scripts", "peak-rss.ts")

/** Runs `node scripts/mdp.ts …args` to its end: wall seconds and peak RSS in MB; a failure stops the bench. */
const runMdp = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): { readonly seconds: number; readonly peakMb: number } => {
  const rssFile = path.join(os.tmpdir(), `mdp-peak-rss-${process.pid}`)
  const started = performance.now()
  const child = spawnSync(process.execPath, ["--import", pathToFileURL(peakRss).href, mdp, ...args], { env: { ...env, MDP_PEAK_RSS_FILE: rssFile }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  const wall = seconds(performance.now() - started)
  if (child.status !== 0) throw new Error(`mdp ${args.join(" ")} exited with ${child.status}: ${(child.stderr || child.stdout).slice(-2000)}`)
  const peakMb = existsSync(rssFile) ? Math.round(Number(readFileSync(rssFile, "utf8")) / 1024) : 0
  rmSync(rssFile, { force: true })
  return { seconds: wall, peakMb }
}

const measureStartup = (work: string, runs: number) => {
  const folder = path.join(work, "startup")
  const settings = path.join(folder, "settings.yaml")
  const report = path.join(repositoryRoot, "data", "report", "index.html")
  const reportBefore = existsSync(report) ? readFileSync(report) : undefined
  const help: Array<number> = []
  const query: Array<number> = []
  const pipeline: Array<number> = []
  let peakMb = 0
  try {
    for (let run = 0; run < runs; run++) {
      rmSync(folder, { recursive: true, force: true })
      mkdirSync(folder, { recursive: true })
      writeFileSync(settings, `warehouse: ${JSON.stringify(path.join(folder, "warehouse.duckdb"))}\nraw_zone: ${JSON.stringify(path.join(folder, "raw"))}\n`)
      const piped = runMdp(["pipeline", "--config", settings], process.env)
      pipeline.push(piped.seconds)
      peakMb = Math.max(peakMb, piped.peakMb)
      help.push(runMdp(["--help"], process.env).seconds)
      query.push(runMdp(["query", "--warehouse", path.join(folder, "warehouse.duckdb"), "select 1"], process.env).seconds)
    }
  } finally {
    // The user's report as it was: put back, or gone again if there was none.
    if (reportBefore !== undefined) writeFileSync(report, reportBefore)
    else rmSync(report, { force: true })
  }
  return {
    help_s: median(help),
    help_spread_s: spread(help),
    query_s: median(query),
    query_spread_s: spread(query),
    pipeline_s: median(pipeline),
    pipeline_spread_s: spread(pipeline),
    pipeline_peak_rss_mb: peakMb
  }
}


/**
 * The same SQL the runner executes, run straight on a DuckDB connection: no compile, no
 * translation, no runner. DuckDB gets the warehouse's memory limit, so that all sides of a
 * comparison work within the same memory and settings.
 */
const runDirectly = async (file: string, statements: ReadonlyArray<string>): Promise<number> => {
  const instance = await DuckDBInstance.create(file, { memory_limit: DEFAULT_MEMORY_LIMIT, preserve_insertion_order: "false", storage_compatibility_version: WAREHOUSE_STORAGE_VERSION })
  const connection = await instance.connect()
  await connection.run("SET TimeZone = 'UTC'")
  // The translated SQL may call the runner's Node functions (a signed hexadecimal INT64, say).
  registerBuiltinFunctions(connection)
  const started = performance.now()
  for (const statement of statements) await connection.run(statement)
  const ms = performance.now() - started
  connection.disconnectSync()
  instance.closeSync()
  return ms
}

const program = Effect.gen(function* () {
  // The command clock (MDP_NOW pins it): the sample's dates, windows and freshness all follow it.
  const NOW = yield* Clock.currentTimeMillis
  const { values } = yield* parse(process.argv.slice(2), { rows: { type: "string" }, pairs: { type: "string" }, "startup-runs": { type: "string" }, keep: { type: "boolean" }, "ingestion-only": { type: "boolean" }, out: { type: "string" } })
  if (values.help === true) {
    console.log(help)
    return 0
  }
  const rows = Number(values.rows ?? "100000")
  if (!Number.isInteger(rows) || rows < 1000) return yield* new UsageError({ reason: `--rows takes a whole number of at least 1000, not "${values.rows}"` })

  // Above LARGE_ROWS one measurement takes minutes, long enough to average a shared machine's
  // drift by itself: one round and one load each keep a 10M-row run under 10 minutes.
  const large = rows > LARGE_ROWS
  const pairs = Number(values.pairs ?? (large ? "1" : "3"))
  if (!Number.isInteger(pairs) || pairs < 1) return yield* new UsageError({ reason: `--pairs takes a whole number of at least 1, not "${values.pairs}"` })

  const startupRuns = Number(values["startup-runs"] ?? "3")
  if (!Number.isInteger(startupRuns) || startupRuns < 1) return yield* new UsageError({ reason: `--startup-runs takes a whole number of at least 1, not "${values["startup-runs"]}"` })

  const days = Math.min(365, Math.max(30, Math.round(rows / (ACCOUNTS * 50))))
  const campaignsPerAccount = Math.max(1, Math.round(rows / (ACCOUNTS * days * SAMPLE_DELIVERY)))
  const outDir = path.resolve(values.out ?? path.join(repositoryRoot, "data", "bench"))
  const work = path.join(outDir, `work-${Date.now()}`)
  const rawRoot = path.join(work, "raw")
  const warehouseFile = path.join(work, "warehouse.duckdb")
  const directFile = path.join(work, "direct.duckdb")
  mkdirSync(work, { recursive: true })
  // Generating the sample stands in for the ad platforms' servers: timed apart from ingestion.
  const generation = { ms: 0 }
  // Google's and Meta's four accounts: the sizes, the history and the limit's hand-written marts
  // (scripts/bench-limit.ts) are theirs.
  const sources = makeSampleSources({ seed: 42, campaignsPerAccount, meter: generation, platforms: ["google_ads", "meta_ads"] })
  const to = addDays(new Date(NOW).toISOString().slice(0, 10), -2)
  const from = addDays(to, -(days - 1))
  console.log(`Benchmark: about ${rows.toLocaleString("en")} rows (${ACCOUNTS} accounts × ${campaignsPerAccount} campaigns × ${days} days), work folder ${work}`)

  const ingestion = Layer.mergeAll(RawZone.layerLocal(rawRoot), SourceRegistry.layerFrom(sources))
  // 1. Ingestion: generation in the APIs' shapes, mapping, validation, envelopes, hashing, files.
  console.log("1/6 ingestion…")
  const atTime = (epochMs: number) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      yield* TestClock.setTime(epochMs)
      return yield* effect
    }).pipe(Effect.provide(TestClock.layer()))
  const referenceBefore = referenceWorkloadMicros()
  const cpuBefore = process.cpuUsage()
  const mainThreadBefore = process.threadCpuUsage()
  const ingested = yield* timed(
    ingest({
      from,
      to,
      concurrency: 4
    }).pipe(Effect.provideService(IngestProgress, { accountStarted: () => Effect.void, accountEnded: (outcome) => Effect.sync(() => progress(`${outcome.source} ${outcome.account}: ${outcome.rows.toLocaleString("en")} rows${outcome.status === "succeeded" ? "" : ` (${outcome.status}: ${outcome.error ?? ""})`}`)) }))
  ).pipe(Effect.provide(ingestion), atTime(NOW))
  const cpu = process.cpuUsage(cpuBefore)
  const mainThread = process.threadCpuUsage(mainThreadBefore)
  // Taken before DuckDB loads anything: this is the ingestion's peak (the JS heap is capped, see package.json).
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  const generatedMs = generation.ms
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const referenceAfter = referenceWorkloadMicros()
  const ingestRowsPerS = ingested.value.rows / seconds(ingested.ms - generatedMs)
  const ingestionFigures = {
    rows: ingested.value.rows,
    requested_rows: rows,
    ingest_rows_per_s: Math.round(ingestRowsPerS),
    ingest_seconds: seconds(ingested.ms - generatedMs),
    ingest_rows_per_s_with_generation: Math.round(ingested.value.rows / seconds(ingested.ms)),
    generation_seconds: seconds(generatedMs),
    ingest_cpu_seconds: cpuSeconds,
    // The generator runs on the main thread: its wall time is its CPU time there, taken off both.
    ingest_main_thread_cpu_seconds: (mainThread.user + mainThread.system) / 1e6 - seconds(generatedMs),
    // All threads' CPU time (the collector's and the file writes' too): the work one core would
    // have to do, so the rate one core would reach. Measured, held to one vCPU, within a few
    // percent of the rate this gives (docs/performance-history.md).
    ingest_rows_per_cpu_s: Math.round(ingested.value.rows / (cpuSeconds - seconds(generatedMs))),
    ingest_peak_rss_mb: Math.round(peakRssMb),
    reference_workload_us_before: referenceBefore,
    reference_workload_us_after: referenceAfter
  }
  progress(`${ingestionFigures.ingest_rows_per_s.toLocaleString("en")} rows/s, generation excluded (${fmt(ingestionFigures.generation_seconds)} s of it)`)
  const machine = benchMachine()
  const ingestionRows = [
    ["rows ingested", ingestionFigures.rows.toLocaleString("en"), ""],
    ["1. ingestion throughput", `${ingestionFigures.ingest_rows_per_s.toLocaleString("en")} rows/s (${fmt(ingestionFigures.ingest_seconds)} s, ${usableCores()})`, ""],
    [
      "   on one core",
      `${ingestionFigures.ingest_rows_per_cpu_s.toLocaleString("en")} rows per CPU second, all threads (${fmt(1e6 / ingestionFigures.ingest_rows_per_cpu_s)} µs/row)`,
      "≥ 200,000 rows/s on one core"
    ],
    [
      "   with sample generation",
      `${ingestionFigures.ingest_rows_per_s_with_generation.toLocaleString("en")} rows/s (+ ${fmt(ingestionFigures.generation_seconds)} s generating; ${fmt(ingestionFigures.ingest_cpu_seconds)} s CPU in all)`,
      ""
    ],
    [
      "   main thread's CPU time",
      `${Math.round(ingestionFigures.rows / ingestionFigures.ingest_main_thread_cpu_seconds).toLocaleString("en")} rows per CPU second (${fmt((ingestionFigures.ingest_main_thread_cpu_seconds * 1e6) / ingestionFigures.rows)} µs/row)`,
      ""
    ],
    ["1. ingestion peak RSS", `${ingestionFigures.ingest_peak_rss_mb} MB`, "< 512 MB whatever N"],
    [
      "   machine speed check",
      `${fmt(referenceBefore)} µs before, ${fmt(referenceAfter)} µs after (serialise and hash one row; lower is faster)`,
      ""
    ]
  ]
  const save = (name: string, result: { readonly measured_at: string }) => {
    const out = path.join(outDir, `${name}-${ingestionFigures.rows}-${result.measured_at.replace(/[:.]/g, "-")}.json`)
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`Saved: ${out}`)
  }
  if (values["ingestion-only"] === true) {
    console.log(`\n${table(["figure", "measured", "target"], ingestionRows)}\n\n${machineLine(machine)}`)
    const result = { ...ingestionFigures, machine, measured_at: new Date().toISOString() }
    save("bench-ingestion", result)
    if (values.keep !== true) rmSync(work, { recursive: true, force: true })
    return 0
  }

  // 2. Loading, against DuckDB reading the same files natively into a table. Best of two each,
  // in turns (loader, native, loader, native), each into a fresh file, for the same reason as 3;
  // one each for large runs.
  console.log("2/6 loading…")
  const load = (file: string) =>
    timed(loadReferenceRates(path.join(repositoryRoot, "ingestion", "reference", "fx_rates.csv")).pipe(Effect.andThen(loadRawZone(KNOWN_PLATFORMS)))).pipe(
      Effect.provide(Layer.mergeAll(RawZone.layerLocal(rawRoot), Warehouse.layerDuckDB(file)))
    )
  const rawZone = makeLocalRawZone(rawRoot, yield* FileSystem.FileSystem)
  const files = ingested.value.accounts.filter((a) => a.file !== undefined).map((a) => rawZone.locate(a.file!))
  const columns = duckdbColumns(rawColumns)
  const nativeRead = (file: string) =>
    Effect.promise(() =>
      runDirectly(file, [
        `CREATE TABLE native AS SELECT * FROM read_json([${files.map((f) => `'${f}'`).join(", ")}], format = 'newline_delimited', hive_partitioning = false, columns = ${columns})`
      ])
    )
  const loaded = yield* load(warehouseFile)
  progress(`loader ${fmt(seconds(loaded.ms))} s`)
  const firstNativeMs = yield* nativeRead(path.join(work, "native.duckdb"))
  progress(`DuckDB's native read ${fmt(seconds(firstNativeMs))} s`)
  let loadMs = loaded.ms
  let nativeMs = firstNativeMs
  if (!large) {
    const secondLoad = yield* load(path.join(work, "load-2.duckdb"))
    progress(`loader, again ${fmt(seconds(secondLoad.ms))} s`)
    const secondNativeMs = yield* nativeRead(path.join(work, "native-2.duckdb"))
    progress(`DuckDB's native read, again ${fmt(seconds(secondNativeMs))} s`)
    loadMs = Math.min(loadMs, secondLoad.ms)
    nativeMs = Math.min(nativeMs, secondNativeMs)
  }
  for (const file of ["native.duckdb", "native-2.duckdb", "load-2.duckdb"]) rmSync(path.join(work, file), { force: true })

  // 5 (first, since 3 and 4 need the graph). Compile, and translate every statement (a dry run).
  console.log("3/6 compile and translate…")
  // Freshness is measured as of the incremental run's day, the later of the two runs below.
  const asOf = new Date(NOW + 86_400_000).toISOString().slice(0, 10)
  const compiled = yield* timed(compileProject({ projectDir: repositoryRoot, vars: { as_of: asOf } }).pipe(Effect.flatMap(validateGraph)))
  const graph = compiled.value
  const all = new Set(graph.actions.map((a) => a.key))
  copyFileSync(warehouseFile, directFile)
  const planned = yield* timed(executeGraph(graph, { selected: all, dryRun: true })).pipe(Effect.provide(Warehouse.layerDuckDB(warehouseFile)))
  progress(`compile ${fmt(seconds(compiled.ms))} s, translate ${fmt(seconds(planned.ms))} s`)

  // 3. The whole graph through the runner (execution; compile is figure 5), against the same SQL
  // run directly, and against the limit: the mart written by hand for DuckDB (scripts/bench-limit.ts).
  console.log(`4/6 full transform, the same SQL directly in DuckDB, and the hand-written limit (${pairs} round${pairs === 1 ? "" : "s"})…`)
  // Rounds of (runner, direct, limit), each ratio taken within its round and the median reported
  // with its spread: a 2-core machine's speed drifts by tens of percent over minutes, and the
  // three sides of a round share it.
  const fullRun = timed(executeGraph(graph, { selected: all, fullRefresh: true })).pipe(Effect.provide(Warehouse.layerDuckDB(warehouseFile)))
  const plannedByKey = new Map(planned.value.map((r) => [r.key, r]))
  const schemas = [...new Set(graph.actions.filter((a) => a.kind !== "declaration").map((a) => a.target.schema ?? "main"))]
  const directStatements = [
    ...schemas.map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(s)}`),
    ...inDependencyOrder(graph.actions, (action) => action).flatMap((action) => [
      ...(plannedByKey.get(action.key)?.statements ?? []),
      ...(action.kind === "assertion" ? [`SELECT COUNT(*) FROM ${duckdbRelation(action.target)}`] : [])
    ])
  ]
  const projectVars = graph.compiled.projectConfig.vars ?? {}
  const limitSql = limitStatements(
    projectVars["reporting_currency"] ?? "EUR",
    (projectVars["meta_conversion_action_types"] ?? "").split(/[|,]/).map((t) => t.trim()).filter((t) => t !== "")
  )
  const rounds: Array<{ readonly runner: Effect.Success<typeof fullRun>; readonly directMs: number; readonly limitMs: number }> = []
  let limitDiffering: Effect.Success<ReturnType<typeof compareLimitEffect>> | undefined
  let transformPeakMb: number | undefined
  for (let round = 1; round <= pairs; round++) {
    // What the process already holds when the round starts (earlier phases' memory that the
    // allocator kept) is part of the peak; printed so the transform's own share can be read.
    const measurable = resetPeakRss()
    const startRss = measurable ? processMemoryMb("VmRSS") : undefined
    const runner = yield* fullRun
    const peak = measurable ? processMemoryMb("VmHWM") : undefined
    if (peak !== undefined) progress(`round ${round}: peak RSS ${peak} MB, of which ${startRss ?? "?"} MB held before it started`)
    if (peak !== undefined) transformPeakMb = Math.max(transformPeakMb ?? 0, peak)
    const roundFile = path.join(work, `direct-${round}.duckdb`)
    copyFileSync(directFile, roundFile)
    const directMs = yield* Effect.promise(() => runDirectly(roundFile, directStatements))
    rmSync(roundFile, { force: true })
    copyFileSync(directFile, roundFile)
    const limitMs = yield* Effect.promise(() => runDirectly(roundFile, limitSql))
    if (limitDiffering === undefined) {
      // The limit must compute the mart the runner wrote, row for row, or its time means nothing.
      limitDiffering = yield* compareLimitEffect(roundFile, warehouseFile)
      progress(`limit check: ${limitDiffering.marts.map((m) => `${m.mart} ${m.differing} of ${m.mart_rows.toLocaleString("en")} rows differ`).join(", ")}`)
    }
    rmSync(roundFile, { force: true })
    rounds.push({ runner, directMs, limitMs })
    progress(`round ${round}: runner ${fmt(seconds(runner.ms))} s, direct ${fmt(seconds(directMs))} s, limit ${fmt(seconds(limitMs))} s`)
  }
  const full = rounds.map((r) => r.runner).sort((a, b) => a.ms - b.ms)[Math.floor(rounds.length / 2)]!
  const directMs = median(rounds.map((r) => r.directMs))
  const limitMs = median(rounds.map((r) => r.limitMs))
  const directRatios = rounds.map((r) => r.runner.ms / r.directMs)
  const limitRatios = rounds.map((r) => r.runner.ms / r.limitMs)
  const failed = rounds.flatMap((r) => r.runner.value).filter((r) => r.status !== "succeeded")
  if (failed.length > 0) console.error(`  ${failed.length} actions did not succeed: ${failed.map((r) => `${r.action} (${r.error ?? r.status})`).join("; ")}`)

  // 4. One more day: the sources' look-back re-fetched, loaded, and an incremental run.
  console.log("5/6 one more day, incremental…")
  yield* ingest({ concurrency: 4 }).pipe(Effect.provide(ingestion), atTime(NOW + 86_400_000))
  yield* loadRawZone(KNOWN_PLATFORMS).pipe(Effect.provide(Layer.mergeAll(RawZone.layerLocal(rawRoot), Warehouse.layerDuckDB(warehouseFile))))
  if (values.keep === true) copyFileSync(warehouseFile, path.join(work, "before-incremental.duckdb"))
  const incremental = yield* timed(executeGraph(graph, { selected: all })).pipe(Effect.provide(Warehouse.layerDuckDB(warehouseFile)))
  progress(`incremental run ${fmt(seconds(incremental.ms))} s`)

  // 6. Start-up, as a user meets it: each command a new process (`npm run` adds its own ≈ 0.2 s,
  // left out). The default pipeline runs from an empty folder each time, with the embedded
  // settings but its warehouse and raw zone in the work folder; data/report/index.html, which it
  // always writes, is put back afterwards.
  console.log(`6/6 start-up: mdp --help, mdp query, the default pipeline (${startupRuns === 1 ? "one run" : `${startupRuns} runs`} each)…`)
  const startup = yield* Effect.try({ try: () => measureStartup(work, startupRuns), catch: (cause) => new BenchError({ reason: cause instanceof Error ? cause.message : String(cause) }) })
  progress(`--help ${fmt(startup.help_s)} s, query ${fmt(startup.query_s)} s, pipeline ${fmt(startup.pipeline_s)} s (peak ${startup.pipeline_peak_rss_mb} MB)`)
  const slowest = (results: ReadonlyArray<{ readonly action: string; readonly durationMs: number }>) =>
    [...results].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5).map((r) => `${r.action} ${seconds(r.durationMs).toFixed(2)} s`)

  const result = {
    ...ingestionFigures,
    load_seconds: seconds(loadMs),
    native_read_seconds: seconds(nativeMs),
    load_vs_native_ratio: loadMs / nativeMs,
    transform_seconds: seconds(full.ms),
    direct_seconds: seconds(directMs),
    transform_vs_direct_ratio: median(directRatios),
    transform_vs_direct_spread: spread(directRatios),
    limit_seconds: seconds(limitMs),
    transform_vs_limit_ratio: median(limitRatios),
    transform_vs_limit_spread: spread(limitRatios),
    limit_differing_rows: limitDiffering?.differing ?? -1,
    limit_checks: limitDiffering?.marts ?? [],
    // The runner's full refresh alone (Linux; -1 where the peak cannot be reset).
    transform_peak_rss_mb: transformPeakMb ?? -1,
    pairs,
    load_runs: large ? 1 : 2,
    incremental_seconds: seconds(incremental.ms),
    incremental_vs_full_ratio: incremental.ms / full.ms,
    compile_s: seconds(compiled.ms),
    ...startup,
    translate_s: seconds(planned.ms),
    actions: graph.actions.length,
    failed_actions: failed.length,
    slowest_full_actions: slowest(full.value),
    slowest_incremental_actions: slowest(incremental.value),
    machine,
    measured_at: new Date().toISOString()
  }
  console.log(
    "\n" +
      table(
        ["figure", "measured", "target"],
        [
          ...ingestionRows,
          ["2. load vs DuckDB native read", `${fmt(result.load_vs_native_ratio)}× (${fmt(result.load_seconds)} s vs ${fmt(result.native_read_seconds)} s)`, "→ 1.0"],
          ["3. transform vs direct DuckDB", `${fmt(result.transform_vs_direct_ratio)}× (${spreadText(result.transform_vs_direct_spread)}; ${fmt(result.transform_seconds)} s vs ${fmt(result.direct_seconds)} s)`, "≤ 1.1×"],
          [
            "3. transform vs the limit",
            `${fmt(result.transform_vs_limit_ratio)}× (${spreadText(result.transform_vs_limit_spread)}; ${fmt(result.limit_seconds)} s for the four marts by hand; ${result.limit_differing_rows} rows differ)`,
            "≤ 1.5×"
          ],
          ["3. full transform peak RSS", result.transform_peak_rss_mb < 0 ? "not measured (needs Linux's /proc)" : `${result.transform_peak_rss_mb} MB (DuckDB's memory_limit: ${DEFAULT_MEMORY_LIMIT})`, "< 2 GB at 10M rows"],
          ["4. incremental day vs full refresh", `${fmt(result.incremental_vs_full_ratio * 100, 1)} % (${fmt(result.incremental_seconds)} s)`, "≤ 5 % at 10M rows"],
          ["5. compile / translate", `${fmt(result.compile_s)} s / ${fmt(result.translate_s)} s (${result.actions} actions)`, ""],
          ["6. mdp --help", `${fmt(result.help_s)} s (median of ${startupRuns}; ${fmt(result.help_spread_s[0])}–${fmt(result.help_spread_s[1])})`, "< 0.3 s"],
          ["   mdp query \"select 1\"", `${fmt(result.query_s)} s (${fmt(result.query_spread_s[0])}–${fmt(result.query_spread_s[1])})`, "< 1 s"],
          ["   default pipeline", `${fmt(result.pipeline_s)} s (${fmt(result.pipeline_spread_s[0])}–${fmt(result.pipeline_spread_s[1])}), peak ${result.pipeline_peak_rss_mb} MB`, "< 3 s"]
        ]
      ) +
      `\n\nSlowest actions, full refresh: ${result.slowest_full_actions.join("; ")}` +
      `\nSlowest actions, incremental: ${result.slowest_incremental_actions.join("; ")}` +
      `\n\n${machineLine(result.machine)}`
  )
  save("bench", result)
  if (values.keep !== true) rmSync(work, { recursive: true, force: true })
  return failed.length === 0 && result.limit_differing_rows === 0 ? 0 : 1
})

runCommand(program)
