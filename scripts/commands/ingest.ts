/** `mdp ingest`: pull ad platform statistics into the raw zone and load them into the warehouse. */
import path from "node:path"
import { Effect, Layer } from "effect"
import { DEFAULT_SETTINGS_FILE, readSettings, type Settings } from "../../app/settings.ts"
import { sourcesFrom } from "../../app/sources.ts"
import { KNOWN_PLATFORMS } from "../../ingestion/core/platforms.ts"
import { SourceRegistry } from "../../ingestion/core/source.ts"
import { ingest, type IngestSummary } from "../../ingestion/ingest.ts"
import { loadRawZone, loadReferenceRates, type LoadSummary } from "../../ingestion/load.ts"
import { RawZone, type AccountOutcome } from "../../ingestion/raw-zone.ts"
import { ConfigError } from "../../ingestion/core/errors.ts"
import { requireGoogleCredentials } from "../../ingestion/gcp/credentials.ts"
import { Warehouse } from "../../runner/warehouse.ts"
import { UsageError, list, parse, positiveInteger, repositoryRoot, table } from "../cli-support.ts"
import { ingestHelp } from "../help.ts"


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
  readonly rawZoneRoot: string
  /** Set when the target is Google Cloud. */
  readonly gcp: GcpTarget | undefined
}

export const resolveSettings = (configFlag: string | undefined, warehouseFlag: string | undefined, targetFlag?: string) =>
  Effect.gen(function* () {
    const configFile = path.resolve(repositoryRoot, configFlag ?? DEFAULT_SETTINGS_FILE)
    const settings = yield* readSettings(configFile, configFlag !== undefined)
    if (targetFlag !== undefined && targetFlag !== "local" && targetFlag !== "gcp") {
      return yield* new UsageError({ reason: `--target is local or gcp, not "${targetFlag}"` })
    }
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
      rawZoneRoot: gcp === undefined ? path.resolve(repositoryRoot, settings.raw_zone ?? "data/raw") : `gs://${gcp.bucket}/${gcp.prefix}`,
      gcp
    } satisfies IngestionSettings
  })

// The Google Cloud clients load only for the gcp target.
const gcpModules = () =>
  Effect.promise(async () => ({
    ...(await import("@google-cloud/bigquery")),
    ...(await import("@google-cloud/storage")),
    ...(await import("../../ingestion/gcp/bigquery-load.ts")),
    ...(await import("../../ingestion/gcp/gcs-raw-zone.ts"))
  }))

const rawZoneLayer = (resolved: IngestionSettings) =>
  Effect.gen(function* () {
    if (resolved.gcp === undefined) return RawZone.layerLocal(resolved.rawZoneRoot)
    const { Storage, layerGcs } = yield* gcpModules()
    return layerGcs(new Storage({ projectId: resolved.gcp.project }), resolved.gcp.bucket, resolved.gcp.prefix)
  })

const describeOutcome = (outcome: AccountOutcome): string => {
  const where = `${outcome.source} ${outcome.account}`
  if (outcome.status === "up_to_date") return `  = ${where}: up to date`
  if (outcome.status === "failed") return `  FAILED ${where}: ${outcome.error ?? "unknown error"}`
  const quarantine = outcome.quarantined > 0 ? `, ${outcome.quarantined} quarantined` : ""
  return `  ok ${where}: ${outcome.rows} rows${quarantine} (${outcome.windowStart} → ${outcome.windowEnd})`
}

export interface IngestRunOptions {
  readonly from?: string
  readonly to?: string
  readonly sources: ReadonlyArray<string>
  readonly concurrency?: number
  readonly load: boolean
}

