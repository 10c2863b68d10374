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

export const registerBuiltinFunctions = (connection: DuckDBConnection): void => {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: FARM_FINGERPRINT_FUNCTION,
      returnType: BIGINT,
      parameterTypes: [VARCHAR],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0)
        const hash = loadFingerprint()
        for (let row = 0; row < input.rowCount; row++) {
          const value = values.getItem(row) as string | null
          output.setItem(row, value === null ? null : hash(value))
        }
        output.flush()
      }
    })
  )
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: BYTES_TO_STRING_FUNCTION,
      returnType: VARCHAR,
      parameterTypes: [BLOB],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0)
        for (let row = 0; row < input.rowCount; row++) {
          const value = values.getItem(row) as DuckDBBlobValue | null
          output.setItem(row, value === null ? null : Buffer.from(value.bytes).toString("utf8"))
        }
        output.flush()
      }
    })
  )
}
