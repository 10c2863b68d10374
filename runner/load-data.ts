/**
 * BigQuery's `LOAD DATA {OVERWRITE | INTO} [TEMP TABLE] table [(columns)] … FROM FILES (uris = […],
 * format = …)` (https://cloud.google.com/bigquery/docs/reference/standard-sql/load-statements), run
 * locally: the files of a `gs://bucket/path` URI are read from local stand-ins for Cloud Storage,
 * `<folder>/bucket/path` under the first folder that has them (`mdp transform`: the sources
 * folder's `gs/`, then the exports folder EXPORT DATA writes to). A `*` in the path matches as a
 * glob. OVERWRITE replaces the table, INTO appends to it (creating it when missing); a column list
 * gives the table's schema, which CSV rows fill by position, JSON and Parquet ones by name; without
 * one the schema is detected from the files, as BigQuery's autodetect does.
 *
 * Formats: CSV (`skip_leading_rows`, `field_delimiter`, `quote`, `null_marker`,
 * `allow_quoted_newlines`, `allow_jagged_rows`), NEWLINE_DELIMITED_JSON and PARQUET. AVRO and ORC,
 * Hive partition columns (`WITH PARTITION COLUMNS`), loads through a connection (Amazon S3, Azure)
 * and partition overwrites are refused by name.
 *
 * The statement is translated into a marker (the table's DuckDB name, its CREATE TABLE when a
 * column list is given, the options as one SELECT) that the warehouse runs on the statement's
 * connection, inside the action's transaction: a failed action loads nothing.
 */
import { existsSync, statSync } from "node:fs"
import path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { isSignificant, matchingParen, render, splitTopLevel, tokenize, type Token } from "./sql-tokens.ts"
import { filesUnder, optionList, sqlLiteral, textOption } from "./statement-options.ts"

/** A translated LOAD DATA travels to the warehouse as this comment and its JSON. */
export const LOAD_DATA_MARKER = "-- mdp:load-data "

export const isLoadDataStatement = (sql: string): boolean => sql.startsWith(LOAD_DATA_MARKER)

/** The load options BigQuery documents; the ones a local read uses are read, the others only checked by name. */
const KNOWN_OPTIONS = new Set([
  "uris", "format", "skip_leading_rows", "field_delimiter", "quote", "null_marker", "null_markers", "allow_quoted_newlines", "allow_jagged_rows",
  "encoding", "ignore_unknown_values", "max_bad_records", "compression", "preserve_ascii_control_characters", "column_name_character_map",
  "decimal_target_types", "enable_list_inference", "enum_as_string", "enable_logical_types", "json_extension", "projection_fields",
  "reference_file_schema_uri", "hive_partition_uri_prefix", "require_hive_partition_filter", "time_zone", "date_format", "datetime_format",
  "time_format", "timestamp_format", "source_column_match", "file_set_spec_type"
])

/** A LOAD DATA statement's parts, BigQuery SQL; or why it cannot run locally. */
export type LoadDataParts =
  | {
      readonly mode: "OVERWRITE" | "INTO"
      readonly temporary: boolean
      readonly table: string
      readonly columns?: string
      readonly options: ReadonlyArray<{ readonly name: string; readonly value: string }>
    }
  | { readonly construct: string; readonly reason: string }

