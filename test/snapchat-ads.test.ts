import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { dayInZone, midnightInZone } from "../ingestion/core/dates.ts"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeSnapchatAdsSource } from "../ingestion/sources/snapchat_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const TOKEN = "snap-secret-access-token-77"
const ACCOUNT = "8b2f6c1e-4a7d-4e2b-9c3f-5d6e7f8a9b0c"
const account = { id: ACCOUNT, name: "Acme Snap", currency: "USD", timeZone: "America/Los_Angeles" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

const withApi = <A, E>(answer: (request: ReceivedRequest, base: string) => Answer, use: (source: ReturnType<typeof makeSnapchatAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(makeSnapchatAdsSource({ accountIds: [ACCOUNT], lookbackDays: 28, baseUrl, retryBase: "10 millis" }, { accessToken: Redacted.make(TOKEN) }, client), requests)
  )

// The fixtures' next_link points at the API's own host: here, the local one.
const fixture = (name: string, base: string): unknown => JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures", "snapchat_ads", name), "utf8").replaceAll("__BASE__", base))

const documentedApi = (request: ReceivedRequest, base: string): Answer => {
  if (request.path === `/v1/adaccounts/${ACCOUNT}`) return { body: fixture("ad-account.json", base) }
  if (request.path === `/v1/adaccounts/${ACCOUNT}/campaigns`) return { body: fixture(request.query.get("cursor") === null ? "campaigns-page-1.json" : "campaigns-page-2.json", base) }
  if (request.path === `/v1/adaccounts/${ACCOUNT}/stats`) return { body: fixture("stats.json", base) }
  return { status: 404, body: { request_status: "ERROR", debug_message: "Not found" } }
}

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Snapchat Ads source (Effect HttpClient, the API on 127.0.0.1)", () => {
  it("midnight in an account's zone carries that day's offset, across daylight saving changes", () => {
    assert.strictEqual(midnightInZone("2024-05-01", "America/Los_Angeles"), "2024-05-01T00:00:00.000-07:00")
    assert.strictEqual(midnightInZone("2024-01-15", "America/Los_Angeles"), "2024-01-15T00:00:00.000-08:00")
    assert.strictEqual(midnightInZone("2024-03-10", "America/Los_Angeles"), "2024-03-10T00:00:00.000-08:00")
    assert.strictEqual(midnightInZone("2024-03-11", "America/Los_Angeles"), "2024-03-11T00:00:00.000-07:00")
    assert.strictEqual(midnightInZone("2024-10-27", "Europe/Berlin"), "2024-10-27T00:00:00.000+02:00")
    assert.strictEqual(midnightInZone("2024-05-01", "Asia/Kolkata"), "2024-05-01T00:00:00.000+05:30")
    assert.strictEqual(midnightInZone("2024-05-01", "UTC"), "2024-05-01T00:00:00.000+00:00")
    // One instant, a different calendar day on either side of the date line, each zone asked twice.
    const instant = Date.parse("2024-05-01T06:30:00Z")
    for (let round = 0; round < 2; round++) {
      assert.strictEqual(dayInZone(instant, "America/Los_Angeles"), "2024-04-30")
      assert.strictEqual(dayInZone(instant, "Pacific/Kiritimati"), "2024-05-01")
      assert.strictEqual(dayInZone(instant + 18 * 3_600_000, "Pacific/Kiritimati"), "2024-05-02")
    }
  })

  it.live("asks stats by day and campaign between the account's midnights, one row per campaign-day, swipes as clicks, micro-units as money", () =>
    withApi(documentedApi, (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" }))
        const stats = requests.find((r) => r.path.endsWith("/stats"))!
        assert.deepStrictEqual([stats.query.get("granularity"), stats.query.get("breakdown")], ["DAY", "campaign"])
        assert.deepStrictEqual([stats.query.get("start_time"), stats.query.get("end_time")], ["2024-05-01T00:00:00.000-07:00", "2024-05-03T00:00:00.000-07:00"])
        // The campaign list is followed through its next_link.
        assert.deepStrictEqual(requests.filter((r) => r.path.endsWith("/campaigns")).map((r) => r.query.get("cursor")), [null, "c2VjcmV0LWN1cnNvcg"])
        for (const request of requests) assert.strictEqual(request.headers["authorization"], `Bearer ${TOKEN}`)
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend]),
          [
            ["6cf25572-048b-4447-95d1-eb47032d1a2b", "2024-05-01", 30110, 402, 211.34],
            ["6cf25572-048b-4447-95d1-eb47032d1a2b", "2024-05-02", 28804, 377, 199.87],
            ["7d0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", "2024-05-01", 1200, 8, 5.01]
          ]
        )
        assert.deepStrictEqual([good(records)[2]!.payload["campaign_name"], good(records)[2]!.payload["campaign_status"]], ["Always on | Collection", "PAUSED"])
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1, "spend as a string is not the API's shape")
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "spend")
      })
    ))

  it.live("reads the account's currency and time zone; a throttled call is retried; an ERROR status names Snapchat's message; 401 is an auth failure", () => {
    let accountCalls = 0
    return withApi(
      (request, base) => {
        if (request.path === `/v1/adaccounts/${ACCOUNT}` && ++accountCalls === 1) return { status: 429, body: { request_status: "ERROR", debug_message: "Too many requests" }, headers: { "retry-after": "0" } }
        return documentedApi(request, base)
      },
      (source) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* source.accounts, [account])
          assert.strictEqual(accountCalls, 2)
        })
    ).pipe(
      Effect.andThen(
        withApi(
          () => ({ body: { request_status: "ERROR", request_id: "x", debug_message: "Invalid breakdown for granularity" } }),
          (source) =>
            Effect.gen(function* () {
              const failure = yield* Effect.flip(source.accounts)
              assert.strictEqual(failure.reason, "bad_response")
              assert.include(failure.message, "Invalid breakdown")
            })
        )
      ),
      Effect.andThen(
        withApi(
          () => ({ status: 401, body: { request_status: "ERROR", debug_message: `Token ${TOKEN} expired` } }),
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
