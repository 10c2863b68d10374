/**
 * The live Microsoft Advertising source: the Reporting API v13 (its REST JSON endpoints) with
 * Effect's HttpClient. A campaign performance report by day is submitted
 * (`GenerateReport/Submit`), polled until it is ready (`GenerateReport/Poll`), and its zipped CSV
 * downloaded and read in memory (fflate unzips it): the same columns as the exports the folder
 * mode reads, so the same staging model. The report is asked without its header and footer
 * rows; rows before the column header or after the first blank line are dropped anyway, as an
 * export opened by hand has them. The access token comes from the refresh token (Microsoft
 * identity platform), once per run and again when the API says it expired.
 */
import { parse as parseCsv } from "csv-parse/sync"
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { strFromU8, unzipSync } from "fflate"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, refreshedAccessToken, requestBytes, requestJson, type ApiFailure } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow, FetchedRecord } from "../../core/model.ts"
import type { AdsSource } from "../../core/source.ts"
import { mapMicrosoftReportRow } from "./mapping.ts"

export const MICROSOFT_ADS = "microsoft_ads"
export const REPORTING_API = "https://reporting.api.bingads.microsoft.com"
export const CUSTOMER_API = "https://clientcenter.api.bingads.microsoft.com"
export const TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"

export const REPORT_COLUMNS = ["AccountId", "AccountName", "CampaignId", "CampaignName", "CampaignStatus", "TimePeriod", "Impressions", "Clicks", "Spend", "Conversions", "Revenue", "CurrencyCode"] as const

/** Read from the environment: the app's client id (and secret, for a confidential app), a refresh token, the developer token. */
export const microsoftAdsCredentials = Config.all({
  clientId: Config.String("MICROSOFT_ADS_CLIENT_ID"),
  clientSecret: Config.option(Config.Redacted("MICROSOFT_ADS_CLIENT_SECRET")),
  refreshToken: Config.Redacted("MICROSOFT_ADS_REFRESH_TOKEN"),
  developerToken: Config.Redacted("MICROSOFT_ADS_DEVELOPER_TOKEN")
})
export type MicrosoftAdsCredentials = Effect.Success<typeof microsoftAdsCredentials>

export interface MicrosoftAdsSettings {
  readonly customerId: string
  readonly accountIds: ReadonlyArray<string>
  /** The accounts' time zone (IANA): the report's days are the account's. */
  readonly timeZone: string
  readonly lookbackDays: number
  readonly reportingUrl?: string
  readonly customerUrl?: string
  readonly tokenUrl?: string
  readonly pollInterval?: Duration.Input
  /** Polls before the report counts as stuck. */
  readonly maxPolls?: number
  readonly retryBase?: Duration.Input
}

const SubmitAnswer = Schema.Struct({ ReportRequestId: Schema.String })
const PollAnswer = Schema.Struct({
  ReportRequestStatus: Schema.Struct({ Status: Schema.String, ReportDownloadUrl: Schema.optionalKey(Schema.NullOr(Schema.String)) })
})
const AccountAnswer = Schema.Struct({ Account: Schema.Struct({ Id: Schema.Union([Schema.Number, Schema.String]), Name: Schema.String, CurrencyCode: Schema.String }) })

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === "object" && value !== null

/** Microsoft's own error codes, in `Errors[]` (operation errors) or `BatchErrors[]`. */
export const classifyMicrosoftAnswer = (status: number, body: unknown): ApiFailure | undefined => {
  if (status < 400 || !isRecord(body)) return undefined
  const errors = [...(Array.isArray(body["Errors"]) ? body["Errors"] : []), ...(Array.isArray(body["BatchErrors"]) ? body["BatchErrors"] : [])].filter(isRecord)
  const first = errors[0]
  if (first === undefined) return undefined
  const code = String(first["ErrorCode"] ?? first["Code"] ?? "")
  const detail = `${code}: ${String(first["Message"] ?? "no message")}`
  if (code === "CallRateExceeded" || code === "117" || code === "ConcurrentRequestOverLimit") return { reason: "rate_limited", detail }
  if (/InvalidCredentials|AuthenticationTokenExpired|UserIsNotAuthorized|InvalidDeveloperToken|^10[5-9]$/.test(code)) return { reason: "auth", detail }
  if (code === "InternalError" || code === "0") return { reason: "server", detail }
  return { reason: "bad_response", detail }
}

