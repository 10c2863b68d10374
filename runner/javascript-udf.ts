/**
 * BigQuery JavaScript UDFs (`CREATE TEMP FUNCTION f(x FLOAT64) RETURNS FLOAT64 LANGUAGE js AS
 * r"""…"""`), run in-process. The body is compiled once, in a V8 context of its own (no `require`,
 * no `process`, as BigQuery's sandbox), and registered with DuckDB as a scalar function over text:
 * a DuckDB macro under the UDF's name converts the arguments to that text and the result back
 * to the declared type, with BigQuery's documented mapping
 * (https://cloud.google.com/bigquery/docs/user-defined-functions#supported-javascript-udf-data-types):
 * FLOAT64 a Number, NUMERIC a Number when an exact integer and a String otherwise, BYTES a base64
 * String, DATE and TIMESTAMP a Date, ARRAY and STRUCT arrays and objects, JSON its value; INT64 is
 * refused as a parameter type, as BigQuery refuses it, and returned from a Number or a String.
 */
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import vm from "node:vm"
import { DuckDBScalarFunction, VARCHAR, type DuckDBConnection } from "@duckdb/node-api"

/** A translated JavaScript UDF travels to the warehouse as this comment and its JSON. */
export const JAVASCRIPT_FUNCTION_MARKER = "-- mdp:javascript-function "

type Decode = "json" | "numeric" | "date" | "timestamp" | "bytes"
type Encode = "text" | "json" | "date" | "timestamp"

export interface JavascriptFunction {
  /** The registered scalar function (the macro with the UDF's name calls it). */
  readonly rawName: string
  readonly name: string
  readonly parameters: ReadonlyArray<{ readonly name: string; readonly decode: Decode }>
  readonly encode: Encode
  readonly body: string
  /** `OPTIONS(library=…)`: Cloud Storage URLs of code run before the body, read locally from a folder. */
  readonly libraries: ReadonlyArray<string>
}

const decodeOf = (type: string): Decode | "int64" => {
  const upper = type.toUpperCase()
  if (/^(INT64|INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT)$/.test(upper)) return "int64"
  if (/^(NUMERIC|DECIMAL|BIGNUMERIC|BIGDECIMAL)/.test(upper)) return "numeric"
  if (upper === "DATE") return "date"
  if (upper === "TIMESTAMP") return "timestamp"
  if (upper === "BYTES") return "bytes"
  return "json"
}

const encodeOf = (type: string): Encode => {
  const upper = type.toUpperCase()
  if (upper === "DATE") return "date"
  if (upper === "TIMESTAMP") return "timestamp"
  if (/^(ARRAY|STRUCT|JSON)\b/.test(upper)) return "json"
  return "text"
}

/** The SQL that converts argument `name` of BigQuery type `type` to the text the function decodes. */
export const argumentText = (name: string, type: string): string => {
  switch (decodeOf(type)) {
    case "numeric":
      return `CAST(${name} AS VARCHAR)`
    case "bytes":
      return `to_base64(${name})`
    default:
      return `CAST(to_json(${name}) AS VARCHAR)`
  }
}

/** The SQL that converts the function's text back to `duckdbType`, BigQuery's declared return type. */
export const resultValue = (call: string, returns: string, duckdbType: string): string =>
  encodeOf(returns) === "json" ? (/^JSON$/i.test(returns) ? `CAST(${call} AS JSON)` : `CAST(CAST(${call} AS JSON) AS ${duckdbType})`) : `CAST(${call} AS ${duckdbType})`

/** Why a parameter type cannot be passed, as BigQuery says; undefined when it can. */
export const unsupportedParameter = (type: string): string | undefined =>
  decodeOf(type) === "int64"
    ? "INT64 is unsupported as an input type for JavaScript UDFs (as in BigQuery); use FLOAT64 or STRING"
    : undefined

export const describeJavascriptFunction = (
  name: string,
  parameters: ReadonlyArray<{ readonly name: string; readonly type: string }>,
  returns: string,
  body: string,
  libraries: ReadonlyArray<string> = []
): JavascriptFunction => {
  const hash = createHash("sha256").update(JSON.stringify([name.toLowerCase(), parameters, returns, body, libraries])).digest("hex").slice(0, 12)
  return {
    rawName: `mdp_js_${name.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${hash}`,
    name,
    parameters: parameters.map((parameter) => ({ name: parameter.name, decode: decodeOf(parameter.type) as Decode })),
    encode: encodeOf(returns),
    body,
    libraries
  }
}

export const javascriptFunctionStatement = (definition: JavascriptFunction): string => `${JAVASCRIPT_FUNCTION_MARKER}${JSON.stringify(definition)}`

