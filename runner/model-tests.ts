/**
 * Unit tests of SQLX models, run locally. Two kinds:
 * - Dataform's own `type: "test"` actions (tables and views, inputs inlined by the compiler):
 *   the test query and the expected query must return the same rows.
 * - Incremental-table tests, which Dataform does not allow: a YAML spec gives the inputs, for an
 *   incremental case the table's existing rows, and the rows the table must hold afterwards. Each
 *   case runs the runner's real build statements (first run, or MERGE on `uniqueKey`) in a
 *   scratch in-memory warehouse.
 * Rows are compared as multisets; column names must match.
 */
import path from "node:path"
import { Effect, FileSystem, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { runCatalogue } from "./execute.ts"
import { columnsNeeded, planAction } from "./plan.ts"
import type { ProjectGraph, TableAction } from "./graph.ts"
import { duckdbRelation, quoteIdentifier, targetLabel } from "./target.ts"
import { translate } from "./translate.ts"
import { Warehouse, type Row } from "./warehouse.ts"

export interface ModelTestResult {
  readonly name: string
  readonly fileName: string
  readonly passed: boolean
  readonly message?: string
}

const canonical = (row: Row): string =>
  JSON.stringify(Object.keys(row).sort().map((key) => [key, row[key]]))

/** Compares two row sets; returns why they differ, or undefined when they are equal. */
export const compareRows = (actual: ReadonlyArray<Row>, expected: ReadonlyArray<Row>): string | undefined => {
  const columns = (rows: ReadonlyArray<Row>) => (rows[0] === undefined ? undefined : Object.keys(rows[0]).sort().join(", "))
  const actualColumns = columns(actual)
  const expectedColumns = columns(expected)
  if (actualColumns !== undefined && expectedColumns !== undefined && actualColumns !== expectedColumns) {
    return `columns differ: got [${actualColumns}], expected [${expectedColumns}]`
  }
  const remaining = new Map<string, number>()
  for (const row of expected) remaining.set(canonical(row), (remaining.get(canonical(row)) ?? 0) + 1)
  const unexpected: Array<string> = []
  for (const row of actual) {
    const key = canonical(row)
    const left = remaining.get(key) ?? 0
    if (left > 0) remaining.set(key, left - 1)
    else unexpected.push(JSON.stringify(row))
  }
  const missing = [...remaining.entries()].flatMap(([key, count]) =>
    Array.from({ length: count }, () => JSON.stringify(Object.fromEntries(JSON.parse(key) as Array<[string, unknown]>)))
  )
  if (unexpected.length === 0 && missing.length === 0) return undefined
  const show = (label: string, rows: Array<string>) =>
    rows.length === 0 ? "" : `\n    ${label} (${rows.length}): ${rows.slice(0, 5).join("\n      ")}`
  return `rows differ (${actual.length} returned, ${expected.length} expected)${show("unexpected", unexpected)}${show("missing", missing)}`
}

const queryBigQuery = (sql: string, fileName: string) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const statements = yield* translate(sql, { fileName })
    return yield* warehouse.queryResult(statements.join(";\n"))
  })

/** Runs every `type: "test"` action of the graph. */
export const runDataformTests = Effect.fn("Runner.runDataformTests")(function* (graph: ProjectGraph) {
  const results: Array<ModelTestResult> = []
  for (const test of graph.tests) {
    const outcome = yield* Effect.result(
      Effect.all([queryBigQuery(test.testQuery, test.fileName), queryBigQuery(test.expectedOutputQuery, test.fileName)])
    )
    if (outcome._tag === "Failure") {
      results.push({ name: test.name, fileName: test.fileName, passed: false, message: outcome.failure.message })
      continue
    }
    const difference = compareRows(outcome.success[0], outcome.success[1])
    results.push({ name: test.name, fileName: test.fileName, passed: difference === undefined, ...(difference === undefined ? {} : { message: difference }) })
  }
  return results
})

const IncrementalCase = Schema.Struct({
  name: Schema.String,
  /** `first_run`: the table does not exist yet; `incremental`: it holds `existing`. */
  mode: Schema.Literals(["first_run", "incremental"]),
  existing: Schema.optionalKey(Schema.String),
  expected: Schema.String
})

export const IncrementalSpec = Schema.Struct({
  /** The incremental action, by name or `schema.name`. */
  action: Schema.String,
  /** BigQuery SELECTs standing in for the action's inputs, keyed by action name. */
  inputs: Schema.Record(Schema.String, Schema.String),
  cases: Schema.Array(IncrementalCase)
})
export type IncrementalSpec = typeof IncrementalSpec.Type

