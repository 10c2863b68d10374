import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { crc32 } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Result, Schema, SchemaTransformation, Stream } from "effect"
import { TestClock } from "effect/testing"
import { decodeOrReject } from "../ingestion/core/checks.ts"
import { RawZoneError, SourceError } from "../ingestion/core/errors.ts"
import { rejected, type AccountInfo } from "../ingestion/core/model.ts"
import { BATCH_ROWS, pagedRows, SourceRegistry, type AdsSource } from "../ingestion/core/source.ts"
import { ingest, volumeFlags, windowFor } from "../ingestion/ingest.ts"
import { loadRawZone } from "../app/load.ts"
import { RawZone, makeLocalRawZone, ndjsonLines } from "../ingestion/raw-zone.ts"
import { mapGoogleAdsRow } from "../ingestion/sources/google_ads/mapping.ts"
import { GoogleAdsCampaignRow } from "../ingestion/sources/google_ads/schema.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { localRawZone, nodeFileSystem } from "./support/local-layers.ts"
import { makeSampleSources, SAMPLE_PLATFORMS, samplePlatforms } from "../ingestion/sources/sample/source.ts"

const NOW = Date.parse("2026-11-25T12:00:00Z")

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), "mdp-raw-"))

const layers = (root: string, sources: ReadonlyArray<AdsSource>) =>
  Layer.mergeAll(localRawZone(root), SourceRegistry.layerFrom(sources), Warehouse.layerDuckDB(":memory:"))

const filesUnder = (root: string): ReadonlyArray<string> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))

const count = (sql: string) =>
  Effect.gen(function* () {
    const rows = yield* (yield* Warehouse).query(sql)
    return Number(rows[0]?.["n"])
  })

/** A Google Ads REST row as searchStream returns it. */
const googleAdsRow = (campaignId: string, day: string, name = "C") => ({
  customer: { id: "1", currencyCode: "EUR", timeZone: "UTC" },
  campaign: { id: campaignId, name, status: "ENABLED" },
  segments: { date: day },
  metrics: { impressions: "10", clicks: "1", costMicros: "1000000" }
})

/** A source with one account, one lookback day and the given records. */
const singleAccountSource = (name: string, account: AccountInfo, fetch: AdsSource["fetch"]): AdsSource => ({
  name,
  stream: "campaign_daily",
  lookbackDays: 1,
  accounts: Effect.succeed([account]),
  fetch
})

