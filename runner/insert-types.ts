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
import { isSignificant, matchingParen, render, tokenize, type Token } from "./sql-tokens.ts"

const INTEGER_TYPES = ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"]
const FLOAT_TYPES = ["DOUBLE", "FLOAT"]

const sqlList = (values: ReadonlyArray<string>) => values.map((value) => `'${value}'`).join(", ")
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`

/** The condition on two DESCRIBE rows (their column_type) that a written FLOAT64 lands in an INT64 column. */
const floatIntoInteger = (source: string, target: string) =>
  `${target}.column_type IN (${sqlList(INTEGER_TYPES)}) AND ${source}.column_type IN (${sqlList(FLOAT_TYPES)})`

const unquotedName = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1).replaceAll('""', '"') : token.text)

/** What makes an INSERT other than a plain `INSERT INTO t [(columns)] query`, or its types unknown before it runs. */
const NOT_PLAIN = /\b(ON\s+CONFLICT|RETURNING|BY\s+(NAME|POSITION)|DEFAULT\s+VALUES)\b|\$\d|\?/i

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
  const targetColumns =
    listed === undefined
      ? `SELECT row_number() OVER () AS position, column_name, column_type FROM (DESCRIBE ${table})`
      : `SELECT listed.position, described.column_name, described.column_type FROM (VALUES ${listed.map((name, index) => `(${index + 1}, ${sqlString(name)})`).join(", ")}) AS listed(position, name) JOIN (DESCRIBE ${table}) AS described ON lower(described.column_name) = lower(listed.name)`
  return `SELECT error('Query column ' || written.position || ' has type FLOAT64 which cannot be inserted into column ' || target.column_name || ', which has type INT64 (BigQuery does not round it: CAST it AS INT64 or ROUND it first)')
FROM (SELECT row_number() OVER () AS position, column_type FROM (DESCRIBE ${source})) AS written
JOIN (${targetColumns}) AS target ON target.position = written.position
WHERE ${floatIntoInteger("written", "target")}
LIMIT 1`
}

/**
 * Before an incremental table's merge or insert (Dataform's `insert into t (columns) select …`):
 * fails as BigQuery would when the query gives a FLOAT64 for one of the table's INT64 columns.
 * `rows` is a relation or a query, `label` names the table and its file.
 */
export const mergeTypeCheck = (rows: string, relation: string, label: string): string =>
  `SELECT error(${sqlString(`writing into ${label}: column `)} || written.column_name || ' has type FLOAT64 in the query, which cannot be inserted into the table''s INT64 column (BigQuery does not round it: CAST it AS INT64 or ROUND it in the model)')
FROM (DESCRIBE ${rows}) AS written
JOIN (DESCRIBE ${relation}) AS target ON lower(target.column_name) = lower(written.column_name)
WHERE ${floatIntoInteger("written", "target")}
LIMIT 1`
