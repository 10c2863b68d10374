/**
 * FORMAT's `%t` and `%T` of an ARRAY or a STRUCT (string_functions#format_string), which the SQL
 * dispatch in translate.ts leaves to Node: the value as DuckDB hands it over, led by its DuckDB
 * type (typeof), written as BigQuery writes it. `%t` is the printable text (`[a, b]`, `(1, x)`),
 * `%T` a literal (`["a", "b"]`, `(1, "x")`, `DATE "2024-01-01"`, `NUMERIC "1.5"`), as ZetaSQL's
 * Value::Format and GetSQLLiteral write them.
 */
import { DuckDBBlobValue, DuckDBIntervalValue, DuckDBListValue, DuckDBStructValue, type DuckDBValue } from "@duckdb/node-api"
import { parseDuckType } from "./json-functions.ts"

type DuckType = ReturnType<typeof parseDuckType>

/** ZetaSQL's ToStringLiteral: double quotes, or single ones for a text with a " and no '. */
const stringLiteral = (text: string): string => {
  const quote = text.includes('"') && !text.includes("'") ? "'" : '"'
  const escaped = text
    .replaceAll("\\", "\\\\")
    .replaceAll("\n", "\\n")
    .replaceAll("\r", "\\r")
    .replaceAll("\t", "\\t")
    .replaceAll(quote, `\\${quote}`)
  return `${quote}${escaped}${quote}`
}

const floatText = (value: number, literal: boolean): string => {
  if (Number.isNaN(value)) return literal ? 'CAST("nan" AS FLOAT64)' : "NaN"
  if (!Number.isFinite(value)) return literal ? `CAST("${value > 0 ? "inf" : "-inf"}" AS FLOAT64)` : value > 0 ? "inf" : "-inf"
  const text = String(value)
  return /[.e]/.test(text) ? text : `${text}.0`
}

/** The `%t` (literal false) or `%T` text of a value of the DuckDB type; an Error for a type BigQuery's FORMAT does not write here. */
export const formattedValue = (value: DuckDBValue, type: DuckType, literal: boolean, bytes: (blob: Uint8Array, literal: boolean) => string, interval: (months: number, days: number, micros: bigint) => string): string | Error => {
  if (value === null) return "NULL"
  if (type.kind === "list") {
    const items = value instanceof DuckDBListValue ? value.items : []
    const parts = items.map((item) => formattedValue(item, type.element, literal, bytes, interval))
    const failed = parts.find((part): part is Error => part instanceof Error)
    return failed ?? `[${parts.join(", ")}]`
  }
  if (type.kind === "struct") {
    const fields = value instanceof DuckDBStructValue ? Object.values(value.entries) : []
    const parts = fields.map((field, i) => formattedValue(field, type.fields[i]!, literal, bytes, interval))
    const failed = parts.find((part): part is Error => part instanceof Error)
    return failed ?? `(${parts.join(", ")})`
  }
  const name = type.name
  const typed = (bigQueryName: string) => (literal ? `${bigQueryName} ${stringLiteral(String(value))}` : String(value))
  if (name === "VARCHAR") return literal ? stringLiteral(String(value)) : String(value)
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$/.test(name)) return String(value)
  if (name === "BOOLEAN") return String(value)
  if (name === "DOUBLE" || name === "FLOAT") return floatText(Number(value), literal)
  if (name.startsWith("DECIMAL")) {
    const text = String(value).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ".0")
    return literal ? `NUMERIC "${text.includes(".") ? text : `${text}.0`}"` : text.includes(".") ? text : `${text}.0`
  }
  if (name === "DATE") return typed("DATE")
  if (name === "TIMESTAMP WITH TIME ZONE") return typed("TIMESTAMP")
  if (name === "TIMESTAMP") return typed("DATETIME")
  if (name === "TIME") return typed("TIME")
  if (name === "BLOB" && value instanceof DuckDBBlobValue) return bytes(value.bytes, literal)
  if (name === "INTERVAL" && value instanceof DuckDBIntervalValue) {
    const text = interval(value.months, value.days, value.micros)
    return literal ? `INTERVAL "${text}" YEAR TO SECOND` : text
  }
  return new Error(`FORMAT ${literal ? "%T" : "%t"} of the type ${name} runs only on BigQuery`)
}
