import type { QueryCase } from "../case.ts"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "CONCAT with a NULL argument is NULL", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#concat", sql: "SELECT CONCAT('a', NULL) AS v, CONCAT('a', 'b', 'c') AS w", expected: [{ v: null, w: "abc" }] },
  { name: "FORMAT is printf-style", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#format_string", sql: "SELECT FORMAT('%d-%s', 7, 'a') AS v", expected: [{ v: "7-a" }] },
  { name: "TO_HEX(MD5())", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/hash_functions#md5", sql: "SELECT TO_HEX(MD5('abc')) AS v", expected: [{ v: "900150983cd24fb0d6963f7d28e17f72" }] },
  { name: "INITCAP capitalises after BigQuery's delimiters", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#initcap", sql: "SELECT INITCAP('hello wORLD-foo bar_baz') AS v", expected: [{ v: "Hello World-Foo Bar_Baz" }] },
  { name: "INITCAP of NULL and the empty string", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#initcap", sql: "SELECT INITCAP(NULL) AS v, INITCAP('') AS w", expected: [{ v: null, w: "" }] },
  { name: "SPLIT on a delimiter", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#split", sql: "SELECT SPLIT('a,b,,c', ',') AS v", expected: [{ v: ["a", "b", "", "c"] }] },
  { name: "STRPOS is one-based, 0 when absent", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#strpos", sql: "SELECT STRPOS('foo@example.com', '@') AS v, STRPOS('abc', 'z') AS w", expected: [{ v: 4, w: 0 }] },
  { name: "SUBSTR with a negative position counts from the end", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#substr", sql: "SELECT SUBSTR('apple', -3) AS v, SUBSTR('apple', 2, 2) AS w", expected: [{ v: "ple", w: "pp" }] },
  { name: "LPAD and RPAD", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#lpad", sql: "SELECT LPAD('7', 3, '0') AS v, RPAD('ab', 4, '-') AS w", expected: [{ v: "007", w: "ab--" }] },
  { name: "LENGTH counts characters, BYTE_LENGTH bytes", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#length", sql: "SELECT LENGTH('\u00e9t\u00e9') AS v, BYTE_LENGTH('\u00e9t\u00e9') AS w", expected: [{ v: 3, w: 5 }] },
  { name: "STARTS_WITH and ENDS_WITH", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#starts_with", sql: "SELECT STARTS_WITH('campaign_1', 'camp') AS v, ENDS_WITH('campaign_1', '_2') AS w", expected: [{ v: true, w: false }] },
  { name: "TRIM, LTRIM, RTRIM with characters", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#trim", sql: "SELECT TRIM('xxaxx', 'x') AS v, LTRIM('  a ') AS w, RTRIM('a--', '-') AS x", expected: [{ v: "a", w: "a ", x: "a" }] },
  { name: "REPLACE every occurrence", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#replace", sql: "SELECT REPLACE('a.b.c', '.', '/') AS v", expected: [{ v: "a/b/c" }] },
  { name: "LOWER, UPPER and REVERSE", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#reverse", sql: "SELECT LOWER('AbC') AS v, UPPER('abc') AS w, REVERSE('abc') AS x", expected: [{ v: "abc", w: "ABC", x: "cba" }] },
  { name: "REPEAT", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#repeat", sql: "SELECT REPEAT('ab', 3) AS v", expected: [{ v: "ababab" }] },
  { name: "STRING_AGG with a separator and ORDER BY", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/aggregate_functions#string_agg", sql: "SELECT STRING_AGG(x, '|' ORDER BY x DESC) AS v FROM UNNEST(['a', 'c', 'b']) AS x", expected: [{ v: "c|b|a" }] },
  { name: "SHA256 with TO_HEX", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/hash_functions#sha256", sql: "SELECT TO_HEX(SHA256('abc')) AS v", expected: [{ v: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" }] },
  { name: "LEFT and RIGHT", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#left", sql: "SELECT LEFT('banana', 3) AS v, RIGHT('banana', 2) AS w", expected: [{ v: "ban", w: "na" }] },
]
