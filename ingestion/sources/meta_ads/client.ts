/**
 * The live Meta Ads source, through `facebook-nodejs-business-sdk` (Graph API over HTTPS): campaign
 * insights per day, paged through the SDK's `api.call` as the API sends them (the rows stay plain
 * JSON, not SDK objects); windows longer than `asyncAfterDays` run as an
 * async report job that is polled to completion. Throttling errors (codes 4, 17, 32, 613, 80000–80014)
 * are retried, waiting as long as the usage headers say; when usage nears its limit the next page
 * waits. The SDK's crash reporter, which would send errors to Meta, is off. The access token never
 * appears in errors: the SDK's error carries the URL (with the token), so it is never kept.
 */
import { AdAccount, AdReportRun, FacebookAdsApi } from "facebook-nodejs-business-sdk"
import { Config, Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { daysBetween } from "../../core/dates.ts"
import { SourceError, type SourceFailureReason } from "../../core/errors.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { retryAfterMs, withRetries } from "../../core/retry.ts"
import { pagedRows, type AdsSource } from "../../core/source.ts"
import { mapMetaInsightsRow } from "./mapping.ts"
import { AdAccountFields, CampaignFields, insightsFields, ReportRunStatus } from "./schema.ts"
import { scrubSecrets } from "../../core/redact.ts"

export const META_ADS = "meta_ads"

/** Read from META_ACCESS_TOKEN (a system user token with ads_read). */
export const metaAdsCredentials = Config.all({ accessToken: Config.Redacted("META_ACCESS_TOKEN") })

export interface MetaAdsSettings {
  readonly accountIds: ReadonlyArray<string>
  readonly lookbackDays: number
  readonly pageSize?: number
  /** Windows longer than this many days run as an async report job. */
  readonly asyncAfterDays?: number
  readonly retryBase?: Duration.Input
  readonly pollInterval?: Duration.Input
}

interface Failure {
  readonly reason: SourceFailureReason
  readonly detail: string
  readonly retryAfterMs?: number
}

/**
 * Meta leaves deleted and archived campaigns out of insights and campaign lists unless a filter
 * names them; their spend is real, so every status is asked for.
 */
const EVERY_CAMPAIGN_STATUS = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"]

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === "object" && value !== null

const THROTTLING_CODES = new Set([4, 17, 32, 613])

/** Minutes Meta says to wait, and the highest usage percentage, from the usage headers. */
export const usageFromHeaders = (headers: unknown): { readonly regainMs: number; readonly maxUsagePercent: number } => {
  let regainMs = 0
  let maxUsagePercent = 0
  if (!isRecord(headers)) return { regainMs, maxUsagePercent }
  for (const name of ["x-business-use-case-usage", "x-ad-account-usage", "x-app-usage"]) {
    const raw = headers[name]
    if (typeof raw !== "string") continue
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      continue
    }
    const entries: Array<unknown> = isRecord(parsed) && !("call_count" in parsed) && !("acc_id_util_pct" in parsed)
      ? Object.values(parsed).flatMap((value) => (Array.isArray(value) ? value : [value]))
      : [parsed]
    for (const entry of entries) {
      if (!isRecord(entry)) continue
      for (const key of ["call_count", "total_cputime", "total_time", "acc_id_util_pct"]) {
        const value = Number(entry[key])
        if (Number.isFinite(value)) maxUsagePercent = Math.max(maxUsagePercent, value)
      }
      const minutes = Number(entry["estimated_time_to_regain_access"] ?? entry["reset_time_duration"])
      if (Number.isFinite(minutes)) regainMs = Math.max(regainMs, name === "x-ad-account-usage" ? minutes * 1000 : minutes * 60_000)
    }
  }
  return { regainMs, maxUsagePercent }
}

/** How long to wait before the next call, given the last response's usage headers. */
export const throttleDelayMs = (headers: unknown): number => {
  const { regainMs, maxUsagePercent } = usageFromHeaders(headers)
  if (regainMs > 0) return regainMs
  return maxUsagePercent >= 95 ? 60_000 : maxUsagePercent >= 80 ? 10_000 : 0
}

