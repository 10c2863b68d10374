import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { loadDataStubs } from "../runner/load-data.ts"
import { translate } from "../runner/translate.ts"
import { Warehouse } from "../runner/warehouse.ts"

/**
 * LOAD DATA from Cloud Storage, run locally from folders standing in for it
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/load-statements): the files are
 * written here, the table read back.
 */
const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql/load-statements"

/** Translates BigQuery SQL and runs it as an action's statements (one transaction). */
const runBigQuery = (sql: string) =>
  Effect.gen(function* () {
    const statements = yield* translate(sql, { fileName: "definitions/load.sqlx" })
    yield* (yield* Warehouse).run(statements, { transaction: true })
  })

const rows = (sql: string) => Effect.flatMap(Warehouse, (warehouse) => warehouse.query(sql))

/** A fresh warehouse reading gs:// from two fresh folders (the sources' gs/, then the exports), `files` written under the first. */
const loading = <A, E>(files: Readonly<Record<string, string>>, body: (folders: { readonly sources: string; readonly exports: string }) => Effect.Effect<A, E, Warehouse>) => {
  const sources = mkdtempSync(path.join(os.tmpdir(), "mdp-gs-"))
  const exports = mkdtempSync(path.join(os.tmpdir(), "mdp-exports-"))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(sources, name)), { recursive: true })
    writeFileSync(path.join(sources, name), text)
  }
  return Effect.gen(function* () {
    yield* (yield* Warehouse).run(["CREATE SCHEMA IF NOT EXISTS thelook"])
    return yield* body({ sources, exports })
  }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:", { cloudStorage: [sources], exports })))
}

const CENTERS = 'id,name,latitude\n1,"Memphis, TN",35.1174\n2,Chicago IL,41.8369\n'

