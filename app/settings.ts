/**
 * Settings: `config/settings.yaml` (copy `config/settings.example.yaml`), decoded with Schema;
 * unknown keys are rejected so a typo cannot silently disable something. Without the file the
 * embedded default applies: sample sources, local warehouse and raw zone. Secrets never live in
 * the file: live sources read them from the environment as redacted values, and a missing one
 * fails at start with the variable's name.
 *
 * The `sources` section has a key per registered platform (`includes/platform_registry.json`),
 * each decoded by the platform's own schema (`ingestion/sources/<platform>/source.ts`) when its
 * source is made; `models` becomes the Dataform project's vars.
 */
import { Effect, FileSystem, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { ConfigError, fileErrorMessage } from "../ingestion/core/errors.ts"
import { isPlatformSource } from "../ingestion/core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Currency = Schema.String.check(Schema.isPattern(/^[A-Z]{3}$/))

/** One optional key per registered platform. */
const perPlatform = <S extends Schema.Top>(schema: S) =>
  Schema.Struct(Object.fromEntries(KNOWN_PLATFORMS.map((platform) => [platform, Schema.optionalKey(schema)])) as Record<string, Schema.optionalKey<S>>)

export const SampleSettings = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  seed: Schema.optionalKey(Schema.Int),
  campaigns_per_account: Schema.optionalKey(PositiveInt),
  /** Only these platforms' sample accounts (default: every platform's). */
  platforms: Schema.optionalKey(Schema.Array(Schema.Literals(KNOWN_PLATFORMS as [string, ...Array<string>])))
})

const FreshnessThresholds = Schema.Struct({
  /** Older than this many days is a warning (default 3). */
  warn_after_days: Schema.optionalKey(PositiveInt),
  /** Older than this many days fails the run (default: never). */
  error_after_days: Schema.optionalKey(PositiveInt)
})

const FreshnessSettings = Schema.Struct({
  ...FreshnessThresholds.fields,
  platforms: Schema.optionalKey(perPlatform(FreshnessThresholds))
})

const MetricName = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*$/))
const JsonPath = Schema.String.check(Schema.isPattern(/^\$[^'|]*$/))

/** What the models do with one platform (Fivetran's ad_reporting__<platform>_enabled and *_passthrough_metrics). */
const PlatformModelSettings = Schema.Struct({
  /** Off: its staging models are disabled and it leaves the unions and marts (default on). */
  enabled: Schema.optionalKey(Schema.Boolean),
  /** Extra metrics summed into the marts: column name → JSON path in the platform's raw payload. */
  passthrough_metrics: Schema.optionalKey(Schema.Record(MetricName, JsonPath))
})

/** DuckDB's memory for the local warehouse (runner/warehouse.ts WarehouseLimits). */
const DuckDBSettings = Schema.Struct({
  /** "1GB", "800MB": past it, DuckDB spills to temp_directory. */
  memory_limit: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i))),
  temp_directory: Schema.optionalKey(Schema.String),
  /** Threads per query (default: every core). */
  threads: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

export const Settings = Schema.Struct({
  target: Schema.optionalKey(Schema.Literals(["local", "gcp"])),
  warehouse: Schema.optionalKey(Schema.String),
  duckdb: Schema.optionalKey(DuckDBSettings),
  raw_zone: Schema.optionalKey(Schema.String),
  initial_days: Schema.optionalKey(PositiveInt),
  concurrency: Schema.optionalKey(PositiveInt),
  models: Schema.optionalKey(
    Schema.Struct({
      reporting_currency: Schema.optionalKey(Currency),
      /** Meta action types that count as conversions; summing all of them double counts. */
      meta_conversion_action_types: Schema.optionalKey(Schema.Array(Schema.String)),
      /** How old each platform's newest day may be: a warning, then an error (dbt's warn_after/error_after). */
      freshness: Schema.optionalKey(FreshnessSettings),
      platforms: Schema.optionalKey(perPlatform(PlatformModelSettings))
    })
  ),
  sources: Schema.optionalKey(
    Schema.Struct({
      sample: Schema.optionalKey(SampleSettings),
      // Each platform's section is checked by the platform's own schema, when its source is made.
      ...perPlatform(Schema.Record(Schema.String, Schema.Unknown)).fields
    })
  ),
  gcp: Schema.optionalKey(
    Schema.Struct({
      project: Schema.String,
      location: Schema.optionalKey(Schema.String),
      raw_bucket: Schema.String,
      raw_prefix: Schema.optionalKey(Schema.String),
      raw_dataset: Schema.optionalKey(Schema.String),
      /** `projects/<p>/locations/<l>/repositories/<r>` */
      dataform_repository: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^projects\/[^/]+\/locations\/[^/]+\/repositories\/[^/]+$/))),
      git_commitish: Schema.optionalKey(Schema.String),
      /** How `transform --target gcp` runs the project: a Dataform workflow invocation (api) or the stock `dataform run` (cli). */
      run_with: Schema.optionalKey(Schema.Literals(["api", "cli"])),
      /** For run_with: cli, the file `dataform init-creds` writes. */
      dataform_credentials: Schema.optionalKey(Schema.String),
      schema_suffix: Schema.optionalKey(Schema.String)
    })
  )
})
export type Settings = typeof Settings.Type

