import type { QueryCase } from "../case.ts"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "SAFE. prefix returns NULL instead of an error", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-reference#safe_prefix", sql: "SELECT SAFE.PARSE_DATE('%Y-%m-%d', 'nope') AS v", expected: [{ v: null }] },
  { name: "* EXCEPT drops columns", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#select_except", sql: "SELECT * EXCEPT (a) FROM (SELECT 1 AS a, 2 AS b)", expected: [{ b: 2 }] },
  { name: "* REPLACE replaces columns", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#select_replace", sql: "SELECT * REPLACE (3 AS a) FROM (SELECT 1 AS a, 2 AS b)", expected: [{ a: 3, b: 2 }] },
  { name: "QUALIFY", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#qualify_clause", sql: "SELECT a FROM (SELECT 1 AS a, 1 AS b UNION ALL SELECT 2, 2) WHERE TRUE QUALIFY ROW_NUMBER() OVER (ORDER BY b DESC) = 1", expected: [{ a: 2 }] },
  { name: "IF, IFNULL, NULLIF", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/conditional_expressions#ifnull", sql: "SELECT IF(1 > 0, 'a', 'b') AS v, IFNULL(NULL, 1) AS w, NULLIF(1, 1) AS x", expected: [{ v: "a", w: 1, x: null }] },
  { name: "Dataform's backticked project.dataset.table", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#table_names", sql: "SELECT COUNT(*) AS v FROM `any-project.conformance.numbers`", expected: [{ v: 3 }] },
  { name: "Backticked dataset.table", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#table_names", sql: "SELECT MAX(n) AS v FROM `conformance.numbers`", expected: [{ v: 3 }] },
]
