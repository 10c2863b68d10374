/**
 * BigQuery's `EXPORT DATA OPTIONS(uri = 'gs://bucket/path/*.csv', format = …) AS query`
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/export-statements), run locally:
 * the query's rows are written to the exports folder (`<warehouse folder>/exports` for
 * `mdp transform`), at `<bucket>/<path>` with the wildcard numbered as BigQuery numbers its first
 * file, `000000000000`. One file per export: BigQuery may split a large result into several.
 *
 * The statement is translated into a marker (the options as one SELECT, the query in DuckDB's
 * SQL) that the warehouse runs on the statement's connection. Each file is written under a
 * temporary name and renamed once the statement's transaction has committed, so a failed
 * action leaves no file behind. What BigQuery checks is checked: the options it knows, a `gs://`
 * URI with one `*`, no nested or repeated column in a CSV, and, without `overwrite = true`, no
 * file already there.
 *
 * Formats: PARQUET (typed columns), CSV (`header`, default false; `field_delimiter`, default `,`)
 * and JSON (one object per line, INT64 values as strings, as BigQuery writes them, nested ones too); `compression`
 * GZIP for CSV and JSON, GZIP, SNAPPY or ZSTD for Parquet. In CSV and JSON a TIMESTAMP is written
 * `2024-01-01 10:00:00 UTC` (with six fractional digits when it has any) and a NUMERIC without
 * trailing zeros. AVRO, and exports through a connection or to Bigtable, Pub/Sub or Spanner, are
 * refused by name.
 */
import { mkdirSync, renameSync, rmSync } from "node:fs"
import path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { isLoadDataStatement, readableLoadData } from "./load-data.ts"
import { isSignificant, matchingParen, render, type Token } from "./sql-tokens.ts"
import { filesUnder, optionList, sqlLiteral, textOption } from "./statement-options.ts"
import { quoteIdentifier } from "./target.ts"

/** A translated EXPORT DATA travels to the warehouse as this comment and its JSON. */
export const EXPORT_DATA_MARKER = "-- mdp:export-data "

export const isExportDataStatement = (sql: string): boolean => sql.startsWith(EXPORT_DATA_MARKER)

/** The options BigQuery takes for an export to Cloud Storage. */
const KNOWN_OPTIONS = new Set(["uri", "format", "compression", "field_delimiter", "header", "overwrite", "use_avro_logical_types"])
// The options of exports to other services: named in the refusal.
const OTHER_SERVICES: Readonly<Record<string, string>> = {
  CLOUD_BIGTABLE: "Bigtable",
  CLOUD_PUBSUB: "Pub/Sub",
  CLOUD_SPANNER: "Spanner",
  ALLOYDB: "AlloyDB"
}
const COMPRESSIONS: Readonly<Record<string, ReadonlyArray<string>>> = {
  CSV: ["GZIP"],
  JSON: ["GZIP"],
  PARQUET: ["GZIP", "SNAPPY", "ZSTD"]
}
// BigQuery numbers the files of a wildcard URI from this one.
const FIRST_FILE_NUMBER = "000000000000"

/** An EXPORT DATA statement's parts, BigQuery SQL; or why it cannot run locally. */
export type ExportDataParts =
  | { readonly options: ReadonlyArray<{ readonly name: string; readonly value: string }>; readonly query: string }
  | { readonly construct: string; readonly reason: string }

/** The parts of `EXPORT DATA [WITH CONNECTION c] OPTIONS (…) AS query`, or undefined for another statement. */
export const exportDataParts = (tokens: ReadonlyArray<Token>): ExportDataParts | undefined => {
  const at = tokens.map((_, k) => k).filter((k) => isSignificant(tokens[k]!))
  const word = (n: number) => (tokens[at[n]!]?.kind === "word" ? tokens[at[n]!]!.text.toUpperCase() : "")
  if (word(0) !== "EXPORT" || word(1) !== "DATA") return undefined
  if (word(2) === "WITH") {
    return { construct: "EXPORT DATA WITH CONNECTION", reason: "an export through a connection writes to Amazon S3 or Azure Blob Storage; a local run writes Cloud Storage exports (gs://) to its exports folder" }
  }
  if (word(2) !== "OPTIONS" || tokens[at[3]!]?.text !== "(") return { construct: "EXPORT DATA", reason: "BigQuery expects OPTIONS (…) AS query after EXPORT DATA" }
  const close = matchingParen(tokens, at[3]!)
  const asAt = at.findIndex((k) => k > close)
  if (close < 0 || word(asAt) !== "AS") return { construct: "EXPORT DATA", reason: "BigQuery expects OPTIONS (…) AS query after EXPORT DATA" }
  const listed = optionList(tokens, at[3]!, close, "EXPORT DATA OPTIONS", KNOWN_OPTIONS, `BigQuery knows no such option for an export to Cloud Storage; it takes ${[...KNOWN_OPTIONS].join(", ")}`)
  if ("construct" in listed) return listed
  const options = listed.options
  const format = options.find((option) => option.name === "format")?.value
  const literalFormat = format === undefined ? undefined : /^'([^']*)'$|^"([^"]*)"$/.exec(format)
  const formatName = literalFormat === undefined || literalFormat === null ? undefined : (literalFormat[1] ?? literalFormat[2] ?? "").toUpperCase()
  if (formatName !== undefined && OTHER_SERVICES[formatName] !== undefined) {
    return { construct: `EXPORT DATA to ${OTHER_SERVICES[formatName]}`, reason: `it writes rows to ${OTHER_SERVICES[formatName]}, which a local run has no stand-in for; exports to Cloud Storage (PARQUET, CSV, JSON) run` }
  }
  if (formatName === "AVRO") return { construct: "EXPORT DATA (format AVRO)", reason: "DuckDB writes no Avro files; PARQUET, CSV and JSON exports run locally" }
  return { options, query: render(tokens.slice(at[asAt + 1]!)) }
}

