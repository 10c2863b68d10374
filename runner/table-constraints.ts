/**
 * BigQuery's primary and foreign keys (https://cloud.google.com/bigquery/docs/primary-foreign-keys),
 * kept locally as BigQuery keeps them: declared, never enforced, listed by
 * `INFORMATION_SCHEMA.TABLE_CONSTRAINTS`, `KEY_COLUMN_USAGE` and `CONSTRAINT_COLUMN_USAGE`.
 *
 * A table's keys live in its DuckDB comment, which has the lifetime BigQuery gives them: they
 * survive inserts, merges, added columns and reopening the file, and a `CREATE OR REPLACE` (a
 * new table) starts without them. DuckDB's own keys would be enforced, so they are not used.
 *
 * `ALTER TABLE … ADD PRIMARY KEY (…) NOT ENFORCED`, `ADD [CONSTRAINT [IF NOT EXISTS] name]
 * FOREIGN KEY (…) REFERENCES t(…) NOT ENFORCED`, `DROP PRIMARY KEY [IF EXISTS]`, `DROP CONSTRAINT
 * [IF EXISTS] name`, and the same keys inside `CREATE TABLE (…)`, translate into a marker
 * statement; the warehouse applies it on the statement's connection, checking what BigQuery
 * checks (the table and columns exist, one primary key, unique names, the key types).
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { isSignificant, render, type Token } from "./sql-tokens.ts"
import { quoteIdentifier } from "./target.ts"

/** A translated constraint statement travels to the warehouse as this comment and its JSON. */
export const TABLE_CONSTRAINTS_MARKER = "-- mdp:table-constraints "

/** What a table's comment holds after this prefix: its keys as JSON. */
const COMMENT_PREFIX = "mdp:table-constraints "

interface TableName {
  readonly schema?: string
  readonly name: string
}

/** One key as BigQuery names it: `pk$`, `fk$1` for an unnamed foreign key, or the given name. */
interface Key {
  readonly name: string
  readonly type: "PRIMARY KEY" | "FOREIGN KEY"
  readonly columns: ReadonlyArray<string>
  readonly referencedTable?: string
  readonly referencedColumns?: ReadonlyArray<string>
}

type Alteration =
  | { readonly op: "addPrimaryKey"; readonly columns: ReadonlyArray<string> }
  | {
      readonly op: "addForeignKey"
      readonly name?: string
      readonly ifNotExists: boolean
      readonly columns: ReadonlyArray<string>
      readonly references: TableName
      readonly referencedColumns?: ReadonlyArray<string>
    }
  | { readonly op: "dropPrimaryKey"; readonly ifExists: boolean }
  | { readonly op: "dropConstraint"; readonly name: string; readonly ifExists: boolean }

interface ConstraintStatement {
  readonly table: TableName
  /** ALTER TABLE IF EXISTS: a missing table is no error. */
  readonly ifTableExists: boolean
  /** From CREATE TABLE IF NOT EXISTS: keys only for a table that has none yet. */
  readonly onlyWithoutKeys: boolean
  readonly alterations: ReadonlyArray<Alteration>
}

const upper = (token: Token | undefined): string => (token?.kind === "word" ? token.text.toUpperCase() : "")
const unquoted = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1) : token.text)

/** A cursor over significant tokens, with the few readers constraint clauses need. */
class Reader {
  at = 0
  readonly tokens: ReadonlyArray<Token>
  constructor(tokens: ReadonlyArray<Token>) {
    this.tokens = tokens
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset]
  }
  word(...words: ReadonlyArray<string>): boolean {
    if (!words.every((word, i) => upper(this.peek(i)) === word)) return false
    this.at += words.length
    return true
  }
  punct(text: string): boolean {
    if (this.peek()?.text !== text) return false
    this.at++
    return true
  }
  /** `a`, `` `a` ``, `d.t`, `` `p.d.t` ``, `` `p`.d.`t` ``: the last two parts. */
  name(): TableName | undefined {
    const parts: Array<string> = []
    for (;;) {
      const token = this.peek()
      if (token === undefined || (token.kind !== "word" && token.kind !== "quoted")) return undefined
      parts.push(...unquoted(token).split("."))
      this.at++
      if (!this.punct(".")) break
    }
    const name = parts[parts.length - 1]!
    return parts.length >= 2 ? { schema: parts[parts.length - 2]!, name } : { name }
  }
  identifier(): string | undefined {
    const token = this.peek()
    if (token === undefined || (token.kind !== "word" && token.kind !== "quoted")) return undefined
    this.at++
    return unquoted(token)
  }
  /** `(a, b)` */
  columnList(): ReadonlyArray<string> | undefined {
    if (!this.punct("(")) return undefined
    const columns: Array<string> = []
    for (;;) {
      const column = this.identifier()
      if (column === undefined) return undefined
      columns.push(column)
      if (this.punct(")")) return columns
      if (!this.punct(",")) return undefined
    }
  }
  done(): boolean {
    return this.at >= this.tokens.length
  }
}

