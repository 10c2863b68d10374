/**
 * A small SQL lexer and a function-call rewriter, enough to repair translations token by token
 * without touching string literals, quoted identifiers or comments. It is not a parser: it knows
 * words, literals, punctuation and balanced parentheses, nothing of grammar.
 */

export type TokenKind = "space" | "comment" | "string" | "quoted" | "word" | "number" | "punct"

export interface Token {
  readonly kind: TokenKind
  readonly text: string
}

export type Dialect = "bigquery" | "duckdb"

const isWordStart = (c: string): boolean => /[A-Za-z_]/.test(c)
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c)

/** BigQuery: `'…'`, `"…"`, triple quotes and r/b prefixes are strings, backticks identifiers, `#` a comment. DuckDB: `"…"` is an identifier. */
export const tokenize = (sql: string, dialect: Dialect): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  const readQuoted = (start: number, quote: string, escapes: boolean): number => {
    const triple = dialect === "bigquery" && sql.startsWith(quote.repeat(3), start)
    const closer = triple ? quote.repeat(3) : quote
    let j = start + closer.length
    while (j < sql.length) {
      if (escapes && sql[j] === "\\") {
        j += 2
        continue
      }
      if (sql.startsWith(closer, j)) {
        // DuckDB and standard SQL escape a quote by doubling it.
        if (!triple && dialect === "duckdb" && sql[j + 1] === quote) {
          j += 2
          continue
        }
        return j + closer.length
      }
      j++
    }
    return sql.length
  }
  while (i < sql.length) {
    const c = sql[i]!
    const next = sql[i + 1] ?? ""
    let end: number
    let kind: TokenKind
    if (/\s/.test(c)) {
      end = i + 1
      while (end < sql.length && /\s/.test(sql[end]!)) end++
      kind = "space"
    } else if ((c === "-" && next === "-") || (c === "#" && dialect === "bigquery")) {
      end = sql.indexOf("\n", i)
      end = end < 0 ? sql.length : end
      kind = "comment"
    } else if (c === "/" && next === "*") {
      end = sql.indexOf("*/", i + 2)
      end = end < 0 ? sql.length : end + 2
      kind = "comment"
    } else if (dialect === "bigquery" && /[rRbB]/.test(c) && (next === "'" || next === '"' || (/[rRbB]/.test(next) && /['"]/.test(sql[i + 2] ?? "")))) {
      const prefixLength = /['"]/.test(next) ? 1 : 2
      // A raw literal keeps its backslashes, but one still takes the next character with it: r'it\'s' is one literal.
      end = readQuoted(i + prefixLength, sql[i + prefixLength]!, true)
      kind = "string"
    } else if (c === "'") {
      end = readQuoted(i, "'", dialect === "bigquery")
      kind = "string"
    } else if (c === '"') {
      end = readQuoted(i, '"', dialect === "bigquery")
      kind = dialect === "bigquery" ? "string" : "quoted"
    } else if (c === "`") {
      end = sql.indexOf("`", i + 1)
      end = end < 0 ? sql.length : end + 1
      kind = "quoted"
    } else if (isWordStart(c)) {
      end = i + 1
      while (end < sql.length && isWordPart(sql[end]!)) end++
      kind = "word"
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next))) {
      end = i + 1
      while (end < sql.length && /[0-9.eE]/.test(sql[end]!)) {
        end++
        // An exponent's sign belongs to the number: 1e-7, 2.5E+3.
        if (/[eE]/.test(sql[end - 1]!) && (sql[end] === "-" || sql[end] === "+") && /[0-9]/.test(sql[end + 1] ?? "")) end++
      }
      kind = "number"
    } else {
      end = i + 1
      kind = "punct"
    }
    tokens.push({ kind, text: sql.slice(i, end) })
    i = end
  }
  return tokens
}

export const render = (tokens: ReadonlyArray<Token>): string => tokens.map((token) => token.text).join("")

/** The tokens' text with each span (from its first token's index to `end`) replaced by its text. */
export const withSpansReplaced = (tokens: ReadonlyArray<Token>, spans: ReadonlyMap<number, { readonly end: number; readonly text: string }>): string => {
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const span = spans.get(i)
    if (span === undefined) out.push(tokens[i]!.text)
    else {
      out.push(span.text)
      i = span.end
    }
  }
  return out.join("")
}

/** A list's items at top-level commas. */
export const splitTopLevel = (text: string): ReadonlyArray<string> => {
  const items: Array<string> = []
  let depth = 0
  let start = 0
  const tokens = tokenize(text, "bigquery")
  let at = 0
  for (const token of tokens) {
    if (token.text === "(" || token.text === "[") depth++
    if (token.text === ")" || token.text === "]") depth--
    if (token.text === "," && depth === 0) {
      items.push(text.slice(start, at))
      start = at + 1
    }
    at += token.text.length
  }
  items.push(text.slice(start))
  return items
}

