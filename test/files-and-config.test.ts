import { execFileSync } from "node:child_process"
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Stream } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { readSettings } from "../app/settings.ts"
import { warehouseLimits } from "../app/ingestion.ts"
import { repositoryRoot } from "../app/paths.ts"
import { sourcesFrom } from "../app/sources.ts"
import type { SourceRecord } from "../ingestion/core/model.ts"
import { makeFileSource } from "../ingestion/sources/files/source.ts"
import { makeMicrosoftAdsSource, microsoftAdsDefinition } from "../ingestion/sources/microsoft_ads/source.ts"
import { SAMPLE_PLATFORMS } from "../ingestion/sources/sample/source.ts"

const folder = path.join(import.meta.dirname, "fixtures", "microsoft_ads")
// The test runner may end its workers without an exit event: rows set aside go where this file removes them.
const spillRoot = mkdtempSync(path.join(os.tmpdir(), "mdp-spill-"))
const source = makeMicrosoftAdsSource({ folder, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder: spillRoot })

describe("file export source (Microsoft Advertising)", () => {
  afterAll(() => rmSync(spillRoot, { recursive: true, force: true }))

  it.effect("finds accounts in the export and streams one account's window, quarantining bad rows", () =>
    Effect.gen(function* () {
      const accounts = yield* source.accounts
      assert.deepStrictEqual(accounts.map((a) => [a.id, a.currency]), [["150001", "EUR"], ["150002", "USD"]])
      const first = [...(yield* Stream.runCollect(source.fetch(accounts[0]!, { start: "2024-05-01", end: "2024-05-01" })))]
      const good = first.filter((r): r is SourceRecord => r._tag === "SourceRecord")
      // 810002 has more clicks than impressions: not a fault, so kept.
      assert.deepStrictEqual(good.map((r) => [r.campaignId, r.date, r.metrics.spend]), [["810001", "2024-05-01", 61.2], ["810002", "2024-05-01", 20]])
      const reasons = first.flatMap((r) => (r._tag === "RejectedRecord" ? [r.reason] : []))
      assert.strictEqual(reasons.length, 1)
      assert.include(reasons.join("\n"), "names no account")
      const second = [...(yield* Stream.runCollect(source.fetch(accounts[1]!, { start: "2024-05-01", end: "2024-05-31" })))]
      assert.strictEqual(second.filter((r) => r._tag === "SourceRecord").length, 1)
      assert.include(second.flatMap((r) => (r._tag === "RejectedRecord" ? [r.reason] : [])).join(), "TimePeriod")
    }))

  it.effect("parses the export once: each account reads back only its own rows, and a changed file is listed again", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
    const spillFolder = mkdtempSync(path.join(os.tmpdir(), "mdp-spill-"))
    const file = path.join(dir, "report.csv")
    writeFileSync(file, readFileSync(path.join(folder, "campaign_performance_2024-05.csv")))
    const rowsInFile = readFileSync(file, "utf8").trim().split("\n").length - 1
    // Three of 150001 and one of 150002; the row without an account and "May 2nd" fail the schema.
    const validRows = 4
    let mapped = 0
    let rowsLookedAt = 0
    const counting = makeFileSource(
      {
        ...microsoftAdsDefinition,
        accountIdOf: (row) => (rowsLookedAt++, microsoftAdsDefinition.accountIdOf(row)),
        toRecord: (row) => (mapped++, microsoftAdsDefinition.toRecord(row))
      },
      { folder: dir, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder }
    )
    return Effect.gen(function* () {
      const accounts = yield* counting.accounts
      assert.strictEqual(rowsLookedAt, rowsInFile)
      // Listing validates a row only until its account is named: one row each here.
      assert.strictEqual(mapped, accounts.length)
      yield* Stream.runDrain(counting.fetch(accounts[0]!, { start: "2024-05-01", end: "2024-05-31" }))
      yield* Stream.runDrain(counting.fetch(accounts[1]!, { start: "2024-05-01", end: "2024-05-31" }))
      // Every row belongs to one account or names none (read by the first account): the two
      // fetches together look at each row once more, where each used to parse the whole export.
      assert.strictEqual(rowsLookedAt, 2 * rowsInFile)
      // The fetches validate and map every valid row, each once.
      assert.strictEqual(mapped, accounts.length + validRows)
      // The rows set aside are in a folder of this process's own.
      assert.deepStrictEqual(readdirSync(spillFolder).map((entry) => entry.startsWith(`mdp-export-rows-${process.pid}-`)), [true])
      appendFileSync(file, '"150003","Acme New","830001","New","Active","2024-05-03","10","1","1.00","0","0.00","GBP"\n')
      assert.deepStrictEqual((yield* counting.accounts).map((a) => a.id), ["150001", "150002", "150003"])
      const added = [...(yield* Stream.runCollect(counting.fetch({ id: "150003", name: "Acme New", currency: "GBP", timeZone: "UTC" }, { start: "2024-05-01", end: "2024-05-31" })))]
      assert.deepStrictEqual(added.map((r) => (r._tag === "SourceRecord" ? r.campaignId : r.reason)), ["830001"])
    }).pipe(Effect.ensuring(Effect.sync(() => [dir, spillFolder].forEach((d) => rmSync(d, { recursive: true, force: true })))))
  })

  it.effect("a later export restates an earlier one's rows for the same campaign and day; segments within one export are all kept", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
    const header = `"AccountId","AccountName","CampaignId","CampaignName","CampaignStatus","TimePeriod","Impressions","Clicks","Spend","Conversions","Revenue","CurrencyCode"`
    const row = (campaign: string, day: string, impressions: number, spend: string) => `"150001","Acme Bing","${campaign}","C${campaign}","Active","${day}","${impressions}","1","${spend}","0","0.00","EUR"`
    // The first version: campaign 1 in two device segments on May 1, campaign 2 on May 1 and 2.
    writeFileSync(path.join(dir, "report_2024-05-03T0800.csv"), [header, row("1", "2024-05-01", 100, "1.00"), row("1", "2024-05-01", 50, "0.50"), row("2", "2024-05-01", 70, "0.70"), row("2", "2024-05-02", 80, "0.80")].join("\n") + "\n")
    // A restated version dropped beside it: campaign 1's May 1 in three segments, campaign 2's May 2 revised.
    writeFileSync(path.join(dir, "report_2024-05-04T0800.csv"), [header, row("1", "2024-05-01", 60, "0.60"), row("1", "2024-05-01", 60, "0.60"), row("1", "2024-05-01", 60, "0.60"), row("2", "2024-05-02", 90, "0.90")].join("\n") + "\n")
    const exports = makeMicrosoftAdsSource({ folder: dir, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder: spillRoot })
    return Effect.gen(function* () {
      const [account] = yield* exports.accounts
      const fetchAll = Stream.runCollect(exports.fetch(account!, { start: "2024-05-01", end: "2024-05-31" })).pipe(
        Effect.map((chunk) => [...chunk].flatMap((r) => (r._tag === "SourceRecord" ? [`${r.campaignId} ${r.date} ${r.metrics.impressions}`] : [])))
      )
      const kept = yield* fetchAll
      assert.deepStrictEqual(kept, ["2 2024-05-01 70", "1 2024-05-01 60", "1 2024-05-01 60", "1 2024-05-01 60", "2 2024-05-02 90"])
      // The same files give the same answer every time.
      assert.deepStrictEqual(yield* fetchAll, kept)
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  })

  it.effect("an account whose every row is malformed is listed by its id, its rows quarantined with their reasons; one whose first row is, by its first valid row", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
    const good = readFileSync(path.join(folder, "campaign_performance_2024-05.csv"), "utf8")
    const brokenRow = `"150009","Acme Broken","890001","X","Active","2024-05-01","many","1","1.00","0","0.00","EUR"`
    // An account whose first row is malformed is still named by its first valid one.
    const lateGood = [`"150008","Acme Late","880001","Y","Active","2024-05-01","ten","1","1.00","0","0.00","GBP"`, `"150008","Acme Late","880001","Y","Active","2024-05-02","10","1","1.00","0","0.00","GBP"`]
    writeFileSync(path.join(dir, "report.csv"), `${good}${[brokenRow, ...lateGood].join("\n")}\n`)
    const withBroken = makeMicrosoftAdsSource({ folder: dir, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder: spillRoot })
    return Effect.gen(function* () {
      const accounts = yield* withBroken.accounts
      assert.deepStrictEqual(accounts.find((a) => a.id === "150008"), { id: "150008", name: "Acme Late", currency: "GBP", timeZone: "UTC" })
      const broken = accounts.find((a) => a.id === "150009")
      assert.deepStrictEqual(broken, { id: "150009", name: "150009", currency: "", timeZone: "UTC" })
      const records = [...(yield* Stream.runCollect(withBroken.fetch(broken!, { start: "2024-05-01", end: "2024-05-31" })))]
      assert.deepStrictEqual(records.map((r) => r._tag), ["RejectedRecord"])
      assert.include(records.map((r) => (r._tag === "RejectedRecord" ? r.reason : "")).join(), "Impressions")
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  })

  it.effect("an export that cannot be parsed fails the listing, naming the file, and leaves nothing set aside", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
    const spillFolder = mkdtempSync(path.join(os.tmpdir(), "mdp-spill-"))
    const good = readFileSync(path.join(folder, "campaign_performance_2024-05.csv"), "utf8")
    writeFileSync(path.join(dir, "broken.csv"), `${good}"150001","Acme Bing","810001"\n`)
    const broken = makeMicrosoftAdsSource({ folder: dir, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(broken.accounts)
      assert.strictEqual(error._tag, "SourceError")
      assert.include(error.message, "broken.csv")
      assert.deepStrictEqual(readdirSync(spillFolder), [])
      // A folder that cannot be made: its parent is a file.
      const notAFolder = path.join(dir, "broken.csv", "rows")
      const nowhere = makeMicrosoftAdsSource({ folder, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder: notAFolder })
      assert.include((yield* Effect.flip(nowhere.accounts)).message, `could not set the export's rows aside in ${notAFolder}`)
    }).pipe(Effect.ensuring(Effect.sync(() => [dir, spillFolder].forEach((d) => rmSync(d, { recursive: true, force: true })))))
  })

  it("rows set aside are removed when the process exits, and a killed process's by the next listing", () => {
    const spillFolder = mkdtempSync(path.join(os.tmpdir(), "mdp-spill-"))
    try {
      // No process has this id (above Linux's largest): its folder is what a killed run leaves.
      const abandoned = path.join(spillFolder, "mdp-export-rows-99999999-abcdef")
      mkdirSync(abandoned)
      writeFileSync(path.join(abandoned, "0.ndjson"), "{}\n")
      const script = [
        `import { Effect, Stream } from "effect"`,
        `import { makeMicrosoftAdsSource } from ${JSON.stringify(path.resolve(import.meta.dirname, "../ingestion/sources/microsoft_ads/source.ts"))}`,
        `import { readdirSync } from "node:fs"`,
        `const source = makeMicrosoftAdsSource({ folder: ${JSON.stringify(folder)}, format: "csv", timeZone: "UTC", lookbackDays: 7, spillFolder: ${JSON.stringify(spillFolder)} })`,
        `const accounts = await Effect.runPromise(source.accounts)`,
        `const records = await Effect.runPromise(Stream.runCollect(source.fetch(accounts[0], { start: "2024-05-01", end: "2024-05-31" })))`,
        `console.log(JSON.stringify({ records: [...records].length, during: readdirSync(${JSON.stringify(spillFolder)}) }))`
      ].join("\n")
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: path.resolve(import.meta.dirname, ".."), encoding: "utf8" })
      const { records, during } = JSON.parse(output) as { records: number; during: Array<string> }
      assert.isAbove(records, 0)
      assert.strictEqual(during.length, 1)
      assert.notInclude(during, "mdp-export-rows-99999999-abcdef")
      assert.deepStrictEqual(readdirSync(spillFolder), [])
    } finally {
      rmSync(spillFolder, { recursive: true, force: true })
    }
  })
})

