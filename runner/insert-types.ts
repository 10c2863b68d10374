/**
 * BigQuery writes a value into a column only when the value's type is the column's or coerces to it
 * (INT64 to NUMERIC, BIGNUMERIC or FLOAT64; NUMERIC to BIGNUMERIC or FLOAT64): an INSERT of a
 * FLOAT64 (a division, an AVG, a float literal) into an INT64 column fails. DuckDB casts it,
 * rounding, so a local run gave an answer BigQuery never would. A statement before the write
 * compares the types DuckDB binds for the new rows with the table's, and fails as BigQuery does.
 *
 * Only FLOAT64 into INT64 is checked: the translation's NUMERIC results are typed by DuckDB as the
 * union of a CASE's branches (DIV of two INT64 binds as DECIMAL), which would refuse valid writes.
 */
import { depthsOf, isSignificant, matchingParen, render, tokenize, type Token } from "./sql-tokens.ts"

const INTEGER_TYPES = ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"]
const FLOAT_TYPES = ["DOUBLE", "FLOAT"]

/** How a check begins: scripts leave @@row_count to the statement it guards. */
const CHECK_MARKER = "/* mdp: BigQuery's assignment types */"

/** Whether a statement is one of these checks. */
export const isTypeCheck = (sql: string): boolean => sql.startsWith(CHECK_MARKER)

const sqlList = (values: ReadonlyArray<string>) => values.map((value) => `'${value}'`).join(", ")
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`

/** The condition on two DESCRIBE rows (their column_type) that a written FLOAT64 lands in an INT64 column. */
const floatIntoInteger = (source: string, target: string) =>
  `${target}.column_type IN (${sqlList(INTEGER_TYPES)}) AND ${source}.column_type IN (${sqlList(FLOAT_TYPES)})`

const unquotedName = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1).replaceAll('""', '"') : token.text)

/**
 * What makes a write other than a plain `INSERT INTO t [(columns)] query` or `UPDATE t SET a = …`,
 * or its types unknown before it runs (a column's DEFAULT, which DESCRIBE cannot bind; parameters).
 */
const NOT_PLAIN = /\b(ON\s+CONFLICT|RETURNING|BY\s+(NAME|POSITION)|DEFAULT)\b|\$\d|\?/i

/**
 * For a translated (DuckDB) `INSERT INTO t [(a, b)] SELECT|VALUES|WITH …`, a statement to run just
 * before it that fails as BigQuery's INSERT would when a FLOAT64 goes into an INT64 column; none
 * for any other statement, or an INSERT this cannot read (BY NAME, ON CONFLICT, parameters).
 */
export const insertTypeCheck = (sql: string): string | undefined => {
  // A mention in a string only skips the check, which is safe.
  if (!/^\s*INSERT\s+INTO\s/i.test(sql) || NOT_PLAIN.test(sql)) return undefined
  const tokens = tokenize(sql, "duckdb")
  const significant: Array<number> = []
  tokens.forEach((token, index) => {
    if (isSignificant(token)) significant.push(index)
  })
  // The table's name: words and quoted names joined by dots, after INSERT INTO.
  let at = 2
  const nameStart = significant[at]
  if (nameStart === undefined) return undefined
  let nameEnd = nameStart
  while (true) {
    const token = tokens[significant[at]!]
    if (token === undefined || (token.kind !== "word" && token.kind !== "quoted")) return undefined
    nameEnd = significant[at]!
    if (tokens[significant[at + 1] ?? -1]?.text !== ".") break
    at += 2
  }
  const table = render(tokens.slice(nameStart, nameEnd + 1))
  at++
  let listed: ReadonlyArray<string> | undefined
  const afterName = significant[at]
  if (afterName === undefined) return undefined
  if (tokens[afterName]!.text === "(") {
    const close = matchingParen(tokens, afterName)
    const inside = tokens.slice(afterName + 1, close).filter(isSignificant)
    const first = inside.find((token) => token.kind === "word")?.text.toUpperCase()
    // `INSERT INTO t (SELECT …)`: the parenthesis is the query, not a column list.
    if (first !== "SELECT" && first !== "WITH" && first !== "VALUES") {
      listed = inside.filter((token) => token.text !== ",").map(unquotedName)
      at = significant.findIndex((index) => index > close)
      if (at < 0) return undefined
    }
  }
  const sourceStart = significant[at]
  if (sourceStart === undefined) return undefined
  const keyword = tokens[sourceStart]!.text.toUpperCase()
  if (keyword !== "SELECT" && keyword !== "WITH" && keyword !== "VALUES" && keyword !== "(" && keyword !== "FROM") return undefined
  const source = render(tokens.slice(sourceStart)).replace(/;\s*$/, "")
  return positionalCheck(`DESCRIBE ${source}`, table, listed, "'Query column ' || written.position || ' has type FLOAT64 which cannot be inserted into column ' || target.column_name || ', which has type INT64'")
}

/**
 * A check that the columns `described` gives, in order, fit the table's (its `listed` columns, or
 * all in order): the error's text is `message`, an SQL expression over written.position and
 * target.column_name.
 */
const positionalCheck = (described: string, table: string, listed: ReadonlyArray<string> | undefined, message: string) => {
  const targetColumns =
    listed === undefined
      ? `SELECT row_number() OVER () AS position, column_name, column_type FROM (DESCRIBE ${table})`
      : `SELECT listed.position, described.column_name, described.column_type FROM (VALUES ${listed.map((name, index) => `(${index + 1}, ${sqlString(name)})`).join(", ")}) AS listed(position, name) JOIN (DESCRIBE ${table}) AS described ON lower(described.column_name) = lower(listed.name)`
  return `${CHECK_MARKER} SELECT error(${message} || ' (BigQuery does not round it: CAST it AS INT64 or ROUND it first)')
