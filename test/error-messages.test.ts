// Errors name the analyst's own file and line, and a hint is given only where following it fixes
// the case: each hint here is followed, and the case is then fixed.
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import type { ActionResult } from "../runner/execute.ts"
import { graphProblems, toProjectGraph } from "../runner/graph.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { makeTempProject } from "./support/dataform-project.ts"
import { localWarehouse } from "./support/local-layers.ts"

const rows = `
config { type: "table", schema: "staging", description: "Rows." }
select day, 1 as clicks, 2 as impressions from unnest(generate_date_array(date '2031-02-01', date '2031-02-05')) as day`

const dailyModel = (columns: string) => `
config {
  type: "incremental",
  schema: "marts",
  uniqueKey: ["day"],
  description: "Clicks per day.",
  columns: { day: "Day.", clicks: "Clicks.", impressions: "Impressions." }
}

select
  day,
  ${columns}
from \${ref("rows")}
group by day
`

const project = makeTempProject({ "definitions/rows.sqlx": rows, "definitions/daily.sqlx": dailyModel("sum(clicks) as clicks") })
afterAll(() => project.cleanup())

const failedResult = (results: ReadonlyArray<ActionResult>): ActionResult => {
  const failed = results.find((result) => result.status === "failed")
  assert.isDefined(failed, "an action failed")
  return failed!
}

