import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makePinterestAdsSource } from "../ingestion/sources/pinterest_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const TOKEN = "pina_pinterest-secret-token"
const ACCOUNT = "549755885175"
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures", "pinterest_ads", name), "utf8"))
const account = { id: ACCOUNT, name: "Acme Home (Pinterest)", currency: "USD", timeZone: "UTC" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

const documentedApi = (request: ReceivedRequest): Answer => {
  if (request.path === `/v5/ad_accounts/${ACCOUNT}`) return { body: fixture("ad-account.json") }
  if (request.path === `/v5/ad_accounts/${ACCOUNT}/campaigns`) return { body: fixture(request.query.get("bookmark") === null ? "campaigns-page-1.json" : "campaigns-page-2.json") }
  if (request.path === `/v5/ad_accounts/${ACCOUNT}/campaigns/analytics`) return { body: fixture("analytics.json") }
  return { status: 404, body: { code: 404, message: "Not found" } }
}

const withApi = <A, E>(answer: (request: ReceivedRequest) => Answer, use: (source: ReturnType<typeof makePinterestAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(makePinterestAdsSource({ accountIds: [ACCOUNT], lookbackDays: 30, baseUrl, retryBase: "10 millis" }, { accessToken: Redacted.make(TOKEN) }, client), requests)
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Pinterest Ads source (Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("lists the campaigns (paged by bookmark), asks their daily analytics, turns micro-units into money and quarantines a negative count", () =>
    withApi(documentedApi, (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" }))
        assert.deepStrictEqual(requests.filter((r) => r.path.endsWith("/campaigns")).map((r) => r.query.get("bookmark")), [null, "Y2JtO2NhbXBhaWducw=="])
        const analytics = requests.find((r) => r.path.endsWith("/campaigns/analytics"))!
        assert.strictEqual(analytics.query.get("campaign_ids"), "626735565838,626735565839")
        assert.strictEqual(analytics.query.get("granularity"), "DAY")
        assert.deepStrictEqual([analytics.query.get("start_date"), analytics.query.get("end_date")], ["2024-05-01", "2024-05-02"])
        assert.include(analytics.query.get("columns")!.split(","), "SPEND_IN_MICRO_DOLLAR")
        for (const request of requests) assert.strictEqual(request.headers["authorization"], `Bearer ${TOKEN}`)
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend]),
          [
            ["626735565838", "2024-05-01", 20211, 310, 184.25],
            ["626735565839", "2024-05-01", 5020, 12, 20.5],
            ["626735565838", "2024-05-02", 19870, 295, 176.01]
          ]
        )
        assert.deepStrictEqual([good(records)[1]!.payload["campaign_name"], good(records)[1]!.payload["campaign_status"], good(records)[1]!.payload["currency"]], ["Kitchen | Awareness", "PAUSED", "USD"])
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "IMPRESSION_1")
      })
    ))

  it.live("asks at most 90 days per request: a 100-day window is two", () =>
    withApi(
      (request) => (request.path.endsWith("/campaigns/analytics") ? { body: [] } : documentedApi(request)),
      (source, requests) =>
        Effect.gen(function* () {
          yield* collect(source.fetch(account, { start: "2024-01-01", end: "2024-04-09" }))
          assert.deepStrictEqual(
            requests.filter((r) => r.path.endsWith("/campaigns/analytics")).map((r) => [r.query.get("start_date"), r.query.get("end_date")]),
            [
              ["2024-01-01", "2024-03-30"],
              ["2024-03-31", "2024-04-09"]
            ]
          )
        })
    ))

  it.live("retries a 429 and then a 503, emitting each row once; a 401 fails at once without the token", () => {
    let analyticsCalls = 0
    return withApi(
      (request) => {
        if (request.path.endsWith("/campaigns/analytics")) {
          analyticsCalls += 1
          if (analyticsCalls === 1) return { status: 429, body: { code: 8, message: "Rate limit exceeded" }, headers: { "retry-after": "0" } }
          if (analyticsCalls === 2) return { status: 503, body: { code: 1, message: "Service unavailable" } }
        }
        return documentedApi(request)
      },
      (source) =>
        Effect.gen(function* () {
          assert.strictEqual(good(yield* collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" }))).length, 3)
          assert.strictEqual(analyticsCalls, 3)
        })
    ).pipe(
      Effect.andThen(
        withApi(
          () => ({ status: 401, body: { code: 2, message: `Authentication failed for token ${TOKEN}` } }),
          (source, requests) =>
            Effect.gen(function* () {
              const failure = yield* Effect.flip(source.accounts)
              assert.strictEqual(failure.reason, "auth")
              assert.notInclude(failure.message, TOKEN)
              assert.strictEqual(requests.length, 1)
            })
        )
      )
    )
  })
})
