/**
 * The warehouse the local runner executes on: one interface (run statements, query rows, inspect
 * relations) with an embedded DuckDB implementation over one database file. Rows come back as
 * JSON-safe values: DATE as `YYYY-MM-DD`, integers and decimals as numbers (integers beyond 2^53
 * as strings), lists and structs as JSON. BigQuery execution is Dataform's job, not this module's.
 */
import { mkdirSync } from "node:fs"
import path from "node:path"
import {
  DuckDBInstance,
  DuckDBTypeId,
  DuckDBStructType,
  DuckDBStructValue,
  DuckDBIntervalValue,
  JsonDuckDBValueConverter,
  doubleFromDecimalValue,
  type DuckDBConnection,
  type DuckDBResultReader,
  listValue,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json
} from "@duckdb/node-api"
import { Config, Context, Effect, Layer, Option, Schema } from "effect"
import { intervalText, registerBuiltinFunctions } from "./builtin-functions.ts"
import { RANGE_LOWER, RANGE_UPPER, rangeText } from "./ranges.ts"
import { narrowedFraction } from "./json-functions.ts"
import { applyTableConstraints, isTableConstraintsStatement } from "./table-constraints.ts"
import { isJavascriptFunctionStatement, registerJavascriptFunction } from "./javascript-udf.ts"
import { exportData, isExportDataStatement, type PendingExport } from "./export-data.ts"
import { isLoadDataStatement, loadData } from "./load-data.ts"
import { quoteIdentifier } from "./target.ts"

export type Row = Readonly<Record<string, Schema.Json>>

export type RelationType = "table" | "view"

/** A value bound to a statement's `$1`, `$2`, …: never spliced into the SQL. */
export type Parameter = string | number | boolean | null | ReadonlyArray<string>

/** A statement, alone or with the values of its parameters. */
export type Statement = string | { readonly sql: string; readonly parameters: ReadonlyArray<Parameter> }

const sqlOf = (statement: Statement): string => (typeof statement === "string" ? statement : statement.sql)

export interface Relation {
  readonly schema: string
  readonly name: string
  readonly type: RelationType
  /** In order. */
  readonly columns: ReadonlyArray<string>
}

/** A warehouse statement failed; carries the SQL so the failing action can be read off the error. */
export class WarehouseError extends Schema.TaggedError<WarehouseError>()("WarehouseError", {
  reason: Schema.String,
  sql: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return this.reason
  }

  /** What to do about it, when the error says (a SQL error's fix is in its own message). */
  get hint(): string | undefined {
    if (/is in use by another process/.test(this.reason)) {
      return "Close the other process that has the warehouse open (a DuckDB shell, a notebook, an `mdp query --write`) or let it finish, then run this again."
    }
    if (/not a valid DuckDB database file|database file .* is corrupt|Corrupt database file/i.test(this.reason)) {
      return "Move the damaged warehouse file aside (keep it for inspection); `npm run pipeline` builds a new one from the raw zone."
    }
    return undefined
  }
}

/** One connection kept for a script whose statements depend on each other's results (autocommit). */
export interface WarehouseSession {
  /** Runs one statement; the rows an INSERT, UPDATE, DELETE or MERGE changed. */
  readonly run: (sql: string, parameters?: ReadonlyArray<Parameter>) => Effect.Effect<number, WarehouseError>
  readonly query: (sql: string, parameters?: ReadonlyArray<Parameter>) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
  /** A query's rows as BigQuery returns a result: see `Warehouse.queryResult`. */
  readonly queryResult: (sql: string) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
}