/** `REFERENCES t(c, …) NOT ENFORCED` after a foreign key's own columns. */
const readReferences = (reader: Reader): { readonly references: TableName; readonly referencedColumns?: ReadonlyArray<string> } | string => {
  if (!reader.word("REFERENCES")) return "REFERENCES is missing"
  const references = reader.name()
  if (references === undefined) return "the referenced table is missing"
  if (reader.peek()?.text !== "(") return { references }
  const referencedColumns = reader.columnList()
  return referencedColumns === undefined ? "the referenced columns are malformed" : { references, referencedColumns }
}

const notEnforced = (reader: Reader): boolean => reader.word("NOT", "ENFORCED")

const NOT_A_KEY = "not a key constraint"

/** One ALTER TABLE action on keys, or why it is not a valid one. */
const readAlteration = (reader: Reader): Alteration | string => {
  if (reader.word("ADD", "PRIMARY", "KEY")) {
    const columns = reader.columnList()
    if (columns === undefined) return "the primary key's columns are malformed"
    return notEnforced(reader) ? { op: "addPrimaryKey", columns } : "a primary key must be declared NOT ENFORCED"
  }
  if (upper(reader.peek()) === "ADD" && ["CONSTRAINT", "FOREIGN"].includes(upper(reader.peek(1)))) {
    reader.word("ADD")
    let name: string | undefined
    let ifNotExists = false
    if (reader.word("CONSTRAINT")) {
      ifNotExists = reader.word("IF", "NOT", "EXISTS")
      name = reader.identifier()
      if (name === undefined) return "the constraint's name is missing"
    }
    if (!reader.word("FOREIGN", "KEY")) return "only FOREIGN KEY constraints can be named"
    const columns = reader.columnList()
    if (columns === undefined) return "the foreign key's columns are malformed"
    const references = readReferences(reader)
    if (typeof references === "string") return references
    if (!notEnforced(reader)) return "a foreign key must be declared NOT ENFORCED"
    return { op: "addForeignKey", ...(name === undefined ? {} : { name }), ifNotExists, columns, ...references }
  }
  if (reader.word("DROP", "PRIMARY", "KEY")) return { op: "dropPrimaryKey", ifExists: reader.word("IF", "EXISTS") }
  if (reader.word("DROP", "CONSTRAINT")) {
    const ifExists = reader.word("IF", "EXISTS")
    const name = reader.identifier()
    return name === undefined ? "the constraint's name is missing" : { op: "dropConstraint", name, ifExists }
  }
  return NOT_A_KEY
}

/**
 * `ALTER TABLE t <key actions, comma-separated>` as its marker statement; undefined for any other
 * statement (an ALTER mixing keys with other actions is left to the rest of the translation), or
 * what BigQuery would refuse in a key clause.
 */
export const alterTableConstraints = (tokens: ReadonlyArray<Token>): string | { readonly refused: string } | undefined => {
  const reader = new Reader(tokens.filter(isSignificant).filter((token, i, all) => !(i === all.length - 1 && token.text === ";")))
  if (!reader.word("ALTER", "TABLE")) return undefined
  const ifTableExists = reader.word("IF", "EXISTS")
  const table = reader.name()
  if (table === undefined) return undefined
  const alterations: Array<Alteration> = []
  for (;;) {
    const alteration = readAlteration(reader)
    // A key BigQuery would refuse is refused here too: DuckDB would take it and enforce it.
    if (typeof alteration === "string") return alteration === NOT_A_KEY ? undefined : { refused: alteration }
    alterations.push(alteration)
    if (reader.done()) break
    if (!reader.punct(",")) return undefined
  }
  return markerStatement({ table, ifTableExists, onlyWithoutKeys: false, alterations })
}

const markerStatement = (statement: ConstraintStatement): string => `${TABLE_CONSTRAINTS_MARKER}${JSON.stringify(statement)}`

export const isTableConstraintsStatement = (sql: string): boolean => sql.startsWith(TABLE_CONSTRAINTS_MARKER)

