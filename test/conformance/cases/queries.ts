import type { QueryCase } from "../case.ts"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "SAFE. prefix returns NULL instead of an error", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-reference#safe_prefix", sql: "SELECT SAFE.PARSE_DATE('%Y-%m-%d', 'nope') AS v", expected: [{ v: null }] },
  { name: "* EXCEPT drops columns", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#select_except", sql: "SELECT * EXCEPT (a) FROM (SELECT 1 AS a, 2 AS b)", expected: [{ b: 2 }] },
  { name: "* REPLACE replaces columns", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#select_replace", sql: "SELECT * REPLACE (3 AS a) FROM (SELECT 1 AS a, 2 AS b)", expected: [{ a: 3, b: 2 }] },
  { name: "QUALIFY", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#qualify_clause", sql: "SELECT a FROM (SELECT 1 AS a, 1 AS b UNION ALL SELECT 2, 2) WHERE TRUE QUALIFY ROW_NUMBER() OVER (ORDER BY b DESC) = 1", expected: [{ a: 2 }] },
  { name: "IF, IFNULL, NULLIF", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/conditional_expressions#ifnull", sql: "SELECT IF(1 > 0, 'a', 'b') AS v, IFNULL(NULL, 1) AS w, NULLIF(1, 1) AS x", expected: [{ v: "a", w: 1, x: null }] },
  { name: "Dataform's backticked project.dataset.table", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#table_names", sql: "SELECT COUNT(*) AS v FROM `any-project.conformance.numbers`", expected: [{ v: 3 }] },
  { name: "Backticked dataset.table", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#table_names", sql: "SELECT MAX(n) AS v FROM `conformance.numbers`", expected: [{ v: 3 }] },
  { name: "A GROUP BY name output by a SELECT item is that item, not a FROM column of another table", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#group_by_clause", sql: "WITH a AS (SELECT 1 AS k, 'x' AS u UNION ALL SELECT 1, 'x'), b AS (SELECT 1 AS k, 'y' AS u) SELECT a.u, COUNT(*) AS n FROM a JOIN b USING (k) GROUP BY u", expected: [{ u: "x", n: 2 }] },
  { name: "A GROUP BY name in a subquery reads that subquery's SELECT items", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#group_by_clause", sql: "WITH a AS (SELECT 1 AS k, 'x' AS u), b AS (SELECT 1 AS k, 'y' AS u) SELECT u, n FROM (SELECT b.u, COUNT(*) AS n FROM a JOIN b USING (k) GROUP BY u) AS inner_query GROUP BY u, n", expected: [{ u: "y", n: 1 }] },
]
