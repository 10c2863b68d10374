import type { QueryCase } from "../case.ts"

const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql"
const SALES = "(SELECT 'a' AS k, 1 AS d, 10 AS v UNION ALL SELECT 'a', 2, 20 UNION ALL SELECT 'a', 3, 20 UNION ALL SELECT 'b', 1, 5)"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "ROW_NUMBER, RANK and DENSE_RANK on ties", doc: `${DOC}/numbering_functions#rank`, sql: `SELECT STRING_AGG(CONCAT(CAST(r AS STRING), CAST(rk AS STRING), CAST(dr AS STRING)), ',' ORDER BY d) AS v FROM (SELECT d, ROW_NUMBER() OVER (ORDER BY v DESC, d) AS r, RANK() OVER (ORDER BY v DESC) AS rk, DENSE_RANK() OVER (ORDER BY v DESC) AS dr FROM ${SALES} WHERE k = 'a')`, expected: [{ v: "332,111,211" }] },
  { name: "LAG with a default", doc: `${DOC}/navigation_functions#lag`, sql: `SELECT ARRAY_AGG(p ORDER BY d) AS v FROM (SELECT d, LAG(v, 1, 0) OVER (ORDER BY d) AS p FROM ${SALES} WHERE k = 'a')`, expected: [{ v: [0, 10, 20] }] },
  { name: "a running SUM over a ROWS frame", doc: `${DOC}/window-function-calls#def_window_frame`, sql: `SELECT ARRAY_AGG(s ORDER BY d) AS v FROM (SELECT d, SUM(v) OVER (PARTITION BY k ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM ${SALES} WHERE k = 'a')`, expected: [{ v: [10, 30, 50] }] },
  { name: "a RANGE frame includes peers", doc: `${DOC}/window-function-calls#def_window_frame`, sql: `SELECT ARRAY_AGG(s ORDER BY d) AS v FROM (SELECT d, SUM(v) OVER (ORDER BY v RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM ${SALES} WHERE k = 'a')`, expected: [{ v: [10, 50, 50] }] },
  { name: "FIRST_VALUE and LAST_VALUE over the whole partition", doc: `${DOC}/navigation_functions#first_value`, sql: `SELECT DISTINCT FIRST_VALUE(d) OVER w AS f, LAST_VALUE(d) OVER w AS l FROM ${SALES} WHERE k = 'a' WINDOW w AS (ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`, expected: [{ f: 1, l: 3 }] },
  { name: "COUNT(*) OVER a partition", doc: `${DOC}/aggregate_functions#count`, sql: `SELECT k, MAX(c) AS v FROM (SELECT k, COUNT(*) OVER (PARTITION BY k) AS c FROM ${SALES}) GROUP BY k ORDER BY k`, expected: [{ k: "a", v: 3 }, { k: "b", v: 1 }] },
  { name: "NTILE splits rows into buckets", doc: `${DOC}/numbering_functions#ntile`, sql: "SELECT ARRAY_AGG(b ORDER BY x) AS v FROM (SELECT x, NTILE(2) OVER (ORDER BY x) AS b FROM UNNEST([1, 2, 3, 4, 5]) AS x)", expected: [{ v: [1, 1, 1, 2, 2] }] },
  { name: "PERCENT_RANK and CUME_DIST", doc: `${DOC}/numbering_functions#percent_rank`, sql: "SELECT ARRAY_AGG(STRUCT(p, c) ORDER BY x) AS v FROM (SELECT x, PERCENT_RANK() OVER (ORDER BY x) AS p, CUME_DIST() OVER (ORDER BY x) AS c FROM UNNEST([1, 2, 3]) AS x)", expected: [{ v: [{ p: 0, c: 1 / 3 }, { p: 0.5, c: 2 / 3 }, { p: 1, c: 1 }] }] },
  { name: "QUALIFY keeps the latest row per key", doc: `${DOC}/query-syntax#qualify_clause`, sql: `SELECT k, d FROM ${SALES} WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY d DESC) = 1 ORDER BY k`, expected: [{ k: "a", d: 3 }, { k: "b", d: 1 }] },
  { name: "QUALIFY before a WINDOW clause that names its window", doc: `${DOC}/query-syntax#window_clause`, sql: `SELECT k, d FROM ${SALES} WHERE TRUE QUALIFY ROW_NUMBER() OVER latest = 1 WINDOW latest AS (PARTITION BY k ORDER BY d DESC) ORDER BY k`, expected: [{ k: "a", d: 3 }, { k: "b", d: 1 }] }
]