export const DEFAULT_SETTINGS_FILE = "config/settings.yaml"

/** The platform folder's `platformSource`, or why it has none. */
export const loadPlatformSource = Effect.fn("Settings.loadPlatformSource")(function* (platform: string) {
  const file = `ingestion/sources/${platform}/source.ts`
  const loaded = yield* Effect.tryPromise({
    try: (): Promise<unknown> => import(new URL(`../${file}`, import.meta.url).href),
    catch: (cause) => new ConfigError({ key: `sources.${platform}`, reason: `${file} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}` })
  })
  const candidate = typeof loaded === "object" && loaded !== null ? (loaded as { readonly platformSource?: unknown }).platformSource : undefined
  if (!isPlatformSource(candidate)) {
    return yield* new ConfigError({ key: `sources.${platform}`, reason: `${file} exports no platformSource (ingestion/core/platform-source.ts)` })
  }
  return candidate
})

/** A platform's settings section, checked by the platform's own schema. */
export const platformSection = Effect.fn("Settings.platformSection")(function* (platform: string, raw: unknown) {
  const platformSource = yield* loadPlatformSource(platform)
  const section = yield* Schema.decodeUnknownEffect(platformSource.settings)(raw, { onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new ConfigError({ key: `sources.${platform}`, reason: error.message.replace(/\s+/g, " ") }))
  )
  return { platformSource, section }
})

/** Reads the settings file; a missing default file means the embedded default. */
export const readSettings = Effect.fn("Settings.read")(function* (file: string, required: boolean) {
  const fs = yield* FileSystem.FileSystem
  const unreadable = (cause: unknown) => new ConfigError({ key: file, reason: `cannot be read: ${fileErrorMessage(cause)}` })
  if (!(yield* fs.exists(file).pipe(Effect.mapError(unreadable)))) {
    if (required) return yield* new ConfigError({ key: file, reason: "the file does not exist" })
    return {} satisfies Settings
  }
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(unreadable))
  const raw = yield* Effect.try({
    try: () => parseYaml(text) as unknown,
    catch: (cause) => new ConfigError({ key: file, reason: `not valid YAML: ${String(cause)}` })
  })
  const settings = yield* Schema.decodeUnknownEffect(Settings)(raw ?? {}, { onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new ConfigError({ key: file, reason: error.message.replace(/\s+/g, " ") }))
  )
  // Every platform section is checked now, not when its source is made: a typo fails at once.
  for (const [platform, section] of Object.entries(settings.sources ?? {})) {
    if (platform !== "sample") yield* platformSection(platform, section)
  }
  return settings
})

const freshnessVars = (freshness: typeof FreshnessSettings.Type | undefined): Record<string, string> => {
  const vars: Record<string, string> = {}
  const put = (suffix: string, thresholds: typeof FreshnessThresholds.Type | undefined) => {
    if (thresholds?.warn_after_days !== undefined) vars[`freshness_warn_after_days${suffix}`] = String(thresholds.warn_after_days)
    if (thresholds?.error_after_days !== undefined) vars[`freshness_error_after_days${suffix}`] = String(thresholds.error_after_days)
  }
  put("", freshness)
  for (const [platform, thresholds] of Object.entries(freshness?.platforms ?? {})) put(`__${platform}`, thresholds)
  return vars
}

const platformVars = (platforms: typeof PlatformModelSettings.Type | undefined, platform: string): Record<string, string> => ({
  ...(platforms?.enabled === undefined ? {} : { [`ad_reporting__${platform}_enabled`]: String(platforms.enabled) }),
  ...(platforms?.passthrough_metrics === undefined
    ? {}
    : { [`ad_reporting__${platform}_passthrough_metrics`]: Object.entries(platforms.passthrough_metrics).map(([name, path]) => `${name}:${path}`).join("|") })
})

/** Dataform vars that the settings decide, passed to every compile. */
export const dataformVars = (settings: Settings): Readonly<Record<string, string>> => ({
  ...freshnessVars(settings.models?.freshness),
  ...Object.assign({}, ...Object.entries(settings.models?.platforms ?? {}).map(([platform, models]) => platformVars(models, platform))),
  ...(settings.models?.reporting_currency === undefined ? {} : { reporting_currency: settings.models.reporting_currency }),
  // "|", not ",": `dataform compile --vars` splits its argument on commas.
  ...(settings.models?.meta_conversion_action_types === undefined ? {} : { meta_conversion_action_types: settings.models.meta_conversion_action_types.join("|") })
})
