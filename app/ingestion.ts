/**
 * The composition root of a run: the settings resolved into a target (local, or Google Cloud),
 * and the services ingestion and loading run with, built for it: the sources, the raw zone
 * (a folder, or a bucket) and the loader (DuckDB, or BigQuery load jobs). Commands parse their arguments,
 * call these and print; nothing here prints.
 */
import path from "node:path"
import { Effect, Layer } from "effect"
import { ConfigError } from "../ingestion/core/errors.ts"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { requireGoogleCredentials } from "../ingestion/gcp/credentials.ts"
import { ingest, type IngestSummary } from "../ingestion/ingest.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { ingestionClients } from "./google-cloud.ts"
import { Loader } from "./loader.ts"
import { withWriterLock, type WriterLockOptions } from "./writer-lock.ts"
import { repositoryRoot } from "./paths.ts"
import { DEFAULT_SETTINGS_FILE, readSettings, type Settings } from "./settings.ts"
import { sourcesFrom } from "./sources.ts"
import type { WarehouseLimits } from "../runner/warehouse.ts"

export interface GcpTarget {
  readonly project: string
  readonly location: string
  readonly bucket: string
  readonly prefix: string
  readonly dataset: string
  readonly repository: string | undefined
  readonly gitCommitish: string
  readonly schemaSuffix: string | undefined
  readonly runWith: "api" | "cli"
  readonly dataformCredentials: string
}

export interface IngestionSettings {
  readonly settings: Settings
  readonly configFile: string
  readonly warehouseFile: string
  /** DuckDB's memory limit and spill folder (the settings' duckdb section). */
  readonly warehouseLimits: WarehouseLimits
  readonly rawZoneRoot: string
  /** Set when the target is Google Cloud. */
  readonly gcp: GcpTarget | undefined
}

/** The settings' duckdb section as the warehouse layer takes it. */
export const warehouseLimits = (settings: Settings): WarehouseLimits => ({
  ...(settings.duckdb?.memory_limit === undefined ? {} : { memoryLimit: settings.duckdb.memory_limit }),
  ...(settings.duckdb?.temp_directory === undefined ? {} : { tempDirectory: path.resolve(repositoryRoot, settings.duckdb.temp_directory) }),
  ...(settings.duckdb?.threads === undefined ? {} : { threads: settings.duckdb.threads })
})

/**
 * The settings file read and the target chosen: where the raw zone and the warehouse are, and the
 * Google Cloud project when the target is gcp (whose credentials must then be found).
 */
export const resolveSettings = Effect.fn("App.resolveSettings")(function* (
  configFlag: string | undefined,
  warehouseFlag: string | undefined,
  targetFlag?: "local" | "gcp"
) {
  const configFile = path.resolve(repositoryRoot, configFlag ?? DEFAULT_SETTINGS_FILE)
  const settings = yield* readSettings(configFile, configFlag !== undefined)
  const target = targetFlag ?? settings.target ?? "local"
  let gcp: GcpTarget | undefined
  if (target === "gcp") {
    if (settings.gcp === undefined) {
      return yield* new ConfigError({ key: "gcp", reason: `the gcp target needs a gcp section (project, raw_bucket, …) in ${configFile}; see config/settings.example.yaml` })
    }
    yield* requireGoogleCredentials()
    gcp = {
      project: settings.gcp.project,
      location: settings.gcp.location ?? "EU",
      bucket: settings.gcp.raw_bucket,
      prefix: settings.gcp.raw_prefix ?? "",
      dataset: settings.gcp.raw_dataset ?? "raw",
      repository: settings.gcp.dataform_repository,
      gitCommitish: settings.gcp.git_commitish ?? "main",
      schemaSuffix: settings.gcp.schema_suffix,
      runWith: settings.gcp.run_with ?? "api",
      dataformCredentials: path.resolve(repositoryRoot, settings.gcp.dataform_credentials ?? ".df-credentials.json")
    }
  }
  return {
    settings,
    configFile,
    warehouseFile: path.resolve(repositoryRoot, warehouseFlag ?? settings.warehouse ?? "data/warehouse.duckdb"),
    warehouseLimits: warehouseLimits(settings),
    rawZoneRoot: gcp === undefined ? path.resolve(repositoryRoot, settings.raw_zone ?? "data/raw") : `gs://${gcp.bucket}/${gcp.prefix}`,
    gcp
  } satisfies IngestionSettings
})

// The Cloud Storage raw zone loads only for the gcp target.
const gcpModules = () => Effect.promise(() => import("../ingestion/gcp/gcs-raw-zone.ts"))

export interface IngestRunOptions {
  readonly from?: string
  readonly to?: string
  readonly sources: ReadonlyArray<string>
  /** Only these accounts (ids as the platform gives them); all when empty. */
  readonly accounts?: ReadonlyArray<string>
  readonly concurrency?: number
  readonly load: boolean
  /** Who writes, and whether to wait for another writer of the raw zone or warehouse (the default). */
  readonly writer?: Omit<WriterLockOptions, "timeout">
}

/** The raw zone of the target: the local folder, or the Cloud Storage bucket. */
export const rawZoneFor = (resolved: IngestionSettings) =>
  Effect.gen(function* () {
    const gcp = resolved.gcp
    return gcp === undefined ? RawZone.layerLocal(resolved.rawZoneRoot) : (yield* gcpModules()).layerGcs(gcp.bucket, gcp.prefix).pipe(Layer.provide(ingestionClients(gcp)))
  })

/** Ingestion then loading into the target's warehouse; shared by `mdp ingest` and `mdp pipeline`. */
export const runIngestion = Effect.fn("App.runIngestion")(function* (resolved: IngestionSettings, options: IngestRunOptions) {
  const sources = yield* sourcesFrom(resolved.settings, repositoryRoot)
  const gcp = resolved.gcp
  const rawZone = yield* rawZoneFor(resolved)
  const writer = options.writer ?? { command: "mdp ingest", wait: true }
  // The local raw zone and warehouse take one writer at a time (a bucket and BigQuery need no lock:
  // files and load jobs there are named by run).
  const locked = <A, E, R>(resource: string, effect: Effect.Effect<A, E, R>) => (gcp === undefined ? withWriterLock(resource, writer, effect) : effect)
  const summary: IngestSummary = yield* locked(resolved.rawZoneRoot, ingest({
    sources: options.sources,
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
    initialDays: resolved.settings.initial_days ?? 90,
    concurrency: options.concurrency ?? resolved.settings.concurrency ?? 4
  }).pipe(Effect.provide(Layer.mergeAll(SourceRegistry.layerFrom(sources), rawZone))))
  const platforms = [...new Set([...KNOWN_PLATFORMS, ...sources.map((s) => s.name)])]
  if (!options.load) return { summary, loaded: undefined }
  const loader = gcp === undefined ? Loader.layerLocal(resolved.rawZoneRoot, resolved.warehouseFile, resolved.warehouseLimits) : Loader.layerGcp(gcp)
  const loaded = yield* locked(resolved.warehouseFile, Loader.use((service) => service.load(platforms, summary)).pipe(Effect.provide(loader)))
  return { summary, loaded }
})
