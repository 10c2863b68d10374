import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { sharedJsonExtraction } from "../runner/shared-json-extraction.ts"
import { checkDeclarations, PseudoColumnsInWarehouse, translate } from "../runner/translate.ts"

/**
 * What the translator refuses, naming the construct and the file, and how it handles variables,
 * errors and its memory. What translations answer is test/conformance/'s.
 */

const unsupported: ReadonlyArray<readonly [string, string]> = [
  ["SELECT CAST(1 AS BIGNUMERIC) AS v", "BIGNUMERIC"],
  ["SELECT PARSE_BIGNUMERIC('1.5') AS v", "PARSE_BIGNUMERIC"],
  ["SELECT x FROM UNNEST(['a1b', 'a12b']) AS x ORDER BY x COLLATE 'en-us-u-kn-true'", "COLLATE 'en-us-u-kn-true'"],
  ["SELECT ST_GEOGPOINT(1, 2) AS v", "ST_GEOGPOINT()"],
  ["IF TRUE THEN SELECT 1; END IF", "BigQuery scripting (IF)"],
  ["DECLARE start DATE DEFAULT CURRENT_DATE(); SELECT 1 AS start, DATE_ADD(start, INTERVAL 1 DAY) AS next", "the name start"],
  ["DECLARE x DEFAULT", "BigQuery scripting (DECLARE)"],
  // BigQuery fails a SET of a name no DECLARE before it declares; DuckDB would take it as a setting.
  ["SET threads = 1", "BigQuery scripting (SET)"],
  ["SET a = 1; DECLARE a INT64", "BigQuery scripting (SET)"],
  ["SET (a, b) = (1, 2)", "BigQuery scripting (SET)"],
  ["SELECT * FROM UNNEST([1]) WITH OFFSET AS o", "UNNEST … WITH OFFSET"],
  ["SELECT ST_GEOGPOINT(1, 2) AS g", "ST_GEOGPOINT()"],
  ["SELECT * FROM ML.PREDICT(MODEL `d.m`, TABLE `d.t`)", "ML.*"],
  ["SELECT SEARCH(t, 'foo') AS found FROM t", "SEARCH()"],
  ["SELECT CONTAINS_SUBSTR(JSON '{\"lunch\": \"soup\"}', 'lunch', json_scope => 'JSON_KEYS') AS v", "CONTAINS_SUBSTR(…, json_scope => 'JSON_KEYS')"],
  ["CREATE OR REPLACE MODEL `p.d.embedding` REMOTE WITH CONNECTION `p.us.vertex` OPTIONS (ENDPOINT = 'text-embedding-004')", "CREATE MODEL"],
  ["CREATE MODEL d.m OPTIONS (model_type = 'linear_reg') AS SELECT 1 AS label", "CREATE MODEL"],
  ["SELECT NET.FORMAT_IP(1) AS ip", "NET.FORMAT_IP"],
  ["SELECT * FROM RANGE_SESSIONIZE(TABLE t, 'r', ['k'])", "RANGE_SESSIONIZE()"],
  ["SELECT * FROM d.t FOR SYSTEM_TIME AS OF TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)", "FOR SYSTEM_TIME AS OF"],
  ["EXPORT DATA OPTIONS (uri = 'gs://b/x-*.avro', format = 'AVRO') AS SELECT 1 AS a", "EXPORT DATA (format AVRO)"],
  // DuckDB's TRY holds no subquery; one without FROM is its expression and runs.
  ["SELECT IFERROR((SELECT x FROM t LIMIT 1), 0) AS v", "IFERROR((SELECT …))"],
  ["SELECT ISERROR((SELECT (SELECT 1))) AS v", "ISERROR((SELECT …))"],
  // ANY_VALUE's modifier is translated (arg_max); a GROUP BY's HAVING MAX(…) clause is no modifier.
  ["SELECT g, MAX(x HAVING MIN y) AS v FROM t GROUP BY g HAVING MAX(x) > 0", "MAX(… HAVING MIN …)"],
  ["SELECT EXISTS(SELECT 1 FROM t GROUP BY g HAVING MIN(x) > 0), ARRAY_AGG(x HAVING MAX y) AS v FROM t", "ARRAY_AGG(… HAVING MAX …)"],
  // Set operations by name in the modes that need the inputs' column names (a LEFT OUTER JOIN is no such mode).
  ["SELECT a FROM t LEFT OUTER JOIN u USING (a) LEFT OUTER UNION ALL BY NAME SELECT b FROM u", "LEFT … BY NAME"],
  ["SELECT a FROM t INNER UNION DISTINCT BY NAME SELECT a FROM u", "INNER … BY NAME"],
  ["SELECT a FROM t UNION ALL CORRESPONDING SELECT a FROM u", "CORRESPONDING"],
  ["SELECT a FROM t LEFT INTERSECT DISTINCT BY NAME SELECT a FROM u", "LEFT … BY NAME"],
  ["SELECT a FROM t INNER UNION ALL BY NAME ON (a) SELECT a FROM u", "INNER … BY NAME"]
]

