// The incremental marts under any order of events. Random sequences of operations (ingestion runs
// with overlapping windows, out of order, restated numbers and segmented rows, re-fetches that
// return an earlier run's records unchanged; FX corrections;
// transforms and full refreshes) run against the real project on DuckDB. After every transform the
// marts must equal what this file computes itself from the raw rows it wrote (newest run of a key
// wins, its segments summed, converted at the month's rate), and at the end a full refresh must
// change nothing. Seeded and bounded; a failure prints its seed and the shrunk sequence, and
// MDP_PROPERTY_SEED=<seed> replays it.
import { readFileSync } from "node:fs"
import path from "node:path"
import { fc, it } from "@fast-check/vitest"
import { Effect } from "effect"
import { assert, describe } from "vitest"
import { ensureRawTables, loadReferenceRates } from "../app/load.ts"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse, type Row } from "../runner/warehouse.ts"
import { localWarehouse } from "./support/local-layers.ts"
import { onlyPlatformsVars } from "./support/platform-subset.ts"
import { googlePayload, metaPayload, rawRow } from "./support/raw-rows.ts"

const repository = path.resolve(import.meta.dirname, "..")
const ratesFile = path.join(repository, "ingestion", "reference", "fx_rates.csv")
const PURCHASE = "offsite_conversion.fb_pixel_purchase"
// The sequences ingest Google and Meta rows: the other platforms' models are off (their branches
// are the same SQL over other tables), which halves each transform.
const vars = { as_of: "2024-08-01", meta_conversion_action_types: PURCHASE, ...onlyPlatformsVars(["google_ads", "meta_ads"]) }

type Platform = "google_ads" | "meta_ads"
const ACCOUNT: Record<Platform, { readonly id: string; readonly currency: string }> = {
  google_ads: { id: "111", currency: "EUR" },
  meta_ads: { id: "222", currency: "USD" }
}

type Operation =
  | {
      readonly kind: "ingest"
      readonly platform: Platform
      /** Minutes after 2024-07-01 00:00 UTC: runs arrive in any order, and may share a start. */
      readonly startedMinute: number
      readonly firstDay: number
      readonly days: number
      readonly campaigns: ReadonlyArray<number>
      readonly segments: number
      readonly seed: number
    }
  | {
      readonly kind: "refetch"
      /** Which earlier ingestion run returns again, record for record (modulo the runs so far). */
      readonly of: number
      readonly startedMinute: number
    }
  | { readonly kind: "fx"; readonly month: "2024-05-01" | "2024-06-01"; readonly unitsPerEur: number }
  | { readonly kind: "transform" }
  | { readonly kind: "full_refresh" }

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("ingest" as const),
      platform: fc.constantFrom<Platform>("google_ads", "meta_ads"),
      startedMinute: fc.integer({ min: 0, max: 30 }),
      firstDay: fc.integer({ min: 0, max: 40 }),
      days: fc.integer({ min: 1, max: 6 }),
      campaigns: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      segments: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer({ min: 1, max: 1_000_000 })
    })
  },
  // A look-back re-fetch that finds the numbers as they were: the same records under a new run,
  // which may start before or after the runs in between.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refetch" as const), of: fc.nat({ max: 50 }), startedMinute: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fx" as const), month: fc.constantFrom("2024-05-01" as const, "2024-06-01" as const), unitsPerEur: fc.integer({ min: 9000, max: 13000 }).map((n) => n / 10_000) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "transform" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "full_refresh" as const }) }
)

// A small deterministic generator, so that a run's numbers follow from its seed.
const numbers = (seed: number) => {
  let state = seed >>> 0
  return (max: number) => {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) >>> 0
    return state % max
  }
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

interface RawRecord {
  readonly platform: Platform
  readonly run: string
  readonly startedMs: number
  readonly campaign: string
  readonly date: string
  readonly impressions: number
  readonly clicks: number
  readonly spend: number
  readonly conversions: number
  readonly conversionValue: number
}

