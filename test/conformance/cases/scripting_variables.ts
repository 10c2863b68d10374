import type { QueryCase } from "../case.ts"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "DECLARE \u2026 DEFAULT (subquery), then the variable in a filter", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#declare", sql: "DECLARE threshold INT64 DEFAULT (SELECT MAX(n) - 1 FROM conformance.numbers); SELECT COUNT(*) AS v FROM conformance.numbers WHERE n >= threshold", expected: [{ v: 2 }] },
  { name: "DECLARE without DEFAULT is NULL of its type", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#declare", sql: "DECLARE a, b INT64; SELECT a IS NULL AND b IS NULL AS v", expected: [{ v: true }] },
  { name: "DECLARE gives every name the default; SET; names ignore case", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#declare", sql: "DECLARE a, b INT64 DEFAULT 2; SET B = b + 1; SELECT A * 10 + b AS v", expected: [{ v: 23 }] },
  { name: "a variable as an INTERVAL's quantity (GA4's look-back days)", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#interval_type", sql: "DECLARE lookback_days INT64 DEFAULT 3; SELECT DATE_SUB(DATE '2024-01-10', INTERVAL lookback_days DAY) AS d, DATE_ADD(DATE '2024-01-10', INTERVAL lookback_days + 1 DAY) AS e, TIMESTAMP_SUB(TIMESTAMP '2024-01-10 00:00:00+00', INTERVAL lookback_days HOUR) AS t", expected: [{ d: "2024-01-07", e: "2024-01-14", t: "2024-01-09 21:00:00+00" }] }
]
