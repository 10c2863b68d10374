/**
 * Local data for a project's declarations: what lets a Dataform project that reads tables it does
 * not build run here. A declaration `schema.name` takes its rows from a file in the sources folder,
 * `<sources>/<schema>/<name>.csv` (a header row; types inferred), `.jsonl` (one JSON object per
 * line; types inferred) or `.sql` (one BigQuery SELECT, for rows with exact types). The table is
 * created from the file before each run, so the declared data is exactly what the folder holds.
 *
 * A wildcard declaration (`events_*`, as GA4's date-sharded export) takes its shards from the files
 * named after its prefix (`<schema>/events_20240101.jsonl`, …): each becomes its table, and the
 * wildcard a view over every table of the schema with that prefix, with `_TABLE_SUFFIX` the rest
 * of the name, as BigQuery's wildcard tables. `SELECT *` over it leaves `_TABLE_SUFFIX` out, as
 * BigQuery does (translate.ts).
 *
 * Projects also read tables by name without declaring them (a Google Ads transfer's
 * `ads_Campaign_<customer id>`, named in a SQLX body from a var): any other file of the folder,
 * `<schema>/<name>.<csv|jsonl|sql>`, becomes that table too, unless the project builds it;
 * `sources init` stubs those the SQL names in backticks (undeclaredTables).
 */
import path from "node:path"
import { Effect, FileSystem, Schema } from "effect"
import { createdTableColumns, externalTableColumns, quotedDashedProjects } from "./bigquery-syntax.ts"
import { adsTransferColumnType, ga4Column, isAdsTransferTable, isGa4ExportTable } from "./export-schemas.ts"
import { comparisonLength, csvHeaderCells, ELEMENTS, fieldsOfType, headerCell, headerColumn, isNestedType, structOf, typeFromUse, type FieldRead, type HeaderColumn } from "./source-types.ts"
import { isCloudOnly, type Action, type DeclarationAction, type ProjectGraph } from "./graph.ts"
import { loadDataStubs } from "./load-data.ts"
import { nullArraysAsEmpty } from "./plan.ts"
import { depthsOf, isSignificant, matchingParen, tokenize, type Token } from "./sql-tokens.ts"
import { duckdbRelation, quoteIdentifier, targetLabel, type Target } from "./target.ts"
import { translate, type TranslationError } from "./translate.ts"
import { Warehouse, type WarehouseError } from "./warehouse.ts"

export const SOURCE_EXTENSIONS = ["csv", "jsonl", "sql"] as const

export interface SourceFile {
  /** The table it becomes. */
  readonly target: Target
  readonly file: string
  readonly format: (typeof SOURCE_EXTENSIONS)[number]
  /** The declaration it gives rows to (a wildcard's, for a shard); none for a table read undeclared. */
  readonly declaration?: DeclarationAction
}

/** `events_*`: the prefix its tables share; undefined for a plain declaration. */
export const wildcardPrefix = (declaration: DeclarationAction): string | undefined =>
  declaration.target.name.endsWith("*") ? declaration.target.name.slice(0, -1) : undefined

export interface LoadedSource {
  readonly table: string
  readonly file: string
  readonly rows: number
}

const declarations = (graph: ProjectGraph): ReadonlyArray<DeclarationAction> =>
  graph.actions.filter((action): action is DeclarationAction => action.kind === "declaration")

/** Where a declaration's file would be, without its extension. */
export const sourceBase = (folder: string, declaration: DeclarationAction): string =>
  path.join(folder, declaration.target.schema ?? "main", declaration.target.name)

const SOURCE_FILE = /^(.*)\.(csv|jsonl|sql)$/