/** The rows of one ingestion run, as the platform's API shapes them, and what they mean. */
const ingestionRun = (op: Extract<Operation, { kind: "ingest" }>, run: string) => {
  const next = numbers(op.seed)
  const startedMs = Date.parse("2024-07-01T00:00:00Z") + op.startedMinute * 60_000
  const ingestedAt = new Date(startedMs).toISOString().replace("T", " ").replace(".000Z", "+00")
  const records: Array<RawRecord> = []
  const statements: Array<string> = []
  for (let d = 0; d < op.days; d++) {
    const date = addDays("2024-05-15", op.firstDay + d)
    for (const campaign of op.campaigns) {
      // Platforms omit rows without delivery.
      if (next(5) === 0) continue
      const segments = 1 + next(op.segments)
      for (let s = 0; s < segments; s++) {
        const impressions = 10 + next(1000)
        const clicks = next(60)
        const spendCents = next(5000)
        const conversions = next(40) / 4
        const valueCents = next(20000)
        records.push({ platform: op.platform, run, startedMs, campaign: String(campaign), date, impressions, clicks, spend: spendCents / 100, conversions, conversionValue: valueCents / 100 })
        const payload =
          op.platform === "google_ads"
            ? googlePayload(date, "EUR", { impressions: String(impressions), clicks: String(clicks), costMicros: String(spendCents * 10_000), conversions, conversionsValue: valueCents / 100 }, { id: String(campaign), name: `Campaign ${campaign}` })
            : metaPayload(date, {
                campaign_id: String(campaign),
                campaign_name: `Campaign ${campaign}`,
                impressions: String(impressions),
                inline_link_clicks: String(clicks),
                spend: (spendCents / 100).toFixed(2),
                // The same purchases under a second type, which the allow-list leaves out.
                actions: [{ action_type: PURCHASE, value: String(conversions) }, { action_type: "omni_purchase", value: String(conversions) }],
                action_values: [{ action_type: PURCHASE, value: (valueCents / 100).toFixed(2) }, { action_type: "omni_purchase", value: (valueCents / 100).toFixed(2) }]
              })
        statements.push(rawRow(op.platform, run, ingestedAt, ACCOUNT[op.platform].id, String(campaign), date, payload))
      }
    }
  }
  return { records, statements }
}

const initialRates = (): Map<string, number> => {
  const rates = new Map<string, number>()
  for (const line of readFileSync(ratesFile, "utf8").trim().split("\n").slice(1)) {
    const [month, currency, units] = line.split(",")
    rates.set(`${month}|${currency}`, Number(units))
  }
  return rates
}

/** The mart as it must be, computed here from the raw records and the rates: not by the project's SQL. */
const expectedMart = (records: ReadonlyArray<RawRecord>, rates: ReadonlyMap<string, number>) => {
  const byKey = new Map<string, Array<RawRecord>>()
  for (const record of records) {
    const key = `${record.platform}|${record.campaign}|${record.date}`
    byKey.set(key, [...(byKey.get(key) ?? []), record])
  }
  const rows = new Map<string, { impressions: number; clicks: number; spend: number; conversions: number; conversion_value: number; spend_reporting: number; conversion_value_reporting: number }>()
  for (const [key, versions] of byKey) {
    // The newest run wins: its start, then its id.
    const newest = versions.reduce((a, b) => (b.startedMs > a.startedMs || (b.startedMs === a.startedMs && b.run > a.run) ? b : a))
    const winning = versions.filter((v) => v.run === newest.run)
    const sum = (f: (r: RawRecord) => number) => winning.reduce((total, r) => total + f(r), 0)
    const month = `${newest.date.slice(0, 7)}-01`
    const rate = rates.get(`${month}|${ACCOUNT[newest.platform].currency}`)!
    const spend = sum((r) => r.spend)
    const value = sum((r) => r.conversionValue)
    rows.set(key, {
      impressions: sum((r) => r.impressions),
      clicks: sum((r) => r.clicks),
      spend,
      conversions: sum((r) => r.conversions),
      conversion_value: value,
      spend_reporting: (spend / rate) * rates.get(`${month}|EUR`)!,
      conversion_value_reporting: (value / rate) * rates.get(`${month}|EUR`)!
    })
  }
  return rows
}

