import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeTikTokAdsSource } from "../ingestion/sources/tiktok_ads/client.ts"
import { nodeHttpClient } from "../ingestion/core/http-api.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const TOKEN = "tiktok-secret-token-0123456789abcdef"
const ADVERTISER = "7012345678901234567"
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(import.meta.dirname, "fixtures", "tiktok_ads", name), "utf8"))
const account = { id: ADVERTISER, name: "Acme Shop (TikTok)", currency: "EUR", timeZone: "Europe/Berlin" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

/** The documented API: advertiser info, the campaign list, and the report in two pages. */
const documentedApi = (request: ReceivedRequest): Answer => {
  if (request.path.endsWith("/advertiser/info/")) return { body: fixture("advertiser-info.json") }
  if (request.path.endsWith("/campaign/get/")) return { body: fixture("campaigns.json") }
  return { body: fixture(request.query.get("page") === "2" ? "report-page-2.json" : "report-page-1.json") }
}

/** The real client (Effect's HttpClient on undici) against the API served on 127.0.0.1. */
const withApi = <A, E>(answer: (request: ReceivedRequest, index: number) => Answer, use: (source: ReturnType<typeof makeTikTokAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) => {
  let index = 0
  return withLocalApi(
    (request) => answer(request, index++),
    ({ baseUrl, requests, client }) => use(makeTikTokAdsSource({ advertiserIds: [ADVERTISER], lookbackDays: 7, baseUrl, pageSize: 2, retryBase: "10 millis" }, { accessToken: Redacted.make(TOKEN) }, client), requests)
  )
}

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("TikTok Ads source (Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("pages through the integrated report, adds the advertiser's name and each campaign's status, quarantines a malformed row", () =>
    withApi(documentedApi, (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" }))
        const reports = requests.filter((r) => r.path === "/open_api/v1.3/report/integrated/get/")
        assert.deepStrictEqual(reports.map((r) => r.query.get("page")), ["1", "2"])
        const query = reports[0]!.query
        assert.strictEqual(query.get("advertiser_id"), ADVERTISER)
        assert.strictEqual(query.get("report_type"), "BASIC")
        assert.strictEqual(query.get("data_level"), "AUCTION_CAMPAIGN")
        assert.deepStrictEqual(JSON.parse(query.get("dimensions")!), ["campaign_id", "stat_time_day"])
        assert.includeMembers(JSON.parse(query.get("metrics")!) as Array<string>, ["spend", "impressions", "clicks", "complete_payment", "total_complete_payment_rate", "currency"])
        assert.deepStrictEqual([query.get("start_date"), query.get("end_date")], ["2024-05-01", "2024-05-02"])
        // The token goes in TikTok's header, never in the address.
        for (const request of requests) {
          assert.strictEqual(request.headers["access-token"], TOKEN)
          assert.notInclude(request.query.toString(), TOKEN)
        }
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend, r.metrics.currency]),
          [
            ["1790000000000000001", "2024-05-01", 48211, 611, 152.4, "EUR"],
            ["1790000000000000002", "2024-05-01", 0, 0, 0, "EUR"],
            ["1790000000000000001", "2024-05-02", 45002, 588, 140.05, "EUR"]
          ]
        )
        // The payload is the row as sent, with what the report lacks added.
        const sent = (fixture("report-page-1.json") as { data: { list: ReadonlyArray<Record<string, unknown>> } }).data.list[0]!
        assert.deepStrictEqual(good(records)[0]!.payload, { ...sent, advertiser_name: "Acme Shop (TikTok)", campaign_operation_status: "ENABLE" })
        assert.strictEqual(good(records)[1]!.payload["campaign_operation_status"], "DISABLE")
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "spend")
      })
    ))

  it.live("asks for at most 30 days per report request: a 65-day window is three ranges, back to back", () =>
    withApi(
      (request) =>
        request.path.endsWith("/campaign/get/")
          ? { body: fixture("campaigns.json") }
          : { body: { code: 0, message: "OK", data: { list: [], page_info: { page: 1, page_size: 2, total_number: 0, total_page: 0 } } } },
      (source, requests) =>
        Effect.gen(function* () {
          yield* collect(source.fetch(account, { start: "2024-01-01", end: "2024-03-05" }))
          const ranges = requests.filter((r) => r.path.endsWith("/report/integrated/get/")).map((r) => [r.query.get("start_date"), r.query.get("end_date")])
          assert.deepStrictEqual(ranges, [
            ["2024-01-01", "2024-01-30"],
            ["2024-01-31", "2024-02-29"],
            ["2024-03-01", "2024-03-05"]
          ])
        })
    ))

  it.live("retries TikTok's throttling code (HTTP 200, code 40100) and an HTTP 429, and emits each row once", () => {
    let firstPages = 0
    return withApi(
      (request) => {
        if (request.path.endsWith("/report/integrated/get/") && request.query.get("page") === "1") {
          firstPages += 1
          if (firstPages === 1) return { body: { code: 40100, message: "Too many requests. Please retry in some time.", request_id: "x" } }
          if (firstPages === 2) return { status: 429, body: { code: 40100, message: "Too many requests" }, headers: { "retry-after": "0" } }
        }
        return documentedApi(request)
      },
      (source, requests) =>
        Effect.gen(function* () {
          const records = yield* collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" }))
          assert.strictEqual(good(records).length, 3)
          assert.strictEqual(requests.filter((r) => r.path.endsWith("/report/integrated/get/") && r.query.get("page") === "1").length, 3)
        })
    )
  })

  it.live("a revoked token fails the account at once as an auth error, without the token in the message", () =>
    withApi(
      () => ({ body: { code: 40105, message: `The access token ${TOKEN} is invalid or has been revoked.`, request_id: "y" } }),
      (source, requests) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(collect(source.fetch(account, { start: "2024-05-01", end: "2024-05-02" })))
          assert.strictEqual(failure.reason, "auth")
          assert.strictEqual(failure.source, "tiktok_ads")
          assert.include(failure.message, "40105")
          assert.notInclude(failure.message, TOKEN)
          assert.strictEqual(requests.length, 1, "an auth failure is not retried")
        })
    ))

  it.live("reads each advertiser's name, currency and reporting time zone; an advertiser the token cannot read is named", () =>
    withApi(documentedApi, (source, requests) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* source.accounts, [account])
        assert.deepStrictEqual(JSON.parse(requests[0]!.query.get("advertiser_ids")!), [ADVERTISER])
        const other = yield* nodeHttpClient
        const unknown = makeTikTokAdsSource({ advertiserIds: ["42"], lookbackDays: 7, baseUrl: `http://127.0.0.1:${new URL(`http://${requests[0]!.headers.host}`).port}` }, { accessToken: Redacted.make(TOKEN) }, other)
        const failure = yield* Effect.flip(unknown.accounts)
        assert.strictEqual(failure.reason, "not_found")
        assert.strictEqual(failure.account, "42")
      })
    ))
})
