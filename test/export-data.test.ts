import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import os from "node:os"
import path from "node:path"
import { needsInterpreter, parseScript, planScript, runProgram } from "../runner/script.ts"
import { translate } from "../runner/translate.ts"
import { Warehouse } from "../runner/warehouse.ts"

/**
 * EXPORT DATA to Cloud Storage, run locally into an exports folder
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/export-statements): the files are
 * read back here with Node's own file reads, or with DuckDB's readers where the format is binary.
 */
const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql/export-statements"

const exportsFolder = () => mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))

/** Translates BigQuery SQL and runs it as an action's statements (one transaction). */
const runBigQuery = (sql: string) =>
  Effect.gen(function* () {
    const statements = yield* translate(sql, { fileName: "definitions/export.sqlx" })
    yield* (yield* Warehouse).run(statements, { transaction: true })
  })

const setup = `CREATE TABLE main.orders AS
  SELECT 1 AS id, 'a,b' AS label, TIMESTAMP '2024-01-01 10:00:00+02' AS placed_at, NUMERIC '2.50' AS amount, 9007199254740993 AS big, TRUE AS ok
  UNION ALL SELECT 2, NULL, TIMESTAMP '2024-01-02 00:00:00.25 UTC', NUMERIC '3', 7, FALSE`

