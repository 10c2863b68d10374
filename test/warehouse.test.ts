import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Warehouse } from "../runner/warehouse.ts"

const tables = Effect.gen(function* () {
  const rows = yield* (yield* Warehouse).query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
  return rows.map((row) => String(row["name"]))
})

describe("Warehouse.run with a transaction", () => {
  it.effect("statements that fail part-way leave nothing of the ones before them", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      const failed = yield* Effect.flip(
        warehouse.run(["CREATE TABLE main.first AS SELECT 1 AS n", "CREATE TABLE main.second AS SELECT * FROM main.missing"], { transaction: true })
      )
      assert.include(failed.reason, "missing")
      assert.include(failed.sql, "main.second")
      assert.deepStrictEqual(yield* tables, [])
      // Without the transaction, the first statement stays: the test above can tell the two apart.
      yield* Effect.flip(warehouse.run(["CREATE TABLE main.first AS SELECT 1 AS n", "CREATE TABLE main.second AS SELECT * FROM main.missing"]))
      assert.deepStrictEqual(yield* tables, ["first"])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("a single statement that fails part-way through its rows leaves nothing either", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      yield* warehouse.run(["CREATE TABLE main.numbers AS SELECT 1 AS n"])
      const failed = yield* Effect.flip(
        warehouse.run(["CREATE OR REPLACE TABLE main.numbers AS SELECT CAST(x AS INTEGER) AS n FROM (VALUES ('2'), ('3'), ('not a number')) AS v(x)"], {
          transaction: true
        })
      )
      assert.include(failed.reason, "not a number")
      assert.deepStrictEqual(yield* warehouse.query("SELECT n FROM main.numbers"), [{ n: 1 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
})