describe("ingestion into the raw zone", () => {
  it.effect("the sample run writes every account with metadata, advances state and loads once", () => {
    const root = tempDir()
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 30 })
      assert.strictEqual(summary.status, "complete")
      // Every sample platform's accounts.
      const sampleAccounts = samplePlatforms.reduce((n, sample) => n + sample.accounts.length, 0)
      assert.strictEqual(summary.accounts.length, sampleAccounts)
      assert.isAbove(summary.rows, sampleAccounts * 30 * 3)
      // Days are complete up to yesterday in each account's own zone.
      const state = yield* (yield* RawZone).readState("google_ads")
      assert.strictEqual(state["1234567890"]?.lastCompleteDate, "2026-11-24")
      const file = summary.accounts[0]!.file!
      assert.match(file, /^source=google_ads\/stream=campaign_daily\/ingest_date=2026-11-25\/run=.+\/account=1234567890\.ndjson$/)
      const firstLine = JSON.parse(readFileSync(path.join(root, file), "utf8").split("\n")[0]!) as Record<string, unknown>
      assert.includeMembers(Object.keys(firstLine), ["_run_id", "_ingested_at", "_source", "_account_id", "_window_start", "_window_end", "_record_hash", "_schema_version", "payload"])
      assert.strictEqual(firstLine["_window_start"], "2026-10-26")

      const loaded = yield* loadRawZone(SAMPLE_PLATFORMS)
      assert.strictEqual(loaded.rows, summary.rows)
      const again = yield* loadRawZone(SAMPLE_PLATFORMS)
      assert.strictEqual(again.rows, 0)
      assert.strictEqual(again.skipped, sampleAccounts)
      let inWarehouse = 0
      for (const platform of SAMPLE_PLATFORMS) inWarehouse += yield* count(`SELECT COUNT(*) AS n FROM raw.${platform}__campaign_daily`)
      assert.strictEqual(inWarehouse, summary.rows)
    }).pipe(Effect.provide(layers(root, makeSampleSources({ seed: 7 }))), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("a changed, a missing and an unreadable raw file are set aside with their reasons; the rest loads, and a re-fetch of those accounts loads", () => {
    const root = tempDir()
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 10 })
      const [changed, missing, unreadable, intact, ...untouched] = summary.accounts
      // Changed after it was written: one line replaced.
      const changedFile = path.join(root, changed!.file!)
      const lines = readFileSync(changedFile, "utf8").split("\n")
      writeFileSync(changedFile, [lines[0], '{"x": bad', ...lines.slice(2)].join("\n"))
      rmSync(path.join(root, missing!.file!))
      // Written wrong from the start (its manifest agrees with its bytes): only DuckDB finds out.
      const unreadableFile = path.join(root, unreadable!.file!)
      writeFileSync(unreadableFile, '{"not": "closed"\n')
      const manifestFile = path.join(root, "_manifests", `run=${summary.runId}.json`)
      const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { accounts: Array<{ account: string; crc32?: string }> }
      manifest.accounts.find((a) => a.account === unreadable!.account)!.crc32 = crc32(readFileSync(unreadableFile)).toString(16).padStart(8, "0")
      writeFileSync(manifestFile, JSON.stringify(manifest))

      const loaded = yield* loadRawZone(["google_ads", "meta_ads"])
      const reasons = new Map(loaded.rejected.map((file) => [file.account, file.reason]))
      assert.sameMembers([...reasons.keys()], [changed!.account, missing!.account, unreadable!.account])
      assert.match(reasons.get(changed!.account)!, /^its CRC32 is [0-9a-f]{8}, not the [0-9a-f]{8} its run recorded: it changed after it was written$/)
      assert.strictEqual(reasons.get(missing!.account), "the file is missing")
      assert.match(reasons.get(unreadable!.account)!, /^it cannot be read: .*Malformed JSON/)
      assert.strictEqual(loaded.rows, intact!.rows + untouched.reduce((sum, account) => sum + account.rows, 0), "the intact files loaded")
      const table = (source: string) => `raw.${source}__campaign_daily`
      assert.strictEqual(yield* count(`SELECT COUNT(*) AS n FROM ${table(intact!.source)} WHERE _account_id = '${intact!.account}'`), intact!.rows)
      // Set aside once: the next load does not report them again.
      assert.deepStrictEqual((yield* loadRawZone(["google_ads", "meta_ads"])).rejected, [])

      // The accounts' windows fetched again, by account: their new files load.
      const refetch = yield* ingest({ from: changed!.windowStart!, to: changed!.windowEnd!, accounts: [changed!.account, missing!.account, unreadable!.account] })
      assert.sameMembers(refetch.accounts.map((a) => a.account), [changed!.account, missing!.account, unreadable!.account])
      assert.strictEqual(yield* count("SELECT COUNT(*) AS n FROM raw._rejected_files"), 3, "set aside until fetched again")
      const reloaded = yield* loadRawZone(["google_ads", "meta_ads"])
      assert.deepStrictEqual(reloaded.rejected, [])
      assert.strictEqual(yield* count("SELECT COUNT(*) AS n FROM raw._rejected_files"), 0, "settled by the files that cover their windows")
      for (const account of [changed!, missing!, unreadable!]) {
        const fresh = refetch.accounts.find((a) => a.account === account.account)!
        assert.strictEqual(yield* count(`SELECT COUNT(*) AS n FROM ${table(account.source)} WHERE _account_id = '${account.account}'`), fresh.rows, account.account)
      }
      const unknown = yield* Effect.flip(ingest({ accounts: ["999"] }))
      assert.match(unknown.message, /no account 999 among the selected sources' accounts/)
    }).pipe(Effect.provide(layers(root, makeSampleSources({ seed: 7 }))), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("the next run re-fetches the look-back window and the raw zone keeps both versions", () => {
    const root = tempDir()
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      yield* ingest({ initialDays: 60 })
      yield* TestClock.setTime(NOW + 86_400_000)
      const next = yield* ingest({})
      const google = next.accounts.find((a) => a.account === "1234567890")!
      // Google Ads: 14 days of look-back before the last complete date, through the new yesterday.
      assert.deepStrictEqual([google.windowStart, google.windowEnd], ["2026-11-11", "2026-11-25"])
      const meta = next.accounts.find((a) => a.account === "3456789012")!
      assert.deepStrictEqual([meta.windowStart, meta.windowEnd], ["2026-10-28", "2026-11-25"])
      yield* loadRawZone(["google_ads", "meta_ads"])
      const versions = yield* count(
        "SELECT COUNT(*) AS n FROM raw.google_ads__campaign_daily WHERE account_id = '1234567890' AND date = DATE '2026-11-20'"
      )
      assert.isAbove(versions, 0)
      const distinctRuns = yield* count(
        "SELECT COUNT(DISTINCT _run_id) AS n FROM raw.google_ads__campaign_daily WHERE account_id = '1234567890' AND date = DATE '2026-11-20'"
      )
      assert.strictEqual(distinctRuns, 2)
    }).pipe(Effect.provide(layers(root, makeSampleSources({ seed: 7 }))), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("an account failing mid-stream leaves no partial file, keeps the others, and a re-run completes it", () => {
    const root = tempDir()
    const account: AccountInfo = { id: "flaky", name: "Flaky", currency: "EUR", timeZone: "UTC" }
    let failing = true
    const flaky = singleAccountSource("flaky_ads", account, (_account, window) =>
      Stream.fromIterable([googleAdsRow("1", window.start), googleAdsRow("2", window.start)]).pipe(
        Stream.map(mapGoogleAdsRow),
        Stream.concat(failing ? Stream.make(rejected("does not match the schema", "garbage")) : Stream.empty),
        Stream.concat(failing ? Stream.fail(new SourceError({ source: "flaky_ads", account: "flaky", reason: "server", detail: "connection reset" })) : Stream.empty)
      )
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const first = yield* ingest({ initialDays: 3 })
      assert.strictEqual(first.status, "partial")
      const failed = first.accounts.find((a) => a.account === "flaky")!
      assert.strictEqual(failed.status, "failed")
      assert.include(failed.error, "connection reset")
      // Neither the data file nor the quarantine file of the rejected record.
      assert.isFalse(filesUnder(root).some((file) => file.includes("source=flaky_ads")), filesUnder(root).join("\n"))
      assert.isTrue(first.accounts.filter((a) => a.source !== "flaky_ads").every((a) => a.status === "succeeded"))
      assert.isUndefined((yield* (yield* RawZone).readState("flaky_ads"))["flaky"]?.lastCompleteDate)

      failing = false
      const second = yield* ingest({ sources: ["flaky_ads"], initialDays: 3 })
      assert.strictEqual(second.status, "complete")
      assert.deepStrictEqual([second.accounts[0]!.windowStart, second.accounts[0]!.windowEnd], ["2026-11-22", "2026-11-24"])
      assert.strictEqual(second.accounts[0]!.rows, 2)
    }).pipe(
      Effect.provide(layers(root, [...makeSampleSources({ seed: 1 }), flaky])),
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })

  it.effect("a run whose manifest cannot be written advances no state, so the next run fetches the same window", () => {
    const root = tempDir()
    const local = makeLocalRawZone(root, nodeFileSystem)
    let diskFull = true
    const zone = Layer.succeed(
      RawZone,
      RawZone.of({
        ...local,
        writeManifest: (manifest) =>
          diskFull ? Effect.fail(new RawZoneError({ path: `_manifests/run=${manifest.runId}.json`, reason: "ENOSPC: no space left on device" })) : local.writeManifest(manifest)
      })
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const failure = yield* Effect.flip(ingest({ initialDays: 30 }))
      assert.include(failure.message, "ENOSPC")
      // The data files exist, but without a manifest they never count: no state may claim them.
      assert.deepStrictEqual(yield* local.readState("google_ads"), {})
      assert.deepStrictEqual(yield* local.readState("meta_ads"), {})

      diskFull = false
      const retried = yield* ingest({ initialDays: 30 })
      assert.strictEqual(retried.status, "complete")
      // Still the first fetch's 30 days, not a look-back from a state that was never earned.
      assert.deepStrictEqual(new Set(retried.accounts.map((a) => `${a.windowStart} → ${a.windowEnd}`)), new Set(["2026-10-26 → 2026-11-24"]))
      const loaded = yield* loadRawZone(["google_ads", "meta_ads"])
      assert.strictEqual(
        yield* count("SELECT COUNT(*) AS n FROM raw.google_ads__campaign_daily"),
        retried.accounts.filter((a) => a.source === "google_ads").reduce((sum, a) => sum + a.rows, 0),
        JSON.stringify(loaded)
      )
    }).pipe(
      Effect.provide(Layer.mergeAll(zone, SourceRegistry.layerFrom(makeSampleSources({ seed: 3 })), Warehouse.layerDuckDB(":memory:"))),
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })

  it.live("a data file that cannot be written fails its account, quarantine included, and the run goes on", () => {
    const root = tempDir()
    const local = makeLocalRawZone(root, nodeFileSystem)
    const account: AccountInfo = { id: "a1", name: "A", currency: "EUR", timeZone: "UTC" }
    // Rejected records first, so that the quarantine file is being written when the data file fails.
    const source = singleAccountSource("odd_ads", account, (_account, window) =>
      Stream.fromIterable([rejected("does not match the schema", "garbage"), ...Array.from({ length: 3 * BATCH_ROWS }, (_, i) => mapGoogleAdsRow(googleAdsRow(String(i), window.start)))]).pipe(
        Stream.rechunk(BATCH_ROWS)
      )
    )
    const zone = Layer.succeed(
      RawZone,
      RawZone.of({
        ...local,
        writeBatches: (key, batches) =>
          key.startsWith("_quarantine/") || !key.includes("source=odd_ads")
            ? local.writeBatches(key, batches)
            : // Fails once every record has been read, after a while: time for the quarantine file to finish, were it allowed to.
              local.writeBatches(
                key,
                batches.pipe(
                  Stream.concat(Stream.fromEffectDrain(Effect.sleep("200 millis"))),
                  Stream.concat(Stream.fail(new RawZoneError({ path: key, reason: "ENOSPC: no space left on device" })))
                )
              )
      })
    )
    return Effect.gen(function* () {
      const summary = yield* ingest({ initialDays: 1 })
      const outcome = summary.accounts.find((a) => a.source === "odd_ads")!
      assert.strictEqual(outcome.status, "failed")
      assert.include(outcome.error, "ENOSPC")
      assert.isFalse(filesUnder(root).some((file) => file.includes("source=odd_ads")), filesUnder(root).join("\n"))
      assert.isTrue(summary.accounts.filter((a) => a.source !== "odd_ads").every((a) => a.status === "succeeded"))
    }).pipe(
      Effect.provide(Layer.mergeAll(zone, SourceRegistry.layerFrom([...makeSampleSources({ seed: 3 }), source]), Warehouse.layerDuckDB(":memory:"))),
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })

  it.effect("malformed records are quarantined with their reason and counted, never dropped", () => {
    const root = tempDir()
    const account: AccountInfo = { id: "a1", name: "A", currency: "EUR", timeZone: "UTC" }
    const source = singleAccountSource("odd_ads", account, () =>
      Stream.fromIterable([rejected("clicks (5) exceed impressions (1)", { id: 1 }), rejected("does not match the schema", "garbage")])
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 1 })
      assert.strictEqual(summary.quarantined, 2)
      assert.strictEqual(summary.accounts[0]!.rows, 0)
      assert.deepStrictEqual(summary.accounts[0]!.flags, ["2026-11-24: no rows"])
      yield* loadRawZone(["odd_ads"])
      const reasons = yield* (yield* Warehouse).query("SELECT reason FROM raw.quarantine ORDER BY reason")
      assert.deepStrictEqual(reasons.map((r) => r["reason"]), ["clicks (5) exceed impressions (1)", "does not match the schema"])
    }).pipe(Effect.provide(layers(root, [source])), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.live("rejected records reach their file while the source is still fetching", () => {
    const root = tempDir()
    const account: AccountInfo = { id: "a1", name: "A", currency: "EUR", timeZone: "UTC" }
    let quarantineOnDisk = false
    const quarantineBytes = () =>
      filesUnder(root)
        .filter((file) => file.startsWith("_quarantine"))
        .reduce((total, file) => total + readFileSync(path.join(root, file)).length, 0)
    const source = singleAccountSource("odd_ads", account, (_account, window) =>
      Stream.fromIterable(Array.from({ length: BATCH_ROWS }, (_, i) => rejected("does not match the schema", { id: i }))).pipe(
        Stream.concat(Stream.fromIterable(Array.from({ length: 3 * BATCH_ROWS }, (_, i) => mapGoogleAdsRow(googleAdsRow(String(i), window.start))))),
        // Before the last records, wait (up to two seconds) for the rejected ones to be on disk.
        Stream.concat(
          Stream.fromEffectDrain(
            Effect.gen(function* () {
              for (let waited = 0; waited < 2000 && !quarantineOnDisk; waited += 20) {
                yield* Effect.sleep("20 millis")
                quarantineOnDisk = quarantineBytes() > 0
              }
            })
          )
        ),
        Stream.concat(Stream.make(rejected("clicks (5) exceed impressions (1)", { id: "last" })))
      )
    )
    return Effect.gen(function* () {
      const summary = yield* ingest({ initialDays: 1 })
      assert.isTrue(quarantineOnDisk, "the first rejected records were written before the source finished")
      assert.deepStrictEqual([summary.accounts[0]!.status, summary.rows, summary.quarantined], ["succeeded", 3 * BATCH_ROWS, BATCH_ROWS + 1])
      const lines = readFileSync(path.join(root, summary.accounts[0]!.quarantineFile!), "utf8").trimEnd().split("\n")
      assert.strictEqual(lines.length, BATCH_ROWS + 1)
      assert.deepStrictEqual(JSON.parse(lines.at(-1)!).payload, { id: "last" })
    }).pipe(Effect.provide(layers(root, [source])), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("more malformed records than an account may quarantine stop its run at once and leave no file", () => {
    const root = tempDir()
    const account: AccountInfo = { id: "a1", name: "A", currency: "EUR", timeZone: "UTC" }
    let pulled = 0
    const source = singleAccountSource("broken_ads", account, () =>
      Stream.fromIterable(Array.from({ length: 300_000 }, (_, i) => i)).pipe(
        Stream.rechunk(1000),
        Stream.map((i) => {
          pulled++
          return rejected("does not match the schema", { id: i })
        })
      )
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 1 })
      const outcome = summary.accounts[0]!
      assert.strictEqual(outcome.status, "failed")
      assert.include(outcome.error, "more than 100000 malformed records (the first: does not match the schema)")
      assert.isBelow(pulled, 300_000, "the source was not read to its end")
      assert.isFalse(filesUnder(root).some((file) => file.includes("source=broken_ads")), filesUnder(root).join("\n"))
      assert.isUndefined((yield* (yield* RawZone).readState("broken_ads"))["a1"]?.lastCompleteDate)
    }).pipe(Effect.provide(layers(root, [source])), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("each line's _record_hash is the SHA-256 of exactly its payload bytes, whatever the text and size", () => {
    const root = tempDir()
    const account: AccountInfo = { id: "é1", name: "Ünïcode", currency: "EUR", timeZone: "UTC" }
    const names = ["Été – soldes", "🎉 promo 日本", "plain", "x".repeat(6000), 'quote " and \\ backslash']
    // Alternating customer ids: the envelope's per-account part must follow each record's own.
    const rows = names.flatMap((name, index) =>
      Array.from({ length: 400 }, (_, n) => {
        const row = googleAdsRow(String(index * 1000 + n), "2026-11-24", name)
        return { ...row, customer: { ...row.customer, id: String(1 + (n % 2)) } }
      })
    )
    // Chunks mixing kept and rejected records; the 6 KB names outgrow the buffer's first estimate.
    const source = singleAccountSource("wide_ads", account, () =>
      Stream.fromIterable([...rows.map(mapGoogleAdsRow), rejected("clicks (5) exceed impressions (1)", { id: 1 })]).pipe(Stream.rechunk(1000))
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 1 })
      assert.deepStrictEqual([summary.rows, summary.quarantined], [rows.length, 1])
      const bytes = readFileSync(path.join(root, summary.accounts[0]!.file!))
      const lines = bytes.toString("utf8").split("\n")
      assert.strictEqual(lines.pop(), "")
      assert.strictEqual(lines.length, rows.length)
      const seenNames = new Set<string>()
      for (const line of lines) {
        const parsed = JSON.parse(line) as { _record_hash: string; _account_id: string; account_id: string; payload: { customer: { id: string }; campaign: { name: string } } }
        const payloadText = line.slice(line.indexOf(',"payload":') + ',"payload":'.length, line.lastIndexOf(',"_record_hash":'))
        assert.strictEqual(payloadText, JSON.stringify(parsed.payload))
        assert.strictEqual(parsed._record_hash, createHash("sha256").update(Buffer.from(payloadText, "utf8")).digest("hex"))
        assert.deepStrictEqual([parsed._account_id, parsed.account_id], [parsed.payload.customer.id, parsed.payload.customer.id])
        seenNames.add(parsed.payload.campaign.name)
      }
      assert.deepStrictEqual([...seenNames].sort(), [...names].sort())
      assert.strictEqual(summary.accounts[0]!.crc32, crc32(bytes).toString(16).padStart(8, "0"))
    }).pipe(Effect.provide(layers(root, [source])), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("records are written in batches of a bounded size, whether the source emits them one by one or in large pages", () => {
    const root = tempDir()
    const local = makeLocalRawZone(root, nodeFileSystem)
    const batchRows: Record<string, Array<number>> = {}
    // The local zone, noting the rows of each batch it is handed.
    const zone = Layer.succeed(
      RawZone,
      RawZone.of({
        ...local,
        writeBatches: (key, batches) =>
          local.writeBatches(key, batches.pipe(Stream.tap((batch) => Effect.sync(() => void (batchRows[key.split("/")[0]!] ??= []).push(batch.rows)))))
      })
    )
    const account: AccountInfo = { id: "1", name: "A", currency: "EUR", timeZone: "UTC" }
    const records = Array.from({ length: BATCH_ROWS * 2.5 }, (_, n) => mapGoogleAdsRow(googleAdsRow(String(n), "2026-11-24")))
    // One row per chunk (as async iterators give them) and one large page.
    const oneByOne = singleAccountSource("single_ads", account, () => Stream.fromIterable(records, { chunkSize: 1 }))
    const onePage = singleAccountSource("paged_ads", account, () => Stream.fromIterable(records))
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const summary = yield* ingest({ initialDays: 1 })
      assert.deepStrictEqual(summary.accounts.map((a) => [a.source, a.rows]), [["single_ads", records.length], ["paged_ads", records.length]])
      assert.deepStrictEqual(batchRows, { "source=single_ads": [BATCH_ROWS, BATCH_ROWS, BATCH_ROWS / 2], "source=paged_ads": [BATCH_ROWS, BATCH_ROWS, BATCH_ROWS / 2] })
      const lines = readFileSync(path.join(root, summary.accounts[0]!.file!), "utf8").split("\n").filter((line) => line !== "")
      assert.deepStrictEqual(lines.map((line) => (JSON.parse(line) as { campaign_id: string }).campaign_id), records.map((_, n) => String(n)))
    }).pipe(
      Effect.provide(Layer.mergeAll(zone, SourceRegistry.layerFrom([oneByOne, onePage]), Warehouse.layerDuckDB(":memory:"))),
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })

  it.effect("a file larger than the flush interval is written whole, flushed to disk along the way", () => {
    const root = tempDir()
    const zone = makeLocalRawZone(root, nodeFileSystem)
    // 70 batches of 1 MiB, each line naming its batch: past the 64 MiB background flush.
    const line = (n: number) => `{"batch":${n},"fill":"${"x".repeat(1000)}"}\n`
    const batch = (n: number) => {
      const text = line(n).repeat(Math.floor((1 << 20) / line(n).length))
      return { bytes: Buffer.from(text), rows: text.split("\n").length - 1 }
    }
    return Effect.gen(function* () {
      const written = yield* zone.writeBatches("big/file.ndjson", Stream.range(1, 70).pipe(Stream.map(batch)))
      const bytes = readFileSync(zone.locate("big/file.ndjson"))
      assert.isAbove(bytes.length, 64 * 1024 * 1024)
      assert.deepStrictEqual([written.bytes, written.crc32], [bytes.length, crc32(bytes).toString(16).padStart(8, "0")])
      const expected = Buffer.concat(Array.from({ length: 70 }, (_, i) => batch(i + 1).bytes))
      assert.isTrue(bytes.equals(expected))
      assert.deepStrictEqual(filesUnder(root), [path.join("big", "file.ndjson")])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  // Linux's /dev/full stands in for a full disk; elsewhere the test cannot be set up.
  it.live.runIf(existsSync("/dev/full"))("a disk that fills up fails the file, and neither it nor its temporary file stays", () => {
    const root = tempDir()
    const zone = makeLocalRawZone(root, nodeFileSystem)
    const batch = { bytes: Buffer.from('{"a":1}\n'.repeat(1000)), rows: 1000 }
    // The only batch, or the first of several: nothing after it is written.
    const writeTo = (key: string, batches: number) =>
      Effect.gen(function* () {
        const file = zone.locate(key)
        mkdirSync(path.dirname(file), { recursive: true })
        // The temporary file the writer opens is /dev/full: every write fails with ENOSPC.
        symlinkSync("/dev/full", `${file}.incomplete-${process.pid}`)
        const failure = yield* Effect.flip(zone.writeBatches(key, Stream.range(1, batches).pipe(Stream.map(() => batch))))
        assert.include(failure.message, "ENOSPC")
        assert.deepStrictEqual(readdirSync(path.dirname(file)), [])
      })
    return Effect.all([writeTo("one/file.ndjson", 1), writeTo("five/file.ndjson", 5)]).pipe(
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })

  it.effect("a file that cannot take its name fails the write, and its temporary file goes", () => {
    const root = tempDir()
    const zone = makeLocalRawZone(root, nodeFileSystem)
    return Effect.gen(function* () {
      // A folder where the file should appear: the rename to it fails.
      mkdirSync(zone.locate("taken/file.ndjson"), { recursive: true })
      const failure = yield* Effect.flip(zone.writeBatches("taken/file.ndjson", Stream.make(ndjsonLines(['{"a":1}']))))
      assert.strictEqual(failure._tag, "RawZoneError")
      assert.match(failure.message, /EISDIR|ENOTEMPTY|EEXIST/)
      assert.deepStrictEqual(readdirSync(path.join(root, "taken")), ["file.ndjson"])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("manifests are read oldest first, passing over the runs named", () => {
    const root = tempDir()
    const zone = makeLocalRawZone(root, nodeFileSystem)
    const run = (runId: string) => ({ runId, startedAt: "2026-11-25T07:00:00.000Z", finishedAt: "2026-11-25T07:01:00.000Z", status: "complete" as const, accounts: [] })
    return Effect.gen(function* () {
      for (const runId of ["20261125T070000Z-bbbbbb", "20261124T070000Z-aaaaaa", "20261126T070000Z-cccccc"]) yield* zone.writeManifest(run(runId))
      assert.deepStrictEqual((yield* zone.manifests()).map((m) => m.runId), ["20261124T070000Z-aaaaaa", "20261125T070000Z-bbbbbb", "20261126T070000Z-cccccc"])
      assert.deepStrictEqual((yield* zone.manifests(new Set(["20261125T070000Z-bbbbbb"]))).map((m) => m.runId), ["20261124T070000Z-aaaaaa", "20261126T070000Z-cccccc"])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })

  it.effect("bad requests are refused with a sentence naming the problem", () => {
    const root = tempDir()
    return Effect.gen(function* () {
      assert.include((yield* Effect.flip(ingest({ sources: ["myspace_ads"] }))).message, `unknown source "myspace_ads"`)
      assert.include((yield* Effect.flip(ingest({ from: "2026-13-01", to: "2026-12-02" }))).message, "--from must be a date")
      assert.include((yield* Effect.flip(ingest({ from: "2026-11-10", to: "2026-11-01" }))).message, "is after")
    }).pipe(Effect.provide(layers(root, makeSampleSources({ seed: 1 }))), Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  })
})

describe("windows and volume", () => {
  it("a new account gets the initial days; a known one its look-back", () => {
    assert.deepStrictEqual(windowFor(undefined, 14, "2026-11-24", 90), { start: "2026-08-27", end: "2026-11-24" })
    assert.deepStrictEqual(windowFor("2026-11-20", 28, "2026-11-24", 90), { start: "2026-10-24", end: "2026-11-24" })
  })

  it("flags days with no rows and days far below the usual volume", () => {
    const counts = new Map([["2026-11-01", 30], ["2026-11-02", 31], ["2026-11-03", 4], ["2026-11-05", 29]])
    assert.deepStrictEqual(volumeFlags({ start: "2026-11-01", end: "2026-11-05" }, counts), [
      "2026-11-03: 4 rows, far fewer than the usual 29",
      "2026-11-04: no rows"
    ])
  })

  it.effect("the sample is deterministic for the same window and day", () =>
    Effect.gen(function* () {
      const [google] = makeSampleSources({ seed: 42 })
      const account = { id: "1234567890", name: "", currency: "EUR", timeZone: "Europe/Paris" }
      yield* TestClock.setTime(NOW)
      const run = Stream.runCollect(google!.fetch(account, { start: "2026-09-20", end: "2026-10-07" })).pipe(Effect.map((chunk) => JSON.stringify([...chunk])))
      const first = yield* run
      assert.strictEqual(yield* run, first)
      assert.isAbove(first.length, 1000)
      // An earlier as-of day: days older than Google's 14-day look-back read the same, the recent
      // days' conversions had not matured yet.
      yield* TestClock.setTime(Date.parse("2026-10-09T12:00:00Z"))
      const later = Stream.runCollect(google!.fetch(account, { start: "2026-09-20", end: "2026-10-07" })).pipe(Effect.map((chunk) => [...chunk]))
      const settled = yield* Stream.runCollect(google!.fetch(account, { start: "2026-09-20", end: "2026-09-24" })).pipe(Effect.map((chunk) => JSON.stringify([...chunk])))
      assert.include(first, settled.slice(1, -1))
      const maturing = yield* Stream.runCollect(google!.fetch(account, { start: "2026-10-01", end: "2026-10-01" })).pipe(Effect.map((chunk) => JSON.stringify([...chunk])))
      assert.notInclude(first, maturing.slice(1, -1))
      assert.notStrictEqual(JSON.stringify(yield* later), first)
    }))
})

describe("hot path of ingestion", () => {
  it("the compiled decoders reject exactly what the schema rejects, naming the field", () => {
    const good = {
      customer: { resourceName: "customers/1", id: "1", currencyCode: "EUR", timeZone: "Europe/Paris" },
      campaign: { resourceName: "customers/1/campaigns/2", id: "2", name: "Brand", status: "ENABLED" },
      segments: { date: "2026-11-01" },
      metrics: { impressions: "10", clicks: "2", costMicros: "1500000", conversions: 1.5 }
    }
    const cases: ReadonlyArray<readonly [string, unknown, string | undefined]> = [
      ["valid", good, undefined],
      ["int64 as a JSON number", { ...good, customer: { ...good.customer, id: 1 } }, undefined],
      ["zero metrics left out", { ...good, metrics: {} }, undefined],
      ["bad date", { ...good, segments: { date: "2026-11-1" } }, `["segments"]["date"]`],
      ["int64 not digits", { ...good, metrics: { ...good.metrics, costMicros: "1.5e6" } }, `["metrics"]["costMicros"]`],
      ["missing campaign name", { ...good, campaign: { id: "2", status: "ENABLED" } }, `["campaign"]["name"]`],
      ["conversions as a string", { ...good, metrics: { ...good.metrics, conversions: "1.5" } }, `["metrics"]["conversions"]`],
      ["not an object", "garbage", "does not match the schema"]
    ]
    for (const [name, row, expected] of cases) {
      const record = mapGoogleAdsRow(row)
      if (expected === undefined) assert.strictEqual(record._tag, "SourceRecord", name)
      else {
        assert.strictEqual(record._tag, "RejectedRecord", name)
        assert.include(record._tag === "RejectedRecord" ? record.reason : "", expected, name)
      }
    }
  })

  it("a schema that only checks answers with the payload itself; one that transforms still decodes", () => {
    const row = googleAdsRow("7", "2026-11-01")
    const checked = decodeOrReject(GoogleAdsCampaignRow, row)
    assert.isTrue(Result.isSuccess(checked) && checked.success === row, "a valid row is not copied")
    // Its type side accepts the input as it is, so only the decode gives the right value.
    const Lowercased = Schema.Struct({
      code: Schema.String.pipe(Schema.decodeTo(Schema.String, SchemaTransformation.transform({ decode: (s) => s.toLowerCase(), encode: (s) => s })))
    })
    assert.deepStrictEqual(decodeOrReject(Lowercased, { code: "EUR" }), Result.succeed({ code: "eur" }))
    const rejectedRow = decodeOrReject(GoogleAdsCampaignRow, { ...row, segments: { date: "1 Nov" } })
    assert.isTrue(Result.isFailure(rejectedRow) && rejectedRow.failure.includes(`["segments"]["date"]`))
  })

  it("lines are encoded as UTF-8 NDJSON, whatever their characters", () => {
    const cases: ReadonlyArray<ReadonlyArray<string>> = [
      [],
      [""],
      ['{"a":1}', '{"b":"x"}'],
      ['{"name":"Été – soldes"}', '{"name":"🎉 promo 日本"}', "a".repeat(5000)],
      ["é".repeat(3000)],
      Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? `{"n":"ü${i}"}` : `{"n":${i}}`))
    ]
    for (const lines of cases) {
      const expected = lines.length === 0 ? Buffer.alloc(0) : Buffer.from(lines.join("\n") + "\n")
      assert.isTrue(ndjsonLines(lines).bytes.equals(expected), `${lines.length} lines`)
    }
  })
})

describe("rows fetched in pages", () => {
  it.effect("hand each page on in chunks taken out of it, and fetch the next page only once it is used up", () => {
    const pages = [Array.from({ length: 2500 }, (_, i) => i), [], Array.from({ length: 700 }, (_, i) => 2500 + i)]
    const fetched: Array<number> = []
    return Effect.gen(function* () {
      const rows = pagedRows(0, (n: number) =>
        Effect.sync(() => {
          fetched.push(n)
          return [pages[n]!, n + 1 < pages.length ? Option.some(n + 1) : Option.none()] as const
        })
      )
      const chunks: Array<ReadonlyArray<number>> = []
      yield* Stream.runForEachArray(rows, (chunk) =>
        Effect.sync(() => {
          chunks.push(chunk)
          // Rows handed on are no longer held by their page; the next page is not fetched early.
          if (chunks.length === 1) assert.deepStrictEqual([pages[0]!.length, fetched], [1500, [0]])
        })
      )
      assert.deepStrictEqual(
        chunks.map((chunk) => chunk.length),
        [1000, 1000, 500, 700]
      )
      assert.deepStrictEqual(chunks.flat(), Array.from({ length: 3200 }, (_, i) => i))
      assert.deepStrictEqual(fetched, [0, 1, 2])
    })
  })

  it.effect("a page that cannot be fetched fails the stream after the rows already handed on", () =>
    Effect.gen(function* () {
      const rows = pagedRows(0, (n: number) =>
        n === 0 ? Effect.succeed([[1, 2, 3], Option.some(1)] as const) : Effect.fail(new SourceError({ source: "paged_ads", account: "a1", reason: "server", detail: "HTTP 500" }))
      )
      const seen: Array<number> = []
      const failure = yield* Effect.flip(Stream.runForEach(rows, (row) => Effect.sync(() => seen.push(row))))
      assert.deepStrictEqual([seen, failure.detail], [[1, 2, 3], "HTTP 500"])
    })
  )
})
