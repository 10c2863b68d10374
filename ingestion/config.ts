/**
 * Settings: `config/settings.yaml` (copy `config/settings.example.yaml`), decoded with Schema;
 * unknown keys are rejected so a typo cannot silently disable something. Without the file the
 * embedded default applies: sample sources, local warehouse and raw zone. Secrets never live in
 * the file: live sources read them from the environment as redacted values, and a missing one
 * fails at start with the variable's name.
 */
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { Config, Effect, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { isValidTimeZone } from "./core/dates.ts"
import { KNOWN_PLATFORMS } from "./core/platforms.ts"
import { ConfigError } from "./core/errors.ts"
import type { AdsSource } from "./core/source.ts"
import { makeMicrosoftAdsSource } from "./sources/microsoft_ads/source.ts"
import { makeSampleSources } from "./sources/sample/source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Currency = Schema.String.check(Schema.isPattern(/^[A-Z]{3}$/))

const SampleSettings = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  seed: Schema.optionalKey(Schema.Int),
  campaigns_per_account: Schema.optionalKey(PositiveInt)
})

const GoogleAdsSettings = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  customer_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^\d{3}-?\d{3}-?\d{4}$/))),
  login_customer_id: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d{3}-?\d{3}-?\d{4}$/))),
  lookback_days: Schema.optionalKey(PositiveInt),
  rows_per_request: Schema.optionalKey(PositiveInt)
})

const MetaAdsSettings = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^(act_)?\d+$/))),
  lookback_days: Schema.optionalKey(PositiveInt),
  async_after_days: Schema.optionalKey(PositiveInt)
})

const FileExportSettings = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  folder: Schema.String,
  format: Schema.optionalKey(Schema.Literals(["csv", "ndjson"])),
  time_zone: Schema.optionalKey(Schema.String),
  lookback_days: Schema.optionalKey(PositiveInt)
})

const FreshnessThresholds = Schema.Struct({
  /** Older than this many days is a warning (default 3). */
  warn_after_days: Schema.optionalKey(PositiveInt),
  /** Older than this many days fails the run (default: never). */
  error_after_days: Schema.optionalKey(PositiveInt)
})

const FreshnessSettings = Schema.Struct({
  ...FreshnessThresholds.fields,
  platforms: Schema.optionalKey(
    Schema.Struct({
      google_ads: Schema.optionalKey(FreshnessThresholds),
      meta_ads: Schema.optionalKey(FreshnessThresholds),
      microsoft_ads: Schema.optionalKey(FreshnessThresholds)
    } satisfies Record<(typeof KNOWN_PLATFORMS)[number], unknown>)
  )
})