/** The folder's files, `<schema>/<name>.<csv|jsonl|sql>`, one per table (the first of .csv, .jsonl, .sql). */
const folderFiles = (folder: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const files: Array<{ readonly schema: string; readonly name: string; readonly file: string; readonly format: SourceFile["format"] }> = []
    const schemas = yield* fs.readDirectory(folder).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
    for (const schema of [...schemas].sort()) {
      const directory = path.join(folder, schema)
      const names = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
      const byName = new Map<string, (typeof files)[number]>()
      for (const fileName of names) {
        const match = SOURCE_FILE.exec(fileName)
        if (match === null) continue
        const format = match[2] as SourceFile["format"]
        const known = byName.get(match[1]!)
        if (known === undefined || SOURCE_EXTENSIONS.indexOf(format) < SOURCE_EXTENSIONS.indexOf(known.format)) {
          byName.set(match[1]!, { schema, name: match[1]!, file: path.join(directory, fileName), format })
        }
      }
      files.push(...[...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    }
    return files
  })

/**
 * The folder's tables: the declarations' (a wildcard's shards by their prefix), then every other
 * file, as a table the project reads without declaring it, unless the project builds that table.
 */
export const findSources = (graph: ProjectGraph, folder: string) =>
  Effect.gen(function* () {
    const files = yield* folderFiles(folder)
    const declared = declarations(graph)
    const plain = new Map(declared.filter((declaration) => wildcardPrefix(declaration) === undefined).map((declaration) => [`${declaration.target.schema ?? "main"}.${declaration.target.name}`, declaration]))
    const wildcards = [...declared.filter((declaration) => wildcardPrefix(declaration) !== undefined), ...undeclaredWildcards(graph, declared)]
    // An operation that only creates an external table builds nothing here: its rows are the file's.
    const built = new Set(
      graph.actions
        .filter((action) => action.kind !== "declaration" && !(action.kind === "operations" && externalTableColumns(action.queries) !== undefined))
        .map((action) => `${action.target.schema ?? "main"}.${action.target.name}`)
    )
    const found: Array<SourceFile> = []
    for (const file of files) {
      const key = `${file.schema}.${file.name}`
      // The longest prefix a shard has: `events_intraday_20240103` is events_intraday_*'s shard,
      // though events_* reads it too (as BigQuery's wildcard does: the view holds every table).
      const declaration =
        plain.get(key) ??
        wildcards
          .filter((wildcard) => {
            const prefix = wildcardPrefix(wildcard)!
            return (wildcard.target.schema ?? "main") === file.schema && file.name.startsWith(prefix) && file.name.length > prefix.length
          })
          .sort((a, b) => wildcardPrefix(b)!.length - wildcardPrefix(a)!.length)[0]
      if (declaration === undefined && built.has(key)) continue
      const target = declaration === undefined ? { schema: file.schema, name: file.name } : { ...declaration.target, name: file.name }
      found.push({ target, file: file.file, format: file.format, ...(declaration === undefined ? {} : { declaration }) })
    }
    return found
  })

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

/**
 * Wildcard tables the project reads by name without declaring them (`` `analytics_123.events_*` ``,
 * a GA4 export in a hand-written query): each as a declaration of its own, so that its shards'
 * files make its view, as a declared wildcard's do.
 */
const undeclaredWildcards = (graph: ProjectGraph, declared: ReadonlyArray<DeclarationAction>): ReadonlyArray<DeclarationAction> => {
  const known = new Set(declared.map((declaration) => `${declaration.target.schema ?? "main"}.${declaration.target.name}`.toLowerCase()))
  const found = new Map<string, DeclarationAction>()
  for (const action of graph.actions) {
    for (const text of sqlOfAction(action)) {
      for (const match of text.matchAll(/`(?:[\w-]+\.)?([\w-]+)\.([\w-]*)\*`/g)) {
        const [, schema, prefix] = match
        const key = `${schema}.${prefix}*`
        if (known.has(key.toLowerCase()) || found.has(key)) continue
        found.set(key, { kind: "declaration", key, target: { schema: schema!, name: `${prefix}*` }, fileName: action.fileName, dependencies: [], tags: [], disabled: false, columns: [] })
      }
    }
  }
  return [...found.values()]
}

/**
 * Tables the project's SQL names in backticks (`project.dataset.table`, `dataset.table`), or
 * unquoted after FROM or JOIN, that no action builds or declares and no statement creates: read
 * by name, so their rows come from the sources folder as well (findSources), and `sources init`
 * writes their stubs. A name followed by `(` is a function, INFORMATION_SCHEMA and `_SESSION` are
 * the warehouse's own.
 */
// One part of a reference, quoted alone or not.
const PART = "(`[\\w-]+`|[\\w-]+)"

const undeclaredTables = (graph: ProjectGraph): ReadonlyArray<DeclarationAction> => {
  const known = new Set(graph.actions.map((action) => `${action.target.schema ?? "main"}.${action.target.name}`.toLowerCase()))
  const created = new Set(createdNames(graph.actions.flatMap(sqlOfAction), "relations").map((parts) => parts.slice(-2).join(".").toLowerCase()))
  const found = new Map<string, DeclarationAction>()
  for (const action of graph.actions) {
    for (const text of sqlOfAction(action)) {
      // Unquoted too, after FROM or JOIN (`FROM raw_dataset.agents`), in the SQL without its
      // strings and comments, unless the first part is an alias of the statement (`JOIN e.items`
      // reads an array of the row).
      // Unquoted ids the tokenizer would split quoted first (`my-project.181871398.t`).
      const tokens = tokenize(quotedDashedProjects(text), "bigquery")
      const code = tokens.map((token) => (token.kind === "comment" ? " " : token.kind === "string" ? "''" : token.text)).join("")
      // A whole quoted name is read in strings too (dynamic SQL), never in comments (a query commented out).
      const uncommented = tokens.map((token) => (token.kind === "comment" ? " " : token.text)).join("")
      // (A lookahead, so that one match does not swallow the next: `, item FROM t a`.)
      const aliases = new Set([...code.matchAll(/(?=(?:\bFROM|\bJOIN|,)\s+[`\w.-]+\s+(?:AS\s+)?(\w+))/gi)].map((alias) => alias[1]!.toLowerCase()))
      const unquoted = [...code.matchAll(/\b(?:FROM|JOIN)\s+(?:([a-z][\w-]*)\.)?([a-z_]\w*)\.([a-z_]\w*)\b(?![\s]*[(.])/gi)].filter(
        (reference) => !aliases.has((reference[1] ?? reference[2]!).toLowerCase())
      )
      // Quoted in parts (`` `project`.dataset.`table` ``, as a project's JS builds names): three parts
      // anywhere, two after FROM or JOIN (`` t.`column` `` is no table).
      const inParts = [
        ...[...code.matchAll(new RegExp(`(?<![\\w\`.])${PART}\\.${PART}\\.${PART}(?![\\w\`*-]|\\s*[(.])`, "g"))],
        ...[...code.matchAll(new RegExp(`\\b(?:FROM|JOIN)\\s+()${PART}\\.${PART}(?![\\w\`*-]|\\s*[(.])`, "gi"))]
      ]
        .filter((reference) => reference[0].includes("`"))
        .map((reference) => reference[0].replace(/^(FROM|JOIN)\s+/i, "").replaceAll("`", "").split("."))
        .map((parts) => [parts.join("."), ...(parts.length === 3 ? parts : [undefined, ...parts])] as const)
        .filter(([, database, schema]) => !aliases.has((database ?? schema)!.toLowerCase()))
      for (const match of [...uncommented.matchAll(/`(?:([\w-]+)\.)?([\w-]+)\.([\w-]+)`(?!\s*\()/g), ...unquoted, ...inParts]) {
        const [, database, schema, name] = match
        const key = `${schema}.${name}`
        if (/^(INFORMATION_SCHEMA|_SESSION)$/i.test(schema!) || /^INFORMATION_SCHEMA$/i.test(name!)) continue
        if (known.has(key.toLowerCase()) || created.has(key.toLowerCase()) || found.has(key.toLowerCase())) continue
        found.set(key.toLowerCase(), { kind: "declaration", key, target: { ...(database === undefined ? {} : { database }), schema: schema!, name: name! }, fileName: action.fileName, dependencies: [], tags: [], disabled: false, columns: [] })
      }
    }
  }
  return [...found.values()]
}

/** Creates each declared table from its file, replacing what was there, then the wildcard declarations' views. */
export const loadSources = (sources: ReadonlyArray<SourceFile>) =>
  Effect.gen(function* () {
    const loaded = yield* Effect.forEach(sources, loadSource)
    const wildcards = new Map(
      sources.flatMap((source) => (source.declaration !== undefined && wildcardPrefix(source.declaration) !== undefined ? [[source.declaration.key, source.declaration] as const] : []))
    )
    for (const declaration of wildcards.values()) yield* createWildcardView(declaration)
    return loaded
  })

/**
 * The view of a wildcard declaration: every table of its schema whose name has its prefix (loaded
 * from files or already in the warehouse), by column name, with `_TABLE_SUFFIX`.
 */
const createWildcardView = (declaration: DeclarationAction) =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const schema = declaration.target.schema ?? "main"
    const prefix = wildcardPrefix(declaration) ?? declaration.target.name
    const shards = (yield* warehouse.listRelations()).filter(
      (relation) => relation.schema === schema && relation.type === "table" && relation.name.startsWith(prefix) && relation.name.length > prefix.length && !relation.name.endsWith("*")
    )
    if (shards.length === 0) return
    const union = shards
      .map((shard) => `SELECT *, ${sqlString(shard.name.slice(prefix.length))} AS _TABLE_SUFFIX FROM ${quoteIdentifier(schema)}.${quoteIdentifier(shard.name)}`)
      .join("\nUNION ALL BY NAME\n")
    yield* warehouse.run([`CREATE OR REPLACE VIEW ${duckdbRelation(declaration.target)} AS\n${union}`])
  })

/**
 * The CSV file to read: the file itself, or a copy with its line endings made one kind where it
 * mixes Windows (CRLF) and Unix (LF) ones, as a file edited on two systems does (DuckDB's
 * sniffer refuses such a file). The copy lasts as long as the scope. A file past 64 MB, not a
 * hand-edited one, is read as it is.
 */
const csvWithOneLineEnding = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const failed = (cause: { readonly message: string }) => new SourceFileError({ file, reason: cause.message })
    if ((yield* fs.stat(file).pipe(Effect.mapError(failed))).size > 64n * 1024n * 1024n) return file
    const text = yield* fs.readFileString(file).pipe(Effect.mapError(failed))
    if (!text.includes("\r\n") || !/(^|[^\r])\n/.test(text)) return file
    const copy = yield* fs.makeTempFileScoped({ suffix: ".csv" }).pipe(Effect.mapError(failed))
    yield* fs.writeFileString(copy, text.replaceAll("\r\n", "\n")).pipe(Effect.mapError(failed))
    return copy
  })

const loadSource = (source: SourceFile): Effect.Effect<LoadedSource, WarehouseError | TranslationError | SourceFileError, Warehouse | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    const target = source.target
    const relation = duckdbRelation(target)
    const select =
      source.format === "csv"
        ? yield* csvSource(source.file)
        : source.format === "jsonl"
          ? `SELECT * FROM read_json(${sqlString(source.file)}, format = 'newline_delimited', auto_detect = true)`
          : yield* sqlSource(source)
    // A BigQuery table's ARRAY (REPEATED) column holds no NULL: a row without one has an empty
    // array, and a NULL element is refused on load.
    const arrays = (yield* warehouse.query(`DESCRIBE ${select}`))
      .map((row) => ({ name: String(row["column_name"]), type: String(row["column_type"]) }))
      .filter((column) => column.type.endsWith("[]"))
    const nullElements = arrays.length === 0
      ? []
      : yield* warehouse.query(`SELECT ${arrays.map(({ name }) => `count(*) FILTER (WHERE list_contains(list_transform(${quoteIdentifier(name)}, x -> x IS NULL), true)) AS ${quoteIdentifier(name)}`).join(", ")} FROM (${select})`)
    const refused = Object.entries(nullElements[0] ?? {}).filter(([, count]) => Number(count) > 0)
    if (refused.length > 0) {
      return yield* new SourceFileError({
        file: source.file,
        reason: `${refused.map(([name, count]) => `the column ${name} has an ARRAY with a NULL element in ${count} row(s)`).join("; ")}; BigQuery refuses to load it ("Array cannot have a null element")`
      })
    }
    yield* warehouse.run([
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(target.schema ?? "main")}`,
      `CREATE OR REPLACE TABLE ${relation} AS\n${select}`,
      ...arrays.map(({ name, type }) => nullArraysAsEmpty(relation, name, type))
    ], { transaction: true }).pipe(
      // A cell its header's type cannot read (`amount:INT64` holding `abc`) is the file's error.
      Effect.mapError((error): WarehouseError | SourceFileError => (/^Conversion Error|Invalid Input Error/.test(error.reason) && source.format === "csv" ? new SourceFileError({ file: source.file, reason: error.reason.split("\n")[0]! }) : error))
    )
    const rows = yield* warehouse.query(`SELECT COUNT(*) AS n FROM ${relation}`)
    return { table: targetLabel(target), file: source.file, rows: Number(rows[0]?.["n"] ?? 0) }
  }).pipe(Effect.scoped)

const CSV_ROWS = "mdp_csv_rows"

/**
 * The SELECT of a CSV source: DuckDB's reader with its types sniffed, except for the columns whose
 * header cell gives a BigQuery type (`created_at:TIMESTAMP`), read as text and cast as BigQuery's
 * CAST from STRING would (a nested type's cell as JSON), and named without the type.
 */
const csvSource = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const failed = (cause: { readonly message: string }) => new SourceFileError({ file, reason: cause.message })
    const readable = yield* csvWithOneLineEnding(file)
    const handle = yield* fs.open(readable).pipe(Effect.mapError(failed))
    const head = yield* handle.readAlloc(64 * 1024).pipe(Effect.mapError(failed))
    const columns = csvHeaderCells(head._tag === "Some" ? new TextDecoder().decode(head.value) : "").map(headerColumn)
    const reader = `read_csv(${sqlString(readable)}, header = true, auto_detect = true`
    if (columns.every((column) => column.type === undefined)) return `SELECT * FROM ${reader})`
    const typed = columns.filter((column) => column.type !== undefined)
    const names = `[${columns.map((column) => sqlString(column.name)).join(", ")}]`
    const asText = `{${typed.map((column) => `${sqlString(column.name)}: 'VARCHAR'`).join(", ")}}`
    const backticked = (name: string) => `\`${name.replaceAll("\\", "\\\\").replaceAll("`", "\\`")}\``
    // Scalars through the BigQuery CAST's translation; nested types from JSON, in DuckDB's types.
    const scalars = typed.filter((column) => !isNestedType(column.type!))
    const bigquery = `SELECT * ${scalars.length === 0 ? "" : `REPLACE (${scalars.map((column) => `CAST(${backticked(column.name)} AS ${column.type}) AS ${backticked(column.name)}`).join(", ")}) `}FROM ${CSV_ROWS}`
    const translated = yield* translate(bigquery, { fileName: file }).pipe(Effect.mapError((error) => new SourceFileError({ file, reason: `a type in its header: ${error.message}` })))
    const nested: Array<string> = []
    for (const column of typed.filter((column) => isNestedType(column.type!))) {
      const empty = yield* translate(`SELECT CAST(NULL AS ${column.type}) AS v`, { fileName: file }).pipe(Effect.mapError((error) => new SourceFileError({ file, reason: `the type of ${column.name}: ${error.message}` })))
      const described = yield* (yield* Warehouse).query(`SELECT typeof(v) AS t FROM (${empty[0]})`)
      nested.push(`CAST(CAST(${quoteIdentifier(column.name)} AS JSON) AS ${String(described[0]?.["t"])}) AS ${quoteIdentifier(column.name)}`)
    }
    const rows = translated[0]!.replace(new RegExp(`\\b${CSV_ROWS}\\b`), () => `${reader}, names = ${names}, types = ${asText})`)
    return nested.length === 0 ? rows : `SELECT * REPLACE (${nested.join(", ")}) FROM (${rows})`
  })

/** A `.sql` source is BigQuery SQL, translated like a model's. */
const sqlSource = (source: SourceFile) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(source.file).pipe(Effect.mapError((cause) => new SourceFileError({ file: source.file, reason: cause.message })))
    const statements = yield* translate(text, { fileName: source.file })
    if (statements.length !== 1) return yield* new SourceFileError({ file: source.file, reason: `expected one SELECT statement, found ${statements.length}` })
    return statements[0]!
  })


