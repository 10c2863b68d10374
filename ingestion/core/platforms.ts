/**
 * The platform registry (`includes/platform_registry.json`) as TypeScript sees it: the same file
 * the Dataform project generates each platform's raw declaration, ledger, observations and union
 * branch from. Its raw columns are also what the warehouse's and BigQuery's raw tables are made of.
 */
import registry from "../../includes/platform_registry.json" with { type: "json" }
import type { RawColumn } from "./source.ts"

export interface PlatformEntry {
  /** What people call it: in the report and in messages. */
  readonly label: string
  /** The report's colour for it. */
  readonly colour: string
}

const entries: Readonly<Record<string, PlatformEntry>> = registry.platforms

/** Every registered platform, in the registry's order: each has a raw table, so the models compile. */
export const KNOWN_PLATFORMS: ReadonlyArray<string> = Object.keys(entries)

export const platformEntry = (platform: string): PlatformEntry | undefined => entries[platform]

/** The columns of every platform's raw table. */
export const rawColumns = registry.raw_columns as ReadonlyArray<RawColumn>

export const quarantineColumns: ReadonlyArray<RawColumn> = [
  { name: "_run_id", type: "STRING", description: "Ingestion run that rejected the record." },
  { name: "_ingested_at", type: "TIMESTAMP", description: "When that run started (UTC)." },
  { name: "_source", type: "STRING", description: "Platform the record came from." },
  { name: "_account_id", type: "STRING", description: "Ad account the run fetched." },
  { name: "reason", type: "STRING", description: "Why the record was rejected." },
  { name: "payload", type: "JSON", description: "The record as received." }
]

/** Each platform's raw table, in the raw dataset. */
export const rawTableName = (platform: string): string => `${platform}__campaign_daily`