/** The parts of a `LOAD DATA …` statement, or undefined for another statement. */
export const loadDataParts = (tokens: ReadonlyArray<Token>): LoadDataParts | undefined => {
  const at = tokens.map((_, k) => k).filter((k) => isSignificant(tokens[k]!))
  const word = (n: number) => (tokens[at[n]!]?.kind === "word" ? tokens[at[n]!]!.text.toUpperCase() : "")
  const text = (n: number) => tokens[at[n]!]?.text ?? ""
  if (word(0) !== "LOAD" || word(1) !== "DATA") return undefined
  const mode = word(2)
  if (mode !== "OVERWRITE" && mode !== "INTO") return { construct: "LOAD DATA", reason: "BigQuery expects OVERWRITE or INTO after LOAD DATA" }
  let n = 3
  const temporary = word(n) === "TEMP" || word(n) === "TEMPORARY"
  if (temporary) n += word(n + 1) === "TABLE" ? 2 : 1
  // The table's name: words, quoted parts, dots and dashes up to what follows it.
  const nameStart = n
  while (at[n] !== undefined && (tokens[at[n]!]!.kind === "quoted" || (tokens[at[n]!]!.kind === "word" && !/^(PARTITIONS|PARTITION|CLUSTER|OPTIONS|FROM|OVERWRITE)$/.test(word(n))) || text(n) === "." || text(n) === "-")) n++
  if (n === nameStart) return { construct: "LOAD DATA", reason: "BigQuery expects a table name after LOAD DATA OVERWRITE or INTO" }
  const table = at.slice(nameStart, n).map((k) => tokens[k]!.text).join("")
  if (word(n) === "OVERWRITE" || word(n) === "PARTITIONS") return { construct: "LOAD DATA … PARTITIONS", reason: "overwriting one partition of a table is not run locally; LOAD DATA OVERWRITE replaces the whole table" }
  let columns: string | undefined
  if (text(n) === "(") {
    const close = matchingParen(tokens, at[n]!)
    if (close < 0) return { construct: "LOAD DATA", reason: "its column list is not closed" }
    columns = render(tokens.slice(at[n]! + 1, close))
    n = at.findIndex((k) => k > close)
  }
  // PARTITION BY, CLUSTER BY and OPTIONS (…) describe the table's storage: skipped to FROM FILES.
  while (at[n] !== undefined && !(word(n) === "FROM" && word(n + 1) === "FILES")) {
    if (text(n) === "(") n = at.findIndex((k) => k > matchingParen(tokens, at[n]!))
    else n++
    if (n < 0) break
  }
  if (n < 0 || at[n] === undefined || text(n + 2) !== "(") return { construct: "LOAD DATA", reason: "BigQuery expects FROM FILES (uris = […], format = …) in a LOAD DATA statement" }
  const open = at[n + 2]!
  const close = matchingParen(tokens, open)
  if (close < 0) return { construct: "LOAD DATA", reason: "its FROM FILES (…) is not closed" }
  const after = at.findIndex((k) => k > close)
  if (after >= 0 && word(after) === "WITH" && word(after + 1) === "PARTITION") {
    return { construct: "LOAD DATA … WITH PARTITION COLUMNS", reason: "Hive-partitioned loads are not run locally; load the files without partition columns" }
  }
  if (after >= 0 && word(after) === "WITH" && word(after + 1) === "CONNECTION") {
    return { construct: "LOAD DATA … WITH CONNECTION", reason: "a load through a connection reads Amazon S3 or Azure Blob Storage; a local run reads Cloud Storage URIs (gs://) from local folders" }
  }
  const listed = optionList(tokens, open, close, "LOAD DATA FROM FILES", KNOWN_OPTIONS, "BigQuery knows no such load option")
  if ("construct" in listed) return listed
  const options = listed.options
  if (!options.some((option) => option.name === "uris")) return { construct: "LOAD DATA FROM FILES", reason: "the uris option is required" }
  return { mode, temporary, table, ...(columns === undefined ? {} : { columns }), options }
}

/** What the translator hands the warehouse, in DuckDB's SQL. */
export interface LoadDataStatement {
  readonly mode: "OVERWRITE" | "INTO"
  /** The table as DuckDB names it. */
  readonly relation: string
  /** CREATE [TEMP] TABLE from the column list, when the statement has one. */
  readonly create?: string
  readonly temporary: boolean
  /** One row: a column per option, named as the option. */
  readonly options: string
}

export const loadDataMarker = (statement: LoadDataStatement): string => `${LOAD_DATA_MARKER}${JSON.stringify(statement)}`

/** A translated LOAD DATA as a dry run shows it. */
export const readableLoadData = (sql: string): string => {
  const statement = JSON.parse(sql.slice(LOAD_DATA_MARKER.length)) as LoadDataStatement
  return `-- LOAD DATA ${statement.mode} ${statement.relation}: the files of the options' uris, read from the local Cloud Storage folders\n${statement.create === undefined ? "" : `${statement.create};\n`}${statement.options};`
}

interface Settings {
  readonly uris: ReadonlyArray<string>
  readonly format: "CSV" | "JSON" | "PARQUET"
  readonly skipLeadingRows: number | undefined
  readonly delimiter: string
  readonly quote: string | undefined
  readonly nullMarker: string | undefined
  readonly jaggedRows: boolean
}

