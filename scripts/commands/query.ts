/** `mdp query "<BigQuery SQL>"`: explore the local warehouse in BigQuery SQL. */
import { Effect, FileSystem, Schema } from "effect"
import { withWriterLock } from "../../app/writer-lock.ts"
import { translate } from "../../runner/translate.ts"
import { Warehouse, type Row, type WarehouseError } from "../../runner/warehouse.ts"
import { UsageError, defaults, parse, table } from "../cli-support.ts"
import { queryHelp } from "../help.ts"


/** A statement that would change the warehouse, run without --write. */
export class ReadOnlyQueryError extends Schema.TaggedError<ReadOnlyQueryError>()("ReadOnlyQueryError", { reason: Schema.String }) {
  override get message(): string {
    return `mdp query opens the warehouse read-only: ${this.reason}`
  }
}

const cell = (value: Row[string]): string =>
  value === null ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value)

export const queryCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values, positionals } = yield* parse(args, { format: { type: "string" }, warehouse: { type: "string" }, write: { type: "boolean" }, "no-wait": { type: "boolean" } }, true)
    if (values.help === true) return yield* Effect.sync(() => (console.log(queryHelp), 0))
    const format = values.format ?? "table"
    if (format !== "table" && format !== "json") {
      return yield* new UsageError({ reason: `--format is table or json, not "${format}"` })
    }
    const sql = positionals.join(" ").trim()
    if (sql === "") return yield* new UsageError({ reason: "give the SQL to run, in quotes" })
    const statements = yield* translate(sql, { fileName: "<query>" })
    const file = values.warehouse ?? defaults.warehouse
    const run = Warehouse.use((warehouse) => warehouse.queryResult(statements.join(";\n")))
    // Read-only unless asked: a query cannot change the marts by mistake, and it reads beside a
    // reader. --write waits for any run writing the warehouse, as a run would.
    const rows =
      values.write === true
        ? yield* withWriterLock(file, { command: "mdp query --write", wait: values["no-wait"] !== true, onWait: (holder) => console.error(`… ${holder}`) }, run.pipe(Effect.provide(Warehouse.layerDuckDB(file))))
        : yield* Effect.gen(function* () {
            if (!(yield* (yield* FileSystem.FileSystem).exists(file))) {
              return yield* new UsageError({ reason: `there is no warehouse at ${file} (run "npm run pipeline" first, or pass --warehouse)` })
            }
            return yield* run.pipe(
              Effect.provide(Warehouse.layerDuckDBReadOnly(file)),
              Effect.mapError((error): ReadOnlyQueryError | WarehouseError =>
                // DuckDB says why in words only: the one place a statement's text meets read-only mode.
                /read-only/i.test(error.reason) ? new ReadOnlyQueryError({ reason: error.reason }) : error
              )
            )
          })
    if (format === "json") {
      process.stdout.write(`${JSON.stringify(rows)}\n`)
      return 0
    }
    const headers = rows[0] === undefined ? [] : Object.keys(rows[0])
    console.log(table(headers, rows.map((row) => headers.map((h) => cell(row[h] ?? null)))))
    console.log(`(${rows.length} row${rows.length === 1 ? "" : "s"})`)
    return 0
  })