const close = (actual: unknown, expected: number, what: string) =>
  assert.isTrue(Math.abs(Number(actual) - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${what}: ${String(actual)} ≠ ${expected}`)

const query = (sql: string) => Warehouse.use((warehouse) => warehouse.query(sql))

const checkMarts = (records: ReadonlyArray<RawRecord>, rates: ReadonlyMap<string, number>, when: string) =>
  Effect.gen(function* () {
    const expected = expectedMart(records, rates)
    const actual = yield* query("SELECT * FROM marts.campaign_performance_daily")
    const keyOf = (row: Row) => `${String(row["platform"])}|${String(row["campaign_id"])}|${String(row["date"])}`
    assert.sameMembers(actual.map(keyOf), [...expected.keys()], `${when}: the mart's keys`)
    for (const row of actual) {
      const want = expected.get(keyOf(row))!
      for (const [column, value] of Object.entries(want)) close(row[column], value, `${when}: ${keyOf(row)} ${column}`)
    }
    // The platform mart sums the campaign mart's expected rows.
    const sums = new Map<string, { impressions: number; spend_reporting: number; conversions: number }>()
    for (const [key, row] of expected) {
      const [platform, , date] = key.split("|")
      const day = `${platform}|${date}`
      const total = sums.get(day) ?? { impressions: 0, spend_reporting: 0, conversions: 0 }
      sums.set(day, { impressions: total.impressions + row.impressions, spend_reporting: total.spend_reporting + row.spend_reporting, conversions: total.conversions + row.conversions })
    }
    // The campaigns mart's lifetime totals (kept through incremental monthly totals) sum them too.
    const lifetimes = new Map<string, { impressions: number; clicks: number; spend_reporting: number; conversions: number; conversion_value_reporting: number; first: string; last: string }>()
    for (const [key, row] of expected) {
      const [platform, campaign, date] = key.split("|") as [string, string, string]
      const id = `${platform}|${campaign}`
      const total = lifetimes.get(id) ?? { impressions: 0, clicks: 0, spend_reporting: 0, conversions: 0, conversion_value_reporting: 0, first: date, last: date }
      lifetimes.set(id, {
        impressions: total.impressions + row.impressions,
        clicks: total.clicks + row.clicks,
        spend_reporting: total.spend_reporting + row.spend_reporting,
        conversions: total.conversions + row.conversions,
        conversion_value_reporting: total.conversion_value_reporting + row.conversion_value_reporting,
        // Every generated row has impressions, so its days are all active ones.
        first: date < total.first ? date : total.first,
        last: date > total.last ? date : total.last
      })
    }
    const campaigns = yield* query("SELECT platform, campaign_id, impressions, clicks, spend_reporting, conversions, conversion_value_reporting, CAST(first_active_date AS VARCHAR) AS first, CAST(last_active_date AS VARCHAR) AS last FROM marts.campaigns")
    assert.sameMembers(campaigns.map((r) => `${String(r["platform"])}|${String(r["campaign_id"])}`), [...lifetimes.keys()], `${when}: the campaigns mart's campaigns`)
    for (const row of campaigns) {
      const id = `${String(row["platform"])}|${String(row["campaign_id"])}`
      const { first, last, ...totals } = lifetimes.get(id)!
      for (const [column, value] of Object.entries(totals)) close(row[column], value, `${when}: campaign ${id} ${column}`)
      assert.deepStrictEqual([row["first"], row["last"]], [first, last], `${when}: campaign ${id} active days`)
    }
    const platformDays = yield* query("SELECT platform, date, impressions, spend_reporting, conversions FROM marts.platform_performance_daily")
    assert.sameMembers(platformDays.map((r) => `${String(r["platform"])}|${String(r["date"])}`), [...sums.keys()], `${when}: the platform mart's days`)
    for (const row of platformDays) {
      const want = sums.get(`${String(row["platform"])}|${String(row["date"])}`)!
      for (const [column, value] of Object.entries(want)) close(row[column], value, `${when}: platform day ${String(row["platform"])} ${String(row["date"])} ${column}`)
    }
  })