const settingsOf = (values: Readonly<Record<string, unknown>>): Settings => {
  const text = (name: string): string | undefined => textOption(values, "LOAD DATA", name)
  const uris = values["uris"]
  const list = typeof uris === "string" ? [uris] : Array.isArray(uris) ? uris : undefined
  if (list === undefined || list.length === 0 || list.some((uri) => typeof uri !== "string")) throw new Error("LOAD DATA: the uris option takes an ARRAY<STRING> of Cloud Storage URIs")
  const format = (text("format") ?? "CSV").toUpperCase()
  if (format === "AVRO" || format === "ORC") throw new Error(`LOAD DATA: format ${format} is not read locally (DuckDB reads no ${format} files); CSV, NEWLINE_DELIMITED_JSON and PARQUET are`)
  if (format !== "CSV" && format !== "NEWLINE_DELIMITED_JSON" && format !== "JSON" && format !== "PARQUET") {
    throw new Error(`LOAD DATA: unknown format ${format}; BigQuery loads AVRO, CSV, NEWLINE_DELIMITED_JSON, ORC or PARQUET`)
  }
  const skip = values["skip_leading_rows"]
  const skipLeadingRows = skip === undefined || skip === null ? undefined : Number(skip)
  if (skipLeadingRows !== undefined && !(Number.isInteger(skipLeadingRows) && skipLeadingRows >= 0)) throw new Error("LOAD DATA: skip_leading_rows takes a non-negative INT64")
  const delimiter = text("field_delimiter") ?? ","
  return {
    uris: list as ReadonlyArray<string>,
    format: format === "PARQUET" ? "PARQUET" : format === "CSV" ? "CSV" : "JSON",
    skipLeadingRows,
    delimiter: /^(\\t|tab)$/i.test(delimiter) ? "\t" : delimiter,
    quote: text("quote"),
    nullMarker: text("null_marker"),
    jaggedRows: values["allow_jagged_rows"] === true
  }
}

/** The local files of one URI: under the first folder that has any, a `*` matching as a glob. */
const localFiles = (uri: string, folders: ReadonlyArray<string>): ReadonlyArray<string> => {
  const parsed = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri)
  if (parsed === null) throw new Error(`LOAD DATA: ${uri} is not a Cloud Storage URI (gs://bucket/path); a local run reads only those`)
  const [, bucket, object] = parsed as unknown as [string, string, string]
  if ([bucket, ...object.split("/")].some((part) => part === "." || part === "..")) throw new Error(`LOAD DATA: the uri ${uri} has a . or .. segment, which a local folder cannot hold apart`)
  for (const folder of folders) {
    const base = path.join(folder, bucket)
    if (!object.includes("*")) {
      const file = path.join(base, object)
      if (existsSync(file) && statSync(file).isFile()) return [file]
      continue
    }
    // BigQuery's wildcard: any characters, slashes included, where the * stands.
    const pattern = new RegExp(`^${object.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`)
    const matches = filesUnder(base).filter((name) => pattern.test(name) && !name.includes(".mdp-partial-"))
    if (matches.length > 0) return matches.sort().map((name) => path.join(base, name))
  }
  throw new Error(`LOAD DATA: no local file for ${uri}; put it at ${folders.map((folder) => path.join(folder, bucket, object)).join(" or ")}`)
}

/** The DuckDB table function reading the files; `columns`, the table's names and types when it has a schema. */
const reader = (settings: Settings, files: ReadonlyArray<string>, columns: ReadonlyArray<{ readonly name: string; readonly type: string }> | undefined): string => {
  const list = `[${files.map(sqlLiteral).join(", ")}]`
  const typed = columns === undefined ? "" : `, columns = {${columns.map((column) => `${sqlLiteral(column.name)}: ${sqlLiteral(column.type)}`).join(", ")}}`
  if (settings.format === "PARQUET") return `read_parquet(${list})`
  if (settings.format === "JSON") return `read_json(${list}, format = 'newline_delimited'${typed})`
  const options = [
    `delim = ${sqlLiteral(settings.delimiter)}`,
    ...(settings.quote === undefined ? [] : [`quote = ${sqlLiteral(settings.quote)}`]),
    ...(settings.nullMarker === undefined ? [] : [`nullstr = ${sqlLiteral(settings.nullMarker)}`]),
    ...(settings.jaggedRows ? ["null_padding = true"] : [])
  ]
  // A schema: rows by position, the leading rows skipped. Autodetect: the last leading row is the header, as BigQuery names columns from it.
  const rows =
    columns === undefined
      ? settings.skipLeadingRows === undefined
        ? []
        : settings.skipLeadingRows === 0
          ? ["header = false"]
          : ["header = true", `skip = ${settings.skipLeadingRows - 1}`]
      : ["header = false", `skip = ${settings.skipLeadingRows ?? 0}`, "auto_detect = false"]
  return `read_csv(${list}, ${[...options, ...rows].join(", ")}${typed})`
}

/** The table's columns, or undefined when it does not exist. */
const describe = async (connection: DuckDBConnection, relation: string): Promise<ReadonlyArray<{ readonly name: string; readonly type: string }> | undefined> => {
  try {
    const rows = (await connection.runAndReadAll(`DESCRIBE ${relation}`)).getRowObjectsJS()
    return rows.map((row) => ({ name: String(row["column_name"]), type: String(row["column_type"]) }))
  } catch {
    return undefined
  }
}

