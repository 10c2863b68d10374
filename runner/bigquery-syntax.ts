/**
 * BigQuery syntax the translator (polyglot) does not read, rewritten beforehand into equivalent
 * BigQuery it does: trailing commas, `JSON '''…'''` literals, references quoted in parts, pipe
 * syntax (`FROM t |> WHERE … |> AGGREGATE …`), an unaliased subquery in FROM right before a set
 * operator (which polyglot misreads), names DuckDB or polyglot take for keywords, INSERT and DELETE
 * without INTO and FROM, ASSERT (as a query that fails), \u and octal escapes in strings, OPTIONS of
 * CREATE statements, MATERIALIZED VIEW, TABLE … COPY/CLONE. Also: which statements only change
 * metadata (`ALTER TABLE … SET OPTIONS`) and so have nothing to do locally, and `INFORMATION_SCHEMA`
 * views, answered from DuckDB's catalogue (keys: `table-constraints.ts`) with BigQuery's columns.
 */
import { fromItemStarts } from "./aliased-unnest.ts"
import { BIGQUERY_TYPE_FUNCTION } from "./builtin-functions.ts"
import { COLUMN_ROLES_PLACEHOLDER, partitionsPlaceholder } from "./partitions.ts"
import { isBigQueryType, type HeaderColumn } from "./source-types.ts"
import { constraintViewQuery } from "./table-constraints.ts"
import { CLAUSES_AFTER_FROM, isSignificant, matchingParen, render, splitTopLevel, tokenize, withSpansReplaced, type Dialect, type Token } from "./sql-tokens.ts"

const upper = (token: Token | undefined): string => (token?.kind === "word" ? token.text.toUpperCase() : "")

const indexed = (tokens: ReadonlyArray<Token>) => tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))

/** `a, b,)` and `SELECT a, b, FROM`: BigQuery accepts a trailing comma there. */
export const withoutTrailingCommas = (sql: string): string => {
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const drop = new Set<number>()
  significant.forEach(({ token, index }, k) => {
    if (token.text === "," && (significant[k + 1]?.token.text === ")" || upper(significant[k + 1]?.token) === "FROM")) drop.add(index)
  })
  return drop.size === 0 ? sql : tokens.map((token, index) => (drop.has(index) ? "" : token.text)).join("")
}

