/**
 * Executes a compiled Dataform graph on the local warehouse, the way `dataform run` does on
 * BigQuery: dependency order, independent actions concurrently (bounded), every statement
 * translated from BigQuery SQL first. A failed action skips its dependents while independent
 * branches go on; a table or incremental build runs in one transaction, so a failure leaves the
 * previous version intact. It does not run Dataform unit tests (see `model-tests.ts`).
 */
import { availableParallelism } from "node:os"
import { Deferred, Effect, Fiber, Schedule, Semaphore } from "effect"
import type { Action, ProjectGraph } from "./graph.ts"
import { duckdbErrorPosition, locateInSource, statementPosition, withoutDuckdbExcerpt, type ErrorPosition } from "./locate.ts"
import { ActionError, columnsNeeded, nullArraysAsEmpty, nullElementFailure, partitionedTables, planAction, type ActionPlan, type Catalogue, type PlanError, type PlanOptions } from "./plan.ts"
import { datasetsCreatedIn, relationsCreatedIn } from "./sources.ts"
import { RunProgress } from "./progress.ts"
import { procedureEntry, runProgram } from "./script.ts"
import { duckdbRelation, quoteIdentifier, targetKey, targetLabel, type Target } from "./target.ts"
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
  /** What ran but deserves a look (a merge that left out columns its query added). */
  readonly warnings?: ReadonlyArray<string>
  /** Where in the action's own file the error is, when it could be placed. */
  readonly location?: { readonly line: number; readonly column: number }
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
  /** An action file's text, by its path in the project: to name the line an error is on. */
  readonly readSource?: (fileName: string) => Effect.Effect<string | undefined>
}

const ASSERTION_SAMPLE_ROWS = 5

// DuckDB parallelises a scan by row groups of this many rows: a table smaller than one per core
// keeps some cores idle whatever the query.
const ROW_GROUP_ROWS = 122_880

/**
 * How many actions run at once when the caller does not say. DuckDB spreads each query over the
 * cores by row groups, so a run that builds tables from large ones runs half the cores' worth:
 * concurrent rebuilds only contended (docs/decisions.md). When no table of the warehouse has a row
 * group per core, no query can use them all, and as many actions as cores overlap (the default
 * pipeline's transform: 1.4 s against 2.0–2.8 s one at a time). An incremental run over tables that all
 * exist is mostly small statements waiting on DuckDB's commits, which as many actions as cores
 * overlap (the 10M bench's incremental day took 7 % less than one at a time).
 */
export const defaultConcurrency = (incrementalOverBuiltTables: boolean, largestTableRows: number, cores: number = availableParallelism()): number =>
  Math.max(1, incrementalOverBuiltTables || largestTableRows < cores * ROW_GROUP_ROWS ? cores : Math.floor(cores / 2))

// Rows of the warehouse's largest table, as DuckDB's catalogue estimates them.
const largestTableRows = Effect.gen(function* () {
  const rows = yield* (yield* Warehouse).query("SELECT coalesce(max(estimated_size), 0) AS n FROM duckdb_tables() WHERE database_name = current_database()")
  return Number(rows[0]?.["n"] ?? 0)
})

type ActionFailure = PlanError | WarehouseError

const errorPosition = (failure: ActionFailure): ErrorPosition | undefined => {
  if (failure._tag === "WarehouseError") return duckdbErrorPosition(failure.reason)
  if (failure._tag === "TranslationError" && failure.statement !== undefined && failure.line !== undefined) {
    return statementPosition(failure.statement, failure.line, failure.column ?? 1)
  }
  return undefined
}

/**
 * The failure's message, led by `file:line:column` and a frame of the action's own source when the
 * position it names can be placed there; positions in SQL the analyst never wrote are then dropped.
 */
const describeFailure = (failure: ActionFailure, action: Action, readSource: ExecuteOptions["readSource"]) =>
  Effect.gen(function* () {
    const position = errorPosition(failure)
    const source = position === undefined || readSource === undefined || action.fileName === "" ? undefined : yield* readSource(action.fileName)
    const location = source === undefined || position === undefined ? undefined : locateInSource(source, position)
    if (location === undefined) return { error: failure.message }
    const reason =
      failure._tag === "TranslationError"
        ? `cannot run the statement locally: ${failure.reason.replace(/ at line \d+, column \d+/, "").replace(/ near \[[\s\S]*\]/, "").replace(/ \(line \d+, column [\d?]+\)$/, "")}`
        : withoutDuckdbExcerpt(failure.message)
    return {
      error: `${action.fileName}:${location.line}:${location.column}: ${reason}\n${location.frame}`,
      location: { line: location.line, column: location.column }
    }
  })

