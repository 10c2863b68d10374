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
import { RawZone } from "../ingestion/raw-zone.ts"

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

/** Creates the raw dataset, each platform's raw table, the quarantine table and the load ledger. */
export const ensureRawTables = Effect.fn("Load.ensureRawTables")(function* (platforms: ReadonlyArray<string>) {
  const warehouse = yield* Warehouse
  yield* warehouse.run([
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(RAW_DATASET)}`,
    ...platforms.map((platform) => createTable(rawTableName(platform), rawColumns)),
    createTable("quarantine", quarantineColumns),
    `CREATE TABLE IF NOT EXISTS ${LEDGER} (file_key VARCHAR PRIMARY KEY, run_id VARCHAR, target VARCHAR, rows BIGINT, loaded_at TIMESTAMPTZ)`
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

export interface LoadSummary {
  readonly files: number
  readonly rows: number
  readonly quarantined: number
  readonly skipped: number
}

export const loadRawZone = Effect.fn("Ingestion.loadRawZone")(function* (platforms: ReadonlyArray<string>) {
  const warehouse = yield* Warehouse
  const rawZone = yield* RawZone
  const known = [...new Set([...platforms])]
  const manifests = yield* rawZone.manifests()
  yield* ensureRawTables([...new Set([...known, ...manifests.flatMap((m) => m.accounts.map((a) => a.source))])])
  const loaded = new Set((yield* warehouse.query(`SELECT file_key FROM ${LEDGER}`)).map((row) => String(row["file_key"])))
  let skipped = 0
  const pending: Array<{ readonly key: string; readonly runId: string; readonly table: string; readonly columns: ReadonlyArray<RawColumn>; readonly rows: number }> = []
  for (const manifest of manifests) {
    for (const outcome of manifest.accounts) {
      const work = [
        ...(outcome.file === undefined ? [] : [{ key: outcome.file, table: rawTableName(outcome.source), columns: rawColumns, rows: outcome.rows }]),
        ...(outcome.quarantineFile === undefined ? [] : [{ key: outcome.quarantineFile, table: "quarantine", columns: quarantineColumns, rows: outcome.quarantined }])
      ]
      for (const item of work) {
        if (loaded.has(item.key)) skipped++
        else pending.push({ ...item, runId: manifest.runId })
      }
    }
  }
  // One statement per table over all its new files (DuckDB reads them in parallel), and the ledger
  // rows, in one transaction: all of it is loaded, or none.
  const tables = [...new Set(pending.map((item) => item.table))]
  const statements = tables.flatMap((table) => {
    const items = pending.filter((item) => item.table === table)
    const files = items.map((item) => rawZone.locate(item.key))
    return [
      { sql: `INSERT INTO ${quoteIdentifier(RAW_DATASET)}.${quoteIdentifier(table)} BY NAME SELECT * FROM ${readJson(items[0]!.columns)}`, parameters: [files] },
      {
        sql: `INSERT INTO ${LEDGER} SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), $3, unnest($4::VARCHAR[])::BIGINT, now()`,
        parameters: [items.map((item) => item.key), items.map((item) => item.runId), table, items.map((item) => String(item.rows))]
      }
    ]
  })
  if (statements.length > 0) yield* warehouse.run(statements, { transaction: true })
  const files = pending.length
  const rows = pending.filter((item) => item.table !== "quarantine").reduce((sum, item) => sum + item.rows, 0)
  const quarantined = pending.filter((item) => item.table === "quarantine").reduce((sum, item) => sum + item.rows, 0)
  return { files, rows, quarantined, skipped } satisfies LoadSummary
})
