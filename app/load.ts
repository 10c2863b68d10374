/**
 * Raw zone → local warehouse. Every platform has one append-only raw table,
 * `raw.<platform>__campaign_daily`, with the envelope columns and the source payload as JSON;
 * quarantined records go to `raw.quarantine`. New files are loaded with DuckDB's own NDJSON reader
 * and recorded in `raw._loaded_files` in the same transaction, so loading a run twice adds
 * nothing. Only files listed in a run manifest are loaded: files of unfinished runs never are.
 * Production loads with BigQuery load jobs instead (`gcp/bigquery-load.ts`).
 */
import { Effect } from "effect"
import { quoteIdentifier } from "../runner/target.ts"
import { Warehouse } from "../runner/warehouse.ts"
import type { RawColumn } from "../ingestion/core/source.ts"
import { quarantineColumns, rawColumns, rawTableName } from "../ingestion/core/platforms.ts"
import { RawZone, rawFileProblem, type RejectedFile } from "../ingestion/raw-zone.ts"

export type { RejectedFile }

export const RAW_DATASET = "raw"

const duckdbType: Readonly<Record<RawColumn["type"], string>> = {
  STRING: "VARCHAR",
  DATE: "DATE",
  TIMESTAMP: "TIMESTAMPTZ",
  INT64: "BIGINT",
  JSON: "JSON"
}

const createTable = (name: string, columns: ReadonlyArray<RawColumn>) =>
  `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(RAW_DATASET)}.${quoteIdentifier(name)} (${columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbType[c.type]}`).join(", ")})`

/** DuckDB's `columns` argument for reading raw NDJSON with these columns. */
export const duckdbColumns = (columns: ReadonlyArray<RawColumn>): string =>
  `{${columns.map((c) => `'${c.name}': '${duckdbType[c.type]}'`).join(", ")}}`

/** DuckDB's reader of raw NDJSON files, given as the list parameter `$1`. */
const readJson = (columns: ReadonlyArray<RawColumn>) =>
  `read_json($1, format = 'newline_delimited', hive_partitioning = false, columns = ${duckdbColumns(columns)})`

const LEDGER = `${quoteIdentifier(RAW_DATASET)}."_loaded_files"`
// Raw files set aside by a load (missing, changed since written, unreadable), with the reason.
const REJECTED = `${quoteIdentifier(RAW_DATASET)}."_rejected_files"`

/** Creates the raw dataset, each platform's raw table, the quarantine table and the load ledger. */
export const ensureRawTables = Effect.fn("Load.ensureRawTables")(function* (platforms: ReadonlyArray<string>) {
  const warehouse = yield* Warehouse
  yield* warehouse.run([
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(RAW_DATASET)}`,
    ...platforms.map((platform) => createTable(rawTableName(platform), rawColumns)),
    createTable("quarantine", quarantineColumns),
    `CREATE TABLE IF NOT EXISTS ${LEDGER} (file_key VARCHAR PRIMARY KEY, run_id VARCHAR, target VARCHAR, rows BIGINT, loaded_at TIMESTAMPTZ)`,
    `CREATE TABLE IF NOT EXISTS ${REJECTED} (file_key VARCHAR PRIMARY KEY, source VARCHAR, account_id VARCHAR, window_start DATE, window_end DATE, reason VARCHAR, rejected_at TIMESTAMPTZ)`
  ])
})

/** Replaces `reference.fx_rates` with the rates shipped in the repository (sample rates, monthly). */
export const loadReferenceRates = Effect.fn("Load.loadReferenceRates")(function* (csvFile: string) {
  const warehouse = yield* Warehouse
  yield* warehouse.run(
    [
      "CREATE SCHEMA IF NOT EXISTS reference",
      { sql: "CREATE OR REPLACE TABLE reference.fx_rates AS SELECT * FROM read_csv($1, header = true, columns = {'month': 'DATE', 'currency': 'VARCHAR', 'units_per_eur': 'DOUBLE'})", parameters: [csvFile] }
    ],
    { transaction: true }
  )
})

/** A raw file set aside instead of loaded: what it held, and why. */

export interface LoadSummary {
  readonly files: number
  readonly rows: number
  readonly quarantined: number
  readonly skipped: number
  /** Files of complete runs that could not be loaded (missing, changed since written, unreadable); the rest loaded. */
  readonly rejected: ReadonlyArray<RejectedFile>
}

interface PendingFile {
  readonly key: string
  readonly runId: string
  readonly table: string
  readonly columns: ReadonlyArray<RawColumn>
  readonly rows: number
  readonly crc32: string | undefined
  readonly outcome: { readonly source: string; readonly account: string; readonly windowStart?: string; readonly windowEnd?: string }
}

