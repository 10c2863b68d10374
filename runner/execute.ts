/**
 * Executes a compiled Dataform graph on the local warehouse, the way `dataform run` does on
 * BigQuery: dependency order, independent actions concurrently (bounded), every statement
 * translated from BigQuery SQL first. A failed action skips its dependents while independent
 * branches go on; a table or incremental build runs in one transaction, so a failure leaves the
 * previous version intact. It does not run Dataform unit tests (see `model-tests.ts`).
 */
import { availableParallelism } from "node:os"
import { Deferred, Effect, Fiber, Schedule, Schema, Semaphore } from "effect"
import type { Action, AssertionAction, OperationAction, ProjectGraph, TableAction } from "./graph.ts"
import { duckdbRelation, quoteIdentifier, targetKey, targetLabel } from "./target.ts"
import { checkDeclarations, declaredVariables, translate, type TranslationError } from "./translate.ts"
import { Warehouse, WarehouseError, type RelationType, type Row } from "./warehouse.ts"

export type ActionStatus = "succeeded" | "failed" | "skipped" | "disabled" | "planned"

export interface ActionResult {
  readonly key: string
  readonly action: string
  readonly kind: Action["kind"]
  readonly fileName: string
  readonly status: ActionStatus
  readonly durationMs: number
  /** Rows in the target after a table build; rows violating an assertion. */
  readonly rows?: number
  /** For incremental tables: whether the run rebuilt or merged. */
  readonly mode?: "full" | "incremental"
  readonly error?: string
  /** A few violating rows of a failed assertion. */
  readonly sample?: ReadonlyArray<Row>
  /** The DuckDB statements run (or, in a dry run, that would run). */
  readonly statements: ReadonlyArray<string>
}

export interface ExecuteOptions {
  /** Keys of the actions to run; the rest of the graph is assumed to exist already. */
  readonly selected: ReadonlySet<string>
  readonly fullRefresh?: boolean
  readonly dryRun?: boolean
  readonly concurrency?: number
  /** Called as each action starts and ends, for progress output. */
  readonly onActionStart?: (action: Action) => void
  readonly onActionEnd?: (result: ActionResult) => void
}

const ASSERTION_SAMPLE_ROWS = 5

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

// The condition of a translated `SELECT 1 FROM t WHERE <condition>`: a filter translated alone.
const whereClause = (statement: string): string => statement.replace(/^[\s\S]*?\bWHERE\b/i, "").trim()

/** DuckDB already spreads each query over every core; concurrent actions beyond half the cores only contend. */
export const defaultConcurrency = (): number => Math.max(1, Math.floor(availableParallelism() / 2))

type ActionFailure = TranslationError | WarehouseError | ActionError

/** An action that ran but did not do what it promised (assertion rows, missing output, bad shape). */
export class ActionError extends Schema.TaggedError<ActionError>()("ActionError", {
  reason: Schema.String,
  sample: Schema.optionalKey(Schema.Array(Schema.Record(Schema.String, Schema.Json))),
  rows: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    return this.reason
  }
}

const translateOne = (sql: string, action: Action, variables: ReadonlyArray<string> = []) =>
  translate(sql, { fileName: action.fileName, variables }).pipe(
    Effect.flatMap((statements) =>
      statements.length === 1
        ? Effect.succeed(statements[0]!)
        : Effect.fail(new ActionError({ reason: `${action.fileName}: expected one SELECT statement, found ${statements.length}` }))
    )
  )

/** An action's statements, one script as in BigQuery: a variable declared by one is seen by those after it. */
const translateAll = (sqls: ReadonlyArray<string>, action: Action, variables: ReadonlyArray<string> = []) =>
  Effect.forEach(sqls, (sql, index) =>
    translate(sql, { fileName: action.fileName, variables: [...variables, ...declaredVariables(sqls.slice(0, index))] })
  ).pipe(Effect.map((lists) => lists.flat()))

interface Outcome {
  readonly statements: ReadonlyArray<string>
  readonly rows?: number
  readonly mode?: "full" | "incremental"
}

