import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { translate } from "../../runner/translate.ts"
import { Warehouse } from "../../runner/warehouse.ts"
import type { QueryCase } from "./case.ts"
import { cases as arrays } from "./cases/arrays.ts"
import { cases as dates } from "./cases/dates.ts"
import { cases as json } from "./cases/json.ts"
import { cases as numerics } from "./cases/numerics.ts"
import { cases as queries } from "./cases/queries.ts"
import { cases as regex } from "./cases/regex.ts"
import { cases as scriptingVariables } from "./cases/scripting_variables.ts"
import { cases as strings } from "./cases/strings.ts"
import { cases as syntax } from "./cases/syntax.ts"
import { cases as windows } from "./cases/windows.ts"
import { cases as dml } from "./cases/dml.ts"
import { cases as constraints } from "./cases/constraints.ts"

/**
 * The conformance suite: each case's BigQuery SQL goes through the translator and runs on DuckDB,
 * and must give the rows (or the error) BigQuery's documentation states. To add one, append it to
 * the file of its area under cases/ with the documentation link it comes from.
 */
const areas: Readonly<Record<string, ReadonlyArray<QueryCase>>> = { arrays, dates, json, numerics, queries, regex, scriptingVariables, strings, syntax, windows, dml, constraints }

// Every case starts from the same small fixture; cases that write use tables of their own.
const ConformanceWarehouse = Layer.effectDiscard(
  Effect.gen(function* () {
    yield* (yield* Warehouse).run(["CREATE SCHEMA conformance", "CREATE TABLE conformance.numbers AS SELECT * FROM range(1, 4) t(n)"])
  })
).pipe(Layer.provideMerge(Warehouse.layerDuckDB(":memory:")))

describe("BigQuery conformance", () => {
  for (const [area, cases] of Object.entries(areas)) {
    it.layer(ConformanceWarehouse)(area, (it) => {
      for (const testCase of cases) {
        it.effect(`${testCase.name} (${testCase.doc.replace(/^https:\/\/cloud\.google\.com\/bigquery\/docs\/reference\/standard-sql\//, "")})`, () =>
          Effect.gen(function* () {
            const translated = yield* Effect.result(translate(testCase.sql, { fileName: "conformance.sqlx" }))
            // A construct refused before running (by name) is the error a case may expect.
            if (translated._tag === "Failure" && "error" in testCase.expected) return assert.match(translated.failure.message, testCase.expected.error)
            if (translated._tag === "Failure") return assert.fail(translated.failure.message)
            const statements = translated.success
            const result = yield* Effect.result((yield* Warehouse).session((session) =>
              Effect.gen(function* () {
                for (const statement of statements.slice(0, -1)) yield* session.run(statement)
                return yield* session.queryResult(statements[statements.length - 1]!)
              })
            ))
            if ("error" in testCase.expected) {
              assert.strictEqual(result._tag, "Failure", `expected an error; translated to: ${statements.join(";\n")}`)
              if (result._tag === "Failure") assert.match(result.failure.reason, testCase.expected.error)
              return
            }
            assert.strictEqual(result._tag, "Success", result._tag === "Failure" ? `${result.failure.reason}\ntranslated to: ${statements.join(";\n")}` : "")
            if (result._tag === "Success") assert.deepStrictEqual(result.success, testCase.expected, `translated to: ${statements.join(";\n")}`)
          }))
      }
    })
  }

})