describe("settings", () => {
  const withFile = (content: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-settings-"))
    const file = path.join(dir, "settings.yaml")
    writeFileSync(file, content)
    return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
  }

  it.effect("no settings file means the sample sources", () =>
    Effect.gen(function* () {
      const settings = yield* readSettings("/nonexistent/settings.yaml", false)
      assert.deepStrictEqual((yield* sourcesFrom(settings, "/")).map((s) => s.name), SAMPLE_PLATFORMS)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("an unknown or invalid key is rejected with its name", () =>
    Effect.gen(function* () {
      const typo = withFile("sources:\n  google_adz:\n    customer_ids: []\n")
      assert.include((yield* Effect.flip(readSettings(typo.file, true))).message, "google_adz")
      typo.cleanup()
      const bad = withFile("sources:\n  google_ads:\n    customer_ids: ['12-34']\n")
      assert.include((yield* Effect.flip(readSettings(bad.file, true))).message, "customer_ids")
      bad.cleanup()
      const noRows = withFile("sources:\n  google_ads:\n    customer_ids: ['123-456-7890']\n    rows_per_request: 0\n")
      assert.include((yield* Effect.flip(readSettings(noRows.file, true))).message, "rows_per_request")
      noRows.cleanup()
      const rows = withFile("sources:\n  google_ads:\n    customer_ids: ['123-456-7890']\n    rows_per_request: 50000\n")
      const sources: Readonly<Record<string, unknown>> = (yield* readSettings(rows.file, true)).sources ?? {}
      assert.deepInclude(sources["google_ads"], { rows_per_request: 50000 })
      rows.cleanup()
      const memory = withFile("duckdb:\n  memory_limit: lots\n")
      assert.include((yield* Effect.flip(readSettings(memory.file, true))).message, "memory_limit")
      memory.cleanup()
      const limits = withFile("duckdb:\n  memory_limit: 3GB\n  temp_directory: data/spill\n")
      assert.deepStrictEqual(warehouseLimits(yield* readSettings(limits.file, true)), { memoryLimit: "3GB", tempDirectory: path.join(repositoryRoot, "data", "spill") })
      limits.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a live source without its secrets fails at start naming the variable, and never prints a secret", () =>
    Effect.gen(function* () {
      const live = withFile("sources:\n  sample: { enabled: false }\n  google_ads:\n    customer_ids: ['123-456-7890']\n")
      const settings = yield* readSettings(live.file, true)
      const error = yield* Effect.flip(
        sourcesFrom(settings, "/").pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ GOOGLE_ADS_CLIENT_ID: "id", GOOGLE_ADS_CLIENT_SECRET: "shh-secret" })))
      )
      assert.include(error.message, "GOOGLE_ADS_DEVELOPER_TOKEN")
      assert.notInclude(error.message, "shh-secret")
      live.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("every live source's missing secrets are named at once", () =>
    Effect.gen(function* () {
      const live = withFile("sources:\n  sample: { enabled: false }\n  google_ads:\n    customer_ids: ['123-456-7890']\n  meta_ads:\n    account_ids: ['act_1']\n  tiktok_ads:\n    advertiser_ids: ['7012345678901234567']\n")
      const error = yield* Effect.flip(
        sourcesFrom(yield* readSettings(live.file, true), "/").pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ GOOGLE_ADS_CLIENT_ID: "id" })))
      )
      assert.include(error.message, "GOOGLE_ADS_CLIENT_SECRET, GOOGLE_ADS_DEVELOPER_TOKEN, GOOGLE_ADS_REFRESH_TOKEN (sources.google_ads); META_ACCESS_TOKEN (sources.meta_ads); TIKTOK_ACCESS_TOKEN (sources.tiktok_ads)")
      live.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("the sample can stand in for some platforms only, beside a live source of another; an unknown platform is refused with the known ones", () =>
    Effect.gen(function* () {
      const mixed = withFile("sources:\n  sample: { platforms: [google_ads, tiktok_ads] }\n  meta_ads:\n    account_ids: ['act_1']\n")
      const sources = yield* sourcesFrom(yield* readSettings(mixed.file, true), "/").pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ META_ACCESS_TOKEN: "token" }))
      )
      assert.deepStrictEqual(sources.map((source) => source.name), ["google_ads", "tiktok_ads", "meta_ads"])
      mixed.cleanup()
      const clash = withFile("sources:\n  sample: { platforms: [google_ads, meta_ads] }\n  meta_ads:\n    account_ids: ['act_1']\n")
      const error = yield* Effect.flip(sourcesFrom(yield* readSettings(clash.file, true), "/"))
      assert.include(error.message, "leave meta_ads out of its platforms")
      clash.cleanup()
      const unknown = withFile("sources:\n  sample: { platforms: [myspace_ads] }\n")
      const refused = (yield* Effect.flip(readSettings(unknown.file, true))).message
      assert.include(refused, `["sources"]["sample"]["platforms"][0]`)
      assert.include(refused, '"tiktok_ads"', "the platforms it may name are listed")
      unknown.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("Microsoft Advertising reads a folder of exports with no secret, or its Reporting API with three", () =>
    Effect.gen(function* () {
      const exports = withFile("sources:\n  sample: { enabled: false }\n  microsoft_ads:\n    folder: data/inbox/microsoft_ads\n")
      assert.deepStrictEqual((yield* sourcesFrom(yield* readSettings(exports.file, true), "/")).map((source) => [source.name, source.lookbackDays]), [["microsoft_ads", 7]])
      exports.cleanup()
      const api = withFile("sources:\n  sample: { enabled: false }\n  microsoft_ads:\n    customer_id: '251000000'\n    account_ids: ['180012345']\n    time_zone: Europe/Amsterdam\n")
      const missing = yield* Effect.flip(
        sourcesFrom(yield* readSettings(api.file, true), "/").pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ MICROSOFT_ADS_CLIENT_ID: "id" })))
      )
      assert.include(missing.message, "MICROSOFT_ADS_REFRESH_TOKEN, MICROSOFT_ADS_DEVELOPER_TOKEN (sources.microsoft_ads)")
      const made = yield* sourcesFrom(yield* readSettings(api.file, true), "/").pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ MICROSOFT_ADS_CLIENT_ID: "id", MICROSOFT_ADS_REFRESH_TOKEN: "r", MICROSOFT_ADS_DEVELOPER_TOKEN: "d" }))
      )
      assert.deepStrictEqual(made.map((source) => [source.name, source.lookbackDays]), [["microsoft_ads", 30]])
      api.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a TikTok section with its token makes the live TikTok source with the section's look-back; a bad advertiser id names the key", () =>
    Effect.gen(function* () {
      const live = withFile("sources:\n  sample: { enabled: false }\n  tiktok_ads:\n    advertiser_ids: ['7012345678901234567']\n    lookback_days: 10\n")
      const sources = yield* sourcesFrom(yield* readSettings(live.file, true), "/").pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ TIKTOK_ACCESS_TOKEN: "token" }))
      )
      assert.deepStrictEqual(sources.map((source) => [source.name, source.lookbackDays]), [["tiktok_ads", 10]])
      live.cleanup()
      const bad = withFile("sources:\n  sample: { enabled: false }\n  tiktok_ads:\n    advertiser_ids: ['act_12']\n")
      const error = yield* Effect.flip(Effect.flatMap(readSettings(bad.file, true), (settings) => sourcesFrom(settings, "/")))
      assert.include(error.message, "tiktok_ads")
      bad.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("the sample and a live source of the same platform cannot both be on", () =>
    Effect.gen(function* () {
      const both = withFile("sources:\n  sample: { enabled: true }\n  meta_ads:\n    account_ids: ['123']\n")
      const error = yield* Effect.flip(sourcesFrom(yield* readSettings(both.file, true), "/"))
      assert.include(error.message, "sources.sample")
      both.cleanup()
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
