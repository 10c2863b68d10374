import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeRedditAdsSource } from "../ingestion/sources/reddit_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const REFRESH = "reddit-secret-refresh-token-123"
const SECRET = "reddit-client-secret-xyz"
const ACCOUNT = "t2_acme4x9"
const account = { id: ACCOUNT, name: "Acme Outdoors", currency: "USD", timeZone: "America/New_York" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const fixture = (name: string, base: string): unknown => JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures", "reddit_ads", name), "utf8").replaceAll("__BASE__", base))
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

const redditApi = (overrides: { readonly report?: (n: number) => Answer | undefined } = {}) => {
  let tokens = 0
  let reports = 0
  return (request: ReceivedRequest, base: string): Answer => {
    if (request.path === "/api/v1/access_token") return { body: { access_token: `access-${++tokens}`, token_type: "bearer", expires_in: 3600, scope: "adsread" } }
    if (request.path === `/api/v3/ad_accounts/${ACCOUNT}`) return { body: fixture("ad-account.json", base) }
    if (request.path === `/api/v3/ad_accounts/${ACCOUNT}/campaigns`) return { body: fixture("campaigns.json", base) }
    if (request.path === `/api/v3/ad_accounts/${ACCOUNT}/reports`) {
      const own = overrides.report?.(++reports)
      if (own !== undefined) return own
      return { body: fixture(request.query.get("page.token") === null ? "report-page-1.json" : "report-page-2.json", base) }
    }
    return { status: 404, body: { error: { code: 404, message: "not found" } } }
  }
}

const withApi = <A, E>(answer: (request: ReceivedRequest, base: string) => Answer, use: (source: ReturnType<typeof makeRedditAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(
      makeRedditAdsSource(
        { accountIds: [ACCOUNT], lookbackDays: 28, baseUrl, tokenUrl: `${baseUrl}/api/v1/access_token`, retryBase: "10 millis" },
        { clientId: "reddit-app-id", clientSecret: Redacted.make(SECRET), refreshToken: Redacted.make(REFRESH) },
        client
      ),
      requests
    )
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Reddit Ads source (Ads API v3, Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("asks a report by campaign and day between the account's midnights, follows next_url, turns micro-units into money and quarantines a row without spend", () =>
    withApi(redditApi(), (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, window))
        const token = requests.find((r) => r.path === "/api/v1/access_token")!
        assert.strictEqual(token.headers["authorization"], `Basic ${Buffer.from(`reddit-app-id:${SECRET}`).toString("base64")}`)
        assert.deepStrictEqual([new URLSearchParams(token.body).get("grant_type"), new URLSearchParams(token.body).get("refresh_token")], ["refresh_token", REFRESH])
        const reports = requests.filter((r) => r.path.endsWith("/reports"))
        assert.strictEqual(reports.length, 2)
        const body = JSON.parse(reports[0]!.body) as { data: Record<string, unknown> }
        assert.deepStrictEqual(body.data["breakdowns"], ["CAMPAIGN_ID", "DATE"])
        assert.deepStrictEqual([body.data["starts_at"], body.data["ends_at"], body.data["time_zone_id"]], ["2024-05-01T00:00:00.000-04:00", "2024-05-03T00:00:00.000-04:00", "America/New_York"])
        for (const request of requests.filter((r) => !r.path.endsWith("/access_token"))) {
          assert.strictEqual(request.headers["authorization"], "Bearer access-1")
          assert.match(String(request.headers["user-agent"]), /marketing-data-platform/)
        }
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend]),
          [
            ["1700000000000000001", "2024-05-01", 40210, 182, 96.42],
            ["1700000000000000002", "2024-05-01", 12000, 75, 18],
            ["1700000000000000001", "2024-05-02", 39801, 170, 91]
          ]
        )
        assert.deepStrictEqual([good(records)[1]!.payload["campaign_name"], good(records)[1]!.payload["campaign_status"]], ["r/hiking | Traffic", "PAUSED"])
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "spend")
      })
    ))

  it.live("retries a 429, renews the access token once on a 401, and names the account's currency and zone", () =>
    withApi(
      redditApi({
        report: (n) =>
          n === 1 ? { status: 429, body: { error: { code: 429, message: "Too many requests" } }, headers: { "retry-after": "0" } } : n === 2 ? { status: 401, body: { error: { code: 401, message: "Unauthorized" } } } : undefined
      }),
      (source, requests) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* source.accounts, [account])
          assert.strictEqual(good(yield* collect(source.fetch(account, window))).length, 3)
          assert.strictEqual(requests.filter((r) => r.path === "/api/v1/access_token").length, 2)
        })
    ))

  it.live("a revoked refresh token (HTTP 200 with an error) fails as an auth error, without secrets", () =>
    withApi(
      (request, base) => (request.path === "/api/v1/access_token" ? { body: { error: "invalid_grant", message: `refresh token ${REFRESH} revoked` } } : redditApi()(request, base)),
      (source) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(source.accounts)
          assert.strictEqual(failure.reason, "auth")
          assert.include(failure.message, "invalid_grant")
          assert.notInclude(failure.message, REFRESH)
          assert.notInclude(failure.message, SECRET)
        })
    ))
})