/** A sources file that cannot be used as it is. */
export class SourceFileError extends Schema.TaggedError<SourceFileError>()("SourceFileError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}

/** The suffix of the empty shard `sources init` writes for a wildcard (`events_19700101.csv`): a date, as GA4's are. */
export const PLACEHOLDER_SHARD_SUFFIX = "19700101"

export interface SourceStub {
  readonly table: string
  readonly file: string
  /**
   * written now; kept: a file was already there; shard: a wildcard's empty shard written now, to
   * rename to a real suffix; created: none written, a statement of the project creates the table
   * (`file` names that action's file), and rows loaded from a file would change what it does
   */
  readonly state: "written" | "kept" | "shard" | "created"
  /** Each with the type its header cell gives (`name:TYPE`), where the SQL or a column list shows it. */
  readonly columns: ReadonlyArray<HeaderColumn>
  /** documented: from its config; read: the columns the project's SQL reads of it (none documented) */
  readonly columnsFrom: "documented" | "read" | "none"
}

/**
 * What the statements create, as the parts of each name (`CREATE TABLE ds.scratch`, quoted or not):
 * tables and views, or also functions and procedures.
 */
const createdNames = (texts: ReadonlyArray<string>, objects: "relations" | "all"): ReadonlyArray<ReadonlyArray<string>> => {
  const kinds = objects === "relations" ? "TABLE|VIEW" : "TABLE\\s+FUNCTION|AGGREGATE\\s+FUNCTION|TABLE|VIEW|FUNCTION|PROCEDURE"
  const statement = new RegExp(`\\bCREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMP(?:ORARY)?\\s+)?(?:EXTERNAL\\s+|SNAPSHOT\\s+|MATERIALIZED\\s+)?(?:${kinds})\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(\`[^\`]+\`(?:\\.\`[^\`]+\`|\\.[\\w-]+)*|[\\w.-]+)`, "gi")
  return texts.flatMap((text) => [...text.matchAll(statement)].map((match) => match[1]!.replaceAll("`", "").split(".")))
}

/**
 * The datasets the project's statements create tables, views, functions or procedures in
 * (`CREATE TABLE hr.departments`, the name quoted or not): on BigQuery they exist before the run, so the local
 * warehouse makes them, empty, as it makes the datasets of the actions' targets.
 */
export const datasetsCreatedIn = (actions: ReadonlyArray<Action>): ReadonlyArray<string> =>
  [...new Set(createdNames(actions.flatMap(sqlOfAction), "all").filter((parts) => parts.length >= 2).map((parts) => parts[parts.length - 2]!))]

/** The tables and views the project's statements create, as lower-cased `dataset.name`. */
export const relationsCreatedIn = (actions: ReadonlyArray<Action>): ReadonlySet<string> =>
  new Set(createdNames(actions.flatMap(sqlOfAction), "relations").filter((parts) => parts.length >= 2).map((parts) => parts.slice(-2).join(".").toLowerCase()))

const sqlOfAction = (action: Action): ReadonlyArray<string> =>
  action.kind === "declaration" || isCloudOnly(action) ? [] : action.kind === "operations" ? action.queries : action.kind === "assertion" ? [action.query] : [action.query, action.incrementalQuery, ...action.preOps, ...action.postOps, ...action.incrementalPreOps, ...action.incrementalPostOps]

/** The names a script DECLAREs (`DECLARE a, b INT64 DEFAULT …`), lower-cased. */
const scriptVariables = (texts: ReadonlyArray<string>): ReadonlySet<string> => {
  const variables = new Set<string>()
  for (const text of texts) {
    if (!/\bDECLARE\b/i.test(text)) continue
    const tokens = tokenize(text, "bigquery").filter(isSignificant)
    tokens.forEach((token, k) => {
      if (token.kind !== "word" || token.text.toUpperCase() !== "DECLARE") return
      for (let v = k + 1; tokens[v]?.kind === "word" || tokens[v]?.kind === "quoted"; v += 2) {
        variables.add(tokens[v]!.text.replaceAll("`", "").toLowerCase())
        if (tokens[v + 1]?.text !== ",") break
      }
    })
  }
  return variables
}

// Words that end a FROM item, so none is its alias.
const NOT_AN_ALIAS = new Set(["WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "ON", "USING", "GROUP", "ORDER", "HAVING", "QUALIFY", "WINDOW", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "FOR", "TABLESAMPLE", "PIVOT", "UNPIVOT", "SET", "WHEN", "SELECT"])

// Words of a SELECT that name no column: clauses, operators, literals, weekdays (WEEK(MONDAY)), types.
const NOT_COLUMNS = new Set([
  "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "AS", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "ALL",
  "GROUP", "BY", "ORDER", "HAVING", "QUALIFY", "LIMIT", "OFFSET", "ASC", "DESC", "NULLS", "FIRST", "LAST", "BETWEEN", "LIKE", "EXISTS", "OVER", "PARTITION",
  "ROWS", "RANGE", "UNBOUNDED", "PRECEDING", "FOLLOWING", "CURRENT", "ROW", "INTERVAL", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "WITH", "ON", "USING",
  "JOIN", "LEFT", "RIGHT", "INNER", "FULL", "OUTER", "CROSS", "IGNORE", "RESPECT", "ESCAPE", "COLLATE", "REPLACE", "SUNDAY", "MONDAY", "TUESDAY",
  "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "STRUCT", "ARRAY", "RECURSIVE",
  // Functions called without parentheses.
  "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_DATETIME", "CURRENT_TIME"
])
// Types that head a literal (`NUMERIC '1.5'`, `JSON '{}'`) and are otherwise free column names.
const LITERAL_TYPES = new Set(["NUMERIC", "BIGNUMERIC", "BIGDECIMAL", "DECIMAL", "JSON", "RANGE"])
// Date parts, also common column names (day, month): a part where EXTRACT (`year FROM`), an
// INTERVAL (`1 DAY`) or a function taking one last (`DATE_TRUNC(d, MONTH)`) places it, a column anywhere else.
const DATE_PARTS = new Set(["YEAR", "QUARTER", "MONTH", "WEEK", "ISOWEEK", "ISOYEAR", "DAY", "DAYOFWEEK", "DAYOFYEAR", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND", "DATE", "DATETIME", "TIMESTAMP", "TIME"])
const LAST_ARGUMENT_IS_A_PART = /^(DATE|DATETIME|TIMESTAMP|TIME)_(TRUNC|DIFF)$|^LAST_DAY$/

/** Whether token `k` (a `,` before it, a `)` after) is the last argument of a function whose last argument is a date part. */
const isPartArgument = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, k: number): boolean => {
  if (tokens[k - 1]?.text !== "," || tokens[k + 1]?.text !== ")") return false
  let open = k - 1
  while (open >= 0 && !(tokens[open]!.text === "(" && depths[open] === depths[k]! - 1)) open--
  return LAST_ARGUMENT_IS_A_PART.test(tokens[open - 1]?.kind === "word" ? tokens[open - 1]!.text.toUpperCase() : "")
}

/** Bare column names of the SELECT whose only FROM item is token `at` (`depths`: depthsOf the tokens; its own subqueries left out), or none when it has several. */
/** The last token of the field path after token k (`k.field.subfield`): k itself when none follows. */
const fieldPathEnd = (tokens: ReadonlyArray<Token>, k: number): number => {
  let end = k
  while (tokens[end + 1]?.text === "." && (tokens[end + 2]?.kind === "word" || tokens[end + 2]?.kind === "quoted")) end += 2
  return end
}

/** The names of the field path from token `first` to `last` (the dots between left out), unquoted. */
const pathNames = (tokens: ReadonlyArray<Token>, first: number, last: number): Array<string> => {
  const path: Array<string> = []
  for (let f = first; f <= last; f += 2) path.push(tokens[f]!.kind === "quoted" ? tokens[f]!.text.slice(1, -1) : tokens[f]!.text)
  return path
}

/**
 * What a query reads of the elements of the array column whose reference is the argument of the
 * `UNNEST(` at token `unnest` (its `)` at `close`): through the alias it gives them, `alias.field`
 * paths or the alias alone; unaliased as the only FROM item, the SELECT's bare names (a GA4
 * `(SELECT value.int_value FROM UNNEST(event_params) WHERE key = 'x')`). Fields typed by their use.
 */
const unnestedElement = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, unnest: number, close: number, depth = 0): { readonly fields: ReadonlyArray<FieldRead>; readonly type?: string } => {
  const upper = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
  const named = (k: number) => (tokens[k]?.kind === "quoted" ? tokens[k]!.text.slice(1, -1) : tokens[k]?.kind === "word" ? tokens[k]!.text : undefined)
  // Only a FROM item has an alias (`x IN UNNEST(tags) AND …` has none).
  const isItem = upper(unnest - 1) === "FROM" || upper(unnest - 1) === "JOIN" || tokens[unnest - 1]?.text === ","
  const aliasAt = upper(close + 1) === "AS" ? close + 2 : close + 1
  const alias = isItem && named(aliasAt) !== undefined && !NOT_AN_ALIAS.has(upper(aliasAt)) && !NOT_COLUMNS.has(upper(aliasAt)) ? named(aliasAt)! : undefined
  // The field path starts at token k; the whole reference (`alias.field`) at `start`.
  const fieldOf = (k: number, start = k): ReadonlyArray<FieldRead> => {
    const last = fieldPathEnd(tokens, k)
    const path = pathNames(tokens, k, last)
    // A field UNNEST reads (`UNNEST(query.values) AS value`) is an array too, of what is read of
    // its elements in turn (FHIR's `UNNEST(ext.extension) AS inner`, then `inner.valueString`).
    const unnested = tokens[start - 1]?.text === "(" && upper(start - 2) === "UNNEST" && tokens[last + 1]?.text === ")"
    if (unnested) return depth < MAX_NESTED_ARRAYS ? underArray(path, unnestedElement(tokens, depths, start - 2, last + 1, depth + 1)) : [{ path: [...path, ELEMENTS] }]
    if (tokens[last + 1]?.text === "[" && depth < MAX_NESTED_ARRAYS) return underArray(path, indexedElement(tokens, depths, last + 1, start, depth + 1))
    const type = tokens[last + 1]?.text === "(" ? undefined : typeFromUse(tokens, depths, start, last)
    return [type === undefined ? { path } : { path, type }]
  }
  if (alias === undefined) {
    return { fields: bareNamesOfOnlySource(tokens, depths, unnest, close + 1).flatMap((k) => fieldOf(k)) }
  }
  const fields: Array<FieldRead> = []
  let type: string | undefined
  tokens.forEach((_, k) => {
    if (k === aliasAt || named(k)?.toLowerCase() !== alias.toLowerCase() || tokens[k - 1]?.text === ".") return
    if (tokens[k + 1]?.text === "." && named(k + 2) !== undefined) {
      if (tokens[fieldPathEnd(tokens, k + 2) + 1]?.text !== "(") fields.push(...fieldOf(k + 2, k))
    } else if (tokens[k + 1]?.text !== "(") type ??= typeFromUse(tokens, depths, k, k)
  })
  return type === undefined ? { fields } : { fields, type }
}

// Arrays in arrays followed through their aliases, at most (a guard: each level is a later alias).
const MAX_NESTED_ARRAYS = 8

/** What is read of an array's elements, as paths under the array's own (`[...path, ELEMENTS, ...field]`); its elements alone when nothing is read of them. */
const underArray = (path: ReadonlyArray<string>, element: { readonly fields: ReadonlyArray<FieldRead>; readonly type?: string }): ReadonlyArray<FieldRead> =>
  element.fields.length > 0
    ? element.fields.map((field) => ({ ...field, path: [...path, ELEMENTS, ...field.path] }))
    : [element.type === undefined ? { path: [...path, ELEMENTS] } : { path: [...path, ELEMENTS], type: element.type }]

/**
 * What is read of an array's element indexed at the `[` at token `open` (`coding[OFFSET(0)].code`):
 * its field path after the `]`, typed by its use (or an array again when indexed in turn).
 */
const indexedElement = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, open: number, start: number, depth = 0): { readonly fields: ReadonlyArray<FieldRead> } => {
  const close = matchingParen(tokens, open)
  if (close < 0 || tokens[close + 1]?.text !== "." || (tokens[close + 2]?.kind !== "word" && tokens[close + 2]?.kind !== "quoted")) return { fields: [] }
  const last = fieldPathEnd(tokens, close + 2)
  const path = pathNames(tokens, close + 2, last)
  if (tokens[last + 1]?.text === "(") return { fields: [] }
  if (tokens[last + 1]?.text === "[" && depth < MAX_NESTED_ARRAYS) return { fields: underArray(path, indexedElement(tokens, depths, last + 1, start, depth + 1)) }
  const type = typeFromUse(tokens, depths, start, last)
  return { fields: [type === undefined ? { path } : { path, type }] }
}

/**
 * What a FROM item other than the table reads from, as text to look for a column name in: a CTE's
 * body, a subquery, a project model's SQL (`relationSql`); undefined when unknown (another source,
 * UNNEST), which leaves a bare name ambiguous.
 */
const otherItemText = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, item: number, relationSql: (name: string) => string | undefined): string | undefined => {
  const token = tokens[item]
  if (token === undefined) return undefined
  // The tokens are the significant ones: spaced again to be read as SQL.
  const textOf = (from: number, to: number) => tokens.slice(from, to).map((other) => other.text).join(" ")
  if (token.text === "(") return textOf(item + 1, matchingParen(tokens, item))
  if (token.kind !== "word" && token.kind !== "quoted") return undefined
  if (token.kind === "word" && token.text.toUpperCase() === "UNNEST") return undefined
  const name = token.kind === "quoted" ? token.text.slice(1, -1) : token.text
  // A CTE of the statement: `name AS (`, at its level.
  const cte = tokens.findIndex((other, k) => k !== item && depths[k] === 0 && (other.kind === "word" || other.kind === "quoted") && other.text.replaceAll("`", "").toLowerCase() === name.toLowerCase() && tokens[k + 1]?.text.toUpperCase() === "AS" && tokens[k + 2]?.text === "(")
  if (cte >= 0) {
    // `source AS (SELECT * FROM table [WHERE …])`: the table's columns, as known, rather than a `*`
    // that could give any name.
    const close = matchingParen(tokens, cte + 2)
    const [select, star, from, table] = [cte + 3, cte + 4, cte + 5, cte + 6].map((k) => tokens[k])
    const whole = close === cte + 7 || tokens[cte + 7]?.text.toUpperCase() === "WHERE"
    if (select?.text.toUpperCase() === "SELECT" && star?.text === "*" && from?.text.toUpperCase() === "FROM" && table?.kind === "quoted" && whole) {
      const known = relationSql(table.text.slice(1, -1))
      if (known !== undefined) return known
    }
    return textOf(cte + 3, close)
  }
  return tokens[item + 1]?.text === "." ? undefined : relationSql(name)
}

/** Whether SQL text may give a column `name`: it names it, or selects `*`. */
const mayGive = (text: string, name: string): boolean =>
  tokenize(text, "bigquery").some((token) => token.text === "*" || ((token.kind === "word" || token.kind === "quoted") && token.text.replaceAll("`", "").toLowerCase().split(".").includes(name.toLowerCase())))

/** Whether the subquery opened at token `open` has a FROM of its own (at its own level). */
const hasOwnFrom = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, open: number): boolean => {
  for (let k = open + 1; k < tokens.length && depths[k]! > depths[open]!; k++) {
    if (depths[k] === depths[open]! + 1 && tokens[k]!.kind === "word" && /^(FROM|WITH)$/i.test(tokens[k]!.text)) return true
  }
  return false
}

