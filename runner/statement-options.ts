/**
 * Pieces EXPORT DATA and LOAD DATA share: a statement's `(name = value, …)` option list, read from
 * its tokens, and the files under a local stand-in for a Cloud Storage bucket.
 */
import { readdirSync } from "node:fs"
import path from "node:path"
import { isSignificant, type Token } from "./sql-tokens.ts"

export interface StatementOption {
  readonly name: string
  /** Its value as BigQuery SQL, an expression evaluated later. */
  readonly value: string
}

/**
 * The options between the parentheses at `open` and `close` (`uri = '…', format = 'CSV'`), each name
 * one `known` holds; or why not, as the construct (`construct(name)` for an unknown name) and a reason.
 */
export const optionList = (
  tokens: ReadonlyArray<Token>,
  open: number,
  close: number,
  construct: string,
  known: ReadonlySet<string>,
  unknown: string
): { readonly options: ReadonlyArray<StatementOption> } | { readonly construct: string; readonly reason: string } => {
  const options: Array<StatementOption> = []
  let item: Array<Token> = []
  let depth = 0
  const flush = () => {
    const significant = item.filter(isSignificant)
    item = []
    if (significant.length === 0) return undefined
    if (significant.length < 3 || significant[1]!.text !== "=" || significant[0]!.kind !== "word") return { construct, reason: "each option is written name = value" }
    const name = significant[0]!.text.toLowerCase()
    if (!known.has(name)) return { construct: `${construct}(${name})`, reason: unknown }
    options.push({ name, value: significant.slice(2).map((token) => token.text).join(" ") })
    return undefined
  }
  for (let k = open + 1; k < close; k++) {
    const token = tokens[k]!
    if (token.kind === "punct" && (token.text === "(" || token.text === "[")) depth++
    if (token.kind === "punct" && (token.text === ")" || token.text === "]")) depth--
    if (token.kind === "punct" && token.text === "," && depth === 0) {
      const problem = flush()
      if (problem !== undefined) return problem
      continue
    }
    item.push(token)
  }
  return flush() ?? { options }
}

/** Every file under `folder`, as paths relative to it with / between parts, none when it is missing. */
export const filesUnder = (folder: string, prefix = ""): ReadonlyArray<string> => {
  let entries
  try {
    entries = readdirSync(folder, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(folder, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]))
}

/** An option's evaluated value that must be a STRING, undefined when not given or NULL. */
export const textOption = (values: Readonly<Record<string, unknown>>, statement: string, name: string): string | undefined => {
  const value = values[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") throw new Error(`${statement}: option ${name} takes a STRING`)
  return value
}

/** A DuckDB string literal. */
export const sqlLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`
