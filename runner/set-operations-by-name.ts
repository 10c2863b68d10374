/**
 * Set operations that match columns by name (`UNION ALL BY NAME`, `INTERSECT DISTINCT BY NAME`,
 * `STRICT CORRESPONDING`, `BY NAME ON (…)`, the FULL mode) as positional ones DuckDB runs. DuckDB's
 * own `UNION [ALL] BY NAME` is BigQuery's FULL mode: every column of either input, NULL where an
 * input lacks it. The other forms are built from it without knowing the inputs' columns:
 *
 * - BY NAME (STRICT CORRESPONDING): each later input is put in the first input's column order,
 *   `SELECT * FROM (<first, no rows> UNION ALL BY NAME <input>)`. An input with a column the first
 *   lacks then has more columns than the first, which the positional operation refuses; one
 *   lacking a column of the first is refused by a check that binds the same union the other way
 *   round beside the input's own columns (BigQuery raises an error in both cases too).
 * - FULL [OUTER] INTERSECT/EXCEPT: every input is widened to all the inputs' columns, the first's
 *   first, by the same union with every input's no rows.
 * - BY NAME ON (columns): every input is projected on those columns, in that order; in the FULL
 *   mode, once widened (NULL where an input lacks one).
 *
 * The INNER and LEFT modes and plain CORRESPONDING need the inputs' column names, which the text
 * does not give: they are left as they are, and refused by name before translation.
 */
import { depthsOf, isSignificant, render, tokenize, type Token } from "./sql-tokens.ts"

interface Piece {
  readonly token: Token
  readonly index: number
  readonly depth: number
}

type Kind = "strict" | "full" | "columns" | "fullColumns" | "native" | "other"

interface Site {
  /** First piece of the operator (its mode, if any) and the piece after its modifier. */
  readonly from: number
  readonly to: number
  readonly operator: string
  readonly kind: Kind
  readonly columns: string
}

const upper = (piece: Piece | undefined): string => (piece?.token.kind === "word" ? piece.token.text.toUpperCase() : "")
const SET_OPERATORS = new Set(["UNION", "INTERSECT", "EXCEPT"])

const piecesOf = (tokens: ReadonlyArray<Token>): ReadonlyArray<Piece> => {
  const depths = depthsOf(tokens)
  return tokens.flatMap((token, index) => (isSignificant(token) ? [{ token, index, depth: depths[index]! }] : []))
}

const closing = (pieces: ReadonlyArray<Piece>, open: number): number => {
  for (let k = open + 1; k < pieces.length; k++) if (pieces[k]!.depth === pieces[open]!.depth && (pieces[k]!.token.text === ")" || pieces[k]!.token.text === "]")) return k
  return pieces.length
}

/** The set operator whose operator word is piece `k`, with its mode before and modifier after. */
const siteAt = (pieces: ReadonlyArray<Piece>, k: number): Site | undefined => {
  const word = upper(pieces[k])
  if (!SET_OPERATORS.has(word)) return undefined
  const quantifier = upper(pieces[k + 1])
  if (quantifier !== "ALL" && quantifier !== "DISTINCT") return undefined
  let from = k
  let mode = ""
  if (upper(pieces[k - 1]) === "OUTER") {
    // OUTER alone is FULL OUTER.
    const named = /^(FULL|LEFT)$/.test(upper(pieces[k - 2]))
    mode = named ? upper(pieces[k - 2]) : "FULL"
    from = named ? k - 2 : k - 1
  } else if (/^(FULL|LEFT|INNER)$/.test(upper(pieces[k - 1]))) {
    mode = upper(pieces[k - 1])
    from = k - 1
  }
  let m = k + 2
  let modifier = ""
  if (upper(pieces[m]) === "BY" && upper(pieces[m + 1]) === "NAME") {
    modifier = "BY NAME"
    m += 2
  } else if (upper(pieces[m]) === "STRICT" && upper(pieces[m + 1]) === "CORRESPONDING") {
    modifier = "BY NAME"
    m += 2
  } else if (upper(pieces[m]) === "CORRESPONDING") {
    modifier = "CORRESPONDING"
    m += 1
  }
  let columns = ""
  const listWord = modifier === "BY NAME" && upper(pieces[m]) === "ON" ? "ON" : modifier !== "" && upper(pieces[m]) === "BY" ? "BY" : ""
  if (listWord !== "" && pieces[m + 1]?.token.text === "(") {
    const end = closing(pieces, m + 1)
    columns = pieces.slice(m + 2, end).map((piece) => piece.token.text).join(" ")
    m = end + 1
  }
  const operator = `${word} ${quantifier}`
  const kind: Kind =
    modifier === "BY NAME" && mode === "" ? (columns === "" ? "strict" : "columns")
    : modifier !== "" && mode === "FULL" ? (columns !== "" ? "fullColumns" : word === "UNION" ? "native" : "full")
    : "other"
  return { from, to: m, operator, kind, columns }
}

