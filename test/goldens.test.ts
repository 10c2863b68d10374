// The plans of the project's own models, pinned as reviewed files: test/goldens/<scenario>.sql
// holds every action's DuckDB statements (what a dry run prints) for a first run into an empty
// warehouse (which a full refresh must plan alike) and for a later run (incremental tables
// merge). A change to a model, an include, the translation or the planner shows up here as a
// diff to read. After a deliberate change:
//   MDP_UPDATE_GOLDENS=1 npx vitest run --project integration test/goldens.test.ts
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect } from "effect"
import { assert, describe, it } from "vitest"
import { compileProject } from "../runner/compile.ts"
import { validateGraph, type ProjectGraph } from "../runner/graph.ts"
import { fixedCatalogue, plan } from "../runner/plan.ts"
import { targetLabel } from "../runner/target.ts"
import type { RelationType } from "../runner/warehouse.ts"

const repository = path.resolve(import.meta.dirname, "..")
const goldens = path.join(import.meta.dirname, "goldens")
// Fixed vars: nothing in a plan depends on the day it is made.
const vars = { as_of: "2026-01-15" }

const relationsOf = (graph: ProjectGraph, which: "sources" | "everything") =>
  Object.fromEntries(
    graph.actions
      .filter((action) => action.kind === "declaration" || (which === "everything" && action.kind !== "operations"))
      .map((action): [string, { type: RelationType }] => [
        `${action.target.schema ?? "main"}.${action.target.name}`,
        { type: action.kind === "view" || action.kind === "assertion" ? "view" : "table" }
      ])
  )

const render = (planned: Effect.Success<ReturnType<typeof plan>>): string =>
  planned
    .map(({ action, planned: result }) => {
      const heading = `-- ${targetLabel(action.target)} · ${action.kind} · ${action.fileName}`
      if (result._tag === "Failure") return `${heading}\n-- cannot be planned: ${result.failure.message}\n`
      const { mode, check, statements } = result.success
      return [`${heading}${mode === undefined ? "" : mode === "incremental" ? " · merges" : " · builds"} · then ${check}`, ...statements.map((statement) => `${statement};`)].join("\n") + "\n"
    })
    .join("\n")

// A full refresh of a built warehouse rebuilds every table as a first run does: its plan is
// pinned by the same file.
const scenarios = [
  { name: "first-run", golden: "first-run", relations: "sources", fullRefresh: false },
  { name: "later-run", golden: "later-run", relations: "everything", fullRefresh: false },
  { name: "full-refresh", golden: "first-run", relations: "everything", fullRefresh: true }
] as const

describe("the plans of the project's models (test/goldens/)", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: the statements of every action are the reviewed ones`, () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const graph = yield* compileProject({ projectDir: repository, vars }).pipe(Effect.flatMap(validateGraph))
          const text = render(yield* plan(graph, fixedCatalogue(relationsOf(graph, scenario.relations)), { fullRefresh: scenario.fullRefresh }))
          const file = path.join(goldens, `${scenario.golden}.sql`)
          if (process.env["MDP_UPDATE_GOLDENS"] === "1" && scenario.name === scenario.golden) writeFileSync(file, text)
          assert.isTrue(existsSync(file), `${path.relative(repository, file)} is missing: write it with MDP_UPDATE_GOLDENS=1 and review it`)
          const golden = readFileSync(file, "utf8")
          // Compared as lines, so a failure shows the first lines that differ.
          assert.deepStrictEqual(text.split("\n"), golden.split("\n"), `${path.relative(repository, file)} differs from the plan: review the change, then MDP_UPDATE_GOLDENS=1`)
          assert.notInclude(text, "cannot be planned")
        }).pipe(Effect.provide(NodeFileSystem.layer))
      ), 60_000)
  }
})