describe(`LOAD DATA (${DOC})`, () => {
  it.effect("OVERWRITE with a column list reads a CSV by position, its header row skipped, the columns typed as listed; a second OVERWRITE replaces the rows", () =>
    loading({ "raw/centers.csv": CENTERS }, () =>
      Effect.gen(function* () {
        const load = "LOAD DATA OVERWRITE thelook.centers (id INTEGER, name STRING, latitude NUMERIC) FROM FILES (format = 'CSV', skip_leading_rows = 1, allow_quoted_newlines = TRUE, uris = ['gs://raw/centers.csv'])"
        yield* runBigQuery(load)
        yield* runBigQuery(load)
        assert.deepStrictEqual(yield* rows("SELECT id, name, CAST(latitude AS VARCHAR) AS latitude, typeof(id) AS t FROM thelook.centers ORDER BY id"), [
          { id: 1, name: "Memphis, TN", latitude: "35.117400000", t: "BIGINT" },
          { id: 2, name: "Chicago IL", latitude: "41.836900000", t: "BIGINT" }
        ])
      })
    ))

  it.effect("INTO appends to the table, creating it when missing; without a column list the schema is the files', the last leading row their header; a * matches every file", () =>
    loading({ "raw/daily/2024-01-01.csv": "day,orders\n2024-01-01,3\n", "raw/daily/2024-01-02.csv": "day,orders\n2024-01-02,5\n", "raw/other.csv": "x\n1\n" }, () =>
      Effect.gen(function* () {
        yield* runBigQuery("LOAD DATA INTO thelook.daily FROM FILES (format = 'CSV', skip_leading_rows = 1, uris = ['gs://raw/daily/*.csv'])")
        yield* runBigQuery("LOAD DATA INTO thelook.daily FROM FILES (uris = ['gs://raw/daily/2024-01-02.csv'], skip_leading_rows = 1)")
        assert.deepStrictEqual(yield* rows("SELECT CAST(day AS VARCHAR) AS day, orders FROM thelook.daily ORDER BY day, orders"), [
          { day: "2024-01-01", orders: 3 },
          { day: "2024-01-02", orders: 5 },
          { day: "2024-01-02", orders: 5 }
        ])
      })
    ))

  it.effect("newline-delimited JSON by name into a temporary table; a file EXPORT DATA wrote is read from the exports folder", () =>
    loading({ "raw/events.json": '{"kind": "view", "n": 2}\n{"n": 4, "kind": "click"}\n' }, ({ exports }) =>
      Effect.gen(function* () {
        yield* runBigQuery("LOAD DATA INTO TEMP TABLE events (n INT64, kind STRING) FROM FILES (format = 'NEWLINE_DELIMITED_JSON', uris = ['gs://raw/events.json']); CREATE TABLE thelook.events AS SELECT * FROM events")
        assert.deepStrictEqual(yield* rows("SELECT n, kind FROM thelook.events ORDER BY n"), [{ n: 2, kind: "view" }, { n: 4, kind: "click" }])
        mkdirSync(path.join(exports, "lake"), { recursive: true })
        writeFileSync(path.join(exports, "lake", "000000000000.csv"), "7,x\n")
        yield* runBigQuery("LOAD DATA OVERWRITE thelook.exported (n INT64, label STRING) FROM FILES (format = 'CSV', uris = ['gs://lake/*.csv'])")
        assert.deepStrictEqual(yield* rows("SELECT n, label FROM thelook.exported"), [{ n: 7, label: "x" }])
      })
    ))

  it.effect("a URI with no local file fails naming where to put it, and a failed action loads nothing; what cannot run locally is refused by name", () =>
    loading({ "raw/centers.csv": CENTERS }, ({ sources }) =>
      Effect.gen(function* () {
        const missing = yield* Effect.flip(runBigQuery("LOAD DATA OVERWRITE thelook.centers (id INT64) FROM FILES (format = 'CSV', uris = ['gs://raw/missing.csv'])"))
        assert.include(missing.message, `no local file for gs://raw/missing.csv; put it at ${path.join(sources, "raw", "missing.csv")}`)
        const failed = yield* Effect.flip(
          runBigQuery("LOAD DATA OVERWRITE thelook.centers (id INTEGER, name STRING, latitude NUMERIC) FROM FILES (format = 'CSV', skip_leading_rows = 1, uris = ['gs://raw/centers.csv']); SELECT ERROR('after the load')")
        )
        assert.include(failed.message, "after the load")
        assert.deepStrictEqual(yield* rows("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'centers'"), [{ n: 0 }])
        for (const [sql, construct] of [
          ["LOAD DATA INTO t FROM FILES (format = 'AVRO', uris = ['gs://raw/x.avro'])", "format AVRO is not read locally"],
          ["LOAD DATA INTO t FROM FILES (format = 'CSV', uris = ['s3://raw/x.csv']) WITH CONNECTION `aws-us.conn`", "LOAD DATA … WITH CONNECTION"],
          ["LOAD DATA INTO t FROM FILES (format = 'CSV', uris = ['gs://raw/x/*'], hive_partition_uri_prefix = 'gs://raw/x') WITH PARTITION COLUMNS", "WITH PARTITION COLUMNS"],
          ["LOAD DATA INTO t FROM FILES (format = 'CSV', uris = ['gs://raw/x.csv'], skip_header = 1)", "LOAD DATA FROM FILES(skip_header)"]
        ] as const) {
          const error = yield* Effect.flip(runBigQuery(sql))
          assert.include(error.message, construct, sql)
        }
      })
    ))
})

describe("the files sources init stubs for LOAD DATA", () => {
  it("one per literal gs:// URI of a CSV or JSON load, a * made the first file's number, with the column list's names and leading rows", () => {
    assert.deepStrictEqual(
      loadDataStubs([
        "LOAD DATA INTO `p.raw.daily` (day DATE, `orders` INT64) FROM FILES (format = 'CSV', skip_leading_rows = 1, uris = ['gs://raw/daily/*.csv', \"gs://raw/extra.csv\"]);\nSELECT 1",
        "LOAD DATA OVERWRITE raw.events FROM FILES (format = 'NEWLINE_DELIMITED_JSON', uris = ['gs://raw/events.json'])",
        "LOAD DATA OVERWRITE raw.parquet FROM FILES (format = 'PARQUET', uris = ['gs://raw/x.parquet'])"
      ]),
      [
        { table: "`p.raw.daily`", object: "raw/daily/000000000000.csv", format: "CSV", skipLeadingRows: 1, header: ["day", "orders"] },
        { table: "`p.raw.daily`", object: "raw/extra.csv", format: "CSV", skipLeadingRows: 1, header: ["day", "orders"] },
        { table: "raw.events", object: "raw/events.json", format: "JSON", skipLeadingRows: 0 }
      ]
    )
  })
})
