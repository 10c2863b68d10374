import path from "node:path"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { DuckDBInstance } from "@duckdb/node-api"
import { Effect } from "effect"
import { afterAll } from "vitest"
import type { ActionResult } from "../runner/execute.ts"
import { transform, type TransformOptions } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { localWarehouse } from "./support/local-layers.ts"
import { makeTempProject } from "./support/dataform-project.ts"

/**
 * The demo project: every action type the runner supports, over a raw table that the test
 * loads before the run (as ingestion would).
 */
const demo = makeTempProject(
  {
    "definitions/sources/raw_orders.sqlx": `config { type: "declaration", schema: "raw", name: "orders" }`,
    "definitions/staging/stg_orders.sqlx": `
config { type: "view", schema: "staging", tags: ["staging"], description: "Orders, typed." }
select order_id, customer, cast(amount as numeric) as amount, order_date
from \${ref("orders")}
where regexp_contains(customer, r'^[a-z]')`,
    "definitions/marts/customer_totals.sqlx": `
config {
  type: "table", schema: "marts", tags: ["daily"],
  description: "Totals per customer.",
  columns: { customer: "Customer name", total: "Sum of amounts" },
  assertions: { uniqueKey: ["customer"], nonNull: ["customer", "total"] }
}
pre_operations { create schema if not exists audit }
select customer, sum(amount) as total, count(*) as orders
from \${ref("stg_orders")}
group by customer
post_operations { create or replace table audit.customer_totals_built as select 1 as built }`,
    "definitions/marts/orders_by_day.sqlx": `
config { type: "incremental", schema: "marts", uniqueKey: ["order_date"], tags: ["daily"], description: "Orders per day." }
select order_date, count(*) as orders, sum(amount) as amount
from \${ref("stg_orders")}
\${when(incremental(), \`where order_date >= (select max(order_date) from \${self()})\`)}
group by order_date`,
    "definitions/marts/order_log.sqlx": `
config { type: "incremental", schema: "marts", description: "Append-only log." }
select order_id, '\${dataform.projectConfig.vars.run_label}' as run_label from \${ref("stg_orders")}`,
    "definitions/marts/frozen_orders.sqlx": `
config { type: "incremental", schema: "marts", protected: true, description: "Never rebuilt." }
select order_id from \${ref("stg_orders")}
\${when(incremental(), \`where order_id > (select max(order_id) from \${self()})\`)}`,
    "definitions/marts/disabled_table.sqlx": `config { type: "table", schema: "marts", disabled: true } select 1 as x`,
    "definitions/ops/refresh_calendar.sqlx": `
config { type: "operations", schema: "marts", name: "calendar", hasOutput: true }
create or replace table \${self()} as
select d as day from unnest(generate_date_array(date '2024-01-01', date '2024-01-03')) as d`,
    "definitions/assertions/positive_amounts.sqlx": `
config { type: "assertion", tags: ["daily"] }
select * from \${ref("stg_orders")} where amount < 0`,
    "definitions/tests/customer_totals_test.sqlx": `
config { type: "test", dataset: { schema: "marts", name: "customer_totals" } }
input "stg_orders" { select 'ann' as customer, numeric '2.5' as amount union all select 'ann', numeric '1.5' }
select 'ann' as customer, numeric '4' as total, 2 as orders`
  },
  { run_label: "default" }
)
afterAll(() => demo.cleanup())

const loadRawOrders = (rows: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* warehouse.run([
      "CREATE SCHEMA IF NOT EXISTS raw",
      "CREATE OR REPLACE TABLE raw.orders (order_id INTEGER, customer VARCHAR, amount DOUBLE, order_date DATE)",
      ...rows.map((row) => `INSERT INTO raw.orders VALUES ${row}`)
    ])
  })

const run = (options: Partial<TransformOptions> = {}) => transform({ projectDir: demo.dir, concurrency: 2, ...options })

const byAction = (results: ReadonlyArray<ActionResult>, name: string): ActionResult => {
  const result = results.find((r) => r.action === name)
  assert.isDefined(result, `no result for ${name}: ${results.map((r) => r.action).join(", ")}`)
  return result!
}

const rows = (sql: string) =>
  Effect.gen(function* () {
    return yield* (yield* Warehouse).query(sql)
  })