/** A fresh warehouse exporting into a fresh folder, the orders table made unless asked not to. */
const exporting = <A, E>(body: (folder: string) => Effect.Effect<A, E, Warehouse>, options: { readonly orders?: boolean } = {}) => {
  const folder = exportsFolder()
  return Effect.gen(function* () {
    if (options.orders !== false) yield* runBigQuery(setup)
    return yield* body(folder)
  }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:", { exports: folder })))
}

describe(`EXPORT DATA (${DOC})`, () => {
  it.effect("writes a CSV at the URI with its wildcard numbered 000000000000: no header unless asked, BigQuery's text for TIMESTAMP and NUMERIC, the delimiter given", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/daily/orders-*.csv', format = 'CSV') AS SELECT id, label, placed_at, amount FROM main.orders ORDER BY id")
        assert.strictEqual(
          readFileSync(path.join(folder, "bucket/daily/orders-000000000000.csv"), "utf8"),
          '1,"a,b",2024-01-01 08:00:00 UTC,2.5\n2,,2024-01-02 00:00:00.250000 UTC,3\n'
        )
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/semi/*.csv', format = 'CSV', header = true, field_delimiter = ';') AS SELECT id, ok FROM main.orders ORDER BY id")
        assert.strictEqual(readFileSync(path.join(folder, "bucket/semi/000000000000.csv"), "utf8"), "id;ok\n1;true\n2;false\n")
      })
    ))

  it.effect("writes JSON one object per line with INT64 values as strings, and Parquet with the columns' types", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/json/part-*.json', format = 'JSON', compression = 'GZIP') AS SELECT id, big, label, STRUCT(id AS n, [big] AS many) AS nested FROM main.orders ORDER BY id")
        const lines = gunzipSync(readFileSync(path.join(folder, "bucket/json/part-000000000000.json"))).toString("utf8").trim().split("\n")
        assert.deepStrictEqual(lines.map((line) => JSON.parse(line)), [
          { id: "1", big: "9007199254740993", label: "a,b", nested: { n: "1", many: ["9007199254740993"] } },
          { id: "2", big: "7", label: null, nested: { n: "2", many: ["7"] } }
        ])
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/pq/*.parquet', format = 'PARQUET') AS SELECT id, placed_at, amount, [id, id + 1] AS ids FROM main.orders")
        const file = path.join(folder, "bucket/pq/000000000000.parquet")
        const read = yield* (yield* Warehouse).query(
          `SELECT CAST(id AS VARCHAR) AS id, CAST(placed_at AS VARCHAR) AS placed_at, CAST(amount AS VARCHAR) AS amount, CAST(ids AS VARCHAR) AS ids FROM read_parquet('${file}') ORDER BY id`
        )
        assert.deepStrictEqual(read, [
          { id: "1", placed_at: "2024-01-01 08:00:00+00", amount: "2.500000000", ids: "[1, 2]" },
          { id: "2", placed_at: "2024-01-02 00:00:00.25+00", amount: "3.000000000", ids: "[2, 3]" }
        ])
      })
    ))

  it.effect("takes its options as expressions of script variables, in a plain script and inside a block the interpreter runs", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        const exportOf = (indent: string) =>
          `${indent}EXPORT DATA OPTIONS (uri = CONCAT('gs://bucket/', FORMAT_DATE('%Y/%m/%d', day), '/orders_*.csv'), format = 'CSV', overwrite = true) AS\n${indent}SELECT id FROM main.orders WHERE DATE(placed_at) = day;`
        yield* runBigQuery(`DECLARE day DATE DEFAULT DATE '2024-01-02';\n${exportOf("")}`)
        assert.strictEqual(readFileSync(path.join(folder, "bucket/2024/01/02/orders_000000000000.csv"), "utf8"), "2\n")
        const script = `DECLARE day DATE DEFAULT DATE '2024-01-01';\nIF day IS NOT NULL THEN\n${exportOf("  ")}\nEND IF;`
        assert.isTrue(needsInterpreter([script]))
        const program = yield* planScript(yield* parseScript(script, "definitions/export.sqlx"), "definitions/export.sqlx")
        yield* runProgram(program, "definitions/export.sqlx")
        assert.strictEqual(readFileSync(path.join(folder, "bucket/2024/01/01/orders_000000000000.csv"), "utf8"), "1\n")
      })
    ))

  it.effect("refuses to export over files already at the URI's prefix without overwrite = true, and replaces the file with it", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        mkdirSync(path.join(folder, "bucket/out"), { recursive: true })
        writeFileSync(path.join(folder, "bucket/out/data-000000000000.csv"), "old\n")
        const export_ = (overwrite: string) => runBigQuery(`EXPORT DATA OPTIONS (uri = 'gs://bucket/out/data-*.csv', format = 'CSV'${overwrite}) AS SELECT id FROM main.orders WHERE id = 1`)
        const refused = yield* Effect.flip(export_(""))
        assert.include(refused.reason, "gs://bucket/out/data-* is not empty")
        assert.strictEqual(readFileSync(path.join(folder, "bucket/out/data-000000000000.csv"), "utf8"), "old\n")
        yield* export_(", overwrite = true")
        assert.strictEqual(readFileSync(path.join(folder, "bucket/out/data-000000000000.csv"), "utf8"), "1\n")
        // Another prefix in the same folder is free.
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/out/other-*.csv', format = 'CSV') AS SELECT 3 AS id")
        assert.deepStrictEqual(readdirSync(path.join(folder, "bucket/out")).sort(), ["data-000000000000.csv", "other-000000000000.csv"])
      })
    ))

  it.effect("leaves no file when the action fails after its export, or when the export's own query fails", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        const failed = yield* Effect.flip(
          runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/tx/*.csv', format = 'CSV') AS SELECT id FROM main.orders;\nCREATE TABLE main.after AS SELECT * FROM main.missing")
        )
        assert.include(failed.reason, "missing")
        const failedQuery = yield* Effect.flip(runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/q/*.csv', format = 'CSV') AS SELECT ERROR('no rows today') AS id FROM main.orders"))
        assert.include(failedQuery.reason, "no rows today")
        assert.deepStrictEqual(existsSync(path.join(folder, "bucket")) ? readdirSync(path.join(folder, "bucket"), { recursive: true }).filter((name) => String(name).includes(".")) : [], [])
        // The same export on its own runs, so the failure above was the action's, not the export's.
        yield* runBigQuery("EXPORT DATA OPTIONS (uri = 'gs://bucket/tx/*.csv', format = 'CSV') AS SELECT id FROM main.orders ORDER BY id")
        assert.strictEqual(readFileSync(path.join(folder, "bucket/tx/000000000000.csv"), "utf8"), "1\n2\n")
      })
    ))

  it.effect("fails as BigQuery does on a nested column in CSV, a URI without one wildcard, a missing format, an unknown option", () =>
    exporting((folder) =>
      Effect.gen(function* () {
        const failure = (sql: string) => Effect.flip(runBigQuery(sql)).pipe(Effect.map((error) => error.message))
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 'gs://b/x-*.csv', format = 'CSV') AS SELECT STRUCT(1 AS a) AS s"), "column s is nested or repeated")
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 'gs://b/x.csv', format = 'CSV') AS SELECT 1 AS a"), "exactly one * wildcard")
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 'gs://b/x-*.csv') AS SELECT 1 AS a"), "the format option is required")
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 's3://b/x-*.csv', format = 'CSV') AS SELECT 1 AS a"), "not a Cloud Storage URI")
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 'gs://b/x-*.csv', format = 'CSV', sheet = 'x') AS SELECT 1 AS a"), "EXPORT DATA OPTIONS(sheet)")
        assert.include(yield* failure("EXPORT DATA OPTIONS (uri = 'gs://b/../x-*.csv', format = 'CSV') AS SELECT 1 AS a"), ". or .. segment")
        assert.deepStrictEqual(readdirSync(folder), [])
      }),
    { orders: false }
    ))

  it.effect("refuses by name what a local run cannot write: Avro, other services, a connection; and an export without an exports folder", () =>
    Effect.gen(function* () {
      const refused = (sql: string) => Effect.flip(translate(sql, { fileName: "definitions/export.sqlx" })).pipe(Effect.map((error) => error.construct))
      assert.strictEqual(yield* refused("EXPORT DATA OPTIONS (uri = 'gs://b/x-*.avro', format = 'AVRO') AS SELECT 1 AS a"), "EXPORT DATA (format AVRO)")
      assert.strictEqual(yield* refused("EXPORT DATA OPTIONS (uri = 'https://bigtable.googleapis.com/projects/p/instances/i/tables/t', format = 'CLOUD_BIGTABLE') AS SELECT '1' AS rowkey"), "EXPORT DATA to Bigtable")
      assert.strictEqual(yield* refused("EXPORT DATA WITH CONNECTION `p.us.c` OPTIONS (uri = 's3://b/x-*.csv', format = 'CSV') AS SELECT 1 AS a"), "EXPORT DATA WITH CONNECTION")
      const statements = yield* translate("EXPORT DATA OPTIONS (uri = 'gs://b/x-*.csv', format = 'CSV') AS SELECT 1 AS a", { fileName: "definitions/export.sqlx" })
      const failed = yield* Effect.flip((yield* Warehouse).run(statements))
      assert.include(failed.reason, "no exports folder")
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
})
