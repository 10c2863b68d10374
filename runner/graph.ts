/**
 * The compiled Dataform graph: the JSON `dataform compile --json` prints, decoded with Schema,
 * normalised into one list of actions, validated (unknown dependencies, cycles) and selected
 * (`--actions`, `--tags`, `--include-deps`, `--include-dependents`) the way `dataform run` does.
 * It knows nothing of SQL dialects or warehouses.
 */
import { Effect, Schema } from "effect"
import { didYouMean } from "./suggest.ts"
import { Target, targetKey, targetLabel } from "./target.ts"

const Strings = Schema.Array(Schema.String)
const Targets = Schema.Array(Target)

const ColumnDescriptor = Schema.Struct({
  path: Strings,
  description: Schema.optionalKey(Schema.String)
})

const ActionDescriptor = Schema.Struct({
  description: Schema.optionalKey(Schema.String),
  columns: Schema.optionalKey(Schema.Array(ColumnDescriptor))
})

// SQL written by a JavaScript function at run time (`.jitCode(…)`, core 3): compiled with no query.
const JitCode = Schema.optionalKey(Schema.String)

const CompiledTable = Schema.Struct({
  jitCode: JitCode,
  type: Schema.optionalKey(Schema.String),
  enumType: Schema.optionalKey(Schema.String),
  target: Target,
  fileName: Schema.String,
  query: Schema.optionalKey(Schema.String),
  incrementalQuery: Schema.optionalKey(Schema.String),
  // The JS API's `.where(…)` (core 2.x and 3.x): the incremental query's filter.
  where: Schema.optionalKey(Schema.String),
  preOps: Schema.optionalKey(Strings),
  postOps: Schema.optionalKey(Strings),
  incrementalPreOps: Schema.optionalKey(Strings),
  incrementalPostOps: Schema.optionalKey(Strings),
  disabled: Schema.optionalKey(Schema.Boolean),
  protected: Schema.optionalKey(Schema.Boolean),
  uniqueKey: Schema.optionalKey(Strings),
  dependencyTargets: Schema.optionalKey(Targets),
  tags: Schema.optionalKey(Strings),
  actionDescriptor: Schema.optionalKey(ActionDescriptor),
  bigquery: Schema.optionalKey(Schema.Struct({ updatePartitionFilter: Schema.optionalKey(Schema.String), partitionBy: Schema.optionalKey(Schema.String), clusterBy: Schema.optionalKey(Strings), incrementalPredicates: Schema.optionalKey(Strings) })),
  // Core 3.0.x: enum names in JSON (numbers from a protobuf decode).
  onSchemaChange: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  incrementalStrategy: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number]))
})

const CompiledOperation = Schema.Struct({
  jitCode: JitCode,
  target: Target,
  fileName: Schema.String,
  queries: Schema.optionalKey(Strings),
  hasOutput: Schema.optionalKey(Schema.Boolean),
  disabled: Schema.optionalKey(Schema.Boolean),
  dependencyTargets: Schema.optionalKey(Targets),
  tags: Schema.optionalKey(Strings)
})

const CompiledAssertion = Schema.Struct({
  jitCode: JitCode,
  target: Target,
  fileName: Schema.String,
  query: Schema.String,
  disabled: Schema.optionalKey(Schema.Boolean),
  dependencyTargets: Schema.optionalKey(Targets),
  tags: Schema.optionalKey(Strings),
  parentAction: Schema.optionalKey(Target)
})

// A declaration core compiles without a name (a package's `declare` given no name): it declares
// nothing an action can read, and is left out of the graph.
const CompiledDeclaration = Schema.Struct({
  target: Schema.Struct({ database: Schema.optionalKey(Schema.String), schema: Schema.optionalKey(Schema.String), name: Schema.optionalKey(Schema.String) }),
  fileName: Schema.optionalKey(Schema.String),
  actionDescriptor: Schema.optionalKey(ActionDescriptor)
})

// Notebooks and data preparations run on Google Cloud only; they are in the graph so that what
// depends on them is found, and fail by name when run (`runner/plan.ts`).
const CompiledNotebook = Schema.Struct({
  target: Target,
  fileName: Schema.optionalKey(Schema.String),
  disabled: Schema.optionalKey(Schema.Boolean),
  dependencyTargets: Schema.optionalKey(Targets),
  tags: Schema.optionalKey(Strings)
})