const bareNamesOfOnlySource = (
  tokens: ReadonlyArray<Token>,
  depths: ReadonlyArray<number>,
  at: number,
  aliasEnd: number,
  relationSql: (name: string) => string | undefined = () => undefined
): ReadonlyArray<number> => {
  const level = depths[at]!
  const upper = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
  if (upper(at - 1) !== "FROM") return []
  let start = at
  while (start > 0 && depths[start - 1]! >= level && !(depths[start - 1] === level && tokens[start - 1]!.text === ";")) start--
  let end = at
  while (end + 1 < tokens.length && depths[end + 1]! >= level && !(depths[end + 1] === level && tokens[end + 1]!.text === ";")) end++
  // Another FROM item (a join or a comma) makes a bare name ambiguous, unless what that item reads
  // is known and never names it: a model's SQL, a CTE or a subquery without the name or a `*`.
  const others: Array<string | undefined> = []
  // The other items' names and aliases: `alias.column` reads them, not a STRUCT of the table.
  const otherNames = new Set<string>()
  const itemTokens = new Set<number>()
  const unnestArguments = new Set<number>()
  const nameOf = (k: number) => (tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted" ? tokens[k]!.text.replaceAll("`", "").split(".").at(-1)!.toLowerCase() : undefined)
  for (let k = aliasEnd; k <= end; k++) {
    if (depths[k] !== level) continue
    if (upper(k) === "JOIN" || tokens[k]!.text === ",") {
      const unnest = upper(k + 1) === "UNNEST" && tokens[k + 2]?.text === "("
      const itemEnd = tokens[k + 1]?.text === "(" ? matchingParen(tokens, k + 1) : unnest ? matchingParen(tokens, k + 2) : k + 1
      const aliasAt = upper(itemEnd + 1) === "AS" ? itemEnd + 2 : itemEnd + 1
      // `UNNEST(x) AS alias` gives its alias (its elements' fields are read as `alias.field`; one read
      // bare is taken for the table's, an extra column a stub can bear); its argument is a column of
      // the rows it joins.
      const unnestAlias = unnest && !NOT_AN_ALIAS.has(upper(aliasAt)) && !NOT_COLUMNS.has(upper(aliasAt)) ? nameOf(aliasAt) : undefined
      if (unnestAlias !== undefined) for (let a = k + 3; a < itemEnd; a++) unnestArguments.add(a)
      others.push(unnestAlias ?? otherItemText(tokens, depths, k + 1, relationSql))
      itemTokens.add(k + 1)
      if (!NOT_AN_ALIAS.has(upper(aliasAt))) itemTokens.add(aliasAt)
      for (const named of [nameOf(k + 1), NOT_AN_ALIAS.has(upper(aliasAt)) ? undefined : nameOf(aliasAt)]) if (named !== undefined) otherNames.add(named)
    }
    if (/^(WHERE|GROUP|HAVING|QUALIFY|WINDOW|ORDER|LIMIT|UNION|INTERSECT|EXCEPT)$/.test(upper(k))) break
  }
  if (others.includes(undefined)) return []
  // An output's name (after AS) is no input column, nor its use where BigQuery reads outputs
  // (GROUP BY lsn, ORDER BY total, HAVING, QUALIFY); elsewhere a name read both ways is kept: an
  // extra column in a stub's header costs little, a missing one fails the run.
  const outputs = new Set<string>()
  for (let k = start; k <= end; k++) if (depths[k] === level && upper(k - 1) === "AS" && (tokens[k]!.kind === "word" || tokens[k]!.kind === "quoted")) outputs.add(tokens[k]!.text.replaceAll("`", "").toLowerCase())
  let readsOutputs = false
  const names: Array<number> = []
  for (let k = start; k <= end; k++) {
    // A subquery has its own FROM: skipped. One without (`(SELECT AS STRUCT traffic_source.source
    // AS source, …)`, Google's GA4 template) reads the outer row's columns, as the SELECT around it.
    if (tokens[k]!.text === "(" && /^(SELECT|WITH)$/.test(upper(k + 1)) && hasOwnFrom(tokens, depths, k)) {
      const open = depths[k]!
      while (k + 1 <= end && depths[k + 1]! > open) {
        k++
        // …but its first FROM item `UNNEST(name)` reads the outer row's array (GA4's
        // `(SELECT value.int_value FROM UNNEST(event_params) WHERE key = …)`), or a STRUCT's
        // (`FROM UNNEST(fhir.deviceName) AS device`).
        if (depths[k] === open + 1 && upper(k) === "FROM" && upper(k + 1) === "UNNEST" && tokens[k + 2]?.text === "(" && tokens[fieldPathEnd(tokens, k + 3) + 1]?.text === ")" && (tokens[k + 3]?.kind === "word" || tokens[k + 3]?.kind === "quoted")) names.push(k + 3)
      }
      continue
    }
    if (depths[k] === level && /^(GROUP|HAVING|QUALIFY|ORDER)$/.test(upper(k))) readsOutputs = true
    if (readsOutputs && outputs.has(tokens[k]!.text.replaceAll("`", "").toLowerCase())) continue
    const token = tokens[k]!
    if (token.kind !== "word" && !(token.kind === "quoted" && !token.text.includes("."))) continue
    if (k >= at && k < aliasEnd) continue
    if (tokens[k - 1]?.text === "." || tokens[k + 1]?.text === "(") continue
    // Another FROM item (a UNION's other table, `` `p`.ds.`t` ``), no column.
    if (upper(k - 1) === "FROM" || upper(k - 1) === "JOIN") continue
    // `name.field`: a STRUCT column's field, unless the chain is a call (SAFE.PARSE_DATE(…), NET.HOST(…)).
    if (tokens[k + 1]?.text === "." && tokens[fieldPathEnd(tokens, k) + 1]?.text === "(") continue
    if (upper(k - 1) === "AS") continue
    // A CTE's name (`brands AS (`) is no column.
    if (upper(k + 1) === "AS" && tokens[k + 2]?.text === "(") continue
    if (token.kind === "word" && NOT_COLUMNS.has(token.text.toUpperCase())) continue
    if (LITERAL_TYPES.has(upper(k)) && (tokens[k + 1]?.kind === "string" || tokens[k + 1]?.text === "<")) continue
    // CAST(x AS DATE FORMAT 'yyyymmdd'): a keyword.
    if (upper(k) === "FORMAT" && tokens[k + 1]?.kind === "string") continue
    if (DATE_PARTS.has(upper(k)) && (upper(k + 1) === "FROM" || tokens[k - 1]?.kind === "number" || tokens[k - 1]?.kind === "string" || tokens[k + 1]?.kind === "string" || isPartArgument(tokens, depths, k))) continue
    names.push(k)
  }
  return names.filter(
    (k) => !itemTokens.has(k) && !(tokens[k + 1]?.text === "." && otherNames.has(nameOf(k)!)) && (unnestArguments.has(k) || others.every((text) => !mayGive(text!, tokens[k]!.text.replaceAll("`", ""))))
  )
}

// Per project graph and source: the names its stub takes from `alias.column` reads (no bare names),
// which a bare name beside it in another query is checked against. Empty while being computed.
const readByName = new WeakMap<ProjectGraph, Map<string, ReadonlyArray<string>>>()
const columnsReadByName = (graph: ProjectGraph, target: Target): ReadonlyArray<string> => {
  const known = readByName.get(graph) ?? new Map<string, ReadonlyArray<string>>()
  readByName.set(graph, known)
  const key = `${target.database ?? ""}.${target.schema ?? ""}.${target.name}`.toLowerCase()
  const cached = known.get(key)
  if (cached !== undefined) return cached
  known.set(key, [])
  const names = columnsRead(graph, target, new Set(), { bare: false }).map((column) => column.name)
  known.set(key, names)
  return names
}

/**
 * The columns the project's SQL reads of a declared table, for the stub of one whose config
 * documents none: wherever a query names the table, `alias.column` of the alias it gives it (or of
 * its own name), the columns of a `USING (…)` after it, and the bare names of a SELECT whose only
 * FROM item it is, in the order the SQL first reads them. A bare name beside other tables is the
 * table's only where none of them can have it (models, CTEs and subqueries whose SQL never names
 * it nor selects `*`, declared sources whose documented columns, or else whose columns read as
 * `alias.column` anywhere in the project, leave it out): BigQuery gives a bare name to the one item
 * that has it, and a stub that gives it to none fails the query. `bare: false` leaves bare names
 * out (what the project reads of a source by name, for another source's stub).
 */
const columnsRead = (graph: ProjectGraph, target: Target, seen: ReadonlySet<string> = new Set(), options: { readonly bare?: boolean } = {}): ReadonlyArray<HeaderColumn> => {
  const { database, schema, name } = target
  const names = new Set([`${schema ?? ""}.${name}`, `${database ?? ""}.${schema ?? ""}.${name}`].map((text) => text.toLowerCase()))
  // Each read: where it starts, and where the operand after it starts when an operator joins them
  // (`t.price - t.cost`, `a.shipped_at > a.created_at`): two columns of one table so joined share a type.
  // `element`: the column is an array, and what is read of its elements.
  const found: Array<{
    readonly at: number
    readonly column: HeaderColumn
    readonly field?: FieldRead
    /** What `field` is when the column turns out to be an array: a field of its elements. */
    readonly fieldOfElements?: FieldRead
    readonly element?: { readonly fields: ReadonlyArray<FieldRead>; readonly type?: string }
    readonly via?: { readonly model: Action; readonly output: string }
    readonly operand?: number
  }> = []
  // Readers by ref(), or by name, quoted or not (a table read undeclared); a reader the text
  // matches by chance reads nothing, no reference in it being the table's.
  const byName = `${schema ?? ""}.${name}`.toLowerCase()
  const readers = graph.actions.filter(
    (action) => action.dependencies.some((dependency) => dependency.name === name && (dependency.schema ?? "") === (schema ?? "")) || sqlOfAction(action).some((sql) => sql.toLowerCase().replaceAll("`", "").includes(byName))
  )
  // `any-project.schema.name` is the table too: a project names its own tables with its project id.
  const isName = (text: string) => names.has(text) || (text.split(".").length === 3 && text.endsWith(`.${schema ?? ""}.${name}`.toLowerCase()))
  // A project model's SQL by its reference (`project.schema.name`), for a bare name beside it.
  const relationSql = (reference: string): string | undefined => {
    const parts = reference.toLowerCase().split(".")
    const model = graph.actions.find((other) => (other.kind === "table" || other.kind === "view" || other.kind === "incremental") && other.target.name.toLowerCase() === parts.at(-1) && (parts.length < 2 || (other.target.schema ?? "").toLowerCase() === parts.at(-2)))
    if (model !== undefined) return sqlOfAction(model).join("\n")
    // Another declared source: the columns it is known to have, as a list a bare name is looked up in.
    const declaration = declarations(graph).find((other) => other.target.name.toLowerCase() === parts.at(-1) && (parts.length < 2 || (other.target.schema ?? "").toLowerCase() === parts.at(-2)))
    if (declaration === undefined) return undefined
    const known = declaration.columns.length > 0 ? declaration.columns : columnsReadByName(graph, declaration.target)
    return known.map((column) => `\`${column.replaceAll("`", "")}\``).join(", ")
  }
  // A model passing the table's rows on with SELECT * (`staging AS SELECT *, … FROM source`): the
  // columns read of that model, beyond those it makes itself, are the table's too.
  const passedOn: Array<HeaderColumn> = []
  readers.forEach((action, a) => {
    // The action's script variables (DECLARE a, b INT64 in its pre_operations too), which a bare name may read.
    const variables = scriptVariables(sqlOfAction(action))
    sqlOfAction(action).forEach((sql, s) => {
      const n = a * 1000 + s
      // An unquoted project id with dashes (`my-project-123.ehr.patient`) in backticks first: the
      // tokenizer reads `123.e` as a number.
      const tokens = tokenize(quotedDashedProjects(sql), "bigquery").filter(isSignificant)
      const depths = depthsOf(tokens)
      const word = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
      const identifier = (k: number) => (tokens[k]?.kind === "quoted" ? tokens[k]!.text.slice(1, -1) : tokens[k]?.kind === "word" ? tokens[k]!.text : undefined)
      // The table read at token k under `table` (its name, or a CTE passing its rows on), its
      // columns except those a CTE on the way made or dropped itself.
      // `only`: through a CTE that lists the columns it passes on, its output names (lower-cased)
      // and the table's columns they are.
      // `itemEnd`: where the FROM item ends, past k when it is a subquery `( … )` passing the rows on.
      const readAt = (k: number, table: string, made: ReadonlySet<string>, ctes: ReadonlySet<string>, only?: ReadonlyMap<string, string>, itemEnd = k): void => {
        // The reference spans tokens c..end; what the SQL around it shows of its type, if anything.
        // A STRUCT field's path after the column (`column.field.subfield`) makes the column a STRUCT.
        const push = (c: number, read: string | undefined, end = c, typed = true) => {
          const column = read === undefined || only === undefined ? read : only.get(read.toLowerCase())
          if (column === undefined || made.has(column.toLowerCase())) return
          const last = typed ? fieldPathEnd(tokens, end) : end
          const path = pathNames(tokens, end + 2, last)
          const type = typed && tokens[last + 1]?.text !== "(" ? typeFromUse(tokens, depths, c, last) : undefined
          // UNNEST(column), column[OFFSET(0)]: an array.
          if (typed && path.length === 0 && tokens[c - 1]?.text === "(" && word(c - 2) === "UNNEST" && tokens[last + 1]?.text === ")") {
            found.push({ at: n * 1e9 + c, column: { name: column }, element: unnestedElement(tokens, depths, c - 2, last + 1) })
            return
          }
          if (typed && path.length === 0 && tokens[last + 1]?.text === "[") {
            found.push({ at: n * 1e9 + c, column: { name: column }, element: indexedElement(tokens, depths, last + 1, c) })
            return
          }
          if (path.length > 0 && tokens[last + 1]?.text !== "(") {
            const field = type === undefined ? { path } : { path, type }
            // `UNNEST(fhir.extension) AS ext`: a STRUCT's field that is an array, unless the column
            // itself is one (then BigQuery's implicit path: a field of its elements, as read).
            if (typed && tokens[c - 1]?.text === "(" && word(c - 2) === "UNNEST" && tokens[last + 1]?.text === ")") {
              for (const read of underArray(path, unnestedElement(tokens, depths, c - 2, last + 1))) found.push({ at: n * 1e9 + c, column: { name: column }, field: read, fieldOfElements: field })
              return
            }
            // `fhir.coding[OFFSET(0)].code`: a STRUCT's field that is an array.
            if (typed && tokens[last + 1]?.text === "[") {
              for (const read of underArray(path, indexedElement(tokens, depths, last + 1, c))) found.push({ at: n * 1e9 + c, column: { name: column }, field: read, fieldOfElements: field })
              return
            }
            found.push({ at: n * 1e9 + c, column: { name: column }, field })
            return
          }
          // A model's own column passing it on as it is (`SELECT t.spend, t.day AS date`): typed by
          // what the model's readers show of that column.
          const output = type === undefined && s === 0 && (action.kind === "table" || action.kind === "view" || action.kind === "incremental") && !seen.has(action.key) ? passedAs(tokens, depths, c, last) : undefined
          const operator = /^[-+*/]$/.test(tokens[last + 1]?.text ?? "") ? 1 : comparisonLength(tokens, last + 1)
          found.push({
            at: n * 1e9 + c,
            column: type === undefined ? { name: column } : { name: column, type },
            ...(output === undefined ? {} : { via: { model: action, output } }),
            ...(operator > 0 && typed ? { operand: n * 1e9 + last + 1 + operator } : {})
          })
        }
        let next = word(itemEnd + 1) === "AS" ? itemEnd + 2 : itemEnd + 1
        const aliased = identifier(next) !== undefined && !NOT_AN_ALIAS.has(word(next))
        // An unaliased subquery has no name to qualify its columns with.
        const alias = aliased ? identifier(next)! : tokens[k]?.text === "(" ? "\u0000" : table
        if (aliased) next++
        if (word(next) === "USING" && tokens[next + 1]?.text === "(") {
          for (let c = next + 2; c < tokens.length && tokens[c]!.text !== ")"; c++) push(c, identifier(c), c, false)
        }
        tokens.forEach((_, c) => {
          if (identifier(c)?.toLowerCase() === alias.toLowerCase() && tokens[c + 1]?.text === "." && tokens[c - 1]?.text !== ".") push(c, identifier(c + 2), c + 2)
        })
        const bare = new Set<number>()
        for (const c of options.bare === false ? [] : bareNamesOfOnlySource(tokens, depths, k, next, relationSql)) {
          if (identifier(c)?.toLowerCase() !== alias.toLowerCase() && !(tokens[c]!.kind === "word" && variables.has(tokens[c]!.text.toLowerCase()))) {
            bare.add(c)
            push(c, identifier(c))
          }
        }
        // `cte AS (SELECT t.a, b AS c, … FROM table t …)`: the statement's reads of those CTE
        // columns are reads of the table's, through as many such CTEs as pass them on.
        const listed = passedThroughCte(tokens, depths, k, (c) => bare.has(c) || (identifier(c)?.toLowerCase() === alias.toLowerCase() && tokens[c + 1]?.text === "."))
        if (listed !== undefined && !ctes.has(listed.cte.toLowerCase())) {
          const through = new Map<string, string>()
          for (const [output, input] of listed.columns) {
            const column = only === undefined ? input : only.get(input.toLowerCase())
            if (column !== undefined && !made.has(column.toLowerCase())) through.set(output.toLowerCase(), column)
          }
          if (through.size > 0) {
            tokens.forEach((token, c) => {
              if (c !== listed.name && (token.kind === "word" || token.kind === "quoted") && identifier(c)?.toLowerCase() === listed.cte.toLowerCase() && (word(c - 1) === "FROM" || word(c - 1) === "JOIN" || (tokens[c - 1]?.text === "," && tokens[c + 1]?.text !== "." && tokens[c + 1]?.text !== "("))) {
                readAt(c, listed.cte, new Set(), new Set([...ctes, listed.cte.toLowerCase()]), through)
              }
            })
          }
        }
        const star = madeByStarSelect(tokens, depths, k)
        if (star === undefined) return
        // What the star SELECT makes itself is not the table's: left out of the names, or of the
        // CTE columns that are the table's (`only`, in the CTE's names).
        const starMade = new Set(star.made.map((column) => column.toLowerCase()))
        const passing = only === undefined ? new Set([...made, ...starMade]) : made
        const onlyThrough = only === undefined ? undefined : new Map([...only].filter(([output]) => !starMade.has(output)))
        if (depths[k] === 0) {
          // The model's own rows: what its readers read of it.
          if (s === 0 && action.kind !== "declaration" && action.kind !== "operations" && action.kind !== "assertion" && !seen.has(action.key)) {
            for (const column of columnsRead(graph, action.target, new Set([...seen, action.key]), options)) {
              const own = onlyThrough === undefined ? column.name : onlyThrough.get(column.name.toLowerCase())
              if (own !== undefined && !passing.has(own.toLowerCase())) passedOn.push({ ...column, name: own })
            }
          }
          return
        }
        // `cte AS (SELECT * FROM table)`: the statement's reads of the CTE are reads of the table.
        // `FROM (SELECT *, … FROM table) [AS] alias`: the outer SELECT's reads of the subquery are reads of the table.
        const open = star.select - 1
        if (tokens[open]?.text === "(" && (word(open - 1) === "FROM" || word(open - 1) === "JOIN" || tokens[open - 1]?.text === ",")) {
          readAt(open, table, passing, ctes, onlyThrough, matchingParen(tokens, open))
          return
        }
        const cte = tokens[star.select - 1]?.text === "(" && word(star.select - 2) === "AS" ? identifier(star.select - 3) : undefined
        if (cte === undefined || ctes.has(cte.toLowerCase())) return
        tokens.forEach((token, c) => {
          if (c !== star.select - 3 && (token.kind === "word" || token.kind === "quoted") && identifier(c)?.toLowerCase() === cte.toLowerCase() && (word(c - 1) === "FROM" || word(c - 1) === "JOIN" || (tokens[c - 1]?.text === "," && tokens[c + 1]?.text !== "." && tokens[c + 1]?.text !== "("))) {
            readAt(c, cte, passing, new Set([...ctes, cte.toLowerCase()]), onlyThrough)
          }
        })
      }
      tokens.forEach((token, k) => {
        if (token.kind === "quoted" && isName(token.text.slice(1, -1).toLowerCase())) readAt(k, name, new Set(), new Set())
        // Quoted in parts: `` `project`.dataset.`table` ``.
        if ((token.kind === "quoted" || token.kind === "word") && tokens[k - 1]?.text !== "." && tokens[k + 1]?.text === ".") {
          const last = tokens[k + 3]?.text === "." ? k + 4 : k + 2
          const parts = tokens.slice(k, last + 1).filter((_, i) => i % 2 === 0)
          const isPart = (part: Token) => part.kind === "word" || (part.kind === "quoted" && !part.text.includes("."))
          if (parts.some((part) => part.kind === "quoted") && parts.every(isPart) && tokens[last + 1]?.text !== "(" && tokens[last + 1]?.text !== ".") {
            if (isName(parts.map((part) => part.text.replaceAll("`", "")).join(".").toLowerCase())) readAt(k, name, new Set(), new Set(), undefined, last)
          }
        }
        // Unquoted, after FROM or JOIN: `dataset.table` or `project.dataset.table`, in word tokens
        // (a project id with dashes is quoted by then, and read as quoted in parts).
        if (token.kind === "word" && (word(k - 1) === "FROM" || word(k - 1) === "JOIN") && tokens[k + 1]?.text === "." && tokens[k + 2]?.kind === "word") {
          const last = tokens[k + 3]?.text === "." && tokens[k + 4]?.kind === "word" ? k + 4 : k + 2
          if (tokens[last + 1]?.text === "(" || tokens[last + 1]?.text === ".") return
          const reference = tokens.slice(k, last + 1).map((part) => part.text).join("")
          if (isName(reference.toLowerCase())) readAt(k, name, new Set(), new Set(), undefined, last)
        }
      })
    })
  })
  // Each column once, in the order first read, with the first type any of its reads shows, or a
  // STRUCT of the fields read of it.
  const columns = new Map<string, HeaderColumn>()
  const fields = new Map<string, Array<FieldRead>>()
  const fieldsOfElements = new Map<string, Array<FieldRead>>()
  const ordered = [...found].sort((a, b) => a.at - b.at)
  const modelColumns = new Map<string, ReadonlyArray<HeaderColumn>>()
  const typeThrough = ({ model, output }: { readonly model: Action; readonly output: string }): string | undefined => {
    if (!modelColumns.has(model.key)) modelColumns.set(model.key, columnsRead(graph, model.target, new Set([...seen, model.key]), options))
    return modelColumns.get(model.key)!.find((read) => read.name.toLowerCase() === output.toLowerCase())?.type
  }
  const elements = new Map<string, { fields: Array<FieldRead>; type?: string }>()
  // A nested type passed on through a model: its fields, to merge with the table's other reads of the column.
  type ColumnRead = { readonly column: HeaderColumn; readonly field?: FieldRead | undefined; readonly fieldOfElements?: FieldRead | undefined; readonly element?: { readonly fields: ReadonlyArray<FieldRead>; readonly type?: string } | undefined }
  const passedOnReads = passedOn.flatMap((column): ReadonlyArray<ColumnRead> => {
    const reads = column.type === undefined ? undefined : fieldsOfType(column.type)
    if (reads === undefined || reads.length === 0) return [{ column, field: undefined, fieldOfElements: undefined, element: undefined }]
    const named = { name: column.name }
    if (reads[0]!.path[0] !== ELEMENTS) return reads.map((field) => ({ column: named, field, fieldOfElements: undefined, element: undefined }))
    const ofElements = reads.filter((read) => read.path.length > 1).map((read) => ({ ...read, path: read.path.slice(1) }))
    const scalar = reads.find((read) => read.path.length === 1)?.type
    return [{ column: named, field: undefined, fieldOfElements: undefined, element: scalar === undefined ? { fields: ofElements } : { fields: ofElements, type: scalar } }]
  })
  for (const { column, field, fieldOfElements, element } of [...ordered, ...passedOnReads]) {
    const key = column.name.toLowerCase()
    const known = columns.get(key)
    if (known === undefined) columns.set(key, column)
    else if (known.type === undefined && column.type !== undefined) columns.set(key, { name: known.name, type: column.type })
    if (field !== undefined) fields.set(key, [...(fields.get(key) ?? []), field])
    if (field !== undefined) fieldsOfElements.set(key, [...(fieldsOfElements.get(key) ?? []), fieldOfElements ?? field])
    if (element !== undefined) {
      const seenOf = elements.get(key) ?? { fields: [] }
      seenOf.fields.push(...element.fields)
      if (seenOf.type === undefined && element.type !== undefined) seenOf.type = element.type
      elements.set(key, seenOf)
    }
  }
  // Two columns an operator joins share a type: one typed by its use types the other.
  const startsAt = new Map(ordered.map((read) => [read.at, read.column.name.toLowerCase()]))
  const shareTypes = () => {
    for (let changed = true; changed; ) {
      changed = false
      for (const read of ordered) {
        const other = read.operand === undefined ? undefined : startsAt.get(read.operand)
        if (other === undefined) continue
        const mine = read.column.name.toLowerCase()
        const [left, right] = [columns.get(mine), columns.get(other)]
        if (left === undefined || right === undefined || fields.has(other) || fields.has(mine) || (left.type === undefined) === (right.type === undefined)) continue
        const [untyped, type] = left.type === undefined ? [mine, right.type!] : [other, left.type]
        columns.set(untyped, { name: columns.get(untyped)!.name, type })
        changed = true
      }
    }
  }
  shareTypes()
  // A column no read of the table itself types: what the models passing it on show of it.
  for (const { column, via } of ordered) {
    const key = column.name.toLowerCase()
    if (via === undefined || columns.get(key)?.type !== undefined) continue
    const type = typeThrough(via)
    if (type !== undefined) columns.set(key, { name: columns.get(key)!.name, type })
  }
  shareTypes()
  // A GA4 export's documented columns take the export's types, with any other field read kept;
  // an Ads transfer table's dates theirs.
  const ga4 = isGa4ExportTable(name)
  const ads = isAdsTransferTable(name)
  // Beside `UNNEST(items) AS item`, a bare `item_name` is the element's (BigQuery exposes its
  // fields): no column of a GA4 table, where it would make the name ambiguous.
  const elementFieldNames = new Set(
    ga4
      ? [...columns.keys()].flatMap((key) => {
          const documented = ga4Column(name, key)
          return documented?.kind === "array" ? documented.fields.map((field) => field.path[0]!.toLowerCase()) : []
        })
      : []
  )
  return [...columns.entries()].filter(([key]) => !(elementFieldNames.has(key) && ga4Column(name, key) === undefined)).map(([key, column]) => {
    const read = fields.get(key)
    const adsType = ads ? adsTransferColumnType(key) : undefined
    if (adsType !== undefined) return { name: column.name, type: adsType }
    const documented = ga4 ? ga4Column(name, key) : undefined
    if (documented?.kind === "scalar") return { name: column.name, type: documented.type }
    if (documented?.kind === "struct") return { name: column.name, type: structOf([...documented.fields, ...(read ?? [])]) }
    // A path read of an array (`UNNEST(hidden_data.key)`, BigQuery's implicit array path) is a field of its elements.
    const element = elements.get(key)
    const readOfElements = fieldsOfElements.get(key)
    if (documented?.kind === "array") return { name: column.name, type: `ARRAY<${structOf([...documented.fields, ...(element?.fields ?? []), ...(readOfElements ?? [])])}>` }
    // An array's elements: a STRUCT of the fields read of them, or what their use shows (STRING unless).
    const elementFields = [...(element?.fields ?? []), ...(readOfElements ?? [])]
    const typedArray = /^ARRAY\s*</i.test(column.type ?? "")
    if ((element !== undefined || typedArray) && elementFields.length > 0) return { name: column.name, type: `ARRAY<${structOf(elementFields)}>` }
    if (element !== undefined && !typedArray) return { name: column.name, type: `ARRAY<${element.type ?? "STRING"}>` }
    if (read !== undefined) return { name: column.name, type: structOf(read) }
    return column
  })
}

// Words that end a SELECT list at its level, or show a comma-separated list is no SELECT list.
const NOT_A_SELECT_LIST = /^(FROM|WHERE|GROUP|BY|HAVING|QUALIFY|WINDOW|ORDER|LIMIT|ON|USING|JOIN|PARTITION|UNION|INTERSECT|EXCEPT)$/

/**
 * The output name of a whole item of a model's outermost SELECT list that is the column reference
 * tokens c..end (`t.spend`, `t.day AS date`, `spend`), or of the list of the CTE that outermost
 * SELECT passes on whole (`final AS (SELECT …) SELECT * FROM final`); undefined when the
 * reference is part of an expression or elsewhere.
 */
const passedAs = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, c: number, end: number): string | undefined => {
  const upper = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
  const level = depths[c]!
  if (!(tokens[c - 1]?.text === "," || upper(c - 1) === "SELECT" || (upper(c - 1) === "DISTINCT" && upper(c - 2) === "SELECT"))) return undefined
  let select = c - 1
  while (select >= 0 && !(depths[select] === level && upper(select) === "SELECT")) {
    if (depths[select] === level && NOT_A_SELECT_LIST.test(upper(select))) return undefined
    select--
  }
  if (select < 0) return undefined
  if (level > 0) {
    // `name AS (SELECT …)` in the outermost WITH, and the statement's own SELECT is `SELECT * FROM name`.
    if (level !== 1 || tokens[select - 1]?.text !== "(" || upper(select - 2) !== "AS") return undefined
    const cte = tokens[select - 3]?.text.replaceAll("`", "").toLowerCase()
    let main = tokens.length - 1
    while (main >= 0 && !(depths[main] === 0 && upper(main) === "SELECT")) main--
    if (cte === undefined || main < 0 || tokens[main + 1]?.text !== "*" || upper(main + 2) !== "FROM" || tokens[main + 3]?.text.replaceAll("`", "").toLowerCase() !== cte) return undefined
    if (tokens[main + 4] !== undefined && !/^(WHERE|ORDER|LIMIT|QUALIFY)$/.test(upper(main + 4)) && tokens[main + 4]!.text !== ";") return undefined
  }
  const ends = (at: number) => (tokens[at]?.text === "," && depths[at] === level) || upper(at) === "FROM"
  if (ends(end + 1)) return tokens[end]!.text.replaceAll("`", "")
  return upper(end + 1) === "AS" && ends(end + 3) ? tokens[end + 2]?.text.replaceAll("`", "") : undefined
}

/**
 * For a table read at token `at` in the body of a CTE (`name AS (SELECT … FROM table …)`), the
 * CTE's name (and its token) and the columns its SELECT list passes on as they are: each item that
 * is a column of the table alone (`ownColumn(c)` says which tokens read one: a bare name or
 * `alias.`), under its own name or an AS; undefined when the read is in no CTE's own SELECT.
 */
const passedThroughCte = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, at: number, ownColumn: (c: number) => boolean): { readonly cte: string; readonly name: number; readonly columns: ReadonlyArray<readonly [string, string]> } | undefined => {
  const upper = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
  const level = depths[at]!
  let from = at - 1
  while (from >= 0 && !(depths[from] === level && upper(from) === "FROM")) from--
  let select = from - 1
  while (select >= 0 && !(depths[select] === level && upper(select) === "SELECT")) select--
  if (from < 0 || select < 0 || tokens[select - 1]?.text !== "(" || upper(select - 2) !== "AS") return undefined
  const nameToken = tokens[select - 3]
  if (nameToken === undefined || (nameToken.kind !== "word" && nameToken.kind !== "quoted")) return undefined
  const columns: Array<readonly [string, string]> = []
  let item = upper(select + 1) === "DISTINCT" ? select + 2 : select + 1
  for (let k = item; k <= from; k++) {
    if (k < from && !(depths[k] === level && tokens[k]!.text === ",")) continue
    // One item: tokens item..k-1.
    const length = k - item
    const name = (t: number) => (tokens[t]?.kind === "word" || tokens[t]?.kind === "quoted" ? tokens[t]!.text.replaceAll("`", "") : undefined)
    const column = tokens[item + 1]?.text === "." ? item + 2 : item
    const width = column - item + 1
    const input = ownColumn(item) ? name(column) : undefined
    if (input !== undefined && (length === width || (length === width + 2 && upper(item + width) === "AS"))) {
      const output = length === width ? input : name(item + width + 1)
      if (output !== undefined) columns.push([output, input])
    } else if (/^(COALESCE|IFNULL|IF|MAX|MIN|ANY_VALUE)$/.test(upper(item)) && tokens[item + 1]?.text === "(" && matchingParen(tokens, item + 1) === k - 3 && upper(k - 2) === "AS") {
      // `COALESCE(t.x, u.x) AS x`, `IF(…, t.x, u.x) AS x`: a branch that is the column alone gives the
      // output its type; so does the argument of an aggregate that keeps it (`MAX(t.x) AS x`).
      const output = name(k - 1)
      for (let a = item + 2; a < k - 3 && output !== undefined; a++) {
        if (depths[a] !== level + 1 || !(tokens[a - 1]!.text === "(" || tokens[a - 1]!.text === ",") || !ownColumn(a)) continue
        const branch = tokens[a + 1]?.text === "." ? a + 2 : a
        if (tokens[branch + 1]?.text === "," || tokens[branch + 1]?.text === ")") {
          columns.push([output, name(branch)!])
          break
        }
      }
    }
    item = k + 1
  }
  return { cte: nameToken.text.replaceAll("`", ""), name: select - 3, columns }
}