describe("local Dataform runner", () => {
  it.effect("runs every action type in dependency order and keeps incremental state", () =>
    Effect.gen(function* () {
      yield* loadRawOrders(["(1, 'ann', 2.5, '2024-01-01')", "(2, 'bob', 4, '2024-01-01')", "(3, 'ann', 1.5, '2024-01-02')", "(4, 'Zed', 9, '2024-01-02')"])
      const first = yield* run()
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status !== "succeeded"), null, 2))
      assert.strictEqual(byAction(first.results, "marts.disabled_table").status, "disabled")
      assert.strictEqual(byAction(first.results, "marts.orders_by_day").mode, "full")
      // REGEXP_CONTAINS is a partial match: 'Zed' (upper case) is filtered out, lower-case names kept.
      assert.deepStrictEqual(yield* rows("SELECT customer, total, orders FROM marts.customer_totals ORDER BY customer"), [
        { customer: "ann", total: 4, orders: 2 },
        { customer: "bob", total: 4, orders: 1 }
      ])
      assert.deepStrictEqual(yield* rows("SELECT built FROM audit.customer_totals_built"), [{ built: 1 }])
      assert.deepStrictEqual(yield* rows("SELECT day FROM marts.calendar ORDER BY day"), [
        { day: "2024-01-01" }, { day: "2024-01-02" }, { day: "2024-01-03" }
      ])
      // Built-in assertions from the config ran as their own actions.
      assert.isTrue(first.results.some((r) => r.kind === "assertion" && r.action.includes("uniqueKey") && r.status === "succeeded"))

      // A late order for 2024-01-02 and a new day: the incremental run merges on order_date.
      yield* loadRawOrders(["(1, 'ann', 2.5, '2024-01-01')", "(2, 'bob', 4, '2024-01-01')", "(3, 'ann', 1.5, '2024-01-02')", "(5, 'bob', 1, '2024-01-02')", "(6, 'cid', 3, '2024-01-03')"])
      const second = yield* run({ vars: { run_label: "second" } })
      assert.isTrue(second.ok)
      assert.strictEqual(byAction(second.results, "marts.orders_by_day").mode, "incremental")
      assert.deepStrictEqual(yield* rows("SELECT CAST(order_date AS VARCHAR) AS d, orders, amount FROM marts.orders_by_day ORDER BY 1"), [
        { d: "2024-01-01", orders: 2, amount: 6.5 },
        { d: "2024-01-02", orders: 2, amount: 2.5 },
        { d: "2024-01-03", orders: 1, amount: 3 }
      ])
      // Without a uniqueKey an incremental table appends; --vars reached the compiled SQL.
      assert.deepStrictEqual(yield* rows("SELECT run_label, COUNT(*) AS n FROM marts.order_log GROUP BY 1 ORDER BY 1"), [
        { run_label: "default", n: 3 },
        { run_label: "second", n: 5 }
      ])

      // --full-refresh rebuilds incremental tables, except protected ones.
      const refreshed = yield* run({ fullRefresh: true, vars: { run_label: "refresh" } })
      assert.isTrue(refreshed.ok)
      assert.strictEqual(byAction(refreshed.results, "marts.order_log").mode, "full")
      assert.deepStrictEqual(yield* rows("SELECT run_label, COUNT(*) AS n FROM marts.order_log GROUP BY 1"), [{ run_label: "refresh", n: 5 }])
      assert.strictEqual(byAction(refreshed.results, "marts.frozen_orders").mode, "incremental")
    }).pipe(Effect.provide(localWarehouse(demo.warehouseFile))))

  it.effect("a failed assertion fails the run, shows violating rows, and independent branches go on", () =>
    Effect.gen(function* () {
      yield* loadRawOrders(["(1, 'ann', -2, '2024-01-01')", "(2, 'bob', 4, '2024-01-01')"])
      const summary = yield* run()
      assert.isFalse(summary.ok)
      const assertion = byAction(summary.results, "analytics_assertions.positive_amounts")
      assert.strictEqual(assertion.status, "failed")
      assert.strictEqual(assertion.rows, 1)
      assert.include(assertion.error, "1 row(s) violate it")
      assert.deepStrictEqual(assertion.sample?.map((row) => row["customer"]), ["ann"])
      assert.strictEqual(byAction(summary.results, "marts.customer_totals").status, "succeeded")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a missing declaration fails with its name and skips everything downstream", () =>
    Effect.gen(function* () {
      const summary = yield* run()
      const declaration = byAction(summary.results, "raw.orders")
      assert.strictEqual(declaration.status, "failed")
      assert.include(declaration.error, "declared source raw.orders does not exist")
      const staging = byAction(summary.results, "staging.stg_orders")
      assert.strictEqual(staging.status, "skipped")
      assert.include(staging.error, "raw.orders failed")
      assert.strictEqual(byAction(summary.results, "marts.customer_totals").status, "skipped")
      // The operation does not depend on raw data and still ran.
      assert.strictEqual(byAction(summary.results, "marts.calendar").status, "succeeded")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("selection by action, tag, dependencies and dependents", () =>
    Effect.gen(function* () {
      yield* loadRawOrders(["(1, 'ann', 2, '2024-01-01')"])
      const names = (results: ReadonlyArray<ActionResult>) => results.map((r) => r.action).sort()
      assert.deepStrictEqual(names((yield* run({ actions: ["stg_orders"] })).results), ["staging.stg_orders"])
      assert.deepStrictEqual(names((yield* run({ actions: ["stg_orders"], includeDependencies: true })).results), ["raw.orders", "staging.stg_orders"])
      const dependents = names((yield* run({ actions: ["staging.stg_orders"], includeDependents: true })).results)
      assert.includeMembers(dependents, ["marts.customer_totals", "marts.orders_by_day", "analytics_assertions.positive_amounts"])
      assert.notInclude(dependents, "marts.calendar")
      const tagged = names((yield* run({ tags: ["daily"] })).results)
      assert.includeMembers(tagged, ["marts.customer_totals", "marts.orders_by_day", "analytics_assertions.positive_amounts"])
      assert.notInclude(tagged, "staging.stg_orders")
      const unknown = yield* Effect.flip(run({ actions: ["stg_order"], tags: ["dayly"] }))
      assert.strictEqual(unknown._tag, "SelectionError")
      assert.include(unknown.message, `--actions stg_order: no action has that name (did you mean "stg_orders"?)`)
      assert.include(unknown.message, `--tags dayly: no action has that tag (did you mean "daily"?)`)
      assert.notInclude((yield* Effect.flip(run({ actions: ["zzzzzzzz"] }))).message, "did you mean")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("--dry-run prints translated SQL and creates nothing", () =>
    Effect.gen(function* () {
      const summary = yield* run({ dryRun: true })
      const table = byAction(summary.results, "marts.customer_totals")
      assert.strictEqual(table.status, "planned")
      assert.isTrue(table.statements.some((s) => s.startsWith(`CREATE OR REPLACE TABLE "marts"."customer_totals"`)))
      assert.isTrue(byAction(summary.results, "staging.stg_orders").statements.some((s) => s.includes("REGEXP_MATCHES")))
      const warehouse = yield* Warehouse
      assert.deepStrictEqual(yield* warehouse.listRelations(), [])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})

describe("runner failure paths", () => {
  it.effect("a table whose SQL fails keeps its previous version and names the file", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/numbers.sqlx": `config { type: "table" } select 1 as n`,
        "definitions/downstream.sqlx": `config { type: "view" } select n from \${ref("numbers")}`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      project.write("definitions/numbers.sqlx", `config { type: "table" } select 1 as n from not_a_table`)
      const failed = yield* transform(options)
      assert.isFalse(failed.ok)
      const numbers = byAction(failed.results, "analytics.numbers")
      assert.strictEqual(numbers.status, "failed")
      assert.include(numbers.error, "not_a_table")
      assert.strictEqual(byAction(failed.results, "analytics.downstream").status, "skipped")
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.numbers"), [{ n: 1 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an operation's own BEGIN TRANSACTION … COMMIT TRANSACTION runs (inside the runner's transaction DuckDB refused it), and a failure inside rolls its statements back", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/archive.sqlx": `config { type: "operations", hasOutput: true }
create table if not exists \${self()} (n int64);
create table if not exists analytics.live as select 1 as n union all select 2;
BEGIN TRANSACTION;
-- Step 1: copy
INSERT INTO \${self()} SELECT n FROM analytics.live WHERE n < 2;
-- Step 2: delete
DELETE FROM analytics.live WHERE n < 2;
COMMIT TRANSACTION;`
      })
      const first = yield* transform({ projectDir: project.dir })
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status !== "succeeded")))
      assert.deepStrictEqual(yield* rows("SELECT (SELECT COUNT(*) FROM analytics.archive) AS archived, (SELECT COUNT(*) FROM analytics.live) AS live"), [{ archived: 1, live: 1 }])
      project.write("definitions/archive.sqlx", `config { type: "operations", hasOutput: true }
BEGIN TRANSACTION;
DELETE FROM analytics.live WHERE TRUE;
SELECT ERROR('stop');
COMMIT TRANSACTION;`)
      const failed = yield* transform({ projectDir: project.dir })
      assert.include(byAction(failed.results, "analytics.archive").error, "stop")
      assert.deepStrictEqual(yield* rows("SELECT COUNT(*) AS live FROM analytics.live"), [{ live: 1 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an action DuckDB runs out of memory for on every thread runs again on one thread, with a warning, and the threads are set back", () =>
    Effect.gen(function* () {
      // The fault is injected in the statement itself: it fails as DuckDB's memory limit does
      // whenever more than one thread may run it.
      const project = makeTempProject({
        "definitions/wide.sqlx": `config { type: "table" } select if(cast(current_setting('threads') as int64) > 1, error('Out of Memory Error: failed to allocate data of size 1.0 MiB (injected)'), 1) as n`
      })
      const warehouse = yield* Warehouse
      yield* warehouse.run(["SET threads = 3"])
      const result = yield* transform({ projectDir: project.dir })
      const wide = byAction(result.results, "analytics.wide")
      assert.strictEqual(wide.status, "succeeded", wide.error)
      assert.include(wide.warnings?.[0], "ran again on one thread")
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.wide"), [{ n: 1 }])
      assert.deepStrictEqual(yield* rows("SELECT current_setting('threads') AS threads"), [{ threads: 3 }])
      // A statement that fails on one thread too fails the action with DuckDB's reason.
      project.write("definitions/wide.sqlx", `config { type: "table" } select error('Out of Memory Error: failed to allocate data of size 1.0 MiB (injected)') as n`)
      const failed = yield* transform({ projectDir: project.dir })
      assert.include(byAction(failed.results, "analytics.wide").error, "Out of Memory Error")
      assert.deepStrictEqual(yield* rows("SELECT current_setting('threads') AS threads"), [{ threads: 3 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an array path inside UNNEST through ARRAY columns (`UNNEST(hidden_data.key)`, `UNNEST(r.races.laps.time)`) is flattened as BigQuery flattens it; the same path outside UNNEST keeps DuckDB's error", () =>
    Effect.gen(function* () {
      // The columns' types come from the source file alone: the SQL cannot tell an ARRAY from a STRUCT.
      const project = makeTempProject({
        "definitions/sources.js": `declare({ schema: "raw", name: "events" })`,
        "definitions/hidden_keys.sqlx": `config { type: "table", description: "Keys, and whether each is hidden." }
select d.key, logical_or(d.key in unnest(hidden_data.key)) as is_hidden
from \${ref("events")}, unnest(array_concat(data, hidden_data)) as d
group by d.key
order by d.key`,
        "definitions/lap_times.sqlx": `config { type: "table", description: "Every lap's time." }
select r.id, t from \${ref("events")} as r, unnest(r.races.laps.time) as t`,
        "definitions/not_in_unnest.sqlx": `config { type: "table", description: "A field of an array outside UNNEST: BigQuery refuses it." }
select hidden_data.key as k from \${ref("events")}`,
        "definitions/through_a_string.sqlx": `config { type: "table", description: "A field of a STRING inside UNNEST: BigQuery refuses it." }
select x from \${ref("events")}, unnest(label.first) as x`,
        "test/sources/raw/events.jsonl":
          '{"id": 1, "label": "one", "data": [{"key": "a"}], "hidden_data": [{"key": "b"}, {"key": "c"}], "races": {"laps": [{"time": 5}, {"time": 7}]}}\n' +
          '{"id": 2, "label": "two", "data": [{"key": "d"}], "hidden_data": [], "races": {"laps": [{"time": 3}]}}\n'
      })
      const result = yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources"), concurrency: 1 })
      assert.strictEqual(byAction(result.results, "raw.events").status, "succeeded", byAction(result.results, "raw.events").error)
      assert.strictEqual(byAction(result.results, "analytics.hidden_keys").status, "succeeded", byAction(result.results, "analytics.hidden_keys").error)
      assert.deepStrictEqual(yield* rows("SELECT key, is_hidden FROM analytics.hidden_keys ORDER BY key"), [
        { key: "a", is_hidden: false },
        { key: "b", is_hidden: true },
        { key: "c", is_hidden: true },
        { key: "d", is_hidden: false }
      ])
      assert.strictEqual(byAction(result.results, "analytics.lap_times").status, "succeeded", byAction(result.results, "analytics.lap_times").error)
      assert.deepStrictEqual(yield* rows("SELECT id, t FROM analytics.lap_times ORDER BY id, t"), [{ id: 1, t: 5 }, { id: 1, t: 7 }, { id: 2, t: 3 }])
      const failedWith = (action: string, reason: string) => {
        const failed = byAction(result.results, action)
        assert.deepStrictEqual([failed.status, failed.error?.includes(reason)], ["failed", true], failed.error)
      }
      failedWith("analytics.not_in_unnest", 'Cannot extract field \'key\' from expression "hidden_data"')
      // Read again as a list, the STRING fails the flattening too: DuckDB's first word on it is kept.
      failedWith("analytics.through_a_string", 'Cannot extract field \'first\' from expression "label"')
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an incremental table built by an older model is merged with its own columns, as Dataform does, with a warning to rebuild it", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/events.sqlx": `config { type: "incremental", uniqueKey: ["id"] } select 1 as id, 'a' as label`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      // The model now has a column the existing table lacks.
      project.write("definitions/events.sqlx", `config { type: "incremental", uniqueKey: ["id"] } select 2 as id, 'b' as label, 'h2' as hash`)
      const merged = yield* transform(options)
      const events = byAction(merged.results, "analytics.events")
      assert.strictEqual(events.status, "succeeded")
      assert.include(events.warnings?.[0], "column(s) hash that analytics.events lacks")
      assert.include(events.warnings?.[0], "--full-refresh")
      assert.deepStrictEqual(yield* rows("SELECT * FROM analytics.events ORDER BY id"), [{ id: 1, label: "a" }, { id: 2, label: "b" }])
      const rebuilt = yield* transform({ ...options, fullRefresh: true })
      assert.isTrue(rebuilt.ok)
      assert.deepStrictEqual(yield* rows("SELECT id, hash FROM analytics.events"), [{ id: 2, hash: "h2" }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a table's scripted post_operations read @@row_count of its build as BigQuery's: NULL after a CREATE TABLE, the rows an INSERT or MERGE wrote after an incremental run", () =>
    Effect.gen(function* () {
      const logged = (rows: string, key: boolean) => `config { type: "incremental"${key ? `, uniqueKey: ["id"]` : ""} }
${rows}
post_operations {
  BEGIN
    INSERT INTO analytics.build_log VALUES ('${key ? "merged" : "appended"}', @@row_count);
  EXCEPTION WHEN ERROR THEN
    RAISE USING MESSAGE = @@error.message;
  END;
}`
      const project = makeTempProject({
        "definitions/build_log.sqlx": `config { type: "operations", hasOutput: true } create table if not exists \${self()} (model string, row_count int64)`,
        "definitions/merged.sqlx": logged("select 1 as id, 'a' as label", true).replace("config {", `config { dependencies: ["build_log"],`),
        "definitions/appended.sqlx": logged("select 1 as id", false).replace("config {", `config { dependencies: ["merged"],`)
      })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status !== "succeeded")))
      // The second run merges one changed and one new row, and appends three.
      project.write("definitions/merged.sqlx", logged("select 1 as id, 'b' as label union all select 2, 'c'", true).replace("config {", `config { dependencies: ["build_log"],`))
      project.write("definitions/appended.sqlx", logged("select id from unnest([2, 3, 4]) as id", false).replace("config {", `config { dependencies: ["merged"],`))
      const second = yield* transform(options)
      assert.isTrue(second.ok, JSON.stringify(second.results.filter((r) => r.status !== "succeeded")))
      assert.deepStrictEqual(yield* rows("SELECT model, row_count FROM analytics.build_log ORDER BY row_count NULLS FIRST, model"), [
        { model: "appended", row_count: null },
        { model: "merged", row_count: null },
        { model: "merged", row_count: 2 },
        { model: "appended", row_count: 3 }
      ])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("onSchemaChange (core 3.0.x): FAIL refuses a changed schema, EXTEND adds the new columns, SYNCHRONIZE also drops the missing ones but never a key; incrementalStrategy INSERT_OVERWRITE replaces the new rows' partitions", () =>
    Effect.gen(function* () {
      const incremental = (_name: string, options: string, select: string) => `config { type: "incremental", ${options} }\n${select}`
      const project = makeTempProject({
        "definitions/extended.sqlx": incremental("extended", `uniqueKey: ["id"], onSchemaChange: "EXTEND"`, "select 1 as id, 'a' as label"),
        "definitions/synchronized.sqlx": incremental("synchronized", `uniqueKey: ["id"], onSchemaChange: "SYNCHRONIZE"`, "select 1 as id, 'a' as label"),
        "definitions/strict.sqlx": incremental("strict", `onSchemaChange: "FAIL"`, "select 1 as id, 'a' as label"),
        "definitions/days.sqlx": incremental("days", `bigquery: { partitionBy: "day" }, incrementalStrategy: "INSERT_OVERWRITE"`,
          "select * from unnest([struct(date '2024-01-01' as day, 1 as n), (date '2024-01-02', 2), (date '2024-01-02', 3)])")
      })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status !== "succeeded")))
      project.write("definitions/extended.sqlx", incremental("extended", `uniqueKey: ["id"], onSchemaChange: "EXTEND"`, "select 2 as id, 'b' as label, 'h2' as hash"))
      project.write("definitions/synchronized.sqlx", incremental("synchronized", `uniqueKey: ["id"], onSchemaChange: "SYNCHRONIZE"`, "select 2 as id, 'h2' as hash"))
      project.write("definitions/strict.sqlx", incremental("strict", `onSchemaChange: "FAIL"`, "select 2 as id, 'b' as label, 'h2' as hash"))
      project.write("definitions/days.sqlx", incremental("days", `bigquery: { partitionBy: "day" }, incrementalStrategy: "INSERT_OVERWRITE"`,
        "select * from unnest([struct(date '2024-01-02' as day, 20 as n), (date '2024-01-03', 30), (cast(null as date), 0)])"))
      const second = yield* transform(options)
      assert.deepStrictEqual(yield* rows("SELECT id, label, hash FROM analytics.extended ORDER BY id"), [{ id: 1, label: "a", hash: null }, { id: 2, label: "b", hash: "h2" }])
      assert.deepStrictEqual(yield* rows("SELECT * FROM analytics.synchronized ORDER BY id"), [{ id: 1, hash: null }, { id: 2, hash: "h2" }])
      assert.isUndefined(byAction(second.results, "analytics.extended").warnings)
      const strict = byAction(second.results, "analytics.strict")
      assert.strictEqual(strict.status, "failed")
      assert.include(strict.error, "schema mismatch, and onSchemaChange is FAIL: added columns [hash], removed columns []")
      assert.deepStrictEqual(yield* rows("SELECT * FROM analytics.strict"), [{ id: 1, label: "a" }])
      // The 2024-01-02 partition's two rows are replaced by the new one; the NULL partition replaces nothing.
      assert.deepStrictEqual(yield* rows("SELECT CAST(day AS VARCHAR) AS day, n FROM analytics.days ORDER BY day NULLS FIRST, n"), [
        { day: null, n: 0 }, { day: "2024-01-01", n: 1 }, { day: "2024-01-02", n: 20 }, { day: "2024-01-03", n: 30 }
      ])
      // EXTEND refuses a removed column; SYNCHRONIZE refuses to drop a key.
      project.write("definitions/extended.sqlx", incremental("extended", `uniqueKey: ["id"], onSchemaChange: "EXTEND"`, "select 3 as id, 'c' as label"))
      project.write("definitions/synchronized.sqlx", incremental("synchronized", `uniqueKey: ["id"], onSchemaChange: "SYNCHRONIZE"`, "select 3 as other, 'h3' as hash"))
      const third = yield* transform(options)
      assert.include(byAction(third.results, "analytics.extended").error, "column removals are not allowed when onSchemaChange is EXTEND; removed columns [hash]")
      assert.include(byAction(third.results, "analytics.synchronized").error, "onSchemaChange SYNCHRONIZE cannot drop columns [id], part of the uniqueKey")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("incrementalPredicates (core 3.0.x) narrow the merge's match as in Dataform's MERGE … ON: a table row they leave out is not replaced, its key added again", () =>
    Effect.gen(function* () {
      const model = (rows: string) => `config { type: "incremental", uniqueKey: ["id"], bigquery: { incrementalPredicates: ["DATAFORM_DEST.day >= DATE '2024-01-02'", "DATAFORM_SOURCE.label IS NOT NULL"] } }
select * from unnest([${rows}])`
      const project = makeTempProject({ "definitions/events.sqlx": model("struct(1 as id, date '2024-01-01' as day, 'a' as label), (2, date '2024-01-02', 'b'), (3, date '2024-01-03', 'c')") })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      project.write("definitions/events.sqlx", model("struct(1 as id, date '2024-01-01' as day, 'A' as label), (2, date '2024-01-02', 'B'), (3, date '2024-01-03', cast(null as string))"))
      const second = yield* transform(options)
      assert.isTrue(second.ok, JSON.stringify(second.results.filter((r) => r.status !== "succeeded")))
      // Row 1's table row is before the day predicate, row 3's new row fails the label predicate: both added again.
      assert.deepStrictEqual(yield* rows("SELECT id, label FROM analytics.events ORDER BY id, label NULLS FIRST"), [
        { id: 1, label: "A" }, { id: 1, label: "a" }, { id: 2, label: "B" }, { id: 3, label: null }, { id: 3, label: "c" }
      ])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("INFORMATION_SCHEMA.COLUMNS says which column partitions a table and where each clustering column stands, from partitionBy and clusterBy", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/events.sqlx": `config { type: "table", bigquery: { partitionBy: "DATE(ts)", clusterBy: ["country", "device"] } }
select timestamp '2024-01-01 10:00:00+00' as ts, 'fr' as country, 'mobile' as device, 1 as n`,
        "definitions/event_columns.sqlx": `config { type: "table", dependencies: ["events"] }
select column_name, is_partitioning_column, clustering_ordinal_position from analytics.INFORMATION_SCHEMA.COLUMNS where table_name = 'events'`
      })
      const summary = yield* transform({ projectDir: project.dir })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
      assert.deepStrictEqual(yield* rows("SELECT * FROM analytics.event_columns ORDER BY column_name"), [
        { column_name: "country", is_partitioning_column: "NO", clustering_ordinal_position: 1 },
        { column_name: "device", is_partitioning_column: "NO", clustering_ordinal_position: 2 },
        { column_name: "n", is_partitioning_column: "NO", clustering_ordinal_position: null },
        { column_name: "ts", is_partitioning_column: "YES", clustering_ordinal_position: null }
      ])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an incremental table's where (the JS API's .where()) filters its incremental runs only, as Dataform's incremental query", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/filtered.js": `publish("filtered", { type: "incremental" }).query("select n from unnest([1, 2, 3]) as n").where("n > 2")`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      assert.deepStrictEqual(yield* rows("SELECT count(*) AS n FROM analytics.filtered"), [{ n: 3 }])
      assert.isTrue((yield* transform(options)).ok)
      assert.deepStrictEqual(yield* rows("SELECT n, count(*) AS copies FROM analytics.filtered GROUP BY n ORDER BY n"), [{ n: 1, copies: 1 }, { n: 2, copies: 1 }, { n: 3, copies: 2 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("statements after a table's query (SELECT …; DELETE …; INSERT …) run after its build and before its post_operations, as in Dataform's script", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/history.sqlx": `config { type: "operations", hasOutput: true } create table if not exists \${self()} (n int64, note string)`,
        "definitions/latest.sqlx": `config { type: "table", dependencies: ["history"] }
select n from unnest([1, 2]) as n;
delete from analytics.history where n in (select n from \${self()});
insert into analytics.history select n, 'copied' from \${self()}
post_operations { update analytics.history set note = concat(note, ' then posted') where true }`
      })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status !== "succeeded")))
      assert.isTrue((yield* transform(options)).ok)
      assert.deepStrictEqual(yield* rows("SELECT n, note FROM analytics.history ORDER BY n"), [{ n: 1, note: "copied then posted" }, { n: 2, note: "copied then posted" }])
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.latest ORDER BY n"), [{ n: 1 }, { n: 2 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a table's post_operations that change another table's columns are seen by that table's merge later in the run", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/events.sqlx": `config { type: "incremental", uniqueKey: ["id"], dependencies: ["trim_events"] } select 1 as id, 'a' as label`,
        "definitions/trim_events.sqlx": `config { type: "table" } select 1 as n`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      project.write("definitions/events.sqlx", `config { type: "incremental", uniqueKey: ["id"], dependencies: ["trim_events"] } select 2 as id, 'b' as label`)
      project.write("definitions/trim_events.sqlx", `config { type: "table" } select 1 as n\npost_operations { alter table analytics.events drop column label }`)
      const merged = yield* transform(options)
      const events = byAction(merged.results, "analytics.events")
      assert.strictEqual(events.status, "succeeded", events.error)
      assert.include(events.warnings?.[0], "column(s) label that analytics.events lacks")
      assert.deepStrictEqual(yield* rows("SELECT * FROM analytics.events ORDER BY id"), [{ id: 1 }, { id: 2 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("pre_operations declare a checkpoint the incremental query reads; a column of the same name is read instead of it, as in BigQuery", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/source_days.sqlx": `config { type: "table" } select day, 10 * day as value from unnest([1, 2, 3]) as day`,
        "definitions/rollup.sqlx": `config { type: "incremental", uniqueKey: ["day"] }
pre_operations {
  \${when(incremental(), \`declare checkpoint int64 default (select max(day) - 1 from \${self()})\`)}
}
select day, value from \${ref("source_days")}
\${when(incremental(), \`where day >= checkpoint\`)}`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      // Day 1 falls before the checkpoint (max 3 - 1 = 2): its change must not reach the rollup.
      project.write("definitions/source_days.sqlx", `config { type: "table" } select day, 100 * day as value from unnest([1, 2, 3, 4]) as day`)
      const incremental = yield* transform(options)
      assert.isTrue(incremental.ok, JSON.stringify(incremental.results.filter((r) => r.status === "failed")))
      const rollup = byAction(incremental.results, "analytics.rollup")
      assert.strictEqual(rollup.mode, "incremental")
      assert.isTrue(rollup.statements.some((statement) => /^SET VARIABLE "checkpoint" = /.test(statement)), rollup.statements.join("\n"))
      assert.deepStrictEqual(yield* rows("SELECT day, value FROM analytics.rollup ORDER BY day"), [
        { day: 1, value: 10 },
        { day: 2, value: 200 },
        { day: 3, value: 300 },
        { day: 4, value: 400 }
      ])
      // In BigQuery a column named like the variable is read instead of it: day >= day keeps day 1,
      // which the variable (max 4 - 1 = 3) would have left out.
      project.write("definitions/source_days.sqlx", `config { type: "table" } select day, day as checkpoint, day as value from unnest([1]) as day`)
      const shadowed = byAction((yield* transform(options)).results, "analytics.rollup")
      assert.strictEqual(shadowed.status, "succeeded", shadowed.error)
      assert.deepStrictEqual(yield* rows("SELECT day, value FROM analytics.rollup ORDER BY day"), [
        { day: 1, value: 1 },
        { day: 2, value: 200 },
        { day: 3, value: 300 },
        { day: 4, value: 400 }
      ])
      // An operation around the query reading the name is refused: it would read the variable.
      project.write("definitions/rollup.sqlx", `config { type: "incremental", uniqueKey: ["day"] }
pre_operations {
  declare checkpoint int64 default (select max(day) - 1 from \${self()});
}
select day, value from \${ref("source_days")} where day >= checkpoint
post_operations {
  delete from \${self()} where day < checkpoint - 10
}`)
      const refused = byAction((yield* transform(options)).results, "analytics.rollup")
      assert.strictEqual(refused.status, "failed")
      assert.include(refused.error, "the script variable checkpoint has the name of a column of analytics.source_days and an operation around the query reads it")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a variable named like a column of a table the script only inserts into is read as the variable (a data-quality log)", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/assertion_logs.sqlx": `config { type: "operations", hasOutput: true }
create table if not exists \${self()} (assertion string, failures int64)`,
        "definitions/check_ids.sqlx": `config { type: "table", dependencies: ["assertion_logs"] }
pre_operations {
  declare assertion string default 'ids are unique';
  declare failures int64 default (select count(*) - count(distinct id) from unnest([1, 1, 2]) as id);
  insert into \${ref("assertion_logs")} values (assertion, failures);
}
select 'ran' as placeholder`
      })
      const summary = yield* transform({ projectDir: project.dir })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT assertion, failures FROM analytics.assertion_logs"), [{ assertion: "ids are unique", failures: 1 }])
      // Read in a query's scope, the same column shadows the variable, as in BigQuery; the variable
      // is read where no relation with the column is in scope (the CTE over UNNEST).
      project.write("definitions/check_ids.sqlx", `config { type: "table", dependencies: ["assertion_logs"] }
pre_operations {
  declare assertion string default 'another check';
}
with other as (select assertion as text from unnest([1]))
select assertion as logged, (select text from other) as declared from \${ref("assertion_logs")}`)
      const shadowed = byAction((yield* transform({ projectDir: project.dir })).results, "analytics.check_ids")
      assert.strictEqual(shadowed.status, "succeeded", shadowed.error)
      assert.deepStrictEqual(yield* rows("SELECT logged, declared FROM analytics.check_ids"), [{ logged: "ids are unique", declared: "another check" }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an operation's statement reading a variable named like a column of a relation it reads is refused by name, not read as the variable", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/source_days.sqlx": `config { type: "table" } select day, 10 * day as threshold from unnest([1, 2]) as day`,
        "definitions/copy_days.sqlx": `config { type: "operations", hasOutput: true }
declare threshold int64 default 15;
create or replace table \${self()} as select day from \${ref("source_days")} where threshold > 15`
      })
      // BigQuery reads the column threshold (10, 20) there, not the variable (15): day 2 only.
      const refused = byAction((yield* transform({ projectDir: project.dir })).results, "analytics.copy_days")
      assert.strictEqual(refused.status, "failed")
      assert.include(refused.error, "cannot run the name threshold locally: it is both a script variable and a column of a relation the script reads")
      // A variable no relation it reads has as a column is read as before.
      project.write("definitions/copy_days.sqlx", `config { type: "operations", hasOutput: true }
declare minimum int64 default 15;
create or replace table \${self()} as select day from \${ref("source_days")} where threshold > minimum`)
      const summary = yield* transform({ projectDir: project.dir })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT day FROM analytics.copy_days"), [{ day: 2 }])
      // So is a script with control flow, which the interpreter runs statement by statement.
      project.write("definitions/copy_days.sqlx", `config { type: "operations", hasOutput: true }
declare threshold int64 default 15;
if threshold > 0 then
  create or replace table \${self()} as select day from \${ref("source_days")} where threshold > 15;
end if`)
      const scripted = byAction((yield* transform({ projectDir: project.dir })).results, "analytics.copy_days")
      assert.strictEqual(scripted.status, "failed")
      assert.include(scripted.error, "the script variable threshold has the name of a column of analytics.source_days")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  // A file warehouse, since a persistent SQL UDF is a macro with typed parameters, which DuckDB
  // stores only in files of its newer storage format.
  const routines = makeTempProject({
    "definitions/plus_one.sqlx": `config { type: "operations", hasOutput: true }
create or replace function \${self()}(x int64) returns int64 as (x + 1)`,
    "definitions/log_answer.sqlx": `config { type: "operations", hasOutput: true }
create or replace procedure \${self()}(out answer int64)
begin
  set answer = 42;
end`,
    "definitions/answers.sqlx": `config { type: "table" }
pre_operations {
  declare logged int64;
  call \${ref("log_answer")}(logged);
}
select \${ref("plus_one")}(41) as computed, logged
`,
    "definitions/nothing.sqlx": `config { type: "operations", hasOutput: true }
select 1`
  })
  afterAll(() => routines.cleanup())
  it.effect("an operation with hasOutput may create the function or procedure its target names, which other actions ref(); creating nothing still fails", () =>
    Effect.gen(function* () {
      const summary = yield* transform({ projectDir: routines.dir })
      assert.deepStrictEqual(
        summary.results.map((r) => [r.action, r.status]).sort(),
        [["analytics.answers", "succeeded"], ["analytics.log_answer", "succeeded"], ["analytics.nothing", "failed"], ["analytics.plus_one", "succeeded"]]
      )
      assert.include(byAction(summary.results, "analytics.nothing").error, "the operation has hasOutput: true but did not create analytics.nothing")
      assert.deepStrictEqual(yield* rows("SELECT computed, logged FROM analytics.answers"), [{ computed: 42, logged: 42 }])
    }).pipe(Effect.provide(localWarehouse(`${routines.dir}/warehouse.duckdb`))))

  it.effect("a warehouse file in DuckDB's older storage format says why it cannot keep a persistent function", () =>
    Effect.gen(function* () {
      // Created as mdp created files before: DuckDB's default format, which lacks typed macros.
      const file = `${routines.dir}/older.duckdb`
      yield* Effect.promise(() => DuckDBInstance.create(file).then((instance) => instance.closeSync()))
      const summary = yield* transform({ projectDir: routines.dir, actions: ["plus_one"] }).pipe(Effect.provide(localWarehouse(file)))
      assert.strictEqual(byAction(summary.results, "analytics.plus_one").status, "failed")
      assert.include(byAction(summary.results, "analytics.plus_one").error, "This warehouse file was written in an older DuckDB storage format")
    }))

  it.effect("a table an operation dropped earlier in the run is built afresh, not merged into", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/events.sqlx": `config { type: "incremental", uniqueKey: ["id"] } select 1 as id`
      })
      const options = { projectDir: project.dir }
      assert.isTrue((yield* transform(options)).ok)
      // The runner knows events as a table from the start of the run; the operation drops it first.
      project.write("definitions/reset.sqlx", `config { type: "operations" } drop table if exists analytics.events`)
      project.write("definitions/events.sqlx", `config { type: "incremental", uniqueKey: ["id"], dependencies: ["reset"] } select 2 as id`)
      const summary = yield* transform(options)
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status === "failed")))
      assert.strictEqual(byAction(summary.results, "analytics.events").mode, "full")
      assert.deepStrictEqual(yield* rows("SELECT id FROM analytics.events"), [{ id: 2 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a merge matches only the target rows its updatePartitionFilter lets through, as BigQuery's MERGE does; NULL keys and ambiguous matches are refused", () =>
    Effect.gen(function* () {
      const model = (values: string, filter: string) => `config { type: "incremental", uniqueKey: ["day"], bigquery: { updatePartitionFilter: "${filter}" } }
select day, v from unnest([${values}]) as t`
      const project = makeTempProject({ "definitions/days.sqlx": model("struct(1 as day, 10 as v), struct(2, 20), struct(3, 30)", "day >= 2") })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status === "failed")))
      // Day 1 is outside the filter: BigQuery would not match it and would insert a second row.
      project.write("definitions/days.sqlx", model("struct(1 as day, 11 as v), struct(3, 31)", "day >= 2"))
      const second = yield* transform(options)
      assert.isTrue(second.ok, JSON.stringify(second.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT day, v FROM analytics.days ORDER BY day, v"), [{ day: 1, v: 10 }, { day: 1, v: 11 }, { day: 2, v: 20 }, { day: 3, v: 31 }])
      project.write("definitions/days.sqlx", model("struct(cast(null as int64) as day, 1 as v)", "day >= 2"))
      const nullKey = yield* transform(options)
      assert.include(byAction(nullKey.results, "analytics.days").error, "have a NULL in the uniqueKey (day)")
      project.write("definitions/days.sqlx", model("struct(3 as day, 1 as v), struct(3, 2)", "day >= 2"))
      const ambiguous = yield* transform(options)
      assert.include(byAction(ambiguous.results, "analytics.days").error, "UPDATE/MERGE must match at most one source row for each target row")
      assert.deepStrictEqual(yield* rows("SELECT count(*) AS n FROM analytics.days"), [{ n: 4 }], "a refused merge changes nothing")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an incremental query that gives a FLOAT64 for an INT64 column fails as BigQuery's insert does, merge or append, and the table keeps its rows", () =>
    Effect.gen(function* () {
      // On the incremental run the query divides: BigQuery's / is FLOAT64, which it never rounds into INT64.
      const merged = `config { type: "incremental", uniqueKey: ["day"] }
select 1 as day, \${incremental() ? "7 / 2" : "3"} as clicks, 1.5 as rate`
      const appended = `config { type: "incremental" }
select \${incremental() ? "avg(n)" : "max(n)"} as n, 0.5 as rate from unnest([1, 2]) as n`
      const project = makeTempProject({ "definitions/merged.sqlx": merged, "definitions/appended.sqlx": appended })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status === "failed")))
      const second = yield* transform(options)
      assert.include(byAction(second.results, "analytics.merged").error, "column clicks has type FLOAT64 in the query, which cannot be inserted into the table's INT64 column")
      assert.include(byAction(second.results, "analytics.appended").error, "column n has type FLOAT64 in the query, which cannot be inserted into the table's INT64 column")
      assert.deepStrictEqual(yield* rows("SELECT day, clicks FROM analytics.merged"), [{ day: 1, clicks: 3 }], "the refused merge changed nothing")
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.appended"), [{ n: 2 }], "the refused insert changed nothing")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("INFORMATION_SCHEMA.PARTITIONS lists each table's partitions by its partitionBy, as the action finds them", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/events.sqlx": `config { type: "incremental", schema: "crawl", bigquery: { partitionBy: "DATE(ts)" } }
select ts, v from unnest([struct(timestamp '2025-01-01 10:00:00' as ts, 1 as v), struct(timestamp '2025-01-01 23:00:00', 2), struct(timestamp '2025-02-03 00:00:00', 3), struct(cast(null as timestamp), 4)])
\${when(incremental(), "where false")}`,
        "definitions/monthly.sqlx": `config { type: "table", schema: "crawl", bigquery: { partitionBy: "DATE_TRUNC(month, MONTH)" } }
select date '2025-03-01' as month union all select date '2025-03-01' union all select date '2025-04-01'`,
        "definitions/buckets.sqlx": `config { type: "table", schema: "crawl", bigquery: { partitionBy: "RANGE_BUCKET(n, GENERATE_ARRAY(0, 100, 10))" } }
select n from unnest([5, 15, 17, 250]) as n`,
        "definitions/plain.sqlx": `config { type: "table", schema: "crawl" } select 1 as x`,
        // HTTP Archive's latest.pages reads the newest partition this way.
        "definitions/latest.sqlx": `config { type: "view", schema: "latest", dependencies: ["events", "monthly", "buckets", "plain"] }
select table_name, partition_id, total_rows from httparchive.crawl.INFORMATION_SCHEMA.PARTITIONS
union all select 'newest', max(partition_id), null from crawl.INFORMATION_SCHEMA.PARTITIONS where table_name = 'events' and partition_id < '20990101'`
      })
      const summary = yield* transform({ projectDir: project.dir })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT * FROM latest.latest ORDER BY table_name, partition_id"), [
        { table_name: "buckets", partition_id: "0", total_rows: 1 },
        { table_name: "buckets", partition_id: "10", total_rows: 2 },
        { table_name: "buckets", partition_id: "__UNPARTITIONED__", total_rows: 1 },
        { table_name: "events", partition_id: "20250101", total_rows: 2 },
        { table_name: "events", partition_id: "20250203", total_rows: 1 },
        { table_name: "events", partition_id: "__NULL__", total_rows: 1 },
        { table_name: "monthly", partition_id: "202503", total_rows: 2 },
        { table_name: "monthly", partition_id: "202504", total_rows: 1 },
        { table_name: "newest", partition_id: "20250203", total_rows: null },
        { table_name: "plain", partition_id: null, total_rows: 1 }
      ])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an ARRAY with a NULL element is refused where BigQuery refuses to write it, and the table keeps its rows", () =>
    Effect.gen(function* () {
      const tableModel = (ignoreNulls: string) => `config { type: "table" }
select array_agg(x ${ignoreNulls}) as xs, [1, 2] as fixed from unnest([1, cast(null as int64), 2]) as x`
      const mergeModel = (values: string) => `config { type: "incremental", uniqueKey: ["day"] }
select day, tags from unnest([${values}]) as t`
      const project = makeTempProject({
        "definitions/lists.sqlx": tableModel("ignore nulls"),
        "definitions/tagged.sqlx": mergeModel("struct(1 as day, ['a'] as tags)"),
        "definitions/appended.sqlx": `config { type: "incremental" }
select 1 as n`,
        // Inside a query BigQuery allows it: only written arrays are checked.
        "definitions/lengths.sqlx": `config { type: "table" }
select array_length(array_agg(x)) as n from unnest([1, cast(null as int64)]) as x`
      })
      const options = { projectDir: project.dir }
      const first = yield* transform(options)
      assert.isTrue(first.ok, JSON.stringify(first.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT xs, fixed FROM analytics.lists"), [{ xs: [1, 2], fixed: [1, 2] }])
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.lengths"), [{ n: 2 }])

      project.write("definitions/lists.sqlx", tableModel(""))
      project.write("definitions/tagged.sqlx", mergeModel("struct(1 as day, ['b', cast(null as string)] as tags)"))
      // A column the table lacks is left out of the insert, as Dataform does: its NULLs are never written.
      project.write("definitions/appended.sqlx", `config { type: "incremental" }
select 2 as n, [cast(null as int64)] as extra`)
      const second = yield* transform(options)
      assert.strictEqual(byAction(second.results, "analytics.appended").status, "succeeded", byAction(second.results, "analytics.appended").error)
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.appended ORDER BY n"), [{ n: 1 }, { n: 2 }])
      assert.include(byAction(second.results, "analytics.lists").error, "the column xs has an ARRAY with a NULL element in 1 row(s)")
      assert.include(byAction(second.results, "analytics.tagged").error, "the column tags has an ARRAY with a NULL element in 1 row(s)")
      assert.deepStrictEqual(yield* rows("SELECT xs FROM analytics.lists"), [{ xs: [1, 2] }], "the refused build left the table as it was")
      assert.deepStrictEqual(yield* rows("SELECT day, tags FROM analytics.tagged"), [{ day: 1, tags: ["a"] }], "the refused merge changed nothing")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a NULL ARRAY is written as an empty one, as BigQuery writes it (table, merge and insert)", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/maybe_tags.sqlx": `config { type: "table" }
select id, if(id = 1, ['a'], cast(null as array<string>)) as tags from unnest([1, 2]) as id`,
        "definitions/merged_tags.sqlx": `config { type: "incremental", uniqueKey: ["id"] }
select id, if(id = 1, [struct('a' as k)], null) as tags from unnest([1, 2]) as id`,
        "definitions/appended_tags.sqlx": `config { type: "incremental" }
select 1 as n, cast(null as array<int64>) as xs`,
        // Nothing in this query's text makes an array: the view it reads does.
        "definitions/tags_view.sqlx": `config { type: "view" }
select 1 as id, cast(null as array<string>) as tags`,
        "definitions/from_view.sqlx": `config { type: "table" }
select * from \${ref("tags_view")}`
      })
      const options = { projectDir: project.dir }
      for (const run of [1, 2]) {
        const result = yield* transform(options)
        assert.isTrue(result.ok, JSON.stringify(result.results.filter((r) => r.status === "failed")))
        // What a downstream model sees: ARRAY_LENGTH 0, not NULL, for the row written without tags.
        assert.deepStrictEqual(
          yield* rows("SELECT id, len(tags) AS n, tags IS NULL AS missing FROM analytics.maybe_tags ORDER BY id"),
          [{ id: 1, n: 1, missing: false }, { id: 2, n: 0, missing: false }]
        )
        assert.deepStrictEqual(yield* rows("SELECT id, len(tags) AS n FROM analytics.merged_tags ORDER BY id"), [{ id: 1, n: 1 }, { id: 2, n: 0 }], `run ${run}`)
        assert.deepStrictEqual(yield* rows("SELECT count(*) AS n FROM analytics.appended_tags WHERE xs IS NULL"), [{ n: 0 }], `run ${run}`)
        assert.deepStrictEqual(yield* rows("SELECT len(tags) AS n FROM analytics.from_view"), [{ n: 0 }], `run ${run}`)
      }
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a view's pre- and post-operations run around it, as Dataform runs them", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/numbers_view.sqlx": `config { type: "view" }
pre_operations {
  create or replace table analytics.view_log as select 'pre' as step
}
select 1 as n
post_operations {
  insert into analytics.view_log select 'post'
}`
      })
      const summary = yield* transform({ projectDir: project.dir })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status === "failed")))
      assert.deepStrictEqual(yield* rows("SELECT step FROM analytics.view_log ORDER BY step DESC"), [{ step: "pre" }, { step: "post" }])
      assert.deepStrictEqual(yield* rows("SELECT n FROM analytics.numbers_view"), [{ n: 1 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a DECLARE that BigQuery would refuse (after another statement of the action) fails the action here too", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/late.sqlx": `config { type: "table" }
select 1 as n
post_operations {
  declare total int64 default (select count(*) from \${self()})
}`
      })
      const summary = yield* transform({ projectDir: project.dir })
      const late = byAction(summary.results, "analytics.late")
      assert.strictEqual(late.status, "failed")
      assert.include(late.error, "definitions/late.sqlx")
      assert.include(late.error, "top of pre_operations")
      // Refused before running: nothing was built.
      assert.deepStrictEqual(yield* rows("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'late'"), [{ n: 0 }])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an untranslatable construct fails the action with the file and construct named", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/fingerprints.sqlx": `config { type: "table" } select st_geogpoint(1, 2) as f`
      })
      const summary = yield* transform({ projectDir: project.dir })
      const result = byAction(summary.results, "analytics.fingerprints")
      assert.strictEqual(result.status, "failed")
      assert.include(result.error, "definitions/fingerprints.sqlx: cannot run ST_GEOGPOINT()")
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a cycle and an unknown reference are reported together and nothing runs", () =>
    Effect.gen(function* () {
      const project = makeTempProject({
        "definitions/a.sqlx": `config { type: "view" } select * from \${ref("b")}`,
        "definitions/b.sqlx": `config { type: "view" } select * from \${ref("a")}`,
        "definitions/c.sqlx": `config { type: "view" } select * from \${ref("missing_table")}`
      })
      const error = yield* Effect.flip(transform({ projectDir: project.dir }))
      assert.strictEqual(error._tag, "GraphError")
      assert.include(error.message, "cycle")
      assert.include(error.message, "missing_table")
      const warehouse = yield* Warehouse
      assert.deepStrictEqual(yield* warehouse.listRelations(), [])
      project.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a directory that is not a Dataform project is a clear compile error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(transform({ projectDir: "/tmp" }))
      assert.strictEqual(error._tag, "CompileError")
      assert.include(error.message, "no workflow_settings.yaml")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})

describe("local warehouse", () => {
  it("shows timestamps in UTC, as BigQuery does, whatever the machine's time zone", () => {
    // In a child process: DuckDB takes its default zone from the environment when it starts.
    const warehouseModule = fileURLToPath(new URL("../runner/warehouse.ts", import.meta.url))
    const script = `
      import { Effect } from "effect"
      import { Warehouse } from ${JSON.stringify(warehouseModule)}
      const rows = await Effect.runPromise(Warehouse.use((w) => w.query("SELECT CAST(TIMESTAMPTZ '2024-01-01 23:30:00+02' AS VARCHAR) AS t")).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
      console.log(JSON.stringify(rows))`
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TZ: "America/New_York" }, encoding: "utf8" })
    assert.strictEqual(child.status, 0, child.stderr)
    assert.deepStrictEqual(JSON.parse(child.stdout), [{ t: "2024-01-01 21:30:00+00" }])
  })
})
