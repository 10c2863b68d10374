/**
 * Raw zone (Cloud Storage) → BigQuery raw tables. Tables are created with explicit schemas,
 * partitioned by `date` and clustered by account and campaign. Each raw file is loaded by one
 * load job whose id is derived from the run and the file: BigQuery refuses a second job with the
 * same id, so a run already loaded is never loaded again. Append-only, like the local loader.
 */
import { createHash } from "node:crypto"
import type { BigQuery, TableField } from "@google-cloud/bigquery"
import { Effect, Schema } from "effect"
import { describeCause } from "../core/redact.ts"
import type { RawColumn } from "../core/source.ts"
import { quarantineColumns, rawColumns, rawTableName } from "../load.ts"
import type { RawZone } from "../raw-zone.ts"

/** A BigQuery call failed; the message is BigQuery's own first line. */
export class BigQueryLoadError extends Schema.TaggedError<BigQueryLoadError>()("BigQueryLoadError", {
  step: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `BigQuery ${this.step}: ${this.reason}`
  }
}

const codeOf = (cause: unknown): number | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "number" ? cause.code : undefined

export const QUARANTINE_RETENTION_DAYS = 180

export const bigQuerySchema = (columns: ReadonlyArray<RawColumn>): Array<TableField> =>
  columns.map((column) => ({ name: column.name, type: column.type, mode: "NULLABLE", description: column.description }))

export interface BigQueryTarget {
  readonly project: string
  readonly dataset: string
  readonly location: string
}

/** Creates the raw dataset and tables that do not exist yet; existing ones are left as they are. */
export const ensureBigQueryRawTables = (bigquery: BigQuery, target: BigQueryTarget, platforms: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const dataset = bigquery.dataset(target.dataset, { projectId: target.project })
    const [datasetExists] = yield* Effect.tryPromise({ try: () => dataset.exists(), catch: (cause) => new BigQueryLoadError({ step: "dataset lookup", reason: describeCause(cause) }) })
    if (!datasetExists) {
      yield* Effect.tryPromise({ try: () => dataset.create({ location: target.location }), catch: (cause) => new BigQueryLoadError({ step: "dataset creation", reason: describeCause(cause) }) })
    }
    const tables = [
      ...platforms.map((platform) => ({ name: rawTableName(platform), columns: rawColumns, partitioned: true })),
      { name: "quarantine", columns: quarantineColumns, partitioned: false }
    ]
    for (const table of tables) {
      const handle = dataset.table(table.name)
      const [exists] = yield* Effect.tryPromise({ try: () => handle.exists(), catch: (cause) => new BigQueryLoadError({ step: `table lookup ${table.name}`, reason: describeCause(cause) }) })
      if (exists) continue
      yield* Effect.tryPromise({
        try: () =>
          dataset.createTable(table.name, {
            schema: { fields: bigQuerySchema(table.columns) },
            ...(table.partitioned
              ? { timePartitioning: { type: "DAY", field: "date" }, clustering: { fields: ["account_id", "campaign_id"] } }
              : // Quarantined records are for diagnosis, not history: partitions expire after 180 days.
                { timePartitioning: { type: "DAY", field: "_ingested_at", expirationMs: String(QUARANTINE_RETENTION_DAYS * 86_400_000) } })
          }),
        catch: (cause) => new BigQueryLoadError({ step: `table creation ${table.name}`, reason: describeCause(cause) })
      })
    }
  })

/** The load job id for one raw file of one run: the same file always gets the same id. */
export const loadJobId = (runId: string, key: string): string =>
  `mdp_load_${runId.replace(/[^A-Za-z0-9_-]/g, "_")}_${createHash("sha256").update(key).digest("hex").slice(0, 16)}`

export interface BigQueryLoadSummary {
  readonly loaded: number
  readonly alreadyLoaded: number
}

export const loadRawZoneIntoBigQuery = Effect.fn("Ingestion.loadRawZoneIntoBigQuery")(function* (
  bigquery: BigQuery,
  rawZone: RawZone["Service"],
  target: BigQueryTarget
) {
  const manifests = yield* rawZone.manifests()
  let loaded = 0
  let alreadyLoaded = 0
  for (const manifest of manifests) {
    for (const outcome of manifest.accounts) {
      const files = [
        ...(outcome.file === undefined ? [] : [{ key: outcome.file, table: rawTableName(outcome.source), columns: rawColumns }]),
        ...(outcome.quarantineFile === undefined ? [] : [{ key: outcome.quarantineFile, table: "quarantine", columns: quarantineColumns }])
      ]
      for (const file of files) {
        const jobId = loadJobId(manifest.runId, file.key)
        const created = yield* Effect.tryPromise({
          try: () =>
            bigquery.createJob({
              jobId,
              location: target.location,
              configuration: {
                load: {
                  sourceUris: [rawZone.locate(file.key)],
                  sourceFormat: "NEWLINE_DELIMITED_JSON",
                  destinationTable: { projectId: target.project, datasetId: target.dataset, tableId: file.table },
                  schema: { fields: bigQuerySchema(file.columns) },
                  writeDisposition: "WRITE_APPEND",
                  createDisposition: "CREATE_NEVER"
                }
              }
            }),
          catch: (cause) => (codeOf(cause) === 409 ? ("already loaded" as const) : new BigQueryLoadError({ step: `load job ${jobId}`, reason: describeCause(cause) }))
        }).pipe(Effect.catch((error) => (error === "already loaded" ? Effect.succeed(undefined) : Effect.fail(error))))
        if (created === undefined) {
          alreadyLoaded++
          continue
        }
        const [job] = created
        const [metadata] = yield* Effect.tryPromise({ try: () => job.promise().then(() => job.getMetadata()), catch: (cause) => new BigQueryLoadError({ step: `load job ${jobId}`, reason: describeCause(cause) }) })
        const errorResult = (metadata as { status?: { errorResult?: { message?: string } } }).status?.errorResult
        if (errorResult !== undefined) return yield* new BigQueryLoadError({ step: `load job ${jobId}`, reason: errorResult.message ?? "failed" })
        loaded++
      }
    }
  }
  return { loaded, alreadyLoaded } satisfies BigQueryLoadSummary
})