/** Capability: run SQL on the local warehouse. */
export class Warehouse extends Context.Service<
  Warehouse,
  {
    /** Runs the statements in order on one connection; with `transaction`, all or nothing. */
    readonly run: (statements: ReadonlyArray<Statement>, options?: { readonly transaction?: boolean }) => Effect.Effect<void, WarehouseError>
    /** Rows of a query; values go in as parameters (`$1`, `$2`, …), never spliced into the SQL. */
    readonly query: (sql: string, parameters?: ReadonlyArray<Parameter>) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
    /**
     * Rows of a query as BigQuery returns a result to its caller (`mdp query`, a test's rows): a
     * NULL ARRAY comes back as an empty one, and an ARRAY holding a NULL element fails the query
     * ("Array cannot have a null element"). Inside a query both stay as they are, as in BigQuery.
     */
    readonly queryResult: (sql: string) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
    /** Statements and queries on one connection (its script variables and temp tables), each committed as it runs. */
    readonly session: <A, E, R>(use: (session: WarehouseSession) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | WarehouseError, R>
    readonly relationType: (schema: string, name: string) => Effect.Effect<RelationType | undefined, WarehouseError>
    readonly listRelations: () => Effect.Effect<ReadonlyArray<Relation>, WarehouseError>
    readonly columns: (schema: string, name: string) => Effect.Effect<ReadonlyArray<string>, WarehouseError>
    readonly createSchema: (schema: string) => Effect.Effect<void, WarehouseError>
    /** Where the data lives, for messages. */
    readonly location: string
  }
>()("mdp/Warehouse") {
  /**
   * DuckDB on a file (created with its folder when missing), or `:memory:`. `javascriptLibraries`:
   * the folder JavaScript UDFs' `OPTIONS(library=…)` files are read from; `exports`: the folder
   * EXPORT DATA writes its `gs://bucket/…` files into (without one, an export fails by name);
   * `cloudStorage`: the folders LOAD DATA reads `gs://bucket/…` files from, in order (the exports
   * folder, when there is one, after them).
   */
  static readonly layerDuckDB = (
    file: string,
    options: { readonly javascriptLibraries?: string; readonly exports?: string; readonly cloudStorage?: ReadonlyArray<string> } & WarehouseLimits = {}
  ): Layer.Layer<Warehouse, WarehouseError> =>
    Layer.effect(Warehouse, makeDuckDBWarehouse(file, false, options.javascriptLibraries, options, options.exports, [...(options.cloudStorage ?? []), ...(options.exports === undefined ? [] : [options.exports])]))

  /** An existing DuckDB file opened read-only: for readers (status, report), never creating it. */
  static readonly layerDuckDBReadOnly = (file: string): Layer.Layer<Warehouse, WarehouseError> =>
    Layer.effect(Warehouse, makeDuckDBWarehouse(file, true))
}

/**
 * DuckDB's memory: past `memoryLimit`, joins, aggregates and sorts spill to `tempDirectory`
 * instead of growing the process. DuckDB's own default is 80 % of the machine's memory, which
 * on a 4 GB CI runner leaves too little for Node beside it; ours suits that runner and is
 * set in the settings' `duckdb` section. DuckDB's own allocations outside its buffer pool come on
 * top, about 1.3 GB in a 10M-row full refresh: 600MB peaked at 1.9 GB of RSS (and took 8 % longer
 * than 1GB, which peaked at 2.35 GB).
 */
export interface WarehouseLimits {
  /** DuckDB's size syntax: "1GB", "800MB" (default DEFAULT_MEMORY_LIMIT). */
  readonly memoryLimit?: string
  /** Spill folder (default: DuckDB's, the warehouse file's name + ".tmp"). */
  readonly tempDirectory?: string
  /** Threads DuckDB runs a query on (default: $MDP_DUCKDB_THREADS, else every core). */
  readonly threads?: number
}

export const DEFAULT_MEMORY_LIMIT = "600MB"
/** The DuckDB storage format of new warehouse files (the bench's baselines use it too). */
export const WAREHOUSE_STORAGE_VERSION = "v1.4.0"

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const integerToJson = (value: unknown): Json => {
  if (typeof value === "bigint") return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString()
  return typeof value === "number" ? value : String(value)
}

/** JSON-safe values with numbers kept as numbers, which DuckDB's stock JSON converter renders as strings. */
export const jsonValueConverter: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null || value === undefined) return null
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return integerToJson(value)
    case DuckDBTypeId.DECIMAL:
      return doubleFromDecimalValue(value)
    case DuckDBTypeId.STRUCT:
      // A RANGE (ranges.ts) as BigQuery hands it out: its text.
      if (value instanceof DuckDBStructValue && type instanceof DuckDBStructType && type.entryNames.length === 2 && type.entryNames[0] === RANGE_LOWER && type.entryNames[1] === RANGE_UPPER) return rangeText(value.entries)
      return JsonDuckDBValueConverter(value, type, converter)
    // A TIMESTAMP, DATETIME or TIME as BigQuery writes it: the fraction in groups of three digits.
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIME: {
      const text = JsonDuckDBValueConverter(value, type, converter)
      return typeof text === "string" ? narrowedFraction(text) : text
    }
    // An INTERVAL as BigQuery hands it out: its canonical text, 'Y-M D H:M:S'.
    case DuckDBTypeId.INTERVAL:
      return value instanceof DuckDBIntervalValue ? intervalText(value.months, value.days, value.micros) : JsonDuckDBValueConverter(value, type, converter)
    default:
      return JsonDuckDBValueConverter(value, type, converter)
  }
}

