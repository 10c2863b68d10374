/**
 * What running an action will do, decided before anything runs: its DuckDB statements, translated
 * from the compiled BigQuery SQL, and the check the executor makes once they have run. Planning
 * reads only a `Catalogue` (which relations exist, as what, with which columns) and never the
 * warehouse, so a dry run prints exactly the plan, and `test/goldens/` pins the plans of the
 * project's own models. `execute.ts` runs plans.
 */
import { Effect, Schema } from "effect"
import type { Action, AssertionAction, OperationAction, ProjectGraph, TableAction } from "./graph.ts"
import { mergeTypeCheck } from "./insert-types.ts"
import { isSignificant, render, tokenize } from "./sql-tokens.ts"
import { bigQuerySpellings, duckdbRelation, quoteIdentifier, targetLabel, type Target } from "./target.ts"
import { needsInterpreter, parseScript, planScript, renderProgram, withProjectId, type Step } from "./script.ts"
import { checkDeclarations, declaredVariables, splitStatements, translate, TranslationError } from "./translate.ts"
import { COLUMN_ROLES_PLACEHOLDER_TEXT, PARTITIONS_PLACEHOLDER_TEXT, withColumnRolesAnswered, withPartitionsAnswered, type PartitionedTable } from "./partitions.ts"
import type { RelationType } from "./warehouse.ts"

/** The warehouse as planning sees it. */
export interface Catalogue {
  readonly relationType: (schema: string, name: string) => RelationType | undefined
  /** A relation's columns, when known (the executor loads those `columnsNeeded` names). */
  readonly columns: (schema: string, name: string) => ReadonlyArray<string> | undefined
}

/** A catalogue of fixed relations, keyed by `schema.name`. */
export const fixedCatalogue = (relations: Readonly<Record<string, { readonly type: RelationType; readonly columns?: ReadonlyArray<string> }>>): Catalogue => ({
  relationType: (schema, name) => relations[`${schema}.${name}`]?.type,
  columns: (schema, name) => relations[`${schema}.${name}`]?.columns
})

/** What the executor verifies after an action's statements ran. */
export type PlanCheck =
  /** A declaration: the relation must exist (no statements). */
  | "exists"
  /** An operation with `hasOutput`: it must have created its target. */
  | "has_output"
  /** An assertion: its view must return no rows. */
  | "no_rows"
  /** A table: report its rows. */
  | "count_rows"
  | "none"

export interface ActionPlan {
  readonly action: Action
  /** Incremental tables: rebuilt (first run, full refresh) or merged. */
  readonly mode?: "full" | "incremental"
  readonly statements: ReadonlyArray<string>
  /**
   * A script with control flow (IF, loops, BEGIN … EXCEPTION, EXECUTE IMMEDIATE): run by the
   * interpreter instead of as one transaction; `statements` then shows it for reading.
   */
  readonly program?: ReadonlyArray<Step>
  readonly check: PlanCheck
  /**
   * A merge into a table with known columns: those columns, and a statement describing the new
   * rows' columns (when the query reads no script variable), so that the executor can name the
   * query's columns the table lacks, which the merge leaves out as Dataform's does.
   */
  readonly schemaCheck?: {
    readonly tableColumns: ReadonlyArray<string>
    readonly describe: string | undefined
    /** `onSchemaChange` other than IGNORE: the executor compares the columns before the build and fails, or alters the table first (`relation`). */
    readonly onSchemaChange?: { readonly mode: "FAIL" | "EXTEND" | "SYNCHRONIZE"; readonly relation: string; readonly label: string; readonly uniqueKey: ReadonlyArray<string> }
  }
  /**
   * BigQuery refuses to write an ARRAY holding a NULL element ("Array cannot have a null
   * element"), where DuckDB keeps it, and writes a NULL ARRAY as an empty one. For a build whose
   * query may make arrays (or that reads a view): the statement describing its columns, and where
   * the written rows can be checked and made empty (the table, or the merge's new rows) right
   * after statement `after`, inside the build's transaction.
   */
  readonly nullElementCheck?: {
    readonly describe: string
    readonly relation: string
    readonly after: number
    readonly label: string
    /** An insert writes only the table's own columns: the others are not checked (nor there). */
    readonly written?: ReadonlyArray<string>
  }
}

