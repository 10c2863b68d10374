import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { checkDeclarations, translate } from "../runner/translate.ts"
import { Warehouse, type Row } from "../runner/warehouse.ts"

/**
 * Conformance: each BigQuery snippet runs through the translator on DuckDB and must return the
 * result the BigQuery documentation states for it (the comment names the documented behaviour).
 */
const cases: ReadonlyArray<readonly [string, string, Row]> = [
  ["REGEXP_CONTAINS is a partial match", "SELECT REGEXP_CONTAINS('foobar', r'oba') AS v", { v: true }],
  ["REGEXP_CONTAINS honours anchors", "SELECT REGEXP_CONTAINS('foobar', r'^oba') AS v", { v: false }],
  ["REGEXP_REPLACE replaces every match", "SELECT REGEXP_REPLACE('a1b2c3', r'[0-9]', 'X') AS v", { v: "aXbXcX" }],
  ["REGEXP_EXTRACT without a group returns the whole match", "SELECT REGEXP_EXTRACT('ab123c', r'[0-9]+') AS v", { v: "123" }],
  ["REGEXP_EXTRACT with a group returns the group", "SELECT REGEXP_EXTRACT('id=42;', r'id=([0-9]+)') AS v", { v: "42" }],
  ["SAFE_DIVIDE returns NULL on division by zero", "SELECT SAFE_DIVIDE(1, 0) AS v, SAFE_DIVIDE(1, 4) AS w", { v: null, w: 0.25 }],
  ["SAFE_CAST returns NULL instead of an error", "SELECT SAFE_CAST('x' AS INT64) AS v", { v: null }],
  ["SAFE. prefix returns NULL instead of an error", "SELECT SAFE.PARSE_DATE('%Y-%m-%d', 'nope') AS v", { v: null }],
  ["DATE_TRUNC to MONTH returns a DATE", "SELECT DATE_TRUNC(DATE '2024-05-17', MONTH) AS v", { v: "2024-05-01" }],
  ["DATE_TRUNC to WEEK starts weeks on Sunday", "SELECT DATE_TRUNC(DATE '2024-05-17', WEEK) AS v", { v: "2024-05-12" }],
  ["DATE_TRUNC on a Sunday keeps the day", "SELECT DATE_TRUNC(DATE '2024-05-19', WEEK) AS v", { v: "2024-05-19" }],
  ["DATE_TRUNC to ISOWEEK starts weeks on Monday", "SELECT DATE_TRUNC(DATE '2024-05-19', ISOWEEK) AS v", { v: "2024-05-13" }],
  ["DATE_ADD returns a DATE and clamps the month end", "SELECT DATE_ADD(DATE '2024-01-31', INTERVAL 1 MONTH) AS v", { v: "2024-02-29" }],
  ["DATE_SUB returns a DATE", "SELECT DATE_SUB(DATE '2024-03-01', INTERVAL 1 DAY) AS v", { v: "2024-02-29" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions#date_add: INTERVAL int64_expression date_part
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions#date_diff: boundaries of the part crossed
  ["DATE_DIFF in WEEK counts Sunday boundaries", "SELECT DATE_DIFF(DATE '2024-05-19', DATE '2024-05-18', WEEK) AS v, DATE_DIFF(DATE '2024-05-18', DATE '2024-05-12', WEEK) AS w", { v: 1, w: 0 }],
  ["DATE_DIFF in ISOWEEK counts Monday boundaries", "SELECT DATE_DIFF(DATE '2024-05-20', DATE '2024-05-19', ISOWEEK) AS v, DATE_DIFF(DATE '2024-05-19', DATE '2024-05-13', ISOWEEK) AS w", { v: 1, w: 0 }],
  ["DATE_DIFF in WEEK(WEDNESDAY)", "SELECT DATE_DIFF(DATE '2024-05-22', DATE '2024-05-21', WEEK(WEDNESDAY)) AS v, DATE_DIFF(DATE '2024-05-21', DATE '2024-05-15', WEEK(WEDNESDAY)) AS w", { v: 1, w: 0 }],
  ["DATE_DIFF in WEEK is negative backwards", "SELECT DATE_DIFF(DATE '2024-05-04', DATE '2024-05-19', WEEK) AS v", { v: -3 }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions#date_trunc: WEEK(<WEEKDAY>)
  ["DATE_TRUNC to WEEK(MONDAY)", "SELECT DATE_TRUNC(DATE '2024-05-17', WEEK(MONDAY)) AS v", { v: "2024-05-13" }],
  ["DATE_TRUNC to WEEK(TUESDAY)", "SELECT DATE_TRUNC(DATE '2024-05-17', WEEK(TUESDAY)) AS v, DATE_TRUNC(DATE '2024-05-13', WEEK(TUESDAY)) AS w", { v: "2024-05-14", w: "2024-05-07" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions#extract
  ["EXTRACT(WEEK) counts Sunday weeks from 0 before the first Sunday", "SELECT EXTRACT(WEEK FROM DATE '2024-01-06') AS v, EXTRACT(WEEK FROM DATE '2024-01-07') AS w", { v: 0, w: 1 }],
  ["EXTRACT(WEEK(MONDAY))", "SELECT EXTRACT(WEEK(MONDAY) FROM DATE '2024-01-07') AS v, EXTRACT(WEEK(MONDAY) FROM DATE '2024-01-08') AS w", { v: 1, w: 2 }],
  ["EXTRACT(ISOWEEK) and ISOYEAR", "SELECT EXTRACT(ISOWEEK FROM DATE '2021-01-03') AS v, EXTRACT(ISOYEAR FROM DATE '2021-01-03') AS w", { v: 53, w: 2020 }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#extract
  ["EXTRACT(DATE FROM timestamp) is in UTC", "SELECT EXTRACT(DATE FROM TIMESTAMP '2024-01-01 23:30:00-05') AS v", { v: "2024-01-02" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions#date: DATE(timestamp_expression, time_zone_expression)
  ["DATE of a timestamp in a time zone", "SELECT DATE(TIMESTAMP '2024-01-01 03:00:00+00', 'America/New_York') AS v", { v: "2023-12-31" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#format_timestamp: time_zone argument
  ["FORMAT_TIMESTAMP in a time zone", "SELECT FORMAT_TIMESTAMP('%Y-%m-%d %H:%M', TIMESTAMP '2024-01-01 03:00:00+00', 'America/New_York') AS v", { v: "2023-12-31 22:00" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#concat: NULL if any input is NULL
  ["CONCAT with a NULL argument is NULL", "SELECT CONCAT('a', NULL) AS v, CONCAT('a', 'b', 'c') AS w", { v: null, w: "abc" }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/mathematical_functions#ieee_divide
  ["IEEE_DIVIDE by zero is infinite, 0/0 NaN", "SELECT IEEE_DIVIDE(1, 0) AS v, IEEE_DIVIDE(-1, 0) AS w, IS_NAN(IEEE_DIVIDE(0, 0)) AS n, IEEE_DIVIDE(6, 3) AS d", { v: "Infinity", w: "-Infinity", n: true, d: 2 }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/mathematical_functions#is_inf
  ["IS_INF and IS_NAN", "SELECT IS_INF(IEEE_DIVIDE(1, 0)) AS v, IS_NAN(CAST('NaN' AS FLOAT64)) AS w, IS_INF(1.5) AS x", { v: true, w: true, x: false }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#timestamp: a literal's offset
  ["A timestamp literal's offset is honoured", "SELECT TIMESTAMP '2024-01-01 10:00:00+02' AS v", { v: "2024-01-01 08:00:00+00" }],
  ["DATE_ADD by a column's number of days", "SELECT DATE_ADD(DATE '2024-02-27', INTERVAL n DAY) AS v FROM (SELECT 2 AS n)", { v: "2024-02-29" }],
  ["DATE_SUB by a qualified, negated column", "SELECT DATE_SUB(DATE '2024-03-01', INTERVAL -t.n DAY) AS v FROM (SELECT 1 AS n) AS t", { v: "2024-03-02" }],
  ["TIMESTAMP_ADD by an expression", "SELECT TIMESTAMP_ADD(TIMESTAMP '2024-01-01 00:00:00+00', INTERVAL n + 1 HOUR) AS v FROM (SELECT 2 AS n)", { v: "2024-01-01 03:00:00+00" }],
  ["DATE_DIFF counts day boundaries", "SELECT DATE_DIFF(DATE '2024-03-01', DATE '2024-02-01', DAY) AS v", { v: 29 }],
  ["EXTRACT(DAYOFWEEK) is 1 for Sunday", "SELECT EXTRACT(DAYOFWEEK FROM DATE '2024-05-19') AS v", { v: 1 }],
  ["EXTRACT(DAYOFWEEK) is 7 for Saturday", "SELECT EXTRACT(DAYOFWEEK FROM DATE '2024-05-18') AS v", { v: 7 }],
  ["FORMAT_DATE", "SELECT FORMAT_DATE('%Y-%m', DATE '2024-05-17') AS v", { v: "2024-05" }],
  ["PARSE_DATE", "SELECT PARSE_DATE('%Y%m%d', '20240517') AS v", { v: "2024-05-17" }],
  ["FORMAT is printf-style", "SELECT FORMAT('%d-%s', 7, 'a') AS v", { v: "7-a" }],
  ["NUMERIC keeps nine decimal digits", "SELECT CAST('1.123456789' AS NUMERIC) AS v", { v: 1.123456789 }],
  ["NUMERIC literal", "SELECT NUMERIC '2.5' * 2 AS v", { v: 5 }],
  ["INT64 cast rounds half away from zero", "SELECT CAST(2.5 AS INT64) AS v, CAST(-2.5 AS INT64) AS w", { v: 3, w: -3 }],
  ["FLOAT64 division", "SELECT 7 / 2 AS v, DIV(7, 2) AS w, MOD(-7, 2) AS m", { v: 3.5, w: 3, m: -1 }],
  ["* EXCEPT drops columns", "SELECT * EXCEPT (a) FROM (SELECT 1 AS a, 2 AS b)", { b: 2 }],
  ["* REPLACE replaces columns", "SELECT * REPLACE (3 AS a) FROM (SELECT 1 AS a, 2 AS b)", { a: 3, b: 2 }],
  ["STRUCT fields", "SELECT s.b AS v FROM (SELECT STRUCT(1 AS a, 'x' AS b) AS s)", { v: "x" }],
  ["STRUCT values come back as JSON objects", "SELECT STRUCT(1 AS a, 'x' AS b) AS s", { s: { a: 1, b: "x" } }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/operators#array_subscript_operator: OFFSET/ORDINAL out of range is an error, SAFE_ forms NULL
  ["SAFE_OFFSET and SAFE_ORDINAL out of range are NULL", "SELECT [1, 2, 3][SAFE_OFFSET(5)] AS v, [1, 2, 3][SAFE_ORDINAL(0)] AS w", { v: null, w: null }],
  ["OFFSET of a column's array, by an expression", "SELECT a[OFFSET(i + 1)] AS v, t.a[ORDINAL(i + 1)] AS w FROM (SELECT [10, 20, 30] AS a, 1 AS i) AS t", { v: 30, w: 20 }],
  ["OFFSET of a NULL array is NULL", "SELECT a[OFFSET(0)] AS v FROM (SELECT CAST(NULL AS ARRAY<INT64>) AS a)", { v: null }],
  ["OFFSET of a function's array, twice", "SELECT SPLIT('a,b;c,d', ';')[OFFSET(1)] AS v, [[1, 2], [3, 4]][OFFSET(1)][OFFSET(0)] AS w", { v: "c,d", w: 3 }],
  ["ARRAY literals and OFFSET are zero-based", "SELECT [10, 20, 30][OFFSET(1)] AS v, [10, 20, 30][ORDINAL(1)] AS w", { v: 20, w: 10 }],
  ["UNNEST", "SELECT SUM(x) AS v FROM UNNEST([1, 2, 3]) AS x", { v: 6 }],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#unnest_operator: WITH OFFSET, zero-based
  ["UNNEST WITH OFFSET", "SELECT STRING_AGG(CONCAT(x, ':', CAST(o AS STRING)), ',' ORDER BY o) AS v FROM UNNEST(['a', 'b', 'c']) AS x WITH OFFSET AS o", { v: "a:0,b:1,c:2" }],
  ["UNNEST WITH OFFSET of each row's array, joined laterally", "SELECT STRING_AGG(CONCAT(CAST(t.id AS STRING), x, CAST(pos AS STRING)), ',' ORDER BY t.id, pos) AS v FROM (SELECT 1 AS id, ['a', 'b'] AS arr UNION ALL SELECT 2, ['c']) AS t, UNNEST(t.arr) x WITH OFFSET pos", { v: "1a0,1b1,2c0" }],
  ["UNNEST WITH OFFSET without an offset alias names it offset", "SELECT MAX(`offset`) AS v FROM UNNEST([7, 8, 9]) AS x WITH OFFSET", { v: 2 }],
  ["LEFT JOIN UNNEST WITH OFFSET keeps rows with empty arrays", "SELECT COUNT(*) AS v, COUNTIF(o IS NULL) AS w FROM (SELECT 1 AS id, [5, 6] AS arr UNION ALL SELECT 2, CAST([] AS ARRAY<INT64>)) AS t LEFT JOIN UNNEST(t.arr) AS x WITH OFFSET AS o", { v: 3, w: 1 }],
  ["ARRAY_AGG with LIMIT", "SELECT ARRAY_AGG(x ORDER BY x DESC LIMIT 2) AS v FROM UNNEST([1, 3, 2]) AS x", { v: [3, 2] }],
  ["QUALIFY", "SELECT a FROM (SELECT 1 AS a, 1 AS b UNION ALL SELECT 2, 2) WHERE TRUE QUALIFY ROW_NUMBER() OVER (ORDER BY b DESC) = 1", { a: 2 }],
  ["COUNTIF", "SELECT COUNTIF(x > 1) AS v FROM UNNEST([1, 2, 3]) AS x", { v: 2 }],
  ["JSON_VALUE returns an unquoted string", `SELECT JSON_VALUE('{"a": "x"}', '$.a') AS v`, { v: "x" }],
  ["JSON_EXTRACT_SCALAR", `SELECT JSON_EXTRACT_SCALAR('{"a": {"b": 5}}', '$.a.b') AS v`, { v: "5" }],
  ["JSON_QUERY_ARRAY with UNNEST and an allow-list", `SELECT (SELECT SUM(CAST(JSON_VALUE(a, '$.value') AS FLOAT64)) FROM UNNEST(JSON_QUERY_ARRAY(j, '$.actions')) AS a WHERE JSON_VALUE(a, '$.action_type') IN UNNEST(['omni_purchase'])) AS v FROM (SELECT JSON '{"actions": [{"action_type": "omni_purchase", "value": "3"}, {"action_type": "link_click", "value": "10"}]}' AS j)`, { v: 3 }],
  ["JSON_QUERY_ARRAY of a missing path is NULL", `SELECT JSON_QUERY_ARRAY(JSON '{"a": 1}', '$.b') IS NULL AS v`, { v: true }],
  ["GENERATE_DATE_ARRAY", "SELECT GENERATE_DATE_ARRAY(DATE '2024-01-30', DATE '2024-02-01') AS v", { v: ["2024-01-30", "2024-01-31", "2024-02-01"] }],
  ["IF, IFNULL, NULLIF", "SELECT IF(1 > 0, 'a', 'b') AS v, IFNULL(NULL, 1) AS w, NULLIF(1, 1) AS x", { v: "a", w: 1, x: null }],
  ["GREATEST returns NULL if any argument is NULL", "SELECT GREATEST(1, NULL) AS v", { v: null }],
  ["TO_HEX(MD5())", "SELECT TO_HEX(MD5('abc')) AS v", { v: "900150983cd24fb0d6963f7d28e17f72" }],
  ["Dataform's backticked project.dataset.table", "SELECT COUNT(*) AS v FROM `any-project.conformance.numbers`", { v: 3 }],
  ["Backticked dataset.table", "SELECT MAX(n) AS v FROM `conformance.numbers`", { v: 3 }],
  // Script variables: Dataform's incremental checkpoint declares one in pre_operations.
  [
    "DECLARE … DEFAULT (subquery), then the variable in a filter",
    "DECLARE threshold INT64 DEFAULT (SELECT MAX(n) - 1 FROM conformance.numbers); SELECT COUNT(*) AS v FROM conformance.numbers WHERE n >= threshold",
    { v: 2 }
  ],
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#unnest_operator: an array of STRUCTs gives a column per field
  ["UNNEST of STRUCTs without an alias gives a column per field (GA4's event_params)", "SELECT (SELECT value.string_value FROM UNNEST([STRUCT('a' AS key, STRUCT('x' AS string_value) AS value), STRUCT('b' AS key, STRUCT('y' AS string_value) AS value)]) WHERE key = 'b') AS v", { v: "y" }],
  ["An unaliased UNNEST of a table's array joins each row's elements", "SELECT STRING_AGG(key, ',' ORDER BY key) AS v FROM (SELECT 1 AS id, [STRUCT('a' AS key), STRUCT('b' AS key)] AS p) AS t, UNNEST(t.p)", { v: "a,b" }],
  ["An unaliased UNNEST of scalars", "SELECT (SELECT COUNT(*) FROM UNNEST([1, 2, 3])) AS v", { v: 3 }],
  ["DECLARE without DEFAULT is NULL of its type", "DECLARE a, b INT64; SELECT a IS NULL AND b IS NULL AS v", { v: true }],
  ["DECLARE gives every name the default; SET; names ignore case", "DECLARE a, b INT64 DEFAULT 2; SET B = b + 1; SELECT A * 10 + b AS v", { v: 23 }],
  ["A DATE variable in date arithmetic", "DECLARE start DATE DEFAULT DATE '2024-02-28'; SELECT DATE_ADD(start, INTERVAL 1 DAY) AS v", { v: "2024-02-29" }],
  ["A variable's name in a string or as a struct field is not the variable", "DECLARE b STRING DEFAULT 'x'; SELECT 'b' AS v, STRUCT(1 AS a, 2 AS c).c + LENGTH(b) AS w", { v: "b", w: 3 }]
]

const unsupported: ReadonlyArray<readonly [string, string]> = [
  ["SELECT CAST(1 AS BIGNUMERIC) AS v", "BIGNUMERIC"],
  ["SELECT FARM_FINGERPRINT('a') AS v", "FARM_FINGERPRINT()"],
  ["IF TRUE THEN SELECT 1; END IF", "BigQuery scripting (IF)"],
  ["DECLARE start DATE DEFAULT CURRENT_DATE(); SELECT 1 AS start", "the name start"],
  ["DECLARE x DEFAULT", "BigQuery scripting (DECLARE)"],
  // BigQuery fails a SET of a name no DECLARE before it declares; DuckDB would take it as a setting.
  ["SET threads = 1", "BigQuery scripting (SET)"],
  ["SET a = 1; DECLARE a INT64", "BigQuery scripting (SET)"],
  ["SET (a, b) = (1, 2)", "BigQuery scripting (SET)"],
  ["SELECT * FROM UNNEST([1]) WITH OFFSET AS o", "UNNEST … WITH OFFSET"],
  ["SELECT ST_GEOGPOINT(1, 2) AS g", "ST_GEOGPOINT()"],
  ["SELECT * FROM ML.PREDICT(MODEL `d.m`, TABLE `d.t`)", "ML.*"]
]

const ConformanceWarehouse = Layer.effectDiscard(
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* warehouse.run(["CREATE SCHEMA conformance", "CREATE TABLE conformance.numbers AS SELECT * FROM range(1, 4) t(n)"])
  })
).pipe(Layer.provideMerge(Warehouse.layerDuckDB(":memory:")))

describe("BigQuery to DuckDB conformance", () => {
  it.layer(ConformanceWarehouse)((it) => {
    for (const [behaviour, sql, expected] of cases) {
      it.effect(behaviour, () =>
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          const statements = yield* translate(sql, { fileName: "conformance.sqlx" })
          const rows = yield* warehouse.query(statements.join(";\n"))
          assert.deepStrictEqual(rows, [expected], `translated to: ${statements.join(";\n")}`)
        }))
    }
  })

  // https://cloud.google.com/bigquery/docs/reference/standard-sql/operators#array_subscript_operator
  it.layer(ConformanceWarehouse)("an OFFSET or ORDINAL out of range fails the query, as in BigQuery", (it) => {
    for (const sql of ["SELECT [1, 2, 3][OFFSET(3)] AS v", "SELECT [1, 2, 3][ORDINAL(0)] AS v", "SELECT a[OFFSET(-1)] AS v FROM (SELECT [1] AS a)"]) {
      it.effect(sql, () =>
        Effect.gen(function* () {
          const statements = yield* translate(sql, { fileName: "conformance.sqlx" })
          const error = yield* Effect.flip((yield* Warehouse).query(statements.join(";\n")))
          assert.match(error.reason, /Array index -?\d+ is out of bounds/)
        }))
    }
  })

  for (const [sql, construct] of unsupported) {
    it.effect(`refuses ${construct} with the file named: ${sql}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(translate(sql, { fileName: "definitions/x.sqlx" }))
        assert.strictEqual(error.construct, construct)
        assert.match(error.message, /^definitions\/x\.sqlx: cannot run /)
      }))
  }

  it.effect("a variable declared by an earlier statement of the action is read by the later ones", () =>
    Effect.gen(function* () {
      const [statement] = yield* translate("SELECT * FROM t WHERE date >= reprocess_start AND t.reprocess_start IS NULL", {
        fileName: "x",
        variables: ["reprocess_start"]
      })
      assert.match(statement, /date >= getvariable\('reprocess_start'\)/i)
      assert.include(statement, "t.reprocess_start IS NULL")
    }))

  it.effect("DECLARE is taken only at the start of the action's script, and each name once", () =>
    Effect.gen(function* () {
      yield* checkDeclarations(["DECLARE a INT64", "declare b default a; SELECT a", "SELECT b"], "definitions/x.sqlx")
      const late = yield* Effect.flip(checkDeclarations(["DECLARE a INT64", "SELECT a", "DECLARE b INT64"], "definitions/x.sqlx"))
      assert.strictEqual(late.construct, "BigQuery scripting (DECLARE)")
      assert.include(late.message, "definitions/x.sqlx")
      assert.include(late.reason, "top of pre_operations")
      const twice = yield* Effect.flip(checkDeclarations(["DECLARE a INT64; DECLARE A STRING"], "definitions/x.sqlx"))
      assert.include(twice.reason, "a is declared twice")
    }))

  it.effect("a syntax error says where it is", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(translate("SELECT FROM WHERE (", { fileName: "definitions/bad.sqlx" }))
      assert.include(error.message, "definitions/bad.sqlx")
    }))

  it.effect("a remembered translation answers only for the same variables, and an error always names its own file", () =>
    Effect.gen(function* () {
      const sql = "SELECT * FROM t WHERE day >= since"
      const [plain] = yield* translate(sql, { fileName: "a.sqlx" })
      const [scripted] = yield* translate(sql, { fileName: "a.sqlx", variables: ["since"] })
      assert.notInclude(plain, "getvariable")
      assert.match(scripted, /getvariable\('since'\)/i)
      assert.deepStrictEqual(yield* translate(sql, { fileName: "b.sqlx" }), [plain])
      const first = yield* Effect.flip(translate("SELECT FROM WHERE (", { fileName: "definitions/first.sqlx" }))
      const second = yield* Effect.flip(translate("SELECT FROM WHERE (", { fileName: "definitions/second.sqlx" }))
      assert.include(first.message, "definitions/first.sqlx")
      assert.include(second.message, "definitions/second.sqlx")
    }))

  it.effect("string literals and comments are never rewritten", () =>
    Effect.gen(function* () {
      const [statement] = yield* translate("SELECT 'REGEXP_CONTAINS(`a.b.c`)' AS v -- DATE_ADD(x)\n", { fileName: "x" })
      assert.include(statement, "'REGEXP_CONTAINS(`a.b.c`)'")
    }))
})
