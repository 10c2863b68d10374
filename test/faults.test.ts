// A full disk, simulated at the file layer (no tiny tmpfs here): every write the ingestion makes
// through the FileSystem fails in turn with ENOSPC, as a filling disk would. Each time the run
// fails clearly, leaves no half-written file, and a re-run once there is space again loads exactly
// the records of an undisturbed run.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, FileSystem, Layer, PlatformError } from "effect"
import { TestClock } from "effect/testing"
import { loadRawZone } from "../app/load.ts"
import { verifyRawZone } from "../app/verify.ts"
import { RawZoneError } from "../ingestion/core/errors.ts"
import { ingest } from "../ingestion/ingest.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { makeSampleSources, samplePlatforms } from "../ingestion/sources/sample/source.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { nodeFileSystem } from "./support/local-layers.ts"

const NOW = Date.parse("2031-02-28T12:00:00Z")
// Google's and Meta's accounts: the faults are the raw zone's, whichever platform's file it writes
// (each write of every account fails in turn, so every account more is a run more).
const PLATFORMS = ["google_ads", "meta_ads"]
const SAMPLE_ACCOUNTS = samplePlatforms.filter((sample) => PLATFORMS.includes(sample.platform)).reduce((n, sample) => n + sample.accounts.length, 0)

/**
 * The Node file system on a disk that fills up: the write operation numbered `failAt` (counting
 * from 0) and every one after it fail with ENOSPC. Reads still work, as on a full disk.
 */
const fillingDisk = (failAt: number, code: "ENOSPC" | "EACCES" = "ENOSPC") => {
  let writes = 0
  const description = code === "ENOSPC" ? "no space left on device" : "permission denied"
  const full = (method: string, target: string) =>
    PlatformError.systemError({
      _tag: code === "ENOSPC" ? "Unknown" : "PermissionDenied",
      module: "FileSystem",
      method,
      pathOrDescriptor: target,
      description,
      cause: Object.assign(new Error(`${code}: ${description}, ${method} '${target}'`), { code })
    })
  const write = <A, R>(method: string, target: string, effect: Effect.Effect<A, PlatformError.PlatformError, R>) =>
    Effect.suspend(() => (writes++ >= failAt ? Effect.fail(full(method, target)) : effect))
  const fs: FileSystem.FileSystem = {
    ...nodeFileSystem,
    makeDirectory: (target, options) => write("mkdir", target, nodeFileSystem.makeDirectory(target, options)),
    rename: (from, to) => write("rename", to, nodeFileSystem.rename(from, to)),
    writeFile: (target, data, options) => write("write", target, nodeFileSystem.writeFile(target, data, options)),
    writeFileString: (target, data, options) => write("write", target, nodeFileSystem.writeFileString(target, data, options)),
    open: (target, options) =>
      /^[wa]/.test(options?.flag ?? "r")
        ? write("open", target, nodeFileSystem.open(target, options)).pipe(
            // Created, then its bytes do not fit: the file is left behind unless the writer removes it.
            Effect.map((file) =>
              new Proxy(file, {
                get: (real, property) =>
                  property === "writeAll" || property === "write"
                    ? (buffer: Uint8Array) => write("write", target, real[property](buffer))
                    : Reflect.get(real, property)
              })
            )
          )
        : nodeFileSystem.open(target, options)
  }
  return { fs, writes: () => writes }
}

const layers = (root: string, fs: FileSystem.FileSystem) =>
  Layer.mergeAll(
    RawZone.layerLocal(root).pipe(Layer.provide(Layer.succeed(FileSystem.FileSystem, fs))),
    SourceRegistry.layerFrom(makeSampleSources({ seed: 11, platforms: PLATFORMS })),
    Warehouse.layerDuckDB(":memory:")
  )

const filesUnder = (root: string): ReadonlyArray<string> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))

/** Every loaded record, as `account|record hash`, sorted: what an undisturbed run loads. */
const loadedRecords = Effect.gen(function* () {
  yield* loadRawZone(PLATFORMS)
  const rows = yield* (yield* Warehouse).query(
    PLATFORMS.map((p) => `SELECT DISTINCT _account_id || '|' || _record_hash AS record FROM raw.${p}__campaign_daily`).join(" UNION ") + " ORDER BY 1"
  )
  return rows.map((row) => String(row["record"]))
})

// One window, fetched by each run: the same records each time (the sample is a function of the clock and the day).
const ingestOnce = { from: "2031-02-20", to: "2031-02-26" }