/** `JSON '''{…}'''` (and `"""`, raw or not): the same text as a plain literal, which polyglot reads. */
export const plainJsonLiterals = (sql: string): string => {
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const replaced = new Map<number, string>()
  significant.forEach(({ token, index }, k) => {
    const literal = significant[k + 1]
    if (upper(token) !== "JSON" || literal?.token.kind !== "string") return
    // A field or subscript read right off the literal (`JSON '{"a": 1}'.a`, `JSON '[1]'[0]`):
    // the literal in parentheses, which polyglot reads (it failed to parse the bare form).
    const accessed = significant[k + 2]?.token.text === "." || significant[k + 2]?.token.text === "["
    const match = /^([rR]?)('''|""")([\s\S]*)\2$/.exec(literal.token.text)
    const plain =
      match === null
        ? literal.token.text
        : `'${(match[1] !== "" ? match[3]!.replaceAll("\\", "\\\\") : match[3]!).replaceAll("'", "\\'").replaceAll("\n", "\\n").replaceAll("\r", "\\r")}'`
    if (match === null && !accessed) return
    if (accessed) {
      replaced.set(index, `(${token.text}`)
      replaced.set(literal.index, `${plain})`)
    } else replaced.set(literal.index, plain)
  })
  return replaced.size === 0 ? sql : tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

/**
 * Words BigQuery leaves free for names that the translator or DuckDB read as keywords: polyglot
 * fails on a column named `lambda`, `both`, `leading`, `trailing`, `binary` or `try_cast`, and
 * DuckDB on one named `summarize`, `glob`, `overlaps`, `positional` or `unpack`. None of them is
 * BigQuery syntax, so each bare use (other than a call) is a name.
 */
const NAMES_DUCKDB_RESERVES = new Set(["LAMBDA", "BOTH", "LEADING", "TRAILING", "BINARY", "TRY_CAST", "SUMMARIZE", "GLOB", "OVERLAPS", "POSITIONAL", "UNPACK"])

/** A column (or alias, or field) named like a word of NAMES_DUCKDB_RESERVES, quoted as a name. */
export const quotedNamesDuckdbReserves = (sql: string): string => {
  if (!/\b(lambda|both|leading|trailing|binary|try_cast|summarize|glob|overlaps|positional|unpack)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const quoted = new Map<number, string>()
  significant.forEach(({ token, index }, k) => {
    if (token.kind === "word" && NAMES_DUCKDB_RESERVES.has(token.text.toUpperCase()) && significant[k + 1]?.token.text !== "(") quoted.set(index, `\`${token.text}\``)
  })
  return quoted.size === 0 ? sql : tokens.map((token, index) => quoted.get(index) ?? token.text).join("")
}

/** `INSERT t …` and `DELETE t WHERE …`: BigQuery's INTO and FROM are optional; polyglot needs them. */
export const insertIntoDeleteFrom = (sql: string): string => {
  if (!/\b(INSERT|DELETE)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const added = new Map<number, string>()
  significant.forEach(({ token, index }, k) => {
    const next = significant[k + 1]?.token
    if (next === undefined || (next.kind !== "word" && next.kind !== "quoted")) return
    const keyword = upper(token)
    const following = upper(next)
    if (keyword === "INSERT" && !["INTO", "VALUES", "ROW", "SELECT", "WITH"].includes(following)) added.set(index, " INTO")
    if (keyword === "DELETE" && !["FROM", "WHERE", "WHEN"].includes(following)) added.set(index, " FROM")
  })
  return added.size === 0 ? sql : tokens.map((token, index) => token.text + (added.get(index) ?? "")).join("")
}

/**
 * `ASSERT condition [AS 'description']`: a query that fails with BigQuery's "Assertion failed"
 * message when the condition is FALSE or NULL, and returns nothing otherwise.
 */
export const assertStatements = (sql: string): string => {
  if (!/\bASSERT\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const out: Array<string> = []
  let from = 0
  for (let start = 0; start < significant.length; ) {
    let end = start
    for (let depth = 0; end < significant.length; end++) {
      const text = significant[end]!.token.text
      if (text === "(" || text === "[") depth++
      else if (text === ")" || text === "]") depth--
      else if (text === ";" && depth === 0) break
    }
    if (upper(significant[start]!.token) === "ASSERT" && end > start + 1) {
      let last = end - 1
      let description: string | undefined
      if (significant[last]!.token.kind === "string" && upper(significant[last - 1]?.token) === "AS") {
        description = significant[last]!.token.text
        last -= 2
      }
      const condition = render(tokens.slice(significant[start + 1]!.index, significant[last]!.index + 1)).trim()
      const message = description ?? `'${condition.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`
      out.push(render(tokens.slice(from, significant[start]!.index)))
      out.push(`SELECT ERROR(CONCAT('Assertion failed: ', ${message})) FROM UNNEST([1]) WHERE (${condition}) IS NOT TRUE`)
      from = significant[last + (description === undefined ? 0 : 2)]!.index + 1
    }
    start = end + 1
  }
  return out.length === 0 ? sql : out.join("") + render(tokens.slice(from))
}

const SET_OPERATORS = new Set(["UNION", "INTERSECT", "EXCEPT"])

/**
 * `SELECT a + 1 FROM (SELECT 1 AS a) UNION ALL SELECT 2`: polyglot reads an unaliased subquery in
 * FROM followed by a set operator as the start of a parenthesised union, `FROM ((…) UNION ALL
 * SELECT 2)`, which silently applies the first SELECT to both branches. An alias ends the FROM item.
 */
export const aliasedSubqueriesBeforeSetOperators = (sql: string): string => {
  if (!/\b(UNION|INTERSECT|EXCEPT)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const opens: Array<number> = []
  const aliased = new Map<number, string>()
  let n = 0
  significant.forEach(({ token, index }, k) => {
    if (token.text === "(") opens.push(k)
    if (token.text !== ")") return
    const open = opens.pop()
    if (open === undefined || !SET_OPERATORS.has(upper(significant[k + 1]?.token))) return
    const before = significant[open - 1]?.token
    const first = upper(significant[open + 1]?.token)
    if ((upper(before) === "FROM" || upper(before) === "JOIN" || before?.text === ",") && (first === "SELECT" || first === "WITH" || significant[open + 1]?.token.text === "(")) {
      aliased.set(index, `) AS _mdp_d${n++}`)
    }
  })
  return aliased.size === 0 ? sql : tokens.map((token, index) => aliased.get(index) ?? token.text).join("")
}

/** Stands for the fields of an array's elements, `list_transform` in DuckDB (`flattenedArrayPaths`). */
export const ARRAY_FIELDS_MARKER = "MDP_ARRAY_FIELDS"

/**
 * `UNNEST(hidden_data.key)` where `hidden_data` is an ARRAY of STRUCTs: BigQuery flattens an array
 * path inside UNNEST, giving each element's field. The text cannot tell an ARRAY from a STRUCT, so
 * the runner learns it from DuckDB (which refuses the field of a list, naming the list) and
 * translates the action again with those names: each such path becomes the array of the fields,
 * `UNNEST(MDP_ARRAY_FIELDS(hidden_data, 'key', FALSE))`, through as many arrays as the path crosses
 * (each but the last flattened: `TRUE`). (An ARRAY(SELECT … FROM UNNEST(…)) would say the same,
 * but DuckDB cannot bind such a subquery inside an aggregate grouped by a SELECT alias.)
 */
export const flattenedArrayPaths = (sql: string, arrayNames: ReadonlyArray<string> | undefined): string => {
  if (arrayNames === undefined || arrayNames.length === 0 || !/\bUNNEST\s*\(/i.test(sql)) return sql
  const arrays = new Set(arrayNames.map((name) => name.toLowerCase()))
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const replaced = new Map<number, { readonly end: number; readonly text: string }>()
  const unquoted = (part: string) => (part.startsWith("`") ? part.slice(1, -1) : part)
  significant.forEach(({ token }, k) => {
    if (upper(token) !== "UNNEST" || significant[k + 1]?.token.text !== "(") return
    // A path: names joined by dots, and nothing else, up to the closing parenthesis.
    const parts: Array<string> = []
    let j = k + 2
    for (;;) {
      const part = significant[j]?.token
      if (part === undefined || (part.kind !== "word" && part.kind !== "quoted")) return
      parts.push(part.text)
      if (significant[j + 1]?.token.text === ".") j += 2
      else break
    }
    if (significant[j + 1]?.token.text !== ")" || parts.length < 2) return
    const crossings = parts.map((part, i) => (i < parts.length - 1 && arrays.has(unquoted(part).toLowerCase()) ? i : -1)).filter((i) => i >= 0)
    if (crossings.length === 0) return
    let expression = parts.slice(0, crossings[0]! + 1).join(".")
    crossings.forEach((at, n) => {
      const last = n === crossings.length - 1
      const fields = parts.slice(at + 1, last ? parts.length : crossings[n + 1]! + 1).map(unquoted).join(".")
      expression = `${ARRAY_FIELDS_MARKER}(${expression}, '${fields.replaceAll("'", "\\'")}', ${last ? "FALSE" : "TRUE"})`
    })
    replaced.set(significant[k + 2]!.index, { end: significant[j]!.index, text: expression })
  })
  return replaced.size === 0 ? sql : withSpansReplaced(tokens, replaced)
}

/** Words that cannot be a FROM item's alias: they end it. */
const FROM_ITEM_ENDS = new Set([...CLAUSES_AFTER_FROM, "ON", "USING", "JOIN", "LEFT", "RIGHT", "INNER", "CROSS", "FULL", "OUTER", "WITH", "FOR", "TABLESAMPLE"])

/**
 * `FROM t, t.tags AS tag`: a path in FROM that starts with an earlier range variable, of its own
 * query or an enclosing one, is that row's array, joined as `UNNEST(t.tags)` (BigQuery's
 * correlated join of an array path).
 */
export const implicitArrayPaths = (sql: string): string => {
  if (!/\bFROM\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const word = (k: number) => upper(significant[k]?.token)
  const isName = (k: number) => significant[k]?.token.kind === "word" || significant[k]?.token.kind === "quoted"
  const nameOf = (k: number) => {
    const parts = partsOf(significant[k]!.token)
    return parts[parts.length - 1]!.toLowerCase()
  }
  const wraps = new Map<number, number>()
  // Every range variable of each parenthesis level's FROM clauses (the first pass), by the position
  // of the parenthesis that opens the level: a subquery in a SELECT list comes before the FROM whose
  // variables it may read (`SELECT (SELECT SUM(x) FROM t.tags AS x) FROM t`).
  const levelVars = new Map<number, Set<string>>()
  const walk = (wrap: boolean): void => {
    // Per parenthesis depth: the range variables of the query there so far, and whether its FROM
    // clause is being read. A subquery's FROM may start a path with its own variable or with an
    // enclosing query's (`WHERE EXISTS (SELECT 1 FROM t.tags)`).
    const levels: Array<{ key: number; vars: Set<string>; reading: boolean; query: boolean }> = [{ key: -1, vars: new Set(), reading: false, query: false }]
    const inScope = (name: string): boolean =>
      levels[levels.length - 1]!.vars.has(name) || levels.slice(0, -1).some((level) => levelVars.get(level.key)?.has(name) === true)
    for (let k = 0; k < significant.length; k++) {
      const text = significant[k]!.token.text
      if (text === "(") {
        levels.push({ key: k, vars: new Set(), reading: false, query: false })
        continue
      }
      if (text === ")") {
        if (levels.length > 1) levels.pop()
        continue
      }
      const level = levels[levels.length - 1]!
      if (word(k) === "SELECT" || word(k) === "DELETE" || word(k) === "UPDATE") level.query = true
      // A FROM clause (also a pipe query's first FROM), not EXTRACT(part FROM value) nor IS [NOT]
      // DISTINCT FROM.
      const startsQuery = k === 0 || significant[k - 1]!.token.text === "(" || significant[k - 1]!.token.text === ";"
      // `a IS [NOT] DISTINCT FROM b.c` in a JOIN's ON clause is a comparison, not a FROM item.
      if (word(k) === "FROM" && word(k - 1) === "DISTINCT") continue
      if (word(k) === "FROM" && (level.query || startsQuery)) {
        level.vars = new Set()
        level.reading = true
      } else if (CLAUSES_AFTER_FROM.has(word(k))) level.reading = false
      if (!level.reading || !(word(k) === "FROM" || word(k) === "JOIN" || text === ",")) continue
      // A FROM item: a path (a.b.c), a parenthesised query or an UNNEST(…), then its alias.
      let end = k + 1
      let pathStart: number | undefined
      if (isName(end) && word(end) !== "UNNEST") {
        pathStart = end
        while (significant[end + 1]?.token.text === "." && isName(end + 2)) end += 2
      } else if (significant[end]?.token.text === "(" || (word(end) === "UNNEST" && significant[end + 1]?.token.text === "(")) {
        let depth = 0
        let close = word(end) === "UNNEST" ? end + 1 : end
        for (; close < significant.length; close++) {
          if (significant[close]!.token.text === "(") depth++
          if (significant[close]!.token.text === ")" && --depth === 0) break
        }
        end = close
      } else continue
      let alias: number | undefined
      if (word(end + 1) === "AS" && isName(end + 2)) alias = end + 2
      else if (isName(end + 1) && !FROM_ITEM_ENDS.has(word(end + 1))) alias = end + 1
      const path = pathStart === undefined ? [] : partsOf(significant[pathStart]!.token)
      if (wrap && pathStart !== undefined && (end > pathStart || path.length > 1) && inScope(path[0]!.toLowerCase())) wraps.set(significant[pathStart]!.index, significant[end]!.index)
      const name = alias !== undefined ? nameOf(alias) : pathStart !== undefined ? nameOf(end) : undefined
      if (name === undefined) continue
      level.vars.add(name)
      if (!wrap) levelVars.set(level.key, (levelVars.get(level.key) ?? new Set()).add(name))
    }
  }
  walk(false)
  walk(true)
  if (wraps.size === 0) return sql
  const closes = new Set(wraps.values())
  return tokens.map((token, index) => (wraps.has(index) ? `UNNEST(${token.text}` : "") + (wraps.has(index) ? "" : token.text) + (closes.has(index) ? ")" : "")).join("")
}

// The FROM clauses' commas that an explicit JOIN follows, and the first RIGHT or FULL such JOIN.
const commaJoinsScan = (sql: string) => {
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const word = (k: number) => upper(significant[k]?.token)
  // Per parenthesis depth: whether a query has begun there, whether its FROM clause is being read,
  // and that clause's commas so far.
  const levels: Array<{ query: boolean; reading: boolean; commas: Array<number>; group: boolean }> = [{ query: false, reading: false, commas: [], group: false }]
  // Whether the parenthesis at k opens a join group rather than a query: its first FROM item is a
  // path, an UNNEST or a parenthesised query followed by what follows a FROM item (an alias, a
  // comma, a join), not by the end of the parentheses or a set operation.
  const joinGroupOpens = (k: number): boolean => {
    const first = word(k + 1)
    if (significant[k + 1]?.token.text === "(") {
      const close = matchingParen(tokens, significant[k + 1]!.index)
      const after = close < 0 ? undefined : significant.find(({ index }) => index > close)?.token
      if (after === undefined) return false
      if (after.text === ",") return true
      const next = upper(after)
      return (after.kind === "word" || after.kind === "quoted") && !["UNION", "INTERSECT", "EXCEPT", "ORDER", "LIMIT"].includes(next)
    }
    return (significant[k + 1]?.token.kind === "word" || significant[k + 1]?.token.kind === "quoted") && !["SELECT", "WITH", "FROM", "VALUES"].includes(first)
  }
  const crossJoins = new Set<number>()
  // A RIGHT or FULL JOIN that a comma join comes before, which BigQuery refuses.
  let outerAfterComma: "RIGHT" | "FULL" | undefined
  // The depth of ARRAY<…>/STRUCT<…> (`ON u.pair = STRUCT<a INT64, b INT64>(1, 2)`), whose commas are no joins.
  let angles = 0
  for (let k = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "<" && (word(k - 1) === "ARRAY" || word(k - 1) === "STRUCT" || word(k - 1) === "RANGE" || angles > 0)) angles++
    else if (text === ">" && angles > 0) angles--
    if (angles > 0) continue
    if (text === "(") {
      // `FROM ((…) a, (…) b) RIGHT JOIN c`: parentheses around FROM items and their joins, which
      // BigQuery accepts and polyglot reads with explicit joins only. Their commas are joins, of
      // that group alone.
      const enclosing = levels[levels.length - 1]!
      const group = enclosing.reading && (["FROM", "JOIN"].includes(word(k - 1)) || significant[k - 1]?.token.text === "," || (enclosing.group && significant[k - 1]?.token.text === "(")) && joinGroupOpens(k)
      levels.push({ query: false, reading: group, commas: [], group })
      continue
    }
    if (text === ")" || text === ";") {
      if (text === ")" && levels.length > 1) {
        const closed = levels.pop()!
        for (const comma of closed.group ? closed.commas : []) crossJoins.add(comma)
      } else levels[levels.length - 1] = { query: false, reading: false, commas: [], group: false }
      continue
    }
    const level = levels[levels.length - 1]!
    if (word(k) === "SELECT" || word(k) === "DELETE" || word(k) === "UPDATE") level.query = true
    const startsQuery = k === 0 || significant[k - 1]!.token.text === "("
    // Not EXTRACT(part FROM value), TRIM(… FROM …) nor IS [NOT] DISTINCT FROM.
    if (word(k) === "FROM" && word(k - 1) !== "DISTINCT" && (level.query || startsQuery)) {
      level.reading = true
      level.commas = []
    } else if (CLAUSES_AFTER_FROM.has(word(k)) || word(k) === "SET") {
      level.reading = false
      level.commas = []
    } else if (level.reading && text === ",") level.commas.push(significant[k]!.index)
    else if (level.reading && word(k) === "JOIN") {
      const kind = word(k - 1) === "OUTER" ? word(k - 2) : word(k - 1)
      if (level.commas.length > 0 && (kind === "RIGHT" || kind === "FULL")) outerAfterComma ??= kind
      for (const comma of level.commas) crossJoins.add(comma)
      level.commas = []
    }
  }
  return { tokens, crossJoins, outerAfterComma }
}

/**
 * `FROM a, b LEFT JOIN c USING (x)`: in BigQuery the comma is a join like the others, taken left
 * to right, so `c` joins `a × b` and `x` may be `a`'s column. In DuckDB (and standard SQL) the
 * comma binds last, joining `a` to `b ⋈ c`, where `a`'s columns are not in scope. A comma of a FROM
 * clause that an explicit JOIN follows becomes CROSS JOIN, which DuckDB takes left to right too;
 * so does a comma inside parentheses that group FROM items (`FROM ((…) a, (…) b) RIGHT JOIN c`).
 */
export const commaJoinsBeforeJoins = (sql: string): string => {
  if (!sql.includes(",") || !/\bJOIN\b|\bFROM\s*\(\s*[(\w`]/i.test(sql)) return sql
  const { tokens, crossJoins } = commaJoinsScan(sql)
  return crossJoins.size === 0 ? sql : tokens.map((token, index) => (crossJoins.has(index) ? " CROSS JOIN" : token.text)).join("")
}

/** `FROM a, b RIGHT JOIN c …` (or FULL): BigQuery refuses a RIGHT or FULL JOIN after a comma join. */
export const outerJoinAfterCommaJoin = (sql: string): "RIGHT" | "FULL" | undefined =>
  /\b(RIGHT|FULL)\b/i.test(sql) && /\bJOIN\b/i.test(sql) && sql.includes(",") ? commaJoinsScan(sql).outerAfterComma : undefined

const RELATION_BEFORE = new Set(["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "USING", "MERGE", "EXISTS"])

/** The name parts of a quoted or plain identifier: `a.b` in one pair of backticks is two parts. */
const partsOf = (token: Token): ReadonlyArray<string> => (token.kind === "quoted" ? token.text.slice(1, -1).split(".") : [token.text])

const quotePart = (part: string): string => `\`${part}\``

export interface InformationSchemaView {
  readonly dataset: string | undefined
  readonly view: string
}

// Words BigQuery takes as a table alias without AS (none is reserved there) that polyglot reads as
// a keyword after a table: `FROM procedures proc` failed to parse. Found by trying each word.
const ALIASES_READ_AS_KEYWORDS = new Set(
  ("PROC LAST FIRST KEY DATE TIME TYPE VIEW TABLE INDEX SEQUENCE TRIGGER SCHEMA COLUMN COMMENT AFTER ALWAYS BEFORE BEGIN CACHE CASCADE CHECK " +
    "CLUSTER COMMIT CONSTRAINT CYCLE DATABASE DECLARE DELETE DOMAIN DROP EACH EXECUTE FILTER FUNCTION GENERATED IDENTITY INCREMENT INPUT INSERT " +
    "INSTEAD LANGUAGE LOAD LOCAL MATCH MATERIALIZED MAXVALUE MINVALUE NEXT OPERATOR ORDINALITY OTHERS OWNED PREPARE PRESERVE PRIOR PROCEDURE " +
    "REFERENCING REFRESH REPLACE RESTART RESTRICT RETURNS REVOKE ROLLBACK SAVEPOINT START STATEMENT SYSTEM TEMP TEMPORARY TIES TRANSACTION " +
    "TRUNCATE UPDATE FINAL ROW").split(" ")
)

// Parameter names polyglot refuses in a function's parameter list (`f(type STRING)`), found by
// trying each word; in backticks it reads them, and the body's unquoted references too.
const PARAMETERS_READ_AS_KEYWORDS = new Set([...ALIASES_READ_AS_KEYWORDS, "OFFSET", "FORMAT", "DOMAIN", "TIMESTAMP", "DATETIME"])

/** `CREATE [TEMP] FUNCTION f(type STRING, …)`: a parameter named like a keyword polyglot knows, in backticks. */
export const quotedFunctionParameters = (sql: string): string => {
  if (!/\bFUNCTION\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const quoted = new Set<number>()
  for (let k = 0; k < significant.length; k++) {
    if (upper(significant[k]!.token) !== "FUNCTION") continue
    // CREATE [OR REPLACE] [TEMP|TEMPORARY] [AGGREGATE|TABLE] FUNCTION, not a column named function.
    let create = k - 1
    while (create >= 0 && ["OR", "REPLACE", "TEMP", "TEMPORARY", "AGGREGATE", "TABLE"].includes(upper(significant[create]!.token))) create--
    if (upper(significant[create]?.token) !== "CREATE") continue
    // The name (dotted, quoted), then the parameter list.
    let open = k + 1
    if (upper(significant[open]?.token) === "IF") open += 3
    while (significant[open] !== undefined && significant[open]!.token.text !== "(" && open < k + 12) open++
    if (significant[open]?.token.text !== "(") continue
    let depth = 0
    let expectName = true
    for (let j = open; j < significant.length; j++) {
      const text = significant[j]!.token.text
      if (text === "(" || text === "<") depth++
      if (text === ")" || text === ">") depth--
      if (depth === 0) break
      if (depth === 1 && text === ",") {
        expectName = true
        continue
      }
      if (depth === 1 && expectName && j > open) {
        const token = significant[j]!.token
        if (token.kind === "word" && PARAMETERS_READ_AS_KEYWORDS.has(token.text.toUpperCase())) quoted.add(significant[j]!.index)
        expectName = false
      }
    }
  }
  if (quoted.size === 0) return sql
  return tokens.map((token, index) => (quoted.has(index) ? `\`${token.text}\`` : token.text)).join("")
}

/** `FROM procedures proc`: AS before a table alias polyglot would read as a keyword. */
export const keywordAliases = (sql: string): string => {
  if (!/\b(FROM|JOIN)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const closing = (k: number): number => {
    let depth = 0
    for (let j = k; j < significant.length; j++) {
      if (significant[j]!.token.text === "(") depth++
      if (significant[j]!.token.text === ")" && --depth === 0) return j
    }
    return -1
  }
  const before = new Set<number>()
  // An UNNEST is a FROM item wherever it stands (also after a comma that follows a JOIN's ON).
  const unnests = significant.flatMap(({ token }, k) => (upper(token) === "UNNEST" && significant[k + 1]?.token.text === "(" ? [k] : []))
  for (const start of new Set([...fromItemStarts(significant), ...unnests])) {
    let k = start
    const first = significant[k]?.token
    if (first === undefined) continue
    if (first.text === "(") k = closing(k)
    else if (first.kind === "word" || first.kind === "quoted") {
      // A dotted name (dashes in a project's), then a call's arguments (UNNEST(…), a table function).
      while (significant[k + 1] !== undefined && [".", "-"].includes(significant[k + 1]!.token.text) && significant[k + 2] !== undefined) k += 2
      if (significant[k + 1]?.token.text === "(") k = closing(k + 1)
    } else continue
    const alias = significant[k + 1]
    if (k < 0 || alias === undefined || alias.token.kind !== "word" || !ALIASES_READ_AS_KEYWORDS.has(alias.token.text.toUpperCase())) continue
    const after = significant[k + 2]?.token.text
    if (after === "(" || after === ".") continue
    before.add(alias.index)
  }
  if (before.size === 0) return sql
  return tokens.map((token, index) => (before.has(index) ? `AS ${token.text}` : token.text)).join("")
}

/**
 * `CREATE [OR REPLACE] EXTERNAL TABLE [IF NOT EXISTS] name …` (or, with `kind` "table", a plain
 * `CREATE [OR REPLACE] TABLE …`): the table's (dataset, name) and its column list's columns, or
 * undefined for another statement.
 */
export const externalTableTarget = (tokens: ReadonlyArray<Token>, kind: "external" | "table" = "external"): { readonly schema: string | undefined; readonly name: string; readonly columns: ReadonlyArray<HeaderColumn> } | undefined => {
  const words = tokens.filter(isSignificant)
  let k = 0
  if (upper(words[k]) !== "CREATE") return undefined
  k++
  if (upper(words[k]) === "OR" && upper(words[k + 1]) === "REPLACE") k += 2
  if (kind === "external" ? upper(words[k]) !== "EXTERNAL" || upper(words[k + 1]) !== "TABLE" : upper(words[k]) !== "TABLE") return undefined
  k += kind === "external" ? 2 : 1
  if (upper(words[k]) === "IF" && upper(words[k + 1]) === "NOT" && upper(words[k + 2]) === "EXISTS") k += 3
  const parts: Array<string> = []
  for (; words[k] !== undefined && (words[k]!.kind === "word" || words[k]!.kind === "quoted"); k += 2) {
    parts.push(...partsOf(words[k]!))
    if (words[k + 1]?.text !== ".") break
  }
  const name = parts[parts.length - 1]
  if (name === undefined) return undefined
  // The column list, when the statement gives one: each item's name and type (before NOT NULL, OPTIONS).
  const open = words[k + 1]?.text === "(" ? tokens.indexOf(words[k + 1]!) : -1
  let columns: ReadonlyArray<HeaderColumn> = []
  if (open >= 0) {
    let depth = 0
    let close = open
    for (; close < tokens.length; close++) {
      if (tokens[close]!.text === "(") depth++
      if (tokens[close]!.text === ")" && --depth === 0) break
    }
    columns = splitTopLevel(render(tokens.slice(open + 1, close))).flatMap((item) => {
      const itemTokens = tokenize(item, "bigquery")
      const first = itemTokens.findIndex(isSignificant)
      if (first < 0) return []
      const token = itemTokens[first]!
      const name = token.kind === "quoted" ? token.text.slice(1, -1) : token.text
      const rest = itemTokens.slice(first + 1)
      const stop = rest.findIndex((part) => part.kind === "word" && /^(NOT|OPTIONS|DEFAULT|COLLATE)$/i.test(part.text))
      const type = render(stop < 0 ? rest : rest.slice(0, stop)).trim()
      return [isBigQueryType(type) ? { name, type: type.includes("<") ? type : type.toUpperCase() } : { name }]
    })
  }
  return { schema: parts.length >= 2 ? parts[parts.length - 2] : undefined, name, columns }
}

/**
 * The columns of the external table an operation creates, when every one of its statements creates
 * one (data from outside the warehouse); undefined for any other operation.
 */
export const externalTableColumns = (queries: ReadonlyArray<string>): ReadonlyArray<HeaderColumn> | undefined => {
  const targets = statementTokens(queries).map((statement) => externalTableTarget(statement))
  if (targets.length === 0 || targets.some((target) => target === undefined)) return undefined
  return targets[targets.length - 1]!.columns
}

/**
 * The typed column lists of the tables the statements create (`CREATE TABLE IF NOT EXISTS ds.log
 * (id INT64, …)`, a log an operation creates when missing), by lower-cased `dataset.name`.
 */
export const createdTableColumns = (texts: ReadonlyArray<string>): ReadonlyMap<string, ReadonlyArray<HeaderColumn>> => {
  const created = new Map<string, ReadonlyArray<HeaderColumn>>()
  for (const statement of statementTokens(texts.filter((text) => /\bCREATE\b[\s\S]*\bTABLE\b/i.test(text)))) {
    const target = externalTableTarget(statement, "table")
    if (target !== undefined && target.schema !== undefined && target.columns.length > 0) created.set(`${target.schema}.${target.name}`.toLowerCase(), target.columns)
  }
  return created
}

/** The statements of the texts, each text's and each `;`'s end closing one, as tokens (empty ones left out). */
const statementTokens = (texts: ReadonlyArray<string>): ReadonlyArray<ReadonlyArray<Token>> => {
  const separator: Token = { kind: "punct", text: ";" }
  const statements: Array<Array<Token>> = [[]]
  for (const token of texts.flatMap((text) => [...tokenize(text, "bigquery"), separator])) {
    if (token.text === ";") statements.push([])
    else statements[statements.length - 1]!.push(token)
  }
  return statements.filter((statement) => statement.some(isSignificant))
}

/** A marker identifier polyglot carries through, replaced by `informationSchemaQuery` afterwards. */
export const INFORMATION_SCHEMA_MARKER = "mdp_information_schema__"

/**
 * An unquoted project id with dashes after FROM, JOIN, INTO… (`my-project-123.ecommerce.orders`,
 * as BigQuery allows), quoted before anything else reads the statement: the tokenizer reads
 * `123.e` as a number (an exponent), and the name fell apart into an arithmetic expression.
 */
export const quotedDashedProjects = (sql: string): string => {
  if (!sql.includes("-") && !/\.\d/.test(sql)) return sql
  const tokens = [...tokenize(sql, "bigquery")]
  let changed = false
  for (let k = 0; k < tokens.length; k++) {
    if (!RELATION_BEFORE.has(upper(tokens[k]))) continue
    let first = k + 1
    while (first < tokens.length && !isSignificant(tokens[first]!)) first++
    if (tokens[first]?.kind !== "word") continue
    // The name as written: the tokens up to the first space, comma or bracket.
    let end = first
    while (end + 1 < tokens.length && (tokens[end + 1]!.kind === "word" || tokens[end + 1]!.kind === "number" || tokens[end + 1]!.text === "-" || tokens[end + 1]!.text === ".")) end++
    const written = tokens.slice(first, end + 1).map((token) => token.text).join("")
    // A dataset named by digits (`lp-datalake-prod.181871398.ga_sessions`, a Universal Analytics
    // export's view id), which the tokenizer reads as a number: each part quoted.
    const parts = written.split(".")
    if (parts.length >= 3 && parts.slice(1).some((part) => /^\d/.test(part)) && /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9]+)*$/.test(parts[0]!) && parts.slice(1).every((part) => /^[A-Za-z0-9_]+$/.test(part))) {
      tokens.splice(first, end - first + 1, { kind: "quoted", text: parts.map((part) => `\`${part}\``).join(".") })
      changed = true
      continue
    }
    const project = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+(?=\.[A-Za-z_`])/.exec(written)?.[0]
    if (project === undefined) continue
    tokens.splice(first, end - first + 1, { kind: "quoted", text: `\`${project}\`` }, { kind: "word", text: written.slice(project.length) })
    changed = true
  }
  return changed ? render(tokens) : sql
}

/**
 * References after FROM, JOIN, INTO…: `project.dataset.table` in any mix of backticks becomes
 * `dataset`.`table` (one DuckDB schema per dataset), and `dataset.INFORMATION_SCHEMA.VIEW` (or
 * `region-us.INFORMATION_SCHEMA.VIEW`) a marker for the view.
 */
export const localReferences = (sql: string): string => {
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const out: Array<string> = []
  let cursor = 0
  for (let k = 0; k < significant.length; k++) {
    if (!RELATION_BEFORE.has(upper(significant[k]!.token))) continue
    // The chain of names and dots after the keyword; a project's name may hold dashes unquoted
    // (`my-project-2.dataset.table`, where `2.` reads as a number).
    let end = k + 1
    const parts: Array<string> = []
    let expectName = true
    while (end < significant.length) {
      const token = significant[end]!.token
      const dash: Token | undefined = parts.length === 1 && !expectName && token.text === "-" ? significant[end + 1]?.token : undefined
      if (dash !== undefined && (dash.kind === "word" || (dash.kind === "number" && /^\d+\.?$/.test(dash.text)))) {
        parts[0] = `${parts[0]}-${dash.text.replace(/\.$/, "")}`
        end += 2
        // `2.`: the number took the dot that follows the project.
        expectName = dash.text.endsWith(".")
        continue
      }
      if (expectName && (token.kind === "quoted" || token.kind === "word")) parts.push(...partsOf(token))
      else if (expectName || token.text !== ".") break
      expectName = !expectName
      end++
    }
    if (expectName || parts.length < 2) continue
    const first = significant[k + 1]!.index
    const last = significant[end - 1]!.index
    const schemaAt = parts.findIndex((part) => part.toUpperCase() === "INFORMATION_SCHEMA")
    let replacement: string | undefined
    if (schemaAt >= 0 && schemaAt === parts.length - 2) {
      // `region-us.INFORMATION_SCHEMA` spans the project; a dataset name never starts with `region-`.
      const dataset = schemaAt >= 1 && !/^region-/i.test(parts[schemaAt - 1]!) ? parts[schemaAt - 1] : undefined
      replacement = quotePart(`${INFORMATION_SCHEMA_MARKER}${parts[parts.length - 1]!.toLowerCase()}__${dataset ?? ""}`)
    } else if (parts.length >= 3) {
      // Unquoted too: array paths (`FROM t, t.a.b`) are UNNESTs by now (implicitArrayPaths), and
      // DuckDB has no catalog named like a project.
      replacement = parts.slice(-2).map(quotePart).join(".")
    }
    if (replacement === undefined) continue
    out.push(render(tokens.slice(cursor, first)), replacement)
    cursor = last + 1
    k = end - 1
  }
  if (cursor === 0) return sql
  out.push(render(tokens.slice(cursor)))
  return out.join("")
}

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

// BigQuery's names for DuckDB's types, as INFORMATION_SCHEMA.COLUMNS shows them (nested ones too).
const BIGQUERY_TYPE = `${BIGQUERY_TYPE_FUNCTION}(data_type)`

/** The DuckDB query answering a marked INFORMATION_SCHEMA view, or undefined for a view the runner does not have. */
export const informationSchemaQuery = (marker: string): string | undefined => {
  const match = new RegExp(`^${INFORMATION_SCHEMA_MARKER}([a-z_]+)__(.*)$`).exec(marker)
  if (match === null) return undefined
  const [, view, dataset] = match
  const where = `table_catalog = current_database()${dataset === "" ? " AND table_schema NOT IN ('information_schema', 'pg_catalog')" : ` AND table_schema = ${sqlString(dataset!)}`}`
  switch (view) {
    case "tables":
      return `(SELECT table_catalog, table_schema, table_name, CASE table_type WHEN 'VIEW' THEN 'VIEW' ELSE 'BASE TABLE' END AS table_type FROM information_schema.tables WHERE ${where})`
    case "views":
      return `(SELECT table_catalog, table_schema, table_name, view_definition FROM information_schema.views WHERE ${where})`
    case "columns":
      return `(SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, CASE is_nullable WHEN 'YES' THEN 'YES' ELSE 'NO' END AS is_nullable, ${BIGQUERY_TYPE} AS data_type, ${COLUMN_ROLES_PLACEHOLDER} FROM information_schema.columns WHERE ${where})`
    case "partitions":
      return partitionsPlaceholder(dataset!)
    case "schemata":
      return `(SELECT catalog_name, schema_name FROM information_schema.schemata WHERE catalog_name = current_database()${dataset === "" ? "" : ` AND schema_name = ${sqlString(dataset!)}`})`
    default:
      return constraintViewQuery(view!, dataset === "" ? undefined : dataset)
  }
}

const CAPACITY_OBJECTS = new Set(["CAPACITY", "RESERVATION", "ASSIGNMENT", "BI_CAPACITY", "RESERVATION_GROUP"])

/**
 * `ALTER PROJECT|ORGANIZATION SET OPTIONS (\`region-us.default_time_zone\` = …)`: a default that
 * changes what queries answer (a time zone, NUMERIC's rounding mode), which a local run cannot take
 * from the cloud project; the option's name, or undefined.
 */
export const projectDefaultsThatChangeAnswers = (tokens: ReadonlyArray<Token>): string | undefined => {
  const words = tokens.filter(isSignificant)
  if (words[0]?.text.toUpperCase() !== "ALTER" || !/^(PROJECT|ORGANIZATION)$/i.test(words[1]?.text ?? "")) return undefined
  return words.map((token) => token.text.replaceAll("`", "")).find((text) => /(^|\.)default_(time_zone|rounding_mode)$/i.test(text))
}

/**
 * `ALTER TABLE … SET OPTIONS (…)`, `ALTER COLUMN … SET OPTIONS`: descriptions and labels;
 * `SET @@query_label`, `@@reservation` or `@@location`, settings of the job; reservations and
 * capacity; a project's or organization's settings. No query answers differently without them.
 * (Keys, which INFORMATION_SCHEMA lists, are kept: `table-constraints.ts`.)
 */
export const isMetadataOnly = (tokens: ReadonlyArray<Token>): boolean => {
  const words = tokens.filter(isSignificant).map((token) => (token.kind === "word" ? token.text.toUpperCase() : token.text))
  // The job's label, reservation or location: nothing a query reads.
  if (words[0] === "SET" && words[1] === "@" && words[2] === "@" && ["QUERY_LABEL", "RESERVATION", "LOCATION"].includes(words[3] ?? "")) return true
  // Slot capacity, reservations and their assignments: where a job runs, not what it reads.
  if (["CREATE", "ALTER", "DROP"].includes(words[0] ?? "") && CAPACITY_OBJECTS.has(words[words[1] === "OR" ? 3 : 1] ?? "")) return true
  // A project's or organization's settings (dialect, optimizer, runtime, fairness), but for the
  // defaults that change an answer (projectDefaultsThatChangeAnswers refuses those).
  if (words[0] === "ALTER" && (words[1] === "PROJECT" || words[1] === "ORGANIZATION")) return words.includes("SET") && words.includes("OPTIONS") && projectDefaultsThatChangeAnswers(tokens) === undefined
  if (words[0] !== "ALTER" || !["TABLE", "VIEW", "SCHEMA", "MATERIALIZED"].includes(words[1] ?? "")) return false
  const text = words.join(" ")
  return /\bSET OPTIONS\b/.test(text)
}

/**
 * `CREATE SCHEMA|TABLE|VIEW|FUNCTION … OPTIONS(description = …, labels = …, expiration_timestamp = …)`,
 * also after PARTITION BY and CLUSTER BY and on a column ALTER TABLE … ADD COLUMN adds, where polyglot cannot parse them: the options are
 * metadata no query reads, dropped.
 */
export const schemaWithoutOptions = (sql: string): string => {
  if (!/\b(SCHEMA|TABLE|VIEW|FUNCTION)\b[\s\S]*\bOPTIONS\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const dropped = new Set<number>()
  let statementStart = 0
  for (let k = 0; k < significant.length; k++) {
    if (significant[k]!.token.text === ";") {
      statementStart = k + 1
      continue
    }
    if (upper(significant[k]!.token) !== "OPTIONS" || significant[k + 1]?.token.text !== "(") continue
    const words = significant.slice(statementStart, k).map(({ token }) => upper(token))
    const kind = words.slice(1, 6).find((word) => !["OR", "REPLACE", "TEMP", "TEMPORARY", "MATERIALIZED"].includes(word))
    // A column's options in ALTER TABLE … ADD COLUMN c T OPTIONS(…) too (SET OPTIONS is isMetadataOnly's).
    const addedColumn = words[0] === "ALTER" && words[1] === "TABLE" && words.includes("ADD") && words[words.length - 1] !== "SET"
    if (!addedColumn && (words[0] !== "CREATE" || !["SCHEMA", "TABLE", "VIEW", "FUNCTION"].includes(kind ?? ""))) continue
    let depth = 0
    let close = k + 1
    for (; close < significant.length; close++) {
      if (significant[close]!.token.text === "(") depth++
      if (significant[close]!.token.text === ")" && --depth === 0) break
    }
    for (let index = significant[k]!.index; index <= (significant[close]?.index ?? tokens.length - 1); index++) dropped.add(index)
    k = close
  }
  return dropped.size === 0 ? sql : tokens.map((token, index) => (dropped.has(index) ? "" : token.text)).join("")
}

/** The text's parts between its commas outside parentheses and brackets; empty parts (a trailing comma) left out. */
const topLevelParts = (text: string): Array<string> => splitTopLevel(text).map((part) => part.trim()).filter((part) => part !== "")

/** The text before and after its first `word` outside parentheses (after undefined when none). */
const splitAtTopLevelWord = (text: string, word: string): { readonly before: string; readonly after: string | undefined } => {
  const tokens = tokenize(text, "bigquery")
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.text === "(" || token.text === "[") depth++
    if (token.text === ")" || token.text === "]") depth--
    if (depth === 0 && token.kind === "word" && token.text.toUpperCase() === word) {
      return { before: render(tokens.slice(0, i)).trim(), after: render(tokens.slice(i + 1)).trim() }
    }
  }
  return { before: text, after: undefined }
}

// A query in parentheses that is a bare `FROM …` (pipe syntax's start), as a SELECT.
const asSelect = (part: string): string => part.replace(/^\(\s*FROM\b/i, "(SELECT * FROM")

/** Marks `|> RENAME a AS b` in an EXCEPT list (`mdp_rename__a__to__b`), made DuckDB's `* RENAME` by `pipeRenames`. */
export const PIPE_RENAME_MARKER = "mdp_rename__"

/** `* EXCLUDE (mdp_rename__a__to__b, …)` after polyglot: `* RENAME ("a" AS "b", …)`. */
export const pipeRenames = (sql: string): string =>
  sql.includes(PIPE_RENAME_MARKER)
    ? sql.replace(new RegExp(`EXCLUDE \\(((?:${PIPE_RENAME_MARKER}\\w+?__to__\\w+(?:, )?)+)\\)`, "g"), (_, names: string) =>
        `RENAME (${names.split(", ").map((item) => item.slice(PIPE_RENAME_MARKER.length).split("__to__")).map(([from, to]) => `"${from}" AS "${to}"`).join(", ")})`
      )
    : sql

const JOIN_STARTS = new Set(["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS"])
// Pipe operators whose output keeps the input's range variable (an AS alias).
const ALIAS_KEEPING = new Set(["WHERE", "ORDER", "LIMIT", "DISTINCT", "EXTEND", "WINDOW", "SET", "DROP", "RENAME", "TABLESAMPLE"])

/** The pipe operators \`pipeStep\` rewrites, for the error that refuses another. */
export const REWRITTEN_PIPE_OPERATORS = "WHERE, SELECT, EXTEND, WINDOW, SET, DROP, RENAME, AS, WITH, AGGREGATE, DISTINCT, the JOINs, ORDER BY, LIMIT, UNION, INTERSECT and EXCEPT (ALL or DISTINCT, also BY NAME and its FULL mode), PIVOT, UNPIVOT and TABLESAMPLE are"

/**
 * Pipe operators: each wraps the query so far, as BigQuery defines them. `from` is the FROM clause
 * while the query is still only `SELECT * FROM <it>` (the first FROM, then JOINs, or an AS): the
 * next operator reads it directly, so that its range variables stay visible
 * (`FROM t AS a |> JOIN u ON u.k = a.k`, `|> AS t |> SELECT t.key`). `alias` is the name an AS
 * gave, which the operators that keep the input's rows and columns (WHERE, ORDER BY, …) keep.
 */
const pipeStep = (query: string, from: string | undefined, alias: string | undefined, operator: string, rest: string, n: number, fullMode = false): string | { readonly unsupported: string } => {
  const input = from ?? `(${query}) AS ${alias ?? `mdp_pipe_${n}`}`
  // `… WINDOW w AS (…)` after a SELECT's or EXTEND's items belongs after the FROM.
  const items = splitAtTopLevelWord(rest, "WINDOW")
  const windows = items.after === undefined ? "" : ` WINDOW ${items.after}`
  switch (operator) {
    case "WHERE":
      // A window function in the condition filters as QUALIFY does.
      return /\bOVER\b/i.test(rest) ? `SELECT * FROM ${input} WHERE TRUE QUALIFY ${rest}` : `SELECT * FROM ${input} WHERE ${rest}`
    case "SELECT":
      return `SELECT ${items.before} FROM ${input}${windows}`
    case "EXTEND":
    case "WINDOW":
      return `SELECT *, ${items.before} FROM ${input}${windows}`
    case "SET": {
      // `|> SET a = x, b = y`: each column replaced where it stands.
      const assignments = topLevelParts(rest).map((part) => /^(`[^`]+`|\w+)\s*=\s*([\s\S]+)$/.exec(part))
      if (assignments.some((assignment) => assignment === null)) return { unsupported: "|> SET of a field path" }
      return `SELECT * REPLACE (${assignments.map((assignment) => `${assignment![2]} AS ${assignment![1]}`).join(", ")}) FROM ${input}`
    }
    case "RENAME": {
      // `|> RENAME a AS b`: DuckDB's `* RENAME` keeps each column where it stands, which polyglot
      // does not read: carried through as EXCEPT names (see PIPE_RENAME_MARKER).
      const renames = topLevelParts(rest).map((part) => /^(\w+)\s+(?:AS\s+)?(\w+)$/i.exec(part))
      if (renames.length === 0 || renames.some((names) => names === null || names[1]!.includes("__") || names[2]!.includes("__"))) return { unsupported: "|> RENAME of a quoted name or a path" }
      return `SELECT * EXCEPT (${renames.map((names) => `${PIPE_RENAME_MARKER}${names![1]}__to__${names![2]}`).join(", ")}) FROM ${input}`
    }
    case "ORDER":
      return `SELECT * FROM ${input} ORDER ${rest}`
    case "LIMIT":
      return `SELECT * FROM ${input} LIMIT ${rest}`
    case "DROP":
      return `SELECT * EXCEPT (${rest}) FROM ${input}`
    case "AS":
      return `SELECT * FROM (${query}) AS ${rest}`
    case "DISTINCT":
      return `SELECT DISTINCT * FROM ${input}`
    case "PIVOT":
    case "UNPIVOT":
    case "TABLESAMPLE":
      return `SELECT * FROM ${input} ${operator} ${rest}`
    case "UNION":
    case "INTERSECT":
    case "EXCEPT": {
      // `|> UNION ALL (q1), (q2)`: the query so far, then each input; BY NAME and its FULL mode
      // (the caller takes the FULL [OUTER] off) as in a query (runner/set-operations-by-name.ts);
      // the LEFT and INNER modes, CORRESPONDING and a column list are not rewritten.
      const mode = /^((?:ALL|DISTINCT)(?:\s+BY\s+NAME(?!\s+ON\b))?)\b\s*([\s\S]*)$/i.exec(rest)
      if (mode === null) return { unsupported: `|> ${operator} ${rest.split(/\s+/).slice(0, 2).join(" ")}` }
      const inputs = topLevelParts(mode[2]!)
      if (inputs.length === 0 || inputs.some((part) => !part.startsWith("("))) return { unsupported: `|> ${operator} ${mode[1]!.toUpperCase()} ${mode[2]!.split(/[\s(]+/).slice(0, 2).join(" ").toUpperCase()}` }
      const prefix = fullMode ? "FULL " : ""
      return `SELECT * FROM ${input} ${inputs.map((part) => `${prefix}${operator} ${mode[1]!.toUpperCase().replace(/\s+/g, " ")} ${asSelect(part)}`).join(" ")}`
    }
    case "AGGREGATE": {
      // `|> AGGREGATE aggregates [GROUP [AND ORDER] BY keys]`: the keys first, then the aggregates;
      // a key with ASC or DESC, or every key under GROUP AND ORDER BY, also orders the output.
      const grouping = /\bGROUP\s+(AND\s+ORDER\s+)?BY\b/i.exec(rest)
      if (grouping === null) return `SELECT ${rest} FROM ${input}`
      const aggregates = rest.slice(0, grouping.index).trim()
      const orderAll = grouping[1] !== undefined
      const keys = topLevelParts(rest.slice(grouping.index + grouping[0].length)).map((key) => {
        const direction = /\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?$/i.exec(key)
        const expression = direction === null ? key : key.slice(0, direction.index).trim()
        const alias = /\s+AS\s+(`[^`]+`|\w+)$/i.exec(expression)
        const value = alias === null ? expression : expression.slice(0, alias.index).trim()
        return { expression, value, name: alias?.[1] ?? value, order: direction === null ? (orderAll ? "ASC" : undefined) : direction[0].trim() }
      })
      const ordered = keys.filter((key) => key.order !== undefined)
      return `SELECT ${keys.map((key) => key.expression).join(", ")}${aggregates === "" ? "" : `, ${aggregates}`} FROM ${input} GROUP BY ${keys.map((key) => key.value).join(", ")}${ordered.length === 0 ? "" : ` ORDER BY ${ordered.map((key) => `${key.name} ${key.order}`).join(", ")}`}`
    }
    default:
      if (JOIN_STARTS.has(operator)) return `SELECT * FROM ${input} ${operator} ${rest}`
      return { unsupported: `|> ${operator}` }
  }
}

/**
 * Pipe syntax rewritten into nested SELECTs, at every parenthesis level. A pipe operator the
 * rewrite does not know is returned as `unsupported` for the caller to refuse by name.
 */
const pipeAt = (tokens: ReadonlyArray<Token>, i: number): boolean => tokens[i]!.text === "|" && tokens[i + 1]?.text === ">"

export const withoutPipes = (sql: string, counter = { n: 0 }): string | { readonly unsupported: string } => {
  if (!sql.includes("|>")) return sql
  const tokens = tokenize(sql, "bigquery")
  if (!tokens.some((_, i) => pipeAt(tokens, i))) return sql
  // Innermost groups first: the first group to close with a pipe inside is one.
  const opens: Array<number> = []
  for (let i = 0; i < tokens.length; i++) {
    const text = tokens[i]!.text
    if (text === "(") opens.push(i)
    if (text !== ")") continue
    const open = opens.pop()
    if (open === undefined) continue
    if (!tokens.slice(open + 1, i).some((_, k) => pipeAt(tokens, open + 1 + k))) continue
    const inner = render(tokens.slice(open + 1, i))
    const rewritten = withoutPipes(inner, counter)
    if (typeof rewritten !== "string") return rewritten
    return withoutPipes(render(tokens.slice(0, open + 1)) + rewritten + render(tokens.slice(i)), counter)
  }
  // The top level: split at `|>` (a `|` then `>`).
  const segments: Array<string> = []
  let current: Array<Token> = []
  for (let i = 0; i < tokens.length; i++) {
    if (pipeAt(tokens, i)) {
      segments.push(render(current).trim())
      current = []
      i++
      continue
    }
    // A comment as a space: a line comment would swallow what the rewrite writes after it.
    current.push(tokens[i]!.kind === "comment" ? { ...tokens[i]!, text: " " } : tokens[i]!)
  }
  segments.push(render(current).trim())
  if (segments.length === 1) return sql
  const startsWithFrom = /^FROM\b/i.test(segments[0]!)
  let query = startsWithFrom ? `SELECT * ${segments[0]}` : segments[0]!
  let from = startsWithFrom ? segments[0]!.replace(/^FROM\s+/i, "") : undefined
  let alias: string | undefined
  // `|> WITH name AS (…), …`: tables for the operators after it, defined around the whole query.
  const tables: Array<string> = []
  for (const written of segments.slice(1)) {
    // `|> FULL [OUTER] INTERSECT DISTINCT BY NAME (…)`: the mode goes with the operator's step.
    const fullMode = /^(?:FULL\s+(?:OUTER\s+)?|OUTER\s+)(?=(?:UNION|INTERSECT|EXCEPT)\s+(?:ALL|DISTINCT)\s+BY\s+NAME\b)/i.exec(written)
    const segment = fullMode === null ? written : written.slice(fullMode[0].length)
    const match = /^(\w+)\b\s*([\s\S]*)$/.exec(segment)
    if (match === null) return { unsupported: `|> ${segment.slice(0, 20)}` }
    const operator = match[1]!.toUpperCase()
    const rest = match[2]!.trim()
    if (operator === "WITH") {
      if (/^RECURSIVE\b/i.test(rest)) return { unsupported: "|> WITH RECURSIVE" }
      tables.push(rest.replace(/,$/, "").replace(/\bAS\s*\(\s*FROM\b/gi, "AS (SELECT * FROM"))
      continue
    }
    const step = pipeStep(query, from, alias, operator, rest, ++counter.n, fullMode !== null)
    if (typeof step !== "string") return step
    alias = operator === "AS" ? rest : ALIAS_KEEPING.has(operator) ? alias : undefined
    from = operator === "AS" ? `(${query}) AS ${rest}` : from !== undefined && JOIN_STARTS.has(operator) ? `${from} ${segment}` : undefined
    query = step
  }
  return tables.length === 0 ? query : `WITH ${tables.join(", ")} ${query}`
}

const QUERY_CLAUSE_ENDS = new Set(["HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT"])

const isNamePart = (token: Token | undefined): boolean => token?.kind === "word" || token?.kind === "quoted"

const unquoted = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1) : token.text).toLowerCase()

// BigQuery's reserved keywords (lexical structure): none of them is an alias written without AS.
const RESERVED = new Set(
  ("ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT " +
    "EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH HAVING IF IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP " +
    "MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE " +
    "THEN TO TREAT TRUE UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN").split(" ")
)

/**
 * A SELECT item's output name and how many of its tokens make the expression named: `expr AS
 * name`, `expr name` (BigQuery needs no AS), or a path `a.b` (named `b`). Undefined for a bare
 * name, a star or anything else.
 */
const namedOutput = (item: ReadonlyArray<Token>): { readonly name: string; readonly length: number } | undefined => {
  const last = item[item.length - 1]
  if (item.length < 2 || !isNamePart(last)) return undefined
  const name = unquoted(last!)
  const before = item[item.length - 2]!
  if (upper(before) === "AS") return item.length >= 3 ? { name, length: item.length - 2 } : undefined
  if (before.text === ".") return isPath(item) ? { name, length: item.length } : undefined
  // Without AS: after a closing bracket, a literal, END or a name; not a keyword's operand
  // (`OVER w`, `IS NULL`) nor an interval's part (`INTERVAL 1 DAY`).
  if (last!.kind === "word" && RESERVED.has(upper(last))) return undefined
  const follows = before.text === ")" || before.text === "]" || before.kind === "string" || before.kind === "number" || before.kind === "quoted" || (before.kind === "word" && (upper(before) === "END" || !RESERVED.has(upper(before))))
  return follows && !item.some((part) => upper(part) === "INTERVAL") ? { name, length: item.length - 1 } : undefined
}

const isPath = (parts: ReadonlyArray<Token>): boolean => parts.every((part, i) => (i % 2 === 0 ? isNamePart(part) : part.text === "."))

/**
 * `SELECT DATE(created_at) AS created_at … GROUP BY created_at`: BigQuery reads a GROUP BY name
 * that a SELECT item outputs as that item ("aliases override names in the FROM clause"); DuckDB
 * reads the FROM clause's column first, so it grouped by the timestamp and returned a row per
 * instant, not per day, and failed where two joined tables have the column. A bare GROUP BY name
 * (also inside ROLLUP, CUBE and GROUPING SETS) that a SELECT item outputs becomes that item's
 * expression, unless the item is the bare name itself. So does a bare ORDER BY name of a SELECT AS
 * STRUCT (`SELECT AS STRUCT e.key, … GROUP BY key ORDER BY key`), which runs before the SELECT
 * AS STRUCT becomes one STRUCT value whose fields DuckDB cannot read by name.
 *
 * Run again on polyglot's DuckDB SQL (`dialect` "duckdb"): given an ORDER BY, polyglot writes a
 * GROUP BY expression that a SELECT item outputs as that item's alias (`GROUP BY DATE(created_at)`
 * → `GROUP BY created_at`), which DuckDB reads as the FROM clause's column of that name: a row per
 * instant instead of per day, or an ambiguous name across a join.
 */
export const groupByOutputNames = (sql: string, dialect: Dialect = "bigquery"): string => {
  if (!/\bGROUP\s+BY\b/i.test(sql) && !/\bSELECT\s+AS\s+STRUCT\b[\s\S]*\bORDER\s+BY\b/i.test(sql)) return sql
  const tokens = tokenize(sql, dialect)
  const significant = indexed(tokens)
  const replaced = new Map<number, string>()
  const word = (at: number) => upper(significant[at]?.token)
  // Where a clause starting at `from` ends: at `ends`, a `;`, or the `)` closing its parenthesis.
  const clauseEnd = (from: number, ends: (at: number) => boolean): number => {
    let inner = 0
    for (let at = from; at < significant.length; at++) {
      const text = significant[at]!.token.text
      if (text === "(") inner++
      if (text === ")" && inner-- === 0) return at
      if (inner === 0 && (text === ";" || ends(at))) return at
    }
    return significant.length
  }
  // The clause's comma-separated items (commas inside parentheses are not theirs), as tokens.
  const items = (from: number, to: number): ReadonlyArray<ReadonlyArray<{ readonly token: Token; readonly index: number }>> => {
    const found: Array<Array<{ readonly token: Token; readonly index: number }>> = [[]]
    let inner = 0
    for (let at = from; at < to; at++) {
      const text = significant[at]!.token.text
      if (text === "(" || text === "[") inner++
      if (text === ")" || text === "]") inner--
      if (inner === 0 && text === ",") found.push([])
      else found[found.length - 1]!.push(significant[at]!)
    }
    return found
  }
  // Per open parenthesis: what the SELECT at that depth outputs, by name (a name output twice: undefined).
  const outputs: Array<Map<string, string | undefined>> = [new Map()]
  // The depths whose SELECT is a SELECT AS STRUCT.
  const structSelects = new Set<number>()
  let depth = 0
  const replaceName = (entry: { readonly token: Token; readonly index: number }) => {
    const expression = isNamePart(entry.token) ? outputs[depth]?.get(unquoted(entry.token)) : undefined
    if (expression !== undefined) replaced.set(entry.index, expression)
  }
  let k = 0
  while (k < significant.length) {
    const { token } = significant[k]!
    if (token.text === "(") {
      depth++
      outputs[depth] = new Map()
      structSelects.delete(depth)
    } else if (token.text === ")") {
      depth = Math.max(0, depth - 1)
    } else if (word(k) === "SELECT") {
      const names = new Map<string, string | undefined>()
      outputs[depth] = names
      if (word(k + 1) === "AS" && word(k + 2) === "STRUCT") structSelects.add(depth)
      else structSelects.delete(depth)
      // A SELECT without FROM ends at the next clause; `* EXCEPT (…)` is no set operator.
      const end = clauseEnd(k + 1, (at) => word(at) === "FROM" || (QUERY_CLAUSE_ENDS.has(word(at)) && significant[at - 1]?.token.text !== "*"))
      for (const entry of items(k + 1, end)) {
        // `SELECT DISTINCT a`, `SELECT AS STRUCT a`: the first item starts after the modifier.
        const modifier = ["DISTINCT", "ALL"].includes(upper(entry[0]?.token)) ? 1 : upper(entry[0]?.token) === "AS" && ["STRUCT", "VALUE"].includes(upper(entry[1]?.token)) ? 2 : 0
        const item = entry.slice(modifier)
        const output = namedOutput(item.map(({ token: part }) => part))
        if (output === undefined) continue
        const expression = item.slice(0, output.length)
        const isItself = expression.length === 1 && unquoted(expression[0]!.token) === output.name
        const path = isPath(expression.map(({ token: part }) => part))
        // As written (comments and line breaks kept), in brackets unless it is a column.
        const text = render(tokens.slice(expression[0]!.index, expression[expression.length - 1]!.index + 1))
        names.set(output.name, names.has(output.name) || isItself ? undefined : path ? text : `(${text})`)
      }
      // Subqueries of the SELECT list are read as well; each opens its own depth.
      k++
      continue
    } else if (word(k) === "ORDER" && word(k + 1) === "BY" && structSelects.has(depth)) {
      // A SELECT AS STRUCT's outputs are fields of one value, no columns DuckDB's ORDER BY could read by name.
      const end = clauseEnd(k + 2, (at) => QUERY_CLAUSE_ENDS.has(word(at)) && word(at) !== "ORDER")
      for (const item of items(k + 2, end)) {
        if (item.length === 1 || (item.length > 1 && ["ASC", "DESC", "NULLS"].includes(upper(item[1]!.token)))) replaceName(item[0]!)
      }
      k = end
      continue
    } else if (word(k) === "GROUP" && word(k + 1) === "BY") {
      const end = clauseEnd(k + 2, (at) => QUERY_CLAUSE_ENDS.has(word(at)))
      for (const item of items(k + 2, end)) {
        if (item.length === 1) replaceName(item[0]!)
        if (item.length > 2 && ["ROLLUP", "CUBE", "GROUPING"].includes(upper(item[0]!.token))) {
          // Inside ROLLUP (…), CUBE (…), GROUPING SETS (…): a name standing alone between brackets
          // and commas, as a key of its own (in a set's own brackets), not an argument of a call.
          const deepest = upper(item[0]!.token) === "GROUPING" ? 2 : 1
          for (let i = 1, level = 0; i < item.length - 1; i++) {
            const text = item[i]!.token.text
            if (text === "(") level++
            if (text === ")") level--
            const [previous, next] = [item[i - 1]!.token.text, item[i + 1]!.token.text]
            const call = previous === "(" && item[i - 2]?.token.kind === "word" && !["ROLLUP", "CUBE", "SETS"].includes(upper(item[i - 2]!.token))
            if (level <= deepest && !call && (previous === "(" || previous === ",") && (next === "," || next === ")")) replaceName(item[i]!)
          }
        }
      }
      k = end
      continue
    }
    k++
  }
  return replaced.size === 0 ? sql : tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63, "`": 96 }

/** The bytes of a BigQuery BYTES literal's body (escapes read unless raw). */
const literalBytes = (body: string, raw: boolean): Buffer => {
  if (raw) return Buffer.from(body, "utf8")
  const bytes: Array<number> = []
  for (let i = 0; i < body.length; i++) {
    // By code point: a character beyond the BMP is two UTF-16 units, one UTF-8 sequence.
    const char = String.fromCodePoint(body.codePointAt(i)!)
    if (char !== "\\") {
      bytes.push(...Buffer.from(char, "utf8"))
      i += char.length - 1
      continue
    }
    const next = body[i + 1] ?? ""
    if (/[xX]/.test(next)) {
      bytes.push(Number.parseInt(body.slice(i + 2, i + 4), 16))
      i += 3
    } else if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(body.slice(i + 1, i + 4), 8))
      i += 3
    } else {
      bytes.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0))
      i += 1
    }
  }
  return Buffer.from(bytes)
}

/**
 * `b'\xc2'`: a BYTES literal as FROM_HEX of its bytes. polyglot writes it as a DuckDB escape
 * string, which DuckDB refuses when the bytes are not valid UTF-8.
 */
export const bytesLiterals = (sql: string): string => {
  if (!/\b[bB][rR]?['"]|\b[rR][bB]['"]/.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  let changed = false
  const out = tokens.map((token) => {
    const match = token.kind === "string" ? /^([bB][rR]?|[rR][bB])('''|"""|'|")([\s\S]*)\2$/.exec(token.text) : null
    if (match === null) return token.text
    changed = true
    return `FROM_HEX('${literalBytes(match[3]!, /[rR]/.test(match[1]!)).toString("hex")}')`
  })
  return changed ? out.join("") : sql
}

/** Marks a STRUCT field assignment in UPDATE … SET, completed after the translation as struct_update. */
export const STRUCT_UPDATE_MARKER = "MDP_STRUCT_UPDATE__"

/**
 * `UPDATE t SET s.a = v, s.b.c = w WHERE …`: the fields of a STRUCT column, which DuckDB cannot set
 * by path, set through the column itself, `s = MDP_STRUCT_UPDATE__(…)` (one assignment per column,
 * nested fields in turn); a target qualified by the table's name or alias (`t.col = v`) loses the
 * qualifier, which DuckDB refuses.
 */
export const updatedStructFields = (sql: string): string => {
  if (!/\bUPDATE\b[\s\S]*\bSET\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  // Token ranges to replace (from, to inclusive) and their text.
  const edits: Array<{ readonly from: number; readonly to: number; readonly text: string }> = []
  for (let k = 0; k < significant.length; k++) {
    if (upper(significant[k]!.token) !== "UPDATE") continue
    let m = k + 1
    const target: Array<string> = []
    while (significant[m]?.token.kind === "word" || significant[m]?.token.kind === "quoted") {
      target.push(...partsOf(significant[m]!.token))
      m++
      if (significant[m]?.token.text !== ".") break
      m++
    }
    if (upper(significant[m]?.token) === "AS") m++
    const alias = upper(significant[m]?.token) !== "SET" && significant[m]?.token.kind === "word" ? significant[m]!.token.text : undefined
    if (alias !== undefined) m++
    if (target.length === 0 || upper(significant[m]?.token) !== "SET") continue
    const qualifiers = new Set([target[target.length - 1]!.toLowerCase(), ...(alias === undefined ? [] : [alias.toLowerCase()])])
    // The SET items: `path = value`, up to FROM, WHERE or the statement's end.
    const items: Array<{ readonly column: string; readonly fields: ReadonlyArray<string>; readonly value: string; readonly from: number; readonly to: number; readonly comma?: number }> = []
    let itemStart = m + 1
    let depth = 0
    for (let j = m + 1; j <= significant.length; j++) {
      const token = significant[j]?.token
      const atEnd = token === undefined || (depth === 0 && (token.text === "," || token.text === ";" || ["FROM", "WHERE"].includes(upper(token))))
      if (!atEnd) {
        if (token.text === "(" || token.text === "[") depth++
        if (token.text === ")" || token.text === "]") depth--
        continue
      }
      const equals = significant.slice(itemStart, j).findIndex(({ token: t }) => t.text === "=")
      if (equals > 0) {
        const path = significant.slice(itemStart, itemStart + equals).filter(({ token: t }) => t.text !== ".").flatMap(({ token: t }) => partsOf(t))
        const [column, ...fields] = path.length > 1 && qualifiers.has(path[0]!.toLowerCase()) ? path.slice(1) : path
        items.push({
          column: column!,
          fields,
          value: render(tokens.slice(significant[itemStart + equals + 1]!.index, significant[j - 1]!.index + 1)),
          from: significant[itemStart]!.index,
          to: significant[j - 1]!.index,
          ...(itemStart > m + 1 ? { comma: significant[itemStart - 1]!.index } : {})
        })
      }
      if (token === undefined || token.text !== ",") break
      itemStart = j + 1
    }
    const changed = items.filter((item) => item.fields.length > 0 || qualifiers.has(item.column.toLowerCase()) === false)
    for (const column of new Set(items.filter((item) => item.fields.length > 0).map((item) => item.column.toLowerCase()))) {
      const own = items.filter((item) => item.column.toLowerCase() === column)
      const assign = (owner: string, fields: ReadonlyArray<string>, value: string): string =>
        fields.length === 0 ? value : `${STRUCT_UPDATE_MARKER}(${owner}, '${fields[0]}', ${assign(`${owner}.${quotePart(fields[0]!)}`, fields.slice(1), value)})`
      const composed = own.reduce((owner, item) => assign(owner, item.fields, item.value), quotePart(own[0]!.column))
      edits.push({ from: own[0]!.from, to: own[0]!.to, text: `${quotePart(own[0]!.column)} = ${composed}` })
      for (const item of own.slice(1)) edits.push({ from: item.comma ?? item.from, to: item.to, text: "" })
    }
    // A column qualified by the table: `t.col = v` as `col = v`.
    for (const item of changed) {
      if (item.fields.length > 0) continue
      const written = significant.filter(({ index }) => index >= item.from && index <= item.to)
      if (written[1]?.token.text === "." && qualifiers.has(partsOf(written[0]!.token)[0]!.toLowerCase())) edits.push({ from: item.from, to: item.to, text: `${quotePart(item.column)} = ${item.value}` })
    }
  }
  if (edits.length === 0) return sql
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const edit = edits.find((candidate) => candidate.from === i)
    if (edit === undefined) {
      out.push(tokens[i]!.text)
      continue
    }
    out.push(edit.text)
    i = edit.to
  }
  return out.join("")
}

/**
 * A templated SQL function's `x ANY TYPE` parameters as untyped ones: the function becomes a DuckDB
 * macro, which takes any type as BigQuery's templated function does.
 */
export const templatedParameters = (sql: string): string => {
  if (!/\bANY\s+TYPE\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const dropped = new Set<number>()
  significant.forEach(({ token }, k) => {
    if (upper(token) !== "ANY" || upper(significant[k + 1]?.token) !== "TYPE") return
    for (let i = significant[k - 1]!.index + 1; i <= significant[k + 1]!.index; i++) dropped.add(i)
  })
  return dropped.size === 0 ? sql : tokens.map((token, index) => (dropped.has(index) ? "" : token.text)).join("")
}

/**
 * `CREATE MATERIALIZED VIEW` as a view (its rows are the query's, refreshed or not), and `CREATE
 * TABLE t COPY|CLONE source` as a copy of the source's rows (a clone shares storage in BigQuery,
 * not rows that differ).
 */
export const viewsAndCopies = (sql: string): string => {
  if (!/\b(MATERIALIZED|COPY|CLONE)\b/i.test(sql)) return sql
  return sql
    .replace(/\bCREATE(\s+OR\s+REPLACE)?\s+MATERIALIZED\s+VIEW\b/gi, (_, replace: string | undefined) => `CREATE${replace ?? ""} VIEW`)
    // A snapshot is a read-only copy: locally, a copy.
    .replace(/\b(CREATE(?:\s+OR\s+REPLACE)?\s+(?:SNAPSHOT\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?\s+(`[^`]+`|[\w.-]+))\s+(?:COPY|CLONE)\s+(`[^`]+`|[\w.-]+)/gi, (_, head: string, _name: string, source: string) => `${head.replace(/\s+SNAPSHOT\b/i, "")} AS SELECT * FROM ${source}`)
}

/** A STRING literal's body with its escapes read: \n, \xHH, \uHHHH, \UHHHHHHHH, \ooo (octal), \' and the rest. */
export const decodeStringEscapes = (body: string): string => {
  let out = ""
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!
    if (char !== "\\") {
      out += char
      continue
    }
    const next = body[i + 1] ?? ""
    // The digits after the escape letter (or, for octal, the three digits themselves) and their base.
    const code = /[xX]/.test(next) ? { from: i + 2, length: 2, base: 16 } : next === "u" ? { from: i + 2, length: 4, base: 16 } : next === "U" ? { from: i + 2, length: 8, base: 16 } : /^[0-7]{3}$/.test(body.slice(i + 1, i + 4)) ? { from: i + 1, length: 3, base: 8 } : undefined
    if (code !== undefined) {
      out += String.fromCodePoint(Number.parseInt(body.slice(code.from, code.from + code.length), code.base))
      i = code.from + code.length - 1
    } else {
      out += String.fromCharCode(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0))
      i += 1
    }
  }
  return out
}

/**
 * Raw literals (`r'…'`, `rb'…'`) holding a backslash before a quote or at their end (`r'\\'`,
 * `r'it\'s'`): BigQuery keeps both characters and the quote does not end the literal, where
 * polyglot's tokenizer ends it there. Written as the same text in a literal with escapes.
 */
export const rawStringsPolyglotMisreads = (sql: string): string => {
  if (!/[rRbB]{1,2}['"][\s\S]*\\/.test(sql)) return sql
  let changed = false
  const out = tokenize(sql, "bigquery").map((token) => {
    const match = token.kind === "string" ? /^([rR][bB]?|[bB][rR])('''|"""|'|")([\s\S]*)\2$/.exec(token.text) : null
    if (match === null || !/\\['"]|\\$/.test(match[3]!)) return token.text
    changed = true
    const bytes = /[bB]/.test(match[1]!) ? "b" : ""
    const quote = match[2]!
    return `${bytes}${quote}${match[3]!.replaceAll("\\", "\\\\").replaceAll(quote[0]!, `\\${quote[0]}`)}${quote}`
  })
  return changed ? out.join("") : sql
}

/**
 * STRING literals with \u, \U, \X, octal, \? or \` escapes, which polyglot leaves as written: the characters
 * themselves (quotes, backslashes and control characters escaped again, as polyglot reads them).
 */
export const stringEscapes = (sql: string): string => {
  if (!/\\(u|U|X|\?|`|[0-7]{3})/.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  let changed = false
  const out = tokens.map((token) => {
    const match = token.kind === "string" ? /^('''|"""|'|")([\s\S]*)\1$/.exec(token.text) : null
    if (match === null || !/\\(u|U|X|\?|`|[0-7]{3})/.test(match[2]!)) return token.text
    changed = true
    const quote = match[1]!
    const body = [...decodeStringEscapes(match[2]!)]
      .map((c) => (c === "\\" || c === quote[0] ? `\\${c}` : c.charCodeAt(0) < 0x20 || c === "\x7f" ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c))
      .join("")
    return `${quote}${body}${quote}`
  })
  return changed ? out.join("") : sql
}

const SELECTED_ROW = "mdp_selected_row__"

/**
 * Where a parenthesized query going on from `from` ends: the significant index of its `)` or of the
 * set operator after it, and of its ORDER BY or LIMIT when it has one.
 */
const queryEnd = (significant: ReadonlyArray<{ readonly token: Token; readonly index: number }>, from: number): { readonly close: number; readonly ordering: number | undefined } | undefined => {
  let depth = 0
  let ordering: number | undefined
  for (let k = from; k < significant.length; k++) {
    const t = significant[k]!.token.text
    const word = upper(significant[k]!.token)
    const next = upper(significant[k + 1]?.token)
    if (t === "(" || t === "[") depth++
    else if (t === ")" || t === "]") {
      if (depth === 0) return { close: k, ordering }
      depth--
    } else if (depth === 0 && (word === "UNION" || word === "INTERSECT" || (word === "EXCEPT" && (next === "DISTINCT" || next === "ALL")))) return ordering === undefined ? { close: k, ordering } : undefined
    else if (depth === 0 && ordering === undefined && ((word === "ORDER" && next === "BY") || word === "LIMIT")) ordering = k
  }
  return undefined
}

/**
 * The edits that make an ORDER BY read the columns of the query it follows from outside it
 * (`t.a DESC` → `a DESC`); undefined when an item is more than a column name.
 */
const orderByOutputColumns = (significant: ReadonlyArray<{ readonly token: Token; readonly index: number }>, from: number, close: number): ReadonlyMap<number, string> | undefined => {
  const edits = new Map<number, string>()
  if (upper(significant[from]?.token) === "LIMIT") return edits
  let k = from + 2
  for (;;) {
    // name (. name)*, then ASC/DESC and NULLS FIRST/LAST.
    const parts: Array<number> = []
    while (k < close && (significant[k]!.token.kind === "word" || significant[k]!.token.kind === "quoted") && !["ASC", "DESC", "NULLS", "LIMIT"].includes(upper(significant[k]!.token))) {
      parts.push(k)
      if (significant[k + 1]?.token.text !== ".") break
      k += 2
    }
    if (parts.length === 0) return undefined
    for (let part = parts[0]!; part < parts[parts.length - 1]!; part++) edits.set(significant[part]!.index, "")
    k = parts[parts.length - 1]! + 1
    while (k < close && ["ASC", "DESC", "NULLS", "FIRST", "LAST"].includes(upper(significant[k]!.token))) k++
    if (k >= close || upper(significant[k]!.token) === "LIMIT") return edits
    if (significant[k]!.token.text !== ",") return undefined
    k++
  }
}

/**
 * `SELECT AS STRUCT a, b AS c` and, in parentheses, `SELECT AS VALUE x`, which polyglot passes
 * through (it reads SELECT AS STRUCT only inside ARRAY(…), and not there once the ARRAY is indexed,
 * `ARRAY(SELECT AS STRUCT …)[OFFSET(0)]`): the row as `STRUCT(a, b AS c)`, the
 * value as the only column; in parentheses, a SELECT AS STRUCT with `*` as the row of the query
 * without AS STRUCT. Polyglot reads `t.*` alone. A value table of STRUCTs read as a table
 * (`FROM (SELECT AS VALUE …)`, a CTE's body) has the STRUCT's fields as its columns.
 */
// Words that end an expression (so are not an alias after it), and operators before an operand.
const NOT_AN_ALIAS: ReadonlySet<string> = new Set(["END", "NULL", "TRUE", "FALSE", "AS", "ASC", "DESC"])
const OPERATOR_WORDS: ReadonlySet<string> = new Set(["IS", "NOT", "AND", "OR", "LIKE", "IN", "BETWEEN", "INTERVAL", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "STRUCT"])

const VALUE_ROW = "mdp_value_row"

export const selectAsStructOrValue = (sql: string): string => {
  if (!/\bSELECT\s+AS\s+(STRUCT|VALUE)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = indexed(tokens)
  const word = (k: number) => upper(significant[k]?.token)
  const text = (k: number) => significant[k]?.token.text ?? ""
  const edits = new Map<number, string>()
  for (let k = 0; k < significant.length; k++) {
    if (word(k) !== "SELECT" || word(k + 1) !== "AS" || (word(k + 2) !== "STRUCT" && word(k + 2) !== "VALUE")) continue
    const inParentheses = text(k - 1) === "("
    if (word(k + 2) === "VALUE") {
      if (!inParentheses) continue
      edits.set(significant[k + 1]!.index, "")
      edits.set(significant[k + 2]!.index, "")
      // Read as a table (FROM, JOIN, a CTE's body): a value table of STRUCTs, whose columns are
      // the STRUCT's fields: `(SELECT row.* FROM (SELECT value AS row …))`.
      const before = word(k - 2)
      const asTable = before === "FROM" || before === "JOIN" || (before === "AS" && significant[k - 3]?.token.kind !== "string" && (text(k - 4) === "," || word(k - 4) === "WITH" || word(k - 4) === "RECURSIVE"))
      if (!asTable) continue
      let depth = 0
      let itemEnd = -1
      let close = -1
      for (let j = k + 3; j < significant.length; j++) {
        const t = text(j)
        if (t === "(" || t === "[") depth++
        else if (t === ")" || t === "]") {
          if (depth === 0) {
            if (itemEnd < 0) itemEnd = j - 1
            close = j
            break
          }
          depth--
        } else if (depth === 0 && itemEnd < 0 && (word(j) === "FROM" || CLAUSES_AFTER_FROM.has(word(j)))) itemEnd = j - 1
      }
      if (close < 0 || itemEnd < k + 3) continue
      edits.set(significant[k - 1]!.index, `(SELECT ${VALUE_ROW}.* FROM (`)
      edits.set(significant[itemEnd]!.index, `${text(itemEnd)} AS ${VALUE_ROW}`)
      edits.set(significant[close]!.index, "))")
      continue
    }
    // Read as a table (FROM, JOIN, a CTE's body): the STRUCT's fields are its columns, as a plain SELECT's.
    const readAsTable = inParentheses && (word(k - 2) === "FROM" || word(k - 2) === "JOIN" || (word(k - 2) === "AS" && significant[k - 3]?.token.kind !== "string" && (text(k - 4) === "," || word(k - 4) === "WITH" || word(k - 4) === "RECURSIVE")))
    if (readAsTable) {
      edits.set(significant[k + 1]!.index, "")
      edits.set(significant[k + 2]!.index, "")
      continue
    }
    // The select list ends at its clause's next keyword, or where its parentheses close.
    let depth = 0
    let end = k + 3
    let star = false
    let bareStar = false
    for (; end < significant.length; end++) {
      const t = text(end)
      if (t === "(" || t === "[") depth++
      else if (t === ")" || t === "]") {
        if (depth === 0) break
        depth--
      } else if (depth === 0 && (word(end) === "FROM" || CLAUSES_AFTER_FROM.has(word(end)) || t === ";")) break
      // A star item (`*`, `t.*`), not a product.
      else if (depth === 0 && t === "*" && (end === k + 3 || text(end - 1) === "," || text(end - 1) === ".")) {
        star = true
        bareStar ||= text(end - 1) !== "."
      }
    }
    // `(SELECT AS STRUCT * … )`: the query's row, read through an alias of it as a subquery
    // (DuckDB packs a table alias's columns into a STRUCT). Polyglot reads `t.*` alone.
    // Its ORDER BY and LIMIT stay outside, where DuckDB keeps the order (not in a FROM subquery).
    // A later query of a set operation too, whose ORDER BY would be the whole operation's.
    const setOperand = ["ALL", "DISTINCT"].includes(word(k - 1)) && ["UNION", "INTERSECT", "EXCEPT"].includes(word(k - 2))
    if (bareStar && (inParentheses || setOperand)) {
      const query = queryEnd(significant, end)
      const ordering = query?.ordering === undefined ? new Map<number, string>() : setOperand ? undefined : orderByOutputColumns(significant, query.ordering, query.close)
      if (query === undefined || ordering === undefined) continue
      edits.set(significant[k + 1]!.index, `${SELECTED_ROW} FROM (SELECT`)
      edits.set(significant[k + 2]!.index, "")
      for (const [index, text] of ordering) edits.set(index, text)
      const outside = query.ordering ?? query.close
      edits.set(significant[outside]!.index, `) AS ${SELECTED_ROW} ${significant[outside]!.token.text}`)
      continue
    }
    if (star || end === k + 3) continue
    // An item aliased without AS (`1 a`): STRUCT(…) needs the AS.
    for (let item = k + 3, level = 0, j = k + 3; j <= end; j++) {
      const t = text(j)
      if (j < end && (t === "(" || t === "[")) level++
      else if (j < end && (t === ")" || t === "]")) level--
      else if (j === end || (level === 0 && t === ",")) {
        const last = significant[j - 1]?.token
        const before = significant[j - 2]?.token
        const aliased =
          j - 1 > item && last !== undefined && before !== undefined && (last.kind === "word" || last.kind === "quoted") && !NOT_AN_ALIAS.has(upper(last)) &&
          (["number", "string", "quoted"].includes(before.kind) || before.text === ")" || before.text === "]" || (before.kind === "word" && !NOT_AN_ALIAS.has(upper(before)) && !OPERATOR_WORDS.has(upper(before))))
        if (aliased) edits.set(significant[j - 1]!.index, `AS ${last.text}`)
        item = j + 1
      }
    }
    edits.set(significant[k + 1]!.index, "")
    edits.set(significant[k + 2]!.index, "STRUCT(")
    edits.set(significant[end - 1]!.index, `${edits.get(significant[end - 1]!.index) ?? text(end - 1)})`)
    k = end - 1
  }
  if (edits.size === 0) return sql
  return tokens.map((token, index) => edits.get(index) ?? token.text).join("")
}
