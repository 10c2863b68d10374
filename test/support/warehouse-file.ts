/** A test's own access to a warehouse file, independent of the code under test: plain DuckDB. */
import { DuckDBInstance } from "@duckdb/node-api"

/** Runs SQL on a warehouse file (read-only unless asked); the rows of the last statement. */
export const onWarehouse = async (file: string, sql: string, readOnly = true) => {
  const instance = await DuckDBInstance.create(file, readOnly ? { access_mode: "READ_ONLY" } : {})
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson()
  } finally {
    connection.disconnectSync()
    instance.closeSync()
  }
}
