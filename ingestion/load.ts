/**
 * Raw zone → local warehouse. Every platform has one append-only raw table,
 * `raw.<platform>__campaign_daily`, with the envelope columns and the source payload as JSON;
 * quarantined records go to `raw.quarantine`. A file is loaded with DuckDB's own NDJSON reader
 * and recorded in `raw._loaded_files` in the same transaction, so loading a run twice adds
 * nothing. Only files listed in a run manifest are loaded: files of unfinished runs never are.
 * Production loads with BigQuery load jobs instead (`bigquery-loader.ts`).
 */
import { Effect } from "effect"
import { quoteIdentifier } from "../runner/target.ts"
import { Warehouse } from "../runner/warehouse.ts"
import type { RawColumn } from "./core/source.ts"
import { RawZone } from "./raw-zone.ts"

export const RAW_DATASET = "raw"

/** The raw table of every platform; also what BigQuery's raw tables are created with. */
export const rawColumns: ReadonlyArray<RawColumn> = [
  { name: "_run_id", type: "STRING", description: "Ingestion run that wrote the row." },
  { name: "_ingested_at", type: "TIMESTAMP", description: "When that run started (UTC)." },
  { name: "_source", type: "STRING", description: "Platform the row came from." },
  { name: "_stream", type: "STRING", description: "Stream of the platform (campaign_daily)." },
  { name: "_account_id", type: "STRING", description: "Ad account the run fetched." },
  { name: "_window_start", type: "DATE", description: "First day of the window the run fetched." },
  { name: "_window_end", type: "DATE", description: "Last day of the window the run fetched." },
  { name: "_record_hash", type: "STRING", description: "SHA-256 of the payload as received." },
  { name: "_schema_version", type: "INT64", description: "Version of this envelope." },
  { name: "account_id", type: "STRING", description: "Natural key: ad account." },
  { name: "campaign_id", type: "STRING", description: "Natural key: campaign." },
  { name: "date", type: "DATE", description: "Natural key: day, in the account's time zone." },
  { name: "payload", type: "JSON", description: "The row exactly as the platform's API returned it." }
]

export const quarantineColumns: ReadonlyArray<RawColumn> = [
  { name: "_run_id", type: "STRING", description: "Ingestion run that rejected the record." },
  { name: "_ingested_at", type: "TIMESTAMP", description: "When that run started (UTC)." },
  { name: "_source", type: "STRING", description: "Platform the record came from." },
  { name: "_account_id", type: "STRING", description: "Ad account the run fetched." },
  { name: "reason", type: "STRING", description: "Why the record was rejected." },
  { name: "payload", type: "JSON", description: "The record as received." }
]

export const rawTableName = (platform: string): string => `${platform}__campaign_daily`

const duckdbType: Readonly<Record<RawColumn["type"], string>> = {
  STRING: "VARCHAR",
  DATE: "DATE",
  TIMESTAMP: "TIMESTAMPTZ",
  INT64: "BIGINT",
  JSON: "JSON"
}

const createTable = (name: string, columns: ReadonlyArray<RawColumn>) =>
  `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(RAW_DATASET)}.${quoteIdentifier(name)} (${columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbType[c.type]}`).join(", ")})`

const readJson = (file: string, columns: ReadonlyArray<RawColumn>) =>
  `read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', hive_partitioning = false, columns = {${columns.map((c) => `'${c.name}': '${duckdbType[c.type]}'`).join(", ")}})`

const LEDGER = `${quoteIdentifier(RAW_DATASET)}."_loaded_files"`

/** Creates the raw dataset, each platform's raw table, the quarantine table and the load ledger. */
export const ensureRawTables = (platforms: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* warehouse.run([
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(RAW_DATASET)}`,
      ...platforms.map((platform) => createTable(rawTableName(platform), rawColumns)),
      createTable("quarantine", quarantineColumns),
      `CREATE TABLE IF NOT EXISTS ${LEDGER} (file_key VARCHAR PRIMARY KEY, run_id VARCHAR, target VARCHAR, rows BIGINT, loaded_at TIMESTAMPTZ)`
    ])
  })

/** Replaces `reference.fx_rates` with the rates shipped in the repository (sample rates, monthly). */
export const loadReferenceRates = (csvFile: string) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* warehouse.run(
      [
        "CREATE SCHEMA IF NOT EXISTS reference",
        `CREATE OR REPLACE TABLE reference.fx_rates AS SELECT * FROM read_csv('${csvFile.replaceAll("'", "''")}', header = true, columns = {'month': 'DATE', 'currency': 'VARCHAR', 'units_per_eur': 'DOUBLE'})`
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
  let files = 0
  let rows = 0
  let quarantined = 0
  let skipped = 0
  for (const manifest of manifests) {
    for (const outcome of manifest.accounts) {
      const work = [
        ...(outcome.file === undefined ? [] : [{ key: outcome.file, table: rawTableName(outcome.source), columns: rawColumns, rows: outcome.rows }]),
        ...(outcome.quarantineFile === undefined ? [] : [{ key: outcome.quarantineFile, table: "quarantine", columns: quarantineColumns, rows: outcome.quarantined }])
      ]
      for (const item of work) {
        if (loaded.has(item.key)) {
          skipped++
          continue
        }
        yield* warehouse.run(
          [
            `INSERT INTO ${quoteIdentifier(RAW_DATASET)}.${quoteIdentifier(item.table)} BY NAME SELECT * FROM ${readJson(rawZone.locate(item.key), item.columns)}`,
            `INSERT INTO ${LEDGER} VALUES ('${item.key.replaceAll("'", "''")}', '${manifest.runId}', '${item.table}', ${item.rows}, now())`
          ],
          { transaction: true }
        )
        loaded.add(item.key)
        files++
        if (item.table === "quarantine") quarantined += item.rows
        else rows += item.rows
      }
    }
  }
  return { files, rows, quarantined, skipped } satisfies LoadSummary
})