const CompiledDataPreparation = Schema.Struct({
  target: Schema.optionalKey(Target),
  targets: Schema.optionalKey(Targets),
  fileName: Schema.optionalKey(Schema.String),
  disabled: Schema.optionalKey(Schema.Boolean),
  dependencyTargets: Schema.optionalKey(Targets),
  tags: Schema.optionalKey(Strings)
})

const CompiledTest = Schema.Struct({
  name: Schema.String,
  fileName: Schema.String,
  testQuery: Schema.optionalKey(Schema.String),
  expectedOutputQuery: Schema.optionalKey(Schema.String)
})

const CompilationProblem = Schema.Struct({
  fileName: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
  actionName: Schema.optionalKey(Schema.String)
})

export const CompiledGraph = Schema.Struct({
  tables: Schema.optionalKey(Schema.Array(CompiledTable)),
  operations: Schema.optionalKey(Schema.Array(CompiledOperation)),
  assertions: Schema.optionalKey(Schema.Array(CompiledAssertion)),
  declarations: Schema.optionalKey(Schema.Array(CompiledDeclaration)),
  notebooks: Schema.optionalKey(Schema.Array(CompiledNotebook)),
  dataPreparations: Schema.optionalKey(Schema.Array(CompiledDataPreparation)),
  tests: Schema.optionalKey(Schema.Array(CompiledTest)),
  projectConfig: Schema.Struct({
    defaultDatabase: Schema.optionalKey(Schema.String),
    defaultSchema: Schema.optionalKey(Schema.String),
    assertionSchema: Schema.optionalKey(Schema.String),
    schemaSuffix: Schema.optionalKey(Schema.String),
    tablePrefix: Schema.optionalKey(Schema.String),
    vars: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
  }),
  graphErrors: Schema.optionalKey(
    Schema.Struct({ compilationErrors: Schema.optionalKey(Schema.Array(CompilationProblem)) })
  ),
  dataformCoreVersion: Schema.optionalKey(Schema.String)
})
export type CompiledGraph = typeof CompiledGraph.Type

export const decodeCompiledGraph = Schema.decodeUnknownEffect(CompiledGraph)

export type ActionKind = "table" | "view" | "incremental" | "operations" | "assertion" | "declaration" | "notebook" | "data preparation"

interface ActionBase {
  readonly key: string
  readonly target: Target
  readonly fileName: string
  readonly dependencies: ReadonlyArray<Target>
  readonly tags: ReadonlyArray<string>
  readonly disabled: boolean
  /** Its SQL comes from a JavaScript function Dataform calls at run time (JiT compilation). */
  readonly compiledAtRunTime?: boolean
  /** Names DuckDB found to be ARRAYs read through inside UNNEST, learnt by a failed attempt (`runner/execute.ts`). */
  readonly arrayNames?: ReadonlyArray<string>
}

export interface TableAction extends ActionBase {
  readonly kind: "table" | "view" | "incremental"
  readonly query: string
  readonly incrementalQuery: string
  readonly preOps: ReadonlyArray<string>
  readonly postOps: ReadonlyArray<string>
  readonly incrementalPreOps: ReadonlyArray<string>
  readonly incrementalPostOps: ReadonlyArray<string>
  readonly protected: boolean
  readonly uniqueKey: ReadonlyArray<string>
  /** BigQuery's MERGE matches only target rows passing it (`DATAFORM_DEST.<filter>`); others get new rows. */
  readonly updatePartitionFilter: string | undefined
  /** BigQuery's partitioning expression (`bigquery.partitionBy`), which INFORMATION_SCHEMA.PARTITIONS reads. */
  readonly partitionBy: string | undefined
  /** `bigquery.clusterBy`, which INFORMATION_SCHEMA.COLUMNS' clustering_ordinal_position reads. */
  readonly clusterBy?: ReadonlyArray<string>
  readonly description: string | undefined
  /** An incremental run's answer to a query whose columns differ from the table's (core 3.0.x); absent, IGNORE. */
  readonly onSchemaChange?: "FAIL" | "EXTEND" | "SYNCHRONIZE"
  /** `incrementalStrategy: "INSERT_OVERWRITE"`: the new rows' partitions replace the table's. */
  readonly insertOverwrite?: boolean
  /** `bigquery.incrementalPredicates` (core 3.0.x): conditions on DATAFORM_DEST and DATAFORM_SOURCE added to the MERGE's match. */
  readonly incrementalPredicates?: ReadonlyArray<string>
}