/**
 * `CREATE TABLE t (id INT64 PRIMARY KEY NOT ENFORCED, …, FOREIGN KEY (x) REFERENCES u(id) NOT
 * ENFORCED)`: the statement without its keys (DuckDB would enforce them), and the marker that
 * records them on the new table; undefined when the statement declares none.
 */
export const createTableConstraints = (tokens: ReadonlyArray<Token>): { readonly create: string; readonly marker: string } | { readonly refused: string } | undefined => {
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const words = significant.slice(0, 8).map(({ token }) => upper(token))
  if (words[0] !== "CREATE") return undefined
  const tableAt = words.indexOf("TABLE")
  if (tableAt < 0 || words.slice(1, tableAt).some((word) => !["OR", "REPLACE", "TEMP", "TEMPORARY"].includes(word))) return undefined
  const reader = new Reader(significant.map(({ token }) => token))
  reader.at = tableAt + 1
  const onlyWithoutKeys = reader.word("IF", "NOT", "EXISTS")
  const table = reader.name()
  if (table === undefined || reader.peek()?.text !== "(") return undefined
  const open = reader.at
  // The column list's elements, split at commas outside (), [] and <>.
  const elements: Array<{ readonly from: number; readonly to: number }> = []
  let depth = 0
  let start = open + 1
  let close = -1
  for (let k = open + 1; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (["(", "[", "<"].includes(text)) depth++
    else if ([")", "]", ">"].includes(text)) {
      if (depth === 0) {
        close = k
        break
      }
      depth--
    } else if (text === "," && depth === 0) {
      elements.push({ from: start, to: k - 1 })
      start = k + 1
    }
  }
  if (close < 0) return undefined
  if (start <= close - 1) elements.push({ from: start, to: close - 1 })
  const alterations: Array<Alteration> = []
  // The column definitions kept, each without its own key clause (token indexes into `tokens`).
  const kept: Array<string> = []
  for (const element of elements) {
    const first = upper(significant[element.from]!.token)
    if (first === "PRIMARY" || first === "FOREIGN" || first === "CONSTRAINT") {
      const elementReader = new Reader([{ kind: "word", text: "ADD" }, ...significant.slice(element.from, element.to + 1).map(({ token }) => token)])
      const alteration = readAlteration(elementReader)
      if (typeof alteration === "string") return { refused: alteration }
      if (!elementReader.done()) return { refused: `unexpected ${render(elementReader.tokens.slice(elementReader.at, elementReader.at + 3))} after a key` }
      alterations.push(alteration)
      continue
    }
    const dropped: Array<{ readonly from: number; readonly to: number }> = []
    // A column's own key: `name TYPE PRIMARY KEY NOT ENFORCED` or `name TYPE REFERENCES u(id) NOT ENFORCED`.
    const column = unquoted(significant[element.from]!.token)
    for (let k = element.from + 1; k <= element.to; k++) {
      const word = upper(significant[k]!.token)
      if (word !== "PRIMARY" && word !== "REFERENCES") continue
      const clause = new Reader(significant.slice(k, element.to + 1).map(({ token }) => token))
      if (clause.word("PRIMARY", "KEY")) {
        if (!notEnforced(clause)) return { refused: "a primary key must be declared NOT ENFORCED" }
        alterations.push({ op: "addPrimaryKey", columns: [column] })
      } else {
        const references = readReferences(clause)
        if (typeof references === "string") return { refused: references }
        if (!notEnforced(clause)) return { refused: "a foreign key must be declared NOT ENFORCED" }
        alterations.push({ op: "addForeignKey", ifNotExists: false, columns: [column], ...references })
      }
      dropped.push({ from: significant[k]!.index, to: significant[k + clause.at - 1]!.index })
      k += clause.at - 1
    }
    const from = significant[element.from]!.index
    kept.push(render(tokens.slice(from, significant[element.to]!.index + 1).filter((_, i) => !dropped.some((range) => from + i >= range.from && from + i <= range.to))).trim())
  }
  if (alterations.length === 0) return undefined
  const create = `${render(tokens.slice(0, significant[open]!.index + 1))}${kept.join(", ")}${render(tokens.slice(significant[close]!.index))}`
  return { create, marker: markerStatement({ table, ifTableExists: false, onlyWithoutKeys, alterations }) }
}

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