/**
 * Whether the SELECT whose FROM item is token `at` reads only that table and passes its rows on
 * with `*` (or `* EXCEPT (…)`): where that SELECT starts, and the names it makes or drops itself
 * (after AS, in the EXCEPT list); undefined when it is no such SELECT.
 */
const madeByStarSelect = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, at: number): { readonly select: number; readonly made: ReadonlyArray<string> } | undefined => {
  const upper = (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")
  const nameAt = (k: number) => (tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted" ? tokens[k]!.text.replaceAll("`", "").split(".").at(-1)!.toLowerCase() : undefined)
  const level = depths[at]!
  if (upper(at - 1) !== "FROM") return undefined
  let select = at - 1
  while (select >= 0 && depths[select]! >= level && !(depths[select] === level && upper(select) === "SELECT")) select--
  if (select < 0 || depths[select] !== level || tokens.slice(select + 1, at - 1).some((_, i) => depths[select + 1 + i] === level && upper(select + 1 + i) === "FROM")) return undefined
  // Another FROM item (a join or a comma) after it: a bare star would mix the tables' columns; only
  // this item's own `alias.*` passes its rows on then (`SELECT exp_vol.*, lp.name AS provider_name`).
  let joined = false
  for (let k = at + 1; k < tokens.length && depths[k]! >= level && !(depths[k] === level && /^(WHERE|GROUP|HAVING|QUALIFY|WINDOW|ORDER|LIMIT|UNION|INTERSECT|EXCEPT)$/.test(upper(k))); k++) {
    if (depths[k] === level && (upper(k) === "JOIN" || tokens[k]!.text === ",")) joined = true
  }
  const aliasAt = upper(at + 1) === "AS" ? at + 2 : at + 1
  const alias = (tokens[aliasAt]?.kind === "word" && !NOT_AN_ALIAS.has(upper(aliasAt))) || tokens[aliasAt]?.kind === "quoted" ? nameAt(aliasAt) : nameAt(at)
  let star = false
  const made: Array<string> = []
  for (let k = select + 1; k < at - 1; k++) {
    if (depths[k] !== level) continue
    const previous = tokens[k - 1]?.text
    const starts = (item: number) => item === select + 1 || tokens[item - 1]?.text === "," || upper(item - 1) === "DISTINCT"
    const ownStar = tokens[k]!.text === "*" && previous === "." && nameAt(k - 2) === alias && tokens[k - 3]?.text !== "." && starts(k - 2)
    if (tokens[k]!.text === "*" && ((!joined && starts(k)) || ownStar)) {
      star = true
      if (upper(k + 1) === "EXCEPT" && tokens[k + 2]?.text === "(") {
        for (let c = k + 3; c < tokens.length && tokens[c]!.text !== ")"; c++) if (tokens[c]!.kind === "word" || tokens[c]!.kind === "quoted") made.push(tokens[c]!.text.replaceAll("`", ""))
      }
    } else if (joined && tokens[k]!.text === "*") return undefined
    if (upper(k - 1) === "AS" && (tokens[k]!.kind === "word" || tokens[k]!.kind === "quoted")) made.push(tokens[k]!.text.replaceAll("`", ""))
    // Beside a join, an item that is a column as it is (`lp.region`, `region`) is an output too, not this item's.
    const ends = tokens[k + 1]?.text === "," || k + 1 === at - 1
    if (joined && ends && (tokens[k]!.kind === "word" || tokens[k]!.kind === "quoted") && upper(k - 1) !== "AS" && (starts(k) || (previous === "." && starts(k - 2) && tokens[k - 3]?.text !== "."))) made.push(tokens[k]!.text.replaceAll("`", ""))
  }
  return star ? { select, made } : undefined
}

