// DuckDB's plan of every statement the project's models run, first run and later run: none may
// hold a correlated subquery (DuckDB's DELIM_JOIN), which joins a whole table with itself per
// row and made Meta staging the slowest part of a full refresh. A BigQuery idiom that plans this
// way needs a translation rewrite (runner/list-aggregates.ts is one) or a different model.
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, Layer } from "effect"
import { afterAll, assert, describe, it } from "vitest"
import { ensureRawTables, loadReferenceRates } from "../app/load.ts"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { compileProject } from "../runner/compile.ts"
import { inDependencyOrder, validateGraph, type ProjectGraph } from "../runner/graph.ts"
import { fixedCatalogue, plan } from "../runner/plan.ts"
import { duckdbRelation, targetLabel } from "../runner/target.ts"
import { Warehouse, type RelationType } from "../runner/warehouse.ts"
import { googlePayload, metaPayload, rawRow } from "./support/raw-rows.ts"

const repository = path.resolve(import.meta.dirname, "..")
const vars = { as_of: "2024-05-09" }
const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-explain-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const fixture = [
  rawRow("google_ads", "r1", "2024-05-03 08:00:00+00", "111", "1", "2024-05-01", googlePayload("2024-05-01", "EUR", { impressions: "1000", clicks: "50", costMicros: "25000000", conversions: 2, conversionsValue: 100 })),
  rawRow("meta_ads", "r2", "2024-05-03 09:00:00+00", "222", "9", "2024-05-01", metaPayload("2024-05-01", {
    impressions: "2000", inline_link_clicks: "40", spend: "30.00",
    actions: [{ action_type: "omni_purchase", value: "2" }],
    action_values: [{ action_type: "omni_purchase", value: "90.00" }]
  }))
]

// Loaded between the runs, so that the later run has new slices to process: DuckDB plans a query
// over provably no rows as an empty result, which would hide its shape.
const laterLoad = [
  rawRow("google_ads", "r3", "2024-05-04 08:00:00+00", "111", "1", "2024-05-02", googlePayload("2024-05-02", "EUR", { impressions: "900", clicks: "40", costMicros: "20000000" })),
  rawRow("meta_ads", "r4", "2024-05-04 09:00:00+00", "222", "9", "2024-05-01", metaPayload("2024-05-01", { impressions: "2100", spend: "31.00", actions: [{ action_type: "omni_purchase", value: "3" }] }))
]

const relationsOf = (graph: ProjectGraph, which: "sources" | "everything") =>
  Object.fromEntries(
    graph.actions
      .filter((action) => !action.disabled && (action.kind === "declaration" || (which === "everything" && action.kind !== "operations")))
      .map((action): [string, { type: RelationType }] => [`${action.target.schema ?? "main"}.${action.target.name}`, { type: action.kind === "view" || action.kind === "assertion" ? "view" : "table" }])
  )

// Statements EXPLAIN cannot take, or whose plan is no query's: they run without one.
const NOT_EXPLAINED = /^\s*(SET|RESET|DROP|CREATE\s+(SCHEMA|OR\s+REPLACE\s+VIEW|VIEW|TEMP\s+MACRO|MACRO)|ALTER|BEGIN|COMMIT|ROLLBACK)\b/i
const CORRELATED = /\b(DELIM_JOIN|DELIM_SCAN|DEPENDENT_JOIN)\b/

/** Runs the scenario's statements in order on one connection, and names each whose plan is correlated. */
const correlatedStatements = (graph: ProjectGraph, which: "sources" | "everything") =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const planned = inDependencyOrder(yield* plan(graph, fixedCatalogue(relationsOf(graph, which)), { fullRefresh: false }), (entry) => entry.action)
    return yield* warehouse.session((session) =>
      Effect.gen(function* () {
        const found: Array<string> = []
        let explained = 0
        for (const { action, planned: result } of planned) {
          assert.strictEqual(result._tag, "Success", `${targetLabel(action.target)} could not be planned`)
          if (result._tag !== "Success") continue
          // An assertion's view is read when it is checked: its query is planned then.
          const statements = [...result.success.statements, ...(action.kind === "assertion" ? [`SELECT * FROM ${duckdbRelation(action.target)}`] : [])]
          for (const statement of statements) {
            if (!NOT_EXPLAINED.test(statement)) {
              const plan = (yield* session.query(`EXPLAIN ${statement}`)).map((row) => String(row["explain_value"] ?? "")).join("\n")
              explained++
              const operator = CORRELATED.exec(plan)?.[1]
              if (operator !== undefined) found.push(`${targetLabel(action.target)} (${operator}): ${statement.slice(0, 160)}…`)
            }
            yield* session.run(statement)
          }
        }
        return { found, explained }
      })
    )
  })

describe("DuckDB's plans of the project's models", () => {
  it("no statement of a first or a later run is a correlated subquery", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const graph = yield* compileProject({ projectDir: repository, vars }).pipe(Effect.flatMap(validateGraph))
        const warehouse = yield* Warehouse
        yield* ensureRawTables(KNOWN_PLATFORMS)
        yield* loadReferenceRates(path.join(repository, "ingestion", "reference", "fx_rates.csv"))
        yield* warehouse.run(fixture)
        // The executor creates the datasets before the actions run; a plan has no statement for it.
        for (const schema of new Set(graph.actions.map((a) => a.target.schema ?? "main"))) yield* warehouse.createSchema(schema)
        const first = yield* correlatedStatements(graph, "sources")
        yield* warehouse.run(laterLoad)
        const later = yield* correlatedStatements(graph, "everything")
        // The statements were read: every model's query (tables, merges, assertions) is in them.
        assert.isAbove(first.explained, graph.actions.filter((a) => a.kind === "table" || a.kind === "incremental").length)
        assert.isAbove(later.explained, first.explained / 2)
        assert.deepStrictEqual([...first.found, ...later.found], [])
      }).pipe(Effect.provide(Layer.merge(Warehouse.layerDuckDB(path.join(folder, "warehouse.duckdb")), NodeFileSystem.layer)))
    ), 120_000)
})