// BigQuery's key types (https://cloud.google.com/bigquery/docs/primary-foreign-keys), as DuckDB names them here.
// An integer column may be narrower locally (`SELECT 1 AS id` is an INTEGER in DuckDB).
const KEY_TYPE = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|BOOLEAN|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|VARCHAR|DECIMAL\(\d+,\d+\))$/

interface TableState {
  readonly schema: string
  readonly name: string
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly keys: ReadonlyArray<Key>
}

const readTable = async (connection: DuckDBConnection, table: TableName): Promise<TableState | undefined> => {
  const found = await connection.runAndReadAll(
    "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = current_database() " +
      "AND lower(schema_name) = lower(coalesce($1, current_schema())) AND lower(table_name) = lower($2)",
    [table.schema ?? null, table.name]
  )
  const row = found.getRowObjects()[0]
  if (row === undefined) return undefined
  const schema = String(row["schema_name"])
  const name = String(row["table_name"])
  const columns = await connection.runAndReadAll(
    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 ORDER BY column_index",
    [schema, name]
  )
  const comment = row["comment"] === null ? "" : String(row["comment"])
  return {
    schema,
    name,
    columns: columns.getRowObjects().map((column) => ({ name: String(column["column_name"]), type: String(column["data_type"]) })),
    keys: comment.startsWith(COMMENT_PREFIX) ? (JSON.parse(comment.slice(COMMENT_PREFIX.length)) as ReadonlyArray<Key>) : []
  }
}

const label = (table: { readonly schema: string; readonly name: string }): string => `${table.schema}.${table.name}`

/** The table's columns named in a key, spelled as the table spells them; throws on a missing one or a type BigQuery refuses. */
const keyColumns = (table: TableState, columns: ReadonlyArray<string>): ReadonlyArray<string> =>
  columns.map((wanted) => {
    const column = table.columns.find((candidate) => candidate.name.toLowerCase() === wanted.toLowerCase())
    if (column === undefined) throw new Error(`Column ${wanted} not found in table ${label(table)}`)
    if (!KEY_TYPE.test(column.type)) {
      throw new Error(`Column ${column.name} of ${label(table)} cannot be part of a key: keys must be INT64, NUMERIC, BIGNUMERIC, STRING, BOOL, DATE, DATETIME or TIMESTAMP columns`)
    }
    return column.name
  })

/** `pk$`, `t.pk$`, `fk_name`, `t.fk_name`: BigQuery accepts a key's name with or without its table. */
const sameKeyName = (table: TableState, key: Key, name: string): boolean =>
  key.name.toLowerCase() === name.toLowerCase() || `${table.name}.${key.name}`.toLowerCase() === name.toLowerCase()

