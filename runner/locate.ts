/**
 * Where in the model's own file an error is. DuckDB reports positions in the translated SQL and
 * polyglot in the compiled statement, neither of which the analyst wrote; both name a token and
 * its neighbours, and those tokens, compared without case or quotes, are found again in the
 * `.sqlx` (or `.js`) source. A token that cannot be placed unambiguously gives no location rather
 * than a wrong one.
 */
import { tokenize, type Dialect, type Token } from "./sql-tokens.ts"

export interface SourceLocation {
  /** 1-based, in the source file. */
  readonly line: number
  readonly column: number
  /** The lines around it with a caret under the token, for the terminal. */
  readonly frame: string
}

/** The token an error points at, with its neighbours, in the SQL the error speaks of. */
export interface ErrorPosition {
  readonly tokens: ReadonlyArray<Token>
  /** Index into `tokens` (significant tokens only) of the token the error points at. */
  readonly at: number
}

interface Placed {
  readonly token: Token
  readonly offset: number
}

const placed = (text: string, dialect: Dialect): ReadonlyArray<Placed> => {
  const out: Array<Placed> = []
  let offset = 0
  for (const token of tokenize(text, dialect)) {
    if (token.kind !== "space" && token.kind !== "comment") out.push({ token, offset })
    offset += token.text.length
  }
  return out
}

/** The token covering `offset` (or the first one after it). */
const tokenAt = (tokens: ReadonlyArray<Placed>, offset: number): number => {
  const covering = tokens.findIndex((t) => offset >= t.offset && offset < t.offset + t.token.text.length)
  if (covering >= 0) return covering
  return tokens.findIndex((t) => t.offset >= offset)
}

/**
 * DuckDB's `LINE n: <excerpt>` with a caret under the failing token. The excerpt is cut with `...`
 * at either end; the cut tokens are dropped.
 */
export const duckdbErrorPosition = (reason: string): ErrorPosition | undefined => {
  const lines = reason.split("\n")
  const index = lines.findIndex((line) => /^LINE \d+: /.test(line))
  if (index < 0) return undefined
  const prefix = /^LINE \d+: /.exec(lines[index]!)![0].length
  const caret = (lines[index + 1] ?? "").indexOf("^")
  if (caret < prefix) return undefined
  let excerpt = lines[index]!.slice(prefix)
  let offset = caret - prefix
  const cutStart = excerpt.startsWith("...")
  if (cutStart) {
    excerpt = excerpt.slice(3)
    offset -= 3
  }
  const cutEnd = excerpt.endsWith("...")
  if (cutEnd) excerpt = excerpt.slice(0, -3)
  const tokens = placed(excerpt, "duckdb")
  const at = tokenAt(tokens, offset)
  if (at < 0) return undefined
  const first = cutStart && at > 0 ? 1 : 0
  const last = cutEnd && at < tokens.length - 1 ? tokens.length - 1 : tokens.length
  return { tokens: tokens.slice(first, last).map((t) => t.token), at: at - first }
}

/** DuckDB's excerpt of the translated SQL, which is not what the analyst wrote: left out once the error is located. */
export const withoutDuckdbExcerpt = (reason: string): string =>
  reason
    .replace(/\n*LINE \d+: .*\n *\^ *(\n|$)/, "\n")
    .trimEnd()

/** A 1-based line and column of a statement, as polyglot reports a parse error. */
export const statementPosition = (statement: string, line: number, column: number): ErrorPosition | undefined => {
  const lines = statement.split("\n")
  if (line < 1 || line > lines.length) return undefined
  const offset = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + Math.max(0, column - 1)
  const tokens = placed(statement, "bigquery")
  // polyglot's column is the one just past the token it names.
  const ending = tokens.findIndex((t) => t.offset + t.token.text.length === offset)
  const at = ending >= 0 ? ending : tokenAt(tokens, offset)
  return at < 0 ? undefined : { tokens: tokens.map((t) => t.token), at }
}

const comparable = (token: Token): string => {
  if (token.kind === "word") return token.text.toLowerCase()
  if (token.kind === "quoted") return token.text.slice(1, -1).toLowerCase()
  if (token.kind === "string") return token.text.replace(/^[rRbB]*/, "").replace(/^("""|'''|"|')/, "").replace(/("""|'''|"|')$/, "")
  return token.text
}

/** The offset where a Dataform SQLX `config { … }` block ends (0 when there is none): its column docs are no SQL. */
const configEnd = (source: string): number => {
  const start = /^\s*config\s*\{/m.exec(source)
  if (start === null) return 0
  let depth = 0
  let offset = 0
  for (const token of tokenize(source, "bigquery")) {
    if (offset >= start.index + start[0].length - 1 && token.kind === "punct") {
      for (const c of token.text) {
        if (c === "{") depth++
        if (c === "}" && --depth === 0) return offset + token.text.length
      }
    }
    offset += token.text.length
  }
  return 0
}

const lineAndColumn = (source: string, offset: number) => {
  const before = source.slice(0, offset)
  const line = before.split("\n").length
  return { line, column: offset - before.lastIndexOf("\n") }
}

const frameOf = (source: string, line: number, column: number, width: number): string => {
  const lines = source.split("\n")
  const shown = [line - 2, line - 1, line].filter((n) => n >= 1)
  const gutter = String(line).length
  const out = shown.map((n) => `${n === line ? ">" : " "} ${String(n).padStart(gutter)} | ${lines[n - 1] ?? ""}`.trimEnd())
  out.push(`  ${" ".repeat(gutter)} | ${" ".repeat(column - 1)}${"^".repeat(Math.max(1, width))}`)
  return out.join("\n")
}

/**
 * Finds the error's token in the source: the token alone, then with as many neighbours as it takes
 * to be found exactly once. Neighbours that the compilation or the translation changed (a `ref()`,
 * a rewritten function) stop the growth on that side only.
 */
export const locateInSource = (source: string, position: ErrorPosition): SourceLocation | undefined => {
  const body = configEnd(source)
  const sourceTokens = placed(source, "bigquery").filter((t) => t.offset >= body)
  const wanted = position.tokens.map(comparable)
  const have = sourceTokens.map((t) => comparable(t.token))
  const matches = (from: number, to: number): ReadonlyArray<number> => {
    const found: Array<number> = []
    const length = to - from
    for (let start = 0; start + length <= have.length; start++) {
      let same = true
      for (let k = 0; k < length && same; k++) same = have[start + k] === wanted[from + k]
      if (same) found.push(start + (position.at - from))
    }
    return found
  }
  let from = position.at
  let to = position.at + 1
  let found = matches(from, to)
  if (found.length === 0) return undefined
  // A side that once failed to match fails for good: a longer window only matches less.
  while (found.length > 1) {
    if (from > 0 && matches(from - 1, to).length > 0) from--
    else if (to < wanted.length && matches(from, to + 1).length > 0) to++
    else break
    found = matches(from, to)
  }
  if (found.length !== 1) return undefined
  const token = sourceTokens[found[0]!]!
  const { line, column } = lineAndColumn(source, token.offset)
  return { line, column, frame: frameOf(source, line, column, token.token.text.length) }
}
