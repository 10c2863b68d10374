/**
 * What a platform's folder gives ingestion: `ingestion/sources/<platform>/source.ts` exports
 * `platformSource`, the schema of its settings section (`sources.<platform>` in the settings
 * file) and how those settings make its `AdsSource`. It loads its SDK only when it makes a source,
 * so reading the settings stays cheap. Found by the platform's name in the registry
 * (`includes/platform_registry.json`), so adding a platform edits no list in TypeScript.
 */
import type { Config, Effect, Schema } from "effect"
import { ConfigError } from "./errors.ts"
import type { AdsSource } from "./source.ts"

export interface SourceContext {
  /** The folder relative paths in the settings are resolved against. */
  readonly baseDir: string
  /** Where a source may keep scratch files (beside the project's other local state). */
  readonly scratchFolder: string
}

export interface PlatformSource<S> {
  readonly settings: Schema.Codec<S, unknown>
  /** The environment variables its live client needs (its secrets): all checked before any source is made. */
  readonly environment?: ReadonlyArray<string>
  /** The same, when it depends on the section (a platform read from files or from its API). */
  readonly environmentFor?: (settings: S) => ReadonlyArray<string>
  readonly make: (settings: S, context: SourceContext) => Effect.Effect<AdsSource, ConfigError | Config.ConfigError>
}

/** A platform's settings section may turn it off without removing it. */
export const isEnabledSection = (section: unknown): boolean =>
  !(typeof section === "object" && section !== null && (section as { readonly enabled?: unknown }).enabled === false)

export const isPlatformSource = (value: unknown): value is PlatformSource<unknown> =>
  typeof value === "object" && value !== null && "settings" in value && "make" in value && typeof (value as { readonly make: unknown }).make === "function"

/** A live source's secrets are not in the environment: which variable, and where to read more. */
export const missingCredentials = (platform: string) => (error: Config.ConfigError) =>
  new ConfigError({
    key: `sources.${platform}`,
    reason: `credentials missing from the environment (${error.message.replace(/\s+/g, " ")}); see docs/pipelines.md`
  })