// DuckDB's concurrency is optimistic: two transactions touching the same catalog entry conflict,
// and the loser is meant to try again.
const runWithConflictRetry = (statements: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* Effect.retry(warehouse.run(statements, { transaction: true }), {
      while: (error) => /write-write conflict|Transaction conflict/i.test(error.reason),
      schedule: Schedule.exponential("20 millis").pipe(Schedule.jittered),
      times: 8
    })
  })

const countRows = (relation: string) =>
  Effect.gen(function* () {
    const rows = yield* (yield* Warehouse).query(`SELECT COUNT(*) AS n FROM ${relation}`)
    return Number(rows[0]?.["n"] ?? 0)
  })

/**
 * In BigQuery a column shadows a script variable of the same name, and the translation reads every
 * bare use of the name as the variable: refused when a relation the action reads has such a column.
 */
const checkVariablesNotShadowed = (action: TableAction, variables: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (variables.length === 0) return
    const warehouse = yield* Warehouse
    for (const dependency of action.dependencies) {
      const columns = yield* warehouse.columns(dependency.schema ?? "main", dependency.name)
      const shadowed = columns.find((column) => variables.includes(column.toLowerCase()))
      if (shadowed !== undefined) {
        return yield* new ActionError({
          reason: `${action.fileName}: the script variable ${shadowed} has the name of a column of ${targetLabel(dependency)}; BigQuery would read the column there, so rename the variable`
        })
      }
    }
  })

/** What a relation is now: asked of the warehouse, or of a run's catalogue. */
type RelationLookup = (schema: string, name: string) => Effect.Effect<RelationType | undefined, WarehouseError, Warehouse>

const askWarehouse: RelationLookup = (schema, name) => Warehouse.use((warehouse) => warehouse.relationType(schema, name))

/**
 * The warehouse's relations, listed once per run instead of asked before every action (4 ms each,
 * a tenth of a small project's run). During a run an action's own target changes only through the
 * action itself, which asks once before it starts, or through an operation: after an operation the
 * list is taken again.
 */
const runCatalogue = Effect.gen(function* () {
  const warehouse = yield* Warehouse
  const list = warehouse.listRelations().pipe(Effect.map((relations) => new Map(relations.map((r) => [`${r.schema}\u0000${r.name}`, r.type]))))
  let known = yield* list
  const lookup: RelationLookup = (schema, name) => Effect.sync(() => known.get(`${schema}\u0000${name}`))
  const refresh = list.pipe(Effect.map((relations) => void (known = relations)))
  return { lookup, refresh }
})

/**
 * Dataform runs the pre-operations, the statement and the post-operations as one script, for views
 * too; an incremental table that exists (and is not being rebuilt) runs its incremental variant.
 */
const scriptOf = (action: TableAction, existing: RelationType | undefined, fullRefresh: boolean) => {
  const incremental = action.kind === "incremental" && existing === "table" && (!fullRefresh || action.protected)
  const script = incremental
    ? { preOps: action.incrementalPreOps, query: action.incrementalQuery, postOps: action.incrementalPostOps }
    : { preOps: action.preOps, query: action.query, postOps: action.postOps }
  return { incremental, script }
}

/** A table's, view's or incremental's script translated: its pre-operations declare the variables the rest reads. */
const translateScript = (action: TableAction, script: ReturnType<typeof scriptOf>["script"]) =>
  Effect.gen(function* () {
    const variables = declaredVariables(script.preOps)
    const preOps = yield* translateAll(script.preOps, action)
    const postOps = yield* translateAll(script.postOps, action, variables)
    // A view's query is stored and read later, outside the script: no variables in it.
    const query = yield* translateOne(script.query, action, action.kind === "view" ? [] : variables)
    return { variables, preOps, postOps, query }
  })

