/**
 * The live LinkedIn Ads source: the versioned Marketing API over HTTPS with Effect's HttpClient
 * (LinkedIn publishes no Node SDK for it). Each request names the API version it was written
 * for (`LinkedIn-Version: YYYYMM`; LinkedIn retires a version a year after it ships, so the
 * settings can move it on) and Rest.li 2.0, whose query syntax (`List(…)`, `(start:(…))`) is sent
 * as written, with only the URNs percent-encoded. Analytics come from `adAnalytics`
 * (`q=analytics`, `pivot=CAMPAIGN`, `timeGranularity=DAILY`), in UTC days and the account's
 * currency; campaign names and statuses from the account's campaign search, paged by
 * `pageToken`. 429 is retried (LinkedIn's throttling answer), 401 fails the account at once.
 */
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, requestJson } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource, withAccountAndCampaign } from "../../core/source.ts"
import { mapLinkedInElement } from "./mapping.ts"
import { AdAccount, AnalyticsAnswer, analyticsFields, CAMPAIGN_URN, CampaignSearchPage } from "./schema.ts"

export const LINKEDIN_ADS = "linkedin_ads"
export const LINKEDIN_API = "https://api.linkedin.com"
/** The Marketing API version these requests follow. */
export const DEFAULT_LINKEDIN_VERSION = "202610"

/** Read from LINKEDIN_ACCESS_TOKEN (a member token with the r_ads_reporting and r_ads scopes). */
export const linkedinAdsCredentials = Config.all({ accessToken: Config.Redacted("LINKEDIN_ACCESS_TOKEN") })

export interface LinkedInAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly apiVersion?: string
  readonly baseUrl?: string
  readonly pageSize?: number
  readonly retryBase?: Duration.Input
}

/** Rest.li's date: `(year:2024,month:5,day:1)`. */
const restliDate = (day: string) => {
  const [year, month, date] = day.split("-").map(Number)
  return `(year:${year},month:${month},day:${date})`
}

export const analyticsQuery = (accountId: string, window: DateWindow): string =>
  [
    "q=analytics",
    "pivot=CAMPAIGN",
    "timeGranularity=DAILY",
    `dateRange=(start:${restliDate(window.start)},end:${restliDate(window.end)})`,
    `accounts=List(${encodeURIComponent(`urn:li:sponsoredAccount:${accountId}`)})`,
    `fields=${analyticsFields.join(",")}`
  ].join("&")

export const makeLinkedInAdsSource = (settings: LinkedInAdsSettings, credentials: { readonly accessToken: Redacted.Redacted<string> }, client: HttpClient.HttpClient): AdsSource => {
  const token = Redacted.value(credentials.accessToken)
  const base = settings.baseUrl ?? LINKEDIN_API
  const pageSize = settings.pageSize ?? 100
  const headers = { Authorization: `Bearer ${token}`, "LinkedIn-Version": settings.apiVersion ?? DEFAULT_LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0" }

  const get = <A, I>(account: string, pathAndQuery: string, schema: Schema.Codec<A, I>) =>
    requestJson(client, HttpClientRequest.get(`${base}/rest/${pathAndQuery}`, { headers, acceptJson: true }), {
      platform: LINKEDIN_ADS,
      account,
      secrets: [token],
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }).pipe(
      Effect.flatMap(decodeAnswer(LINKEDIN_ADS, account, pathAndQuery.split("?")[0]!, schema))
    )

  const campaigns = (accountId: string) =>
    Stream.runFold(
      pagedRows<{ readonly id: number; readonly name: string; readonly status: string }, string | undefined, SourceError>(undefined, (pageToken) =>
        get(accountId, `adAccounts/${accountId}/adCampaigns?q=search&pageSize=${pageSize}${pageToken === undefined ? "" : `&pageToken=${encodeURIComponent(pageToken)}`}`, CampaignSearchPage).pipe(
          Effect.map((page) => [[...page.elements], page.metadata?.nextPageToken === undefined || page.metadata.nextPageToken === "" ? Option.none() : Option.some(page.metadata.nextPageToken)] as const)
        )
      ),
      () => new Map<string, { readonly name: string; readonly status: string }>(),
      (known, campaign) => known.set(String(campaign.id), { name: campaign.name, status: campaign.status })
    )

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const known = yield* campaigns(account.id)
        const answer = yield* get(account.id, `adAnalytics?${analyticsQuery(account.id, window)}`, AnalyticsAnswer)
        return Stream.fromIterable(answer.elements).pipe(
          Stream.map((element) => {
            if (typeof element !== "object" || element === null) return mapLinkedInElement(account.id, element)
            const urn = (element as { readonly pivotValues?: ReadonlyArray<unknown> }).pivotValues?.[0]
            const campaign = typeof urn === "string" ? known.get(CAMPAIGN_URN.exec(urn)?.[1] ?? "") : undefined
            return mapLinkedInElement(account.id, withAccountAndCampaign(element, account, campaign))
          })
        )
      })
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    get(id, `adAccounts/${id}`, AdAccount).pipe(
      // LinkedIn reports analytics by UTC day, whatever the account's own time zone.
      Effect.map((account): AccountInfo => ({ id, name: account.name, currency: account.currency, timeZone: "UTC" }))
    )
  )

  return { name: LINKEDIN_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
