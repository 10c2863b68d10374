/**
 * The live Snapchat Ads source: the Marketing API v1 over HTTPS with Effect's HttpClient
 * (Snapchat publishes no Node SDK). Stats are asked per ad account, by day, broken down by
 * campaign, between the account's own midnights (Snapchat refuses times that are not whole days
 * in the account's time zone), at most 31 days per request; campaigns are listed for their names
 * and statuses, following `paging.next_link`. Every answer carries `request_status`; 429 is
 * retried with its Retry-After, 401 and 403 fail the account at once.
 */
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { addDays, midnightInZone } from "../../core/dates.ts"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, requestJson, windowSlices, type ApiFailure } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource, withAccountAndCampaign } from "../../core/source.ts"
import { mapSnapchatDay } from "./mapping.ts"
import { AdAccountAnswer, CampaignsAnswer, Envelope, StatsAnswer, statsFields } from "./schema.ts"

export const SNAPCHAT_ADS = "snapchat_ads"
export const SNAPCHAT_API = "https://adsapi.snapchat.com"
export const MAX_DAYS_PER_REQUEST = 31

/** Read from SNAPCHAT_ACCESS_TOKEN (an OAuth access token of an app with snapchat-marketing-api scope). */
export const snapchatAdsCredentials = Config.all({ accessToken: Config.Redacted("SNAPCHAT_ACCESS_TOKEN") })

export interface SnapchatAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly baseUrl?: string
  readonly retryBase?: Duration.Input
}

/** An ERROR `request_status` in a 2xx answer is the API's own failure. */
export const classifySnapchatAnswer = (status: number, body: unknown): ApiFailure | undefined => {
  if (status >= 400) return undefined
  const envelope = Schema.decodeUnknownOption(Envelope)(body)
  if (Option.isNone(envelope)) return { reason: "bad_response", detail: `HTTP ${status} without Snapchat's request_status` }
  return envelope.value.request_status.toUpperCase() === "SUCCESS" ? undefined : { reason: "bad_response", detail: envelope.value.debug_message ?? envelope.value.display_message ?? envelope.value.request_status }
}

export const makeSnapchatAdsSource = (settings: SnapchatAdsSettings, credentials: { readonly accessToken: Redacted.Redacted<string> }, client: HttpClient.HttpClient): AdsSource => {
  const token = Redacted.value(credentials.accessToken)
  const base = settings.baseUrl ?? SNAPCHAT_API

  const get = <A, I>(account: string, url: string, params: Readonly<Record<string, string>>, schema: Schema.Codec<A, I>) =>
    requestJson(client, HttpClientRequest.get(url, { urlParams: params, headers: { Authorization: `Bearer ${token}` }, acceptJson: true }), {
      platform: SNAPCHAT_ADS,
      account,
      secrets: [token],
      classify: classifySnapchatAnswer,
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }).pipe(
      Effect.flatMap(decodeAnswer(SNAPCHAT_ADS, account, new URL(url).pathname, schema))
    )

  // A next_link is the API's own address for the next page: followed only on the API's host.
  const sameHost = (link: string) => new URL(link).origin === new URL(base).origin

  const campaigns = (accountId: string) =>
    Stream.runFold(
      pagedRows<{ readonly id: string; readonly name: string; readonly status: string }, string, SourceError>(`${base}/v1/adaccounts/${accountId}/campaigns`, (url) =>
        get(accountId, url, {}, CampaignsAnswer).pipe(
          Effect.map((page) => {
            const next = page.paging?.next_link
            return [page.campaigns.map((entry) => entry.campaign), next !== undefined && next !== "" && sameHost(next) ? Option.some(next) : Option.none()] as const
          })
        )
      ),
      () => new Map<string, { readonly name: string; readonly status: string }>(),
      (known, campaign) => known.set(campaign.id, { name: campaign.name, status: campaign.status })
    )

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.map(campaigns(account.id), (known) =>
        Stream.fromIterable(windowSlices(window, MAX_DAYS_PER_REQUEST)).pipe(
          Stream.mapEffect((slice) =>
            get(
              account.id,
              `${base}/v1/adaccounts/${account.id}/stats`,
              {
                granularity: "DAY",
                breakdown: "campaign",
                fields: statsFields.join(","),
                start_time: midnightInZone(slice.start, account.timeZone),
                end_time: midnightInZone(addDays(slice.end, 1), account.timeZone)
              },
              StatsAnswer
            )
          ),
          Stream.flatMap((answer) =>
            Stream.fromIterable(
              answer.timeseries_stats.flatMap((entry) =>
                entry.timeseries_stat.breakdown_stats.campaign.flatMap((campaign) =>
                  campaign.timeseries.map((day) => {
                    const named = known.get(campaign.id)
                    return withAccountAndCampaign({ campaign_id: campaign.id, ...day }, account, named)
                  })
                )
              )
            )
          ),
          Stream.map((row) => mapSnapchatDay(account.id, row))
        )
      )
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    get(id, `${base}/v1/adaccounts/${id}`, {}, AdAccountAnswer).pipe(
      Effect.flatMap((answer) => {
        const found = answer.adaccounts[0]?.adaccount
        return found === undefined
          ? Effect.fail(new SourceError({ source: SNAPCHAT_ADS, account: id, reason: "not_found", detail: "the ad account was not returned" }))
          : Effect.succeed<AccountInfo>({ id, name: found.name, currency: found.currency, timeZone: found.timezone })
      })
    )
  )

  return { name: SNAPCHAT_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
