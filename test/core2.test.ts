// A project on @dataform/core 2.x (dataform.json, no workflow_settings.yaml) compiles and runs:
// the stock CLI 3.x refuses core 2.x by version, so the runner compiles it itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { compileProject } from "../runner/compile.ts"
import { graphProblems } from "../runner/graph.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { installCore } from "./support/dataform-project.ts"
import { localWarehouse } from "./support/local-layers.ts"

// Installed by npm install as aliases (package.json: dataform-core-2, dataform-core-2-0), so no
// test reaches a registry. 2.0.x ships no core.proto: the runner speaks to it with its own core's.
const cores = [
  { version: "2.6.0", alias: "dataform-core-2" },
  { version: "2.0.1", alias: "dataform-core-2-0" }
] as const

const makeCore2Project = (core: (typeof cores)[number]) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-core2-"))
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), content)
  }
  write("dataform.json", JSON.stringify({ warehouse: "bigquery", defaultSchema: "analytics", assertionSchema: "checks", defaultDatabase: "legacy-project", defaultLocation: "US", vars: { min_amount: "0" } }))
  write("package.json", JSON.stringify({ dependencies: { "@dataform/core": core.version } }))
  installCore(dir, core.alias)
  write("includes/money.js", "module.exports = { cents: (column) => `cast(round(${column} * 100) as int64)` }")
  // A package-style JS file: actions declared from a helper, as 2.x packages (dataform-segment) do.
  write(
    "definitions/models.js",
    `declare({ schema: "shop", name: "orders" })
// Core 2.x compiles a declaration without a name (a package's, given none): it declares nothing.
declare({ schema: "shop" })
publish("orders_in_cents", { type: "table", description: "Orders with amounts in cents." })
  .query((ctx) => \`select order_id, day, \${money.cents("amount")} as amount_cents from \${ctx.ref("shop", "orders")} where amount >= \${dataform.projectConfig.vars.min_amount}\`)`
  )
  write(
    "definitions/daily.sqlx",
    `config { type: "incremental", uniqueKey: ["day"], assertions: { nonNull: ["day"] } }
select day, sum(amount_cents) as cents from \${ref("orders_in_cents")}
\${when(incremental(), \`where day >= (select max(day) from \${self()})\`)}
group by day`
  )
  write("test/sources/shop/orders.csv", "order_id,day,amount\n1,2024-01-01,1.5\n2,2024-01-01,2.25\n3,2024-01-02,4\n")
  return { dir, write }
}

const projects = cores.map((core) => ({ core, ...makeCore2Project(core) }))
afterAll(() => {
  for (const { dir } of projects) rmSync(dir, { recursive: true, force: true })
})

describe.each(projects)("a @dataform/core $core.version project", ({ dir, write }) => {
  it.effect("compiles with its own core: actions, files, vars and the 2.x defaults come through", () =>
    Effect.gen(function* () {
      const graph = yield* compileProject({ projectDir: dir })
      const names = graph.actions.map((action) => `${action.target.schema}.${action.target.name}`).sort()
      assert.deepStrictEqual(names, ["analytics.daily", "analytics.orders_in_cents", "checks.analytics_daily_assertions_rowConditions", "shop.orders"])
      assert.deepStrictEqual(graphProblems(graph), [])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("runs end to end, and an incremental second run adds only the new day", () =>
    Effect.gen(function* () {
      const first = yield* transform({ projectDir: dir, sourcesDir: path.join(dir, "test", "sources") })
      assert.deepStrictEqual(first.results.map((result) => `${result.action} ${result.status} ${result.error ?? ""}`).filter((line) => !line.includes(" succeeded")), [])
      const warehouse = yield* Warehouse
      const daily = () => warehouse.query("SELECT CAST(day AS VARCHAR) AS day, cents FROM analytics.daily ORDER BY day")
      assert.deepStrictEqual(yield* daily(), [{ day: "2024-01-01", cents: 375 }, { day: "2024-01-02", cents: 400 }])
      write("test/sources/shop/orders.csv", "order_id,day,amount\n1,2024-01-01,1.5\n2,2024-01-01,2.25\n3,2024-01-02,4\n4,2024-01-02,1\n5,2024-01-03,0.5\n")
      const second = yield* transform({ projectDir: dir, sourcesDir: path.join(dir, "test", "sources") })
      assert.deepStrictEqual(second.results.map((result) => `${result.action} ${result.status} ${result.error ?? ""}`).filter((line) => !line.includes(" succeeded")), [])
      // The day re-read (2024-01-02) is merged on its unique key, the new day appended.
      assert.deepStrictEqual(yield* daily(), [{ day: "2024-01-01", cents: 375 }, { day: "2024-01-02", cents: 500 }, { day: "2024-01-03", cents: 50 }])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})
