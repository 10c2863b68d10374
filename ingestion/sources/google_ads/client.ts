/**
 * The live Google Ads source, through `google-ads-api` (REST `googleAds:searchStream`). Several
 * customer accounts, optionally under a manager account (`login_customer_id`). Credentials come
 * from the environment as redacted values and never appear in errors.
 *
 * A window is fetched in requests of a few days each (`nextRequestDays`), each answered whole and
 * parsed by the SDK with `JSON.parse`: memory is bounded by a request, and a request that fails is
 * retried whole, since none of its rows has been handed on. Through the SDK's streaming parser
 * (`queryStream`) a row took 2.6× the CPU, and it read ahead up to 16 batches of 10,000 rows
 * (`docs/performance-history.md`).
 */
import { GoogleAdsApi, errors as googleAdsErrors, type Customer } from "google-ads-api"
import { Config, type Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { addDays, daysBetween } from "../../core/dates.ts"
import { SourceError, type SourceFailureReason } from "../../core/errors.ts"
import { scrubSecrets } from "../../core/redact.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { protoDurationMs, retryAfterMs, withRetries } from "../../core/retry.ts"
import { pagedRows, type AdsSource } from "../../core/source.ts"
import { mapGoogleAdsRow } from "./mapping.ts"
import { accountQuery, campaignDailyQuery, DEFAULT_ROWS_PER_REQUEST, GoogleAdsCampaignRow } from "./schema.ts"

const CustomerRows = Schema.Tuple([Schema.Struct({ customer: GoogleAdsCampaignRow.fields.customer })])

export const GOOGLE_ADS = "google_ads"

export interface GoogleAdsCredentials {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly developerToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
}

/** Read from GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET, GOOGLE_ADS_DEVELOPER_TOKEN, GOOGLE_ADS_REFRESH_TOKEN. */
export const googleAdsCredentials: Config.Config<GoogleAdsCredentials> = Config.all({
  clientId: Config.String("GOOGLE_ADS_CLIENT_ID"),
  clientSecret: Config.Redacted("GOOGLE_ADS_CLIENT_SECRET"),
  developerToken: Config.Redacted("GOOGLE_ADS_DEVELOPER_TOKEN"),
  refreshToken: Config.Redacted("GOOGLE_ADS_REFRESH_TOKEN")
})

export interface GoogleAdsSettings {
  readonly customerIds: ReadonlyArray<string>
  readonly loginCustomerId?: string
  readonly lookbackDays: number
  /** First retry delay; tests shorten it. */
  readonly retryBase?: Duration.Input
  /** Rows a request should hold at most, as far as the days already fetched tell (`DEFAULT_ROWS_PER_REQUEST`). */
  readonly rowsPerRequest?: number
}

interface Failure {
  readonly reason: SourceFailureReason
  readonly detail: string
  readonly retryAfterMs?: number
}

const errorCodeReason = (code: Readonly<Record<string, unknown>>): SourceFailureReason => {
  if ("quota_error" in code) return "rate_limited"
  if ("authentication_error" in code || "authorization_error" in code) return "auth"
  if ("internal_error" in code) return "server"
  if ("customer_error" in code || "request_error" in code) return "bad_response"
  return "bad_response"
}

const secondsInMessage = (message: string): number | undefined => {
  const match = /retry in (\d+(?:\.\d+)?) seconds?/i.exec(message)
  return match === null ? undefined : Number(match[1]) * 1000
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === "object" && value !== null

/** Failures arrive camelCase (raw REST) or snake_case (parsed by the SDK); read them one way. */
const snakeKeys = (value: unknown): Readonly<Record<string, unknown>> => {
  if (!isRecord(value)) return {}
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
      isRecord(inner) && !Array.isArray(inner) ? snakeKeys(inner) : inner
    ])
  )
}

/** Classifies whatever the SDK threw; keeps Google's own message, never URLs or tokens. */
export const classifyGoogleAdsError = (error: unknown, nowMs: number): Failure => {
  if (error instanceof googleAdsErrors.GoogleAdsFailure) {
    const first = snakeKeys(error.errors?.[0])
    const code = isRecord(first["error_code"]) ? first["error_code"] : {}
    const details = isRecord(first["details"]) ? first["details"] : undefined
    const quota = details !== undefined && isRecord(details["quota_error_details"]) ? details["quota_error_details"] : undefined
    // The SDK's protobuf conversion drops retryDelay when it arrives as a string; Google's message says it too.
    const retryAfter =
      protoDurationMs(quota?.["retry_delay"]) ?? secondsInMessage(typeof first["message"] === "string" ? first["message"] : "")
    return {
      reason: errorCodeReason(code),
      detail: `${Object.entries(code).map(([k, v]) => `${k}=${String(v)}`).join(", ")}: ${String(first["message"] ?? "GoogleAdsFailure")}`,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter })
    }
  }
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : undefined
  const response = isRecord(error) && isRecord(error["response"]) ? error["response"] : undefined
  const status = Number(cause?.["code"] ?? response?.["status"] ?? NaN)
  const message = error instanceof Error ? error.message : String(error)
  if (status === 429) {
    const headers = isRecord(response?.["headers"]) ? response["headers"] : {}
    const wait = retryAfterMs(headers["retry-after"], nowMs)
    return { reason: "rate_limited", detail: message, ...(wait === undefined ? {} : { retryAfterMs: wait }) }
  }
  if (status === 401 || status === 403 || /invalid_grant|unauthorized|invalid_client/i.test(message)) return { reason: "auth", detail: message }
  if (status >= 500) return { reason: "server", detail: message }
  if (isRecord(error) && typeof error["code"] === "string" && /^E[A-Z]+/.test(error["code"])) return { reason: "network", detail: message }
  return { reason: "bad_response", detail: message }
}

