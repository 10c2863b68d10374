/**
 * The retry policy for source API calls: exponential back-off from 500 ms, jittered, each delay
 * capped at one minute and never shorter than the API's own Retry-After hint; five retries at
 * most, and only for retryable failures (rate limits, 5xx, network): any other failure ends the
 * retries at once, and so does a hint longer than `MAX_HINTED_WAIT` (a daily quota spent: Google
 * answers RESOURCE_EXHAUSTED with a retryDelay of hours), so that the account fails now with the
 * platform's message and the next run fetches its window again. Every source retries its API calls with it, each call one whose result has not
 * been handed on, so a retry never emits rows twice.
 */
import { Duration, Effect, Schedule } from "effect"
import type { SourceError } from "./errors.ts"

export const MAX_RETRIES = 5
const MAX_DELAY = Duration.minutes(1)
/** The longest wait an API may ask for before a retry; a longer one fails the call at once. */
export const MAX_HINTED_WAIT = Duration.minutes(5)

const retrySchedule = (base: Duration.Input = "500 millis") =>
  Schedule.exponential(base, 2).pipe(
    Schedule.jittered,
    Schedule.setInputType<SourceError>(),
    Schedule.modifyDelay(({ input, duration }) =>
      input.retryable && (input.retryAfterMs ?? 0) <= Duration.toMillis(MAX_HINTED_WAIT)
        ? Effect.succeed(Duration.max(Duration.min(duration, MAX_DELAY), Duration.millis(input.retryAfterMs ?? 0)))
        : Effect.fail(input)
    ),
    Schedule.upTo({ times: MAX_RETRIES })
  )

/** Retries one API call according to the policy. */
export const withRetries = <A, R>(call: Effect.Effect<A, SourceError, R>, base?: Duration.Input): Effect.Effect<A, SourceError, R> =>
  Effect.retry(call, retrySchedule(base))

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export const retryAfterMs = (header: unknown, nowMs: number): number | undefined => {
  if (typeof header !== "string" && typeof header !== "number") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(String(header))
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/** Google's durations ("30s", "1.5s") in milliseconds. */
export const protoDurationMs = (value: unknown): number | undefined => {
  if (typeof value !== "string") return undefined
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value)
  return match === null ? undefined : Number(match[1]) * 1000
}