/** Statements that build a table, view or incremental table; shared with the model tests. */
export const tableStatements = Effect.fn("Runner.tableStatements")(function* (
  action: TableAction,
  options: { readonly fullRefresh: boolean; readonly lookup?: RelationLookup }
) {
  const relation = duckdbRelation(action.target)
  const schema = action.target.schema ?? "main"
  const existing = yield* (options.lookup ?? askWarehouse)(schema, action.target.name)
  // A relation that changes between view and table must be dropped first.
  const dropOther =
    existing === "view" && action.kind !== "view"
      ? [`DROP VIEW ${relation}`]
      : existing === "table" && action.kind === "view"
        ? [`DROP TABLE ${relation}`]
        : []
  const { incremental, script } = scriptOf(action, existing, options.fullRefresh)
  yield* checkDeclarations([...script.preOps, script.query, ...script.postOps], action.fileName)
  const { variables, preOps, postOps, query } = yield* translateScript(action, script)
  if (action.kind === "view") {
    return { mode: "full" as const, statements: [...preOps, ...dropOther, `CREATE OR REPLACE VIEW ${relation} AS\n${query}`, ...postOps] }
  }
  yield* checkVariablesNotShadowed(action, variables)
  if (!incremental) {
    return {
      mode: "full" as const,
      statements: [...preOps, ...dropOther, `CREATE OR REPLACE TABLE ${relation} AS\n${query}`, ...postOps]
    }
  }
  if (action.uniqueKey.length === 0) {
    return { mode: "incremental" as const, statements: [...preOps, `INSERT INTO ${relation} BY NAME\n${query}`, ...postOps] }
  }
  // MERGE on uniqueKey: new rows replace the rows they match, the others are appended. As on
  // BigQuery, only target rows passing updatePartitionFilter can match: a filter that leaves out a
  // changed row's partition adds a duplicate here too, for the key assertion to catch.
  const partitionFilter =
    action.updatePartitionFilter === undefined || action.updatePartitionFilter.trim() === ""
      ? ""
      : ` AND (${yield* translateOne(`SELECT 1 FROM t WHERE ${action.updatePartitionFilter}`, action, variables).pipe(Effect.map(whereClause))})`
  const staging = quoteIdentifier(`mdp_incremental_${action.target.name}`)
  const keys = action.uniqueKey.map(quoteIdentifier).join(", ")
  const label = `${targetLabel(action.target)} (${action.fileName})`
  return {
    mode: "incremental" as const,
    statements: [
      ...preOps,
      `CREATE OR REPLACE TEMP TABLE ${staging} AS\n${query}`,
      // BigQuery's MERGE never matches a NULL key, so such rows would be added again on every run:
      // refused here, before anything changes.
      `SELECT error(${sqlString(`MERGE into ${label}: `)} || count(*) || ${sqlString(` new row(s) have a NULL in the uniqueKey (${action.uniqueKey.join(", ")}); they would never match and be added again on every run`)}) FROM ${staging} WHERE ${action.uniqueKey.map((key) => `${quoteIdentifier(key)} IS NULL`).join(" OR ")} HAVING count(*) > 0`,
      // As BigQuery's MERGE: an existing row may match at most one new row.
      `SELECT error(${sqlString(`MERGE into ${label}: UPDATE/MERGE must match at most one source row for each target row; `)} || count(*) || ${sqlString(` existing key(s) match several new rows`)}) FROM (SELECT ${keys} FROM ${staging} GROUP BY ${keys} HAVING count(*) > 1) AS repeated JOIN ${relation} AS existing USING (${keys}) HAVING count(*) > 0`,
      `DELETE FROM ${relation} WHERE (${keys}) IN (SELECT ${keys} FROM ${staging})${partitionFilter}`,
      `INSERT INTO ${relation} BY NAME SELECT * FROM ${staging}`,
      `DROP TABLE ${staging}`,
      ...postOps
    ]
  }
})