const isArrayType = (typeId: DuckDBTypeId) => typeId === DuckDBTypeId.LIST || typeId === DuckDBTypeId.ARRAY

/**
 * A result's rows as BigQuery hands them out (see `Warehouse.queryResult`); thrown inside the
 * DuckDB call, where a failure becomes the WarehouseError of the statement.
 */
const bigQueryResultRows = (reader: DuckDBResultReader): ReadonlyArray<Row> => {
  const rows = reader.convertRowObjects(jsonValueConverter) as ReadonlyArray<Record<string, Schema.Json>>
  const names = reader.columnNames()
  const arrays = reader.columnTypes().flatMap((type, index) => (isArrayType(type.typeId) ? [names[index]!] : []))
  if (arrays.length === 0) return rows
  return rows.map((row) => {
    const copy = { ...row }
    for (const name of arrays) {
      const value = copy[name]
      if (value === null || value === undefined) copy[name] = []
      else if (Array.isArray(value) && value.some((element) => element === null)) {
        throw new Error(`Array cannot have a null element; error in writing field ${name} (BigQuery refuses such a result: use ARRAY_AGG(… IGNORE NULLS), or filter the NULLs out)`)
      }
    }
    return copy
  })
}

const toDuckDB = (value: Parameter): DuckDBValue => (Array.isArray(value) ? listValue([...value]) : (value as string | number | boolean | null))

// DuckDB suggests its own system tables for a missing one (`Did you mean "pg_catalog.pg_tables"?`),
// which name nothing a BigQuery project has.
const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause)).replace(/\n?Did you mean "(?:pg_catalog|information_schema)\.[^"]*"\?/g, "")

const friendlyReason = (file: string, cause: unknown): string => {
  const text = describe(cause)
  if (/lock/i.test(text)) {
    return `The warehouse file ${file} is in use by another process (close the other mdp command or DuckDB session and try again)`
  }
  return text
}