/** A statement failing when `column` of the checked rows has an ARRAY with a NULL element. */
export const nullElementFailure = (check: NonNullable<ActionPlan["nullElementCheck"]>, column: string): string =>
  `SELECT error(${sqlString(`${check.label}: the column ${column} has an ARRAY with a NULL element in `)} || count(*) || ${sqlString(` row(s); BigQuery refuses to write it ("Array cannot have a null element"): use ARRAY_AGG(… IGNORE NULLS), or filter the NULLs out`)}) FROM ${check.relation} WHERE list_contains(list_transform(${quoteIdentifier(column)}, x -> x IS NULL), true) HAVING count(*) > 0`

/** BigQuery writes a NULL ARRAY as an empty one (a REPEATED column has no NULL): the checked rows' NULLs made empty. */
export const nullArraysAsEmpty = (relation: string, column: string, type: string): string =>
  `UPDATE ${relation} SET ${quoteIdentifier(column)} = CAST([] AS ${type}) WHERE ${quoteIdentifier(column)} IS NULL`

// Translated SQL that may produce a LIST column: anything else cannot, and skips the DESCRIBE.
const MAY_MAKE_ARRAYS = /\[|\b(array_agg|list|array|split|string_split|str_split|regexp_extract_all|string_to_array|json_extract|generate_series|range|unnest)\b|_array\b|\blist_/i

export interface PlanOptions {
  readonly fullRefresh: boolean
  /** The graph's tables and their partitioning, for INFORMATION_SCHEMA.PARTITIONS (`partitions.ts`). */
  readonly partitionedTables?: ReadonlyArray<PartitionedTable>
}

/** The graph's tables (not views) and their `bigquery.partitionBy`, as PlanOptions takes them. */
export const partitionedTables = (graph: ProjectGraph): ReadonlyArray<PartitionedTable> =>
  graph.actions.flatMap((action) =>
    (action.kind === "table" || action.kind === "incremental") && !action.disabled ? [{ schema: action.target.schema ?? "main", name: action.target.name, partitionBy: action.partitionBy, ...(action.clusterBy === undefined ? {} : { clusterBy: action.clusterBy }) }] : []
  )

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

export type PlanError = TranslationError | ActionError

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

// The condition of a translated `SELECT 1 FROM t WHERE <condition>`: a filter translated alone.
const whereClause = (statement: string): string => statement.replace(/^[\s\S]*?\bWHERE\b/i, "").trim()

const arraysOf = (action: Action) => (action.arrayNames === undefined ? {} : { arrayNames: action.arrayNames })

const translateOne = (sql: string, action: Action, variables: ReadonlyArray<string> = [], shadowable: ReadonlyArray<string> = []) =>
  translate(withProjectId(sql, action.target.database), { fileName: action.fileName, variables, shadowable, ...arraysOf(action) }).pipe(
    Effect.flatMap((statements) =>
      statements.length === 1
        ? Effect.succeed(statements[0]!)
        : Effect.fail(new ActionError({ reason: `${action.fileName}: expected one SELECT statement, found ${statements.length}` }))
    )
  )

/** An action's statements, one script as in BigQuery: a variable declared by one is seen by those after it. */
const translateAll = (sqls: ReadonlyArray<string>, action: Action, variables: ReadonlyArray<string> = [], shadowable: ReadonlyArray<string> = []) =>
  Effect.forEach(sqls, (sql, index) =>
    translate(withProjectId(sql, action.target.database), { fileName: action.fileName, variables: [...variables, ...declaredVariables(sqls.slice(0, index))], shadowable, ...arraysOf(action) })
  ).pipe(Effect.map((lists) => lists.flat()))

/**
 * Dataform runs the pre-operations, the statement and the post-operations as one script, for views
 * too; an incremental table that exists (and is not being rebuilt) runs its incremental variant.
 */
const scriptOf = (action: TableAction, existing: RelationType | undefined, fullRefresh: boolean) => {
  const incremental = action.kind === "incremental" && existing === "table" && (!fullRefresh || action.protected)
  if (incremental) return { incremental, script: { preOps: action.incrementalPreOps, query: action.incrementalQuery, postOps: action.incrementalPostOps } }
  // Dataform writes `CREATE OR REPLACE TABLE t AS <query>` into the script: statements after the
  // query's first (`SELECT …; DELETE …; INSERT …`) run after the build, before the post-operations.
  const [query = action.query, ...after] = action.query.includes(";") ? splitStatements(action.query).map(render) : [action.query]
  return { incremental, script: { preOps: action.preOps, query, postOps: [...after, ...action.postOps] } }
}

/**
 * The relations whose columns planning `action` reads: those it depends on, when its script
 * declares variables (a column of the same name would shadow one in BigQuery).
 */
export const columnsNeeded = (action: Action, catalogue: Catalogue, options: PlanOptions): ReadonlyArray<Target> => {
  if (action.kind === "operations") return declaredVariables(action.queries).length === 0 ? [] : action.dependencies
  if (action.kind !== "table" && action.kind !== "view" && action.kind !== "incremental") return []
  const { incremental, script } = scriptOf(action, catalogue.relationType(action.target.schema ?? "main", action.target.name), options.fullRefresh)
  // A merge writes the table's own columns.
  return [...(incremental ? [action.target] : []), ...(declaredVariables(script.preOps).length === 0 ? [] : action.dependencies)]
}

/** The variables named like a column of a relation the action reads (one it only inserts into puts no column in scope). */
const columnsNamedLike = (action: Action, variables: ReadonlyArray<string>, catalogue: Catalogue, script: ReadonlyArray<string> = action.kind === "operations" ? action.queries : []): ReadonlyArray<{ readonly name: string; readonly column: string; readonly dependency: Target }> => {
  const found: Array<{ readonly name: string; readonly column: string; readonly dependency: Target }> = []
  for (const dependency of action.dependencies) {
    if (onlyInsertedInto(script, dependency)) continue
    for (const column of catalogue.columns(dependency.schema ?? "main", dependency.name) ?? []) {
      const name = column.toLowerCase()
      if (variables.includes(name) && !found.some((known) => known.name === name)) found.push({ name, column, dependency })
    }
  }
  return found
}

/**
 * A table's variables named like a column of a relation it reads. In BigQuery such a column
 * shadows the variable wherever it is in scope: the query is translated to read it so
 * (`shadowable`); a pre- or post-operation reading the name is refused, since the translation
 * would read the variable there.
 */
const shadowedVariables = (action: TableAction, variables: ReadonlyArray<string>, catalogue: Catalogue, script: { readonly preOps: ReadonlyArray<string>; readonly query: string; readonly postOps: ReadonlyArray<string> }) =>
  Effect.gen(function* () {
    const operations = [...script.preOps, ...script.postOps]
    const shadowed = columnsNamedLike(action, variables, catalogue, [...operations, script.query])
    const readAround = shadowed.find(({ name }) => operations.some((sql) => readsName(sql, name)))
    if (readAround !== undefined) {
      return yield* new ActionError({
        reason: `${action.fileName}: the script variable ${readAround.column} has the name of a column of ${targetLabel(readAround.dependency)} and an operation around the query reads it; BigQuery would read the column there, so rename the variable`
      })
    }
    return shadowed.map(({ name }) => name)
  })

/** Whether a script text reads `name` by itself (not as a field, `t.name`); of a DECLARE, only its DEFAULT expression. */
const readsName = (sql: string, name: string): boolean => {
  let declaring = false
  let previous: string | undefined = ";"
  for (const token of tokenize(sql, "bigquery").filter(isSignificant)) {
    const word = token.kind === "word" ? token.text.toUpperCase() : ""
    if (previous === ";") declaring = word === "DECLARE"
    if (word === "DEFAULT") declaring = false
    if (!declaring && token.kind === "word" && token.text.toLowerCase() === name && previous !== ".") return true
    previous = token.text
  }
  return false
}

/**
 * Whether the script names `target` only as the table of `INSERT [INTO] target`: its columns are
 * then in no query's scope (a data-quality log written with `INSERT INTO log VALUES (…, assertion, …)`
 * reads the variable `assertion`). A relation named anywhere else, or not recognisably at all, may
 * be read.
 */
const onlyInsertedInto = (script: ReadonlyArray<string>, target: Target): boolean => {
  const spellings = new Set(bigQuerySpellings(target).map((spelling) => spelling.toLowerCase()))
  let named = false
  for (const sql of script) {
    const significant = tokenize(sql, "bigquery").filter(isSignificant)
    for (let k = 0; k < significant.length; k++) {
      const token = significant[k]!
      if (!spellings.has(token.text.toLowerCase())) continue
      named = true
      const previous = significant[k - 1]?.text.toUpperCase()
      const inserted = previous === "INSERT" || (previous === "INTO" && significant[k - 2]?.text.toUpperCase() === "INSERT")
      if (!inserted) return false
    }
  }
  return named
}

const planTable = (action: TableAction, catalogue: Catalogue, options: PlanOptions) =>
  Effect.gen(function* () {
    const relation = duckdbRelation(action.target)
    const existing = catalogue.relationType(action.target.schema ?? "main", action.target.name)
    // A relation that changes between view and table must be dropped first.
    const dropOther =
      existing === "view" && action.kind !== "view" ? [`DROP VIEW ${relation}`] : existing === "table" && action.kind === "view" ? [`DROP TABLE ${relation}`] : []
    const { incremental, script } = scriptOf(action, existing, options.fullRefresh)
    const scripted = needsInterpreter([...script.preOps, ...script.postOps])
    if (!scripted) yield* checkDeclarations([...script.preOps, script.query, ...script.postOps], action.fileName)
    const variables = declaredVariables(script.preOps)
    const preOps = scripted ? [] : yield* translateAll(script.preOps, action)
    const postOps = scripted ? [] : yield* translateAll(script.postOps, action, variables)
    // With control flow, the operations around the build are programs, and the build one atomic step.
    const preProgram = scripted ? yield* scriptProgram(script.preOps, action) : []
    const postProgram = scripted ? yield* scriptProgram(script.postOps, action, variables, true) : []
    // A view's query is stored and read later, outside the script: no variables in it.
    const shadowable = action.kind === "view" || variables.length === 0 ? [] : yield* shadowedVariables(action, variables, catalogue, script)
    const query = yield* translateOne(script.query, action, action.kind === "view" ? [] : variables, shadowable)
    const plan = (mode: "full" | "incremental", statements: ReadonlyArray<string>): ActionPlan => {
      if (!scripted) return { action, mode, statements, check: action.kind === "view" ? "none" : "count_rows" }
      const program: ReadonlyArray<Step> = [...preProgram, { kind: "sql", statements, atomic: true }, ...postProgram]
      return { action, mode, statements: renderProgram(program), program, check: action.kind === "view" ? "none" : "count_rows" }
    }
    if (action.kind === "view") return plan("full", [...preOps, ...dropOther, `CREATE OR REPLACE VIEW ${relation} AS\n${query}`, ...postOps])
    const label = `${targetLabel(action.target)} (${action.fileName})`
    // A view's arrays were never written, so a query reading one is looked at too.
    const readsView = action.dependencies.some((dependency) => catalogue.relationType(dependency.schema ?? "main", dependency.name) === "view")
    const nullElementCheck = (checked: string, after: number, written?: ReadonlyArray<string>) =>
      scripted || !(readsView || MAY_MAKE_ARRAYS.test(query.replace(/'(?:[^']|'')*'/g, "''")))
        ? {}
        : { nullElementCheck: { describe: `DESCRIBE ${query}`, relation: checked, after, label, ...(written === undefined ? {} : { written }) } }
    if (!incremental) return { ...plan("full", [...preOps, ...dropOther, `CREATE OR REPLACE TABLE ${relation} AS\n${query}`, ...postOps]), ...nullElementCheck(relation, preOps.length + dropOther.length) }
    // As Dataform's incremental insert (onSchemaChange IGNORE, the default): the table's own
    // columns are written, a column the query adds is left out, one it lacks fails the run.
    const tableColumns = catalogue.columns(action.target.schema ?? "main", action.target.name)
    // With EXTEND or SYNCHRONIZE the executor first makes the table's columns the query's (added, or
    // also dropped): every column the query gives is written.
    const extended = action.onSchemaChange === "EXTEND" || action.onSchemaChange === "SYNCHRONIZE"
    const written = tableColumns === undefined || extended ? "*" : tableColumns.map(quoteIdentifier).join(", ")
    const onSchemaChange = action.onSchemaChange === undefined ? {} : { onSchemaChange: { mode: action.onSchemaChange, relation, label, uniqueKey: action.uniqueKey } }
    const schemaCheck = tableColumns === undefined ? {} : { schemaCheck: { tableColumns, describe: variables.length > 0 ? undefined : `DESCRIBE ${query}`, ...onSchemaChange } }
    const partitionFilter =
      action.updatePartitionFilter === undefined || action.updatePartitionFilter.trim() === ""
        ? ""
        : ` AND (${yield* translateOne(`SELECT 1 FROM t WHERE ${action.updatePartitionFilter}`, action, variables).pipe(Effect.map(whereClause))})`
    const staging = quoteIdentifier(`mdp_incremental_${action.target.name}`)
    // incrementalPredicates, as Dataform adds them to the MERGE's ON clause: conditions on the
    // table's row (DATAFORM_DEST) and the new one (DATAFORM_SOURCE) that a match must meet too.
    const predicates =
      action.incrementalPredicates === undefined
        ? undefined
        : yield* translateOne(`SELECT 1 FROM t AS DATAFORM_DEST, t AS DATAFORM_SOURCE WHERE ${action.incrementalPredicates.map((predicate) => `(${predicate})`).join(" AND ")}`, action, variables).pipe(Effect.map(whereClause))
    // incrementalStrategy INSERT_OVERWRITE, as Dataform writes it: the table's rows in the partitions
    // the new rows fall in (a NULL partition never) are replaced by the new rows.
    if (action.insertOverwrite === true && action.partitionBy !== undefined) {
      const partition = yield* translateOne(`SELECT ${action.partitionBy} AS mdp_partition FROM t`, action, variables).pipe(
        Effect.map((statement) => /^\s*SELECT\s+([\s\S]*?)\s+AS\s+mdp_partition\s+FROM\s+t\s*$/i.exec(statement)?.[1])
      )
      if (partition === undefined) return yield* new ActionError({ reason: `${label}: its partitionBy (${action.partitionBy}) does not translate to one expression, which incrementalStrategy INSERT_OVERWRITE needs` })
      return { ...plan("incremental", [
        ...preOps,
        `CREATE OR REPLACE TEMP TABLE ${staging} AS\n${query}`,
        mergeTypeCheck(staging, relation, label),
        `DELETE FROM ${relation} AS DATAFORM_DEST WHERE (${partition}) IN (SELECT DISTINCT ${partition} FROM ${staging} WHERE (${partition}) IS NOT NULL)${partitionFilter}${predicates === undefined ? "" : ` AND (${predicates})`}`,
        `INSERT INTO ${relation} BY NAME SELECT ${written} FROM ${staging}`,
        `DROP TABLE ${staging}`,
        ...postOps
      ]), ...schemaCheck, ...nullElementCheck(staging, preOps.length) }
    }
    // BigQuery's insert refuses a FLOAT64 for an INT64 column; DuckDB would round it.
    if (action.uniqueKey.length === 0) return { ...plan("incremental", [...preOps, mergeTypeCheck(query, relation, label), `INSERT INTO ${relation} BY NAME\nSELECT ${written} FROM (\n${query}\n)`, ...postOps]), ...schemaCheck, ...nullElementCheck(relation, preOps.length + 1, tableColumns) }
    // MERGE on uniqueKey: new rows replace the rows they match, the others are appended. As on
    // BigQuery, only target rows passing updatePartitionFilter can match: a filter that leaves out a
    // changed row's partition adds a duplicate here too, for the key assertion to catch.
    const keys = action.uniqueKey.map(quoteIdentifier).join(", ")
    return { ...plan("incremental", [
      ...preOps,
      `CREATE OR REPLACE TEMP TABLE ${staging} AS\n${query}`,
      // BigQuery's MERGE never matches a NULL key, so such rows would be added again on every run:
      // refused here, before anything changes.
      `SELECT error(${sqlString(`MERGE into ${label}: `)} || count(*) || ${sqlString(` new row(s) have a NULL in the uniqueKey (${action.uniqueKey.join(", ")}); they would never match and be added again on every run`)}) FROM ${staging} WHERE ${action.uniqueKey.map((key) => `${quoteIdentifier(key)} IS NULL`).join(" OR ")} HAVING count(*) > 0`,
      // As BigQuery's MERGE: an existing row may match at most one new row.
      `SELECT error(${sqlString(`MERGE into ${label}: UPDATE/MERGE must match at most one source row for each target row; `)} || count(*) || ${sqlString(` existing key(s) match several new rows`)}) FROM (SELECT ${keys} FROM ${staging} GROUP BY ${keys} HAVING count(*) > 1) AS repeated JOIN ${relation} AS existing USING (${keys}) HAVING count(*) > 0`,
      mergeTypeCheck(staging, relation, label),
      predicates === undefined
        ? `DELETE FROM ${relation} WHERE (${keys}) IN (SELECT ${keys} FROM ${staging})${partitionFilter}`
        : `DELETE FROM ${relation} AS DATAFORM_DEST WHERE EXISTS (SELECT 1 FROM ${staging} AS DATAFORM_SOURCE WHERE ${action.uniqueKey.map((key) => `DATAFORM_DEST.${quoteIdentifier(key)} = DATAFORM_SOURCE.${quoteIdentifier(key)}`).join(" AND ")} AND (${predicates}))${partitionFilter}`,
      `INSERT INTO ${relation} BY NAME SELECT ${written} FROM ${staging}`,
      `DROP TABLE ${staging}`,
      ...postOps
    ]), ...schemaCheck, ...nullElementCheck(staging, preOps.length) }
  })

/** Texts of one script, with control flow, as a program; `variables` are those declared before it (a table's pre_operations). */
const scriptProgram = (sqls: ReadonlyArray<string>, action: Action, variables: ReadonlyArray<string> = [], afterOtherStatements = false) =>
  Effect.gen(function* () {
    const nodes = yield* parseScript(sqls.map((sql) => withProjectId(sql, action.target.database)).join(";\n"), action.fileName)
    return yield* planScript(nodes, action.fileName, { variables, afterOtherStatements })
  })

const planOperation = (action: OperationAction, catalogue: Catalogue) =>
  Effect.gen(function* () {
    const namedLikeColumns = columnsNamedLike(action, declaredVariables(action.queries), catalogue)
    if (needsInterpreter(action.queries)) {
      // The interpreter reads every bare name as the variable: refused where a column would be read.
      const read = namedLikeColumns.find(({ name }) => action.queries.some((sql) => readsName(sql, name)))
      if (read !== undefined) {
        return yield* new ActionError({
          reason: `${action.fileName}: the script variable ${read.column} has the name of a column of ${targetLabel(read.dependency)}; BigQuery would read the column where it is in scope, so rename the variable`
        })
      }
      const program = yield* scriptProgram(action.queries, action)
      return { action, statements: renderProgram(program), program, check: action.hasOutput ? "has_output" : "none" } satisfies ActionPlan
    }
    yield* checkDeclarations(action.queries, action.fileName)
    // Its queries read a column named like a variable where one is in scope; other statements refuse the name (translate.ts).
    const statements = yield* translateAll(action.queries, action, [], namedLikeColumns.map(({ name }) => name))
    return { action, statements, check: action.hasOutput ? "has_output" : "none" } satisfies ActionPlan
  })

const planAssertion = (action: AssertionAction) =>
  Effect.gen(function* () {
    const query = yield* translateOne(action.query, action)
    // Like Dataform, the assertion is kept as a view, so its rows can be inspected afterwards.
    return { action, statements: [`CREATE OR REPLACE VIEW ${duckdbRelation(action.target)} AS\n${query}`], check: "no_rows" } satisfies ActionPlan
  })

/** One action's plan against the catalogue as it is when the action is about to run. */
export const planAction = (action: Action, catalogue: Catalogue, options: PlanOptions): Effect.Effect<ActionPlan, PlanError> =>
  (action.compiledAtRunTime === true
    ? Effect.fail(new TranslationError({ fileName: action.fileName, construct: "JiT compilation (.jitCode(…))", reason: "Dataform writes this action's SQL at run time by calling its JavaScript with a connection to BigQuery, which the local runner does not do; write its SQL with .query(…) to run it locally" }))
    : planOf(action, catalogue, options)
  ).pipe(
    Effect.flatMap((planned) => withPartitions(planned, catalogue, options)),
    Effect.withSpan("Plan.planAction", { attributes: { action: action.key } })
  )

/** INFORMATION_SCHEMA.PARTITIONS answered from the tables that exist as the action runs. */
const withPartitions = (planned: ActionPlan, catalogue: Catalogue, options: PlanOptions): Effect.Effect<ActionPlan, PlanError> => {
  if (!planned.statements.some((statement) => statement.includes(PARTITIONS_PLACEHOLDER_TEXT) || statement.includes(COLUMN_ROLES_PLACEHOLDER_TEXT))) return Effect.succeed(planned)
  const existing = (options.partitionedTables ?? []).filter((table) => catalogue.relationType(table.schema, table.name) === "table")
  const statements: Array<string> = []
  for (const statement of planned.statements) {
    // INFORMATION_SCHEMA.COLUMNS' partitioning and clustering columns, from the graph's settings.
    const answered = withPartitionsAnswered(withColumnRolesAnswered(statement, options.partitionedTables ?? []), existing)
    if (answered instanceof Error) return Effect.fail(new TranslationError({ fileName: planned.action.fileName, construct: "INFORMATION_SCHEMA.PARTITIONS", reason: answered.message }))
    statements.push(answered)
  }
  return Effect.succeed({ ...planned, statements })
}

const planOf = (action: Action, catalogue: Catalogue, options: PlanOptions): Effect.Effect<ActionPlan, PlanError> => {
  switch (action.kind) {
    case "table":
    case "view":
    case "incremental":
      return planTable(action, catalogue, options)
    case "operations":
      return planOperation(action, catalogue)
    case "assertion":
      return planAssertion(action)
    case "declaration":
      return Effect.succeed({ action, statements: [], check: "exists" })
    case "notebook":
      return Effect.fail(new TranslationError({ fileName: action.fileName, construct: "a notebook", reason: "Dataform runs a notebook's Python on Colab Enterprise, which a local run has no stand-in for; the actions that depend on it are skipped" }))
    case "data preparation":
      return Effect.fail(new TranslationError({ fileName: action.fileName, construct: "a data preparation", reason: "BigQuery runs a data preparation's steps itself, which a local run has no stand-in for; the actions that read its tables are skipped" }))
  }
}

/**
 * The plan of every selected, enabled action, in the graph's order, against one catalogue: what a
 * dry run shows. (A run plans each action just before it runs, against the catalogue as the
 * actions before it left it.) An action that cannot be planned is there with its error.
 */
export const plan = (graph: ProjectGraph, catalogue: Catalogue, options: PlanOptions & { readonly selected?: ReadonlySet<string> }) =>
  Effect.forEach(
    graph.actions.filter((action) => !action.disabled && (options.selected === undefined || options.selected.has(action.key))),
    (action) => Effect.result(planAction(action, catalogue, options)).pipe(Effect.map((planned) => ({ action, planned })))
  ).pipe(Effect.withSpan("Plan.plan"))
