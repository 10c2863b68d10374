// The types a sources folder's CSV header gives, and those `mdp sources init` reads off the SQL.
import { assert, describe, it } from "@effect/vitest"
import { ga4Column } from "../runner/export-schemas.ts"
import { csvHeaderCells, ELEMENTS, fieldsOfType, headerCell, headerColumn, structOf, typeFromUse } from "../runner/source-types.ts"
import { depthsOf, isSignificant, tokenize } from "../runner/sql-tokens.ts"

/** The type `typeFromUse` gives the first reference to `column` (`alias.column` or bare) in `sql`. */
const typeOf = (sql: string, column: string): string | undefined => {
  const tokens = tokenize(sql, "bigquery").filter(isSignificant)
  const at = tokens.findIndex((token) => token.text === column)
  const start = tokens[at - 1]?.text === "." ? at - 2 : at
  return typeFromUse(tokens, depthsOf(tokens), start, at)
}

describe("CSV header types", () => {
  it("a cell's type follows its last colon outside <…>; a colon before no type is part of the name", () => {
    assert.deepStrictEqual(csvHeaderCells('id:INT64,"tags:ARRAY<STRUCT<k STRING, v INT64>>",note\r\n1,2,3'), ["id:INT64", "tags:ARRAY<STRUCT<k STRING, v INT64>>", "note"])
    assert.deepStrictEqual(headerColumn("id:INT64"), { name: "id", type: "INT64" })
    assert.deepStrictEqual(headerColumn("amount: numeric(10, 2)"), { name: "amount", type: "numeric(10, 2)" })
    assert.deepStrictEqual(headerColumn("tags:ARRAY<STRUCT<k STRING, v INT64>>"), { name: "tags", type: "ARRAY<STRUCT<k STRING, v INT64>>" })
    assert.deepStrictEqual(headerColumn("time:of:day"), { name: "time:of:day" })
    assert.deepStrictEqual(headerColumn("ratio:FLOAT65"), { name: "ratio:FLOAT65" })
    assert.deepStrictEqual(headerColumn("plain"), { name: "plain" })
    assert.strictEqual(headerCell({ name: "tags", type: "ARRAY<STRUCT<k STRING, v INT64>>" }), '"tags:ARRAY<STRUCT<k STRING, v INT64>>"')
    assert.strictEqual(headerCell({ name: "day", type: "DATE" }), "day:DATE")
  })

  it("the SQL around a column shows its type only where one type is possible, or works like any other on no rows", () => {
    const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
      ["SELECT DATE_TRUNC(o.created, MONTH) FROM t AS o", "created", "DATE"],
      ["SELECT FORMAT_TIMESTAMP('%F', o.created) FROM t AS o", "created", "TIMESTAMP"],
      ["SELECT DATE(created, 'Europe/Paris') FROM t", "created", "TIMESTAMP"],
      ["SELECT EXTRACT(YEAR FROM created) FROM t", "created", "DATE"],
      ["SELECT CAST(segments_date AS STRING FORMAT 'YYYYMMDD') FROM t", "segments_date", "DATE"],
      ["SELECT CAST(logged AS STRING FORMAT 'YYYY-MM-DD HH24:MI') FROM t", "logged", "TIMESTAMP"],
      ["SELECT ARRAY_LENGTH(tags) FROM t", "tags", "ARRAY<STRING>"],
      ["SELECT EXTRACT(HOUR FROM created) FROM t", "created", "TIMESTAMP"],
      ["SELECT TIMESTAMP_DIFF(ended, started, SECOND) FROM t", "started", "TIMESTAMP"],
      ["SELECT SUM(amount) FROM t", "amount", "FLOAT64"],
      ["SELECT SUM(amount * 2) FROM t", "amount", "FLOAT64"],
      ["SELECT s.value * r.rate FROM t AS s JOIN r USING (day)", "value", "FLOAT64"],
      ["SELECT s.value * r.rate FROM t AS s JOIN r USING (day)", "rate", "FLOAT64"],
      ["SELECT total / (a + b) FROM t", "total", "FLOAT64"],
      ["SELECT SUM(IF(ok, amount, 0)) FROM t", "amount", undefined],
      ["SELECT * FROM t WHERE MIN > 0", "MIN", "INT64"],
      ["SELECT * FROM t WHERE 0.5 <= ratio", "ratio", "FLOAT64"],
      ["SELECT * FROM t WHERE created >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 3 DAY)", "created", "TIMESTAMP"],
      ["SELECT * FROM t WHERE DATE_SUB(CURRENT_DATE(), INTERVAL 3 DAY) < day", "day", "DATE"],
      ["SELECT * FROM t WHERE day BETWEEN DATE '2024-01-01' AND DATE '2024-02-01'", "day", "DATE"],
      ["SELECT * FROM t WHERE day >= '2024-01-01'", "day", undefined],
      ["SELECT * FROM t WHERE name = other", "name", undefined],
      ["SELECT created + INTERVAL 1 HOUR FROM t", "created", "TIMESTAMP"],
      ["SELECT * FROM t WHERE is_active AND n > 1", "is_active", "BOOL"],
      ["SELECT * FROM t WHERE NOT deleted", "deleted", "BOOL"],
      ["SELECT * FROM t WHERE deleted IS NOT TRUE", "deleted", "BOOL"],
      ["SELECT * FROM t WHERE deleted IS NULL", "deleted", undefined],
      ["SELECT IF(flag, 1, 0) FROM t", "flag", "BOOL"],
      ["SELECT COUNTIF(flag) FROM t", "flag", "BOOL"],
      ["SELECT TIMESTAMP_MICROS(event_timestamp) FROM t", "event_timestamp", "INT64"],
      ["SELECT * FROM t WHERE a = 1 AND flag", "flag", "BOOL"],
      ["SELECT * FROM t WHERE n BETWEEN 1 AND 5", "n", "INT64"],
      ["SELECT COALESCE(spend, 0) FROM t", "spend", "INT64"],
      ["SELECT COALESCE(x, -1.5) FROM t", "x", "FLOAT64"],
      ["SELECT IFNULL(d, DATE '2024-01-01') FROM t", "d", "DATE"],
      ["SELECT COALESCE(a, CURRENT_TIMESTAMP()) FROM t", "a", "TIMESTAMP"],
      ["SELECT COALESCE(a, b) FROM t", "a", undefined],
      ["SELECT COALESCE(x, 0 + y) FROM t", "x", undefined],
      ["SELECT CASE WHEN nb_kids > COUNTIF(guest_type = 'child') OVER (PARTITION BY visit_id) THEN 1 END FROM t", "nb_kids", "INT64"],
      ["SELECT * FROM t WHERE LENGTH(name) = n", "n", "INT64"],
      ["SELECT * FROM t WHERE score < AVG(s) OVER ()", "score", "FLOAT64"],
      ["SELECT * FROM t WHERE d = EXTRACT(DATE FROM ts)", "d", undefined],
      ["SELECT SUM(CASE WHEN s NOT IN ('X') THEN Nights ELSE 0 END) FROM t", "Nights", "INT64"],
      ["SELECT CASE WHEN a THEN 0.5 WHEN b THEN CASE WHEN c THEN 'x' END ELSE ratio END FROM t", "ratio", "FLOAT64"],
      ["SELECT CASE WHEN a THEN amount ELSE 0 + fee END FROM t", "amount", undefined],
      ["SELECT CASE WHEN a THEN d ELSE CURRENT_DATE() END FROM t", "d", "DATE"],
      ["SELECT CASE WHEN a THEN d END FROM t", "d", undefined],
      ["SELECT COALESCE(NET_AMOUNT - RETURN_AMOUNT, 000) / 100 FROM t", "NET_AMOUNT", "FLOAT64"],
      ["SELECT COALESCE(NET_AMOUNT - RETURN_AMOUNT, 000) / 100 FROM t", "RETURN_AMOUNT", "FLOAT64"],
      ["SELECT IFNULL(-1, a + b) FROM t", "a", "FLOAT64"],
      ["SELECT COALESCE(a - b, c) FROM t", "a", undefined],
      ["SELECT COALESCE(d - 1, DATE '2024-01-01') FROM t", "d", undefined]
    ]
    for (const [sql, column, type] of cases) assert.strictEqual(typeOf(sql, column), type, sql)
  })

  it("the fields read of a column make one STRUCT, nested by path, each field once whatever its case", () => {
    assert.strictEqual(
      structOf([{ path: ["page", "url"] }, { path: ["owner", "id"], type: "INT64" }, { path: ["Page", "title"] }, { path: ["owner", "id"] }, { path: ["first seen"], type: "DATE" }]),
      "STRUCT<page STRUCT<url STRING, title STRING>, owner STRUCT<id INT64>, `first seen` DATE>"
    )
  })

  it("a path through an array's elements makes the field an ARRAY, its elements' reads merged, a field read of the array itself an element's", () => {
    assert.strictEqual(
      structOf([
        { path: ["code", "coding", ELEMENTS, "code"] },
        { path: ["code", "coding", ELEMENTS, "display"] },
        { path: ["code", "coding", "system"] },
        { path: ["tags", ELEMENTS], type: "INT64" },
        { path: ["ext", ELEMENTS, "extension", ELEMENTS, "value"], type: "FLOAT64" }
      ]),
      "STRUCT<code STRUCT<coding ARRAY<STRUCT<code STRING, display STRING, system STRING>>>, tags ARRAY<INT64>, ext ARRAY<STRUCT<extension ARRAY<STRUCT<value FLOAT64>>>>>"
    )
  })

  it("a STRUCT or ARRAY type reads back as the fields it holds, so that structOf rebuilds it; a scalar or broken type is none", () => {
    const type = "STRUCT<id STRING, `end` DATE, code STRUCT<coding ARRAY<STRUCT<code STRING, n NUMERIC(10, 2)>>>, tags ARRAY<INT64>>"
    const fields = fieldsOfType(type)
    assert.deepStrictEqual(fields, [
      { path: ["id"], type: "STRING" },
      { path: ["end"], type: "DATE" },
      { path: ["code", "coding", ELEMENTS, "code"], type: "STRING" },
      { path: ["code", "coding", ELEMENTS, "n"], type: "NUMERIC(10, 2)" },
      { path: ["tags", ELEMENTS], type: "INT64" }
    ])
    assert.strictEqual(structOf(fields!), "STRUCT<id STRING, `end` DATE, code STRUCT<coding ARRAY<STRUCT<code STRING, n NUMERIC(10, 2)>>>, tags ARRAY<INT64>>")
    assert.deepStrictEqual(fieldsOfType("ARRAY<STRUCT<key STRING>>"), [{ path: [ELEMENTS, "key"], type: "STRING" }])
    assert.isUndefined(fieldsOfType("INT64"))
    assert.isUndefined(fieldsOfType("STRUCT<a STRING"))
    assert.isUndefined(fieldsOfType("STRUCT<a STRING> trailing"))
  })
})

describe("GA4's documented export columns", () => {
  it("items carry their item_params (an array of key and value, as event_params), and the session's last-click sources are a STRUCT of campaigns", () => {
    const items = ga4Column("events_*", "items")
    assert.strictEqual(items?.kind, "array")
    const params = items?.kind === "array" ? items.fields.filter((field) => field.path[0] === "item_params") : []
    assert.strictEqual(structOf(params), "STRUCT<item_params ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value INT64, float_value FLOAT64, double_value FLOAT64>>>>")
    const lastClick = ga4Column("events_20240101", "session_traffic_source_last_click")
    const campaigns = lastClick?.kind === "struct" ? lastClick.fields.filter((field) => field.path[0] === "manual_campaign" && field.path[1] === "source") : []
    assert.deepStrictEqual(campaigns, [{ path: ["manual_campaign", "source"], type: "STRING" }])
  })
})