/** Where the query holding piece `k` starts and its chain of set operations ends. */
const queryAround = (pieces: ReadonlyArray<Piece>, k: number): { readonly start: number; readonly end: number } | undefined => {
  const depth = pieces[k]!.depth
  let regionStart = 0
  for (let s = k - 1; s >= 0; s--) {
    if (pieces[s]!.depth < depth) {
      regionStart = s + 1
      break
    }
    if (depth === 0 && pieces[s]!.token.text === ";") {
      regionStart = s + 1
      break
    }
  }
  let regionEnd = pieces.length
  for (let s = k + 1; s < pieces.length; s++) {
    if (pieces[s]!.depth < depth || (depth === 0 && pieces[s]!.token.text === ";")) {
      regionEnd = s
      break
    }
  }
  // The query: its first SELECT, parenthesised query or WITH clause at this depth (past an
  // INSERT's column list or a CREATE's), and past that WITH clause, whose tables every input reads.
  let start = -1
  for (let s = regionStart; s < k; s++) {
    const piece = pieces[s]!
    if (piece.depth !== depth) continue
    const word = upper(piece)
    if (word === "SELECT" || (piece.token.text === "(" && /^(SELECT|WITH|\()$/.test(upper(pieces[s + 1]) || pieces[s + 1]?.token.text || ""))) {
      start = s
      break
    }
    if (word === "WITH") {
      let c = s + 1
      if (upper(pieces[c]) === "RECURSIVE") c++
      for (;;) {
        c++ // past the table's name
        if (pieces[c]?.token.text === "(") c = closing(pieces, c) + 1
        if (upper(pieces[c]) !== "AS" || pieces[c + 1]?.token.text !== "(") return undefined
        c = closing(pieces, c + 1) + 1
        if (pieces[c]?.token.text !== ",") break
        c++ // to the next table's name
      }
      start = c
      break
    }
  }
  if (start < 0 || start >= k) return undefined
  // After the last operator, a query's ORDER BY and LIMIT apply to the whole operation.
  let end = regionEnd
  let lastOperator = k
  for (let s = k; s < regionEnd; s++) if (pieces[s]!.depth === depth && SET_OPERATORS.has(upper(pieces[s]))) lastOperator = s
  for (let s = lastOperator; s < regionEnd; s++) {
    if (pieces[s]!.depth === depth && (upper(pieces[s]) === "ORDER" || upper(pieces[s]) === "LIMIT")) {
      end = s
      break
    }
  }
  return { start, end }
}

const noRows = (query: string) => `(SELECT * FROM (${query}) WHERE FALSE)`

/** The chain of set operations around piece `k`, positional, or undefined where it cannot be. */
const rewriteChain = (tokens: ReadonlyArray<Token>, pieces: ReadonlyArray<Piece>, k: number): string | undefined => {
  const query = queryAround(pieces, k)
  if (query === undefined) return undefined
  const depth = pieces[k]!.depth
  const sites: Array<Site> = []
  for (let s = query.start; s < query.end; s++) {
    if (pieces[s]!.depth !== depth || !SET_OPERATORS.has(upper(pieces[s]))) continue
    const site = siteAt(pieces, s)
    if (site === undefined) return undefined
    sites.push(site)
    s = site.to - 1
  }
  const first = sites[0]
  if (first === undefined || first.kind === "native" || first.kind === "other") return undefined
  // BigQuery takes no mix of operators without parentheses; a mix is left alone.
  if (sites.some((site) => site.kind !== first.kind || site.operator !== first.operator || site.columns !== first.columns)) return undefined
  const text = (from: number, to: number) => render(tokens.slice(pieces[from]!.index, pieces[to - 1]!.index + 1)).trim()
  const inputs = sites.map((site, i) => text(i === 0 ? query.start : sites[i - 1]!.to, site.from))
  inputs.push(text(sites.at(-1)!.to, query.end))
  if (inputs.some((input) => input === "")) return undefined
  const byName = "FULL UNION ALL BY NAME"
  let rewritten: ReadonlyArray<string>
  if (first.kind === "columns") rewritten = inputs.map((input) => `(SELECT ${first.columns} FROM (${input}))`)
  else if (first.kind === "full" || first.kind === "fullColumns") {
    const widened = inputs.map(noRows).join(` ${byName} `)
    const selected = first.kind === "full" ? "*" : first.columns
    rewritten = inputs.map((input) => `(SELECT ${selected} FROM (${widened} ${byName} (${input})))`)
  } else {
    const head = inputs[0]!
    rewritten = [
      head,
      ...inputs.slice(1).map(
        (input) =>
          `(SELECT * FROM (${noRows(head)} ${byName} (${input})) WHERE NOT EXISTS (SELECT 1 FROM (${noRows(input)} UNION ALL (${noRows(input)} ${byName} ${noRows(head)}))))`
      )
    ]
  }
  return render(tokens.slice(0, pieces[query.start]!.index)) + rewritten.join(` ${first.operator} `) + " " + render(tokens.slice(pieces[query.end - 1]!.index + 1))
}

export const setOperationsByName = (sql: string): string => {
  if (!/\b(BY\s+NAME|CORRESPONDING)\b/i.test(sql)) return sql
  let current = sql
  // One chain at a time, the last first: a rewritten chain copies its inputs, chains nested in
  // them included, which the next rounds rewrite.
  for (let round = 0; round < 100; round++) {
    const tokens = tokenize(current, "bigquery")
    const pieces = piecesOf(tokens)
    let next: string | undefined
    for (let k = pieces.length - 1; k >= 0 && next === undefined; k--) {
      const site = siteAt(pieces, k)
      if (site === undefined || site.kind === "native" || site.kind === "other") continue
      next = rewriteChain(tokens, pieces, k)
    }
    if (next === undefined) break
    current = next
  }
  // DuckDB's own BY NAME is the FULL mode.
  return current.replace(/\b(?:FULL\s+(?:OUTER\s+)?|OUTER\s+)(UNION\s+(?:ALL|DISTINCT))\s+(?:BY\s+NAME|CORRESPONDING)\b(?!\s+(?:ON|BY)\b)/gi, "$1 BY NAME")
}
