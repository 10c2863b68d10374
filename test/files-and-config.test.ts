import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Stream } from "effect"
import { readSettings, sourcesFrom } from "../ingestion/config.ts"
import type { SourceRecord } from "../ingestion/core/model.ts"
import { makeFileSource } from "../ingestion/sources/files/source.ts"
import { makeMicrosoftAdsSource, microsoftAdsDefinition } from "../ingestion/sources/microsoft_ads/source.ts"

const folder = path.join(import.meta.dirname, "fixtures", "microsoft_ads")
const source = makeMicrosoftAdsSource({ folder, format: "csv", timeZone: "UTC", lookbackDays: 7 })

describe("file export source (Microsoft Advertising)", () => {
  it.effect("finds accounts in the export and streams one account's window, quarantining bad rows", () =>
    Effect.gen(function* () {
      const accounts = yield* source.accounts
      assert.deepStrictEqual(accounts.map((a) => [a.id, a.currency]), [["150001", "EUR"], ["150002", "USD"]])
      const first = [...(yield* Stream.runCollect(source.fetch(accounts[0]!, { start: "2024-05-01", end: "2024-05-01" })))]
      const good = first.filter((r): r is SourceRecord => r._tag === "SourceRecord")
      assert.deepStrictEqual(good.map((r) => [r.campaignId, r.date, r.metrics.spend]), [["810001", "2024-05-01", 61.2]])
      const reasons = first.flatMap((r) => (r._tag === "RejectedRecord" ? [r.reason] : []))
      assert.strictEqual(reasons.length, 2)
      assert.include(reasons.join("\n"), "clicks (900) exceed impressions (800)")
      assert.include(reasons.join("\n"), "names no account")
      const second = [...(yield* Stream.runCollect(source.fetch(accounts[1]!, { start: "2024-05-01", end: "2024-05-31" })))]
      assert.strictEqual(second.filter((r) => r._tag === "SourceRecord").length, 1)
      assert.include(second.flatMap((r) => (r._tag === "RejectedRecord" ? [r.reason] : [])).join(), "TimePeriod")
    }))

  it.effect("reads the export once to list the accounts and once per account, again only when a file changes", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
    const file = path.join(dir, "report.csv")
    writeFileSync(file, readFileSync(path.join(folder, "campaign_performance_2024-05.csv")))
    let mapped = 0
    const counting = makeFileSource({ ...microsoftAdsDefinition, toRecord: (row) => (mapped++, microsoftAdsDefinition.toRecord(row)) }, { folder: dir, format: "csv", timeZone: "UTC", lookbackDays: 7 })
    return Effect.gen(function* () {
      const accounts = yield* counting.accounts
      const perPass = mapped
      assert.isAbove(perPass, 0)
      yield* Stream.runDrain(counting.fetch(accounts[0]!, { start: "2024-05-01", end: "2024-05-31" }))
      yield* Stream.runDrain(counting.fetch(accounts[1]!, { start: "2024-05-01", end: "2024-05-31" }))
      // The listing's pass, then each account's own rows: no second listing.
      assert.strictEqual(mapped, perPass + perPass)
      appendFileSync(file, '"150003","Acme New","830001","New","Active","2024-05-03","10","1","1.00","0","0.00","GBP"\n')
      assert.deepStrictEqual((yield* counting.accounts).map((a) => a.id), ["150001", "150002", "150003"])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
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
      assert.deepStrictEqual((yield* sourcesFrom(settings, "/")).map((s) => s.name), ["google_ads", "meta_ads"])
    }))

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
      assert.strictEqual((yield* readSettings(rows.file, true)).sources?.google_ads?.rows_per_request, 50000)
      rows.cleanup()
    }))

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
    }))

  it.effect("the sample and a live source of the same platform cannot both be on", () =>
    Effect.gen(function* () {
      const both = withFile("sources:\n  sample: { enabled: true }\n  meta_ads:\n    account_ids: ['123']\n")
      const error = yield* Effect.flip(sourcesFrom(yield* readSettings(both.file, true), "/"))
      assert.include(error.message, "sources.sample")
      both.cleanup()
    }))
})
