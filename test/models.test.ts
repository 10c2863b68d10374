import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { dataformVars } from "../app/settings.ts"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { ingest } from "../ingestion/ingest.ts"
import { ensureRawTables, loadRawZone, loadReferenceRates } from "../app/load.ts"
import { makeSampleSources } from "../ingestion/sources/sample/source.ts"
import { compileProject } from "../runner/compile.ts"
import type { ActionResult } from "../runner/execute.ts"
import { readIncrementalSpecs, runIncrementalCase } from "../runner/model-tests.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse, type Row } from "../runner/warehouse.ts"
import { localRawZone, localWarehouse } from "./support/local-layers.ts"
import { googlePayload, metaPayload, rawRow } from "./support/raw-rows.ts"
import { onlyPlatformsVars } from "./support/platform-subset.ts"

const repository = path.resolve(import.meta.dirname, "..")
const ratesFile = path.join(repository, "ingestion", "reference", "fx_rates.csv")
// Freshness is measured against as_of, never today: a week after the fixture's last day.
// The models' arithmetic, on Google's, Meta's and Microsoft's rows: the other platforms' models are off.
const vars = { as_of: "2024-05-09", ...onlyPlatformsVars(["google_ads", "meta_ads", "microsoft_ads"]) }

const usdPerEur = (month: string): number => {
  const line = readFileSync(ratesFile, "utf8").split("\n").find((l) => l.startsWith(`${month},USD,`))
  return Number(line!.split(",")[2])
}