describe("a full disk during ingestion", () => {
  it.effect("fails clearly at every write in turn, leaves no half-written file, and a re-run loads what an undisturbed run does", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const counted = fillingDisk(Number.POSITIVE_INFINITY)
      const undisturbedRoot = mkdtempSync(path.join(os.tmpdir(), "mdp-enospc-"))
      const expected = yield* Effect.gen(function* () {
        yield* ingest(ingestOnce)
        return yield* loadedRecords
      }).pipe(Effect.provide(layers(undisturbedRoot, counted.fs)))
      rmSync(undisturbedRoot, { recursive: true, force: true })
      const writes = counted.writes()
      assert.isAbove(writes, 10, "data folders, renames, the manifest and the states all write")
      assert.isAbove(expected.length, 4 * 7)

      for (let failAt = 0; failAt < writes; failAt++) {
        const root = mkdtempSync(path.join(os.tmpdir(), "mdp-enospc-"))
        const disk = fillingDisk(failAt)
        const first = yield* Effect.exit(ingest(ingestOnce).pipe(Effect.provide(layers(root, disk.fs))))
        if (Exit.isFailure(first)) {
          const error = Cause.squash(first.cause)
          assert.instanceOf(error, RawZoneError)
          assert.include((error as RawZoneError).message, "no space left on device", `write ${failAt}: the error says why`)
          assert.match((error as RawZoneError).hint ?? "", /^Free space on the raw zone's disk and run again/, "and what to do, which the re-run below does")
        } else {
          // The disk filled while writing an account's file: that account failed, saying why; the run is partial.
          const failed = first.value.accounts.filter((account) => account.status === "failed")
          assert.isNotEmpty(failed, `write ${failAt}: a write failed, so something must say so`)
          for (const account of failed) assert.include(account.error, "no space left on device")
        }
        assert.deepStrictEqual(
          filesUnder(root).filter((file) => file.includes(".incomplete-")),
          [],
          `write ${failAt}: no half-written file is left behind`
        )
        // Space again: the next run (the same clock) completes what the first did not.
        const rerun = yield* Effect.gen(function* () {
          yield* ingest(ingestOnce)
          return yield* loadedRecords
        }).pipe(Effect.provide(layers(root, nodeFileSystem)))
        assert.deepStrictEqual(rerun, expected, `write ${failAt}: the re-run loads the undisturbed run's records`)
        rmSync(root, { recursive: true, force: true })
      }
    }))
})

describe("a raw zone that cannot be written", () => {
  it.effect("fails with the system's reason and a hint to make it writable; once writable, the run completes", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const root = mkdtempSync(path.join(os.tmpdir(), "mdp-eacces-"))
      const refused = yield* Effect.flip(ingest(ingestOnce).pipe(Effect.provide(layers(root, fillingDisk(0, "EACCES").fs))))
      // The first write is a data folder: every account fails, then the manifest cannot be written.
      assert.instanceOf(refused, RawZoneError)
      assert.include(refused.message, "EACCES: permission denied")
      assert.strictEqual((refused as RawZoneError).hint, "Make the raw zone folder writable for this user, then run again.")
      const records = yield* Effect.gen(function* () {
        yield* ingest(ingestOnce)
        return yield* loadedRecords
      }).pipe(Effect.provide(layers(root, nodeFileSystem)))
      assert.isAbove(records.length, 4 * 7)
      rmSync(root, { recursive: true, force: true })
    }))
})

describe("raw files damaged after they were loaded", () => {
  it.effect("mdp verify names each missing or changed file with its account and window; the loaded rows stay", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const root = mkdtempSync(path.join(os.tmpdir(), "mdp-verify-"))
      yield* Effect.gen(function* () {
        const summary = yield* ingest(ingestOnce)
        const before = yield* loadedRecords
        assert.deepStrictEqual(yield* verifyRawZone(), { checked: SAMPLE_ACCOUNTS, problems: [] })
        const [truncated, deleted] = summary.accounts
        const truncatedFile = path.join(root, truncated!.file!)
        writeFileSync(truncatedFile, readFileSync(truncatedFile).subarray(0, 100))
        rmSync(path.join(root, deleted!.file!))
        const { checked, problems } = yield* verifyRawZone()
        assert.strictEqual(checked, SAMPLE_ACCOUNTS)
        const byAccount = new Map(problems.map((problem) => [problem.account, problem]))
        assert.sameMembers([...byAccount.keys()], [truncated!.account, deleted!.account])
        assert.match(byAccount.get(truncated!.account)!.problem, /^CRC32 [0-9a-f]{8}, recorded [0-9a-f]{8}$/)
        assert.strictEqual(byAccount.get(deleted!.account)!.problem, "missing")
        assert.deepInclude(byAccount.get(deleted!.account), { windowStart: ingestOnce.from, windowEnd: ingestOnce.to, runId: summary.runId })
        // What was loaded before stays loaded: nothing is re-read from the damaged files.
        assert.deepStrictEqual(yield* loadedRecords, before)
      }).pipe(Effect.provide(layers(root, nodeFileSystem)), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
    }))
})
