/**
 * The live X Ads source: Ads API v12 with Effect's HttpClient, each request signed with OAuth
 * 1.0a (X's only way for the Ads API; `oauth-1.0a` signs). Statistics come from asynchronous
 * stats jobs (X's way for daily history): one job per placement, 20 campaigns and 90 days at
 * most, between the account's own midnights, polled until SUCCESS and read as gzipped JSON; each
 * metric is an array of days, taken apart into one row per campaign, day and placement
 * (placements are segments, summed by staging). 429 is retried, waiting until the rate-limit
 * reset X names; 401 fails the account.
 */
import { createHmac } from "node:crypto"
import { gunzipSync } from "node:zlib"
import OAuth from "oauth-1.0a"
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { addDays, midnightInZone } from "../../core/dates.ts"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, requestBytes, requestJson, windowSlices } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow, FetchedRecord } from "../../core/model.ts"
import { pagedRows, type AdsSource, withAccountAndCampaign } from "../../core/source.ts"
import { mapXDay } from "./mapping.ts"
import { Account, CampaignPage, FundingInstruments, JobCreated, JobStatus, StatsFile } from "./schema.ts"

export const X_ADS = "x_ads"
export const X_ADS_API = "https://ads-api.x.com"
export const PLACEMENTS = ["ALL_ON_TWITTER", "PUBLISHER_NETWORK"] as const
export const MAX_DAYS_PER_JOB = 90
export const MAX_CAMPAIGNS_PER_JOB = 20

export const xAdsCredentials = Config.all({
  consumerKey: Config.String("X_ADS_CONSUMER_KEY"),
  consumerSecret: Config.Redacted("X_ADS_CONSUMER_SECRET"),
  accessToken: Config.String("X_ADS_ACCESS_TOKEN"),
  accessTokenSecret: Config.Redacted("X_ADS_ACCESS_TOKEN_SECRET")
})
export type XAdsCredentials = Effect.Success<typeof xAdsCredentials>

export interface XAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly baseUrl?: string
  readonly pollInterval?: Duration.Input
  readonly maxPolls?: number
  readonly retryBase?: Duration.Input
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** The days' rows of one stats file: one per campaign, day and placement that had any activity. */
export const daysOfStats = (file: Schema.Schema.Type<typeof StatsFile>, firstDay: string, placement: string): ReadonlyArray<Record<string, unknown>> =>
  file.data.flatMap((campaign) =>
    campaign.id_data.flatMap(({ metrics }) => {
      const length = Math.max(metrics.impressions?.length ?? 0, metrics.billed_charge_local_micro?.length ?? 0, metrics.clicks?.length ?? 0)
      return Array.from({ length }, (_, i) => {
        const at = (values: ReadonlyArray<number | null> | null | undefined) => values?.[i] ?? null
        if (at(metrics.impressions) === null && at(metrics.billed_charge_local_micro) === null && at(metrics.clicks) === null) return undefined
        const purchases = at(metrics.conversion_purchases?.metric)
        const sales = at(metrics.conversion_purchases?.sale_amount)
        return {
          campaign_id: campaign.id,
          date: addDays(firstDay, i),
          placement,
          impressions: at(metrics.impressions) ?? 0,
          clicks: at(metrics.clicks) ?? 0,
          billed_charge_local_micro: at(metrics.billed_charge_local_micro) ?? 0,
          ...(purchases === null ? {} : { conversion_purchases: purchases }),
          ...(sales === null ? {} : { conversion_purchases_sale_amount_local_micro: sales })
        }
      }).filter((row): row is NonNullable<typeof row> => row !== undefined)
    })
  )