const runTable = (action: TableAction, options: ExecuteOptions, lookup: RelationLookup) =>
  Effect.gen(function* () {
    const plan = yield* tableStatements(action, { fullRefresh: options.fullRefresh === true, lookup })
    if (options.dryRun === true) return plan
    yield* runWithConflictRetry(plan.statements).pipe(
      Effect.mapError((error) =>
        // An incremental table built by an older version of its model lacks the columns added since.
        plan.mode === "incremental" && /does not have a column (named|with name)|Referenced column .* not found|has no column/i.test(error.reason)
          ? new WarehouseError({
              reason: `${error.reason}\nThe table ${targetLabel(action.target)} was built by an older version of its model; rebuild it once: mdp transform --actions ${action.target.name} --full-refresh --include-dependents`,
              sql: error.sql
            })
          : error
      )
    )
    if (action.kind === "view") return plan
    return { ...plan, rows: yield* countRows(duckdbRelation(action.target)) }
  })

const runOperation = (action: OperationAction, options: ExecuteOptions) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const schema = action.target.schema ?? "main"
    yield* checkDeclarations(action.queries, action.fileName)
    const statements = yield* translateAll(action.queries, action)
    if (options.dryRun === true) return { statements }
    yield* runWithConflictRetry(statements)
    if (action.hasOutput && (yield* warehouse.relationType(schema, action.target.name)) === undefined) {
      return yield* Effect.fail(
        new ActionError({ reason: `${action.fileName}: the operation has hasOutput: true but did not create ${targetLabel(action.target)}` })
      )
    }
    return { statements }
  })

const runAssertion = (action: AssertionAction, options: ExecuteOptions) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const query = yield* translateOne(action.query, action)
    const relation = duckdbRelation(action.target)
    // Like Dataform, the assertion is kept as a view, so its rows can be inspected afterwards.
    const statements = [`CREATE OR REPLACE VIEW ${relation} AS\n${query}`]
    if (options.dryRun === true) return { statements }
    yield* runWithConflictRetry(statements)
    const rows = yield* countRows(relation)
    if (rows > 0) {
      const sample = yield* warehouse.query(`SELECT * FROM ${relation} LIMIT ${ASSERTION_SAMPLE_ROWS}`)
      return yield* Effect.fail(
        new ActionError({ reason: `assertion failed: ${rows} row(s) violate it (query ${relation} to see them all)`, sample, rows })
      )
    }
    return { statements, rows }
  })

const checkDeclaration = (action: Action, options: ExecuteOptions, lookup: RelationLookup) =>
  Effect.gen(function* () {
    if (options.dryRun === true) return { statements: [] }
    const found = yield* lookup(action.target.schema ?? "main", action.target.name)
    if (found === undefined) {
      return yield* Effect.fail(
        new ActionError({
          reason:
            `declared source ${targetLabel(action.target)} does not exist in the warehouse` +
            (action.fileName === "" ? "" : ` (declared in ${action.fileName})`) +
            "; load it first (npm run ingest)"
        })
      )
    }
    return { statements: [] }
  })

/**
 * Translates what an action's run will ask to translate (translate remembers it), without
 * touching the warehouse: this runs in the background of a run, beside the actions executing.
 */
const translateAhead = (action: Action, options: ExecuteOptions, lookup: RelationLookup) =>
  Effect.gen(function* () {
    switch (action.kind) {
      case "table":
      case "view":
      case "incremental": {
        const existing = yield* lookup(action.target.schema ?? "main", action.target.name)
        yield* translateScript(action, scriptOf(action, existing, options.fullRefresh === true).script)
        return
      }
      case "operations":
        yield* translateAll(action.queries, action)
        return
      case "assertion":
        yield* translateOne(action.query, action)
        return
      case "declaration":
        return
    }
  })

const runAction = (
  action: Action,
  options: ExecuteOptions,
  catalogue: { readonly lookup: RelationLookup; readonly refresh: Effect.Effect<void, WarehouseError> }
): Effect.Effect<Outcome, ActionFailure, Warehouse> => {
  switch (action.kind) {
    case "table":
    case "view":
    case "incremental":
      return runTable(action, options, catalogue.lookup)
    case "operations":
      return runOperation(action, options).pipe(Effect.ensuring(Effect.ignore(catalogue.refresh)))
    case "assertion":
      return runAssertion(action, options)
    case "declaration":
      return checkDeclaration(action, options, catalogue.lookup)
  }
}