const withType = (name: string, type: string | undefined): HeaderColumn => (type === undefined ? { name } : { name, type })

/** A stub's header row; `column_name` when no column is known. */
const headerLine = (columns: ReadonlyArray<HeaderColumn>): string => `${(columns.length === 0 ? [{ name: "column_name" }] : columns).map(headerCell).join(",")}\n`

/**
 * `mdp sources init`: a CSV with a header row for each declaration (and each external table an
 * operation creates) that has no file yet, from the columns its config documents, or else the
 * columns the project's SQL reads of it (`columnsRead`), or else only `column_name`. Existing
 * files are never overwritten.
 */
export const writeSourceStubs = (graph: ProjectGraph, folder: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const existing = new Set((yield* findSources(graph, folder)).flatMap((source) => (source.declaration === undefined ? [] : [source.declaration.key])))
    const stubs: Array<SourceStub> = []
    const declared = declarations(graph)
    // A declared table an operation creates when it is missing (`CREATE TABLE IF NOT EXISTS log
    // (id INT64, …)`) takes that column list, types and all.
    const created = createdTableColumns(graph.actions.flatMap(sqlOfAction))
    // The action whose statements create each such table, by lower-cased `dataset.name`.
    const creators = new Map(graph.actions.flatMap((action) => [...relationsCreatedIn([action])].map((relation) => [relation, action.fileName] as const)))
    // Tables read by name without a declaration take their rows from the folder too: stubbed alike.
    for (const declaration of [...declared, ...undeclaredWildcards(graph, declared), ...undeclaredTables(graph)]) {
      const table = targetLabel(declaration.target)
      const read = columnsRead(graph, declaration.target)
      // Documented columns take the types their reads show too.
      const readType = new Map(read.map((column) => [column.name.toLowerCase(), column.type]))
      const key = `${declaration.target.schema ?? "main"}.${declaration.target.name}`.toLowerCase()
      const listed = declaration.columns.length > 0 ? undefined : created.get(key)
      const columns = declaration.columns.length > 0 ? declaration.columns.map((name) => withType(name, readType.get(name.toLowerCase()))) : listed ?? read
      const columnsFrom = declaration.columns.length > 0 || listed !== undefined ? "documented" : read.length > 0 ? "read" : "none"
      const present = yield* Effect.forEach(SOURCE_EXTENSIONS, (extension) => fs.exists(`${sourceBase(folder, declaration)}.${extension}`))
      if (existing.has(declaration.key) || present.some(Boolean)) {
        stubs.push({ table, file: `${sourceBase(folder, declaration)}.*`, state: "kept", columns, columnsFrom })
        continue
      }
      // A table the project creates itself (a log made when missing, a lookup filled by its CREATE
      // TABLE … AS) needs no file: one would be loaded before every run, emptying the log and
      // keeping the lookup's rows out, where on BigQuery the table keeps what the project wrote.
      const creator = creators.get(key)
      if (creator !== undefined) {
        stubs.push({ table, file: creator, state: "created", columns, columnsFrom })
        continue
      }
      // A wildcard takes one empty shard under a placeholder suffix, so that the project runs on empty
      // stubs as with any other declaration: without rows, no query over the wildcard sees that suffix.
      // `_TABLE_SUFFIX` is the wildcard view's, no column of a shard.
      const wildcard = wildcardPrefix(declaration) !== undefined
      const file = wildcard ? `${sourceBase(folder, declaration).slice(0, -1)}${PLACEHOLDER_SHARD_SUFFIX}.csv` : `${sourceBase(folder, declaration)}.csv`
      const stubColumns = wildcard ? columns.filter((column) => column.name.toUpperCase() !== "_TABLE_SUFFIX") : columns
      yield* fs.makeDirectory(path.dirname(file), { recursive: true })
      yield* fs.writeFileString(file, headerLine(stubColumns))
      stubs.push({ table, file, state: wildcard ? "shard" : "written", columns: stubColumns, columnsFrom })
    }
    // An external table's rows (CREATE EXTERNAL TABLE in an operation) come from the folder too.
    for (const action of graph.actions) {
      const listed = action.kind === "operations" ? externalTableColumns(action.queries) : undefined
      if (listed === undefined) continue
      // Without a column list (the files' own schema), the columns the project's SQL reads of it;
      // a listed column without a type (none is allowed) takes what its reads show.
      const read = columnsRead(graph, action.target)
      const readType = new Map(read.map((column) => [column.name.toLowerCase(), column.type]))
      const columns = listed.length > 0 ? listed.map((column) => column.type === undefined ? withType(column.name, readType.get(column.name.toLowerCase())) : column) : read
      const base = path.join(folder, action.target.schema ?? "main", action.target.name)
      const table = targetLabel(action.target)
      const present = yield* Effect.forEach(SOURCE_EXTENSIONS, (extension) => fs.exists(`${base}.${extension}`))
      const columnsFrom = listed.length > 0 ? "documented" : read.length > 0 ? "read" : "none"
      if (present.some(Boolean)) {
        stubs.push({ table, file: `${base}.*`, state: "kept", columns, columnsFrom })
        continue
      }
      yield* fs.makeDirectory(path.dirname(base), { recursive: true })
      yield* fs.writeFileString(`${base}.csv`, headerLine(columns))
      stubs.push({ table, file: `${base}.csv`, state: "written", columns, columnsFrom })
    }
    // The files a LOAD DATA reads from gs://bucket/path: an empty one at gs/bucket/path, with the
    // header row a CSV skips (the column list's names, or else what the project's SQL reads of the table).
    for (const load of loadDataStubs(graph.actions.flatMap(sqlOfAction))) {
      const file = path.join(folder, "gs", ...load.object.split("/"))
      const parts = load.table.replaceAll("`", "").split(".")
      const read = load.header === undefined && parts.length >= 2 ? columnsRead(graph, { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! }) : []
      const columns: ReadonlyArray<HeaderColumn> = load.header?.map((name) => ({ name })) ?? read
      const columnsFrom = load.header !== undefined ? "documented" : read.length > 0 ? "read" : "none"
      if (yield* fs.exists(file)) {
        stubs.push({ table: load.table, file, state: "kept", columns, columnsFrom })
        continue
      }
      yield* fs.makeDirectory(path.dirname(file), { recursive: true })
      yield* fs.writeFileString(file, load.format === "CSV" && load.skipLeadingRows >= 1 && columns.length > 0 ? `${columns.map((column) => headerCell({ name: column.name })).join(",")}\n` : "")
      stubs.push({ table: load.table, file, state: "written", columns, columnsFrom })
    }
    return stubs
  })
