/**
 * Raw zone (Cloud Storage) → BigQuery raw tables. Tables are created with explicit schemas,
 * partitioned by `date` and clustered by account and campaign. Each raw file is loaded by one
 * load job whose id is derived from the run and the file: BigQuery refuses a second job with the
 * same id, so a run already loaded is never loaded again, and a file whose job failed is loaded
 * under the next id of its sequence. Append-only, like the local loader.
 */
import { createHash } from "node:crypto"
import type { BigQuery, Job, TableField } from "@google-cloud/bigquery"
import { Effect, Exit, Schema } from "effect"
import type { RawZoneError } from "../core/errors.ts"
import { describeCause } from "../core/redact.ts"
import type { RawColumn } from "../core/source.ts"
import { quarantineColumns, rawColumns, rawTableName } from "../core/platforms.ts"
import { rawFileProblem, type RawZone, type RejectedFile } from "../raw-zone.ts"
import { BigQueryClient } from "./clients.ts"

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
export const ensureBigQueryRawTables = Effect.fn("BigQueryLoad.ensureRawTables")(function* (target: BigQueryTarget, platforms: ReadonlyArray<string>) {
  const bigquery = yield* BigQueryClient
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

/**
 * A failed job keeps its id, and BigQuery refuses another under it: the file's next load goes
 * under the next id of its sequence (`…_2`, `…_3`). Ids are tried in order, so a job that
 * succeeded is always found before a new one is made.
 */
export const MAX_LOAD_ATTEMPTS = 10
const attemptJobId = (base: string, attempt: number) => (attempt === 1 ? base : `${base}_${attempt}`)

/** Waits for a job to finish: undefined once it has succeeded, BigQuery's reason if it failed. */
const jobFailure = (job: Job, jobId: string) =>
  Effect.tryPromise({
    try: () =>
      job.promise().then(
        () => undefined,
        // `promise` rejects when the job failed and when asking for its status did: the status says which.
        async (cause: unknown) => {
          const [metadata] = await job.getMetadata()
          const failed = (metadata as { status?: { errorResult?: { message?: string } } }).status?.errorResult
          if (failed === undefined) throw cause
          return failed.message ?? "failed"
        }
      ),
    catch: (cause) => new BigQueryLoadError({ step: `load job ${jobId}`, reason: describeCause(cause) })
  })

export interface BigQueryLoadSummary {
  readonly loaded: number
  readonly alreadyLoaded: number
  /** Missing or changed since their run wrote them: not loaded, the rest was. */
  readonly rejected: ReadonlyArray<RejectedFile>
}

/** The runs whose files are all loaded into one dataset. */
export const LoadedRuns = Schema.Struct({ runs: Schema.Array(Schema.String) })
export type LoadedRuns = typeof LoadedRuns.Type

/**
 * Where the loader keeps which runs are wholly loaded. Without it every load asked BigQuery about
 * every file ever ingested (a job insertion refused with 409, then the job's status), one after
 * another: thousands of requests a day after a year of daily runs.
 */
export interface LoadLedger {
  readonly loadedRuns: Effect.Effect<ReadonlySet<string>, RawZoneError>
  readonly record: (runs: ReadonlySet<string>) => Effect.Effect<void, RawZoneError>
}

type RawFile = { readonly key: string; readonly table: string; readonly columns: ReadonlyArray<RawColumn>; readonly crc32: string | undefined }

const loadFile = (bigquery: BigQuery, rawZone: RawZone["Service"], target: BigQueryTarget, runId: string, file: RawFile) =>
  Effect.gen(function* () {
    const base = loadJobId(runId, file.key)
    let lastFailure = ""
    for (let attempt = 1; attempt <= MAX_LOAD_ATTEMPTS; attempt++) {
      const jobId = attemptJobId(base, attempt)
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
        catch: (cause) => (codeOf(cause) === 409 ? ("exists" as const) : new BigQueryLoadError({ step: `load job ${jobId}`, reason: describeCause(cause) }))
      }).pipe(Effect.catch((error) => (error === "exists" ? Effect.succeed(undefined) : Effect.fail(error))))
      // An existing job may still be running (a killed run's): its outcome decides, once known.
      const failure = yield* jobFailure(created === undefined ? bigquery.job(jobId, { location: target.location }) : created[0], jobId)
      if (failure === undefined) return created === undefined ? ("already loaded" as const) : ("loaded" as const)
      // This run's own job failed: the load stops here, and the next one tries under the next id.
      if (created !== undefined) return yield* new BigQueryLoadError({ step: `load job ${jobId}`, reason: `${failure} (the next load tries this file again)` })
      lastFailure = failure
    }
    return yield* new BigQueryLoadError({
      step: `load of ${rawZone.locate(file.key)}`,
      reason: `all ${MAX_LOAD_ATTEMPTS} load jobs failed, the last: ${lastFailure}`
    })
  })

export const loadRawZoneIntoBigQuery = Effect.fn("Ingestion.loadRawZoneIntoBigQuery")(function* (
  rawZone: RawZone["Service"],
  target: BigQueryTarget,
  ledger: LoadLedger
) {
  const bigquery = yield* BigQueryClient
  const before = yield* ledger.loadedRuns
  const manifests = yield* rawZone.manifests(before)
  const done = new Set(before)
  let loaded = 0
  let alreadyLoaded = 0
  const rejected: Array<RejectedFile> = []
  const loadAll = Effect.gen(function* () {
    for (const manifest of manifests) {
      for (const outcome of manifest.accounts) {
        const files: ReadonlyArray<RawFile> = [
          ...(outcome.file === undefined ? [] : [{ key: outcome.file, table: rawTableName(outcome.source), columns: rawColumns, crc32: outcome.crc32 }]),
          ...(outcome.quarantineFile === undefined ? [] : [{ key: outcome.quarantineFile, table: "quarantine", columns: quarantineColumns, crc32: undefined }])
        ]
        for (const file of files) {
          // Checked first, as a local load checks: one missing or changed since its run wrote it
          // is set aside (a run is loaded once, so it is reported once; `mdp verify` finds it later).
          const problem = yield* rawFileProblem(rawZone, file.key, file.crc32)
          if (problem !== undefined) {
            rejected.push({
              key: file.key,
              file: rawZone.locate(file.key),
              source: outcome.source,
              account: outcome.account,
              ...(outcome.windowStart === undefined ? {} : { windowStart: outcome.windowStart }),
              ...(outcome.windowEnd === undefined ? {} : { windowEnd: outcome.windowEnd }),
              reason: problem
            })
            continue
          }
          if ((yield* loadFile(bigquery, rawZone, target, manifest.runId, file)) === "loaded") loaded++
          else alreadyLoaded++
        }
      }
      done.add(manifest.runId)
    }
  })
  const outcome = yield* Effect.exit(loadAll)
  // The runs loaded before a failure are recorded too; if recording fails after one, the load's
  // own error is the one reported (the ledger only saves requests).
  const recorded = done.size === before.size ? Exit.void : yield* Effect.exit(ledger.record(done))
  yield* outcome
  yield* recorded
  return { loaded, alreadyLoaded, rejected } satisfies BigQueryLoadSummary
})