/** Runs a translated LOAD DATA on `connection`, reading the URIs' files from `folders`; the number of rows loaded. */
export const loadData = async (connection: DuckDBConnection, marker: string, folders: ReadonlyArray<string>): Promise<number> => {
  const statement = JSON.parse(marker.slice(LOAD_DATA_MARKER.length)) as LoadDataStatement
  if (folders.length === 0) throw new Error("LOAD DATA reads files, and this warehouse has no local Cloud Storage folder (mdp transform reads gs://bucket/path from the sources folder's gs/bucket/path, then from the exports folder)")
  const values = (await connection.runAndReadAll(statement.options)).getRowObjectsJS()[0] ?? {}
  const settings = settingsOf(values)
  const files = settings.uris.flatMap((uri) => localFiles(uri, folders))
  const existing = await describe(connection, statement.relation)
  const byName = settings.format !== "CSV"
  if (statement.create !== undefined && (statement.mode === "OVERWRITE" || existing === undefined)) {
    await connection.run(statement.mode === "OVERWRITE" ? statement.create.replace(/^\s*CREATE\s+(TEMPORARY\s+|TEMP\s+)?TABLE/i, (_, temp: string | undefined) => `CREATE OR REPLACE ${temp ?? ""}TABLE`) : statement.create)
  } else if (existing === undefined || statement.mode === "OVERWRITE") {
    // No column list: the schema the files show.
    const create = `CREATE OR REPLACE ${statement.temporary ? "TEMP " : ""}TABLE ${statement.relation} AS SELECT * FROM ${reader(settings, files, undefined)}`
    const result = await connection.run(create)
    return Number(result.rowsChanged)
  }
  const columns = await describe(connection, statement.relation)
  const result = await connection.run(`INSERT INTO ${statement.relation} ${byName ? "BY NAME " : ""}SELECT * FROM ${reader(settings, files, byName && settings.format === "PARQUET" ? undefined : columns)}`)
  return Number(result.rowsChanged)
}

/** A file `sources init` stubs for a LOAD DATA: where its URI points, and what the file needs. */
export interface LoadDataStub {
  readonly table: string
  /** `bucket/path`, a `*` made the first file's number, as EXPORT DATA numbers it. */
  readonly object: string
  readonly format: "CSV" | "JSON"
  /** The rows a CSV's reader skips: the stub's header row, when at least one. */
  readonly skipLeadingRows: number
  /** The column list's names, when the statement has one. */
  readonly header?: ReadonlyArray<string>
}

const literalText = (value: string | undefined): string | undefined => {
  const match = value === undefined ? null : /^(?:'([^']*)'|"([^"]*)")$/.exec(value.trim())
  return match === null ? undefined : (match[1] ?? match[2])
}

/** The files the LOAD DATA statements of some SQL read, as far as their options are literals (CSV and JSON only). */
export const loadDataStubs = (texts: ReadonlyArray<string>): ReadonlyArray<LoadDataStub> =>
  texts.flatMap((text) => {
    if (!/\bLOAD\s+DATA\b/i.test(text)) return []
    const tokens = tokenize(text, "bigquery")
    const stubs: Array<LoadDataStub> = []
    tokens.forEach((token, k) => {
      if (token.kind !== "word" || token.text.toUpperCase() !== "LOAD") return
      let end = k
      let depth = 0
      while (end < tokens.length && !(depth === 0 && tokens[end]!.text === ";")) {
        if (tokens[end]!.text === "(") depth++
        if (tokens[end]!.text === ")") depth--
        end++
      }
      const parts = loadDataParts(tokens.slice(k, end))
      if (parts === undefined || "construct" in parts) return
      const option = (name: string) => parts.options.find((entry) => entry.name === name)?.value
      const format = (literalText(option("format")) ?? "CSV").toUpperCase()
      if (format !== "CSV" && format !== "NEWLINE_DELIMITED_JSON" && format !== "JSON") return
      const skip = Number(option("skip_leading_rows") ?? "0")
      const names = parts.columns === undefined ? undefined : splitTopLevel(parts.columns).map((column) => column.trim().split(/\s+/)[0]!.replaceAll("`", "")).filter((name) => name !== "")
      for (const uri of [...(option("uris") ?? "").matchAll(/'(gs:\/\/[^']+)'|"(gs:\/\/[^"]+)"/g)].map((match) => match[1] ?? match[2]!)) {
        const object = uri.slice("gs://".length).replace("*", "000000000000").replaceAll("*", "")
        if (object.split("/").some((part) => part === "." || part === ".." || part === "")) continue
        stubs.push({ table: parts.table, object, format: format === "CSV" ? "CSV" : "JSON", skipLeadingRows: Number.isInteger(skip) ? skip : 0, ...(names === undefined ? {} : { header: names }) })
      }
    })
    return stubs
  })