const fixture = [
  rawRow("google_ads", "r1", "2024-05-03 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "1000", clicks: "50", costMicros: "25000000", conversions: 2, conversionsValue: 100 })),
  // Re-ingested two days later with matured conversions: the later ingestion wins.
  rawRow("google_ads", "r2", "2024-05-05 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "1000", clicks: "50", costMicros: "25000000", conversions: 3, conversionsValue: 150 })),
  // A day without delivery: proto3 omits every zero metric.
  rawRow("google_ads", "r2", "2024-05-05 08:00:00+00", "111", "1", "2024-05-02", googlePayload("2024-05-02", "EUR", {})),
  rawRow("meta_ads", "r3", "2024-05-03 09:00:00+00", "222", "9", "2024-05-01", metaPayload("2024-05-01", {
    impressions: "2000", clicks: "55", inline_link_clicks: "40", spend: "30.00",
    actions: [{ action_type: "link_click", value: "40" }, { action_type: "omni_purchase", value: "2" }, { action_type: "offsite_conversion.fb_pixel_purchase", value: "2" }],
    action_values: [{ action_type: "omni_purchase", value: "90.00" }, { action_type: "offsite_conversion.fb_pixel_purchase", value: "90.00" }]
  })),
  rawRow("meta_ads", "r3", "2024-05-03 09:00:00+00", "222", "9", "2024-05-02", metaPayload("2024-05-02", { impressions: "500", clicks: "3", inline_link_clicks: "0", spend: "10.00" }))
]

const setUp = (extra: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    yield* ensureRawTables(KNOWN_PLATFORMS)
    yield* loadReferenceRates(ratesFile)
    yield* (yield* Warehouse).run([...fixture, ...extra])
  })

/** Loads raw rows and runs a transform, which must succeed and run `incrementalAction` incrementally. */
const loadAndTransform = (statements: ReadonlyArray<string>, incrementalAction: string) =>
  Effect.gen(function* () {
    yield* (yield* Warehouse).run(statements)
    const summary = yield* transform({ projectDir: repository, vars })
    assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded"), null, 2))
    assert.strictEqual(summary.results.find((r) => r.action === incrementalAction)?.mode, "incremental")
  })

const query = (sql: string) =>
  Effect.gen(function* () {
    return yield* (yield* Warehouse).query(sql)
  })

const close = (actual: unknown, expected: number | null, message: string) => {
  if (expected === null) return assert.isNull(actual, message)
  assert.closeTo(Number(actual), expected, 1e-9, message)
}

const failedActions = (results: ReadonlyArray<ActionResult>) => results.filter((r) => r.status === "failed").map((r) => r.action)

describe("marketing models on the local runner", () => {
  it.effect("KPIs match hand-computed values, with zero denominators and two currencies", () =>
    Effect.gen(function* () {
      yield* setUp()
      const summary = yield* transform({ projectDir: repository, vars })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded"), null, 2))
      const rows = yield* query("SELECT * FROM marts.campaign_performance_daily ORDER BY platform, date")
      assert.strictEqual(rows.length, 4)
      const [googleDay1, googleDay2, metaDay1, metaDay2] = rows as [Row, Row, Row, Row]

      // Google, EUR account, the re-ingested version: 1000 impressions, 50 clicks, 25.00 spend, 3 conversions worth 150.
      assert.deepInclude(googleDay1, { platform: "google_ads", currency: "EUR", impressions: 1000, clicks: 50, campaign_status: "active", reporting_currency: "EUR" })
      close(googleDay1["spend"], 25, "spend")
      close(googleDay1["conversions"], 3, "conversions: the later ingestion wins")
      close(googleDay1["ctr"], 0.05, "ctr")
      close(googleDay1["cpc"], 0.5, "cpc")
      close(googleDay1["cpm"], 25, "cpm")
      close(googleDay1["cpa"], 25 / 3, "cpa")
      close(googleDay1["roas"], 6, "roas")
      close(googleDay1["spend_reporting"], 25, "EUR to EUR")
      // No delivery: zeros, and every ratio NULL.
      assert.deepInclude(googleDay2, { impressions: 0, clicks: 0, spend: 0, ctr: null, cpc: null, cpm: null, cpa: null, roas: null })

      // Meta, USD account: link clicks, and only the allow-listed purchase type (not also the pixel one).
      const rate = usdPerEur("2024-05-01")
      assert.deepInclude(metaDay1, { platform: "meta_ads", currency: "USD", impressions: 2000, clicks: 40, reporting_currency: "EUR" })
      close(metaDay1["conversions"], 2, "conversions from the allow-list only")
      close(metaDay1["conversion_value"], 90, "conversion value from the allow-list only")
      close(metaDay1["cpa"], 15, "cpa")
      close(metaDay1["roas"], 3, "roas")
      close(metaDay1["spend_reporting"], 30 / rate, "USD converted at May's rate")
      close(metaDay1["conversion_value_reporting"], 90 / rate, "value converted too")
      // Spend without clicks or conversions: cpc and cpa NULL, roas 0.
      assert.deepInclude(metaDay2, { clicks: 0, conversions: 0, cpc: null, cpa: null })
      close(metaDay2["roas"], 0, "roas with spend and no value")
      close(metaDay2["cpm"], 20, "cpm")

      // The platform mart computes ratios from sums, not averages of ratios.
      const [metaTotal] = yield* query(
        "SELECT SUM(impressions) AS i, SUM(spend_reporting) AS s FROM marts.platform_performance_daily WHERE platform = 'meta_ads'"
      )
      close(metaTotal!["i"], 2500, "impressions")
      close(metaTotal!["s"], 40 / rate, "spend in EUR")
      const campaigns = yield* query("SELECT platform, campaign_name, first_active_date, last_active_date, attribute_versions FROM marts.campaigns ORDER BY platform")
      assert.deepStrictEqual(campaigns, [
        { platform: "google_ads", campaign_name: "Brand", first_active_date: "2024-05-01", last_active_date: "2024-05-01", attribute_versions: 1 },
        { platform: "meta_ads", campaign_name: "Prospecting", first_active_date: "2024-05-01", last_active_date: "2024-05-02", attribute_versions: 1 }
      ])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a campaign takes its account's name and currency from its latest day", () =>
    Effect.gen(function* () {
      yield* setUp([
        rawRow("meta_ads", "r4", "2024-05-04 09:00:00+00", "222", "9", "2024-05-03", metaPayload("2024-05-03", { account_name: "Acme United States", impressions: "10", inline_link_clicks: "1", spend: "1.00" }))
      ])
      const summary = yield* transform({ projectDir: repository, vars })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded"), null, 2))
      assert.deepStrictEqual(yield* query("SELECT platform, account_name, currency FROM marts.campaigns ORDER BY platform"), [
        { platform: "google_ads", account_name: "Acme EU", currency: "EUR" },
        { platform: "meta_ads", account_name: "Acme United States", currency: "USD" }
      ])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("broken data fails the assertion that guards against it, and only that one", () =>
    Effect.gen(function* () {
      yield* setUp([
        // A currency that is not an ISO code, and more clicks than impressions, which Google
        // documents as legitimate (clicks can be counted on days without an impression): no failure.
        rawRow("google_ads", "r9", "2024-05-06 08:00:00+00", "111", "7", "2024-05-01", googlePayload("2024-05-01", "euro", { impressions: "10", clicks: "50", costMicros: "1000000" }))
      ])
      const summary = yield* transform({ projectDir: repository, vars })
      assert.isFalse(summary.ok)
      assert.sameMembers(failedActions(summary.results), [
        // Without a rate for "euro", the converted money is NULL.
        "mdp_assertions.marts_campaign_performance_daily_assertions_rowConditions",
        "mdp_assertions.campaign_performance_daily_currencies"
      ])
      const rowConditions = summary.results.find((r) => r.action === "mdp_assertions.marts_campaign_performance_daily_assertions_rowConditions")!
      assert.notInclude(JSON.stringify(rowConditions.sample), "clicks <= impressions")
      assert.include(JSON.stringify(rowConditions.sample), "spend_reporting IS NOT NULL")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("by default a purchase Meta reports only as omni_purchase counts, as Ads Manager's Purchases column does", () =>
    Effect.gen(function* () {
      yield* setUp([
        rawRow("meta_ads", "r5", "2024-05-05 09:00:00+00", "222", "9", "2024-05-03", metaPayload("2024-05-03", {
          impressions: "300", spend: "4.00",
          actions: [{ action_type: "omni_purchase", value: "5" }],
          action_values: [{ action_type: "omni_purchase", value: "120.00" }]
        }))
      ])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const [day] = yield* query("SELECT conversions, conversion_value FROM marts.campaign_performance_daily WHERE platform = 'meta_ads' AND date = DATE '2024-05-03'")
      close(day!["conversions"], 5, "omni_purchase counted")
      close(day!["conversion_value"], 120, "its value too")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a conversion allow-list of several types reaches the models from the settings", () =>
    Effect.gen(function* () {
      yield* setUp()
      // Listing both purchase types counts Meta's one purchase twice: what the setting asks for.
      const settingsVars = dataformVars({ models: { meta_conversion_action_types: ["offsite_conversion.fb_pixel_purchase", "omni_purchase"] } })
      const summary = yield* transform({ projectDir: repository, vars: { ...vars, ...settingsVars } })
      assert.isTrue(summary.ok)
      const [meta] = yield* query("SELECT conversions, conversion_value FROM marts.campaign_performance_daily WHERE platform = 'meta_ads' AND date = DATE '2024-05-01'")
      close(meta!["conversions"], 4, "both allow-listed types")
      close(meta!["conversion_value"], 180, "both allow-listed values")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("stale data is a warning by default, and fails the run past a platform's error threshold", () =>
    Effect.gen(function* () {
      yield* setUp()
      const freshness = () => query("SELECT platform, newest_day, days_old, warn_after_days, error_after_days, status FROM marts.platform_freshness ORDER BY platform")
      // Both platforms' newest day is 2024-05-02: 7 days before as_of, past the default warn_after_days of 3.
      const warned = yield* transform({ projectDir: repository, vars })
      assert.isTrue(warned.ok, JSON.stringify(failedActions(warned.results)))
      assert.deepStrictEqual(yield* freshness(), [
        { platform: "google_ads", newest_day: "2024-05-02", days_old: 7, warn_after_days: 3, error_after_days: null, status: "warn" },
        { platform: "meta_ads", newest_day: "2024-05-02", days_old: 7, warn_after_days: 3, error_after_days: null, status: "warn" }
      ])
      const settingsVars = dataformVars({ models: { freshness: { warn_after_days: 10, error_after_days: 30, platforms: { meta_ads: { error_after_days: 6 } } } } })
      const failed = yield* transform({ projectDir: repository, vars: { ...vars, ...settingsVars } })
      assert.deepStrictEqual(failedActions(failed.results), ["mdp_assertions.campaign_performance_daily_freshness"])
      assert.deepStrictEqual(yield* freshness(), [
        { platform: "google_ads", newest_day: "2024-05-02", days_old: 7, warn_after_days: 10, error_after_days: 30, status: "ok" },
        { platform: "meta_ads", newest_day: "2024-05-02", days_old: 7, warn_after_days: 10, error_after_days: 6, status: "error" }
      ])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a late revision, a late load of an older run and a segmented run reach the marts on the next run, with no var", () =>
    Effect.gen(function* () {
      yield* setUp([rawRow("google_ads", "r4", "2024-07-16 08:00:00+00", "111", "1", "2024-07-15", googlePayload("2024-07-15", "EUR", { impressions: "10" }))])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const may1 = (platform = "google_ads") =>
        query(`SELECT campaign_id, impressions, conversions FROM marts.campaign_performance_daily WHERE platform = '${platform}' AND date = DATE '2024-05-01' ORDER BY campaign_id`)
      const platformDay = () => query("SELECT impressions, conversions FROM marts.platform_performance_daily WHERE platform = 'google_ads' AND date = DATE '2024-05-01'")
      const run = (statements: ReadonlyArray<string>) => loadAndTransform(statements, "marts.campaign_performance_daily")

      // A revision of 2024-05-01 ten weeks later (7 conversions instead of 3), far from the mart's last day.
      yield* run([rawRow("google_ads", "r5", "2024-07-17 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "1000", clicks: "50", costMicros: "25000000", conversions: 7, conversionsValue: 150 }))])
      assert.deepStrictEqual(yield* may1(), [{ campaign_id: "1", impressions: 1000, conversions: 7 }])
      assert.deepStrictEqual(yield* platformDay(), [{ impressions: 1000, conversions: 7 }], "the platform mart follows")

      // A run ingested before r5 but loaded after it was transformed: its new campaign arrives, its
      // older numbers for campaign 1 do not replace r5's.
      yield* run([
        rawRow("google_ads", "r_late", "2024-07-10 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "999", conversions: 99 })),
        rawRow("google_ads", "r_late", "2024-07-10 08:00:00+00", "111", "2", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "40", conversions: 1 }, { id: "2", name: "Generic" }))
      ])
      assert.deepStrictEqual(yield* may1(), [{ campaign_id: "1", impressions: 1000, conversions: 7 }, { campaign_id: "2", impressions: 40, conversions: 1 }])
      assert.deepStrictEqual(yield* platformDay(), [{ impressions: 1040, conversions: 8 }])

      // A newer run reporting campaign 1 in two segments (devices): summed, and replacing r5.
      yield* run([
        rawRow("google_ads", "r6", "2024-07-18 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "600", conversions: 4 })),
        rawRow("google_ads", "r6", "2024-07-18 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "500", conversions: 4.5 }))
      ])
      assert.deepStrictEqual(yield* may1(), [{ campaign_id: "1", impressions: 1100, conversions: 8.5 }, { campaign_id: "2", impressions: 40, conversions: 1 }])
      const [staged] = yield* query("SELECT segments, run_id FROM staging.stg_google_ads__campaign_daily WHERE campaign_id = '1' AND date = DATE '2024-05-01'")
      assert.deepStrictEqual(staged, { segments: 2, run_id: "r6" })
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a re-fetch that finds a day unchanged keeps its values and stamp under the newer run, so a later load of an older run does not win", () =>
    Effect.gen(function* () {
      yield* setUp()
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const staged = () => query("SELECT run_id, impressions, conversions, changed_at FROM staging.stg_google_ads__campaign_daily WHERE campaign_id = '1' AND date = DATE '2024-05-01'")
      const run = (statements: ReadonlyArray<string>) => loadAndTransform(statements, "staging.stg_google_ads__campaign_daily")
      const [before] = yield* staged()

      // r2's record again, under a run two days later: the row keeps its values and stamp, under r7.
      const r2 = googlePayload("2024-05-01", "EUR", { impressions: "1000", clicks: "50", costMicros: "25000000", conversions: 3, conversionsValue: 150 })
      yield* run([rawRow("google_ads", "r7", "2024-05-07 08:00:00+00", "111", "1", "2024-05-01", r2)])
      assert.deepStrictEqual(yield* staged(), [{ ...before!, run_id: "r7" }])

      // A run that started between r2 and r7, loaded last: r7's numbers stand.
      yield* run([rawRow("google_ads", "r6", "2024-05-06 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "10", conversions: 9 }))])
      assert.deepStrictEqual(yield* staged(), [{ ...before!, run_id: "r7" }])
      const [day] = yield* query("SELECT impressions, conversions FROM marts.campaign_performance_daily WHERE platform = 'google_ads' AND date = DATE '2024-05-01'")
      assert.deepStrictEqual(day, { impressions: 1000, conversions: 3 })
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a corrected FX rate re-converts exactly the month it belongs to", () =>
    Effect.gen(function* () {
      yield* setUp([
        rawRow("meta_ads", "r4", "2024-07-16 09:00:00+00", "222", "9", "2024-06-03", metaPayload("2024-06-03", { impressions: "100", spend: "10.00" }))
      ])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const spendReporting = () => query("SELECT date, spend_reporting FROM marts.campaign_performance_daily WHERE platform = 'meta_ads' ORDER BY date")
      const before = yield* spendReporting()
      yield* (yield* Warehouse).run(["UPDATE reference.fx_rates SET units_per_eur = 2 WHERE currency = 'USD' AND month = DATE '2024-06-01'"])
      const corrected = yield* transform({ projectDir: repository, vars })
      assert.isTrue(corrected.ok)
      const after = yield* spendReporting()
      assert.deepStrictEqual(after.slice(0, 2), before.slice(0, 2), "May's rows keep May's rate")
      assert.deepStrictEqual(after[2], { date: "2024-06-03", spend_reporting: 5 }, "June's row at the corrected rate")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a month after the newest FX rate takes that rate, and a correction of it re-converts the later months", () =>
    Effect.gen(function* () {
      // The sample rates end in 2027-12: February 2028 has no rate of its own yet.
      yield* setUp([rawRow("meta_ads", "r4", "2028-02-11 09:00:00+00", "222", "9", "2028-02-10", metaPayload("2028-02-10", { impressions: "100", spend: "10.00" }))])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const february = () => query("SELECT spend_reporting FROM marts.campaign_performance_daily WHERE date = DATE '2028-02-10'").pipe(Effect.map((rows) => Number(rows[0]!["spend_reporting"])))
      close(yield* february(), 10 / usdPerEur("2027-12-01"), "December 2027's rate, the newest")
      yield* (yield* Warehouse).run(["UPDATE reference.fx_rates SET units_per_eur = 2.5 WHERE currency = 'USD' AND month = DATE '2027-12-01'"])
      const corrected = yield* transform({ projectDir: repository, vars })
      assert.isTrue(corrected.ok)
      assert.strictEqual(corrected.results.find((r) => r.action === "marts.campaign_performance_daily")?.mode, "incremental")
      close(yield* february(), 4, "re-converted at the corrected newest rate")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("each run's view of a campaign is its latest day's name, whatever order the runs were ingested in", () =>
    Effect.gen(function* () {
      const renamed = (run: string, ingestedAt: string, date: string, name: string) =>
        rawRow("google_ads", run, ingestedAt, "111", "5", date, googlePayload(date, "EUR", { impressions: "10" }, { id: "5", name }))
      yield* setUp([
        // Renamed on the 2nd: the run's view is its latest day's name.
        renamed("r7", "2024-05-03 08:00:00+00", "2024-05-02", "Summer sale"),
        renamed("r7", "2024-05-03 08:00:00+00", "2024-05-01", "Summer"),
        // Two runs started at the same moment: the greater run id wins the tie.
        renamed("r8", "2024-05-04 08:00:00+00", "2024-05-02", "Summer sale (r8)"),
        renamed("r9", "2024-05-04 08:00:00+00", "2024-05-02", "Summer sale (r9)"),
        // A later run that re-fetched only the 1st sees the name on that day.
        renamed("r10", "2024-05-05 08:00:00+00", "2024-05-01", "Summer")
      ])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      assert.deepStrictEqual(
        yield* query("SELECT strftime(observed_at, '%d %H') AS observed, campaign_name FROM staging.stg_google_ads__campaign_observations WHERE campaign_id = '5' ORDER BY observed_at"),
        [
          { observed: "03 08", campaign_name: "Summer sale" },
          { observed: "04 08", campaign_name: "Summer sale (r9)" },
          { observed: "05 08", campaign_name: "Summer" }
        ]
      )
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a month missing inside the FX rates converts to NULL, which the mart's not-null check stops", () =>
    Effect.gen(function* () {
      yield* setUp()
      // Later months have USD rates: May is a gap, not a month after the newest rate.
      yield* (yield* Warehouse).run(["DELETE FROM reference.fx_rates WHERE currency = 'USD' AND month = DATE '2024-05-01'"])
      const summary = yield* transform({ projectDir: repository, vars })
      assert.includeMembers(failedActions(summary.results), ["mdp_assertions.marts_campaign_performance_daily_assertions_rowConditions"])
      assert.deepStrictEqual(
        yield* query("SELECT platform, count(*) AS days, count(spend_reporting) AS converted FROM intermediate.int_campaign_daily_converted GROUP BY platform ORDER BY platform"),
        [
          { platform: "google_ads", days: 2, converted: 2 },
          { platform: "meta_ads", days: 2, converted: 0 }
        ]
      )
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a staging model that emits NULL keys fails its assertions and nothing downstream is built on it", () =>
    Effect.gen(function* () {
      yield* setUp()
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const rowsBefore = yield* query("SELECT count(*) AS n FROM marts.campaign_performance_daily")
      // A raw row without a campaign id (as a broken export would give).
      yield* (yield* Warehouse).run([rawRow("meta_ads", "r9", "2024-05-06 09:00:00+00", "222", null, "2024-05-02", metaPayload("2024-05-02", { impressions: "7" }))])
      const downstream = ["intermediate.int_campaign_daily_unioned", "marts.campaign_performance_daily", "marts.platform_performance_daily"]
      for (let attempt = 0; attempt < 2; attempt++) {
        // Incremental: the merge refuses the NULL key, which would never match and be added on every run.
        const summary = yield* transform({ projectDir: repository, vars })
        assert.isFalse(summary.ok)
        const staging = summary.results.find((r) => r.action === "staging.stg_meta_ads__campaign_daily")!
        assert.strictEqual(staging.status, "failed")
        assert.include(staging.error, "have a NULL in the uniqueKey (account_id, campaign_id, date)")
        assert.includeMembers(summary.results.filter((r) => r.status === "skipped").map((r) => r.action), downstream)
      }
      // Rebuilt from scratch (no merge), the staging table takes the row: its not-null assertion
      // fails and stops everything built on it, which keeps its previous version.
      const rebuilt = yield* transform({ projectDir: repository, vars, fullRefresh: true })
      assert.includeMembers(failedActions(rebuilt.results), ["mdp_assertions.staging_stg_meta_ads__campaign_daily_assertions_rowConditions"])
      assert.includeMembers(rebuilt.results.filter((r) => r.status === "skipped").map((r) => r.action), downstream)
      assert.deepStrictEqual(yield* query("SELECT count(*) AS n FROM marts.campaign_performance_daily"), rowsBefore, "the mart is not inflated run after run")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("the grain is checked on the rows changed since it last passed: a violation stays reported until fixed, a rebuild is checked whole", () =>
    Effect.gen(function* () {
      yield* setUp()
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok)
      const checkedUntil = () =>
        query("SELECT max(processed_stamp) AS stamp FROM staging.mdp_checkpoints WHERE model = 'campaign_performance_daily:assertions'").pipe(Effect.map((rows) => rows[0]?.["stamp"] ?? null))
      const firstCheck = yield* checkedUntil()
      assert.isNotNull(firstCheck, "the passing checks recorded how far they reached")
      const uniqueKey = "mdp_assertions.campaign_performance_daily_unique_key"
      const passed = "staging.campaign_performance_daily_assertions_passed"

      // A faulty write after the check: the same key once more, with a newer stamp.
      yield* (yield* Warehouse).run([
        "INSERT INTO marts.campaign_performance_daily SELECT * REPLACE (changed_at + INTERVAL 1 HOUR AS changed_at) FROM marts.campaign_performance_daily WHERE platform = 'google_ads' AND date = DATE '2024-05-01'"
      ])
      for (let run = 0; run < 2; run++) {
        // Nothing new arrives, so nothing is merged; the duplicate stays in scope run after run.
        const summary = yield* transform({ projectDir: repository, vars })
        assert.sameMembers(failedActions(summary.results), [uniqueKey, "mdp_assertions.campaign_performance_daily_reconciles_with_staging"], `run ${run}: the grain, and the day's totals`)
        assert.strictEqual(summary.results.find((r) => r.action === passed)?.status, "skipped", `run ${run}`)
        assert.deepStrictEqual(yield* checkedUntil(), firstCheck, `run ${run}: the checks did not move on`)
      }
      yield* (yield* Warehouse).run(["DELETE FROM marts.campaign_performance_daily WHERE changed_at > (SELECT max(processed_stamp) FROM staging.mdp_checkpoints WHERE model = 'campaign_performance_daily:assertions')"])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok, "fixed, the checks pass")

      // The same in a platform's staging: its check fails, nothing downstream is built on it, and
      // no platform's check moves on until it passes.
      const stagingChecks = () => query("SELECT model, max(processed_stamp) AS stamp FROM staging.mdp_checkpoints WHERE model LIKE 'stg_%:assertions' GROUP BY model ORDER BY model")
      const stagingChecked = yield* stagingChecks()
      assert.deepStrictEqual(stagingChecked.map((row) => row["model"]), ["stg_google_ads__campaign_daily:assertions", "stg_meta_ads__campaign_daily:assertions"], "an empty table records nothing")
      yield* (yield* Warehouse).run([
        "INSERT INTO staging.stg_google_ads__campaign_daily SELECT * REPLACE (changed_at + INTERVAL 1 HOUR AS changed_at) FROM staging.stg_google_ads__campaign_daily WHERE date = DATE '2024-05-01'"
      ])
      const stagingRun = yield* transform({ projectDir: repository, vars })
      assert.deepStrictEqual(failedActions(stagingRun.results), ["mdp_assertions.stg_google_ads__campaign_daily_unique_key"])
      const skipped = stagingRun.results.filter((r) => r.status === "skipped").map((r) => r.action)
      assert.includeMembers(skipped, ["staging.stg_campaign_daily_assertions_passed", "marts.campaign_performance_daily"])
      assert.deepStrictEqual(yield* stagingChecks(), stagingChecked)
      yield* (yield* Warehouse).run(["DELETE FROM staging.stg_google_ads__campaign_daily WHERE changed_at > (SELECT max(processed_stamp) FROM staging.mdp_checkpoints WHERE model = 'stg_google_ads__campaign_daily:assertions')"])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok, "fixed, the staging checks pass")

      // A duplicate with an old stamp in staging: no incremental run touches it, so none sees it;
      // the mart rebuilt on it carries it with its old stamp, and is checked whole.
      yield* (yield* Warehouse).run(["INSERT INTO staging.stg_google_ads__campaign_daily SELECT * FROM staging.stg_google_ads__campaign_daily WHERE date = DATE '2024-05-01'"])
      assert.isTrue((yield* transform({ projectDir: repository, vars })).ok, "an old stamp is out of the incremental checks' scope")
      const rebuilt = yield* transform({ projectDir: repository, vars, actions: ["campaign_performance_daily"], includeDependents: true, fullRefresh: true })
      assert.includeMembers(failedActions(rebuilt.results), [uniqueKey])
      assert.strictEqual(rebuilt.results.find((r) => r.action === "marts.campaign_performance_daily")?.mode, "full")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("each incremental mart's compiled SQL bounds what BigQuery reads: a partition filter on the merge and a checkpoint", () =>
    Effect.gen(function* () {
      const graph = yield* compileProject({ projectDir: repository })
      for (const name of ["campaign_performance_daily", "platform_performance_daily"]) {
        const table = graph.compiled.tables?.find((t) => t.target.name === name)
        assert.strictEqual(table?.bigquery?.updatePartitionFilter, "date >= changed_from", name)
        const preOps = (table?.incrementalPreOps ?? []).join("\n")
        // The checkpoint comes from staging.mdp_checkpoints, not from the table's own history.
        assert.match(preOps, new RegExp(`declare processed_until timestamp default \\(select coalesce\\(max\\(processed_stamp\\).* from \`[^\`]*staging\\.mdp_checkpoints\` where model = '${name}'\\)`), name)
        assert.notInclude(preOps + (table?.incrementalQuery ?? ""), `max(changed_at) from \`mdp-local.marts.${name}\``, name)
        assert.match((table?.incrementalPostOps ?? []).join("\n"), new RegExp(`select max\\(changed_at\\) from \`mdp-local\\.marts\\.${name}\` where date >= changed_from`), name)
        assert.match(preOps, /declare changed_from date default \(\s*select min\(date\) from .* where [\s\S]*changed_at > processed_until/, name)
        assert.match(table?.incrementalQuery ?? "", /changed_at > processed_until/, name)
      }
      // The campaign mart's filter reaches staging's own columns (its changed_at clustering, its date
      // partitions for FX changes), not only the view's computed changed_at.
      const campaignMart = graph.compiled.tables?.find((t) => t.target.name === "campaign_performance_daily")
      assert.match(campaignMart?.incrementalQuery ?? "", /statistics_changed_at > processed_until or date between rates_from and rates_to/)
      for (const platform of ["google_ads", "meta_ads", "microsoft_ads"]) {
        const staging = graph.compiled.tables?.find((t) => t.target.name === `stg_${platform}__campaign_daily`)
        // Only the rows of runs with new loads, within the days those loads cover: script variables,
        // on which BigQuery prunes the raw table's date partitions.
        assert.match((staging?.incrementalPreOps ?? []).join("\n"), /declare pending_from date default \(select min\(first_date\) from .*stg_\w+__loads.* where changed_at > processed_until\)/, platform)
        assert.match((staging?.incrementalPreOps ?? []).join("\n"), /mdp_checkpoints/, platform)
        assert.match(staging?.incrementalQuery ?? "", /raw\._run_id in \(select run_id from .*stg_\w+__loads.* where changed_at > processed_until\)/, platform)
        assert.match(staging?.incrementalQuery ?? "", /raw\.date between pending_from and pending_to/, platform)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("the incremental-table specs in test/models pass", () =>
    Effect.gen(function* () {
      const graph = yield* compileProject({ projectDir: repository })
      const specs = yield* readIncrementalSpecs(path.join(repository, "test", "models"))
      assert.isNotEmpty(specs)
      for (const { file, spec } of specs) {
        for (const testCase of spec.cases) {
          const result = yield* runIncrementalCase(graph, file, spec, testCase).pipe(Effect.provide(Layer.fresh(localWarehouse(":memory:"))))
          assert.isTrue(result.passed, `${result.name}: ${result.message ?? ""}`)
        }
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

describe("re-running the pipeline", () => {
  it.effect("an overlapping window leaves campaign_performance_daily with the same rows and totals", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mdp-rerun-"))
    const pipeline = Effect.gen(function* () {
      yield* ingest({ initialDays: 45 })
      yield* loadReferenceRates(ratesFile)
      yield* loadRawZone(KNOWN_PLATFORMS)
      const summary = yield* transform({ projectDir: repository, vars: { as_of: "2031-02-28" } })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded"), null, 2))
      // changed_at records when a row was last re-derived, which a re-fetch does; the data must not change.
      return yield* query("SELECT * EXCLUDE (changed_at) FROM marts.campaign_performance_daily ORDER BY platform, account_id, campaign_id, date")
    })
    return Effect.gen(function* () {
      // Years after the FX table's last month and the sample's usual dates: nothing depends on today.
      yield* TestClock.setTime(Date.parse("2031-02-28T12:00:00Z"))
      const first = yield* pipeline
      const second = yield* pipeline
      assert.isAbove(first.length, 100)
      assert.deepStrictEqual(second, first)
      // The first run's window ends yesterday of the pinned day; months past the FX table take its newest rate.
      assert.strictEqual(first.map((row) => String(row["date"])).sort().at(-1), "2031-02-27")
      assert.isTrue(first.every((row) => row["spend_reporting"] !== null), "every row converted")
      const raw = yield* query("SELECT COUNT(DISTINCT _run_id) AS runs FROM raw.google_ads__campaign_daily")
      assert.strictEqual(raw[0]!["runs"], 2, "the raw zone keeps both runs")
    }).pipe(
      Effect.provide(Layer.mergeAll(localRawZone(root), SourceRegistry.layerFrom(makeSampleSources({ seed: 3 })), localWarehouse(":memory:"))),
      Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
    )
  })
})
