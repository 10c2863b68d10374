/**
 * The fields of an aliased UNNEST, by their own names. In BigQuery `UNNEST(items) AS item` over an
 * array of STRUCTs is a value table: a query may name a field without the range variable
 * (`item_id` as well as `item.item_id`), and a later UNNEST in the same FROM may unnest such a field
 * (`FROM UNNEST(request_query) AS query, UNNEST(value) AS value`). Polyglot gives DuckDB
 * `UNNEST(…) AS _t0(item)`: one struct column, no fields.
 *
 * Each run of aliased UNNESTs joined by commas (CROSS JOIN) becomes one subquery whose columns are
 * the range variables and their elements' fields; a scalar array adds no field, and a run of
 * arrays that cannot hold STRUCTs (SPLIT, JSON arrays, …) keeps DuckDB's plain form. In one subquery
 * a later UNNEST sees the earlier ones' fields, and a field named like a range variable gives way
 * to it, as BigQuery's range variables take precedence.
 */
import { CLAUSES_AFTER_FROM, isSignificant, render, tokenize, type Token } from "./sql-tokens.ts"

/** Words that end a FROM clause at their parenthesis depth. */
export const FROM_CLAUSE_ENDS: ReadonlySet<string> = new Set([...CLAUSES_AFTER_FROM, "ON", "USING"])

/** Arrays whose elements are never STRUCTs: unnested as they are, without looking for fields. */
const SCALAR_ARRAY = /^(?:STR_SPLIT|STRING_SPLIT|STRING_SPLIT_REGEX|REGEXP_EXTRACT_ALL|GENERATE_SERIES|RANGE)\s*\(|^CAST\([\s\S]*\bAS\s+(?:JSON|VARCHAR|TEXT|BIGINT|INTEGER|HUGEINT|DOUBLE|FLOAT|BOOLEAN|DATE|TIMESTAMP(?: WITH TIME ZONE)?|TIME|BLOB|DECIMAL\(\d+,\s*\d+\))\[\]\)$/i

const isScalarArray = (array: string): boolean => SCALAR_ARRAY.test(array) || (array.startsWith("[") && !array.includes("{"))

interface Item {
  /** Token indexes (in the full stream) of `UNNEST` and of the alias list's `)`. */
  readonly from: number
  readonly to: number
  readonly array: ReadonlyArray<Token>
  readonly tableAlias: string
  readonly alias: string
}

const unquoted = (name: string): string => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name)
const quotedIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`
const stringLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`

/** Words in a later item's array naming an earlier range variable: that variable's column. */
const withEarlierAliases = (array: ReadonlyArray<Token>, earlier: ReadonlyMap<string, string>): string => {
  const significant = array.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const replaced = new Map<number, string>()
  significant.forEach(({ token, index }, k) => {
    if (token.kind !== "word" && token.kind !== "quoted") return
    const column = earlier.get(unquoted(token.text).toLowerCase())
    if (column === undefined || significant[k - 1]?.token.text === "." || significant[k + 1]?.token.text === "(") return
    replaced.set(index, column)
  })
  return array.map((token, index) => replaced.get(index) ?? token.text).join("")
}

const chainSubquery = (chain: ReadonlyArray<Item>, n: number): string => {
  const earlier = new Map<string, string>()
  const joined: Array<string> = []
  const renames: Array<string> = []
  chain.forEach((item, i) => {
    const column = `_mdp_v${n}_${i}`
    const array = withEarlierAliases(item.array, earlier).trim()
    const fields = isScalarArray(array) ? "" : `, UNNEST(${array}, max_depth := 2)`
    joined.push(`(SELECT UNNEST(${array}) AS ${column}${fields}) AS _mdp_x${n}_${i}`)
    renames.push(`${column} AS ${quotedIdentifier(item.alias)}`)
    earlier.set(item.alias.toLowerCase(), column)
  })
  const aliases = chain.map((item) => stringLiteral(item.alias.toLowerCase())).join(", ")
  return `(SELECT * RENAME (${renames.join(", ")}) FROM (SELECT COLUMNS(mdp_column -> lower(mdp_column) NOT IN (${aliases}) AND mdp_column NOT LIKE 'unnest(%') FROM ${joined.join(" CROSS JOIN ")})) AS ${chain[0]!.tableAlias}`
}

