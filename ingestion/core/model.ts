/**
 * What every source produces and every stage of ingestion passes along: accounts, date windows,
 * raw records (the source's own row kept verbatim, plus the natural key and the few metrics the
 * ingestion checks need) and quarantined records. Units are not normalised here: staging does that.
 */
import { Schema } from "effect"

/** Version of the raw record envelope; bump it when the envelope's columns change. */
export const RAW_SCHEMA_VERSION = 1

export const IsoDate = Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/))

/** Days in the account's own time zone, both ends included. */
export interface DateWindow {
  readonly start: string
  readonly end: string
}

export interface AccountInfo {
  readonly id: string
  readonly name: string
  readonly currency: string
  /** IANA zone, e.g. `Europe/Paris`: a day is complete once it has ended there. */
  readonly timeZone: string
}

/** The metrics ingestion checks for consistency, in the source's units converted to plain numbers. */
export interface CheckedMetrics {
  readonly impressions: number
  readonly clicks: number
  readonly spend: number
  readonly currency: string
}

export interface SourceRecord {
  readonly _tag: "SourceRecord"
  readonly accountId: string
  readonly campaignId: string
  readonly date: string
  /** The row as the source's API (or SDK) returned it. */
  readonly payload: Readonly<Record<string, unknown>>
  readonly metrics: CheckedMetrics
}

/** A record that failed validation: kept with its reason, never dropped silently. */
export interface RejectedRecord {
  readonly _tag: "RejectedRecord"
  readonly reason: string
  readonly payload: unknown
}

export type FetchedRecord = SourceRecord | RejectedRecord

export const rejected = (reason: string, payload: unknown): RejectedRecord => ({ _tag: "RejectedRecord", reason, payload })
