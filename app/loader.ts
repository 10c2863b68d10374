/**
 * Loading the raw zone into the warehouse, as a service with a layer per target: locally, DuckDB
 * reads the raw files (`load.ts`); on Google Cloud, BigQuery load jobs read them from the bucket
 * (`ingestion/gcp/bigquery-load.ts`). Either way a file is loaded once, whatever the re-runs.
 */
import path from "node:path"
import { Context, Effect, FileSystem, Layer } from "effect"
import type { RawZoneError } from "../ingestion/core/errors.ts"
import type { BigQueryLoadError } from "../ingestion/gcp/bigquery-load.ts"
import { StorageClient } from "../ingestion/gcp/clients.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { Warehouse, type WarehouseError, type WarehouseLimits } from "../runner/warehouse.ts"
import { ingestionClients } from "./google-cloud.ts"
import type { GcpTarget } from "./ingestion.ts"
import { loadRawZone, loadReferenceRates, type LoadSummary } from "./load.ts"
import { repositoryRoot } from "./paths.ts"

export interface LoaderService {
  /** Loads every raw file not loaded yet, into the raw tables of these platforms (created when missing). */
  readonly load: (platforms: ReadonlyArray<string>, rowsIngested: { readonly rows: number; readonly quarantined: number }) => Effect.Effect<LoadSummary, WarehouseError | RawZoneError | BigQueryLoadError>
}

export class Loader extends Context.Service<Loader, LoaderService>()("mdp/Loader") {
  /** Into the local DuckDB warehouse, with the sample FX rates as `reference.fx_rates`. */
  static readonly layerLocal = (rawZoneRoot: string, warehouseFile: string, limits: WarehouseLimits = {}): Layer.Layer<Loader, never, FileSystem.FileSystem> =>
    Layer.effect(
      Loader,
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        return Loader.of({
          load: (platforms) =>
            loadReferenceRates(path.join(repositoryRoot, "ingestion", "reference", "fx_rates.csv")).pipe(
              Effect.andThen(loadRawZone(platforms)),
              Effect.provide(Layer.mergeAll(RawZone.layerLocal(rawZoneRoot), Warehouse.layerDuckDB(warehouseFile, limits))),
              Effect.provideService(FileSystem.FileSystem, fs)
            )
        })
      })
    )

  /** Into the BigQuery raw dataset, from the Cloud Storage bucket, with load jobs. */
  static readonly layerGcp = (gcp: GcpTarget): Layer.Layer<Loader> =>
    Layer.succeed(
      Loader,
      Loader.of({
        load: (platforms, ingested) =>
          Effect.gen(function* () {
            // The Google Cloud modules load only for the gcp target.
            const { ensureBigQueryRawTables, loadRawZoneIntoBigQuery, makeGcsLoadLedger, makeGcsRawZone } = yield* Effect.promise(async () => ({
              ...(await import("../ingestion/gcp/bigquery-load.ts")),
              ...(await import("../ingestion/gcp/gcs-raw-zone.ts"))
            }))
            const target = { project: gcp.project, dataset: gcp.dataset, location: gcp.location }
            const storage = yield* StorageClient
            yield* ensureBigQueryRawTables(target, platforms)
            const ledger = makeGcsLoadLedger(storage, gcp.bucket, gcp.prefix, `${gcp.project}.${gcp.dataset}`)
            const result = yield* loadRawZoneIntoBigQuery(makeGcsRawZone(storage, gcp.bucket, gcp.prefix), target, ledger)
            // A file BigQuery cannot load fails the load with its name (BigQueryLoadError); one
            // missing or changed in the bucket is set aside, as locally.
            return { files: result.loaded, rows: ingested.rows, quarantined: ingested.quarantined, skipped: result.alreadyLoaded, rejected: result.rejected } satisfies LoadSummary
          }).pipe(Effect.provide(ingestionClients(gcp)))
      })
    )
}