interface Outcome {
  readonly statements: ReadonlyArray<string>
  readonly rows?: number
  readonly mode?: "full" | "incremental"
  readonly warnings?: ReadonlyArray<string>
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

// One action at a time runs again on one thread (runWithinMemory).
const oneThreadRuns = Semaphore.makeUnsafe(1)

export const ONE_THREAD_WARNING =
  "DuckDB ran out of its memory_limit running this action on every thread; it ran again on one thread (each thread holds its own hash tables), more slowly. A larger memory_limit (settings: duckdb.memory_limit) runs it on all of them"

/**
 * An action's statements, and once more on one thread if DuckDB runs out of its memory_limit (its
 * own advice: a statement whose hash tables spill can still need more memory than the limit when
 * every thread holds some, e.g. Meta's full refresh at 10M rows after other large models). Its
 * transaction rolled back, so the second run starts where the first did. True when it took that.
 */
const runWithinMemory = (statements: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const ranOnAllThreads = yield* runWithConflictRetry(statements).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => /Out of Memory Error/i.test(error.reason),
        () => Effect.succeed(false)
      )
    )
    if (ranOnAllThreads) return false
    // DuckDB's threads are the instance's: actions running beside it go on one thread meanwhile,
    // and two such runs take turns, so that the second does not read the first's 1 as the setting.
    yield* Semaphore.withPermit(oneThreadRuns)(
      Effect.gen(function* () {
        const threads = (yield* warehouse.query("SELECT current_setting('threads') AS threads"))[0]?.["threads"]
        yield* Effect.acquireUseRelease(
          warehouse.run(["SET threads = 1"]),
          () => runWithConflictRetry(statements),
          () => warehouse.run([`SET threads = ${Number(threads) > 0 ? Number(threads) : 1}`]).pipe(Effect.ignore)
        )
      })
    )
    return true
  })