/** Ingestion then loading, with progress lines; shared by `mdp ingest` and `mdp pipeline`. */
export const runIngestion = (resolved: IngestionSettings, options: IngestRunOptions) =>
  Effect.gen(function* () {
    const sources = yield* sourcesFrom(resolved.settings, repositoryRoot)
    const summary: IngestSummary = yield* ingest({
      sources: options.sources,
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      initialDays: resolved.settings.initial_days ?? 90,
      concurrency: options.concurrency ?? resolved.settings.concurrency ?? 4,
      onAccountStart: (source, account, window) => console.log(`  … ${source} ${account.id} (${account.name}): ${window.start} → ${window.end}`),
      onAccountEnd: (outcome) => {
        console.log(describeOutcome(outcome))
        for (const flag of outcome.flags.slice(0, 5)) console.log(`      volume: ${flag}`)
        if (outcome.flags.length > 5) console.log(`      volume: … and ${outcome.flags.length - 5} more days flagged`)
      }
    }).pipe(Effect.provide(Layer.mergeAll(SourceRegistry.layerFrom(sources), yield* rawZoneLayer(resolved))))
    const platforms = [...new Set([...KNOWN_PLATFORMS, ...sources.map((s) => s.name)])]
    if (!options.load) return { summary, loaded: undefined }
    if (resolved.gcp !== undefined) {
      const gcp = resolved.gcp
      const { BigQuery, Storage, ensureBigQueryRawTables, loadRawZoneIntoBigQuery, makeGcsLoadLedger, makeGcsRawZone } = yield* gcpModules()
      const bigquery = new BigQuery({ projectId: gcp.project, location: gcp.location })
      const storage = new Storage({ projectId: gcp.project })
      const target = { project: gcp.project, dataset: gcp.dataset, location: gcp.location }
      yield* ensureBigQueryRawTables(bigquery, target, platforms)
      const ledger = makeGcsLoadLedger(storage, gcp.bucket, gcp.prefix, `${gcp.project}.${gcp.dataset}`)
      const result = yield* loadRawZoneIntoBigQuery(bigquery, makeGcsRawZone(storage, gcp.bucket, gcp.prefix), target, ledger)
      return { summary, loaded: { files: result.loaded, rows: summary.rows, quarantined: summary.quarantined, skipped: result.alreadyLoaded } satisfies LoadSummary }
    }
    const loaded: LoadSummary = yield* loadReferenceRates(path.join(repositoryRoot, "ingestion", "reference", "fx_rates.csv")).pipe(
      Effect.andThen(loadRawZone(platforms)),
      Effect.provide(Layer.mergeAll(RawZone.layerLocal(resolved.rawZoneRoot), Warehouse.layerDuckDB(resolved.warehouseFile)))
    )
    return { summary, loaded }
  })

export const printIngestSummary = (summary: IngestSummary, loaded: LoadSummary | undefined, resolved: IngestionSettings) => {
  const failed = summary.accounts.filter((a) => a.status === "failed")
  console.log(
    "\n" +
      table(
        ["status", "source", "account", "rows", "quarantined", "window"],
        summary.accounts.map((a) => [a.status, a.source, a.account, String(a.rows), String(a.quarantined), a.windowStart === undefined ? "" : `${a.windowStart} → ${a.windowEnd}`])
      )
  )
  console.log(
    `\nIngestion ${summary.status}: ${summary.rows} rows, ${summary.quarantined} quarantined, ${failed.length} account(s) failed.` +
      `\nRaw zone: ${resolved.rawZoneRoot} (manifest ${summary.manifestFile})` +
      (loaded === undefined
        ? ""
        : resolved.gcp === undefined
          ? `\nLoaded ${loaded.rows} rows from ${loaded.files} new file(s) into ${resolved.warehouseFile}`
          : `\nLoaded ${loaded.files} new file(s) into BigQuery ${resolved.gcp.project}.${resolved.gcp.dataset} (${loaded.skipped} already loaded)`)
  )
  for (const account of failed) console.error(`\n${account.source} ${account.account} failed: ${account.error ?? ""}\n  see docs/pipelines.md, "When a source fails"`)
}

export const ingestCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, {
      from: { type: "string" },
      to: { type: "string" },
      source: { type: "string", multiple: true },
      config: { type: "string" },
      warehouse: { type: "string" },
      target: { type: "string" },
      "no-load": { type: "boolean" },
      concurrency: { type: "string" }
    })
    if (values.help === true) return yield* Effect.sync(() => (console.log(ingestHelp), 0))
    const resolved = yield* resolveSettings(values.config, values.warehouse, values.target)
    const { summary, loaded } = yield* runIngestion(resolved, {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(values.to === undefined ? {} : { to: values.to }),
      sources: list(values.source),
      ...(values.concurrency === undefined ? {} : { concurrency: yield* positiveInteger(values.concurrency, "--concurrency", 4) }),
      load: values["no-load"] !== true
    })
    printIngestSummary(summary, loaded, resolved)
    return summary.status === "complete" ? 0 : 1
  })