describe("a model's SQL error", () => {
  it.effect("names the .sqlx line; a table older than its model is merged as Dataform merges it, with a warning whose --full-refresh fixes it", () =>
    Effect.gen(function* () {
      const run = (options: { readonly fullRefresh?: boolean; readonly includeDependents?: boolean; readonly actions?: ReadonlyArray<string> } = {}) =>
        transform({ projectDir: project.dir, concurrency: 1, ...options })
      assert.isTrue((yield* run()).ok)

      // A typo in the model: its own line, and no rebuild advice (a rebuild fails the same way).
      project.write("definitions/daily.sqlx", dailyModel("sum(clicks) as clicks,\n  sum(impresions) as impressions"))
      const typo = failedResult((yield* run()).results)
      assert.match(typo.error!, /^definitions\/daily\.sqlx:13:7: Binder Error: Referenced column "impresions" not found/)
      assert.include(typo.error!, "> 13 |   sum(impresions) as impressions")
      assert.notInclude(typo.error!, "LINE ", "DuckDB's excerpt of the translated SQL is left out")
      assert.notInclude(typo.error!, "--full-refresh")
      assert.deepStrictEqual(typo.location, { line: 13, column: 7 })
      assert.include(failedResult((yield* run({ fullRefresh: true })).results).error!, "impresions", "a rebuild would not have fixed it")

      // A column added to the model: as Dataform's merge does (onSchemaChange IGNORE), the run writes
      // the table's own columns and leaves the new one out, with a warning whose command adds it.
      project.write("definitions/daily.sqlx", dailyModel("sum(clicks) as clicks,\n  sum(impressions) as impressions"))
      const merged = yield* run()
      assert.isTrue(merged.ok)
      const daily = merged.results.find((result) => result.action === "marts.daily")!
      assert.strictEqual(daily.mode, "incremental")
      assert.notInclude(yield* (yield* Warehouse).columns("marts", "daily"), "impressions", "left out, as on BigQuery")
      const warning = (daily.warnings ?? []).join("\n")
      assert.include(warning, "the query has column(s) impressions that marts.daily lacks; the merge left them out, as Dataform does")
      const hint = /mdp transform --actions (\S+) --full-refresh --include-dependents/.exec(warning)
      assert.isNotNull(hint, warning)
      assert.isTrue((yield* run({ actions: [hint![1]!], fullRefresh: true, includeDependents: true })).ok)
      assert.include(yield* (yield* Warehouse).columns("marts", "daily"), "impressions")
      const later = yield* run()
      assert.isTrue(later.ok, "and later runs merge again")
      assert.isUndefined(later.results.find((result) => result.action === "marts.daily")!.warnings, "with nothing left out")

      // A column the model no longer has fails the merge, as on BigQuery; a rebuild is then the fix.
      project.write("definitions/daily.sqlx", dailyModel("sum(clicks) as clicks"))
      const dropped = failedResult((yield* run()).results)
      assert.include(dropped.error!, 'Referenced column "impressions" not found')
      const rebuild = /rebuild it once: mdp transform --actions (\S+) --full-refresh --include-dependents/.exec(dropped.error!)
      assert.isNotNull(rebuild, dropped.error)
      assert.isTrue((yield* run({ actions: [rebuild![1]!], fullRefresh: true, includeDependents: true })).ok)
    }).pipe(Effect.provide(localWarehouse(path.join(project.dir, "warehouse.duckdb")))))

  it.effect("a persistent function the project calls but does not create is named, with where BigQuery keeps it; created as the hint says, the action runs", () =>
    Effect.gen(function* () {
      const calls = makeTempProject({
        "definitions/parsed.sqlx": `
config { type: "table", schema: "reporting", description: "Parsed." }
select cb_functions.XML_TO_JSON('<a>1</a>') as json_text`
      })
      try {
        const failed = failedResult((yield* transform({ projectDir: calls.dir })).results)
        assert.include(failed.error!, "cb_functions.XML_TO_JSON is a persistent function the project calls but does not create (on BigQuery it lives in the dataset cb_functions)")
        const function_ = /CREATE FUNCTION (\S+)\(/.exec(failed.error!)
        assert.strictEqual(function_?.[1], "cb_functions.XML_TO_JSON")
        calls.write("definitions/xml_to_json.sqlx", `config { type: "operations" }\nCREATE SCHEMA IF NOT EXISTS cb_functions;\nCREATE FUNCTION ${function_![1]}(xml STRING) AS (TO_JSON_STRING(STRUCT(xml AS raw)))`)
        calls.write("definitions/parsed.sqlx", `
config { type: "table", schema: "reporting", description: "Parsed.", dependencies: ["xml_to_json"] }
select cb_functions.XML_TO_JSON('<a>1</a>') as json_text`)
        assert.isTrue((yield* transform({ projectDir: calls.dir })).ok)
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT json_text FROM reporting.parsed"), [{ json_text: '{"raw":"<a>1</a>"}' }])
      } finally {
        calls.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a missing comma is shown at the line where the parser stopped, with the line before it", () =>
    Effect.gen(function* () {
      const broken = makeTempProject({ "definitions/rows.sqlx": rows.replace("select day,", "select day") })
      const failed = failedResult((yield* transform({ projectDir: broken.dir })).results)
      broken.cleanup()
      assert.match(failed.error!, /^definitions\/rows\.sqlx:3:12: cannot run the statement locally: /)
      assert.include(failed.error!, "> 3 | select day 1 as clicks")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})

describe("hints outside the SQL", () => {
  const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")
  const run = (args: ReadonlyArray<string>) =>
    promisify(execFile)(process.execPath, [mdp, ...args]).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
    )

  it("a warehouse another process has open: the hint says to close it, and then the command works", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-held-"))
    const warehouse = path.join(folder, "w.duckdb")
    const holder = spawn(process.execPath, [
      "-e",
      `const { DuckDBInstance } = require(${JSON.stringify(createRequire(import.meta.url).resolve("@duckdb/node-api"))});
       DuckDBInstance.create(${JSON.stringify(warehouse)}).then(async (db) => { await (await db.connect()).run("create table t as select 1 as x"); console.log("open"); setTimeout(() => {}, 600000) })`
    ])
    try {
      await new Promise<void>((resolve) => holder.stdout.on("data", () => resolve()))
      const held = await run(["query", "--warehouse", warehouse, "select x from t"])
      assert.strictEqual(held.code, 1)
      assert.match(held.stderr, /is in use by another process/)
      assert.match(held.stderr, /\nhint: Close the other process that has the warehouse open/)
      assert.notMatch(held.stderr, /Check the SQL/)
      holder.kill("SIGKILL")
      await new Promise((resolve) => holder.on("close", resolve))
      const after = await run(["query", "--warehouse", warehouse, "select x from t"])
      assert.strictEqual(after.code, 0, after.stderr)
      assert.include(after.stdout, "1")
    } finally {
      holder.kill("SIGKILL")
      rmSync(folder, { recursive: true, force: true })
    }
  }, 60_000)

  it.effect("a project without its @dataform/core says to install it, and then compiles", () =>
    Effect.gen(function* () {
      const bare = makeTempProject({ "definitions/rows.sqlx": rows })
      // (A package.json declaring only the core compiles without it, as a pinned project: test/compile.test.ts.)
      bare.write("package.json", JSON.stringify({ dependencies: { "@dataform/core": "3.0.62", "dataform-scd": "1.0.0" } }))
      const core = path.join(bare.dir, "node_modules", "@dataform", "core")
      const saved = `${core}-saved`
      yield* Effect.sync(() => renameSync(core, saved))
      const error = yield* Effect.flip(transform({ projectDir: bare.dir }))
      assert.strictEqual(error._tag, "CompileError")
      assert.include(error.message, "@dataform/core is not installed; run `npm install` first")
      // What `npm install` does for it: the package back in node_modules.
      yield* Effect.sync(() => renameSync(saved, core))
      const compiled = yield* transform({ projectDir: bare.dir })
      assert.isTrue(compiled.ok, JSON.stringify(compiled.results))
      bare.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a project on @dataform/core 1.x is told which cores the runner compiles, not a stack trace", () =>
    Effect.gen(function* () {
      const old = makeTempProject({ "definitions/rows.sqlx": rows })
      const manifest = path.join(old.dir, "node_modules", "@dataform", "core", "package.json")
      yield* Effect.sync(() => writeFileSync(manifest, JSON.stringify({ ...(JSON.parse(readFileSync(manifest, "utf8")) as object), version: "1.18.0" })))
      const error = yield* Effect.flip(transform({ projectDir: old.dir }))
      assert.strictEqual(error._tag, "CompileError")
      assert.include(error.message, "@dataform/core 1.18.0 is installed: the runner compiles projects on core 2.x and 3.x")
      old.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a notebook (actions.yaml) is in the graph: what depends on it is found, and it fails by name while the rest of the project runs; so does an action whose SQL a JiT function writes", () =>
    Effect.gen(function* () {
      const notebook = makeTempProject({
        "definitions/rows.sqlx": rows,
        "definitions/actions.yaml": "actions:\n- notebook:\n    filename: notebooks/score.ipynb\n    name: score_notebook\n",
        "definitions/notebooks/score.ipynb": JSON.stringify({ cells: [{ cell_type: "code", source: ["print('scored')"], metadata: {}, outputs: [], execution_count: null }], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
        "definitions/scores.sqlx": `config { type: "table", description: "Reads what the notebook wrote.", dependencies: ["score_notebook"] }\nselect 1 as score`,
        "definitions/jit.js": `publish("jit_scores", { type: "table" }).jitCode(async () => "SELECT 1 AS a")`
      })
      const summary = yield* transform({ projectDir: notebook.dir, concurrency: 1 })
      const status = Object.fromEntries(summary.results.map((result) => [result.action, result.status]))
      assert.deepStrictEqual(status, { "staging.rows": "succeeded", "analytics.scores": "skipped", "analytics.jit_scores": "failed", "analytics.score_notebook": "failed" })
      const failed = (name: string) => summary.results.find((result) => result.action === name)!
      assert.strictEqual(failed("analytics.score_notebook").kind, "notebook")
      assert.include(failed("analytics.score_notebook").error!, "definitions/notebooks/score.ipynb: cannot run a notebook locally: Dataform runs a notebook's Python on Colab Enterprise")
      assert.include(failed("analytics.jit_scores").error!, "definitions/jit.js: cannot run JiT compilation (.jitCode(…)) locally")
      notebook.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it("a data preparation's tables are in the graph, so that a model reading one finds it", () => {
    const graph = toProjectGraph({
      dataPreparations: [{ target: { schema: "d", name: "prep" }, targets: [{ schema: "d", name: "clean_orders" }], fileName: "definitions/prep.dp.yaml" }],
      tables: [{ type: "table", target: { schema: "d", name: "orders_report" }, fileName: "definitions/orders_report.sqlx", query: "select 1 as n", dependencyTargets: [{ schema: "d", name: "clean_orders" }] }],
      projectConfig: {}
    })
    assert.deepStrictEqual(graphProblems(graph), [])
    assert.deepStrictEqual(graph.actions.filter((action) => action.kind === "data preparation").map((action) => action.key), [".d.prep", ".d.clean_orders"])
  })

  it.effect("an operation creates tables in a dataset no action targets, which exists on BigQuery before the run: it exists locally too; a missing table is named without DuckDB's guesses from its own catalogue", () =>
    Effect.gen(function* () {
      const hr = makeTempProject({
        "definitions/create_tables.sqlx": `config { type: "operations" }
CREATE TABLE \`hr-db.hr_management.departments\` (department_id INT64, name STRING);
INSERT INTO \`hr-db.hr_management.departments\` VALUES (1, 'IT'), (2, 'Sales');
CREATE OR REPLACE FUNCTION hr_functions.label(name STRING) AS (UPPER(name))`,
        "definitions/department_names.sqlx": `config { type: "table", dependencies: ["create_tables"], description: "Names." }
select hr_functions.label(name) as label from \`hr-db.hr_management.departments\``,
        "definitions/read_missing.sqlx": `config { type: "operations", dependencies: ["create_tables"] }
SELECT COUNT(*) FROM hr_functions.employees`
      })
      const summary = yield* transform({ projectDir: hr.dir, concurrency: 1 })
      const status = Object.fromEntries(summary.results.map((result) => [result.action, result.status]))
      assert.deepStrictEqual(status, { "analytics.department_names": "succeeded", "analytics.create_tables": "succeeded", "analytics.read_missing": "failed" })
      const rows = yield* (yield* Warehouse).query("SELECT label FROM analytics.department_names ORDER BY label")
      assert.deepStrictEqual(rows, [{ label: "IT" }, { label: "SALES" }])
      const missing = summary.results.find((result) => result.action === "analytics.read_missing")!
      assert.include(missing.error!, "Table with name employees does not exist")
      assert.notInclude(missing.error!, "pg_catalog")
      hr.cleanup()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})
