import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { afterAll } from "vitest"
import { Effect } from "effect"
import { translate } from "../../runner/translate.ts"
import { Warehouse, type Row } from "../../runner/warehouse.ts"

/**
 * JavaScript UDFs, each case from BigQuery's documentation
 * (https://cloud.google.com/bigquery/docs/user-defined-functions#javascript-udf-structure and its
 * type table): the definition and the query are translated together and run in one call, as the
 * statements of an action are.
 */
const DOC = "https://cloud.google.com/bigquery/docs/user-defined-functions"

const cases: ReadonlyArray<{ readonly name: string; readonly doc: string; readonly sql: string; readonly expected: ReadonlyArray<Row> }> = [
  {
    name: "a one-line body in a quoted string, called per row",
    doc: `${DOC}#quote-rules`,
    sql: 'CREATE TEMP FUNCTION plusOne(x FLOAT64) RETURNS FLOAT64 LANGUAGE js AS "return x+1;"; SELECT val, plusOne(val) AS result FROM UNNEST([1, 2, 3]) AS val ORDER BY val',
    expected: [{ val: 1, result: 2 }, { val: 2, result: 3 }, { val: 3, result: 4 }]
  },
  {
    name: "a multi-line body in a raw triple-quoted string",
    doc: `${DOC}#quote-rules`,
    sql: "CREATE TEMP FUNCTION greeting(a STRING)\nRETURNS STRING\nLANGUAGE js\nAS r\"\"\"\n  var parts = ['Hello', a + '!'];\n  return parts.join(' ');\n\"\"\";\nSELECT greeting('Hannah') AS v",
    expected: [{ v: "Hello Hannah!" }]
  },
  {
    name: "NULL arguments reach the body as null, and a null result is NULL",
    doc: `${DOC}#javascript-udf-structure`,
    sql: "CREATE TEMP FUNCTION nullness(x STRING) RETURNS STRING LANGUAGE js AS r'''return x === null ? 'got null' : null;'''; SELECT nullness(NULL) AS v, nullness('a') AS w",
    expected: [{ v: "got null", w: null }]
  },
  {
    name: "NUMERIC is a Number when an exact integer, a String otherwise",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION kind(x NUMERIC) RETURNS STRING LANGUAGE js AS 'return typeof x + \":\" + x;'; SELECT kind(NUMERIC '12') AS v, kind(NUMERIC '1.5') AS w",
    expected: [{ v: "number:12", w: "string:1.5" }]
  },
  {
    name: "INT64 is returned from a String or a Number",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION big(s STRING) RETURNS INT64 LANGUAGE js AS 'return s === \"n\" ? 42 : \"12345678901\";'; SELECT big('s') AS v, big('n') AS w",
    expected: [{ v: 12345678901, w: 42 }]
  },
  {
    name: "a STRUCT is an object with its fields, an ARRAY returned an array",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION fields(s STRUCT<a FLOAT64, b STRING>) RETURNS ARRAY<STRING> LANGUAGE js AS 'return [s.b, String(s.a * 2)];'; SELECT fields(STRUCT(1.5 AS a, 'x' AS b)) AS v",
    expected: [{ v: ["x", "3"] }]
  },
  {
    name: "a STRUCT is returned from an object",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION headAndRest(s STRING) RETURNS STRUCT<head STRING, rest ARRAY<STRING>> LANGUAGE js AS 'var p = s.split(\",\"); return {head: p[0], rest: p.slice(1)};'; SELECT headAndRest('a,b,c').head AS h, headAndRest('a,b,c').rest AS r",
    expected: [{ h: "a", r: ["b", "c"] }]
  },
  {
    name: "DATE and TIMESTAMP arrive as Date objects; a Date returns a DATE",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION nextDay(d DATE) RETURNS DATE LANGUAGE js AS 'return new Date(d.getTime() + 86400000);'; CREATE TEMP FUNCTION hourOf(t TIMESTAMP) RETURNS FLOAT64 LANGUAGE js AS 'return t.getUTCHours();'; SELECT nextDay(DATE '2024-02-28') AS v, hourOf(TIMESTAMP '2024-01-01 10:30:00+02') AS w",
    expected: [{ v: "2024-02-29", w: 8 }]
  },
  {
    name: "BYTES arrive base64-encoded",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION encoded(b BYTES) RETURNS STRING LANGUAGE js AS 'return b;'; SELECT encoded(b'abc') AS v",
    expected: [{ v: "YWJj" }]
  },
  {
    name: "JSON arguments and results are JavaScript values",
    doc: `${DOC}#supported-javascript-udf-data-types`,
    sql: "CREATE TEMP FUNCTION tag(j JSON) RETURNS JSON LANGUAGE js AS 'j.tagged = true; return j;'; SELECT TO_JSON_STRING(tag(JSON '{\"a\": 1}')) AS v",
    expected: [{ v: '{"a":1,"tagged":true}' }]
  },
  {
    name: "the body runs sandboxed: no require, no process",
    doc: `${DOC}#javascript-udf-structure`,
    sql: "CREATE TEMP FUNCTION env() RETURNS STRING LANGUAGE js AS 'return typeof require + \"/\" + typeof process;'; SELECT env() AS v",
    expected: [{ v: "undefined/undefined" }]
  },
  {
    name: "a persistent function in a dataset is called by its qualified name",
    doc: `${DOC}#create-persistent-udfs`,
    sql: "CREATE SCHEMA IF NOT EXISTS udfs; CREATE OR REPLACE FUNCTION `my-project.udfs.triple`(x FLOAT64) RETURNS FLOAT64 LANGUAGE js AS 'return 3 * x;'; SELECT udfs.triple(2) AS v",
    expected: [{ v: 6 }]
  }
]

