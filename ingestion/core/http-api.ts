/**
 * JSON over HTTPS for the ad platforms that have no maintained Node SDK, on Effect's `HttpClient`
 * (`docs/decisions.md`, "One HTTP client for the newer platforms"). One call here is one request:
 * its failure classified as the retry policy needs it (429 and the platform's own throttling codes
 * rate-limited with their Retry-After, 401/403 auth, 5xx server, a dropped connection network),
 * retried by `withRetries`, and described without any secret: the platform's message is scrubbed
 * of the configured secrets and no URL is kept, since some APIs take their token in the query.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { type Duration, Effect, Layer, Schema } from "effect"
import { HttpClient, type HttpClientRequest } from "effect/http"
import { SourceError, type SourceFailureReason } from "./errors.ts"
import { scrubSecrets } from "./redact.ts"
import { retryAfterMs, withRetries } from "./retry.ts"

/** How a platform's answer went wrong, when it did. */
export interface ApiFailure {
  readonly reason: SourceFailureReason
  readonly detail: string
  readonly retryAfterMs?: number
}

export interface ApiCallOptions {
  readonly platform: string
  readonly account?: string
  /** Values that must never appear in an error: tokens, keys. */
  readonly secrets: ReadonlyArray<string>
  /**
   * The platform's own reading of an answer (many answer 200 with an error code in the body):
   * a failure, or undefined to fall back on the HTTP status.
   */
  readonly classify?: (status: number, body: unknown, headers: Readonly<Record<string, string | undefined>>) => ApiFailure | undefined
  readonly retryBase?: Duration.Input
}

/** The production client: Node's undici, on its global connection pool. */
export const nodeHttpClient: Effect.Effect<HttpClient.HttpClient> = Effect.gen(function* () {
  return yield* HttpClient.HttpClient
}).pipe(Effect.provide(NodeHttpClient.layerUndiciNoDispatcher.pipe(Layer.provide(NodeHttpClient.dispatcherLayerGlobal))))

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === "object" && value !== null

/** A platform's error message, from the usual places in a JSON error body. */
export const bodyMessage = (body: unknown): string | undefined => {
  if (!isRecord(body)) return undefined
  for (const key of ["message", "error_description", "error", "errors"]) {
    const value = body[key]
    if (typeof value === "string" && value !== "") return value
    if (isRecord(value)) return bodyMessage(value)
    if (Array.isArray(value) && value.length > 0) return bodyMessage(value[0]) ?? (typeof value[0] === "string" ? value[0] : undefined)
  }
  return undefined
}

/** The failure an HTTP status means, for statuses of 400 and over. */
export const statusFailure = (status: number, detail: string, headers: Readonly<Record<string, string | undefined>>, nowMs: number): ApiFailure => {
  if (status === 429) {
    const wait = retryAfterMs(headers["retry-after"], nowMs)
    return { reason: "rate_limited", detail, ...(wait === undefined ? {} : { retryAfterMs: wait }) }
  }
  if (status === 401 || status === 403) return { reason: "auth", detail }
  if (status === 404) return { reason: "not_found", detail }
  if (status >= 500) return { reason: "server", detail }
  return { reason: "bad_response", detail }
}

const shortened = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > 300 ? `${line.slice(0, 297)}…` : line
}

const failWith = (options: ApiCallOptions) => (failure: ApiFailure) =>
  new SourceError({
    source: options.platform,
    ...(options.account === undefined ? {} : { account: options.account }),
    ...failure,
    detail: scrubSecrets(shortened(failure.detail), options.secrets)
  })

const send = (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest, options: ApiCallOptions) =>
  client.execute(request).pipe(
    // The transport's message only: its description would carry the URL.
    Effect.mapError((error) =>
      failWith(options)({ reason: "network", detail: `${request.method} request failed: ${error.reason._tag}${error.reason.cause instanceof Error ? ` (${error.reason.cause.message})` : ""}` })
    )
  )