export const loadRawZone = Effect.fn("Ingestion.loadRawZone")(function* (platforms: ReadonlyArray<string>) {
  const warehouse = yield* Warehouse
  const rawZone = yield* RawZone
  const known = [...new Set([...platforms])]
  const manifests = yield* rawZone.manifests()
  yield* ensureRawTables([...new Set([...known, ...manifests.flatMap((m) => m.accounts.map((a) => a.source))])])
  const loaded = new Set((yield* warehouse.query(`SELECT file_key FROM ${LEDGER}`)).map((row) => String(row["file_key"])))
  // Set aside by an earlier load: reported there and by `mdp status`, re-checked by `mdp verify`.
  const setAside = new Set((yield* warehouse.query(`SELECT file_key FROM ${REJECTED}`)).map((row) => String(row["file_key"])))
  let skipped = 0
  const candidates: Array<PendingFile> = []
  for (const manifest of manifests) {
    for (const outcome of manifest.accounts) {
      const about = {
        source: outcome.source,
        account: outcome.account,
        ...(outcome.windowStart === undefined ? {} : { windowStart: outcome.windowStart }),
        ...(outcome.windowEnd === undefined ? {} : { windowEnd: outcome.windowEnd })
      }
      const work = [
        ...(outcome.file === undefined ? [] : [{ key: outcome.file, table: rawTableName(outcome.source), columns: rawColumns, rows: outcome.rows, crc32: outcome.crc32 }]),
        ...(outcome.quarantineFile === undefined ? [] : [{ key: outcome.quarantineFile, table: "quarantine", columns: quarantineColumns, rows: outcome.quarantined, crc32: undefined }])
      ]
      for (const item of work) {
        if (loaded.has(item.key) || setAside.has(item.key)) skipped++
        else candidates.push({ ...item, runId: manifest.runId, outcome: about })
      }
    }
  }
  // Each file is checked against its manifest before anything loads: one that is missing or
  // changed since it was written is set aside, and the others load.
  const rejected: Array<RejectedFile> = []
  const reject = (item: PendingFile, reason: string) => rejected.push({ key: item.key, file: rawZone.locate(item.key), ...item.outcome, reason })
  const pending: Array<PendingFile> = []
  for (const item of candidates) {
    const problem = yield* rawFileProblem(rawZone, item.key, item.crc32)
    if (problem === undefined) pending.push(item)
    else reject(item, problem)
  }
  // One statement per table over all its new files (DuckDB reads them in parallel), and the ledger
  // rows, in one transaction: all of it is loaded, or none.
  const loadStatements = (table: string, items: ReadonlyArray<PendingFile>) => [
    { sql: `INSERT INTO ${quoteIdentifier(RAW_DATASET)}.${quoteIdentifier(table)} BY NAME SELECT * FROM ${readJson(items[0]!.columns)}`, parameters: [items.map((item) => rawZone.locate(item.key))] },
    {
      sql: `INSERT INTO ${LEDGER} SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), $3, unnest($4::VARCHAR[])::BIGINT, now()`,
      parameters: [items.map((item) => item.key), items.map((item) => item.runId), table, items.map((item) => String(item.rows))]
    }
  ]
  const tables = [...new Set(pending.map((item) => item.table))]
  const together = tables.flatMap((table) => loadStatements(table, pending.filter((item) => item.table === table)))
  const failedTogether = together.length > 0 && (yield* Effect.result(warehouse.run(together, { transaction: true })))._tag === "Failure"
  const loadedNow: Array<PendingFile> = failedTogether ? [] : pending
  if (failedTogether) {
    // A file DuckDB cannot read (one written by a faulty writer): found one by one, so only it stays out.
    for (const item of pending) {
      const alone = yield* Effect.result(warehouse.run(loadStatements(item.table, [item]), { transaction: true }))
      if (alone._tag === "Success") loadedNow.push(item)
      else reject(item, `it cannot be read: ${alone.failure.reason.split("\n")[0]}`)
    }
  }
  if (rejected.length > 0) {
    yield* warehouse.run([
      {
        sql: `INSERT INTO ${REJECTED} SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), nullif(unnest($4::VARCHAR[]), '')::DATE, nullif(unnest($5::VARCHAR[]), '')::DATE, unnest($6::VARCHAR[]), now() ON CONFLICT DO NOTHING`,
        parameters: [
          rejected.map((file) => file.key),
          rejected.map((file) => file.source),
          rejected.map((file) => file.account),
          rejected.map((file) => file.windowStart ?? ""),
          rejected.map((file) => file.windowEnd ?? ""),
          rejected.map((file) => file.reason)
        ]
      }
    ])
  }
  // A set-aside file whose account window a newly loaded file covers is settled: fetched again.
  const covering = loadedNow.filter((item) => item.table !== "quarantine" && item.outcome.windowStart !== undefined)
  if (covering.length > 0) {
    yield* warehouse.run([
      {
        sql: `DELETE FROM ${REJECTED} AS r USING (SELECT unnest($1::VARCHAR[]) AS source, unnest($2::VARCHAR[]) AS account_id, unnest($3::VARCHAR[])::DATE AS first_day, unnest($4::VARCHAR[])::DATE AS last_day) AS l
          WHERE r.source = l.source AND r.account_id = l.account_id AND (r.window_start IS NULL OR (r.window_start >= l.first_day AND r.window_end <= l.last_day))`,
        parameters: [covering.map((item) => item.outcome.source), covering.map((item) => item.outcome.account), covering.map((item) => item.outcome.windowStart!), covering.map((item) => item.outcome.windowEnd ?? item.outcome.windowStart!)]
      }
    ])
  }
  const files = loadedNow.length
  const rows = loadedNow.filter((item) => item.table !== "quarantine").reduce((sum, item) => sum + item.rows, 0)
  const quarantined = loadedNow.filter((item) => item.table === "quarantine").reduce((sum, item) => sum + item.rows, 0)
  return { files, rows, quarantined, skipped, rejected } satisfies LoadSummary
})
