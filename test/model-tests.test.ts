import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { compileProject } from "../runner/compile.ts"
import { readIncrementalSpecs, runDataformTests, runIncrementalCase } from "../runner/model-tests.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { localWarehouse } from "./support/local-layers.ts"
import { makeTempProject } from "./support/dataform-project.ts"

const project = makeTempProject({
  "definitions/raw_clicks.sqlx": `config { type: "declaration", schema: "raw", name: "clicks" }`,
  "definitions/daily_clicks.sqlx": `
config { type: "incremental", schema: "marts", uniqueKey: ["day"] }
select day, sum(clicks) as clicks
from \${ref("clicks")}
\${when(incremental(), \`where day >= (select max(day) from \${self()})\`)}
group by day`,
  "definitions/click_share.sqlx": `
config { type: "view", schema: "marts" }
select day, safe_divide(clicks, sum(clicks) over ()) as share from \${ref("daily_clicks")}`,
  "definitions/click_share_test.sqlx": `
config { type: "test", dataset: { schema: "marts", name: "click_share" } }
input "daily_clicks" { select date '2024-01-01' as day, 1 as clicks union all select date '2024-01-02', 3 }
select date '2024-01-01' as day, 0.25 as share union all select date '2024-01-02', 0.75`,
  "definitions/click_share_wrong_test.sqlx": `
config { type: "test", dataset: { schema: "marts", name: "click_share" } }
input "daily_clicks" { select date '2024-01-01' as day, 1 as clicks }
select date '2024-01-01' as day, 0.5 as share`,
  "specs/daily_clicks.yaml": `
action: marts.daily_clicks
inputs:
  clicks: |
    select date '2024-01-01' as day, 2 as clicks union all
    select date '2024-01-02', 3 union all
    select date '2024-01-02', 4
cases:
  - name: first run aggregates everything
    mode: first_run
    expected: |
      select date '2024-01-01' as day, 2 as clicks union all select date '2024-01-02', 7
  - name: the incremental run replaces the last day and keeps older ones
    mode: incremental
    existing: |
      select date '2023-12-31' as day, 9 as clicks union all select date '2024-01-02', 1
    expected: |
      select date '2023-12-31' as day, 9 as clicks union all select date '2024-01-02', 7
  - name: a wrong expectation is reported
    mode: incremental
    existing: select date '2024-01-02' as day, 1 as clicks
    expected: select date '2024-01-02' as day, 8 as clicks
`
})
afterAll(() => project.cleanup())

describe("model tests", () => {
  it.effect("Dataform type: test actions pass or report the differing rows", () =>
    Effect.gen(function* () {
      const graph = yield* compileProject({ projectDir: project.dir })
      const results = yield* runDataformTests(graph).pipe(Effect.provide(localWarehouse(":memory:")))
      const byName = new Map(results.map((r) => [r.name, r]))
      assert.isTrue(byName.get("click_share_test")?.passed, byName.get("click_share_test")?.message)
      const wrong = byName.get("click_share_wrong_test")
      assert.isFalse(wrong?.passed)
      assert.include(wrong?.message, `"share":1`)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("incremental tables are tested on their first run and on a given existing state", () =>
    Effect.gen(function* () {
      const graph = yield* compileProject({ projectDir: project.dir })
      const [entry] = yield* readIncrementalSpecs(path.join(project.dir, "specs"))
      assert.isDefined(entry)
      const results = []
      for (const testCase of entry!.spec.cases) {
        results.push(yield* runIncrementalCase(graph, entry!.file, entry!.spec, testCase).pipe(Effect.provide(Layer.fresh(localWarehouse(":memory:")))))
      }
      assert.deepStrictEqual(results.map((r) => r.passed), [true, true, false], JSON.stringify(results, null, 2))
      assert.include(results[2]!.message, `"clicks":7`)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

describe("environment overrides", () => {
  it.effect("schema suffix and table prefix map onto DuckDB schemas and tables", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      yield* warehouse.run(["CREATE SCHEMA raw", "CREATE TABLE raw.clicks AS SELECT DATE '2024-01-01' AS day, 1 AS clicks"])
      const summary = yield* transform({ projectDir: project.dir, schemaSuffix: "dev", tablePrefix: "tmp" })
      assert.isTrue(summary.ok, JSON.stringify(summary.results, null, 2))
      const relations = (yield* warehouse.listRelations()).map((r) => `${r.schema}.${r.name}`)
      assert.includeMembers(relations, ["marts_dev.tmp_daily_clicks", "marts_dev.tmp_click_share"])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})

describe("mdp query", () => {
  it("prints one JSON array of rows and nothing else", async () => {
    const warehouseFile = path.join(project.dir, "data", "query.duckdb")
    await Effect.runPromise(
      Effect.gen(function* () {
        const warehouse = yield* Warehouse
        yield* warehouse.run([
          "CREATE SCHEMA marts",
          "CREATE TABLE marts.kpis AS SELECT DATE '2024-01-02' AS date, 12::BIGINT AS clicks, 3.5::DECIMAL(38, 9) AS spend, NULL::DOUBLE AS roas, ['a'] AS tags"
        ])
      }).pipe(Effect.provide(localWarehouse(warehouseFile)))
    )
    const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")
    const { stdout } = await promisify(execFile)(process.execPath, [mdp, "query", "--format", "json", "--warehouse", warehouseFile, "select * from `marts.kpis` where regexp_contains(tags[offset(0)], r'a')"])
    assert.deepStrictEqual(JSON.parse(stdout), [{ date: "2024-01-02", clicks: 12, spend: 3.5, roas: null, tags: ["a"] }])
    const failure = await promisify(execFile)(process.execPath, [mdp, "query", "--warehouse", warehouseFile, "select * from marts.nope"]).catch((error: { stderr: string; code: number }) => error)
    assert.strictEqual((failure as { code: number }).code, 1)
    assert.match((failure as { stderr: string }).stderr, /^error: .*nope/)
    assert.notInclude((failure as { stderr: string }).stderr, "    at ")
  })
})
