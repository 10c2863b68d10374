/** `mdp query "<BigQuery SQL>"`: explore the local warehouse in BigQuery SQL. */
import { Effect } from "effect"
import { translate } from "../../runner/translate.ts"
import { Warehouse, type Row } from "../../runner/warehouse.ts"
import { UsageError, defaults, parse, table } from "../cli-support.ts"
import { queryHelp } from "../help.ts"


const cell = (value: Row[string]): string =>
  value === null ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value)

export const queryCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values, positionals } = yield* parse(args, { format: { type: "string" }, warehouse: { type: "string" } }, true)
    if (values.help === true) return yield* Effect.sync(() => (console.log(queryHelp), 0))
    const format = values.format ?? "table"
    if (format !== "table" && format !== "json") {
      return yield* new UsageError({ reason: `--format is table or json, not "${format}"` })
    }
    const sql = positionals.join(" ").trim()
    if (sql === "") return yield* new UsageError({ reason: "give the SQL to run, in quotes" })
    const statements = yield* translate(sql, { fileName: "<query>" })
    const rows = yield* Effect.gen(function* () {
      const warehouse = yield* Warehouse
      return yield* warehouse.query(statements.join(";\n"))
    }).pipe(Effect.provide(Warehouse.layerDuckDB(values.warehouse ?? defaults.warehouse)))
    if (format === "json") {
      process.stdout.write(`${JSON.stringify(rows)}\n`)
      return 0
    }
    const headers = rows[0] === undefined ? [] : Object.keys(rows[0])
    console.log(table(headers, rows.map((row) => headers.map((h) => cell(row[h] ?? null)))))
    console.log(`(${rows.length} row${rows.length === 1 ? "" : "s"})`)
    return 0
  })
