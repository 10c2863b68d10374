import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { needsInterpreter, parseScript, planScript, runProgram } from "../../runner/script.ts"
import { translate } from "../../runner/translate.ts"
import { Warehouse, type Row } from "../../runner/warehouse.ts"

/**
 * BigQuery's procedural language, each case from its documentation
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language): the script
 * runs through the parser, the translator and the interpreter on a fresh DuckDB, then `check`
 * (BigQuery SQL) must return `expected`.
 */
interface ScriptCase {
  readonly name: string
  readonly doc: string
  readonly script: string
  readonly check: string
  readonly expected: ReadonlyArray<Row>
}

const DOC = "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language"

const cases: ReadonlyArray<ScriptCase> = [
  {
    name: "the script's last statement needs no semicolon, after a block or alone",
    doc: `${DOC}#begin`,
    script: "DECLARE n INT64 DEFAULT (\n  SELECT 2\n);\nCREATE TABLE out (v INT64);\nIF n > 1 THEN\n  INSERT INTO out VALUES (n);\nEND IF;\nINSERT INTO out VALUES (n * 10)",
    check: "SELECT v FROM out ORDER BY v",
    expected: [{ v: 2 }, { v: 20 }]
  },
  {
    name: "IF … ELSEIF … ELSE runs the first branch whose condition is TRUE",
    doc: `${DOC}#if`,
    script: "DECLARE n INT64 DEFAULT 5; CREATE TABLE out (v STRING); IF n < 3 THEN INSERT INTO out VALUES ('small'); ELSEIF n < 10 THEN INSERT INTO out VALUES ('medium'); ELSEIF n < 100 THEN INSERT INTO out VALUES ('large'); ELSE INSERT INTO out VALUES ('huge'); END IF;",
    check: "SELECT v FROM out",
    expected: [{ v: "medium" }]
  },
  {
    name: "an IF whose condition is NULL takes the ELSE branch",
    doc: `${DOC}#if`,
    script: "DECLARE n INT64; CREATE TABLE out (v STRING); IF n > 0 THEN INSERT INTO out VALUES ('then'); ELSE INSERT INTO out VALUES ('else'); END IF;",
    check: "SELECT v FROM out",
    expected: [{ v: "else" }]
  },
  {
    name: "an error inside a transaction goes to the handler, whose ROLLBACK discards the transaction's work, its own writes before it included",
    doc: "https://cloud.google.com/bigquery/docs/transactions#transaction_scope",
    script:
      "CREATE TABLE NewArrivals (product STRING, quantity INT64); CREATE TABLE log (m STRING);\n" +
      "BEGIN\n  BEGIN TRANSACTION;\n  INSERT INTO NewArrivals VALUES ('top load washer', 100);\n  SELECT 1/0;\n  COMMIT TRANSACTION;\n" +
      "EXCEPTION WHEN ERROR THEN\n  INSERT INTO log VALUES ('inside: ' || @@error.message);\n  ROLLBACK TRANSACTION;\n  INSERT INTO log VALUES ('after the rollback');\nEND;\n" +
      "BEGIN TRANSACTION; INSERT INTO NewArrivals VALUES ('dryer', 5); COMMIT TRANSACTION;",
    check: "SELECT (SELECT ARRAY_AGG(product) FROM NewArrivals) AS products, (SELECT ARRAY_AGG(m) FROM log) AS logged",
    expected: [{ products: ["dryer"], logged: ["after the rollback"] }]
  },
  {
    name: "WHILE repeats while its condition is TRUE",
    doc: `${DOC}#while`,
    script: "DECLARE i INT64 DEFAULT 0; CREATE TABLE out (v INT64); WHILE i < 3 DO SET i = i + 1; INSERT INTO out VALUES (i); END WHILE;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: [1, 2, 3] }]
  },
  {
    name: "LOOP runs until BREAK",
    doc: `${DOC}#break`,
    script: "DECLARE i INT64 DEFAULT 0; CREATE TABLE out AS SELECT 0 AS v; LOOP SET i = i + 1; IF i >= 4 THEN BREAK; END IF; END LOOP; UPDATE out SET v = i WHERE TRUE;",
    check: "SELECT v FROM out",
    expected: [{ v: 4 }]
  },
  {
    name: "LEAVE is a synonym of BREAK, ITERATE of CONTINUE",
    doc: `${DOC}#leave`,
    script: "DECLARE i INT64 DEFAULT 0; CREATE TABLE out (v INT64); LOOP SET i = i + 1; IF i > 5 THEN LEAVE; END IF; IF MOD(i, 2) = 0 THEN ITERATE; END IF; INSERT INTO out VALUES (i); END LOOP;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: [1, 3, 5] }]
  },
  {
    name: "CONTINUE skips the rest of the body",
    doc: `${DOC}#continue`,
    script: "DECLARE i INT64 DEFAULT 0; CREATE TABLE out (v INT64); WHILE i < 6 DO SET i = i + 1; IF i IN (2, 4) THEN CONTINUE; END IF; INSERT INTO out VALUES (i); END WHILE;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: [1, 3, 5, 6] }]
  },
  {
    name: "REPEAT runs its body once before testing UNTIL",
    doc: `${DOC}#repeat`,
    script: "DECLARE i INT64 DEFAULT 10; CREATE TABLE out (v INT64); REPEAT INSERT INTO out VALUES (i); SET i = i + 1; UNTIL i > 5 END REPEAT;",
    check: "SELECT ARRAY_AGG(v) AS v FROM out",
    expected: [{ v: [10] }]
  },
  {
    name: "FOR … IN iterates the query's rows, reading fields of the row variable",
    doc: `${DOC}#for-in`,
    script: "CREATE TABLE out (v STRING); FOR record IN (SELECT word, word_count FROM UNNEST([STRUCT('a' AS word, 2 AS word_count), ('b', 3)])) DO INSERT INTO out VALUES (CONCAT(record.word, ':', CAST(record.word_count * 10 AS STRING))); END FOR;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: ["a:20", "b:30"] }]
  },
  {
    name: "FOR evaluates its query once, before the first iteration",
    doc: `${DOC}#for-in`,
    script: "CREATE TABLE t AS SELECT 1 AS n; FOR r IN (SELECT n FROM t) DO INSERT INTO t VALUES (r.n + 1); END FOR;",
    check: "SELECT COUNT(*) AS v FROM t",
    expected: [{ v: 2 }]
  },
  {
    name: "a labelled BREAK leaves the outer loop",
    doc: `${DOC}#labels`,
    script: "DECLARE i INT64 DEFAULT 0; DECLARE j INT64; CREATE TABLE out (v STRING); outer_loop: LOOP SET i = i + 1; SET j = 0; LOOP SET j = j + 1; IF i = 2 AND j = 2 THEN BREAK outer_loop; END IF; IF j >= 3 THEN BREAK; END IF; INSERT INTO out VALUES (FORMAT('%d.%d', i, j)); END LOOP; END LOOP outer_loop;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: ["1.1", "1.2", "2.1"] }]
  },
  {
    name: "a labelled CONTINUE goes on with the outer loop",
    doc: `${DOC}#labels`,
    script: "DECLARE i INT64 DEFAULT 0; CREATE TABLE out (v INT64); outer_loop: WHILE i < 3 DO SET i = i + 1; LOOP CONTINUE outer_loop; END LOOP; END WHILE;",
    check: "SELECT 1 AS v",
    expected: [{ v: 1 }]
  },
  {
    name: "BEGIN … EXCEPTION catches an error and reads @@error.message",
    doc: `${DOC}#beginexceptionend`,
    script: "CREATE TABLE out (v STRING); BEGIN SELECT ERROR('boom'); INSERT INTO out VALUES ('not reached'); EXCEPTION WHEN ERROR THEN INSERT INTO out VALUES (CONCAT('caught: ', @@error.message)); END;",
    check: "SELECT v FROM out",
    expected: [{ v: "caught: boom" }]
  },
  {
    name: "@@error.statement_text is the failing statement as the script wrote it",
    doc: `${DOC}#beginexceptionend`,
    script: "CREATE TABLE out (v STRING); BEGIN\n  SELECT 1/0;\nEXCEPTION WHEN ERROR THEN\n  INSERT INTO out VALUES (@@error.statement_text);\nEND;",
    check: "SELECT v FROM out",
    expected: [{ v: "SELECT 1/0" }]
  },
  {
    name: "statements before an error inside a block stay done (a script is not a transaction)",
    doc: `${DOC}#beginexceptionend`,
    script: "CREATE TABLE out (v INT64); BEGIN INSERT INTO out VALUES (1); SELECT ERROR('x'); EXCEPTION WHEN ERROR THEN INSERT INTO out VALUES (2); END;",
    check: "SELECT ARRAY_AGG(v ORDER BY v) AS v FROM out",
    expected: [{ v: [1, 2] }]
  },
  {
    name: "RAISE USING MESSAGE is caught with its message",
    doc: `${DOC}#raise`,
    script: "CREATE TABLE out (v STRING); BEGIN RAISE USING MESSAGE = CONCAT('bad ', 'input'); EXCEPTION WHEN ERROR THEN INSERT INTO out VALUES (@@error.message); END;",
    check: "SELECT v FROM out",
    expected: [{ v: "bad input" }]
  },
  {
    name: "a bare RAISE in a handler re-raises to the enclosing handler",
    doc: `${DOC}#raise`,
    script: "CREATE TABLE out (v STRING); BEGIN BEGIN RAISE USING MESSAGE = 'inner'; EXCEPTION WHEN ERROR THEN RAISE; END; EXCEPTION WHEN ERROR THEN INSERT INTO out VALUES (CONCAT('outer saw ', @@error.message)); END;",
    check: "SELECT v FROM out",
    expected: [{ v: "outer saw inner" }]
  },
  {
    name: "DECLARE at the start of a BEGIN block, seen inside it",
    doc: `${DOC}#begin`,
    script: "DECLARE a INT64 DEFAULT 1; CREATE TABLE out (v INT64); BEGIN DECLARE b INT64 DEFAULT 10; INSERT INTO out VALUES (a + b); END;",
    check: "SELECT v FROM out",
    expected: [{ v: 11 }]
  },
  {
    name: "RETURN ends the script",
    doc: `${DOC}#return`,
    script: "CREATE TABLE out (v INT64); INSERT INTO out VALUES (1); IF TRUE THEN RETURN; END IF; INSERT INTO out VALUES (2);",
    check: "SELECT ARRAY_AGG(v) AS v FROM out",
    expected: [{ v: [1] }]
  },
  {
    name: "EXECUTE IMMEDIATE runs SQL built at run time, INTO and positional USING",
    doc: `${DOC}#execute_immediate`,
    script: "DECLARE total INT64; DECLARE label STRING; EXECUTE IMMEDIATE 'SELECT ? + ?, CONCAT(\"n\", CAST(? AS STRING))' INTO total, label USING 2, 3, 7; CREATE TABLE out AS SELECT total AS v, label AS w;",
    check: "SELECT v, w FROM out",
    expected: [{ v: 5, w: "n7" }]
  },
  {
    name: "EXECUTE IMMEDIATE with named parameters and a table name made at run time",
    doc: `${DOC}#execute_immediate`,
    script: "DECLARE suffix STRING DEFAULT '2024'; EXECUTE IMMEDIATE CONCAT('CREATE TABLE out_', suffix, ' AS SELECT @x * 2 AS v') USING 21 AS x;",
    check: "SELECT v FROM out_2024",
    expected: [{ v: 42 }]
  },
  {
    name: "EXECUTE IMMEDIATE of a statement whose values FORMAT wrote as literals with %T",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#format_tT",
    script: "DECLARE since DATE DEFAULT '2024-01-02'; DECLARE who STRING DEFAULT 'it''s \"me\"'; CREATE TABLE visits AS SELECT * FROM UNNEST([STRUCT(DATE '2024-01-01' AS day, 'it''s \"me\"' AS name), (DATE '2024-01-03', 'it''s \"me\"'), (DATE '2024-01-04', 'other')]); EXECUTE IMMEDIATE FORMAT('CREATE TABLE out AS SELECT COUNT(*) AS v FROM visits WHERE day >= %T AND name = %T', since, who);",
    check: "SELECT v FROM out",
    expected: [{ v: 1 }]
  },
  {
    name: "@@row_count is the rows the previous DML statement changed",
    doc: "https://cloud.google.com/bigquery/docs/reference/system-variables",
    script: "DECLARE inserted, updated, deleted INT64; CREATE TABLE t (n INT64); INSERT INTO t SELECT * FROM UNNEST([1, 2, 3, 4]); SET inserted = @@row_count; UPDATE t SET n = n * 10 WHERE n > 2; SET updated = @@row_count; DELETE FROM t WHERE n = 1; SET deleted = @@row_count; CREATE TABLE out AS SELECT inserted, updated, deleted;",
    check: "SELECT inserted, updated, deleted FROM out",
    expected: [{ inserted: 4, updated: 2, deleted: 1 }]
  },
  {
    name: "@@row_count written inside a string is text",
    doc: "https://cloud.google.com/bigquery/docs/reference/system-variables",
    script: "CREATE TABLE out (v STRING, n INT64); INSERT INTO out VALUES ('@@row_count', NULL); UPDATE out SET n = @@row_count WHERE TRUE;",
    check: "SELECT v, n FROM out",
    expected: [{ v: "@@row_count", n: 1 }]
  },
  {
    name: "a condition can be a subquery over the warehouse",
    doc: `${DOC}#if`,
    script: "CREATE TABLE t AS SELECT 3 AS n; CREATE TABLE out (v STRING); IF EXISTS (SELECT 1 FROM t WHERE n > 2) THEN INSERT INTO out VALUES ('yes'); END IF; IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO out VALUES ('empty'); END IF;",
    check: "SELECT ARRAY_AGG(v) AS v FROM out",
    expected: [{ v: ["yes"] }]
  },
  {
    name: "CASE … END inside a condition does not end the IF",
    doc: `${DOC}#if`,
    script: "DECLARE n INT64 DEFAULT 2; CREATE TABLE out (v STRING); IF CASE WHEN n = 2 THEN TRUE ELSE FALSE END THEN INSERT INTO out VALUES (CASE n WHEN 2 THEN 'two' END); END IF;",
    check: "SELECT v FROM out",
    expected: [{ v: "two" }]
  },
  {
    name: "the CASE statement runs the first WHEN whose condition is TRUE, or ELSE",
    doc: `${DOC}#case_search_expression`,
    script: "DECLARE n INT64 DEFAULT 2;\nCREATE TABLE out (v STRING);\nCASE\n  WHEN n > 5 THEN INSERT INTO out VALUES ('big');\n  WHEN n > 1 THEN INSERT INTO out VALUES ('some');\n  ELSE INSERT INTO out VALUES ('none');\nEND CASE;\nCASE\n  WHEN n > 5 THEN INSERT INTO out VALUES ('never');\nEND CASE;",
    check: "SELECT v FROM out",
    expected: [{ v: "some" }]
  },
  {
    name: "the CASE statement with a subject compares it with each WHEN",
    doc: `${DOC}#case`,
    script: "DECLARE kind STRING DEFAULT 'b';\nCREATE TABLE out (v STRING);\nCASE kind\n  WHEN 'a' THEN INSERT INTO out VALUES ('first');\n  WHEN 'b' THEN INSERT INTO out VALUES ('second'); INSERT INTO out VALUES ('again');\n  ELSE INSERT INTO out VALUES ('other');\nEND CASE;",
    check: "SELECT STRING_AGG(v, ',' ORDER BY v) AS v FROM out",
    expected: [{ v: "again,second" }]
  },
  {
    name: "ASSERT that holds lets the script go on",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/debugging-statements#assert",
    script: "CREATE TABLE out AS SELECT 1 AS v;\nASSERT (SELECT COUNT(*) FROM out) = 1 AS 'one row';\nINSERT INTO out VALUES (2);",
    check: "SELECT COUNT(*) AS n FROM out",
    expected: [{ n: 2 }]
  },
  {
    name: "a field of a STRUCT variable, beside a table's column",
    doc: `${DOC}#declare`,
    script: "DECLARE s STRUCT<a INT64, b STRING> DEFAULT (1, 'x'); DECLARE cfg STRUCT<days INT64> DEFAULT STRUCT(3 AS days); CREATE TABLE src AS SELECT 5 AS a; CREATE TABLE out AS SELECT s.a + src.a AS v, s.b AS b FROM src; INSERT INTO out SELECT x, 'y' FROM UNNEST(GENERATE_ARRAY(1, 10)) AS x WHERE x <= cfg.days;",
    check: "SELECT SUM(v) AS total, MAX(b) AS b FROM out",
    expected: [{ total: 12, b: "y" }]
  },
  {
    name: "keys replaced by a script that drops the foreign keys INFORMATION_SCHEMA lists, twice over, ends with one set",
    doc: "https://cloud.google.com/bigquery/docs/information-schema-table-constraints",
    script: "CREATE SCHEMA d; CREATE TABLE d.customers (id INT64); ALTER TABLE d.customers ADD PRIMARY KEY (id) NOT ENFORCED; CREATE TABLE d.orders (id INT64, customer_id INT64);\nLOOP\n  IF TRUE THEN\n    ALTER TABLE d.orders DROP PRIMARY KEY IF EXISTS;\n    FOR constraint_to_drop IN (SELECT SPLIT(constraint_name, '.')[OFFSET(1)] AS name FROM d.INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE constraint_type = 'FOREIGN KEY' AND table_name = 'orders') DO\n      EXECUTE IMMEDIATE FORMAT('ALTER TABLE d.orders DROP CONSTRAINT IF EXISTS %s', constraint_to_drop.name);\n    END FOR;\n    ALTER TABLE d.orders ADD PRIMARY KEY (id) NOT ENFORCED;\n    ALTER TABLE d.orders ADD CONSTRAINT customer_id_relationship FOREIGN KEY (customer_id) REFERENCES d.customers(id) NOT ENFORCED;\n  END IF;\n  IF (SELECT COUNT(*) FROM d.INFORMATION_SCHEMA.TABLE_CONSTRAINTS) = 3 AND (SELECT COUNT(*) FROM d.customers) = 1 THEN BREAK; END IF;\n  INSERT INTO d.customers VALUES (1);\nEND LOOP;",
    check: "SELECT STRING_AGG(CONCAT(constraint_name, ':', column_name), ',' ORDER BY constraint_name) AS v FROM d.INFORMATION_SCHEMA.KEY_COLUMN_USAGE",
    expected: [{ v: "customers.pk$:id,orders.customer_id_relationship:customer_id,orders.pk$:id" }]
  },
  {
    name: "a table alias named like a script variable is the table: its t.x are the table's columns",
    doc: `${DOC}#declare`,
    script: "DECLARE t INT64 DEFAULT 5; CREATE TABLE out AS SELECT u.x + t.y AS v FROM (SELECT 1 AS x) AS u JOIN (SELECT 1 AS x, 100 AS y) AS t USING (x) WHERE t.y > 1",
    check: "SELECT v FROM out",
    expected: [{ v: 101 }]
  },
  {
    name: "an INSERT's column list names the table's columns, even one named like a variable, which VALUES reads",
    doc: `${DOC}#declare`,
    script: "DECLARE name STRING DEFAULT 'alice'; CREATE TABLE out (id INT64, name STRING); INSERT INTO out (id, name) VALUES (1, name); INSERT out (name, id) SELECT CONCAT(name, '!'), 2;",
    check: "SELECT id, name FROM out ORDER BY id",
    expected: [{ id: 1, name: "alice" }, { id: 2, name: "alice!" }]
  },
  {
    name: "CALL runs a procedure with an OUT parameter, which sets the caller's variable",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_procedure",
    script:
      "DECLARE id STRING;\nCREATE SCHEMA mydataset; CREATE TABLE mydataset.customers (customer_id STRING, name STRING);\n" +
      "CREATE PROCEDURE mydataset.create_customer(name STRING, OUT id STRING)\nBEGIN\n  SET id = CONCAT('c-', name);\n  INSERT INTO mydataset.customers (customer_id, name) VALUES(id, name);\nEND;\n" +
      "CALL mydataset.create_customer(\"alice\", id);\nCREATE TABLE out AS SELECT * FROM mydataset.customers WHERE customer_id = id;",
    check: "SELECT customer_id, name FROM out",
    expected: [{ customer_id: "c-alice", name: "alice" }]
  },
  {
    name: "an INOUT parameter carries the caller's value in and the procedure's out, call after call",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_procedure",
    script:
      "DECLARE accumulator INT64 DEFAULT 0;\nCREATE OR REPLACE PROCEDURE AddDelta(INOUT x INT64, delta INT64)\nBEGIN\n  SET x = x + delta;\nEND;\n" +
      "CALL AddDelta(accumulator, 5);\nCALL AddDelta(accumulator, 3);\nCREATE TABLE out AS SELECT accumulator AS v;",
    check: "SELECT v FROM out",
    expected: [{ v: 8 }]
  },
  {
    name: "a procedure's variables are its own: the caller's of the same names keep their values, and RETURN leaves only the procedure",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#return",
    script:
      "DECLARE x INT64 DEFAULT 1;\nDECLARE n INT64 DEFAULT 2;\nCREATE TABLE out (step STRING, v INT64);\n" +
      "CREATE PROCEDURE mydataset.p(x INT64)\nBEGIN\n  DECLARE n INT64 DEFAULT x * 10;\n  INSERT INTO out VALUES ('inside', n + x);\n  IF n > 0 THEN RETURN; END IF;\n  INSERT INTO out VALUES ('never', 0);\nEND;\n" +
      "CALL mydataset.p(x + 3);\nINSERT INTO out VALUES ('after', x * 100 + n);",
    check: "SELECT step, v FROM out ORDER BY step",
    expected: [{ step: "after", v: 102 }, { step: "inside", v: 44 }]
  },
  {
    name: "a procedure may CALL another, and itself until its condition stops it",
    doc: "https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#call",
    script:
      "DECLARE trail STRING DEFAULT '';\nCREATE PROCEDURE countdown(n INT64, INOUT trail STRING)\nBEGIN\n  SET trail = CONCAT(trail, CAST(n AS STRING));\n  IF n > 0 THEN CALL countdown(n - 1, trail); END IF;\nEND;\n" +
      "CALL countdown(3, trail);\nCREATE TABLE out AS SELECT trail AS v;",
    check: "SELECT v FROM out",
    expected: [{ v: "3210" }]
  }
]