// An operation with hasOutput may create a routine rather than a relation (`CREATE FUNCTION
// ${self()}`, a Dataform pattern for persistent UDFs that other actions ref()).
const createdRoutine = (target: Target) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const schema = target.schema ?? "main"
    const count = (rows: ReadonlyArray<Row>) => Number(rows[0]?.["n"] ?? 0)
    const macros = yield* warehouse.query("SELECT COUNT(*) AS n FROM duckdb_functions() WHERE NOT internal AND schema_name = $1 AND function_name = $2", [schema, target.name])
    if (count(macros) > 0) return true
    const entry = procedureEntry(schema, target.name)
    if ((yield* warehouse.relationType(entry.schema, entry.table)) === undefined) return false
    return count(yield* warehouse.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(entry.schema)}.${quoteIdentifier(entry.table)} WHERE name = $1`, [entry.key])) > 0
  })

const countRows = (relation: string) =>
  Effect.gen(function* () {
    const rows = yield* (yield* Warehouse).query(`SELECT COUNT(*) AS n FROM ${relation}`)
    return Number(rows[0]?.["n"] ?? 0)
  })

const relationKey = (schema: string, name: string) => `${schema}\u0000${name}`

/**
 * The warehouse's relations as the plans read them, with their columns: listed once per run
 * instead of asked before every action (4 ms each, a tenth of a small project's run; the columns
 * 3 ms a relation). During a run a relation changes through its own action, which records what it
 * built, or through an operation, after which the list is taken again. A built relation's columns
 * are loaded again only where a plan reads them (`columnsNeeded`).
 */
export const runCatalogue = Effect.gen(function* () {
  const warehouse = yield* Warehouse
  const columns = new Map<string, ReadonlyArray<string>>()
  const list = warehouse.listRelations().pipe(
    Effect.map((relations) => {
      columns.clear()
      for (const relation of relations) columns.set(relationKey(relation.schema, relation.name), relation.columns)
      return new Map(relations.map((r) => [relationKey(r.schema, r.name), r.type]))
    })
  )
  let types = yield* list
  const catalogue: Catalogue = {
    relationType: (schema, name) => types.get(relationKey(schema, name)),
    columns: (schema, name) => columns.get(relationKey(schema, name))
  }
  return {
    catalogue,
    // A relation's columns stay known until its action builds it or an operation runs: every
    // staging model reads the checkpoints' and its ledger's, asked once instead of per model.
    loadColumns: (targets: ReadonlyArray<Target>) =>
      Effect.forEach(
        targets.filter((target) => !columns.has(relationKey(target.schema ?? "main", target.name))),
        (target) => warehouse.columns(target.schema ?? "main", target.name).pipe(Effect.map((names) => void columns.set(relationKey(target.schema ?? "main", target.name), names)))
      ),
    built: (target: Target, type: RelationType) =>
      Effect.sync(() => {
        types.set(relationKey(target.schema ?? "main", target.name), type)
        columns.delete(relationKey(target.schema ?? "main", target.name))
      }),
    refresh: list.pipe(
      Effect.map((relations) => {
        types = relations
      })
    )
  }
})

/**
 * Whether a merge failed because the table and its model no longer agree (it was built by an older
 * version): the table has a column the query no longer makes, or lacks one the merge writes. Only
 * then is a full refresh the fix; a missing column in the model's own query fails the same way
 * when rebuilt.
 */
const tableOlderThanModel = (error: WarehouseError, relation: string, tableColumns: ReadonlyArray<string>): boolean => {
  if (/does not have a column (named|with name)/i.test(error.reason)) return true
  const missing = /Referenced column "?([^"\s]+)"? not found/i.exec(error.reason)?.[1]?.toLowerCase()
  if (missing === undefined) return false
  const merging = error.sql.startsWith(`DELETE FROM ${relation} `) || error.sql.startsWith("SELECT error(") || error.sql.startsWith(`INSERT INTO ${relation} BY NAME`)
  return merging && tableColumns.some((column) => column.toLowerCase() === missing)
}

/** The query's columns a merge left out (best effort: a query that cannot be described gives none). */
const columnsLeftOut = (check: NonNullable<ActionPlan["schemaCheck"]>) =>
  Effect.gen(function* () {
    if (check.describe === undefined) return []
    const described = yield* Effect.result((yield* Warehouse).query(check.describe))
    if (described._tag === "Failure") return []
    const known = new Set(check.tableColumns.map((column) => column.toLowerCase()))
    return described.success.map((row) => String(row["column_name"])).filter((column) => !known.has(column.toLowerCase()))
  })

/**
 * What `onSchemaChange` makes of an incremental query whose columns differ from its table's, as
 * Dataform's schema-change procedure does: FAIL refuses any added or removed column; EXTEND
 * refuses a removed one and adds the new ones; SYNCHRONIZE adds the new ones and drops those the
 * query no longer gives, unless one is part of the uniqueKey. The ALTER TABLE statements, or why not.
 */
const schemaChangeStatements = (
  tableColumns: ReadonlyArray<string>,
  describe: string | undefined,
  change: { readonly mode: "FAIL" | "EXTEND" | "SYNCHRONIZE"; readonly relation: string; readonly label: string; readonly uniqueKey: ReadonlyArray<string> }
) =>
  Effect.gen(function* () {
    if (describe === undefined) {
      return yield* new ActionError({ reason: `${change.label}: onSchemaChange ${change.mode} compares the query's columns with the table's before the build; locally it cannot describe a query that reads a pre_operations variable` })
    }
    const described = (yield* (yield* Warehouse).query(describe)).map((row) => ({ name: String(row["column_name"]), type: String(row["column_type"]) }))
    const had = new Set(tableColumns.map((column) => column.toLowerCase()))
    const gives = new Set(described.map((column) => column.name.toLowerCase()))
    const added = described.filter((column) => !had.has(column.name.toLowerCase()))
    const removed = tableColumns.filter((column) => !gives.has(column.toLowerCase()))
    const list = (names: ReadonlyArray<string>) => `[${names.join(", ")}]`
    if (change.mode === "FAIL" && (added.length > 0 || removed.length > 0)) {
      return yield* new ActionError({ reason: `${change.label}: schema mismatch, and onSchemaChange is FAIL: added columns ${list(added.map((column) => column.name))}, removed columns ${list(removed)}` })
    }
    if (change.mode === "EXTEND" && removed.length > 0) {
      return yield* new ActionError({ reason: `${change.label}: column removals are not allowed when onSchemaChange is EXTEND; removed columns ${list(removed)}` })
    }
    const keys = new Set(change.uniqueKey.map((key) => key.toLowerCase()))
    const removedKeys = removed.filter((column) => keys.has(column.toLowerCase()))
    if (removedKeys.length > 0) {
      return yield* new ActionError({ reason: `${change.label}: onSchemaChange SYNCHRONIZE cannot drop columns ${list(removedKeys)}, part of the uniqueKey` })
    }
    return [
      ...(change.mode === "SYNCHRONIZE" ? removed.map((column) => `ALTER TABLE ${change.relation} DROP COLUMN ${quoteIdentifier(column)}`) : []),
      ...added.map((column) => `ALTER TABLE ${change.relation} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.type}`)
    ]
  })

/**
 * The plan's statements with, after its build, a statement that fails the transaction when a
 * written ARRAY column holds a NULL element, and one making its NULL ARRAYs empty, as BigQuery's
 * write does.
 */
const withNullElementCheck = (plan: ActionPlan) =>
  Effect.gen(function* () {
    const check = plan.nullElementCheck
    if (check === undefined) return plan.statements
    const described = yield* Effect.result((yield* Warehouse).query(check.describe))
    if (described._tag === "Failure") return plan.statements
    const arrays = described.success.map((row) => ({ name: String(row["column_name"]), type: String(row["column_type"]) })).filter((column) => column.type.endsWith("[]") && (check.written === undefined || check.written.some((name) => name.toLowerCase() === column.name.toLowerCase())))
    if (arrays.length === 0) return plan.statements
    return [
      ...plan.statements.slice(0, check.after + 1),
      ...arrays.map(({ name }) => nullElementFailure(check, name)),
      ...arrays.map(({ name, type }) => nullArraysAsEmpty(check.relation, name, type)),
      ...plan.statements.slice(check.after + 1)
    ]
  })

/** The table a DuckDB catalog error says does not exist, when it names its schema. */
const missingTable = (reason: string): { readonly schema: string; readonly name: string } | undefined => {
  const match = /Catalog Error: Table with name "?([^".\s]+)\.([^"\s]+?)"? does not exist/.exec(reason)
  return match === null ? undefined : { schema: match[1]!, name: match[2]! }
}

/** Runs an action's plan: its statements, then its check. */
const runPlan = (plan: ActionPlan, lookup: (schema: string, name: string) => RelationType | undefined, createdByProject: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const { action } = plan
    const warehouse = yield* Warehouse
    const relation = duckdbRelation(action.target)
    if (plan.check === "exists") {
      const missing = lookup(action.target.schema ?? "main", action.target.name) === undefined
      // A declared table one of the project's statements creates (a log its operation makes when
      // missing): on BigQuery the declaration checks nothing, and the operation makes it.
      if (missing && createdByProject.has(`${action.target.schema ?? "main"}.${action.target.name}`.toLowerCase())) {
        return { statements: [], warnings: [`${targetLabel(action.target)} is not in the warehouse yet: a statement of the project creates it`] } satisfies Outcome
      }
      if (missing) {
        return yield* new ActionError({
          reason:
            `declared source ${targetLabel(action.target)} does not exist in the warehouse` +
            (action.fileName === "" ? "" : ` (declared in ${action.fileName})`) +
            `; load it first (npm run ingest), or give it local rows in test/sources/${action.target.schema ?? "main"}/` +
            (action.target.name.endsWith("*")
              ? `${action.target.name.slice(0, -1)}<suffix>.csv, one file per shard (e.g. ${action.target.name.slice(0, -1)}20240101.csv)`
              : `${action.target.name}.csv (mdp sources init writes the stubs)`)
        })
      }
      return { statements: [] } satisfies Outcome
    }
    // onSchemaChange FAIL, EXTEND or SYNCHRONIZE: the query's columns against the table's, before
    // the build (as Dataform's schema-change procedure runs before its MERGE or INSERT).
    if (plan.mode === "incremental" && plan.schemaCheck?.onSchemaChange !== undefined) {
      const alterations = yield* schemaChangeStatements(plan.schemaCheck.tableColumns, plan.schemaCheck.describe, plan.schemaCheck.onSchemaChange)
      if (alterations.length > 0) yield* warehouse.run(alterations)
    }
    const ran =
      plan.program === undefined
        ? withNullElementCheck(plan).pipe(Effect.flatMap(runWithinMemory))
        : runProgram(plan.program, action.fileName, action.target.database).pipe(
            Effect.as(false),
            Effect.catchTags({
              ScriptError: (error) => Effect.fail(new ActionError({ reason: error.message })),
            })
          )
    const ranOnOneThread = yield* ran.pipe(
      Effect.mapError((error) => {
        if (error._tag !== "WarehouseError") return error
        if (plan.mode === "incremental" && tableOlderThanModel(error, relation, plan.schemaCheck?.tableColumns ?? [])) {
          return new WarehouseError({
            reason: `${error.reason}\nThe table ${targetLabel(action.target)} was built by an older version of its model; rebuild it once: mdp transform --actions ${action.target.name} --full-refresh --include-dependents`,
            sql: error.sql
          })
        }
        // BigQuery's pseudo-columns of ingestion-time partitioned tables (a transfer's, GA4's
        // p_ga4_* tables): a local source table has them only as columns of its file.
        const pseudo = /Referenced column "?(_PARTITIONTIME|_PARTITIONDATE)"? not found/i.exec(error.reason)?.[1]
        if (pseudo !== undefined) {
          return new WarehouseError({
            reason: `${error.reason}\n${pseudo.toUpperCase()} is the pseudo-column of an ingestion-time partitioned table; locally it is a column of the table's source file: add a ${pseudo.toUpperCase()} column to it (a ${pseudo.toUpperCase() === "_PARTITIONTIME" ? "TIMESTAMP" : "DATE"})`,
            sql: error.sql
          })
        }
        const missing = missingTable(error.reason)
        return missing === undefined
          ? error
          : new WarehouseError({
              reason: missing.name.endsWith("*")
                ? `${error.reason}\nIf the project reads the wildcard ${missing.schema}.${missing.name} without building it, give it one file per table in test/sources/${missing.schema}/${missing.name.slice(0, -1)}<suffix>.csv (e.g. ${missing.name.slice(0, -1)}20240101.csv; or .jsonl, or a BigQuery .sql SELECT)`
                : `${error.reason}\nIf the project reads ${missing.schema}.${missing.name} without building it, give it local rows in test/sources/${missing.schema}/${missing.name}.csv (or .jsonl, or a BigQuery .sql SELECT)`,
              sql: error.sql
            })
      })
    )
    const leftOut = plan.schemaCheck === undefined || plan.schemaCheck.onSchemaChange !== undefined ? [] : yield* columnsLeftOut(plan.schemaCheck)
    const outcome: Outcome = {
      statements: plan.statements,
      ...(plan.mode === undefined ? {} : { mode: plan.mode }),
      ...(leftOut.length === 0
        ? ranOnOneThread ? { warnings: [ONE_THREAD_WARNING] } : {}
        : {
            warnings: [
              ...(ranOnOneThread ? [ONE_THREAD_WARNING] : []),
              `the query has column(s) ${leftOut.join(", ")} that ${targetLabel(action.target)} lacks; the merge left them out, as Dataform does. ` +
                `Rebuild the table once to add them: mdp transform --actions ${action.target.name} --full-refresh --include-dependents`
            ]
          })
    }
    switch (plan.check) {
      case "count_rows":
        return { ...outcome, rows: yield* countRows(relation) }
      case "has_output":
        if ((yield* warehouse.relationType(action.target.schema ?? "main", action.target.name)) === undefined && !(yield* createdRoutine(action.target))) {
          return yield* new ActionError({ reason: `${action.fileName}: the operation has hasOutput: true but did not create ${targetLabel(action.target)}` })
        }
        return outcome
      case "no_rows": {
        const rows = yield* countRows(relation)
        if (rows > 0) {
          const sample = yield* warehouse.query(`SELECT * FROM ${relation} LIMIT ${ASSERTION_SAMPLE_ROWS}`)
          return yield* new ActionError({ reason: `assertion failed: ${rows} row(s) violate it (query ${relation} to see them all)`, sample, rows })
        }
        return { ...outcome, rows }
      }
      case "none":
        return outcome
    }
  })