/** Applies a marker statement on the statement's connection (its transaction, if any). */
export const applyTableConstraints = async (connection: DuckDBConnection, sql: string): Promise<void> => {
  const statement = JSON.parse(sql.slice(TABLE_CONSTRAINTS_MARKER.length)) as ConstraintStatement
  const table = await readTable(connection, statement.table)
  if (table === undefined) {
    if (statement.ifTableExists) return
    throw new Error(`Not found: Table ${statement.table.schema === undefined ? "" : `${statement.table.schema}.`}${statement.table.name}`)
  }
  if (statement.onlyWithoutKeys && table.keys.length > 0) return
  let keys = [...table.keys]
  for (const alteration of statement.alterations) {
    switch (alteration.op) {
      case "addPrimaryKey": {
        if (keys.some((key) => key.type === "PRIMARY KEY")) throw new Error(`Table ${label(table)} already has a primary key; drop it first (ALTER TABLE … DROP PRIMARY KEY)`)
        if (alteration.columns.length > 16) throw new Error(`A primary key has at most 16 columns; ${label(table)}'s has ${alteration.columns.length}`)
        keys = [{ name: "pk$", type: "PRIMARY KEY", columns: keyColumns(table, alteration.columns) }, ...keys]
        break
      }
      case "addForeignKey": {
        if (alteration.name !== undefined && keys.some((key) => sameKeyName(table, key, alteration.name!))) {
          if (alteration.ifNotExists) break
          throw new Error(`Constraint ${alteration.name} already exists on table ${label(table)}`)
        }
        const referenced = await readTable(connection, { schema: alteration.references.schema ?? table.schema, name: alteration.references.name })
        if (referenced === undefined) throw new Error(`Not found: Table ${alteration.references.schema ?? table.schema}.${alteration.references.name}, referenced by a foreign key of ${label(table)}`)
        if (referenced.schema !== table.schema) throw new Error(`A foreign key must reference a table of its own dataset: ${label(table)} references ${label(referenced)}`)
        if (referenced.name === table.name) throw new Error(`A foreign key cannot refer to a column in the same table (${label(table)})`)
        const primaryKey = referenced.keys.find((key) => key.type === "PRIMARY KEY")
        const referencedColumns = alteration.referencedColumns ?? primaryKey?.columns
        if (referencedColumns === undefined) throw new Error(`Foreign key of ${label(table)}: ${label(referenced)} has no primary key, so REFERENCES must name its columns`)
        if (referencedColumns.length !== alteration.columns.length) throw new Error(`Foreign key of ${label(table)}: ${alteration.columns.length} columns reference ${referencedColumns.length}`)
        const used = keys.flatMap((key) => (/^fk\$\d+$/.test(key.name) ? [Number(key.name.slice(3))] : []))
        keys.push({
          name: alteration.name ?? `fk$${Math.max(0, ...used) + 1}`,
          type: "FOREIGN KEY",
          columns: keyColumns(table, alteration.columns),
          referencedTable: referenced.name,
          referencedColumns: keyColumns(referenced, referencedColumns)
        })
        break
      }
      case "dropPrimaryKey": {
        if (!keys.some((key) => key.type === "PRIMARY KEY")) {
          if (alteration.ifExists) break
          throw new Error(`Table ${label(table)} has no primary key to drop`)
        }
        keys = keys.filter((key) => key.type !== "PRIMARY KEY")
        break
      }
      case "dropConstraint": {
        if (!keys.some((key) => sameKeyName(table, key, alteration.name))) {
          if (alteration.ifExists) break
          throw new Error(`Constraint ${alteration.name} not found on table ${label(table)}`)
        }
        keys = keys.filter((key) => !sameKeyName(table, key, alteration.name))
        break
      }
    }
  }
  const comment = keys.length === 0 ? "NULL" : sqlString(`${COMMENT_PREFIX}${JSON.stringify(keys)}`)
  await connection.run(`COMMENT ON TABLE ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)} IS ${comment}`)
}

const KEY_LIST_TYPE = `'[{"name":"VARCHAR","type":"VARCHAR","columns":["VARCHAR"],"referencedTable":"VARCHAR","referencedColumns":["VARCHAR"]}]'`

/** Every key of the tables in scope, one row each: catalog, schema_name, table_name and the key `k`. */
const keysIn = (where: string): string =>
  `(SELECT database_name AS catalog, schema_name, table_name, UNNEST(from_json(substr(comment, ${COMMENT_PREFIX.length + 1}), ${KEY_LIST_TYPE})) AS k ` +
  `FROM duckdb_tables() WHERE starts_with(comment, ${sqlString(COMMENT_PREFIX)}) AND ${where})`

/** INFORMATION_SCHEMA.TABLE_CONSTRAINTS, KEY_COLUMN_USAGE and CONSTRAINT_COLUMN_USAGE, or undefined for another view. */
export const constraintViewQuery = (view: string, dataset: string | undefined): string | undefined => {
  const where = `database_name = current_database()${dataset === undefined ? "" : ` AND schema_name = ${sqlString(dataset)}`}`
  const constraint = "catalog AS constraint_catalog, schema_name AS constraint_schema, table_name || '.' || k.name AS constraint_name"
  switch (view) {
    case "table_constraints":
      return `(SELECT ${constraint}, catalog AS table_catalog, schema_name AS table_schema, table_name, k.type AS constraint_type, 'NO' AS is_deferrable, 'NO' AS initially_deferred, 'NO' AS enforced FROM ${keysIn(where)})`
    case "key_column_usage":
      return (
        `(SELECT ${constraint}, catalog AS table_catalog, schema_name AS table_schema, table_name, k.columns[i] AS column_name, i AS ordinal_position, ` +
        `CASE WHEN k.type = 'FOREIGN KEY' THEN i END AS position_in_unique_constraint FROM (SELECT *, UNNEST(range(1, len(k.columns) + 1)) AS i FROM ${keysIn(where)}))`
      )
    case "constraint_column_usage":
      // A primary key uses its own columns, a foreign key those it references.
      return (
        `(SELECT catalog AS table_catalog, schema_name AS table_schema, coalesce(k.referencedTable, table_name) AS table_name, ` +
        `UNNEST(coalesce(k.referencedColumns, k.columns)) AS column_name, ${constraint} FROM ${keysIn(where)})`
      )
    default:
      return undefined
  }
}
