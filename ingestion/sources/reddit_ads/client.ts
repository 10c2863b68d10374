/**
 * The live Reddit Ads source: Ads API v3 with Effect's HttpClient (Reddit publishes no Node SDK
 * for it). An access token from the refresh token (reddit.com's OAuth, the app's id and secret
 * as basic authentication, renewed once on a 401); the account's currency and time zone; its
 * campaigns for names and statuses; then a report by campaign and day between the account's own
 * midnights, paged through `pagination.next_url`. 429 is retried with its Retry-After. Reddit
 * asks every client for a descriptive User-Agent.
 */
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { addDays, midnightInZone } from "../../core/dates.ts"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, refreshedAccessToken, requestJson, windowSlices } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow, FetchedRecord } from "../../core/model.ts"
import { pagedRows, type AdsSource, withAccountAndCampaign } from "../../core/source.ts"
import { mapRedditRow } from "./mapping.ts"
import { AdAccount, CampaignPage, ReportPage, reportFields } from "./schema.ts"

export const REDDIT_ADS = "reddit_ads"
export const REDDIT_API = "https://ads-api.reddit.com"
export const REDDIT_TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
const USER_AGENT = "marketing-data-platform/0.1 (campaign daily statistics)"
/** Days per report request: a month keeps each answer a few pages. */
export const MAX_DAYS_PER_REQUEST = 31

export const redditAdsCredentials = Config.all({
  clientId: Config.String("REDDIT_ADS_CLIENT_ID"),
  clientSecret: Config.Redacted("REDDIT_ADS_CLIENT_SECRET"),
  refreshToken: Config.Redacted("REDDIT_ADS_REFRESH_TOKEN")
})
export type RedditAdsCredentials = Effect.Success<typeof redditAdsCredentials>

export interface RedditAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly baseUrl?: string
  readonly tokenUrl?: string
  readonly retryBase?: Duration.Input
}

export const makeRedditAdsSource = (settings: RedditAdsSettings, credentials: RedditAdsCredentials, client: HttpClient.HttpClient): AdsSource => {
  const refreshToken = Redacted.value(credentials.refreshToken)
  const clientSecret = Redacted.value(credentials.clientSecret)
  const base = settings.baseUrl ?? REDDIT_API
  const basic = Buffer.from(`${credentials.clientId}:${clientSecret}`).toString("base64")
  const fixedSecrets = [refreshToken, clientSecret, basic]
  const options = (account: string) => ({
    platform: REDDIT_ADS,
    account,
    secrets: [...fixedSecrets, ...token.current()],
    ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
  })

  const token = refreshedAccessToken(
    client,
    () =>
      HttpClientRequest.post(settings.tokenUrl ?? REDDIT_TOKEN_URL, { headers: { Authorization: `Basic ${basic}`, "User-Agent": USER_AGENT } }).pipe(
        HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", refresh_token: refreshToken })
      ),
    {
      platform: REDDIT_ADS,
      secrets: fixedSecrets,
      // reddit.com answers a revoked token with HTTP 200 and { error: "invalid_grant" }.
      classify: (_, body) => (typeof body === "object" && body !== null && "error" in body ? { reason: "auth", detail: `token: ${String((body as { error: unknown }).error)}` } : undefined),
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }
  )

  const call = <A, I>(account: string, build: () => HttpClientRequest.HttpClientRequest, what: string, schema: Schema.Codec<A, I>) =>
    token
      .withToken(
        (bearer) => requestJson(client, build().pipe(HttpClientRequest.setHeaders({ Authorization: `Bearer ${bearer}`, "User-Agent": USER_AGENT })), options(account)),
        (error) => error.reason === "auth" && /HTTP 401/.test(error.detail)
      )
      .pipe(Effect.flatMap(decodeAnswer(REDDIT_ADS, account, what, schema)))

  // A next_url is the API's own address for the next page: followed only on the API's host.
  const nextOf = (next: string | null | undefined) => (typeof next === "string" && next !== "" && new URL(next).origin === new URL(base).origin ? Option.some(next) : Option.none())

  const campaigns = (accountId: string) =>
    Stream.runFold(
      pagedRows<{ readonly id: string; readonly name: string; readonly configured_status?: string }, string, SourceError>(`${base}/api/v3/ad_accounts/${accountId}/campaigns?page.size=1000`, (url) =>
        call(accountId, () => HttpClientRequest.get(url, { acceptJson: true }), "campaigns", CampaignPage).pipe(Effect.map((page) => [[...page.data], nextOf(page.pagination?.next_url)] as const))
      ),
      () => new Map<string, { readonly name: string; readonly status: string | undefined }>(),
      (known, campaign) => known.set(campaign.id, { name: campaign.name, status: campaign.configured_status })
    )

  const report = (account: AccountInfo, slice: DateWindow) => {
    const first = `${base}/api/v3/ad_accounts/${account.id}/reports`
    const body = {
      data: {
        breakdowns: ["CAMPAIGN_ID", "DATE"],
        fields: reportFields,
        starts_at: midnightInZone(slice.start, account.timeZone),
        ends_at: midnightInZone(addDays(slice.end, 1), account.timeZone),
        time_zone_id: account.timeZone
      }
    }
    return pagedRows<unknown, string, SourceError>(first, (url) =>
      call(account.id, () => HttpClientRequest.post(url, { acceptJson: true }).pipe(HttpClientRequest.bodyJsonUnsafe(body)), "reports", ReportPage).pipe(
        Effect.map((page) => [[...page.data.metrics], nextOf(page.pagination?.next_url)] as const)
      )
    )
  }

  const fetch = (account: AccountInfo, window: DateWindow): Stream.Stream<FetchedRecord, SourceError> =>
    Stream.unwrap(
      Effect.map(campaigns(account.id), (known) =>
        Stream.fromIterable(windowSlices(window, MAX_DAYS_PER_REQUEST)).pipe(
          Stream.flatMap((slice) => report(account, slice)),
          Stream.map((row) => {
            if (typeof row !== "object" || row === null) return mapRedditRow(account.id, row)
            const campaign = known.get(String((row as { readonly campaign_id?: unknown }).campaign_id))
            return mapRedditRow(account.id, withAccountAndCampaign(row, account, campaign))
          })
        )
      )
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    call(id, () => HttpClientRequest.get(`${base}/api/v3/ad_accounts/${id}`, { acceptJson: true }), "ad_accounts", AdAccount).pipe(
      Effect.map((answer): AccountInfo => ({ id, name: answer.data.name, currency: answer.data.currency, timeZone: answer.data.time_zone_id }))
    )
  )

  return { name: REDDIT_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
