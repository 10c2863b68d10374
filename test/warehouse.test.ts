import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { DEFAULT_MEMORY_LIMIT, Warehouse } from "../runner/warehouse.ts"

const tables = Effect.gen(function* () {
  const rows = yield* (yield* Warehouse).query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
  return rows.map((row) => String(row["name"]))
})

describe("Warehouse.columns", () => {
  it.effect("lists a table's or a view's columns in order, and none for a relation that does not exist", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      yield* warehouse.run([
        `CREATE SCHEMA "odd.schema"`,
        `CREATE TABLE "odd.schema"."b a" (zeta INTEGER, "Mixed Case" TEXT, alpha DATE)`,
        `CREATE VIEW "odd.schema".v AS SELECT alpha, zeta FROM "odd.schema"."b a"`,
        `CREATE TABLE main."quo""ted" (x INTEGER, y INTEGER)`
      ])
      assert.deepStrictEqual(yield* warehouse.columns("odd.schema", "b a"), ["zeta", "Mixed Case", "alpha"])
      assert.deepStrictEqual(yield* warehouse.columns("odd.schema", "v"), ["alpha", "zeta"])
      assert.deepStrictEqual(yield* warehouse.columns("main", 'quo"ted'), ["x", "y"])
      assert.deepStrictEqual(yield* warehouse.columns("odd.schema", "missing"), [])
      assert.deepStrictEqual(yield* warehouse.columns("no_such_schema", "b a"), [])
      // The listing gives the same, for every relation at once (temp tables are no relation of the warehouse).
      yield* warehouse.run([`CREATE TEMP TABLE scratch (t INTEGER)`])
      assert.deepStrictEqual(yield* warehouse.listRelations(), [
        { schema: "main", name: 'quo"ted', type: "table", columns: ["x", "y"] },
        { schema: "odd.schema", name: "b a", type: "table", columns: ["zeta", "Mixed Case", "alpha"] },
        { schema: "odd.schema", name: "v", type: "view", columns: ["alpha", "zeta"] }
      ])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
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

describe("the warehouse's threads", () => {
  it.effect("are the configured number; without one, $MDP_DUCKDB_THREADS (the test suite's 1), else every core", () =>
    Effect.gen(function* () {
      const threads = (options: Parameters<typeof Warehouse.layerDuckDB>[1], environment: Record<string, string>) =>
        Warehouse.use((w) => w.query("SELECT current_setting('threads') AS t")).pipe(
          Effect.provide(Warehouse.layerDuckDB(":memory:", options)),
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(environment)),
          Effect.map((rows) => Number(rows[0]!["t"]))
        )
      assert.strictEqual(yield* threads({ threads: 3 }, { MDP_DUCKDB_THREADS: "1" }), 3)
      assert.strictEqual(yield* threads({}, { MDP_DUCKDB_THREADS: "1" }), 1)
      assert.strictEqual(yield* threads({}, {}), os.availableParallelism())
    }))
})

describe("the warehouse's memory", () => {
  it.effect("is limited by default, and a query past the configured limit spills to the configured folder instead of failing", () =>
    Effect.gen(function* () {
      const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-memory-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(folder, { recursive: true, force: true })))
      const setting = (file: string, options: Parameters<typeof Warehouse.layerDuckDB>[1]) =>
        Warehouse.use((w) => w.query("SELECT current_setting('memory_limit') AS m")).pipe(Effect.provide(Warehouse.layerDuckDB(file, options)))
      // DuckDB prints the limit in binary units: 600MB is 572.2 MiB; its own default here would be 80 % of this machine's memory.
      assert.deepStrictEqual(DEFAULT_MEMORY_LIMIT, "600MB")
      assert.deepStrictEqual(yield* setting(path.join(folder, "default.duckdb"), {}), [{ m: "572.2 MiB" }])

      const spill = path.join(folder, "spill")
      const sorted = yield* Warehouse.use((warehouse) =>
        Effect.gen(function* () {
          yield* warehouse.run(["CREATE TABLE main.t AS SELECT range AS a, md5(CAST(range AS VARCHAR)) AS b FROM range(1500000)"])
          const rows = yield* warehouse.query("SELECT current_setting('memory_limit') AS m, count(*) AS n, min(b) AS first FROM (SELECT b, a FROM main.t ORDER BY b, a)")
          // DuckDB makes the folder only when it spills (and removes it on closing): the sort of
          // about 90 MB of rows did.
          assert.isTrue(existsSync(spill))
          return rows
        })
      ).pipe(Effect.provide(Warehouse.layerDuckDB(path.join(folder, "small.duckdb"), { memoryLimit: "40MB", tempDirectory: spill })))
      // The least MD5 of the numbers below 1.5M, computed apart with node:crypto.
      assert.deepStrictEqual(sorted, [{ m: "38.1 MiB", n: 1500000, first: "0000104cd168386a335ba6bf6e32219d" }])
    }).pipe(Effect.scoped))
})