FROM (SELECT row_number() OVER () AS position, column_type FROM (${described})) AS written
JOIN (${targetColumns}) AS target ON target.position = written.position
WHERE ${floatIntoInteger("written", "target")}
LIMIT 1`
}

/** A DuckDB statement's significant tokens, the text from one to before another as written, their words upper-cased and depths. */
const statementTokens = (sql: string) => {
  const all = tokenize(sql, "duckdb")
  const positions = all.flatMap((token, index) => (isSignificant(token) ? [index] : []))
  const tokens = positions.map((index) => all[index]!)
  return {
    tokens,
    textOf: (from: number, to: number) => render(all.slice(positions[from]!, positions[to - 1]! + 1)),
    upper: (k: number) => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : ""),
    depths: depthsOf(tokens)
  }
}

/**
 * For a translated `UPDATE t [[AS] alias] SET a = …, alias.b = … [FROM …] WHERE …`, a statement to
 * run before it that fails as BigQuery's UPDATE would when a FLOAT64 is assigned to an INT64
 * column; none for any other statement.
 */
export const updateTypeCheck = (sql: string): string | undefined => {
  if (!/^\s*UPDATE\s/i.test(sql) || NOT_PLAIN.test(sql)) return undefined
  const { tokens, textOf, upper, depths } = statementTokens(sql)
  let at = 1
  while (tokens[at + 1]?.text === "." && (tokens[at + 2]?.kind === "word" || tokens[at + 2]?.kind === "quoted")) at += 2
  if (tokens[at]?.kind !== "word" && tokens[at]?.kind !== "quoted") return undefined
  const table = tokens.slice(1, at + 1).map((token) => token.text).join("")
  let set = at + 1
  if (upper(set) === "AS") set++
  const alias = upper(set) === "SET" ? undefined : tokens[set]
  if (alias !== undefined) set++
  if (upper(set) !== "SET") return undefined
  const columns: Array<string> = []
  const values: Array<string> = []
  // UPDATE … FROM: the values may read the FROM's tables, joined to the target as the UPDATE joins them.
  let joined = ""
  let k = set + 1
  while (k < tokens.length) {
    // The assigned column: `a` or `alias.a` (a STRUCT field's path is left alone).
    const last = tokens[k + 1]?.text === "." ? k + 2 : k
    const qualifier = last === k ? undefined : unquotedName(tokens[k]!).toLowerCase()
    if (qualifier !== undefined && qualifier !== (alias === undefined ? unquotedName(tokens[at]!) : unquotedName(alias)).toLowerCase()) return undefined
    if (tokens[last + 1]?.text !== "=" || (tokens[last]?.kind !== "word" && tokens[last]?.kind !== "quoted")) return undefined
    let end = last + 2
    while (end < tokens.length && !(depths[end] === 0 && (tokens[end]!.text === "," || /^(WHERE|FROM|RETURNING)$/.test(upper(end))))) end++
    columns.push(unquotedName(tokens[last]!))
    if (end <= last + 2) return undefined
    values.push(textOf(last + 2, end))
    if (upper(end) === "FROM") {
      let where = end + 1
      while (where < tokens.length && !(depths[where] === 0 && /^(WHERE|RETURNING)$/.test(upper(where)))) where++
      if (where <= end + 1) return undefined
      joined = `, ${textOf(end + 1, where)}`
    }
    if (tokens[end]?.text !== ",") break
    k = end + 1
  }
  if (columns.length === 0) return undefined
  const from = `${table}${alias === undefined ? "" : ` AS ${alias.text}`}${joined}`
  return positionalCheck(`DESCRIBE SELECT ${values.join(", ")} FROM ${from}`, table, columns, "'Value of type FLOAT64 cannot be assigned to ' || target.column_name || ', which has type INT64'")
}

/**
 * For a translated `MERGE INTO t [AS T] USING s [AS S] ON … WHEN … THEN UPDATE SET a = … | INSERT
 * [(a, …)] VALUES (…)`, the statements to run before it that fail as BigQuery's MERGE would when a
 * FLOAT64 is written into an INT64 column: an UPDATE's values bound over the target and the source,
 * an INSERT's over the source. None for a clause this cannot read (INSERT ROW, a STRUCT field).
 */
export const mergeClausesTypeChecks = (sql: string): ReadonlyArray<string> => {
  if (!/^\s*MERGE\s+INTO\s/i.test(sql) || NOT_PLAIN.test(sql)) return []
  const { tokens, textOf, upper, depths } = statementTokens(sql)
  const next = (from: number, words: ReadonlyArray<string>) => {
    let k = from
    while (k < tokens.length && !(depths[k] === 0 && words.includes(upper(k)))) k++
    return k
  }
  const using = next(2, ["USING"])
  const on = next(using + 1, ["ON"])
  if (using >= tokens.length || on >= tokens.length) return []
  const target = textOf(2, using)
  // The table's name alone: the words and dots before an AS or alias.
  let nameEnd = 2
  while (tokens[nameEnd + 1]?.text === "." && (tokens[nameEnd + 2]?.kind === "word" || tokens[nameEnd + 2]?.kind === "quoted")) nameEnd += 2
  const table = textOf(2, nameEnd + 1)
  const source = textOf(using + 1, on)
  const checks: Array<string> = []
  for (let then = next(on + 1, ["THEN"]); then < tokens.length; then = next(then + 1, ["THEN"])) {
    const clauseEnd = next(then + 1, ["WHEN"])
    if (upper(then + 1) === "UPDATE" && upper(then + 2) === "SET") {
      const columns: Array<string> = []
      const values: Array<string> = []
      let k = then + 3
      while (k < clauseEnd) {
        if (tokens[k + 1]?.text !== "=" || (tokens[k]?.kind !== "word" && tokens[k]?.kind !== "quoted")) return []
        let end = k + 2
        while (end < clauseEnd && !(depths[end] === 0 && tokens[end]!.text === ",")) end++
        if (end <= k + 2) return []
        columns.push(unquotedName(tokens[k]!))
        values.push(textOf(k + 2, end))
        k = end + 1
      }
      if (columns.length > 0) checks.push(positionalCheck(`DESCRIBE SELECT ${values.join(", ")} FROM ${target}, ${source}`, table, columns, "'Value of type FLOAT64 cannot be assigned to ' || target.column_name || ', which has type INT64'"))
    }
    if (upper(then + 1) === "INSERT") {
      let k = then + 2
      let listed: ReadonlyArray<string> | undefined
      if (tokens[k]?.text === "(") {
        const close = matchingParen(tokens, k)
        listed = tokens.slice(k + 1, close).filter((token) => token.text !== ",").map(unquotedName)
        k = close + 1
      }
      if (upper(k) !== "VALUES" || tokens[k + 1]?.text !== "(") continue
      const close = matchingParen(tokens, k + 1)
      checks.push(positionalCheck(`DESCRIBE SELECT ${textOf(k + 2, close)} FROM ${source}`, table, listed, "'Query column ' || written.position || ' has type FLOAT64 which cannot be inserted into column ' || target.column_name || ', which has type INT64'"))
    }
  }
  return checks
}

/**
 * Before an incremental table's merge or insert (Dataform's `insert into t (columns) select …`):
 * fails as BigQuery would when the query gives a FLOAT64 for one of the table's INT64 columns.
 * `rows` is a relation or a query, `label` names the table and its file.
 */
export const mergeTypeCheck = (rows: string, relation: string, label: string): string =>
  `${CHECK_MARKER} SELECT error(${sqlString(`writing into ${label}: column `)} || written.column_name || ' has type FLOAT64 in the query, which cannot be inserted into the table''s INT64 column (BigQuery does not round it: CAST it AS INT64 or ROUND it in the model)')
FROM (DESCRIBE ${rows}) AS written
JOIN (DESCRIBE ${relation}) AS target ON lower(target.column_name) = lower(written.column_name)
WHERE ${floatIntoInteger("written", "target")}
LIMIT 1`