/** The report CSV's rows: from its column header to the first blank line (a header or footer block, if any, dropped). */
export const reportRows = (csv: string): ReadonlyArray<Record<string, string>> => {
  const lines = csv.replace(/^\uFEFF/, "").split(/\r?\n/)
  const header = lines.findIndex((line) => line.includes("AccountId") && line.includes("TimePeriod"))
  if (header === -1) return []
  const end = lines.findIndex((line, index) => index > header && (line.trim() === "" || /^"?©/.test(line)))
  const body = lines.slice(header, end === -1 ? undefined : end).join("\n")
  return parseCsv(body, { columns: true, skip_empty_lines: true, trim: true }) as ReadonlyArray<Record<string, string>>
}

const ymd = (day: string) => {
  const [year, month, date] = day.split("-").map(Number)
  return { Year: year, Month: month, Day: date }
}

export const makeMicrosoftAdsSource = (settings: MicrosoftAdsSettings, credentials: MicrosoftAdsCredentials, client: HttpClient.HttpClient): AdsSource => {
  const refreshToken = Redacted.value(credentials.refreshToken)
  const developerToken = Redacted.value(credentials.developerToken)
  const clientSecret = Option.map(credentials.clientSecret, Redacted.value)
  const reporting = settings.reportingUrl ?? REPORTING_API
  const fixedSecrets = [refreshToken, developerToken, ...Option.toArray(clientSecret)]
  const options = (account: string | undefined) => ({
    platform: MICROSOFT_ADS,
    ...(account === undefined ? {} : { account }),
    secrets: [...fixedSecrets, ...token.current()],
    classify: classifyMicrosoftAnswer,
    ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
  })

  const token = refreshedAccessToken(
    client,
    () =>
      HttpClientRequest.post(settings.tokenUrl ?? TOKEN_URL).pipe(
        HttpClientRequest.bodyUrlParams({
          client_id: credentials.clientId,
          grant_type: "refresh_token",
          refresh_token: refreshToken,
          scope: "https://ads.microsoft.com/msads.manage offline_access",
          ...(Option.isSome(clientSecret) ? { client_secret: clientSecret.value } : {})
        })
      ),
    {
      platform: MICROSOFT_ADS,
      secrets: fixedSecrets,
      // The identity platform's invalid_grant is an expired or revoked refresh token.
      classify: (status, body) => (status === 400 && isRecord(body) && body["error"] === "invalid_grant" ? { reason: "auth", detail: `invalid_grant: ${String(body["error_description"] ?? "").split("\n")[0]}` } : undefined),
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }
  )

  /** A call of the API with the current access token, renewed once if the API says it expired. */
  const call = <A, I>(account: string, url: string, body: unknown, schema: Schema.Codec<A, I>) =>
    token
      .withToken(
        (bearer) =>
          requestJson(
            client,
            HttpClientRequest.post(url, {
              headers: { Authorization: `Bearer ${bearer}`, DeveloperToken: developerToken, CustomerId: settings.customerId, CustomerAccountId: account },
              acceptJson: true
            }).pipe(HttpClientRequest.bodyJsonUnsafe(body)),
            options(account)
          ),
        (error) => error.reason === "auth" && /AuthenticationTokenExpired|^109/.test(error.detail)
      )
      .pipe(Effect.flatMap(decodeAnswer(MICROSOFT_ADS, account, new URL(url).pathname, schema)))

  const report = (account: AccountInfo, window: DateWindow) =>
    Effect.gen(function* () {
      const submitted = yield* call(
        account.id,
        `${reporting}/Reporting/v13/GenerateReport/Submit`,
        {
          ReportRequest: {
            Type: "CampaignPerformanceReportRequest",
            ReportName: `mdp campaign_daily ${window.start}..${window.end}`,
            Format: "Csv",
            Aggregation: "Daily",
            ExcludeReportHeader: true,
            ExcludeReportFooter: true,
            ExcludeColumnHeaders: false,
            ReturnOnlyCompleteData: false,
            Columns: REPORT_COLUMNS,
            Scope: { AccountIds: [Number(account.id)] },
            Time: { CustomDateRangeStart: ymd(window.start), CustomDateRangeEnd: ymd(window.end) }
          }
        },
        SubmitAnswer
      )
      for (let polls = 0; ; polls++) {
        const polled = yield* call(account.id, `${reporting}/Reporting/v13/GenerateReport/Poll`, { ReportRequestId: submitted.ReportRequestId }, PollAnswer)
        const { Status, ReportDownloadUrl } = polled.ReportRequestStatus
        if (Status === "Success") return ReportDownloadUrl ?? undefined
        if (Status === "Error") return yield* new SourceError({ source: MICROSOFT_ADS, account: account.id, reason: "server", detail: `report ${submitted.ReportRequestId} ended in Error` })
        if (polls + 1 >= (settings.maxPolls ?? 120)) {
          return yield* new SourceError({ source: MICROSOFT_ADS, account: account.id, reason: "server", detail: `report ${submitted.ReportRequestId} still ${Status} after ${polls + 1} polls` })
        }
        yield* Effect.sleep(settings.pollInterval ?? "5 seconds")
      }
    })

  const download = (account: AccountInfo, url: string) =>
    // The download address is signed: nothing but it is needed, and it is never kept in errors.
    requestBytes(client, HttpClientRequest.get(url), { ...options(account.id), secrets: [...options(account.id).secrets, url, new URL(url).search.slice(1)] }).pipe(
      Effect.flatMap((zipped) =>
        Effect.try({
          try: () => {
            const files = Object.entries(unzipSync(zipped)).filter(([name]) => name.toLowerCase().endsWith(".csv"))
            return files.flatMap(([, bytes]) => reportRows(strFromU8(bytes)))
          },
          catch: (cause) => new SourceError({ source: MICROSOFT_ADS, account: account.id, reason: "bad_response", detail: `the report download is not a readable zipped CSV (${cause instanceof Error ? cause.message : String(cause)})` })
        })
      )
    )

  const fetch = (account: AccountInfo, window: DateWindow): Stream.Stream<FetchedRecord, SourceError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const url = yield* report(account, window)
        // A report without data has no download.
        const rows = url === undefined ? [] : yield* download(account, url)
        return Stream.fromIterable(rows).pipe(Stream.map((row) => mapMicrosoftReportRow(account.id, row)))
      })
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    call(id, `${settings.customerUrl ?? CUSTOMER_API}/CustomerManagement/v13/Account/Query`, { AccountId: id }, AccountAnswer).pipe(
      Effect.map((answer): AccountInfo => ({ id, name: answer.Account.Name, currency: answer.Account.CurrencyCode, timeZone: settings.timeZone }))
    )
  )

  return { name: MICROSOFT_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