/** The SDK's FacebookRequestError (not exported by the package): status, parsed error body, headers. */
const requestErrorParts = (error: unknown) =>
  isRecord(error) && error["name"] === "FacebookRequestError"
    ? { status: typeof error["status"] === "number" ? error["status"] : undefined, body: isRecord(error["response"]) ? error["response"] : {}, headers: error["headers"], message: String(error["message"] ?? "") }
    : undefined

export const classifyMetaError = (error: unknown, accessToken: string, nowMs: number): Failure => {
  const scrub = (text: string) => scrubSecrets(text, [accessToken])
  const parts = requestErrorParts(error)
  if (parts !== undefined) {
    const { status, body, headers } = parts
    const code = Number(body["code"])
    const subcode = Number(body["error_subcode"])
    const detail = scrub(`(#${Number.isFinite(code) ? code : "?"}${Number.isFinite(subcode) ? `/${subcode}` : ""}) ${String(body["message"] ?? parts.message)}`)
    if (THROTTLING_CODES.has(code) || (code >= 80000 && code <= 80014) || status === 429) {
      const wait = Math.max(usageFromHeaders(headers).regainMs, isRecord(headers) ? (retryAfterMs(headers["retry-after"], nowMs) ?? 0) : 0)
      return { reason: "rate_limited", detail, ...(wait > 0 ? { retryAfterMs: wait } : {}) }
    }
    if (code === 190 || code === 102 || code === 10 || (code >= 200 && code < 300) || status === 401) return { reason: "auth", detail }
    if ((status ?? 0) >= 500 || code === 1 || code === 2 || body["is_transient"] === true) return { reason: "server", detail }
    if (status === undefined) return { reason: "network", detail }
    return { reason: "bad_response", detail }
  }
  // Not an HTTP failure (the SDK itself threw): retrying would not help.
  return { reason: "bad_response", detail: scrub(error instanceof Error ? error.message : String(error)) }
}

/** A Graph API list page as sent: its rows, its `paging` (the next page's URL), and, since the API is set to show them, the response headers. */
interface GraphPage {
  /** Parsed from the response: a fresh array, which the stream takes rows out of. */
  readonly data?: Array<unknown>
  readonly paging?: { readonly next?: string }
  readonly headers?: unknown
}