const runTransform = (fullRefresh: boolean) =>
  Effect.gen(function* () {
    // The marts under test and everything they depend on (assertions that gate them included).
    const summary = yield* transform({ projectDir: repository, vars, fullRefresh, actions: ["platform_performance_daily", "campaigns"], includeDependencies: true })
    assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded").map((r) => [r.action, r.status, r.error])))
  })

const martSnapshot = Effect.all([
  query("SELECT * EXCLUDE (changed_at) FROM marts.campaign_performance_daily ORDER BY platform, account_id, campaign_id, date"),
  query("SELECT * EXCLUDE (changed_at) FROM intermediate.int_campaign_monthly_totals ORDER BY platform, account_id, campaign_id, month"),
  query("SELECT * FROM marts.campaigns ORDER BY platform, account_id, campaign_id")
]).pipe(Effect.map((tables) => tables.flat()))

const play = (operations: ReadonlyArray<Operation>) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* ensureRawTables(KNOWN_PLATFORMS)
    yield* loadReferenceRates(ratesFile)
    const rates = initialRates()
    const records: Array<RawRecord> = []
    const ingestions: Array<Extract<Operation, { kind: "ingest" }>> = []
    let transformed = false
    for (const [index, op] of operations.entries()) {
      switch (op.kind) {
        case "ingest":
        case "refetch": {
          if (op.kind === "refetch" && ingestions.length === 0) break
          const run = op.kind === "ingest" ? op : { ...ingestions[op.of % ingestions.length]!, startedMinute: op.startedMinute }
          if (op.kind === "ingest") ingestions.push(op)
          const { records: added, statements } = ingestionRun(run, `r${String(index).padStart(3, "0")}`)
          if (statements.length > 0) yield* warehouse.run(statements)
          records.push(...added)
          break
        }
        case "fx":
          yield* warehouse.run([`UPDATE reference.fx_rates SET units_per_eur = ${op.unitsPerEur} WHERE currency = 'USD' AND month = DATE '${op.month}'`])
          rates.set(`${op.month}|USD`, op.unitsPerEur)
          break
        case "transform":
        case "full_refresh":
          yield* runTransform(op.kind === "full_refresh")
          yield* checkMarts(records, rates, `after operation ${index} (${op.kind})`)
          transformed = true
      }
    }
    // Whatever came before, one more incremental transform and then a full refresh agree.
    yield* runTransform(false)
    yield* checkMarts(records, rates, "after the last incremental transform")
    const incremental = yield* martSnapshot
    yield* runTransform(true)
    const refreshed = yield* martSnapshot
    assert.strictEqual(refreshed.length, incremental.length)
    refreshed.forEach((row, i) => {
      for (const [column, value] of Object.entries(row)) {
        if (typeof value === "number") close(incremental[i]![column], value, `full refresh vs incremental, row ${i} ${column}`)
        else assert.strictEqual(incremental[i]![column], value, `full refresh vs incremental, row ${i} ${column}`)
      }
    })
    return transformed
  }).pipe(Effect.provide(localWarehouse(":memory:")))

// A failure prints { seed, path }: MDP_PROPERTY_SEED and MDP_PROPERTY_PATH replay exactly that case.
const replay = {
  seed: process.env["MDP_PROPERTY_SEED"] === undefined ? 20261204 : Number(process.env["MDP_PROPERTY_SEED"]),
  ...(process.env["MDP_PROPERTY_PATH"] === undefined ? {} : { path: process.env["MDP_PROPERTY_PATH"] })
}

describe("incremental marts under any order of events", () => {
  // About 140 operations in all (and two more transforms a sequence); no shrinking, so that a
  // failure stays within the time bound.
  it.prop([fc.array(operation, { minLength: 8, maxLength: 20 })], { numRuns: 10, ...replay, endOnFailure: true })(
    "after every transform the marts equal an independent recomputation from the raw rows, and a full refresh changes nothing",
    async (operations) => {
      await Effect.runPromise(play(operations))
    },
    300_000
  )
})