/** Sends the request and reads its JSON answer, retrying what the policy retries. */
export const requestJson = (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest, options: ApiCallOptions): Effect.Effect<unknown, SourceError> => {
  const fail = failWith(options)
  const once = Effect.gen(function* () {
    const response = yield* send(client, request, options)
    const headers = response.headers as Readonly<Record<string, string | undefined>>
    const text = yield* response.text.pipe(Effect.mapError(() => fail({ reason: "network", detail: `the answer (HTTP ${response.status}) broke off` })))
    let body: unknown
    try {
      body = text === "" ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    const own = options.classify?.(response.status, body, headers)
    if (own !== undefined) return yield* fail(own)
    if (response.status >= 400) {
      return yield* fail(statusFailure(response.status, `HTTP ${response.status}: ${bodyMessage(body) ?? (text === "" ? "no message" : text)}`, headers, Date.now()))
    }
    if (body === undefined) return yield* fail({ reason: "bad_response", detail: `the answer (HTTP ${response.status}) is not JSON: ${text.slice(0, 80)}` })
    return body
  })
  return withRetries(once, options.retryBase)
}

/** Sends the request and reads its answer's bytes (a report file), retrying what the policy retries. */
export const requestBytes = (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest, options: ApiCallOptions): Effect.Effect<Uint8Array, SourceError> => {
  const fail = failWith(options)
  const once = Effect.gen(function* () {
    const response = yield* send(client, request, options)
    if (response.status >= 400) {
      const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
      return yield* fail(statusFailure(response.status, `HTTP ${response.status}: ${text === "" ? "no message" : text}`, response.headers as Readonly<Record<string, string | undefined>>, Date.now()))
    }
    const bytes = yield* response.arrayBuffer.pipe(Effect.mapError(() => fail({ reason: "network", detail: `the download (HTTP ${response.status}) broke off` })))
    return new Uint8Array(bytes)
  })
  return withRetries(once, options.retryBase)
}

/** A window cut into consecutive windows of at most `days` days (an API's longest range per call). */
export const windowSlices = (window: { readonly start: string; readonly end: string }, days: number): ReadonlyArray<{ readonly start: string; readonly end: string }> => {
  const slices: Array<{ start: string; end: string }> = []
  const dayMs = 86_400_000
  let start = Date.parse(`${window.start}T00:00:00Z`)
  const end = Date.parse(`${window.end}T00:00:00Z`)
  while (start <= end) {
    const sliceEnd = Math.min(end, start + (days - 1) * dayMs)
    slices.push({ start: new Date(start).toISOString().slice(0, 10), end: new Date(sliceEnd).toISOString().slice(0, 10) })
    start = sliceEnd + dayMs
  }
  return slices
}


/** An answer decoded with its schema; one that does not match is the platform's bad response, naming what was read. */
export const decodeAnswer =
  <A, I>(platform: string, account: string | undefined, what: string, schema: Schema.Codec<A, I>) =>
  (body: unknown): Effect.Effect<A, SourceError> =>
    Schema.decodeUnknownEffect(schema)(body).pipe(
      Effect.mapError((error) => new SourceError({ source: platform, ...(account === undefined ? {} : { account }), reason: "bad_response", detail: `${what}: ${error.message}` }))
    )

const TokenAnswer = Schema.Struct({ access_token: Schema.String })

/**
 * An OAuth access token got from a refresh token (the request `exchange` builds), kept for the
 * run; `withToken` runs a call with it and, when the call fails as `expired` says, gets a new
 * token and runs the call once more.
 */
export const refreshedAccessToken = (client: HttpClient.HttpClient, exchange: () => HttpClientRequest.HttpClientRequest, options: ApiCallOptions) => {
  let current: string | undefined
  const get = (renew: boolean): Effect.Effect<string, SourceError> =>
    current !== undefined && !renew
      ? Effect.succeed(current)
      : requestJson(client, exchange(), options).pipe(
          Effect.flatMap(decodeAnswer(options.platform, undefined, "token", TokenAnswer)),
          Effect.map((answer) => (current = answer.access_token))
        )
  return {
    /** The token now, to keep it out of messages. */
    current: (): ReadonlyArray<string> => (current === undefined ? [] : [current]),
    withToken: <A>(call: (token: string) => Effect.Effect<A, SourceError>, expired: (error: SourceError) => boolean): Effect.Effect<A, SourceError> =>
      Effect.flatMap(get(false), call).pipe(Effect.catchIf(expired, () => Effect.flatMap(get(true), call)))
  }
}
