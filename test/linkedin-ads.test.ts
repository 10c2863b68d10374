import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeLinkedInAdsSource } from "../ingestion/sources/linkedin_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const TOKEN = "AQV-linkedin-secret-token-42"
const ACCOUNT = "508123456"
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures", "linkedin_ads", name), "utf8"))
const account = { id: ACCOUNT, name: "Acme B2B (LinkedIn)", currency: "GBP", timeZone: "UTC" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

const documentedApi = (request: ReceivedRequest): Answer => {
  if (request.path === `/rest/adAccounts/${ACCOUNT}`) return { body: fixture("ad-account.json") }
  if (request.path === `/rest/adAccounts/${ACCOUNT}/adCampaigns`) return { body: fixture(request.query.get("pageToken") === null ? "campaigns-page-1.json" : "campaigns-page-2.json") }
  if (request.path === "/rest/adAnalytics") return { body: fixture("analytics.json") }
  return { status: 404, body: { status: 404, message: "Not found" } }
}

const withApi = <A, E>(answer: (request: ReceivedRequest) => Answer, use: (source: ReturnType<typeof makeLinkedInAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(makeLinkedInAdsSource({ accountIds: [ACCOUNT], lookbackDays: 30, baseUrl, retryBase: "10 millis" }, { accessToken: Redacted.make(TOKEN) }, client), requests)
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("LinkedIn Ads source (Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("reads daily campaign analytics in Rest.li syntax with versioned headers, adds names and statuses from the paged campaign search, quarantines a non-campaign row", () =>
    withApi(documentedApi, (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, window))
        const analytics = requests.find((r) => r.path === "/rest/adAnalytics")!
        // Rest.li's syntax as written; only the URN percent-encoded.
        assert.strictEqual(
          analytics.rawQuery,
          "q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=(start:(year:2024,month:5,day:1),end:(year:2024,month:5,day:2))&accounts=List(urn%3Ali%3AsponsoredAccount%3A508123456)" +
            "&fields=pivotValues,dateRange,impressions,clicks,costInLocalCurrency,externalWebsiteConversions,conversionValueInLocalCurrency"
        )
        for (const request of requests) {
          assert.strictEqual(request.headers["authorization"], `Bearer ${TOKEN}`)
          assert.match(String(request.headers["linkedin-version"]), /^\d{6}$/)
          assert.strictEqual(request.headers["x-restli-protocol-version"], "2.0.0")
        }
        // The campaign search is followed to its last page.
        assert.deepStrictEqual(requests.filter((r) => r.path.endsWith("/adCampaigns")).map((r) => r.query.get("pageToken")), [null, "DgGaXyfG0u2xkGkQ"])
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend, r.metrics.currency]),
          [
            ["612345001", "2024-05-01", 12040, 88, 412.3519, "GBP"],
            ["612345002", "2024-05-01", 2101, 9, 38, "GBP"],
            ["612345001", "2024-05-02", 11873, 91, 398.0012, "GBP"]
          ]
        )
        assert.strictEqual(good(records)[1]!.payload["campaign_status"], "PAUSED")
        assert.strictEqual(good(records)[0]!.payload["campaign_name"], "Decision makers | Lead gen")
        assert.strictEqual(good(records)[0]!.payload["account_name"], "Acme B2B (LinkedIn)")
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "pivotValues")
      })
    ))

  it.live("retries LinkedIn's throttling (HTTP 429 with Retry-After) and emits each row once", () => {
    let analyticsCalls = 0
    return withApi(
      (request) => {
        if (request.path === "/rest/adAnalytics" && ++analyticsCalls === 1) return { status: 429, body: { status: 429, serviceErrorCode: 101, code: "TOO_MANY_REQUESTS", message: "Resource level throttle limit reached" }, headers: { "retry-after": "0" } }
        return documentedApi(request)
      },
      (source) =>
        Effect.gen(function* () {
          assert.strictEqual(good(yield* collect(source.fetch(account, window))).length, 3)
          assert.strictEqual(analyticsCalls, 2)
        })
    )
  })

  it.live("an expired token fails at once as an auth error, without the token in the message", () =>
    withApi(
      () => ({ status: 401, body: { status: 401, serviceErrorCode: 65601, code: "EXPIRED_ACCESS_TOKEN", message: `The token used in the request (${TOKEN}) has expired` } }),
      (source, requests) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(collect(source.fetch(account, window)))
          assert.strictEqual(failure.reason, "auth")
          assert.include(failure.message, "has expired")
          assert.notInclude(failure.message, TOKEN)
          assert.strictEqual(requests.length, 1)
        })
    ))

  it.live("reads each account's name and currency; days are UTC, as LinkedIn reports them", () =>
    withApi(documentedApi, (source) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* source.accounts, [account])
      })
    ))
})