const run = (sql: string) =>
  Effect.gen(function* () {
    const statements = yield* translate(sql, { fileName: "udf.sqlx" })
    // Temporary functions live on the connection, as BigQuery's live in the script.
    return yield* (yield* Warehouse).session((session) =>
      Effect.gen(function* () {
        for (const statement of statements.slice(0, -1)) yield* session.run(statement)
        return yield* session.query(statements[statements.length - 1]!)
      })
    )
  })

describe("JavaScript UDFs", () => {
  for (const testCase of cases) {
    it.effect(testCase.name, () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* run(testCase.sql), testCase.expected)
      }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
  }

  it.effect("an exception in the body fails the query, naming the function", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(run("CREATE TEMP FUNCTION boom(x STRING) RETURNS STRING LANGUAGE js AS 'throw new Error(\"bad \" + x);'; SELECT boom('row') AS v"))
      assert.include(error.message, "JavaScript UDF boom: bad row")
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("INT64 parameters and other languages are refused as BigQuery or the runner must", () =>
    Effect.gen(function* () {
      const int64 = yield* Effect.flip(translate("CREATE TEMP FUNCTION f(x INT64) RETURNS FLOAT64 LANGUAGE js AS 'return x;'", { fileName: "udf.sqlx" }))
      assert.include(int64.reason, "INT64 is unsupported as an input type")
      assert.include(int64.message, "udf.sqlx")
      const python = yield* Effect.flip(translate("CREATE TEMP FUNCTION f(x STRING) RETURNS STRING LANGUAGE python AS 'x'", { fileName: "udf.sqlx" }))
      assert.include(python.reason, "UDFs in python have no local runtime")
    }))

  // OPTIONS(library=…) before or after the body, one URL or a list: the copies run first, in the body's context.
  const libraries = mkdtempSync(path.join(os.tmpdir(), "mdp-udf-libraries-"))
  writeFileSync(path.join(libraries, "greet.js"), "var greet = { hello: function (name) { return 'Hello ' + name; } };")
  writeFileSync(path.join(libraries, "shout.js"), "function shout(text) { return text.toUpperCase() + '!'; }")
  afterAll(() => rmSync(libraries, { recursive: true, force: true }))

  it.effect("a Cloud Storage library is read from its local copy, by file name", () =>
    Effect.gen(function* () {
      const rows = yield* run(
        "CREATE TEMP FUNCTION hi(x STRING) RETURNS STRING LANGUAGE js AS 'return shout(greet.hello(x));' OPTIONS (library = ['gs://bucket/lib/greet.js', 'https://storage.googleapis.com/b/shout.js']); " +
          "CREATE TEMP FUNCTION hey(x STRING) RETURNS STRING LANGUAGE js OPTIONS (library = 'gs://bucket/greet.js') AS 'return greet.hello(x);'; " +
          "SELECT hi('Ada') AS v, hey('Bo') AS w"
      )
      assert.deepStrictEqual(rows, [{ v: "HELLO ADA!", w: "Hello Bo" }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:", { javascriptLibraries: libraries }))))

  it.effect("a library with no local copy fails the statement that calls the function, naming the URL and where to put it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        run("CREATE TEMP FUNCTION f(x STRING) RETURNS STRING LANGUAGE js OPTIONS (library = 'gs://b/absent.js') AS 'return x;'; SELECT f(v) AS v FROM UNNEST(['a', 'b']) AS v")
      )
      assert.include(error.message, "gs://b/absent.js")
      assert.include(error.message, path.join(libraries, "absent.js"))
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:", { javascriptLibraries: libraries }))))

  // Over empty local sources the function is never called: the query's answer is BigQuery's.
  it.effect("a library with no local copy does not fail a query that calls the function on no rows", () =>
    Effect.gen(function* () {
      const rows = yield* run(
        "CREATE TEMP FUNCTION g(x STRING) RETURNS STRING LANGUAGE js OPTIONS (library = 'gs://b/absent.js') AS 'return absent(x);'; " +
          "SELECT g(v) AS v FROM UNNEST(ARRAY<STRING>[]) AS v; SELECT COUNT(g(v)) AS n FROM UNNEST(ARRAY<STRING>[]) AS v"
      )
      assert.deepStrictEqual(rows, [{ n: 0 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:", { javascriptLibraries: libraries }))))
})
