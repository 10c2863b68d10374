/**
 * A scalar subquery that aggregates one row's array, `(SELECT COALESCE(SUM(f(x)), 0) FROM
 * UNNEST(arr) AS _t0(x) WHERE p(x))`, is how BigQuery reads nested data (Meta's `actions`). DuckDB
 * plans it as a correlated subquery: a join of the whole table with its own unnested arrays, the
 * slowest part of a full refresh. DuckDB's list functions compute the same per row, with no join:
 * `COALESCE(list_sum(list_transform(list_filter(arr, lambda x: p(x)), lambda x: f(x))), 0)`.
 *
 * The rewrite is narrow on purpose: one aggregate in a one-item SELECT, over exactly one aliased
 * UNNEST, with at most a WHERE; no DISTINCT, FILTER, ORDER BY, window or nested query anywhere in
 * it, and no bare name but the element's (it may be a field of a STRUCT element, which BigQuery
 * resolves before an outer column). Anything else stays a subquery, which is correct, only slower.
 */
import { isSignificant, render, tokenize, type Token } from "./sql-tokens.ts"

// Each aggregate over an empty input as the list function gives it over an empty (or NULL) list:
// SUM/MIN/MAX/AVG give NULL both ways; COUNT gives 0, so the list's count is COALESCEd.
const LIST_AGGREGATES: Readonly<Record<string, (list: string) => string>> = {
  SUM: (list) => `list_sum(${list})`,
  MIN: (list) => `list_min(${list})`,
  MAX: (list) => `list_max(${list})`,
  AVG: (list) => `list_avg(${list})`,
  COUNT: (list) => `COALESCE(list_count(${list}), 0)`
}

const CLAUSE_WORDS = new Set(["GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "JOIN", "CROSS", "LEFT", "RIGHT", "FULL", "INNER", "NATURAL", "POSITIONAL", "ASOF", "LATERAL", "USING"])
const REFUSED_INSIDE = new Set(["SELECT", "DISTINCT", "OVER", "FILTER", "ORDER", "WITHIN"])
// Words of an expression that name no column: operators, literals and what follows a value (a cast's
// type follows AS; a function name, a parenthesis; an interval's unit, its quantity).
const NOT_COLUMNS = new Set([
  "AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END", "BETWEEN", "LIKE", "ILIKE",
  "SIMILAR", "GLOB", "ESCAPE", "COLLATE", "AS", "INTERVAL", "LAMBDA", "DAY", "DAYS", "MONTH", "MONTHS", "YEAR", "YEARS",
  "HOUR", "HOURS", "MINUTE", "MINUTES", "SECOND", "SECONDS", "WEEK", "WEEKS", "QUARTER", "QUARTERS"
])

interface Piece {
  readonly token: Token
  readonly index: number
}

const upper = (piece: Piece | undefined): string => (piece?.token.kind === "word" ? piece.token.text.toUpperCase() : "")
const isOpen = (piece: Piece | undefined): boolean => piece?.token.kind === "punct" && (piece.token.text === "(" || piece.token.text === "[")
const isClose = (piece: Piece | undefined): boolean => piece?.token.kind === "punct" && (piece.token.text === ")" || piece.token.text === "]")

const closing = (pieces: ReadonlyArray<Piece>, open: number): number => {
  let depth = 0
  for (let k = open; k < pieces.length; k++) {
    if (isOpen(pieces[k])) depth++
    else if (isClose(pieces[k]) && --depth === 0) return k
  }
  return -1
}

const identifier = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1) : token.text).toLowerCase()

/** Whether pieces `a`..`b` name a column other than `elementName`, unqualified. */
const readsOtherColumns = (pieces: ReadonlyArray<Piece>, a: number, b: number, elementName: string): boolean => {
  for (let s = a; s <= b; s++) {
    const piece = pieces[s]!
    if (piece.token.kind !== "word" && piece.token.kind !== "quoted") continue
    if (pieces[s - 1]?.token.text === "." || pieces[s + 1]?.token.text === "(" || upper(pieces[s - 1]) === "AS") continue
    if (piece.token.kind === "word" && NOT_COLUMNS.has(piece.token.text.toUpperCase())) continue
    if (identifier(piece.token) !== elementName) return true
  }
  return false
}

