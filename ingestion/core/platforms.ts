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

export const isKnownPlatform = (platform: string): boolean => Object.hasOwn(entries, platform)

/** The columns of every platform's raw table. */
export const rawColumns = registry.raw_columns as ReadonlyArray<RawColumn>