/** What the translator hands the warehouse: DuckDB SQL for the options' values and for the rows. */
export interface ExportDataStatement {
  /** One row: a column per option, named as the option. */
  readonly options: string
  readonly query: string
}

export const exportDataMarker = (statement: ExportDataStatement): string => `${EXPORT_DATA_MARKER}${JSON.stringify(statement)}`

/** A translated statement as a dry run shows it: an export as its two queries, a load as its table and options, each SQL otherwise as it is. */
export const readableStatement = (sql: string): string => {
  if (isLoadDataStatement(sql)) return readableLoadData(sql)
  if (!isExportDataStatement(sql)) return `${sql};`
  const statement = JSON.parse(sql.slice(EXPORT_DATA_MARKER.length)) as ExportDataStatement
  return `-- EXPORT DATA: the options, then the rows written to the exports folder\n${statement.options};\n${statement.query};`
}

/** A file written under a temporary name, renamed into place once its statement has committed. */
export interface PendingExport {
  readonly publish: () => void
  readonly discard: () => void
}

interface Settings {
  readonly bucket: string
  readonly object: string
  readonly format: "CSV" | "JSON" | "PARQUET"
  readonly compression: string | undefined
  readonly delimiter: string
  readonly header: boolean
  readonly overwrite: boolean
}

const settingsOf = (values: Readonly<Record<string, unknown>>): Settings => {
  const text = (name: string): string | undefined => textOption(values, "EXPORT DATA", name)
  const bool = (name: string): boolean => {
    const value = values[name]
    if (value === undefined || value === null) return false
    if (typeof value !== "boolean") throw new Error(`EXPORT DATA: option ${name} takes a BOOL`)
    return value
  }
  const uri = text("uri")
  if (uri === undefined) throw new Error("EXPORT DATA: the uri option is required")
  const format = text("format")?.toUpperCase()
  if (format === undefined) throw new Error("EXPORT DATA: the format option is required (PARQUET, CSV or JSON locally)")
  if (OTHER_SERVICES[format] !== undefined || format === "AVRO") throw new Error(`EXPORT DATA: format ${format} is not written locally; PARQUET, CSV and JSON are`)
  if (format !== "CSV" && format !== "JSON" && format !== "PARQUET") throw new Error(`EXPORT DATA: unknown format ${format}; BigQuery writes AVRO, CSV, JSON or PARQUET`)
  const parsed = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri)
  if (parsed === null) throw new Error(`EXPORT DATA: ${uri} is not a Cloud Storage URI (gs://bucket/path/*.ext); a local run writes only those`)
  const [, bucket, object] = parsed as unknown as [string, string, string]
  if (object.split("*").length !== 2) throw new Error(`EXPORT DATA: the uri ${uri} must hold exactly one * wildcard, which BigQuery numbers from ${FIRST_FILE_NUMBER}`)
  // A local path must stay inside the exports folder.
  if ([bucket, ...object.split("/")].some((part) => part === "." || part === "..")) throw new Error(`EXPORT DATA: the uri ${uri} has a . or .. segment, which a local folder cannot hold apart`)
  const compression = text("compression")?.toUpperCase()
  if (compression !== undefined && compression !== "NONE" && !COMPRESSIONS[format]!.includes(compression)) {
    throw new Error(`EXPORT DATA: compression ${compression} is not available for ${format} (${COMPRESSIONS[format]!.join(", ")})`)
  }
  const delimiter = text("field_delimiter") ?? ","
  if (values["field_delimiter"] !== undefined && values["field_delimiter"] !== null && format !== "CSV") throw new Error("EXPORT DATA: field_delimiter applies to CSV only")
  return {
    bucket,
    object,
    format,
    compression: compression === "NONE" ? undefined : compression,
    delimiter: /^(\\t|tab)$/i.test(delimiter) ? "\t" : delimiter,
    header: bool("header"),
    overwrite: bool("overwrite")
  }
}