export const isJavascriptFunctionStatement = (sql: string): boolean => sql.startsWith(JAVASCRIPT_FUNCTION_MARKER)

const decode = (text: string | null, kind: Decode): unknown => {
  if (text === null) return null
  switch (kind) {
    case "numeric": {
      const exact = /^-?\d+(\.0*)?$/.test(text) ? Number(text.replace(/\.0*$/, "")) : undefined
      return exact !== undefined && Number.isSafeInteger(exact) ? exact : text.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")
    }
    case "bytes":
      return text
    case "date":
      return new Date(`${JSON.parse(text) as string}T00:00:00Z`)
    case "timestamp":
      return new Date((JSON.parse(text) as string).replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"))
    case "json":
      return JSON.parse(text)
  }
}

// Values made by the body belong to its own V8 context, where `instanceof` against ours fails.
const isDate = (value: unknown): value is Date => Object.prototype.toString.call(value) === "[object Date]"
const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String((error as { message: unknown }).message) : String(error)

const encode = (value: unknown, kind: Encode): string | null => {
  if (value === null || value === undefined) return null
  switch (kind) {
    case "date":
      return isDate(value) ? Date.prototype.toISOString.call(value).slice(0, 10) : String(value)
    case "timestamp":
      return isDate(value) ? Date.prototype.toISOString.call(value) : String(value)
    case "json":
      return JSON.stringify(value)
    case "text":
      return String(value)
  }
}

// Registered functions live in the database's catalogue, seen by every connection.
const registered = new WeakMap<object, Set<string>>()

/** Where a library URL's local copy is read from: its file name, in the libraries folder. */
export const libraryFile = (folder: string, url: string): string => path.join(folder, url.replace(/[?#].*$/, "").split("/").pop() ?? url)

/**
 * Registers the function a marker statement describes; once per database. Its libraries run first
 * in the same context, from their copies in `libraryFolder` (Cloud Storage is out of reach).
 */
export const registerJavascriptFunction = (connection: DuckDBConnection, database: object, statement: string, libraryFolder?: string): void => {
  const definition = JSON.parse(statement.slice(JAVASCRIPT_FUNCTION_MARKER.length)) as JavascriptFunction
  const names = registered.get(database) ?? new Set<string>()
  registered.set(database, names)
  if (names.has(definition.rawName)) return
  const context = vm.createContext({})
  // A missing copy fails the first call rather than the definition: a run over empty local sources
  // never calls it, and BigQuery has the file; any row that needs it still fails, naming it.
  let missingLibrary: string | undefined
  for (const url of definition.libraries ?? []) {
    const file = libraryFolder === undefined ? undefined : libraryFile(libraryFolder, url)
    if (file === undefined || !existsSync(file)) {
      missingLibrary ??=
        `JavaScript UDF ${definition.name} loads the library ${url}, which is read locally from ${file ?? "<sources>/udf_libraries/"}` +
        `${file === undefined ? "" : " (missing)"}: put a copy of the file there`
      continue
    }
    try {
      vm.runInContext(readFileSync(file, "utf8"), context, { filename: file })
    } catch (error) {
      throw new Error(`JavaScript UDF ${definition.name}: the library ${file} fails to load: ${messageOf(error)}`)
    }
  }
  let compiled: (...args: ReadonlyArray<unknown>) => unknown
  try {
    compiled = vm.compileFunction(definition.body, definition.parameters.map((parameter) => parameter.name), { parsingContext: context }) as typeof compiled
  } catch (error) {
    throw new Error(`JavaScript UDF ${definition.name} does not compile: ${messageOf(error)}`)
  }
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: definition.rawName,
      returnType: VARCHAR,
      parameterTypes: definition.parameters.map(() => VARCHAR),
      // NULL arguments reach the function, as in BigQuery.
      specialHandling: true,
      mainFunction: (info, input, output) => {
        if (missingLibrary !== undefined && input.rowCount > 0) {
          info.setError(missingLibrary)
          return
        }
        const vectors = definition.parameters.map((_, index) => input.getColumnVector(index))
        for (let row = 0; row < input.rowCount; row++) {
          try {
            const args = definition.parameters.map((parameter, index) => decode(vectors[index]!.getItem(row) as string | null, parameter.decode))
            const result: unknown = compiled(...args)
            if (typeof (result as { then?: unknown } | null)?.then === "function") throw new Error("it returned a Promise, which the local runner cannot wait for")
            output.setItem(row, encode(result, definition.encode))
          } catch (error) {
            info.setError(`JavaScript UDF ${definition.name}: ${messageOf(error)}`)
            return
          }
        }
        output.flush()
      }
    })
  )
  names.add(definition.rawName)
}