type RunCatalogue = Effect.Success<typeof runCatalogue>

// Words of a statement that may create, drop or rename a relation, or run one that does. An
// operation without any (a checkpoint's INSERT) leaves the catalogue as it was, and the list of
// relations is not taken again (a few milliseconds each; a string that holds one only costs that).
const CATALOGUE_CHANGES = /\b(CREATE|DROP|ALTER|RENAME|ATTACH|DETACH|IMPORT|EXECUTE|CALL|USE)\b/i

const mayChangeCatalogue = (plan: ActionPlan): boolean => plan.program !== undefined || plan.statements.some((statement) => CATALOGUE_CHANGES.test(statement))

/** Whether running the action may change relations besides its own target (an operation, or pre- or post-operations that may). */
const mayChangeOthers = (action: Action, plan: ActionPlan): boolean =>
  action.kind === "operations"
    ? mayChangeCatalogue(plan)
    : (action.kind === "table" || action.kind === "view" || action.kind === "incremental") &&
      [...action.preOps, ...action.postOps, ...action.incrementalPreOps, ...action.incrementalPostOps].some((statement) => CATALOGUE_CHANGES.test(statement))

// DuckDB refusing a field of a list: the list a BigQuery array path (`UNNEST(hidden_data.key)`) crosses.
const LIST_READ_AS_STRUCT = /Cannot extract field '[^']+' from expression "([^"]+)" because it is not a struct/
// The list's own name: DuckDB shows a path as `struct_extract(races, 'laps')`, a column as itself.
const listName = (expression: string | undefined): string | undefined =>
  expression === undefined ? undefined : (/'([^']+)'\)$/.exec(expression)?.[1] ?? expression.split(".").pop()!.replaceAll('"', ""))

