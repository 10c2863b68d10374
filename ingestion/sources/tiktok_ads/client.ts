/**
 * The live TikTok Ads source: the Marketing API v1.3 over HTTPS with Effect's HttpClient (TikTok
 * keeps no maintained Node SDK on npm). Daily campaign statistics from the synchronous integrated
 * report, 30 days per request at most (the API's limit with `stat_time_day`), paged by
 * `page`/`total_page`; campaign statuses from `campaign/get`. TikTok answers most errors with
 * HTTP 200 and a non-zero `code`: 40100 is its throttling code (retried), 4010x its token codes.
 * The access token travels in the `Access-Token` header and never appears in errors.
 */
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, requestJson, windowSlices, type ApiFailure } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource } from "../../core/source.ts"
import { mapTikTokReportRow } from "./mapping.ts"
import { AdvertiserInfo, CampaignPage, ReportPage, reportMetrics, TikTokEnvelope } from "./schema.ts"

export const TIKTOK_ADS = "tiktok_ads"
export const TIKTOK_API = "https://business-api.tiktok.com"
/** The longest range of one report request by day. */
export const MAX_DAYS_PER_REQUEST = 30

/** Read from TIKTOK_ACCESS_TOKEN (a long-term token of an app with Reporting and Ad Account read scopes). */
export const tiktokAdsCredentials = Config.all({ accessToken: Config.Redacted("TIKTOK_ACCESS_TOKEN") })

export interface TikTokAdsSettings {
  readonly advertiserIds: ReadonlyArray<string>
  readonly lookbackDays: number
  /** The API's address (tests point it at a local server). */
  readonly baseUrl?: string
  readonly pageSize?: number
  readonly retryBase?: Duration.Input
}

const THROTTLED = new Set([40100, 40133])
const UNAUTHORISED = new Set([40001, 40102, 40104, 40105, 40106])

/** TikTok's `code` in the body decides, whatever the HTTP status. */
export const classifyTikTokAnswer = (status: number, body: unknown): ApiFailure | undefined => {
  const envelope = Schema.decodeUnknownOption(TikTokEnvelope)(body)
  if (Option.isNone(envelope)) return status >= 400 ? undefined : { reason: "bad_response", detail: `HTTP ${status} without TikTok's { code, message } envelope` }
  const { code, message } = envelope.value
  if (code === 0) return undefined
  const detail = `code ${code}: ${message ?? "no message"}`
  if (THROTTLED.has(code)) return { reason: "rate_limited", detail }
  if (UNAUTHORISED.has(code)) return { reason: "auth", detail }
  if (code >= 50000) return { reason: "server", detail }
  return { reason: "bad_response", detail }
}

export const makeTikTokAdsSource = (settings: TikTokAdsSettings, credentials: { readonly accessToken: Redacted.Redacted<string> }, client: HttpClient.HttpClient): AdsSource => {
  const token = Redacted.value(credentials.accessToken)
  const base = settings.baseUrl ?? TIKTOK_API
  const pageSize = settings.pageSize ?? 1000

  /** One GET of the API: its `data`, decoded. */
  const get = <A, I>(account: string | undefined, path: string, params: Readonly<Record<string, string>>, schema: Schema.Codec<A, I>) =>
    requestJson(client, HttpClientRequest.get(`${base}/open_api/v1.3/${path}`, { urlParams: params, headers: { "Access-Token": token }, acceptJson: true }), {
      platform: TIKTOK_ADS,
      ...(account === undefined ? {} : { account }),
      secrets: [token],
      classify: classifyTikTokAnswer,
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }).pipe(
      Effect.flatMap((body) => decodeAnswer(TIKTOK_ADS, account, path, schema)((body as { readonly data?: unknown }).data))
    )

  const campaignStatuses = (advertiserId: string) =>
    Stream.runFold(
      pagedRows<{ readonly campaign_id: string; readonly operation_status?: string }, number, SourceError>(1, (page) =>
        get(advertiserId, "campaign/get/", { advertiser_id: advertiserId, fields: JSON.stringify(["campaign_id", "operation_status"]), page: String(page), page_size: String(pageSize) }, CampaignPage).pipe(
          Effect.map((answer) => [[...answer.list], answer.page_info.page < answer.page_info.total_page ? Option.some(page + 1) : Option.none()] as const)
        )
      ),
      () => new Map<string, string>(),
      (statuses, campaign) => (campaign.operation_status === undefined ? statuses : statuses.set(campaign.campaign_id, campaign.operation_status))
    )

  const reportRows = (advertiserId: string, slice: DateWindow) =>
    pagedRows<unknown, number, SourceError>(1, (page) =>
      get(
        advertiserId,
        "report/integrated/get/",
        {
          advertiser_id: advertiserId,
          report_type: "BASIC",
          data_level: "AUCTION_CAMPAIGN",
          dimensions: JSON.stringify(["campaign_id", "stat_time_day"]),
          metrics: JSON.stringify(reportMetrics),
          start_date: slice.start,
          end_date: slice.end,
          page: String(page),
          page_size: String(pageSize)
        },
        ReportPage
      ).pipe(Effect.map((answer) => [[...answer.list], answer.page_info.page < answer.page_info.total_page ? Option.some(page + 1) : Option.none()] as const))
    )

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.map(campaignStatuses(account.id), (statuses) =>
        Stream.fromIterable(windowSlices(window, MAX_DAYS_PER_REQUEST)).pipe(
          Stream.flatMap((slice) => reportRows(account.id, slice)),
          Stream.map((row) => {
            const campaignId = (row as { readonly dimensions?: { readonly campaign_id?: unknown } } | null)?.dimensions?.campaign_id
            const status = typeof campaignId === "string" ? statuses.get(campaignId) : undefined
            const added = status === undefined ? { advertiser_name: account.name } : { advertiser_name: account.name, campaign_operation_status: status }
            return mapTikTokReportRow(account.id, typeof row === "object" && row !== null ? { ...row, ...added } : row)
          })
        )
      )
    )

  const accounts = get(undefined, "advertiser/info/", { advertiser_ids: JSON.stringify(settings.advertiserIds), fields: JSON.stringify(["advertiser_id", "name", "currency", "timezone", "display_timezone"]) }, AdvertiserInfo).pipe(
    Effect.flatMap((info) =>
      Effect.forEach(settings.advertiserIds, (id) => {
        const found = info.list.find((advertiser) => advertiser.advertiser_id === id)
        const timeZone = found?.display_timezone ?? found?.timezone
        return found === undefined || timeZone === undefined
          ? Effect.fail(new SourceError({ source: TIKTOK_ADS, account: id, reason: "not_found", detail: "the token cannot read this advertiser (advertiser/info/ did not return it with its time zone)" }))
          : Effect.succeed<AccountInfo>({ id, name: found.name, currency: found.currency, timeZone })
      })
    )
  )

  return { name: TIKTOK_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