const withHints = (reason: string, sql: string): string => {
  if (/Typed macro parameters are only supported for storage versions/.test(reason)) {
    return `${reason}\nThis warehouse file was written in an older DuckDB storage format, which cannot keep a persistent SQL function (CREATE FUNCTION without TEMP). A warehouse file mdp creates now can: name a new one with --warehouse, or move this one aside and load again.`
  }
  // runner/set-operations-by-name.ts: an input whose column names are not the first input's.
  if (/Set operations can only apply to expressions with the same number of result columns/.test(reason) && /\bBY\s+NAME\b/i.test(sql)) {
    return `${reason}\nA set operation BY NAME (or STRICT CORRESPONDING) needs inputs with the same column names, in any order, as BigQuery does; FULL [OUTER] … BY NAME takes inputs whose columns differ.`
  }
  // runner/translate.ts (variablesAsOuterScope): script variables named like columns are read from an outer scope.
  if (/window expression is not supported here|LATERAL join cannot contain window functions|UNNEST\(\) for correlated expressions is not supported/.test(reason) && sql.includes("AS mdp_script_variables, LATERAL")) {
    return `${reason}\nThe query reads script variables named like columns, which the runner reads through an outer scope (a column in scope first, as in BigQuery); DuckDB cannot read such a name there in a window function or an UNNEST: rename the variable.`
  }
  // runner/translate.ts (parameterizedStringColumns): a STRING(L) column's length, checked.
  const tooLong = /CHECK constraint failed on table \S+ with expression CHECK\(\(length\("?([^")]+)"?\) <= (\d+)\)\)/.exec(reason)
  if (tooLong !== null) return `${reason}\nThe column ${tooLong[1]} is STRING(${tooLong[2]}): BigQuery refuses a value longer than ${tooLong[2]} characters there too.`
  // BigQuery matches a regular expression over BYTES byte by byte; DuckDB's functions take strings only.
  if (/No function matches the given name and argument types '(?:regexp_\w+|mdp_regexp_instr)\([^)]*\bBLOB\b/i.test(reason)) {
    return `${reason}\nThe query applies a regular-expression function (REGEXP_CONTAINS, REGEXP_EXTRACT, REGEXP_EXTRACT_ALL, REGEXP_REPLACE or REGEXP_INSTR) to BYTES, which BigQuery matches byte by byte and which cannot run locally: DuckDB's regular expressions take STRING only. When the bytes hold text, convert them first (SAFE_CONVERT_BYTES_TO_STRING, or CAST(… AS STRING)) and match a STRING pattern.`
  }
  // A persistent UDF (`cb_functions.XML_TO_JSON(…)`) that lives in BigQuery but that no action creates.
  const missing = /(?:Scalar|Table) Function with name "?(\w+)"? does not exist/i.exec(reason)?.[1]
  const call = missing === undefined ? undefined : new RegExp(`([A-Za-z_][\\w-]*)\\.${missing}\\s*\\(`, "i").exec(sql)
  if (call !== null && call !== undefined) {
    const name = call[0].replace(/\s*\($/, "")
    return `${reason}\n${name} is a persistent function the project calls but does not create (on BigQuery it lives in the dataset ${call[1]}): create it locally in an operation the calling action depends on (CREATE FUNCTION ${name}(…) AS (…)), and the action runs.`
  }
  return reason
}

const makeDuckDBWarehouse = (file: string, readOnly: boolean, javascriptLibraries?: string, limits: WarehouseLimits = {}, exportsFolder?: string, storageFolders: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    if (file !== ":memory:" && !readOnly) mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
    // Several processes sharing a few cores (the test suite runs two files at once on two) each
    // do better on one thread than on threads that take turns with the others'.
    const threads = limits.threads ?? Option.getOrUndefined(yield* Config.option(Config.Int("MDP_DUCKDB_THREADS")).pipe(Effect.orElseSucceed(() => Option.none<number>())))
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const db = await DuckDBInstance.create(file, {
            ...(readOnly ? { access_mode: "READ_ONLY" } : {}),
            memory_limit: limits.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
            ...(limits.tempDirectory === undefined ? {} : { temp_directory: limits.tempDirectory }),
            ...(threads === undefined ? {} : { threads: String(threads) }),
            // Tables have no row order in BigQuery either; keeping it makes DuckDB buffer whole
            // results in large CREATE TABLE … AS and INSERT statements (a 10M-row full refresh: 2.5 GB
            // of RSS with it, 2.35 GB without, in the same time).
            preserve_insertion_order: "false",
            // A new file in today's storage format: a persistent SQL UDF (an operation's CREATE
            // FUNCTION) is a macro with typed parameters, which older formats cannot store.
            storage_compatibility_version: WAREHOUSE_STORAGE_VERSION
          })
          // TIMESTAMP values are UTC, as in BigQuery: set once for every connection to come (the
          // setting belongs to the ICU extension, which cannot be loaded while the instance is created).
          try {
            const connection = await db.connect()
            await connection.run("SET GLOBAL TimeZone = 'UTC'")
            // BigQuery sorts NULLs first ascending and last descending, everywhere (aggregates'
            // ORDER BY too, where polyglot does not spell it out); DuckDB puts them last.
            await connection.run("SET GLOBAL default_null_order = 'nulls_first_on_asc_last_on_desc'")
            registerBuiltinFunctions(connection)
            connection.disconnectSync()
            return db
          } catch (error) {
            db.closeSync()
            throw error
          }
        },
        catch: (cause) => new WarehouseError({ reason: friendlyReason(file, cause), sql: "", cause })
      }),
      (db) => Effect.sync(() => db.closeSync())
    )

    const withConnection = <A>(sql: string, use: (connection: DuckDBConnection) => Promise<A>) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({
          try: () => instance.connect(),
          catch: (cause) => new WarehouseError({ reason: describe(cause), sql, cause })
        }),
        (connection) => {
          let running: Promise<A> | undefined
          return Effect.tryPromise({
            // Interrupted (Ctrl-C, a failed sibling): DuckDB stops the statement, and a transaction
            // in progress is rolled back, instead of running on to its end.
            try: (signal) => {
              signal.addEventListener("abort", () => connection.interrupt(), { once: true })
              running = use(connection)
              return running
            },
            catch: (cause) => new WarehouseError({ reason: withHints(describe(cause), sql), sql, cause })
          }).pipe(
            // The connection closes only once DuckDB has let go of the statement (and rolled back):
            // closing it mid-statement left the process unable to exit.
            Effect.onInterrupt(() => Effect.promise(() => (running ?? Promise.resolve()).then(() => undefined, () => undefined)))
          )
        },
        (connection) => Effect.sync(() => connection.disconnectSync())
      )

    const run = (statements: ReadonlyArray<Statement>, options?: { readonly transaction?: boolean }) =>
      Effect.suspend(() => {
        let current = ""
        return withConnection(statements.map(sqlOf).join(";\n"), async (connection) => {
          // One statement is already a transaction of its own (autocommit); BEGIN and COMMIT around
          // it cost about 2 ms, on every view, assertion and plain table of a run.
          const transactional = options?.transaction === true && statements.length > 1
          // Exported files appear once the statements that wrote them have committed.
          const exported: Array<PendingExport> = []
          if (transactional) await connection.run("BEGIN TRANSACTION")
          try {
            for (const statement of statements) {
              current = sqlOf(statement)
              if (isJavascriptFunctionStatement(current)) registerJavascriptFunction(connection, instance, current, javascriptLibraries)
              else if (isTableConstraintsStatement(current)) await applyTableConstraints(connection, current)
              else if (isExportDataStatement(current)) exported.push(await exportData(connection, current, exportsFolder))
              else if (isLoadDataStatement(current)) await loadData(connection, current, storageFolders)
              else await (typeof statement === "string" ? connection.run(statement) : connection.run(statement.sql, statement.parameters.map(toDuckDB)))
            }
            if (transactional) await connection.run("COMMIT")
          } catch (error) {
            if (transactional) await connection.run("ROLLBACK").catch(() => undefined)
            for (const file of exported) file.discard()
            throw error
          }
          for (const file of exported) file.publish()
        }).pipe(Effect.mapError((error) => new WarehouseError({ reason: error.reason, sql: current || error.sql, cause: error.cause })))
      })

    const query = (sql: string, parameters: ReadonlyArray<Parameter> = []) =>
      withConnection(sql, async (connection) => {
        const reader = await connection.runAndReadAll(sql, parameters.length === 0 ? undefined : parameters.map(toDuckDB))
        return reader.convertRowObjects(jsonValueConverter) as ReadonlyArray<Row>
      })

    const queryResult = (sql: string) => withConnection(sql, async (connection) => bigQueryResultRows(await connection.runAndReadAll(sql)))

    const inFlight = new WeakMap<DuckDBConnection, Promise<unknown>>()
    const session = <A, E, R>(use: (session: WarehouseSession) => Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({ try: () => instance.connect(), catch: (cause) => new WarehouseError({ reason: describe(cause), sql: "", cause }) }),
        (connection) => {
          const call = <T>(sql: string, parameters: ReadonlyArray<Parameter>, read: (result: DuckDBResultReader) => T) =>
            Effect.tryPromise({
              try: (signal) => {
                signal.addEventListener("abort", () => connection.interrupt(), { once: true })
                const running = connection.runAndReadAll(sql, parameters.length === 0 ? undefined : parameters.map(toDuckDB))
                inFlight.set(connection, running)
                return running.then(read)
              },
              catch: (cause) => new WarehouseError({ reason: withHints(describe(cause), sql), sql, cause })
            })
          return use({
            run: (sql, parameters = []) =>
              isJavascriptFunctionStatement(sql)
                ? Effect.try({
                    try: () => (registerJavascriptFunction(connection, instance, sql, javascriptLibraries), 0),
                    catch: (cause) => new WarehouseError({ reason: describe(cause), sql, cause })
                  })
                : isTableConstraintsStatement(sql)
                  ? Effect.tryPromise({
                      try: () => applyTableConstraints(connection, sql).then(() => 0),
                      catch: (cause) => new WarehouseError({ reason: describe(cause), sql, cause })
                    })
                  : isExportDataStatement(sql)
                    ? Effect.tryPromise({
                        // A script's statement commits on its own: its file appears at once.
                        try: () => exportData(connection, sql, exportsFolder).then((file) => (file.publish(), 0)),
                        catch: (cause) => new WarehouseError({ reason: describe(cause), sql, cause })
                      })
                    : isLoadDataStatement(sql)
                      ? Effect.tryPromise({
                          try: () => loadData(connection, sql, storageFolders),
                          catch: (cause) => new WarehouseError({ reason: describe(cause), sql, cause })
                        })
                      : call(sql, parameters, (result) => Number(result.rowsChanged)),
            query: (sql, parameters = []) => call(sql, parameters, (result) => result.convertRowObjects(jsonValueConverter) as ReadonlyArray<Row>),
            queryResult: (sql) => call(sql, [], bigQueryResultRows)
          })
        },
        // As in withConnection: closed once DuckDB has let go of an interrupted statement.
        (connection) =>
          Effect.promise(() => (inFlight.get(connection) ?? Promise.resolve()).then(() => undefined, () => undefined)).pipe(
            Effect.andThen(Effect.sync(() => connection.disconnectSync()))
          )
      )

    // DuckDB's own catalogue functions, with the columns: one query instead of one per relation a
    // run's plans read (information_schema.tables alone took as long as this).
    const listRelations = () =>
      query(
        "SELECT r.schema_name AS schema, r.table_name AS name, r.type, " +
          "coalesce(list(c.column_name ORDER BY c.column_index) FILTER (WHERE c.column_name IS NOT NULL), []) AS columns FROM (" +
          "SELECT schema_name, table_name, 'table' AS type FROM duckdb_tables() WHERE database_name = current_database() UNION ALL " +
          "SELECT schema_name, view_name, 'view' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal) AS r " +
          "LEFT JOIN duckdb_columns() AS c ON c.database_name = current_database() AND c.schema_name = r.schema_name AND c.table_name = r.table_name " +
          "GROUP BY ALL ORDER BY 1, 2"
      ).pipe(Effect.map((rows) => rows as unknown as ReadonlyArray<Relation>))

    // One relation looked up, not the whole catalogue listed (an operation's hasOutput check).
    const relationType = (schema: string, name: string) =>
      query(
        "SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type FROM information_schema.tables " +
          "WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2",
        [schema, name]
      ).pipe(Effect.map((rows) => rows[0]?.["type"] as RelationType | undefined))

    // pragma_table_info looks the relation up by name (0.4 ms); information_schema.columns lists
    // every column of the catalogue first (5 ms, and a run asked 55 times: a third of a small
    // project's incremental run). The pragma cannot parse a quoted name holding a double quote.
    const columnsListed = (schema: string, name: string) =>
      query(
        `SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() ` +
          "AND table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        [schema, name]
      ).pipe(Effect.map((rows) => rows.map((row) => String(row["column_name"]))))
    const columns = (schema: string, name: string) =>
      schema.includes('"') || name.includes('"')
        ? columnsListed(schema, name)
        : query("SELECT name FROM pragma_table_info($1) ORDER BY cid", [`${quoteIdentifier(schema)}.${quoteIdentifier(name)}`]).pipe(
            Effect.map((rows) => rows.map((row) => String(row["name"]))),
            Effect.catchIf(
              (error) => /^Catalog Error: .* does not exist/m.test(error.reason.replace(/^Error: /, "")),
              () => Effect.succeed([])
            )
          )

    const createSchema = (schema: string) => run([`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`])

    return Warehouse.of({ run, query, queryResult, session, relationType, listRelations, columns, createSchema, location: file })
  })
