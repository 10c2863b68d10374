import type { QueryCase } from "../case.ts"

const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "a trailing comma in the SELECT list", doc: `${DOC}/query-syntax#select_list`, sql: "SELECT a, b, FROM (SELECT 1 AS a, 2 AS b)", expected: [{ a: 1, b: 2 }] },
  { name: "a trailing comma before a closing parenthesis", doc: `${DOC}/query-syntax#select_list`, sql: "SELECT STRUCT(1 AS a, 2 AS b,).b AS v", expected: [{ v: 2 }] },
  { name: "a JSON literal in triple quotes", doc: `${DOC}/lexical#json_literals`, sql: "SELECT JSON_VALUE(JSON '''{\"a\": {\"b\": \"it's\"}}''', '$.a.b') AS v", expected: [{ v: "it's" }] },
  { name: "a reference quoted in parts: `project`.dataset.`table`", doc: `${DOC}/lexical#table_names`, sql: "SELECT MAX(n) AS v FROM `any-project`.conformance.`numbers`", expected: [{ v: 3 }] },
  { name: "a reference with project and dataset in one pair of backticks", doc: `${DOC}/lexical#table_names`, sql: "SELECT MIN(t.n) AS v FROM `any-project.conformance`.numbers AS t", expected: [{ v: 1 }] },
  { name: "pipe syntax: FROM, WHERE, SELECT", doc: `${DOC}/pipe-syntax`, sql: "FROM conformance.numbers |> WHERE n > 1 |> SELECT n * 10 AS v |> ORDER BY v", expected: [{ v: 20 }, { v: 30 }] },
  { name: "pipe syntax: AGGREGATE … GROUP BY", doc: `${DOC}/pipe-syntax#aggregate_pipe_operator`, sql: "FROM UNNEST([STRUCT('x' AS k, 1 AS n), ('x', 2), ('y', 5)]) |> AGGREGATE SUM(n) AS total GROUP BY k |> ORDER BY k", expected: [{ k: "x", total: 3 }, { k: "y", total: 5 }] },
  { name: "pipe syntax: EXTEND, DROP, LIMIT", doc: `${DOC}/pipe-syntax#extend_pipe_operator`, sql: "FROM conformance.numbers |> EXTEND n * n AS square |> DROP n |> ORDER BY square DESC |> LIMIT 1", expected: [{ square: 9 }] },
  { name: "pipe syntax inside a subquery", doc: `${DOC}/pipe-syntax`, sql: "SELECT COUNT(*) AS v FROM (FROM conformance.numbers |> WHERE n >= 2)", expected: [{ v: 2 }] },
  { name: "a UNION ALL chain of 600 branches", doc: `${DOC}/query-syntax#union`, sql: "SELECT COUNT(*) AS v, SUM(n) AS s FROM (" + Array.from({ length: 600 }, (_, i) => `SELECT ${i} AS n`).join(" UNION ALL ") + ")", expected: [{ v: 600, s: 179700 }] },
  { name: "ALTER TABLE … SET OPTIONS changes no data", doc: `${DOC}/data-definition-language#alter_table_set_options_statement`, sql: "ALTER TABLE conformance.numbers SET OPTIONS (description = 'Numbers.'); SELECT COUNT(*) AS v FROM conformance.numbers", expected: [{ v: 3 }] },
  { name: "ALTER TABLE … ADD PRIMARY KEY … NOT ENFORCED is not enforced", doc: `${DOC}/data-definition-language#alter_table_add_primary_key_statement`, sql: "CREATE TABLE pk_demo AS SELECT 1 AS id; ALTER TABLE pk_demo ADD PRIMARY KEY (id) NOT ENFORCED; INSERT INTO pk_demo VALUES (1); SELECT COUNT(*) AS v FROM pk_demo", expected: [{ v: 2 }] },
  { name: "INFORMATION_SCHEMA.TABLES of a dataset", doc: "https://cloud.google.com/bigquery/docs/information-schema-tables", sql: "SELECT table_name, table_type FROM conformance.INFORMATION_SCHEMA.TABLES WHERE table_name = 'numbers'", expected: [{ table_name: "numbers", table_type: "BASE TABLE" }] },
  { name: "INFORMATION_SCHEMA.COLUMNS names BigQuery's types", doc: "https://cloud.google.com/bigquery/docs/information-schema-columns", sql: "CREATE TABLE typed AS SELECT 1 AS i, 'a' AS s, 1.5 AS f, DATE '2024-01-01' AS d, TRUE AS b; SELECT STRING_AGG(CONCAT(column_name, ':', data_type), ',' ORDER BY ordinal_position) AS v FROM `p`.main.INFORMATION_SCHEMA.COLUMNS WHERE table_name = 'typed'", expected: [{ v: "i:INT64,s:STRING,f:FLOAT64,d:DATE,b:BOOL" }] },
  { name: "region-qualified INFORMATION_SCHEMA spans every dataset", doc: "https://cloud.google.com/bigquery/docs/information-schema-intro", sql: "SELECT COUNT(*) AS v FROM `region-us`.INFORMATION_SCHEMA.TABLES WHERE table_schema = 'conformance'", expected: [{ v: 1 }] },
  { name: "a column aliased timestamp is a column, not the type", doc: `${DOC}/lexical#reserved_keywords`, sql: "SELECT t AS timestamp, COUNT(*) AS n FROM (SELECT 1 AS t) GROUP BY t ORDER BY timestamp", expected: [{ timestamp: 1, n: 1 }] },
  { name: "a STRUCT field and a column of type TIMESTAMP are instants", doc: `${DOC}/data-types#timestamp_type`, sql: "CREATE TABLE ts_demo (moment TIMESTAMP, s STRUCT<moment TIMESTAMP>); INSERT INTO ts_demo VALUES (TIMESTAMP '2024-01-01 03:00:00+00', STRUCT(TIMESTAMP '2024-01-01 03:00:00+00' AS moment)); SELECT DATE(moment, 'America/New_York') AS d, DATE(s.moment, 'America/New_York') AS e FROM ts_demo", expected: [{ d: "2023-12-31", e: "2023-12-31" }] }
]