export interface OperationAction extends ActionBase {
  readonly kind: "operations"
  readonly queries: ReadonlyArray<string>
  readonly hasOutput: boolean
}

export interface AssertionAction extends ActionBase {
  readonly kind: "assertion"
  readonly query: string
}

export interface DeclarationAction extends ActionBase {
  readonly kind: "declaration"
  /** The columns its config documents (top-level names), for `mdp sources init`. */
  readonly columns: ReadonlyArray<string>
}

/** A Colab notebook or a BigQuery data preparation: compiled by Dataform, run only on Google Cloud. */
export interface CloudOnlyAction extends ActionBase {
  readonly kind: "notebook" | "data preparation"
}

export type Action = TableAction | OperationAction | AssertionAction | DeclarationAction | CloudOnlyAction

export const isCloudOnly = (action: Action): action is CloudOnlyAction => action.kind === "notebook" || action.kind === "data preparation"

export interface UnitTest {
  readonly name: string
  readonly fileName: string
  readonly testQuery: string
  readonly expectedOutputQuery: string
}

export interface ProjectGraph {
  readonly actions: ReadonlyArray<Action>
  readonly tests: ReadonlyArray<UnitTest>
  readonly compiled: CompiledGraph
  /** Set when the project compiled with another core than it pins (npm could not install that one). */
  readonly coreNote?: string
}

/** Actions, or entries holding one, each after the actions it depends on (the graph lists them in the project's order). */
export const inDependencyOrder = <A>(entries: ReadonlyArray<A>, actionOf: (entry: A) => Action): ReadonlyArray<A> => {
  const byKey = new Map(entries.map((entry) => [actionOf(entry).key, entry]))
  const ordered: Array<A> = []
  const seen = new Set<string>()
  const visit = (entry: A) => {
    const action = actionOf(entry)
    if (seen.has(action.key)) return
    seen.add(action.key)
    for (const dependency of action.dependencies) {
      const upstream = byKey.get(targetKey(dependency))
      if (upstream !== undefined) visit(upstream)
    }
    ordered.push(entry)
  }
  entries.forEach(visit)
  return ordered
}