/** The rewritten text of the subquery between `open` and `close` (its parentheses), or undefined. */
const rewriteSubquery = (tokens: ReadonlyArray<Token>, pieces: ReadonlyArray<Piece>, open: number, close: number): string | undefined => {
  const text = (from: number, to: number) => render(tokens.slice(pieces[from]!.index, pieces[to]!.index + 1)).trim()
  // Depth-1 landmarks: FROM, the UNNEST, WHERE.
  let from = -1
  let where = -1
  for (let k = open + 2, depth = 0; k < close; k++) {
    if (isOpen(pieces[k])) depth++
    else if (isClose(pieces[k])) depth--
    else if (depth === 0) {
      const word = upper(pieces[k])
      if (word === "FROM" && from < 0) from = k
      else if (word === "WHERE" && from >= 0 && where < 0) where = k
      else if (CLAUSE_WORDS.has(word) || word === "FROM" || word === "WHERE") return undefined
      else if (pieces[k]!.token.text === "," && (from < 0 || where < 0)) return undefined
    }
  }
  if (from < 0) return undefined
  // FROM UNNEST(arr) [AS] alias(x)
  if (upper(pieces[from + 1]) !== "UNNEST" || pieces[from + 2]?.token.text !== "(") return undefined
  const arrayClose = closing(pieces, from + 2)
  if (arrayClose < 0 || arrayClose + 1 >= close) return undefined
  let k = arrayClose + 1
  if (upper(pieces[k]) === "AS") k++
  const alias = pieces[k]
  if (alias === undefined || (alias.token.kind !== "word" && alias.token.kind !== "quoted") || pieces[k + 1]?.token.text !== "(") return undefined
  const element = pieces[k + 2]
  if (element === undefined || (element.token.kind !== "word" && element.token.kind !== "quoted") || pieces[k + 3]?.token.text !== ")") return undefined
  const afterAlias = k + 4
  if (afterAlias !== (where < 0 ? close : where)) return undefined
  if (where >= 0 && where + 1 >= close) return undefined

  // SELECT <one expression holding one aggregate call>
  const selectStart = open + 2
  const selectEnd = from - 1
  if (selectEnd < selectStart) return undefined
  const aggregates: Array<number> = []
  for (let s = selectStart; s <= selectEnd; s++) {
    if (REFUSED_INSIDE.has(upper(pieces[s]))) return undefined
    if (LIST_AGGREGATES[upper(pieces[s])] !== undefined && pieces[s + 1]?.token.text === "(" && pieces[s - 1]?.token.text !== ".") aggregates.push(s)
  }
  if (aggregates.length !== 1) return undefined
  const aggregate = aggregates[0]!
  const argumentClose = closing(pieces, aggregate + 1)
  if (argumentClose < 0 || argumentClose > selectEnd) return undefined
  // Outside the aggregate, the element must not be read (it would be a column of no row).
  const elementName = identifier(element.token)
  const aliasName = identifier(alias.token)
  const named = (a: number, b: number, name: string, qualifiedToo: boolean) => {
    for (let s = a; s <= b; s++) {
      const piece = pieces[s]!
      if ((piece.token.kind === "word" || piece.token.kind === "quoted") && identifier(piece.token) === name && (qualifiedToo || pieces[s - 1]?.token.text !== ".")) return true
    }
    return false
  }
  // The alias would name a table that is gone; the element is no column outside the aggregate.
  const readsRow = (a: number, b: number) => named(a, b, aliasName, true) || named(a, b, elementName, false)
  if (readsRow(selectStart, aggregate - 1) || readsRow(argumentClose + 1, selectEnd)) return undefined
  if (named(aggregate + 2, argumentClose - 1, aliasName, true)) return undefined
  // A bare name other than the element's may be a field of a STRUCT element (`UNNEST(items) AS i`
  // reading `item_revenue`), which a lambda cannot see; an outer column reads fine either way.
  if (readsOtherColumns(pieces, aggregate + 2, argumentClose - 1, elementName) || (where >= 0 && readsOtherColumns(pieces, where + 1, close - 1, elementName))) return undefined
  if (where >= 0 && named(where + 1, close - 1, aliasName, true)) return undefined
  for (let s = from + 3; s < arrayClose; s++) if (upper(pieces[s]) === "SELECT") return undefined
  for (let s = where + 1; where >= 0 && s < close; s++) if (REFUSED_INSIDE.has(upper(pieces[s]))) return undefined

  const lambda = `lambda ${element.token.text}: `
  const array = text(from + 3, arrayClose - 1)
  const filtered = where < 0 ? array : `list_filter(${array}, ${lambda}${text(where + 1, close - 1)})`
  const name = upper(pieces[aggregate])
  let list: string
  if (aggregate + 2 === argumentClose) return undefined
  if (name === "COUNT" && pieces[aggregate + 2]!.token.text === "*" && aggregate + 3 === argumentClose) list = filtered
  else {
    const argument = text(aggregate + 2, argumentClose - 1)
    list = aggregate + 3 === argumentClose && identifier(pieces[aggregate + 2]!.token) === elementName ? filtered : `list_transform(${filtered}, ${lambda}${argument})`
  }
  const replaced = name === "COUNT" && list === filtered && pieces[aggregate + 2]!.token.text === "*" ? `COALESCE(len(${list}), 0)` : LIST_AGGREGATES[name]!(list)
  const before = aggregate > selectStart ? render(tokens.slice(pieces[selectStart]!.index, pieces[aggregate]!.index)) : ""
  // The item's alias, if any, is left out: a list expression in parentheses takes none.
  const itemEnd = selectEnd - 1 > argumentClose && upper(pieces[selectEnd - 1]) === "AS" ? selectEnd - 2 : selectEnd
  const after = argumentClose < itemEnd ? render(tokens.slice(pieces[argumentClose + 1]!.index, pieces[itemEnd]!.index + 1)) : ""
  return `(${before}${replaced}${after})`
}

/** Rewrites every such subquery in a DuckDB statement. */
export const listAggregates = (sql: string): string => {
  if (!/\bUNNEST\b/i.test(sql) || !/\bSELECT\b[\s\S]*\bSELECT\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const pieces: ReadonlyArray<Piece> = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const edits: Array<{ readonly from: number; readonly to: number; readonly text: string }> = []
  for (let k = 0; k < pieces.length; k++) {
    if (pieces[k]!.token.text !== "(" || upper(pieces[k + 1]) !== "SELECT") continue
    const close = closing(pieces, k)
    if (close < 0) continue
    const replacement = rewriteSubquery(tokens, pieces, k, close)
    if (replacement === undefined) continue
    edits.push({ from: pieces[k]!.index, to: pieces[close]!.index, text: replacement })
    k = close
  }
  if (edits.length === 0) return sql
  let out = ""
  let at = 0
  for (const edit of edits) {
    out += render(tokens.slice(at, edit.from)) + edit.text
    at = edit.to + 1
  }
  return out + render(tokens.slice(at))
}