/** The positions where a FROM item starts: right after FROM or JOIN, or after a comma of a FROM clause. */
export const fromItemStarts = (significant: ReadonlyArray<{ readonly token: Token }>): ReadonlySet<number> => {
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const starts = new Set<number>()
  const inFrom: Array<boolean> = [false]
  for (let k = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    // `FROM (UNNEST(a) AS x CROSS JOIN t)`: parentheses grouping FROM items, whose first item starts after them.
    const opensGroup = text === "(" && (word(k + 1) === "UNNEST" || (significant[k + 1]?.token.kind === "word" && !["SELECT", "WITH", "FROM", "VALUES"].includes(word(k + 1)) && significant[k + 2]?.token.text !== "(")) && (word(k - 1) === "FROM" || word(k - 1) === "JOIN" || (significant[k - 1]?.token.text === "," && inFrom[inFrom.length - 1] === true))
    if (opensGroup) starts.add(k + 1)
    if (text === "(") inFrom.push(opensGroup)
    else if (text === ")") {
      if (inFrom.length > 1) inFrom.pop()
    } else if (word(k) === "FROM" && word(k - 1) !== "DISTINCT") inFrom[inFrom.length - 1] = true
    else if (FROM_CLAUSE_ENDS.has(word(k))) inFrom[inFrom.length - 1] = false
    // `IS [NOT] DISTINCT FROM x` compares; its FROM starts no FROM item.
    const before = significant[k - 1]?.token.text.toUpperCase()
    if ((before === "FROM" && word(k - 2) !== "DISTINCT") || before === "JOIN" || (before === "," && inFrom[inFrom.length - 1] === true)) starts.add(k)
  }
  return starts
}

/**
 * `FROM UNNEST(arr) AS x` with a bare alias, which polyglot sometimes leaves (inside a field access
 * such as `(SELECT AS STRUCT … FROM UNNEST(…) AS x).f`): in DuckDB `x` would name a table whose one
 * column is `unnest`, in BigQuery it is the element. Written `AS _tN(x)`, polyglot's usual form,
 * which expandAliasedUnnest and listAggregates read.
 */