/** Runs the selected actions of the graph; never fails: failures are in the results. */
export const executeGraph = Effect.fn("Runner.executeGraph")(function* (graph: ProjectGraph, options: ExecuteOptions) {
  const semaphore = yield* Semaphore.make(Math.max(1, options.concurrency ?? defaultConcurrency()))
  const selected = graph.actions.filter((action) => options.selected.has(action.key))
  if (options.dryRun !== true) {
    // Created once, up front: concurrent CREATE SCHEMA statements conflict in DuckDB.
    const schemas = [...new Set(selected.filter((a) => a.kind !== "declaration" && !a.disabled).map((a) => a.target.schema ?? "main"))]
    yield* (yield* Warehouse).run(schemas.map((schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`))
  }
  const catalogue = yield* runCatalogue
  let translatingAhead: Fiber.Fiber<void> | undefined
  if (options.dryRun !== true) {
    // Translating is JavaScript, executing is DuckDB's threads: translated in the background while
    // the first actions run, each action finds its statements ready instead of waiting a few
    // milliseconds for polyglot. A translation that fails here fails again, and is reported, when
    // the action runs.
    const ahead = selected.filter((action) => !action.disabled)
    translatingAhead = yield* Effect.forkChild(
      Effect.forEach(ahead, (action) => Effect.ignore(translateAhead(action, options, catalogue.lookup)).pipe(Effect.andThen(Effect.yieldNow)), { discard: true })
    )
  }
  const done = new Map<string, Deferred.Deferred<ActionResult>>()
  for (const action of selected) done.set(action.key, yield* Deferred.make<ActionResult>())

  const finish = (action: Action, result: Omit<ActionResult, "key" | "action" | "kind" | "fileName">) =>
    Effect.gen(function* () {
      const full: ActionResult = { key: action.key, action: targetLabel(action.target), kind: action.kind, fileName: action.fileName, ...result }
      options.onActionEnd?.(full)
      yield* Deferred.succeed(done.get(action.key)!, full)
      return full
    })

  const runOne = (action: Action) =>
    Effect.gen(function* () {
      const upstream: Array<ActionResult> = []
      for (const dependency of action.dependencies) {
        const deferred = done.get(targetKey(dependency))
        if (deferred !== undefined) upstream.push(yield* Deferred.await(deferred))
      }
      const blocked = upstream.find((result) => result.status === "failed" || result.status === "skipped")
      if (blocked !== undefined) {
        return yield* finish(action, {
          status: "skipped",
          durationMs: 0,
          error: `not run: ${blocked.action} ${blocked.status === "failed" ? "failed" : "was skipped"}`,
          statements: []
        })
      }
      if (action.disabled) return yield* finish(action, { status: "disabled", durationMs: 0, statements: [] })
      return yield* Semaphore.withPermit(semaphore)(
        Effect.gen(function* () {
          options.onActionStart?.(action)
          const started = Date.now()
          const outcome = yield* Effect.result(runAction(action, options, catalogue))
          const durationMs = Date.now() - started
          if (outcome._tag === "Success") {
            const value = outcome.success
            return yield* finish(action, {
              status: options.dryRun === true ? "planned" : "succeeded",
              durationMs,
              statements: value.statements,
              ...(value.rows === undefined ? {} : { rows: value.rows }),
              ...(value.mode === undefined ? {} : { mode: value.mode })
            })
          }
          const failure = outcome.failure
          return yield* finish(action, {
            status: "failed",
            durationMs,
            error: failure.message,
            statements: failure._tag === "WarehouseError" && failure.sql !== "" ? [failure.sql] : [],
            ...(failure._tag === "ActionError" && failure.sample !== undefined ? { sample: failure.sample } : {}),
            ...(failure._tag === "ActionError" && failure.rows !== undefined ? { rows: failure.rows } : {})
          })
        })
      )
    })

  const results = yield* Effect.forEach(selected, runOne, { concurrency: "unbounded" })
  // A run that ended early (a failure upstream of everything) need not translate the rest.
  if (translatingAhead !== undefined) yield* Fiber.interrupt(translatingAhead)
  return results
})
