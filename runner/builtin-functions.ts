/**
 * BigQuery functions DuckDB lacks, registered from Node on every warehouse: FARM_FINGERPRINT
 * (FarmHash Fingerprint64 as a signed INT64, from farmhash-modern, whose `bigqueryFingerprint` is
 * documented to match BigQuery's).
 */
import { createRequire } from "node:module"
import { BIGINT, DuckDBScalarFunction, VARCHAR, type DuckDBConnection } from "@duckdb/node-api"

export const FARM_FINGERPRINT_FUNCTION = "mdp_farm_fingerprint"

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
}