const runScript = (script: string) =>
  Effect.gen(function* () {
    const program = yield* planScript(yield* parseScript(script, "conformance.sqlx"), "conformance.sqlx")
    yield* runProgram(program, "conformance.sqlx")
  })

describe("BigQuery scripting conformance", () => {
  for (const testCase of cases) {
    it.effect(testCase.name, () =>
      Effect.gen(function* () {
        yield* runScript(testCase.script)
        const statements = yield* translate(testCase.check, { fileName: "check" })
        assert.deepStrictEqual(yield* (yield* Warehouse).query(statements.join(";\n")), testCase.expected)
      }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
  }

  it.effect("a procedure created by one script is called by another, as one Dataform action's is by the next", () =>
    Effect.gen(function* () {
      yield* runScript("CREATE SCHEMA reporting; CREATE TABLE reporting.log (v INT64); CREATE OR REPLACE PROCEDURE `my-project.reporting.note`(v INT64) BEGIN INSERT INTO reporting.log VALUES (v); END;")
      yield* runScript("CALL reporting.note(7); CALL `my-project`.reporting.note(8);")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT v FROM reporting.log ORDER BY v"), [{ v: 7 }, { v: 8 }])
      // CREATE without OR REPLACE refuses an existing one, IF NOT EXISTS leaves it.
      const exists = yield* Effect.flip(runScript("CREATE PROCEDURE reporting.note(v INT64) BEGIN SELECT 1; END;"))
      assert.include(exists.message, "Already Exists: procedure reporting.note")
      yield* runScript("CREATE PROCEDURE IF NOT EXISTS reporting.note() BEGIN SELECT 1; END; CALL reporting.note(9);")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT COUNT(*) AS n FROM reporting.log"), [{ n: 3 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("a handler's COMMIT of a transaction whose statement failed is refused by name, and nothing of it is kept", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.flip(runScript("CREATE TABLE t (v INT64); BEGIN BEGIN TRANSACTION; INSERT INTO t VALUES (1); SELECT 1/0; EXCEPTION WHEN ERROR THEN COMMIT TRANSACTION; END;"))
      assert.include(refused.message, "COMMIT TRANSACTION in an EXCEPTION handler, after a statement of the transaction failed")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT COUNT(*) AS n FROM t"), [{ n: 0 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("a CALL that cannot run says why: no such procedure, the wrong number of arguments, an OUT argument that is not a variable", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(runScript("CALL mydataset.nowhere();"))
      assert.include(missing.message, "conformance.sqlx: Not found: procedure mydataset.nowhere")
      yield* runScript("CREATE PROCEDURE twice(x INT64, OUT y INT64) BEGIN SET y = x * 2; END;")
      assert.include((yield* Effect.flip(runScript("DECLARE y INT64; CALL twice(1);"))).message, "the procedure takes 2 argument(s), the call gives 1")
      assert.include((yield* Effect.flip(runScript("CALL twice(1, 2);"))).message, "the OUT argument y must be a variable")
      // An error inside the procedure reaches the caller's handler, and its variables are the caller's again.
      yield* runScript("CREATE OR REPLACE PROCEDURE fails(y INT64) BEGIN SELECT ERROR(CONCAT('bad ', CAST(y AS STRING))); END;")
      yield* runScript("DECLARE y INT64 DEFAULT 5; CREATE TABLE out (m STRING, v INT64); BEGIN CALL fails(1); EXCEPTION WHEN ERROR THEN INSERT INTO out VALUES (@@error.message, y); END;")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT m, v FROM out"), [{ m: "bad 1", v: 5 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("CREATE PROCEDURE stores a procedure and runs nothing: the statements around it run, its body does not", () =>
    Effect.gen(function* () {
      yield* runScript(
        "CREATE TABLE out AS SELECT 1 AS v;\n" +
          "CREATE OR REPLACE PROCEDURE mydataset.add_two() OPTIONS(description='Adds two; ends the script') BEGIN\n  BEGIN TRANSACTION;\n  INSERT INTO out VALUES (2);\n  IF TRUE THEN INSERT INTO out VALUES (3); END IF;\n  COMMIT TRANSACTION;\nEND;\n" +
          "INSERT INTO out VALUES (4);"
      )
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT v FROM out ORDER BY v"), [{ v: 1 }, { v: 4 }])
      // Alone, without other control flow, it still goes to the interpreter, which reads it as one statement.
      assert.isTrue(needsInterpreter(["CREATE PROCEDURE mydataset.p() BEGIN SELECT 1; SELECT 2; END"]))
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("a table alias named like a script variable and read as a whole row is refused by name, not read as the variable", () =>
    Effect.gen(function* () {
      // BigQuery reads `t` here as the row of the range variable t; it used to read the variable 5.
      const error = yield* Effect.flip(runScript("DECLARE t INT64 DEFAULT 5; CREATE TABLE out AS SELECT TO_JSON_STRING(t) AS v FROM (SELECT 1 AS x) AS t;"))
      assert.include(error.message, "both a script variable and a table alias read as a whole row")
      // Its columns (t.x) and a variable no alias shadows still run.
      yield* runScript("DECLARE t INT64 DEFAULT 5; DECLARE n INT64 DEFAULT 2; CREATE TABLE out AS SELECT t.x + n AS v FROM (SELECT 1 AS x) AS t;")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT v FROM out"), [{ v: 3 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("an uncaught RAISE fails the script with its message, after the statements before it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runScript("CREATE TABLE out AS SELECT 1 AS v; RAISE USING MESSAGE = 'stop here';"))
      assert.strictEqual(error._tag, "ScriptError")
      assert.include(error.message, "conformance.sqlx: stop here")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT v FROM out"), [{ v: 1 }])
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("an ASSERT that does not hold (FALSE or NULL) fails the script with its description", () =>
    Effect.gen(function* () {
      const failed = yield* Effect.flip(runScript("CREATE TABLE out AS SELECT 1 AS v; ASSERT (SELECT COUNT(*) FROM out) = 2 AS 'two rows'; INSERT INTO out VALUES (2);"))
      assert.include(failed.message, "Assertion failed: two rows")
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT COUNT(*) AS n FROM out"), [{ n: 1 }])
      const unknown = yield* Effect.flip(runScript("ASSERT CAST(NULL AS BOOL);"))
      assert.include(unknown.message, "Assertion failed")
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  it.effect("an error outside any handler fails the script", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runScript("BEGIN SELECT ERROR('deep'); END;"))
      assert.strictEqual(error._tag, "WarehouseError")
      assert.include(error.message, "deep")
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))

  const refused: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["DECLARE a INT64; SELECT 1; DECLARE b INT64;", "BigQuery scripting (DECLARE)", /start of a script or of a BEGIN block/],
    ["IF TRUE THEN SELECT 1;", "BigQuery scripting (IF)", /ends inside IF/],
    ["WHILE TRUE DO\n  SELECT 1;\nEND LOOP;", "BigQuery scripting (END LOOP)", /END LOOP closes nothing open here \(line 3\)/],
    ["CREATE PROCEDURE d.spark() WITH CONNECTION `p.us.c` OPTIONS (engine='SPARK') LANGUAGE PYTHON AS r'x';", "BigQuery scripting (CREATE PROCEDURE)", /only SQL procedures/],
    ["CREATE PROCEDURE d.p(x INT64) BEGIN SELECT undeclared_in_p + x; SET undeclared = 1; END;", "BigQuery scripting (SET)", /not declared/],
    ["CASE WHEN TRUE THEN SELECT 1; END IF;", "BigQuery scripting (END IF)", /closes nothing open here/],
    ["SELECT 1;\nRAISE;", "BigQuery scripting (RAISE)", /EXCEPTION handler/],
    ["SET undeclared = 1; IF TRUE THEN SELECT 1; END IF;", "BigQuery scripting (SET)", /not declared/]
  ]
  for (const [script, construct, reason] of refused) {
    it.effect(`refuses, naming the construct and the file: ${script.replaceAll("\n", " ")}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(runScript(script))
        assert.strictEqual(error._tag, "TranslationError")
        if (error._tag !== "TranslationError") return
        assert.strictEqual(error.construct, construct)
        assert.match(error.reason, reason)
        assert.include(error.message, "conformance.sqlx")
      }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
  }
})