/** A problem in the project itself; all of them are reported together and nothing runs. */
export class GraphError extends Schema.TaggedError<GraphError>()("GraphError", {
  problems: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `The Dataform project has ${this.problems.length} problem(s):\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

// dataform.OnSchemaChange: IGNORE 0, FAIL 1, EXTEND 2, SYNCHRONIZE 3.
const schemaChangeOf = (value: string | number | undefined): { readonly onSchemaChange?: "FAIL" | "EXTEND" | "SYNCHRONIZE" } => {
  const name = typeof value === "number" ? ["IGNORE", "FAIL", "EXTEND", "SYNCHRONIZE"][value] : value?.toUpperCase()
  return name === "FAIL" || name === "EXTEND" || name === "SYNCHRONIZE" ? { onSchemaChange: name } : {}
}

const tableKind = (type: string | undefined, enumType: string | undefined): TableAction["kind"] => {
  const kind = (type ?? enumType ?? "table").toLowerCase()
  return kind === "view" || kind === "incremental" ? kind : "table"
}

/** Flattens the compiled graph into actions. */
export const toProjectGraph = (compiled: CompiledGraph): ProjectGraph => {
  const base = (
    target: Target,
    fileName: string | undefined,
    dependencyTargets: ReadonlyArray<Target> | undefined,
    tags: ReadonlyArray<string> | undefined,
    disabled: boolean | undefined
  ) => ({
    key: targetKey(target),
    target,
    fileName: fileName ?? "",
    dependencies: dependencyTargets ?? [],
    tags: tags ?? [],
    disabled: disabled ?? false
  })
  const actions: Array<Action> = []
  for (const table of compiled.tables ?? []) {
    actions.push({
      ...base(table.target, table.fileName, table.dependencyTargets, table.tags, table.disabled),
      ...(table.jitCode === undefined ? {} : { compiledAtRunTime: true }),
      kind: tableKind(table.type, table.enumType),
      query: table.query ?? "",
      // As Dataform's incremental query: `where` filters it.
      incrementalQuery: table.where === undefined || table.where.trim() === "" ? (table.incrementalQuery ?? table.query ?? "") : `select * from (${table.incrementalQuery ?? table.query ?? ""}) as subquery\n    where ${table.where}`,
      preOps: table.preOps ?? [],
      postOps: table.postOps ?? [],
      incrementalPreOps: table.incrementalPreOps ?? table.preOps ?? [],
      incrementalPostOps: table.incrementalPostOps ?? table.postOps ?? [],
      protected: table.protected ?? false,
      uniqueKey: table.uniqueKey ?? [],
      updatePartitionFilter: table.bigquery?.updatePartitionFilter,
      // Some compilers write "" for no partitioning.
      partitionBy: table.bigquery?.partitionBy === "" ? undefined : table.bigquery?.partitionBy,
      description: table.actionDescriptor?.description,
      ...((table.bigquery?.clusterBy ?? []).length > 0 ? { clusterBy: table.bigquery!.clusterBy! } : {}),
      ...schemaChangeOf(table.onSchemaChange),
      ...((table.bigquery?.incrementalPredicates ?? []).some((predicate) => predicate.trim() !== "") ? { incrementalPredicates: table.bigquery!.incrementalPredicates!.filter((predicate) => predicate.trim() !== "") } : {}),
      ...(/INSERT_OVERWRITE/i.test(String(table.incrementalStrategy ?? "")) || table.incrementalStrategy === 2 ? { insertOverwrite: true } : {})
    })
  }
  for (const operation of compiled.operations ?? []) {
    actions.push({
      ...base(operation.target, operation.fileName, operation.dependencyTargets, operation.tags, operation.disabled),
      ...(operation.jitCode === undefined ? {} : { compiledAtRunTime: true }),
      kind: "operations",
      queries: operation.queries ?? [],
      hasOutput: operation.hasOutput ?? false
    })
  }
  for (const assertion of compiled.assertions ?? []) {
    actions.push({
      ...base(assertion.target, assertion.fileName, assertion.dependencyTargets, assertion.tags, assertion.disabled),
      ...(assertion.jitCode === undefined ? {} : { compiledAtRunTime: true }),
      kind: "assertion",
      query: assertion.query
    })
  }
  for (const declaration of compiled.declarations ?? []) {
    const name = declaration.target.name
    if (name === undefined) continue
    actions.push({
      ...base({ ...declaration.target, name }, declaration.fileName, [], [], false),
      kind: "declaration",
      columns: [...new Set((declaration.actionDescriptor?.columns ?? []).map((column) => column.path[0]).filter((name) => name !== undefined))]
    })
  }
  for (const notebook of compiled.notebooks ?? []) {
    actions.push({ ...base(notebook.target, notebook.fileName, notebook.dependencyTargets, notebook.tags, notebook.disabled), kind: "notebook" })
  }
  // A data preparation may write several tables: each is an action of its own, for its readers.
  for (const preparation of compiled.dataPreparations ?? []) {
    const outputs = [...(preparation.target === undefined ? [] : [preparation.target]), ...(preparation.targets ?? [])]
    for (const output of outputs.filter((target, i) => outputs.findIndex((other) => targetKey(other) === targetKey(target)) === i)) {
      actions.push({ ...base(output, preparation.fileName, preparation.dependencyTargets, preparation.tags, preparation.disabled), kind: "data preparation" })
    }
  }
  const tests = (compiled.tests ?? []).map((test) => ({
    name: test.name,
    fileName: test.fileName,
    testQuery: test.testQuery ?? "",
    expectedOutputQuery: test.expectedOutputQuery ?? ""
  }))
  return { actions, tests, compiled }
}

/** Every problem that makes the graph unsafe to execute: compile errors, unknown dependencies, cycles. */
export const graphProblems = (graph: ProjectGraph): ReadonlyArray<string> => {
  const problems: Array<string> = []
  for (const error of graph.compiled.graphErrors?.compilationErrors ?? []) {
    problems.push(`${error.fileName ?? "<project>"}: ${(error.message ?? "compilation error").split("\n")[0]}`)
  }
  const byKey = new Map(graph.actions.map((action) => [action.key, action]))
  for (const action of graph.actions) {
    for (const dependency of action.dependencies) {
      if (!byKey.has(targetKey(dependency))) {
        problems.push(
          `${action.fileName}: ${targetLabel(action.target)} depends on ${targetLabel(dependency)}, which no action or declaration defines`
        )
      }
    }
  }
  for (const cycle of findCycles(graph.actions)) {
    problems.push(`dependency cycle: ${cycle.map((key) => targetLabel(byKey.get(key)!.target)).join(" -> ")}`)
  }
  return problems
}

const findCycles = (actions: ReadonlyArray<Action>): ReadonlyArray<ReadonlyArray<string>> => {
  const byKey = new Map(actions.map((action) => [action.key, action]))
  const state = new Map<string, "visiting" | "done">()
  const cycles: Array<Array<string>> = []
  const stack: Array<string> = []
  const visit = (key: string): void => {
    const seen = state.get(key)
    if (seen === "done") return
    if (seen === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(key)), key])
      return
    }
    state.set(key, "visiting")
    stack.push(key)
    for (const dependency of byKey.get(key)?.dependencies ?? []) {
      if (byKey.has(targetKey(dependency))) visit(targetKey(dependency))
    }
    stack.pop()
    state.set(key, "done")
  }
  for (const action of actions) visit(action.key)
  return cycles
}

export const validateGraph = (graph: ProjectGraph): Effect.Effect<ProjectGraph, GraphError> => {
  const problems = graphProblems(graph)
  return (problems.length === 0 ? Effect.succeed(graph) : Effect.fail(new GraphError({ problems }))).pipe(Effect.withSpan("Graph.validate"))
}

export interface Selection {
  readonly actions?: ReadonlyArray<string>
  readonly tags?: ReadonlyArray<string>
  readonly includeDependencies?: boolean
  readonly includeDependents?: boolean
}

/** An action is named by `name`, `schema.name` or `database.schema.name`. */
const matchesName = (action: Action, name: string): boolean =>
  name === action.target.name || name === targetLabel(action.target) || name === action.key

/** `--actions` or `--tags` named something the project does not have: a mistake in the command, not the project. */
export class SelectionError extends Schema.TaggedError<SelectionError>()("SelectionError", {
  problems: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return this.problems.join("; ")
  }
}

/**
 * The keys of the actions to run. With no `actions` and no `tags` everything is selected.
 * Names that match nothing are problems, not silence.
 */
export const selectActions = (
  graph: ProjectGraph,
  selection: Selection
): Effect.Effect<ReadonlySet<string>, SelectionError> => {
  const names = selection.actions ?? []
  const tags = selection.tags ?? []
  if (names.length === 0 && tags.length === 0) return Effect.succeed(new Set(graph.actions.map((a) => a.key)))
  const problems: Array<string> = []
  for (const name of names) {
    if (!graph.actions.some((action) => matchesName(action, name))) {
      problems.push(`--actions ${name}: no action has that name${didYouMean(name, graph.actions.map((action) => (name.includes(".") ? targetLabel(action.target) : action.target.name)))}`)
    }
  }
  for (const tag of tags) {
    if (!graph.actions.some((action) => action.tags.includes(tag))) {
      problems.push(`--tags ${tag}: no action has that tag${didYouMean(tag, graph.actions.flatMap((action) => action.tags))}`)
    }
  }
  if (problems.length > 0) return Effect.fail(new SelectionError({ problems }))
  const selected = new Set(
    graph.actions
      .filter((action) => names.some((name) => matchesName(action, name)) || action.tags.some((t) => tags.includes(t)))
      .map((action) => action.key)
  )
  const byKey = new Map(graph.actions.map((action) => [action.key, action]))
  if (selection.includeDependencies === true) {
    const pending = [...selected]
    while (pending.length > 0) {
      for (const dependency of byKey.get(pending.pop()!)?.dependencies ?? []) {
        const key = targetKey(dependency)
        if (!selected.has(key)) {
          selected.add(key)
          pending.push(key)
        }
      }
    }
  }
  if (selection.includeDependents === true) {
    const dependents = new Map<string, Array<string>>()
    for (const action of graph.actions) {
      for (const dependency of action.dependencies) {
        const list = dependents.get(targetKey(dependency)) ?? []
        list.push(action.key)
        dependents.set(targetKey(dependency), list)
      }
    }
    const pending = [...selected]
    while (pending.length > 0) {
      for (const key of dependents.get(pending.pop()!) ?? []) {
        if (!selected.has(key)) {
          selected.add(key)
          pending.push(key)
        }
      }
    }
  }
  return Effect.succeed(selected)
}
