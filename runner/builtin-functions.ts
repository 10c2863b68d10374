/**
 * BigQuery functions DuckDB lacks, registered from Node on every warehouse: FARM_FINGERPRINT
 * (FarmHash Fingerprint64 as a signed INT64, from farmhash-modern, whose `bigqueryFingerprint` is
 * documented to match BigQuery's) and SAFE_CONVERT_BYTES_TO_STRING (invalid UTF-8 becomes U+FFFD,
 * as Node's UTF-8 decoder does; DuckDB's decode() fails instead).
 */
import { createRequire } from "node:module"
import { BIGINT, BLOB, DuckDBScalarFunction, VARCHAR, type DuckDBBlobValue, type DuckDBConnection } from "@duckdb/node-api"

export const FARM_FINGERPRINT_FUNCTION = "mdp_farm_fingerprint"
export const BYTES_TO_STRING_FUNCTION = "mdp_safe_convert_bytes_to_string"

type Fingerprint = (input: string) => bigint
// Loaded on first use: most runs never fingerprint, and the WebAssembly module costs a start-up.
let fingerprint: Fingerprint | undefined
const loadFingerprint = (): Fingerprint =>
  (fingerprint ??= (createRequire(import.meta.url)("farmhash-modern") as { bigqueryFingerprint: Fingerprint }).bigqueryFingerprint)

// A function of one argument, NULL for NULL, applied row by row.
const unary = <I, O>(name: string, returnType: typeof VARCHAR | typeof BIGINT, parameterType: typeof VARCHAR | typeof BLOB, apply: (value: I) => O) =>
  DuckDBScalarFunction.create({
    name,
    returnType,
    parameterTypes: [parameterType],
    mainFunction: (_info, input, output) => {
      const values = input.getColumnVector(0)
      for (let row = 0; row < input.rowCount; row++) {
        const value = values.getItem(row) as I | null
        output.setItem(row, value === null ? null : (apply(value) as never))
      }
      output.flush()
    }
  })

export const registerBuiltinFunctions = (connection: DuckDBConnection): void => {
  connection.registerScalarFunction(unary(FARM_FINGERPRINT_FUNCTION, BIGINT, VARCHAR, (value: string) => loadFingerprint()(value)))
  connection.registerScalarFunction(unary(BYTES_TO_STRING_FUNCTION, VARCHAR, BLOB, (value: DuckDBBlobValue) => Buffer.from(value.bytes).toString("utf8")))
}
