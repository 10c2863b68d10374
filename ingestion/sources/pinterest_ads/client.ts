/**
 * The live Pinterest Ads source: API v5 over HTTPS with Effect's HttpClient (Pinterest publishes
 * no Node SDK). Campaign analytics by day need the campaigns named: the account's campaigns are
 * listed first (paged by `bookmark`, which also gives names and statuses), then analytics are
 * asked for 250 campaigns (the API's most) and 90 days at a time. 429 is retried with its
 * Retry-After; 401 and 403 fail the account at once.
 */
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, requestJson, windowSlices } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource, withAccountAndCampaign } from "../../core/source.ts"
import { mapPinterestRow } from "./mapping.ts"
import { AdAccount, AnalyticsAnswer, analyticsColumns, CampaignPage } from "./schema.ts"

export const PINTEREST_ADS = "pinterest_ads"
export const PINTEREST_API = "https://api.pinterest.com"
export const MAX_DAYS_PER_REQUEST = 90
export const MAX_CAMPAIGNS_PER_REQUEST = 250

/** Read from PINTEREST_ACCESS_TOKEN (an app token with the ads:read scope). */
export const pinterestAdsCredentials = Config.all({ accessToken: Config.Redacted("PINTEREST_ACCESS_TOKEN") })

export interface PinterestAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly baseUrl?: string
  readonly retryBase?: Duration.Input
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

export const makePinterestAdsSource = (settings: PinterestAdsSettings, credentials: { readonly accessToken: Redacted.Redacted<string> }, client: HttpClient.HttpClient): AdsSource => {
  const token = Redacted.value(credentials.accessToken)
  const base = settings.baseUrl ?? PINTEREST_API

  const get = <A, I>(account: string, path: string, params: Readonly<Record<string, string>>, schema: Schema.Codec<A, I>) =>
    requestJson(client, HttpClientRequest.get(`${base}/v5/${path}`, { urlParams: params, headers: { Authorization: `Bearer ${token}` }, acceptJson: true }), {
      platform: PINTEREST_ADS,
      account,
      secrets: [token],
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }).pipe(
      Effect.flatMap(decodeAnswer(PINTEREST_ADS, account, path, schema))
    )

  const campaigns = (accountId: string) =>
    Stream.runCollect(
      pagedRows<{ readonly id: string; readonly name: string; readonly status: string }, string | undefined, SourceError>(undefined, (bookmark) =>
        get(accountId, `ad_accounts/${accountId}/campaigns`, { page_size: "250", ...(bookmark === undefined ? {} : { bookmark }) }, CampaignPage).pipe(
          Effect.map((page) => [[...page.items], typeof page.bookmark === "string" && page.bookmark !== "" ? Option.some(page.bookmark) : Option.none()] as const)
        )
      )
    )

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.map(campaigns(account.id), (listed) => {
        const known = new Map(listed.map((campaign) => [campaign.id, campaign]))
        const requests = windowSlices(window, MAX_DAYS_PER_REQUEST).flatMap((slice) => chunks([...known.keys()], MAX_CAMPAIGNS_PER_REQUEST).map((ids) => ({ slice, ids })))
        return Stream.fromIterable(requests).pipe(
          Stream.mapEffect(({ slice, ids }) =>
            get(account.id, `ad_accounts/${account.id}/campaigns/analytics`, { start_date: slice.start, end_date: slice.end, campaign_ids: ids.join(","), columns: analyticsColumns.join(","), granularity: "DAY" }, AnalyticsAnswer)
          ),
          Stream.flatMap((rows) => Stream.fromIterable(rows)),
          Stream.map((row) => {
            if (typeof row !== "object" || row === null) return mapPinterestRow(account.id, row)
            const campaign = known.get(String((row as { readonly CAMPAIGN_ID?: unknown }).CAMPAIGN_ID))
            return mapPinterestRow(account.id, withAccountAndCampaign(row, account, campaign))
          })
        )
      })
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    // Analytics dates are UTC dates (the API's start_date and end_date).
    get(id, `ad_accounts/${id}`, {}, AdAccount).pipe(Effect.map((account): AccountInfo => ({ id, name: account.name, currency: account.currency, timeZone: "UTC" })))
  )

  return { name: PINTEREST_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
