import type { QueryCase } from "../case.ts"

const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax"

export const cases: ReadonlyArray<QueryCase> = [
  { name: "INSERT with a column list, then SELECT", doc: `${DOC}#insert_statement`, sql: "CREATE TABLE ins (a INT64, b STRING); INSERT INTO ins (b, a) VALUES ('x', 1), ('y', 2); SELECT STRING_AGG(CONCAT(b, CAST(a AS STRING)), ',' ORDER BY a) AS v FROM ins", expected: [{ v: "x1,y2" }] },
  { name: "UPDATE … WHERE", doc: `${DOC}#update_statement`, sql: "CREATE TABLE upd AS SELECT * FROM UNNEST([1, 2, 3]) AS n; UPDATE upd SET n = n * 10 WHERE n > 1; SELECT ARRAY_AGG(n ORDER BY n) AS v FROM upd", expected: [{ v: [1, 20, 30] }] },
  { name: "DELETE … WHERE", doc: `${DOC}#delete_statement`, sql: "CREATE TABLE del AS SELECT * FROM UNNEST([1, 2, 3]) AS n; DELETE FROM del WHERE n = 2; SELECT ARRAY_AGG(n ORDER BY n) AS v FROM del", expected: [{ v: [1, 3] }] },
  { name: "MERGE updates matches and inserts the rest", doc: `${DOC}#merge_statement`, sql: "CREATE TABLE tgt AS SELECT 1 AS id, 'old' AS v; CREATE TABLE src AS SELECT 1 AS id, 'new' AS v UNION ALL SELECT 2, 'added'; MERGE tgt T USING src S ON T.id = S.id WHEN MATCHED THEN UPDATE SET v = S.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (S.id, S.v); SELECT STRING_AGG(v, ',' ORDER BY id) AS v FROM tgt", expected: [{ v: "new,added" }] },
  { name: "MERGE … WHEN NOT MATCHED BY SOURCE THEN DELETE", doc: `${DOC}#merge_statement`, sql: "CREATE TABLE tgt2 AS SELECT * FROM UNNEST([1, 2, 3]) AS id; CREATE TABLE src2 AS SELECT 2 AS id; MERGE tgt2 T USING src2 S ON T.id = S.id WHEN NOT MATCHED BY SOURCE THEN DELETE; SELECT ARRAY_AGG(id) AS v FROM tgt2", expected: [{ v: [2] }] },
  { name: "CREATE TABLE … AS SELECT, then CREATE OR REPLACE", doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_table_statement", sql: "CREATE TABLE ctas AS SELECT 1 AS a; CREATE OR REPLACE TABLE ctas AS SELECT 2 AS a, 3 AS b; SELECT a + b AS v FROM ctas", expected: [{ v: 5 }] },
  { name: "TRUNCATE TABLE empties it", doc: `${DOC}#truncate_table_statement`, sql: "CREATE TABLE tr AS SELECT 1 AS a; TRUNCATE TABLE tr; SELECT COUNT(*) AS v FROM tr", expected: [{ v: 0 }] }
]