/** The clauses of a query that may follow its FROM clause (a SELECT: the next query begins). */
export const CLAUSES_AFTER_FROM: ReadonlySet<string> = new Set(["WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "SELECT"])

/** Not whitespace nor a comment. */
export const isSignificant = (token: Token): boolean => token.kind !== "space" && token.kind !== "comment"

export const nextSignificant = (tokens: ReadonlyArray<Token>, from: number): number => {
  let i = from
  while (i < tokens.length && !isSignificant(tokens[i]!)) i++
  return i
}

/** Each token's depth in parentheses and brackets, a bracket itself counted at the depth outside it. */
export const depthsOf = (tokens: ReadonlyArray<Token>): ReadonlyArray<number> => {
  let depth = 0
  return tokens.map((token) => {
    if (token.kind === "punct" && (token.text === ")" || token.text === "]")) depth--
    const at = depth
    if (token.kind === "punct" && (token.text === "(" || token.text === "[")) depth++
    return at
  })
}

/** Index of the `)` closing the `(` at `open`, or -1. */
export const matchingParen = (tokens: ReadonlyArray<Token>, open: number): number => {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]!.text
    if (tokens[i]!.kind !== "punct") continue
    if (text === "(" || text === "[") depth++
    else if (text === ")" || text === "]") {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

/** A function call found in the token stream: its (possibly dotted) name and argument texts. */
export interface Call {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly text: string
}

/** Returns the replacement text for a call, or undefined to leave it as it is. */
export type CallRewrite = (call: Call) => string | undefined

const splitArguments = (tokens: ReadonlyArray<Token>): ReadonlyArray<string> => {
  const args: Array<string> = []
  let depth = 0
  let current: Array<Token> = []
  for (const token of tokens) {
    // DuckDB's struct literal {'a': 1, 'b': 2} is one argument too.
    if (token.kind === "punct" && (token.text === "(" || token.text === "[" || token.text === "{")) depth++
    if (token.kind === "punct" && (token.text === ")" || token.text === "]" || token.text === "}")) depth--
    if (token.kind === "punct" && token.text === "," && depth === 0) {
      args.push(render(current).trim())
      current = []
    } else {
      current.push(token)
    }
  }
  if (current.some(isSignificant) || args.length > 0) args.push(render(current).trim())
  return args
}

/**
 * Rewrites calls to the named functions (upper-case keys, `SAFE.PARSE_DATE` style for dotted
 * names). Arguments are rewritten first, so nested calls compose.
 */
export const rewriteCalls = (sql: string, dialect: Dialect, rewrites: Readonly<Record<string, CallRewrite>>): string => {
  const tokens = tokenize(sql, dialect)
  const out: Array<string> = []
  let previous: Token | undefined
  let i = 0
  while (i < tokens.length) {
    const token = tokens[i]!
    if (token.kind === "word") {
      // A dotted name such as SAFE.PARSE_DATE: word . word (
      let name = token.text.toUpperCase()
      let nameEnd = i
      const dot = nextSignificant(tokens, i + 1)
      if (tokens[dot]?.text === "." && tokens[nextSignificant(tokens, dot + 1)]?.kind === "word") {
        const second = nextSignificant(tokens, dot + 1)
        const dotted = `${name}.${tokens[second]!.text.toUpperCase()}`
        if (rewrites[dotted] !== undefined) {
          name = dotted
          nameEnd = second
        }
      }
      const isMember = previous?.kind === "punct" && previous.text === "."
      const open = nextSignificant(tokens, nameEnd + 1)
      const rewrite = rewrites[name]
      if (rewrite !== undefined && !isMember && tokens[open]?.text === "(") {
        const close = matchingParen(tokens, open)
        if (close > open) {
          const inner = rewriteCalls(render(tokens.slice(open + 1, close)), dialect, rewrites)
          const args = splitArguments(tokenize(inner, dialect))
          const text = `${render(tokens.slice(i, open))}(${inner})`
          out.push(rewrite({ name, args, text }) ?? text)
          previous = tokens[close]
          i = close + 1
          continue
        }
      }
    }
    out.push(token.text)
    if (isSignificant(token)) previous = token
    i++
  }
  return out.join("")
}

/** The significant words of a SQL text, upper-cased, for construct checks. */
export const significantTokens = (sql: string, dialect: Dialect): ReadonlyArray<Token> =>
  tokenize(sql, dialect).filter(isSignificant)