// BigQuery's text for a TIMESTAMP in a CSV or JSON export, and a NUMERIC without trailing zeros.
const timestampText = (column: string) =>
  `strftime(${column}, '%Y-%m-%d %H:%M:%S') || CASE WHEN microsecond(${column}) % 1000000 = 0 THEN '' ELSE '.' || lpad(CAST(microsecond(${column}) % 1000000 AS VARCHAR), 6, '0') END || ' UTC'`
const numericText = (column: string) => `CASE WHEN CAST(${column} AS VARCHAR) LIKE '%.%' THEN rtrim(rtrim(CAST(${column} AS VARCHAR), '0'), '.') ELSE CAST(${column} AS VARCHAR) END`

const INTEGER_TYPE = /(?<![\w"])(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)(?![\w"])/

/** The query's columns in the export's text forms, for CSV and JSON. */
const textColumns = (columns: ReadonlyArray<{ readonly name: string; readonly type: string }>, format: "CSV" | "JSON"): string =>
  columns
    .map(({ name, type }) => {
      const column = quoteIdentifier(name)
      if (type === "TIMESTAMP WITH TIME ZONE") return `${timestampText(column)} AS ${column}`
      if (type.startsWith("DECIMAL")) return `${numericText(column)} AS ${column}`
      // INT64 as a JSON string, to keep its 64 bits in readers that parse numbers as doubles; also
      // inside a STRUCT or an ARRAY, cast to the same shape with text in the integers' place.
      if (format === "JSON" && INTEGER_TYPE.test(type)) return `CAST(${column} AS ${type.replace(new RegExp(INTEGER_TYPE.source, "g"), "VARCHAR")}) AS ${column}`
      return column
    })
    .join(", ")

let written = 0

/**
 * Runs a translated EXPORT DATA on `connection`, writing its file under `folder` with a temporary
 * name; the caller publishes it once the statement's transaction has committed.
 */
export const exportData = async (connection: DuckDBConnection, marker: string, folder: string | undefined): Promise<PendingExport> => {
  const statement = JSON.parse(marker.slice(EXPORT_DATA_MARKER.length)) as ExportDataStatement
  if (folder === undefined) throw new Error("EXPORT DATA writes files, and this warehouse has no exports folder (mdp transform writes them under the warehouse's folder, in exports/, or --exports DIR)")
  const values = (await connection.runAndReadAll(statement.options)).getRowObjectsJS()[0] ?? {}
  const settings = settingsOf(values)
  const [prefix, suffix] = settings.object.split("*") as [string, string]
  const bucketFolder = path.join(folder, settings.bucket)
  const destination = path.join(bucketFolder, `${prefix}${FIRST_FILE_NUMBER}${suffix}`)
  if (!settings.overwrite) {
    const existing = filesUnder(bucketFolder).find((name) => name.startsWith(prefix) && !name.includes(".mdp-partial-"))
    if (existing !== undefined) {
      throw new Error(`EXPORT DATA: gs://${settings.bucket}/${prefix}* is not empty (${path.join(bucketFolder, existing)} is there); BigQuery exports over existing files only with overwrite = true`)
    }
  }
  // The result's columns, from the prepared query: nothing runs twice.
  const prepared = await connection.prepare(statement.query)
  const columns = Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i).toString() }))
  if (settings.format === "CSV") {
    const nested = columns.find((column) => /STRUCT|MAP|UNION|\[\]$/.test(column.type))
    if (nested !== undefined) throw new Error(`EXPORT DATA: column ${nested.name} is nested or repeated (${nested.type}), which BigQuery does not export as CSV; use JSON or PARQUET`)
  }
  const rows = settings.format === "PARQUET" ? statement.query : `SELECT ${textColumns(columns, settings.format)} FROM (${statement.query}) AS mdp_export`
  const copyOptions = [
    `FORMAT ${settings.format === "JSON" ? "JSON" : settings.format === "CSV" ? "CSV" : "PARQUET"}`,
    ...(settings.format === "CSV" ? [`HEADER ${settings.header ? "true" : "false"}`, `DELIMITER ${sqlLiteral(settings.delimiter)}`] : []),
    ...(settings.format === "JSON" ? ["ARRAY false"] : []),
    `COMPRESSION ${sqlLiteral(settings.compression?.toLowerCase() ?? (settings.format === "PARQUET" ? "uncompressed" : "none"))}`
  ]
  mkdirSync(path.dirname(destination), { recursive: true })
  const partial = `${destination}.mdp-partial-${process.pid}-${++written}`
  try {
    await connection.run(`COPY (${rows}) TO ${sqlLiteral(partial)} (${copyOptions.join(", ")})`)
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  }
  return {
    publish: () => renameSync(partial, destination),
    discard: () => rmSync(partial, { force: true })
  }
}
