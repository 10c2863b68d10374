/**
 * The live Amazon Ads source: the Amazon Ads API with Effect's HttpClient (Amazon's own SDKs are
 * not for Node). An account is an advertising profile (one per advertiser and marketplace),
 * with its currency and time zone from `/v2/profiles`. For each ad product the profile runs, a
 * Reporting v3 campaign report by day is created (31 days at most), polled until COMPLETED, and
 * its gzipped JSON downloaded from the signed address the report gives. The access token comes
 * from the refresh token (Login with Amazon) and is renewed once when the API answers 401.
 * 429 is retried with its Retry-After; 425 (the same report asked twice) is read as the report
 * already created, whose id Amazon names in the answer.
 */
import { gunzipSync } from "node:zlib"
import { Config, type Duration, Effect, Redacted, Schema, Stream } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { SourceError } from "../../core/errors.ts"
import { decodeAnswer, refreshedAccessToken, requestBytes, requestJson, windowSlices } from "../../core/http-api.ts"
import type { AccountInfo, DateWindow, FetchedRecord } from "../../core/model.ts"
import type { AdsSource } from "../../core/source.ts"
import { mapAmazonRow } from "./mapping.ts"
import { AD_PRODUCTS, BASE_COLUMNS, Profiles, ReportStatus, type AdProduct } from "./schema.ts"

export const AMAZON_ADS = "amazon_ads"
export const AMAZON_API = "https://advertising-api.amazon.com"
export const LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
export const MAX_DAYS_PER_REPORT = 31

export const amazonAdsCredentials = Config.all({
  clientId: Config.String("AMAZON_ADS_CLIENT_ID"),
  clientSecret: Config.Redacted("AMAZON_ADS_CLIENT_SECRET"),
  refreshToken: Config.Redacted("AMAZON_ADS_REFRESH_TOKEN")
})
export type AmazonAdsCredentials = Effect.Success<typeof amazonAdsCredentials>

export interface AmazonAdsSettings {
  readonly profileIds: ReadonlyArray<string>
  readonly adProducts: ReadonlyArray<AdProduct>
  readonly lookbackDays: number
  /** The regional endpoint: North America (default), Europe (advertising-api-eu.amazon.com) or Far East. */
  readonly baseUrl?: string
  readonly tokenUrl?: string
  readonly pollInterval?: Duration.Input
  readonly maxPolls?: number
  readonly retryBase?: Duration.Input
}

const DUPLICATE_REPORT = /duplicate of\s*:?\s*([0-9a-f-]{36})/i

