import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted, Stream } from "effect"
import { strToU8, zipSync } from "fflate"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeMicrosoftAdsSource, reportRows } from "../ingestion/sources/microsoft_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const REFRESH = "M.C105_BAY.secret-refresh-token"
const DEVELOPER = "BBD37VB98-developer-token"
const ACCOUNT = "180012345"
const SIGNATURE = "sv=2024&sig=Zm9vYmFyc2lnbmF0dXJl"
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", "microsoft_ads", "api", name), "utf8")
const account = { id: ACCOUNT, name: "Acme Bing", currency: "EUR", timeZone: "Europe/Amsterdam" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")
const zippedReport = Buffer.from(zipSync({ "180012345_campaign.csv": strToU8(fixture("report.csv")) }))

interface Api {
  readonly token?: (request: ReceivedRequest, n: number) => Answer | undefined
  readonly submit?: (request: ReceivedRequest, n: number) => Answer | undefined
  readonly poll?: (request: ReceivedRequest, n: number) => Answer | undefined
}

/** The documented API, each step overridable by a test: token, account, submit, poll (Pending once), download. */
const microsoftApi = (api: Api) => {
  const counts = new Map<string, number>()
  return (request: ReceivedRequest, base: string): Answer => {
    const n = (counts.get(request.path) ?? 0) + 1
    counts.set(request.path, n)
    switch (request.path) {
      case "/common/oauth2/v2.0/token":
        return api.token?.(request, n) ?? { body: { ...JSON.parse(fixture("token.json")), access_token: `access-token-${n}` } }
      case "/CustomerManagement/v13/Account/Query":
        return { body: JSON.parse(fixture("account.json")) }
      case "/Reporting/v13/GenerateReport/Submit":
        return api.submit?.(request, n) ?? { body: { ReportRequestId: "30000001234567" } }
      case "/Reporting/v13/GenerateReport/Poll":
        return (
          api.poll?.(request, n) ??
          (n === 1
            ? { body: { ReportRequestStatus: { ReportDownloadUrl: null, Status: "Pending" } } }
            : { body: { ReportRequestStatus: { ReportDownloadUrl: `${base}/download/report.zip?${SIGNATURE}`, Status: "Success" } } })
        )
      case "/download/report.zip":
        return { body: zippedReport, headers: { "content-type": "application/zip" } }
      default:
        return { status: 404, body: { Errors: [{ Code: 0, ErrorCode: "NotFound", Message: "no such endpoint" }] } }
    }
  }
}

const withApi = <A, E>(answer: (request: ReceivedRequest, base: string) => Answer, use: (source: ReturnType<typeof makeMicrosoftAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(
      makeMicrosoftAdsSource(
        { customerId: "251000000", accountIds: [ACCOUNT], timeZone: "Europe/Amsterdam", lookbackDays: 30, reportingUrl: baseUrl, customerUrl: baseUrl, tokenUrl: `${baseUrl}/common/oauth2/v2.0/token`, pollInterval: "5 millis", retryBase: "10 millis" },
        { clientId: "4c0b021c-00c3-4508-838f-d3127e8167ff", clientSecret: Option.none(), refreshToken: Redacted.make(REFRESH), developerToken: Redacted.make(DEVELOPER) },
        client
      ),
      requests
    )
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Microsoft Advertising source (Reporting API v13 REST, Effect HttpClient, the API on 127.0.0.1)", () => {
  it("reads a report CSV from its column header to the first blank line: a header and a footer block are dropped", () => {
    const rows = reportRows(fixture("report.csv"))
    assert.strictEqual(rows.length, 4)
    assert.deepStrictEqual([rows[0]!["CampaignName"], rows[3]!["Spend"]], ["Brand, exact", "n/a"])
    assert.deepStrictEqual(reportRows('"Report Name: empty"\r\n\r\n"©2024 Microsoft Corporation."'), [])
  })

  it.live("refreshes the access token, submits a daily campaign performance report, polls it to completion, unzips the CSV and quarantines a malformed row", () =>
    withApi(microsoftApi({}), (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, window))
        const token = new URLSearchParams(requests.find((r) => r.path.endsWith("/token"))!.body)
        assert.deepStrictEqual([token.get("grant_type"), token.get("refresh_token"), token.get("client_id")], ["refresh_token", REFRESH, "4c0b021c-00c3-4508-838f-d3127e8167ff"])
        assert.include(token.get("scope")!, "https://ads.microsoft.com/msads.manage")
        const submit = requests.find((r) => r.path.endsWith("/Submit"))!
        const body = JSON.parse(submit.body) as { ReportRequest: Record<string, unknown> }
        assert.deepStrictEqual(
          [body.ReportRequest["Type"], body.ReportRequest["Aggregation"], body.ReportRequest["Format"], body.ReportRequest["ExcludeReportHeader"], body.ReportRequest["ExcludeReportFooter"]],
          ["CampaignPerformanceReportRequest", "Daily", "Csv", true, true]
        )
        assert.deepStrictEqual(body.ReportRequest["Scope"], { AccountIds: [180012345] })
        assert.deepStrictEqual(body.ReportRequest["Time"], { CustomDateRangeStart: { Year: 2024, Month: 5, Day: 1 }, CustomDateRangeEnd: { Year: 2024, Month: 5, Day: 2 } })
        assert.deepStrictEqual([submit.headers["authorization"], submit.headers["developertoken"], submit.headers["customerid"], submit.headers["customeraccountid"]], ["Bearer access-token-1", DEVELOPER, "251000000", ACCOUNT])
        assert.strictEqual(requests.filter((r) => r.path.endsWith("/Poll")).length, 2)
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend, r.metrics.currency]),
          [
            ["810001", "2024-05-01", 2100, 95, 61.2, "EUR"],
            ["810002", "2024-05-01", 800, 31, 20, "EUR"],
            ["810001", "2024-05-02", 1980, 88, 57.1, "EUR"]
          ]
        )
        assert.strictEqual(good(records)[0]!.payload["Revenue"], "312.50")
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "Spend")
      })
    ))

  it.live("retries CallRateExceeded, renews an expired access token once, and a report without data downloads nothing", () =>
    withApi(
      microsoftApi({
        submit: (_, n) =>
          n === 1
            ? { status: 400, body: { TrackingId: "t1", Errors: [{ Code: 117, ErrorCode: "CallRateExceeded", Message: "You have exceeded the number of calls you are allowed to make in a given time period." }] } }
            : n === 2
              ? { status: 401, body: { TrackingId: "t2", Errors: [{ Code: 109, ErrorCode: "AuthenticationTokenExpired", Message: "The OAuth access token has expired." }] } }
              : undefined,
        poll: () => ({ body: { ReportRequestStatus: { ReportDownloadUrl: null, Status: "Success" } } })
      }),
      (source, requests) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* collect(source.fetch(account, window)), [])
          assert.strictEqual(requests.filter((r) => r.path.endsWith("/Submit")).length, 3)
          assert.deepStrictEqual(
            requests.filter((r) => r.path.endsWith("/Submit")).map((r) => r.headers["authorization"]),
            ["Bearer access-token-1", "Bearer access-token-1", "Bearer access-token-2"]
          )
          assert.strictEqual(requests.filter((r) => r.path.endsWith("/download/report.zip")).length, 0)
        })
    ))

  it.live("a revoked refresh token fails as an auth error naming invalid_grant; no secret reaches the message, nor the signed download address", () =>
    withApi(
      microsoftApi({ token: () => ({ status: 400, body: { error: "invalid_grant", error_description: `AADSTS70000: The refresh token ${REFRESH} was revoked.\r\nTrace ID: x` } }) }),
      (source, requests) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(source.accounts)
          assert.strictEqual(failure.reason, "auth")
          assert.include(failure.message, "invalid_grant")
          assert.notInclude(failure.message, REFRESH)
          assert.strictEqual(requests.length, 1)
        })
    ).pipe(
      Effect.andThen(
        withApi(
          (() => {
            const documented = microsoftApi({})
            return (request: ReceivedRequest, base: string): Answer =>
              request.path === "/download/report.zip" ? { status: 403, body: `AuthenticationFailed for ${base}/download/report.zip?${SIGNATURE}` } : documented(request, base)
          })(),
          (source) =>
            Effect.gen(function* () {
              const failure = yield* Effect.flip(collect(source.fetch(account, window)))
              assert.strictEqual(failure.reason, "auth")
              assert.notInclude(failure.message, "Zm9vYmFyc2lnbmF0dXJl")
              assert.notInclude(failure.message, DEVELOPER)
            })
        )
      )
    ))

  it.live("reads the account's name and currency from Customer Management, the days' zone from the settings", () =>
    withApi(microsoftApi({}), (source) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* source.accounts, [account])
      })
    ))
})