/** Reads the `*.yaml` specs of a folder (none when the folder does not exist). */
export const readIncrementalSpecs = Effect.fn("ModelTests.readIncrementalSpecs")(function* (folder: string) {
  const fs = yield* FileSystem.FileSystem
  const present = yield* fs.exists(folder).pipe(Effect.orElseSucceed(() => false))
  const names = present ? yield* fs.readDirectory(folder).pipe(Effect.mapError((cause) => new ModelTestSpecError({ file: folder, reason: cause.message }))) : []
  const files = names.filter((file) => file.endsWith(".yaml")).sort()
  const specs: Array<{ readonly file: string; readonly spec: IncrementalSpec }> = []
  for (const file of files) {
    const full = path.join(folder, file)
    const text = yield* fs.readFileString(full).pipe(Effect.mapError((cause) => new ModelTestSpecError({ file: full, reason: cause.message })))
    const raw = yield* Effect.try({
      try: () => parseYaml(text) as unknown,
      catch: (cause) => new ModelTestSpecError({ file: full, reason: String(cause) })
    })
    const spec = yield* Schema.decodeUnknownEffect(IncrementalSpec)(raw).pipe(
      Effect.mapError((error) => new ModelTestSpecError({ file: full, reason: error.message }))
    )
    specs.push({ file: full, spec })
  }
  return specs
})

/** An incremental test spec that cannot be read or names something that does not exist. */
export class ModelTestSpecError extends Schema.TaggedError<ModelTestSpecError>()("ModelTestSpecError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}

const findAction = (graph: ProjectGraph, name: string) =>
  graph.actions.find((action) => action.target.name === name || targetLabel(action.target) === name)

/** Runs one incremental spec's cases, each in the warehouse provided (use a fresh in-memory one). */
export const runIncrementalCase = Effect.fn("Runner.runIncrementalCase")(function* (
  graph: ProjectGraph,
  file: string,
  spec: IncrementalSpec,
  testCase: IncrementalSpec["cases"][number]
) {
  const warehouse = yield* Warehouse
  const action = findAction(graph, spec.action)
  if (action === undefined || action.kind !== "incremental") {
    return yield* new ModelTestSpecError({ file, reason: `${spec.action} is not an incremental action of the project` })
  }
  const table = action as TableAction
  for (const [name, sql] of Object.entries(spec.inputs)) {
    const input = findAction(graph, name)
    if (input === undefined) return yield* new ModelTestSpecError({ file, reason: `input ${name} is not an action of the project` })
    const select = yield* translate(sql, { fileName: file })
    yield* warehouse.run([
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(input.target.schema ?? "main")}`,
      `CREATE OR REPLACE TABLE ${duckdbRelation(input.target)} AS ${select.join(";\n")}`
    ])
  }
  if (testCase.mode === "incremental") {
    if (testCase.existing === undefined) {
      return yield* new ModelTestSpecError({ file, reason: `case "${testCase.name}" is incremental but gives no existing rows` })
    }
    const existing = yield* translate(testCase.existing, { fileName: file })
    yield* warehouse.run([
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(table.target.schema ?? "main")}`,
      `CREATE OR REPLACE TABLE ${duckdbRelation(table.target)} AS ${existing.join(";\n")}`
    ])
  }
  yield* warehouse.createSchema(table.target.schema ?? "main")
  const { catalogue, loadColumns } = yield* runCatalogue
  yield* loadColumns(columnsNeeded(table, catalogue, { fullRefresh: false }))
  const plan = yield* planAction(table, catalogue, { fullRefresh: false })
  yield* warehouse.run(plan.statements, { transaction: true })
  const actual = yield* warehouse.query(`SELECT * FROM ${duckdbRelation(table.target)}`)
  const expected = yield* queryBigQuery(testCase.expected, file)
  const difference = compareRows(actual, expected)
  if (plan.mode !== (testCase.mode === "first_run" ? "full" : "incremental")) {
    return { name: `${spec.action}: ${testCase.name}`, fileName: file, passed: false, message: `ran as ${plan.mode}, expected ${testCase.mode}` }
  }
  return {
    name: `${spec.action}: ${testCase.name}`,
    fileName: file,
    passed: difference === undefined,
    ...(difference === undefined ? {} : { message: difference })
  } satisfies ModelTestResult
})
