/** Errors of ingestion. Messages never carry secrets: connectors describe failures without URLs or tokens. */
import { Schema } from "effect"

export const SourceFailureReason = Schema.Literals(["rate_limited", "quota", "auth", "bad_response", "network", "server", "not_found"])
export type SourceFailureReason = typeof SourceFailureReason.Type

/** A source's API failed. Rate limits, 5xx and network failures are retryable; `retryAfterMs` honours the API's own hint. */
export class SourceError extends Schema.TaggedError<SourceError>()("SourceError", {
  source: Schema.String,
  account: Schema.optionalKey(Schema.String),
  reason: SourceFailureReason,
  detail: Schema.String,
  retryAfterMs: Schema.optionalKey(Schema.Number)
}) {
  get retryable(): boolean {
    return this.reason === "rate_limited" || this.reason === "server" || this.reason === "network"
  }
  override get message(): string {
    return `${this.source}${this.account === undefined ? "" : ` account ${this.account}`}: ${this.reason.replace("_", " ")}: ${this.detail}`
  }
}

/** Settings that cannot be used; names the key. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `configuration ${this.key}: ${this.reason}`
  }
}

/**
 * What went wrong with a file, in the system's words ("EISDIR: illegal operation on a directory,
 * rename …"): Effect's FileSystem errors keep the Node error as their reason's cause.
 */
export const fileErrorMessage = (cause: unknown): string => {
  const reason = typeof cause === "object" && cause !== null && "reason" in cause ? (cause as { readonly reason: unknown }).reason : undefined
  const underlying = typeof reason === "object" && reason !== null && "cause" in reason ? (reason as { readonly cause: unknown }).cause : undefined
  if (underlying instanceof Error) return underlying.message
  return cause instanceof Error ? cause.message : String(cause)
}

/** The raw zone could not be read or written. */
export class RawZoneError extends Schema.TaggedError<RawZoneError>()("RawZoneError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `raw zone ${this.path}: ${this.reason}`
  }

  /** Only what the system's error says: a full disk, or a folder that cannot be written. */
  get hint(): string | undefined {
    if (/ENOSPC|no space left/i.test(this.reason)) return "Free space on the raw zone's disk and run again: nothing half-written was kept, and the run fetches the same window again."
    if (/EACCES|EPERM|EROFS|permission denied|read-only file system/i.test(this.reason)) return "Make the raw zone folder writable for this user, then run again."
    return undefined
  }
}
