/**
 * The Google Cloud clients of the gcp target, made once for the settings' project and provided as
 * services: ingestion's (Cloud Storage, BigQuery loads) and the runner's (Dataform API, BigQuery
 * dry runs). The SDKs load only when a gcp command builds these layers.
 */
import { Effect, Layer } from "effect"
import { BigQueryClient, StorageClient } from "../ingestion/gcp/clients.ts"
import { BigQueryJobs, DataformApi } from "../runner/gcp.ts"
import type { GcpTarget } from "./ingestion.ts"

const bigQueryFor = (gcp: GcpTarget) => Effect.promise(async () => new (await import("@google-cloud/bigquery")).BigQuery({ projectId: gcp.project, location: gcp.location }))

/** Cloud Storage and BigQuery, for ingesting into the bucket and loading the raw dataset. */
export const ingestionClients = (gcp: GcpTarget): Layer.Layer<BigQueryClient | StorageClient> =>
  Layer.mergeAll(
    Layer.effect(BigQueryClient, bigQueryFor(gcp)),
    Layer.effect(StorageClient, Effect.promise(async () => new (await import("@google-cloud/storage")).Storage({ projectId: gcp.project })))
  )

/** The Dataform API and BigQuery, for running the project on Google Cloud and pricing it. */
export const runnerClients = (gcp: GcpTarget): Layer.Layer<DataformApi | BigQueryJobs> =>
  Layer.mergeAll(
    // The REST transport (fallback): no gRPC channel to keep open for a few polls.
    Layer.effect(DataformApi, Effect.promise(async () => new (await import("@google-cloud/dataform")).v1.DataformClient({ fallback: true, projectId: gcp.project }))),
    Layer.effect(BigQueryJobs, bigQueryFor(gcp))
  )