/**
 * Plans the action against the catalogue as the actions before it left it, then runs the plan. A
 * plan of plain statements (one transaction, rolled back on failure) that DuckDB refuses because a
 * path inside UNNEST reads a field through an ARRAY is planned and run again with that name known
 * to be an array, which the translation then flattens as BigQuery does (`flattenedArrayPaths`).
 */
const runAction = (action: Action, options: ExecuteOptions, planOptions: PlanOptions, catalogue: RunCatalogue, createdByProject: ReadonlySet<string>): Effect.Effect<Outcome, ActionFailure, Warehouse> =>
  Effect.gen(function* () {
    if (options.dryRun !== true) yield* catalogue.loadColumns(columnsNeeded(action, catalogue.catalogue, planOptions))
    let attempt = action
    let plan = yield* planAction(attempt, catalogue.catalogue, planOptions)
    if (options.dryRun === true) return { statements: plan.statements, ...(plan.mode === undefined ? {} : { mode: plan.mode }) }
    const runOnce = (planned: typeof plan) =>
      runPlan(planned, catalogue.catalogue.relationType, createdByProject).pipe(
        Effect.ensuring(mayChangeOthers(action, planned) ? Effect.ignore(catalogue.refresh) : Effect.void)
      )
    let result = yield* Effect.result(runOnce(plan))
    const firstFailure = result._tag === "Failure" ? result.failure : undefined
    for (let tries = 0; result._tag === "Failure" && plan.program === undefined && tries < 3; tries++) {
      const list = result.failure._tag === "WarehouseError" ? listName(LIST_READ_AS_STRUCT.exec(result.failure.reason)?.[1]) : undefined
      if (list === undefined || (attempt.arrayNames ?? []).includes(list.toLowerCase())) break
      attempt = { ...attempt, arrayNames: [...(attempt.arrayNames ?? []), list.toLowerCase()] }
      const replanned = yield* Effect.result(planAction(attempt, catalogue.catalogue, planOptions))
      // A path the translation does not flatten (outside UNNEST, where BigQuery refuses it too) keeps its error.
      if (replanned._tag === "Failure" || replanned.success.statements.join(";") === plan.statements.join(";")) break
      plan = replanned.success
      result = yield* Effect.result(runOnce(plan))
    }
    // A name that was no list after all (the flattening itself refused) keeps DuckDB's first word on it.
    const flatteningRefused = (failure: ActionFailure) => failure._tag === "WarehouseError" && (LIST_READ_AS_STRUCT.test(failure.reason) || /\b(list_transform|flatten|mdp_element)\b|Invalid LIST argument/.test(failure.reason))
    if (result._tag === "Failure") return yield* Effect.fail(firstFailure !== undefined && result.failure !== firstFailure && flatteningRefused(result.failure) ? firstFailure : result.failure)
    const outcome = result.success
    if (action.kind === "table" || action.kind === "incremental") yield* catalogue.built(action.target, "table")
    if (action.kind === "view") yield* catalogue.built(action.target, "view")
    return outcome
  })