export const makeAmazonAdsSource = (settings: AmazonAdsSettings, credentials: AmazonAdsCredentials, client: HttpClient.HttpClient): AdsSource => {
  const refreshToken = Redacted.value(credentials.refreshToken)
  const clientSecret = Redacted.value(credentials.clientSecret)
  const base = settings.baseUrl ?? AMAZON_API
  const options = (account: string | undefined) => ({
    platform: AMAZON_ADS,
    ...(account === undefined ? {} : { account }),
    secrets: [refreshToken, clientSecret, ...token.current()],
    ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
  })
  const decode = <A, I>(account: string | undefined, what: string, schema: Schema.Codec<A, I>) => decodeAnswer(AMAZON_ADS, account, what, schema)

  const token = refreshedAccessToken(
    client,
    () =>
      HttpClientRequest.post(settings.tokenUrl ?? LWA_TOKEN_URL).pipe(
        HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: credentials.clientId, client_secret: clientSecret })
      ),
    {
      platform: AMAZON_ADS,
      secrets: [refreshToken, clientSecret],
      classify: (status, body) => (status === 400 && typeof body === "object" && body !== null && (body as { error?: unknown }).error === "invalid_grant" ? { reason: "auth", detail: "invalid_grant: the refresh token was revoked or has expired" } : undefined),
      ...(settings.retryBase === undefined ? {} : { retryBase: settings.retryBase })
    }
  )

  /** A call with the current access token (renewed once on 401) and the profile as scope. */
  const call = (profile: string | undefined, build: (bearer: string) => HttpClientRequest.HttpClientRequest, classify?: (status: number, body: unknown) => { readonly reason: "bad_response"; readonly detail: string } | undefined) => {
    return token.withToken(
      (bearer) =>
        requestJson(
          client,
          build(bearer).pipe(
            HttpClientRequest.setHeaders({ "Amazon-Advertising-API-ClientId": credentials.clientId, ...(profile === undefined ? {} : { "Amazon-Advertising-API-Scope": profile }) })
          ),
          { ...options(profile), ...(classify === undefined ? {} : { classify }) }
        ),
      (error) => error.reason === "auth" && /HTTP 401/.test(error.detail)
    )
  }

  const createReport = (profile: string, product: AdProduct, slice: DateWindow) => {
    const { reportTypeId, conversions } = AD_PRODUCTS[product]
    let duplicateOf: string | undefined
    return call(
      profile,
      (bearer) =>
        // Reporting v3 wants its own media type: a plain JSON body is refused (415).
        HttpClientRequest.post(`${base}/reporting/reports`, { headers: { Authorization: `Bearer ${bearer}` }, acceptJson: true }).pipe(
          HttpClientRequest.bodyText(
            JSON.stringify({
              name: `mdp ${reportTypeId} ${slice.start}..${slice.end}`,
              startDate: slice.start,
              endDate: slice.end,
              configuration: { adProduct: product, groupBy: ["campaign"], columns: [...BASE_COLUMNS, ...conversions], reportTypeId, timeUnit: "DAILY", format: "GZIP_JSON" }
            }),
            "application/vnd.createasyncreportrequest.v3+json"
          )
        ),
      // 425: this report was already asked for, and Amazon names it.
      (status, body) => {
        const detail = typeof body === "object" && body !== null ? String((body as { detail?: unknown }).detail ?? "") : ""
        duplicateOf = status === 425 ? DUPLICATE_REPORT.exec(detail)?.[1] : undefined
        return status === 425 && duplicateOf === undefined ? { reason: "bad_response", detail: `HTTP 425: ${detail}` } : undefined
      }
    ).pipe(
      Effect.catchIf(() => duplicateOf !== undefined, () => Effect.succeed({ reportId: duplicateOf, status: "PENDING" })),
      Effect.flatMap(decode(profile, "reporting/reports", ReportStatus))
    )
  }

  const reportRows = (profile: string, product: AdProduct, slice: DateWindow) =>
    Effect.gen(function* () {
      const created = yield* createReport(profile, product, slice)
      for (let polls = 0; ; polls++) {
        const report = yield* call(profile, (bearer) => HttpClientRequest.get(`${base}/reporting/reports/${created.reportId}`, { headers: { Authorization: `Bearer ${bearer}` }, acceptJson: true })).pipe(
          Effect.flatMap(decode(profile, "reporting/reports/{id}", ReportStatus))
        )
        if (report.status === "COMPLETED" && typeof report.url === "string") {
          const url = report.url
          const zipped = yield* requestBytes(client, HttpClientRequest.get(url), { ...options(profile), secrets: [...options(profile).secrets, url, new URL(url).search.slice(1)] })
          return yield* Effect.try({
            try: () => JSON.parse(gunzipSync(zipped).toString("utf8")) as unknown,
            catch: (cause) => new SourceError({ source: AMAZON_ADS, account: profile, reason: "bad_response", detail: `report ${created.reportId} is not gzipped JSON (${cause instanceof Error ? cause.message : String(cause)})` })
          }).pipe(
            Effect.flatMap((rows) =>
              Array.isArray(rows) ? Effect.succeed(rows as ReadonlyArray<unknown>) : Effect.fail(new SourceError({ source: AMAZON_ADS, account: profile, reason: "bad_response", detail: `report ${created.reportId} is not an array of rows` }))
            )
          )
        }
        if (report.status === "FAILED") return yield* new SourceError({ source: AMAZON_ADS, account: profile, reason: "server", detail: `report ${created.reportId} failed: ${report.failureReason ?? "no reason given"}` })
        if (polls + 1 >= (settings.maxPolls ?? 360)) return yield* new SourceError({ source: AMAZON_ADS, account: profile, reason: "server", detail: `report ${created.reportId} still ${report.status} after ${polls + 1} polls` })
        yield* Effect.sleep(settings.pollInterval ?? "10 seconds")
      }
    })

  const fetch = (account: AccountInfo, window: DateWindow): Stream.Stream<FetchedRecord, SourceError> =>
    Stream.fromIterable(windowSlices(window, MAX_DAYS_PER_REPORT).flatMap((slice) => settings.adProducts.map((product) => ({ slice, product })))).pipe(
      Stream.mapEffect(({ slice, product }) => Effect.map(reportRows(account.id, product, slice), (rows) => ({ rows, product }))),
      Stream.flatMap(({ rows, product }) =>
        Stream.fromIterable(rows).pipe(
          Stream.map((row) => mapAmazonRow(account.id, typeof row === "object" && row !== null ? { ...row, adProduct: product, profile_name: account.name, currency: account.currency } : row))
        )
      )
    )

  const accounts = call(undefined, (bearer) => HttpClientRequest.get(`${base}/v2/profiles`, { headers: { Authorization: `Bearer ${bearer}` }, acceptJson: true })).pipe(
    Effect.flatMap(decode(undefined, "v2/profiles", Profiles)),
    Effect.flatMap((profiles) =>
      Effect.forEach(settings.profileIds, (id) => {
        const found = profiles.find((profile) => String(profile.profileId) === id)
        return found === undefined
          ? Effect.fail(new SourceError({ source: AMAZON_ADS, account: id, reason: "not_found", detail: "the refresh token's user has no such advertising profile in this region" }))
          : Effect.succeed<AccountInfo>({ id, name: found.accountInfo.name ?? id, currency: found.currencyCode, timeZone: found.timezone })
      })
    )
  )

  return { name: AMAZON_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}
