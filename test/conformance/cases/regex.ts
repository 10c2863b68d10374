import type { QueryCase } from "../case.ts"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "REGEXP_CONTAINS is a partial match", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_contains", sql: "SELECT REGEXP_CONTAINS('foobar', r'oba') AS v", expected: [{ v: true }] },
  { name: "REGEXP_CONTAINS honours anchors", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_contains", sql: "SELECT REGEXP_CONTAINS('foobar', r'^oba') AS v", expected: [{ v: false }] },
  { name: "REGEXP_REPLACE replaces every match", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_replace", sql: "SELECT REGEXP_REPLACE('a1b2c3', r'[0-9]', 'X') AS v", expected: [{ v: "aXbXcX" }] },
  { name: "REGEXP_EXTRACT without a group returns the whole match", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_extract", sql: "SELECT REGEXP_EXTRACT('ab123c', r'[0-9]+') AS v", expected: [{ v: "123" }] },
  { name: "REGEXP_EXTRACT with a group returns the group", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_extract", sql: "SELECT REGEXP_EXTRACT('id=42;', r'id=([0-9]+)') AS v", expected: [{ v: "42" }] },
  { name: "REGEXP_EXTRACT_ALL returns every match", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_extract_all", sql: "SELECT REGEXP_EXTRACT_ALL('a1b22c333', r'[0-9]+') AS v", expected: [{ v: ["1", "22", "333"] }] },
  { name: "REGEXP_CONTAINS is case-sensitive unless (?i)", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_contains", sql: "SELECT REGEXP_CONTAINS('Foo', r'foo') AS v, REGEXP_CONTAINS('Foo', r'(?i)foo') AS w", expected: [{ v: false, w: true }] },
  { name: "REGEXP_REPLACE with a back-reference", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_replace", sql: "SELECT REGEXP_REPLACE('2024-05-17', r'(\\d+)-(\\d+)-(\\d+)', r'\\3/\\2/\\1') AS v", expected: [{ v: "17/05/2024" }] },
  { name: "REGEXP_EXTRACT without a match is NULL", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_extract", sql: "SELECT REGEXP_EXTRACT('abc', r'[0-9]+') AS v", expected: [{ v: null }] },
]