export const Settings = Schema.Struct({
  target: Schema.optionalKey(Schema.Literals(["local", "gcp"])),
  warehouse: Schema.optionalKey(Schema.String),
  raw_zone: Schema.optionalKey(Schema.String),
  initial_days: Schema.optionalKey(PositiveInt),
  concurrency: Schema.optionalKey(PositiveInt),
  models: Schema.optionalKey(
    Schema.Struct({
      reporting_currency: Schema.optionalKey(Currency),
      /** Meta action types that count as conversions; summing all of them double counts. */
      meta_conversion_action_types: Schema.optionalKey(Schema.Array(Schema.String)),
      /** How old each platform's newest day may be: a warning, then an error (dbt's warn_after/error_after). */
      freshness: Schema.optionalKey(FreshnessSettings)
    })
  ),
  sources: Schema.optionalKey(
    Schema.Struct({
      sample: Schema.optionalKey(SampleSettings),
      google_ads: Schema.optionalKey(GoogleAdsSettings),
      meta_ads: Schema.optionalKey(MetaAdsSettings),
      microsoft_ads: Schema.optionalKey(FileExportSettings)
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

export { KNOWN_PLATFORMS } from "./core/platforms.ts"

/** Reads the settings file; a missing default file means the embedded default. */
export const readSettings = (file: string, required: boolean) =>
  Effect.gen(function* () {
    if (!existsSync(file)) {
      if (required) return yield* new ConfigError({ key: file, reason: "the file does not exist" })
      return {} satisfies Settings
    }
    const raw = yield* Effect.try({
      try: () => parseYaml(readFileSync(file, "utf8")) as unknown,
      catch: (cause) => new ConfigError({ key: file, reason: `not valid YAML: ${String(cause)}` })
    })
    const settings = yield* Schema.decodeUnknownEffect(Settings)(raw ?? {}, { onExcessProperty: "error" }).pipe(
      Effect.mapError((error) => new ConfigError({ key: file, reason: error.message.replace(/\s+/g, " ") }))
    )
    const zone = settings.sources?.microsoft_ads?.time_zone
    if (zone !== undefined && !isValidTimeZone(zone)) {
      return yield* new ConfigError({ key: "sources.microsoft_ads.time_zone", reason: `"${zone}" is not an IANA time zone` })
    }
    return settings
  })

const enabled = (section: { readonly enabled?: boolean } | undefined, fallback: boolean): boolean => (section === undefined ? fallback : section.enabled ?? true)

const missingSecret = (source: string) => (error: Config.ConfigError) =>
  new ConfigError({
    key: `sources.${source}`,
    reason: `credentials missing from the environment (${error.message.replace(/\s+/g, " ")}); see docs/pipelines.md`
  })

/** The sources the settings enable. Live sources need their secrets in the environment. */
export const sourcesFrom = (settings: Settings, baseDir: string) =>
  Effect.gen(function* () {
    const sections = settings.sources ?? {}
    const sources: Array<AdsSource> = []
    const google = sections.google_ads
    const meta = sections.meta_ads
    const liveGoogle = google !== undefined && enabled(google, true)
    const liveMeta = meta !== undefined && enabled(meta, true)
    if (enabled(sections.sample, !liveGoogle && !liveMeta)) {
      if (liveGoogle || liveMeta) {
        return yield* new ConfigError({ key: "sources.sample", reason: "the sample produces google_ads and meta_ads data; disable it (enabled: false) when a live source of those platforms is on" })
      }
      sources.push(...makeSampleSources({ seed: sections.sample?.seed ?? 42, ...(sections.sample?.campaigns_per_account === undefined ? {} : { campaignsPerAccount: sections.sample.campaigns_per_account }) }))
    }
    // The ad SDKs are large: they load only when a live source needs them.
    if (liveGoogle) {
      const { googleAdsCredentials, makeGoogleAdsSource } = yield* Effect.promise(() => import("./sources/google_ads/client.ts"))
      const credentials = yield* googleAdsCredentials.pipe(Effect.mapError(missingSecret("google_ads")))
      sources.push(
        makeGoogleAdsSource(
          {
            customerIds: google.customer_ids,
            lookbackDays: google.lookback_days ?? 14,
            ...(google.login_customer_id === undefined ? {} : { loginCustomerId: google.login_customer_id }),
            ...(google.rows_per_request === undefined ? {} : { rowsPerRequest: google.rows_per_request })
          },
          credentials
        )
      )
    }
    if (liveMeta) {
      const { makeMetaAdsSource, metaAdsCredentials } = yield* Effect.promise(() => import("./sources/meta_ads/client.ts"))
      const credentials = yield* metaAdsCredentials.pipe(Effect.mapError(missingSecret("meta_ads")))
      sources.push(makeMetaAdsSource({ accountIds: meta.account_ids, lookbackDays: meta.lookback_days ?? 28, ...(meta.async_after_days === undefined ? {} : { asyncAfterDays: meta.async_after_days }) }, credentials))
    }
    const microsoft = sections.microsoft_ads
    if (microsoft !== undefined && enabled(microsoft, true)) {
      sources.push(
        makeMicrosoftAdsSource({
          folder: path.resolve(baseDir, microsoft.folder),
          format: microsoft.format ?? "csv",
          timeZone: microsoft.time_zone ?? "UTC",
          lookbackDays: microsoft.lookback_days ?? 7,
          // Beside the project's other local state rather than in /tmp, which can be memory.
          spillFolder: path.resolve(baseDir, "data", "tmp")
        })
      )
    }
    return sources
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

/** Dataform vars that the settings decide, passed to every compile. */
export const dataformVars = (settings: Settings): Readonly<Record<string, string>> => ({
  ...freshnessVars(settings.models?.freshness),
  ...(settings.models?.reporting_currency === undefined ? {} : { reporting_currency: settings.models.reporting_currency }),
  // "|", not ",": `dataform compile --vars` splits its argument on commas.
  ...(settings.models?.meta_conversion_action_types === undefined ? {} : { meta_conversion_action_types: settings.models.meta_conversion_action_types.join("|") })
})