export const makeMetaAdsSource = (settings: MetaAdsSettings, credentials: { readonly accessToken: Redacted.Redacted<string> }): AdsSource => {
  const token = Redacted.value(credentials.accessToken)
  const api = new FacebookAdsApi(token, "en_US", false).setShowHeader(true)
  // AdReportRun ignores the api it is given and uses the default one.
  FacebookAdsApi.setDefaultApi(api)
  const pageSize = settings.pageSize ?? 500
  const adAccountId = (id: string) => `act_${id.replace(/^act_/, "")}`
  const accountNode = (id: string) => new AdAccount(adAccountId(id), {}, null, api)

  const call = <A>(account: string, run: () => Promise<A>) =>
    withRetries(
      Effect.tryPromise({
        try: run,
        catch: (error) => new SourceError({ source: META_ADS, account, ...classifyMetaError(error, token, Date.now()) })
      }),
      settings.retryBase
    )

  const decode = <A, I>(account: string, schema: Schema.Codec<A, I>, value: unknown) =>
    Schema.decodeUnknownEffect(schema)(value).pipe(
      Effect.mapError((error) => new SourceError({ source: META_ADS, account, reason: "bad_response", detail: error.message }))
    )

  /**
   * Pages through an edge (`path`, e.g. `act_1/insights`) as the Graph API sends it, following each
   * page's `next` URL, and waiting between pages when the usage headers ask for it. Through the
   * SDK's `api.call` rather than its cursor: the cursor builds an SDK object per row, defining a
   * getter and setter for each of the class's fields (over 100 for insights), which cost about
   * 145 µs of CPU a row (`docs/performance-history.md`).
   */
  const pages = (account: string, path: ReadonlyArray<string>, params: Readonly<Record<string, unknown>>) =>
    // Only the next URL and the usage headers are kept between pages, not the last page's rows.
    pagedRows<unknown, { readonly next: string; readonly headers: unknown } | null, SourceError>(null, (previous) =>
      Effect.gen(function* () {
        if (previous !== null) {
          const delay = throttleDelayMs(previous.headers)
          if (delay > 0) yield* Effect.sleep(Duration.millis(delay))
        }
        // `call` adds the access token to a first request's own copy of the parameters; a `next`
        // URL already carries it.
        const page = yield* call(account, () => (previous === null ? api.call<GraphPage>("GET", [...path], { ...params }) : api.call<GraphPage>("GET", previous.next)))
        const next = page.paging?.next
        return [page.data ?? [], typeof next === "string" ? Option.some({ next, headers: page.headers }) : Option.none()] as const
      })
    )

  const campaignStatuses = (account: string) =>
    Stream.runFold(
      pages(account, [adAccountId(account), "campaigns"], { fields: "id,name,effective_status", effective_status: JSON.stringify(EVERY_CAMPAIGN_STATUS), limit: pageSize }),
      () => new Map<string, string>(),
      (statuses, row) => {
        const decoded = Schema.decodeUnknownOption(CampaignFields)(row)
        if (Option.isSome(decoded) && decoded.value.effective_status !== undefined) statuses.set(decoded.value.id, decoded.value.effective_status)
        return statuses
      }
    )

  // A fresh object per call: the SDK cannot set response headers twice on one object.
  const reportRunNode = (runId: string) => new AdReportRun(null, { report_run_id: runId })

  const reportRun = (account: string, params: Readonly<Record<string, unknown>>) =>
    Effect.gen(function* () {
      // The SDK builds the report run from { report_run_id } on the default API (set above).
      const created = yield* call(account, () => accountNode(account).getInsightsAsync([...insightsFields], { ...params }))
      const runId = String(created.id)
      for (;;) {
        const node = yield* call(account, () => reportRunNode(runId).get(["async_status", "async_percent_completion"]))
        const status = yield* decode(account, ReportRunStatus, node.exportAllData())
        if (status.async_status === "Job Completed") return runId
        if (status.async_status === "Job Failed" || status.async_status === "Job Skipped") {
          return yield* new SourceError({ source: META_ADS, account, reason: "server", detail: `async insights report ${runId} ended as "${status.async_status}"` })
        }
        yield* Effect.sleep(settings.pollInterval ?? "5 seconds")
      }
    })

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const statuses = yield* campaignStatuses(account.id)
        const params = {
          level: "campaign",
          time_increment: 1,
          time_range: { since: window.start, until: window.end },
          filtering: [{ field: "campaign.effective_status", operator: "IN", value: EVERY_CAMPAIGN_STATUS }],
          limit: pageSize
        }
        const long = daysBetween(window.start, window.end) + 1 > (settings.asyncAfterDays ?? 31)
        const runId = long ? yield* reportRun(account.id, params) : undefined
        const rows =
          runId === undefined
            ? pages(account.id, [adAccountId(account.id), "insights"], { ...params, fields: insightsFields.join(",") })
            : pages(account.id, [runId, "insights"], { limit: pageSize })
        return rows.pipe(
          Stream.map((row) => {
            const status = isRecord(row) ? statuses.get(String(row["campaign_id"])) : undefined
            return mapMetaInsightsRow(isRecord(row) && status !== undefined ? { ...row, campaign_effective_status: status } : row)
          })
        )
      })
    )

  const accountInfo = (id: string) =>
    call(id, () => accountNode(id).get(["name", "currency", "timezone_name"])).pipe(
      Effect.flatMap((node) => decode(id, AdAccountFields, node.exportAllData())),
      Effect.map((fields): AccountInfo => ({ id: id.replace(/^act_/, ""), name: fields.name, currency: fields.currency, timeZone: fields.timezone_name }))
    )

  return { name: META_ADS, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts: Effect.forEach(settings.accountIds, accountInfo), fetch }
}