export const elementAliasedUnnest = (sql: string): string => {
  if (!/\bUNNEST\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const text = (k: number) => significant[k]?.token.text
  const replaced = new Map<number, string>()
  const starts = fromItemStarts(significant)
  let n = 900
  for (let k = 0; k < significant.length; k++) {
    if (word(k) !== "UNNEST" || text(k + 1) !== "(" || !starts.has(k)) continue
    let close = k + 1
    for (let depth = 0; close < significant.length; close++) {
      if (text(close) === "(") depth++
      else if (text(close) === ")" && --depth === 0) break
    }
    const alias = significant[close + 2]
    if (word(close + 1) !== "AS" || alias === undefined || (alias.token.kind !== "word" && alias.token.kind !== "quoted") || text(close + 3) === "(") continue
    if (/^_(t|mdp_)/.test(alias.token.text) || word(close + 2) === "WITH") continue
    replaced.set(alias.index, `_t${n++}(${alias.token.text})`)
  }
  return replaced.size === 0 ? sql : tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

export const expandAliasedUnnest = (sql: string): string => {
  if (!/\bUNNEST\s*\([\s\S]*\bAS\s+_t\d+\s*\(/i.test(sql)) return sql
  for (let guard = 0, n = 0; guard < 200; guard++, n++) {
    const tokens = tokenize(sql, "duckdb")
    const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
    const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
    const text = (k: number) => significant[k]?.token.text
    /** The polyglot form `UNNEST(array) AS _tN(alias)` starting at k, with the position after it. */
    const itemAt = (k: number): { readonly item: Item; readonly next: number } | undefined => {
      if (word(k) !== "UNNEST" || text(k + 1) !== "(") return undefined
      let depth = 0
      let close = k + 1
      for (; close < significant.length; close++) {
        if (text(close) === "(") depth++
        if (text(close) === ")" && --depth === 0) break
      }
      const tableAlias = text(close + 2) ?? ""
      if (word(close + 1) !== "AS" || !/^_t\d+$/.test(tableAlias) || text(close + 3) !== "(" || text(close + 5) !== ")") return undefined
      const alias = significant[close + 4]!.token
      if (alias.kind !== "word" && alias.kind !== "quoted") return undefined
      const item = {
        from: significant[k]!.index,
        to: significant[close + 5]!.index,
        array: tokens.slice(significant[k + 1]!.index + 1, significant[close]!.index),
        tableAlias,
        alias: unquoted(alias.text)
      }
      return { item, next: close + 6 }
    }
    const starts = fromItemStarts(significant)
    let found: { readonly chain: ReadonlyArray<Item>; readonly left: boolean; readonly next: number; readonly at: number; readonly correlated: boolean } | undefined
    for (let k = 0; k < significant.length && found === undefined; k++) {
      if (!starts.has(k)) continue
      const before = text(k - 1)?.toUpperCase()
      const first = itemAt(k)
      if (first === undefined) continue
      const chain = [first.item]
      let next = first.next
      // A comma join continues the run; an explicit JOIN … ON stands alone.
      const startsRun = before !== "JOIN" || word(k - 2) === "CROSS"
      while (startsRun && ((word(next) === "CROSS" && word(next + 1) === "JOIN") || text(next) === ",")) {
        const following = itemAt(word(next) === "CROSS" ? next + 2 : next + 1)
        if (following === undefined) break
        chain.push(following.item)
        next = following.next
      }
      const left = before === "JOIN" && (word(k - 2) === "LEFT" || (word(k - 2) === "OUTER" && word(k - 3) === "LEFT"))
      found = { chain, left, next, at: k, correlated: before !== "FROM" }
    }
    if (found === undefined) return sql
    const last = found.chain[found.chain.length - 1]!
    // BigQuery's `[INNER | LEFT] JOIN UNNEST(…)` needs no condition; DuckDB's JOIN does.
    const joined = text(found.at - 1)?.toUpperCase() === "JOIN" && word(found.at - 2) !== "CROSS"
    const condition = (found.left || joined) && word(found.next) !== "ON" && word(found.next) !== "USING" ? " ON TRUE" : ""
    // Arrays that cannot hold STRUCTs keep DuckDB's form (which list-aggregates.ts reads), renamed so
    // that this loop moves past them.
    const replacement = found.chain.every((item) => isScalarArray(render(item.array).trim()))
      ? render(tokens.slice(found.chain[0]!.from, last.to + 1)).replace(/\bAS\s+_t(\d+)\s*\(/g, "AS _mdp_s$1(")
      : chainSubquery(found.chain, n)
    const scalar = replacement.includes("AS _mdp_s")
    const qualified = found.correlated
      ? rangeVariablesQualified(significant, found.at, found.next, new Map(found.chain.map((item) => [item.alias.toLowerCase(), `${scalar ? item.tableAlias.replace("_t", "_mdp_s") : found.chain[0]!.tableAlias}.${quotedIdentifier(item.alias)}`])))
      : new Map<number, string>()
    const rendered = (from: number, to: number) => tokens.slice(from, to).map((token, i) => qualified.get(from + i) ?? token.text).join("")
    // `LEFT JOIN UNNEST(…) AS x ON condition`: DuckDB refuses a LEFT lateral join whose condition is
    // not one comparison of both sides. Filtering the elements first, joined ON TRUE, is the same
    // (a row whose elements all fail the condition keeps one row of NULLs).
    const conditionEnd = found.left && word(found.next) === "ON" ? onConditionEnd(significant, found.next + 1) : undefined
    if (conditionEnd !== undefined) {
      const alias = scalar ? found.chain[0]!.tableAlias.replace("_t", "_mdp_s") : found.chain[0]!.tableAlias
      const filter = rendered(significant[found.next + 1]!.index, conditionEnd < significant.length ? significant[conditionEnd]!.index : tokens.length)
      const rest = conditionEnd < significant.length ? rendered(significant[conditionEnd]!.index, tokens.length) : ""
      sql = `${rendered(0, found.chain[0]!.from)}(SELECT * FROM ${replacement} WHERE ${filter.trim()}) AS ${alias} ON TRUE ${rest}`
      continue
    }
    sql = rendered(0, found.chain[0]!.from) + replacement + condition + rendered(last.to + 1, tokens.length)
  }
  return sql
}

// Where a JOIN's ON condition ends, at its level: the next join, a clause, or the end of its parentheses.
const CONDITION_ENDS = new Set([...FROM_CLAUSE_ENDS, "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "NATURAL", "POSITIONAL", "ASOF"])
const onConditionEnd = (significant: ReadonlyArray<{ readonly token: Token }>, from: number): number => {
  let depth = 0
  for (let k = from; k < significant.length; k++) {
    const token = significant[k]!.token
    if (token.text === "(") depth++
    else if (token.text === ")" && --depth < 0) return k
    else if (depth === 0 && (token.text === "," || token.text === ";" || (token.kind === "word" && CONDITION_ENDS.has(token.text.toUpperCase()) && k > from))) return k
  }
  return significant.length
}

const isSetOperator = (significant: ReadonlyArray<{ readonly token: Token }>, k: number): boolean => {
  const word = significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : ""
  const next = significant[k + 1]?.token.text.toUpperCase()
  return word === "UNION" || word === "INTERSECT" || (word === "EXCEPT" && (next === "DISTINCT" || next === "ALL" || next === "SELECT"))
}

/**
 * An UNNEST joined to an earlier FROM item (`FROM users, UNNEST(audiences) AS audiences`) whose
 * range variable is named like a column of that item: in BigQuery the name is the range variable
 * (`audiences.id` reads the element), in DuckDB it is ambiguous. The range variable's name is
 * qualified wherever its query block can see it: the SELECT list before FROM, and everything after
 * the UNNEST up to the block's end or a set operator. The FROM items before it cannot see it and
 * are left alone. The answer: replacement text by token index.
 */
const rangeVariablesQualified = (
  significant: ReadonlyArray<{ readonly token: Token; readonly index: number }>,
  chainStart: number,
  chainEnd: number,
  names: ReadonlyMap<string, string>
): ReadonlyMap<number, string> => {
  const text = (k: number) => significant[k]?.token.text ?? ""
  let blockStart = 0
  let from = -1
  for (let k = chainStart - 1, depth = 0; k >= 0; k--) {
    if (text(k) === ")") depth++
    else if (text(k) === "(") {
      if (depth === 0) {
        blockStart = k + 1
        break
      }
      depth--
    } else if (depth === 0 && isSetOperator(significant, k)) {
      blockStart = k + 1
      break
    } else if (depth === 0 && from < 0 && text(k).toUpperCase() === "FROM") from = k
  }
  let blockEnd = significant.length
  for (let k = chainEnd, depth = 0; k < significant.length; k++) {
    if (text(k) === "(") depth++
    else if (text(k) === ")") {
      if (depth === 0) {
        blockEnd = k
        break
      }
      depth--
    } else if (depth === 0 && isSetOperator(significant, k)) {
      blockEnd = k
      break
    }
  }
  const qualified = new Map<number, string>()
  const visible = (k: number) => (k >= blockStart && k < (from < 0 ? chainStart : from)) || (k >= chainEnd && k < blockEnd)
  significant.forEach(({ token, index }, k) => {
    if (!visible(k) || (token.kind !== "word" && token.kind !== "quoted")) return
    const name = names.get(unquoted(token.text).toLowerCase())
    if (name === undefined || text(k - 1) === "." || text(k + 1) === "(" || text(k - 1).toUpperCase() === "AS") return
    // `alias.*` of a STRUCT element: a column per field (DuckDB parses no star after a column).
    if (text(k + 1) === "." && text(k + 2) === "*") {
      qualified.set(index, `unnest(${name})`)
      qualified.set(significant[k + 1]!.index, "")
      qualified.set(significant[k + 2]!.index, "")
      return
    }
    qualified.set(index, name)
  })
  return qualified
}

/**
 * A SQL function (a DuckDB macro) whose range variable is named like one of its parameters
 * (`request_queries_are_equal(query1 …) AS (… FROM UNNEST(query1) AS query1 …)`): in BigQuery the
 * range variable hides the parameter where it is in scope; DuckDB refuses the clash. The range
 * variable takes a name of its own, and `name.field` reads it, the bare name the parameter.
 */
export const rangeVariablesBesideParameters = (sql: string): string => {
  if (!/^\s*CREATE\b[\s\S]*?\bFUNCTION\b/i.test(sql) || !/\bRENAME\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const functionAt = significant.findIndex(({ token }) => token.kind === "word" && token.text.toUpperCase() === "FUNCTION")
  let open = functionAt + 1
  while (open < significant.length && significant[open]!.token.text !== "(") open++
  const parameters = new Set<string>()
  let depth = 0
  let close = open
  for (; close < significant.length; close++) {
    const text = significant[close]!.token.text
    if (text === "(") depth++
    if (text === ")" && --depth === 0) break
    const previous = significant[close - 1]!.token.text
    if (depth === 1 && (previous === "(" && close - 1 === open || previous === ",") && (significant[close]!.token.kind === "word" || significant[close]!.token.kind === "quoted")) {
      parameters.add(unquoted(significant[close]!.token.text).toLowerCase())
    }
  }
  const hidden = new Set<string>()
  const replaced = new Map<number, string>()
  // `_mdp_vN_i AS "name"` in a RENAME list: the range variable's name.
  significant.forEach(({ token, index }, k) => {
    if (k <= close || (token.kind !== "word" && token.kind !== "quoted")) return
    const name = unquoted(token.text).toLowerCase()
    if (!parameters.has(name) || significant[k - 1]?.token.text.toUpperCase() !== "AS" || !/^_mdp_v\d+_\d+$/.test(significant[k - 2]?.token.text ?? "")) return
    hidden.add(name)
    replaced.set(index, quotedIdentifier(`_mdp_r_${name}`))
  })
  if (hidden.size === 0) return sql
  significant.forEach(({ token, index }, k) => {
    if (k <= close || (token.kind !== "word" && token.kind !== "quoted") || replaced.has(index)) return
    const name = unquoted(token.text).toLowerCase()
    // Bare, or qualified by its subquery's alias (rangeVariablesQualified).
    const qualifiedByUs = significant[k - 1]?.token.text === "." && /^_(t|mdp_s)\d+$/.test(significant[k - 2]?.token.text ?? "")
    if (hidden.has(name) && significant[k + 1]?.token.text === "." && (significant[k - 1]?.token.text !== "." || qualifiedByUs)) replaced.set(index, quotedIdentifier(`_mdp_r_${name}`))
  })
  return tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}