export const makeXAdsSource = (settings: XAdsSettings, credentials: XAdsCredentials, client: HttpClient.HttpClient): AdsSource => {
  const consumerSecret = Redacted.value(credentials.consumerSecret)
  const tokenSecret = Redacted.value(credentials.accessTokenSecret)
  const base = settings.baseUrl ?? X_ADS_API
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: consumerSecret },
    signature_method: "HMAC-SHA1",
    hash_function: (text, key) => createHmac("sha1", key).update(text).digest("base64")
  })
  const options = (account: string) => ({
    platform: X_ADS,
    account,
    secrets: [consumerSecret, tokenSecret],
    // X's 429 names when the limit resets (epoch seconds) rather than a Retry-After.
    classify: (status: number, _body: unknown, headers: Readonly<Record<string, string | undefined>>) => {
      if (status !== 429) return undefined
      const reset = Number(headers["x-rate-limit-reset"] ?? headers["x-account-rate-limit-reset"])
      return { reason: "rate_limited" as const, detail: "HTTP 429: rate limit reached", ...(Number.isFinite(reset) ? { retryAfterMs: Math.max(0, reset * 1000 - Date.now()) } : {}) }
    },
    ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
  })
  const decode = <A, I>(account: string, what: string, schema: Schema.Codec<A, I>) => decodeAnswer(X_ADS, account, what, schema)

  /** A signed request: the query is part of what is signed. */
  const signed = (method: "GET" | "POST", path: string, query: Readonly<Record<string, string>> = {}) => {
    const url = `${base}${path}${Object.keys(query).length === 0 ? "" : `?${new URLSearchParams(query).toString()}`}`
    const header = oauth.toHeader(oauth.authorize({ url, method }, { key: credentials.accessToken, secret: tokenSecret }))
    return (method === "GET" ? HttpClientRequest.get(url) : HttpClientRequest.post(url)).pipe(HttpClientRequest.setHeaders({ Authorization: header.Authorization, Accept: "application/json" }))
  }

  const call = <A, I>(account: string, method: "GET" | "POST", path: string, query: Readonly<Record<string, string>>, schema: Schema.Codec<A, I>) =>
    requestJson(client, signed(method, path, query), options(account)).pipe(Effect.flatMap(decode(account, path.replace(account, "{id}"), schema)))

  const campaigns = (accountId: string) =>
    Stream.runFold(
      pagedRows<{ readonly id: string; readonly name: string; readonly entity_status?: string }, string | undefined, SourceError>(undefined, (cursor) =>
        call(accountId, "GET", `/12/accounts/${accountId}/campaigns`, { count: "1000", with_deleted: "true", ...(cursor === undefined ? {} : { cursor }) }, CampaignPage).pipe(
          Effect.map((page) => [[...page.data], typeof page.next_cursor === "string" && page.next_cursor !== "" ? Option.some(page.next_cursor) : Option.none()] as const)
        )
      ),
      () => new Map<string, { readonly name: string; readonly status: string | undefined }>(),
      (known, campaign) => known.set(campaign.id, { name: campaign.name, status: campaign.entity_status })
    )

  const job = (account: AccountInfo, ids: ReadonlyArray<string>, slice: DateWindow, placement: string) =>
    Effect.gen(function* () {
      const created = yield* call(
        account.id,
        "POST",
        `/12/stats/jobs/accounts/${account.id}`,
        {
          entity: "CAMPAIGN",
          entity_ids: ids.join(","),
          start_time: midnightInZone(slice.start, account.timeZone),
          end_time: midnightInZone(addDays(slice.end, 1), account.timeZone),
          granularity: "DAY",
          placement,
          metric_groups: "ENGAGEMENT,BILLING,WEB_CONVERSION"
        },
        JobCreated
      )
      const id = created.data.id_str
      for (let polls = 0; ; polls++) {
        const status = yield* call(account.id, "GET", `/12/stats/jobs/accounts/${account.id}`, { job_ids: id }, JobStatus)
        const found = status.data.find((entry) => entry.id_str === id)
        if (found?.status === "SUCCESS" && typeof found.url === "string") {
          const url = found.url
          const zipped = yield* requestBytes(client, HttpClientRequest.get(url), { ...options(account.id), secrets: [consumerSecret, tokenSecret, url] })
          const file = yield* Effect.try({
            try: () => JSON.parse(gunzipSync(zipped).toString("utf8")) as unknown,
            catch: (cause) => new SourceError({ source: X_ADS, account: account.id, reason: "bad_response", detail: `stats job ${id} is not gzipped JSON (${cause instanceof Error ? cause.message : String(cause)})` })
          }).pipe(Effect.flatMap(decode(account.id, `stats job ${id}`, StatsFile)))
          return daysOfStats(file, slice.start, placement)
        }
        if (found?.status === "FAILED") return yield* new SourceError({ source: X_ADS, account: account.id, reason: "server", detail: `stats job ${id} failed` })
        if (polls + 1 >= (settings.maxPolls ?? 180)) return yield* new SourceError({ source: X_ADS, account: account.id, reason: "server", detail: `stats job ${id} still ${found?.status ?? "unlisted"} after ${polls + 1} polls` })
        yield* Effect.sleep(settings.pollInterval ?? "5 seconds")
      }
    })

  const fetch = (account: AccountInfo, window: DateWindow): Stream.Stream<FetchedRecord, SourceError> =>
    Stream.unwrap(
      Effect.map(campaigns(account.id), (known) => {
        const jobs = windowSlices(window, MAX_DAYS_PER_JOB).flatMap((slice) =>
          chunks([...known.keys()], MAX_CAMPAIGNS_PER_JOB).flatMap((ids) => PLACEMENTS.map((placement) => ({ slice, ids, placement })))
        )
        return Stream.fromIterable(jobs).pipe(
          Stream.mapEffect(({ slice, ids, placement }) => job(account, ids, slice, placement)),
          Stream.flatMap((rows) => Stream.fromIterable(rows)),
          Stream.map((row) => {
            const campaign = known.get(String(row["campaign_id"]))
            return mapXDay(account.id, withAccountAndCampaign(row, account, campaign))
          })
        )
      })
    )

  const accounts = Effect.forEach(settings.accountIds, (id) =>
    Effect.all([call(id, "GET", `/12/accounts/${id}`, {}, Account), call(id, "GET", `/12/accounts/${id}/funding_instruments`, {}, FundingInstruments)]).pipe(
      Effect.flatMap(([account, funding]) => {
        const currency = (funding.data.find((instrument) => instrument.entity_status === "ACTIVE") ?? funding.data[0])?.currency
        return currency === undefined
          ? Effect.fail(new SourceError({ source: X_ADS, account: id, reason: "not_found", detail: "the account has no funding instrument, so no currency" }))
          : Effect.succeed<AccountInfo>({ id, name: account.data.name, currency, timeZone: account.data.timezone })
      })
    )
  )

  return { name: X_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