describe("the translator's refusals and mechanics", () => {
  for (const [sql, construct] of unsupported) {
    it.effect(`refuses ${construct} with the file named: ${sql}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(translate(sql, { fileName: "definitions/x.sqlx" }))
        assert.strictEqual(error.construct, construct)
        assert.match(error.message, /^definitions\/x\.sqlx: cannot run /)
      }))
  }

  it.effect("a column named like a refused construct's word is no such construct (GROUP BY name, HAVING MAX(x) after a SELECT)", () =>
    Effect.gen(function* () {
      for (const sql of [
        "SELECT name, COUNT(*) AS c FROM t GROUP BY name ORDER BY name",
        "SELECT name, ROW_NUMBER() OVER (PARTITION BY name ORDER BY name) AS r FROM t",
        "SELECT ARRAY(SELECT g FROM t GROUP BY g HAVING MAX(x) > 1) AS a"
      ]) {
        const statements = yield* translate(sql, { fileName: "definitions/x.sqlx" })
        assert.isAbove(statements.length, 0, sql)
      }
    }))

  it.effect("a NUMERIC is DECIMAL(38, 9) wherever polyglot puts it; a NUMERIC(18, 3) the statement spells out stays", () =>
    Effect.gen(function* () {
      const [rounded] = yield* translate("SELECT ROUND(NUMERIC '1.23456', 4) AS v", { fileName: "definitions/x.sqlx" })
      assert.include(rounded, "DECIMAL(38, 9)")
      assert.notInclude(rounded, "DECIMAL(18, 3)")
      const [created] = yield* translate("CREATE TEMP TABLE t (x NUMERIC(18, 3), y NUMERIC)", { fileName: "definitions/x.sqlx" })
      assert.include(created, "DECIMAL(18, 3)")
      assert.include(created, "DECIMAL(38, 9)")
    }))

  it.effect("a type dispatch repeats a long operand once, so nested conversions stay small", () =>
    Effect.gen(function* () {
      // Two zone conversions with minutes under UNIX_SECONDS, and a cast of a long CASE: 93 KB and a
      // run out of heap in the conformance suite before each operand was bound once.
      const zoned = "SELECT UNIX_SECONDS(TIMESTAMP('2024-01-01 05:30:00', '+05:30')) AS a, UNIX_SECONDS(PARSE_TIMESTAMP('%Y-%m-%d %H:%M', '2024-01-01 05:30', '+05:30')) AS b"
      assert.isBelow((yield* translate(zoned, { fileName: "x" })).join(";").length, 20_000)
      const longCase = `CASE ${Array.from({ length: 40 }, (_, i) => `WHEN x = '${i}' THEN '${i}'`).join(" ")} END`
      const nested = `SELECT CAST(CAST(CAST(${longCase} AS INT64) AS STRING) AS INT64) AS v FROM t`
      assert.isBelow((yield* translate(nested, { fileName: "x" })).join(";").length, 4 * nested.length + 5_000)
    }))

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

  it.effect("with pseudo-columns in the warehouse, a * (or * EXCEPT) over a table read by name leaves them out; a subquery's, an UNNEST's or a CTE's * and other stars stay", () =>
    Effect.gen(function* () {
      const hidden = "COLUMNS(mdp_column -> upper(mdp_column) NOT IN ('_PARTITIONTIME', '_PARTITIONDATE'))"
      const translated = (sql: string) => translate(sql, { fileName: "stars.sqlx" }).pipe(Effect.map((statements) => statements.join(";\n")), Effect.provideService(PseudoColumnsInWarehouse, true))
      assert.include(yield* translated("SELECT *, _PARTITIONTIME AS pt FROM `p.billing.export`"), `SELECT ${hidden}, _PARTITIONTIME AS pt FROM`)
      assert.include(yield* translated("SELECT DISTINCT * FROM billing.export AS e JOIN billing.other USING (id)"), `SELECT DISTINCT ${hidden} FROM`)
      // BigQuery's * EXCEPT leaves them out too, beside the names it lists.
      assert.include(yield* translated("SELECT * EXCEPT (id, `Cost Type`) FROM billing.export"), "COLUMNS(mdp_column -> upper(mdp_column) NOT IN ('_PARTITIONTIME', '_PARTITIONDATE', 'ID', 'COST TYPE')) FROM")
      for (const kept of [
        "SELECT * FROM (SELECT 1 AS _PARTITIONTIME)",
        "SELECT * FROM UNNEST([STRUCT(1 AS _PARTITIONTIME)])",
        "WITH recent AS (SELECT 1 AS _PARTITIONTIME) SELECT * FROM recent",
        "SELECT e.* FROM billing.export AS e",
        "SELECT COUNT(*) AS n, 2 * 3 AS six FROM billing.export"
      ]) assert.notInclude(yield* translated(kept), hidden, kept)
      // Without them (the default), nothing changes.
      assert.notInclude((yield* translate("SELECT * FROM billing.export", { fileName: "stars.sqlx" })).join(";"), hidden)
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

  // Speed, not answers (those are test/conformance/arrays.ts's): DuckDB plans the subquery as a
  // correlated join of the whole table with its unnested arrays; list functions stay on the row.
  it.effect("an aggregate of a row's array becomes list functions, and only the shapes that mean the same do", () =>
    Effect.gen(function* () {
      const rewritten = [
        ["SELECT (SELECT COALESCE(SUM(CAST(JSON_VALUE(a, '$.value') AS FLOAT64)), 0) FROM UNNEST(JSON_QUERY_ARRAY(p, '$.actions')) AS a WHERE JSON_VALUE(a, '$.action_type') IN ('x')) AS v FROM t", "list_sum(list_transform(list_filter("],
        ["SELECT (SELECT COUNT(*) FROM UNNEST(arr) AS x WHERE x > 1) AS v FROM t", "COALESCE(len(list_filter(arr, lambda x: x > 1)), 0)"],
        ["SELECT (SELECT MAX(x) FROM UNNEST(arr) x) AS v FROM t", "list_max(arr)"]
      ] as const
      for (const [sql, expected] of rewritten) {
        const [statement] = yield* translate(sql, { fileName: "x" })
        assert.include(statement, expected, sql)
        assert.notMatch(statement!, /UNNEST/i, sql)
      }
      const kept = [
        "SELECT (SELECT COUNT(DISTINCT x) FROM UNNEST(arr) AS x) AS v FROM t",
        "SELECT (SELECT SUM(x) FROM UNNEST(arr) AS x, UNNEST(brr) AS y) AS v FROM t",
        "SELECT (SELECT SUM(x) + MAX(x) FROM UNNEST(arr) AS x) AS v FROM t",
        "SELECT (SELECT x FROM UNNEST(arr) AS x LIMIT 1) AS v FROM t",
        "SELECT (SELECT SUM(x) FROM UNNEST(arr) AS x GROUP BY x) AS v FROM t",
        "SELECT (SELECT SUM(x) FROM UNNEST(arr) AS x WHERE x IN (SELECT y FROM u)) AS v FROM t",
        "SELECT (SELECT STRING_AGG(x) FROM UNNEST(arr) AS x) AS v FROM t"
      ]
      for (const sql of kept) {
        const [statement] = yield* translate(sql, { fileName: "x" })
        assert.match(statement!, /UNNEST/i, sql)
        assert.notMatch(statement!, /lambda/, sql)
      }
    }))

  // Speed again: DuckDB parses a JSON document once per call, and a staging model reads a dozen paths.
  it.effect("the paths one statement reads of one JSON argument are extracted in one parse, each call indexing the shared list", () =>
    Effect.gen(function* () {
      const [statement] = yield* translate("SELECT JSON_VALUE(p, '$.a') AS a, JSON_VALUE(p, '$.b') AS b, JSON_VALUE(q, '$.a') AS c, JSON_VALUE(t.p, '$.a') AS d FROM t", { fileName: "x" })
      assert.include(statement, "json_value(p, ['$.a', '$.b'])[1]")
      assert.include(statement, "json_value(p, ['$.a', '$.b'])[2]")
      // One path of q (or of t.p): left alone.
      assert.include(statement, "json_value(q, '$.a')")
      assert.include(statement, "json_value(t.p, '$.a')")
      // JSON_VALUE and JSON_QUERY of one argument keep a list each (json_value is NULL for an object);
      // a lambda's parameter is left alone.
      assert.strictEqual(
        sharedJsonExtraction("SELECT json_value(p, '$.a'), json_extract(p, '$.b'), json_value(p, '$.c'), json_extract(p, '$.d'), list_filter(l, lambda e: json_value(e, '$.x') = json_value(e, '$.y')) FROM t"),
        "SELECT json_value(p, ['$.a', '$.c'])[1], json_extract(p, ['$.b', '$.d'])[1], json_value(p, ['$.a', '$.c'])[2], json_extract(p, ['$.b', '$.d'])[2], list_filter(l, lambda e: json_value(e, '$.x') = json_value(e, '$.y')) FROM t"
      )
      // DuckDB takes no wildcard in a list of paths: such a call keeps its own.
      assert.strictEqual(
        sharedJsonExtraction("SELECT json_extract(p, '$.a'), json_extract(p, '$.b'), json_extract(p, '$.c[*]') FROM t"),
        "SELECT json_extract(p, ['$.a', '$.b'])[1], json_extract(p, ['$.a', '$.b'])[2], json_extract(p, '$.c[*]') FROM t"
      )
    }))
})