/** Runs the selected actions of the graph; never fails: failures are in the results. */
export const executeGraph = Effect.fn("Runner.executeGraph")(function* (graph: ProjectGraph, options: ExecuteOptions) {
  const selected = graph.actions.filter((action) => options.selected.has(action.key))
  if (options.dryRun !== true) {
    // Created once, up front: concurrent CREATE SCHEMA statements conflict in DuckDB. Beside the
    // targets' datasets, those the statements create objects in, which exist on BigQuery already.
    const enabled = selected.filter((a) => a.kind !== "declaration" && !a.disabled)
    const schemas = [...new Set([...enabled.map((a) => a.target.schema ?? "main"), ...datasetsCreatedIn(enabled)])]
    yield* (yield* Warehouse).run(schemas.map((schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`))
  }
  const catalogue = yield* runCatalogue
  const createdByProject = relationsCreatedIn(graph.actions.filter((action) => !action.disabled))
  const incrementalOverBuiltTables =
    options.fullRefresh !== true &&
    selected.every((a) => (a.kind !== "table" && a.kind !== "incremental") || a.disabled || catalogue.catalogue.relationType(a.target.schema ?? "main", a.target.name) === "table")
  const concurrency = options.concurrency ?? defaultConcurrency(incrementalOverBuiltTables, incrementalOverBuiltTables || options.dryRun === true ? 0 : yield* largestTableRows)
  const semaphore = yield* Semaphore.make(Math.max(1, concurrency))
  const planOptions: PlanOptions = { fullRefresh: options.fullRefresh === true, partitionedTables: partitionedTables(graph) }
  let translatingAhead: Fiber.Fiber<void> | undefined
  if (options.dryRun !== true) {
    // Translating is JavaScript, executing is DuckDB's threads: planned in the background while the
    // first actions run (translate remembers its answers), each action finds its statements ready
    // instead of waiting a few milliseconds for polyglot. A plan that fails here fails again, and is
    // reported, when the action runs.
    const ahead = selected.filter((action) => !action.disabled)
    translatingAhead = yield* Effect.forkChild(
      Effect.forEach(ahead, (action) => Effect.ignore(planAction(action, catalogue.catalogue, planOptions)).pipe(Effect.andThen(Effect.yieldNow)), { discard: true })
    )
  }
  const done = new Map<string, Deferred.Deferred<ActionResult>>()
  for (const action of selected) done.set(action.key, yield* Deferred.make<ActionResult>())

  const finish = (action: Action, result: Omit<ActionResult, "key" | "action" | "kind" | "fileName">) =>
    Effect.gen(function* () {
      const full: ActionResult = { key: action.key, action: targetLabel(action.target), kind: action.kind, fileName: action.fileName, ...result }
      yield* (yield* RunProgress).actionEnded(full)
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
          yield* (yield* RunProgress).actionStarted(action)
          const started = Date.now()
          const outcome = yield* Effect.result(runAction(action, options, planOptions, catalogue, createdByProject))
          const durationMs = Date.now() - started
          if (outcome._tag === "Success") {
            const value = outcome.success
            return yield* finish(action, {
              status: options.dryRun === true ? "planned" : "succeeded",
              durationMs,
              statements: value.statements,
              ...(value.rows === undefined ? {} : { rows: value.rows }),
              ...(value.mode === undefined ? {} : { mode: value.mode }),
              ...(value.warnings === undefined ? {} : { warnings: value.warnings })
            })
          }
          const failure = outcome.failure
          const described = yield* describeFailure(failure, action, options.readSource)
          return yield* finish(action, {
            status: "failed",
            durationMs,
            ...described,
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