/**
 * How many days the next request asks for: as many as fit in `rowsPerRequest` at the highest rate
 * per day a request has shown so far, at least one, and at most four times the last request's
 * days, so that an account whose first days were quiet cannot ask for a year at once. The first
 * request asks for one day.
 */
export const nextRequestDays = (lastDays: number, busiestRowsPerDay: number, rowsPerRequest: number): number =>
  Math.max(1, Math.min(4 * lastDays, Math.floor(rowsPerRequest / Math.max(busiestRowsPerDay, 1))))

const digitsOnly = (customerId: string): string => customerId.replaceAll("-", "")

export const makeGoogleAdsSource = (settings: GoogleAdsSettings, credentials: GoogleAdsCredentials): AdsSource => {
  const client = new GoogleAdsApi({
    client_id: credentials.clientId,
    client_secret: Redacted.value(credentials.clientSecret),
    developer_token: Redacted.value(credentials.developerToken),
    // Rows stay the API's documented JSON (enum names, int64 strings) instead of the SDK's numeric enums.
    disable_parsing: true
  })
  const customers = new Map<string, Customer>()
  const customerFor = (customerId: string): Customer => {
    const id = digitsOnly(customerId)
    const existing = customers.get(id)
    if (existing !== undefined) return existing
    const customer = client.Customer({
      customer_id: id,
      refresh_token: Redacted.value(credentials.refreshToken),
      ...(settings.loginCustomerId === undefined ? {} : { login_customer_id: digitsOnly(settings.loginCustomerId) })
    })
    customers.set(id, customer)
    return customer
  }
  // Library messages can echo request details: the configured secrets never reach an error.
  const secrets = [credentials.clientSecret, credentials.developerToken, credentials.refreshToken].map(Redacted.value).filter((v) => v !== "")
  const scrub = (text: string) => scrubSecrets(text, secrets)
  const sourceError = (account: string, failure: Failure) => new SourceError({ source: GOOGLE_ADS, account, ...failure, detail: scrub(failure.detail) })

  // Every call is a searchStream request, answered whole: nothing of it is handed on before it
  // succeeds, so it can be retried whole. The answer is a fresh array, ours to take rows out of.
  const query = (customerId: string, gaql: string) =>
    withRetries(
      Effect.tryPromise({
        try: () => customerFor(customerId).query<Array<unknown>>(gaql),
        catch: (error) => sourceError(customerId, classifyGoogleAdsError(error, Date.now()))
      }),
      settings.retryBase
    )

  const accountInfo = (configuredId: string) => {
    const customerId = digitsOnly(configuredId)
    return query(customerId, accountQuery).pipe(
      Effect.flatMap((rows: unknown) =>
        Schema.decodeUnknownEffect(CustomerRows)(rows).pipe(
          Effect.mapError(() => sourceError(customerId, { reason: "not_found", detail: "the customer query returned no account" })),
          Effect.map(([{ customer }]): AccountInfo => ({
            id: customerId,
            name: customer.descriptiveName ?? customerId,
            currency: customer.currencyCode,
            timeZone: customer.timeZone
          }))
        )
      )
    )
  }

  const fetch = (account: AccountInfo, window: DateWindow) =>
    pagedRows({ start: window.start, days: 1, busiestRowsPerDay: 0 }, (request) => {
      const last = addDays(request.start, request.days - 1)
      const end = last < window.end ? last : window.end
      return query(account.id, campaignDailyQuery(request.start, end)).pipe(
        Effect.map((rows) => {
          const days = daysBetween(request.start, end) + 1
          const busiestRowsPerDay = Math.max(request.busiestRowsPerDay, rows.length / days)
          const next =
            end === window.end
              ? Option.none()
              : Option.some({ start: addDays(end, 1), days: nextRequestDays(days, busiestRowsPerDay, settings.rowsPerRequest ?? DEFAULT_ROWS_PER_REQUEST), busiestRowsPerDay })
          return [rows, next] as const
        })
      )
    }).pipe(Stream.map(mapGoogleAdsRow))

  return {
    name: GOOGLE_ADS,
    stream: "campaign_daily",
    lookbackDays: settings.lookbackDays,
    accounts: Effect.forEach(settings.customerIds, accountInfo),
    fetch
  }
}
