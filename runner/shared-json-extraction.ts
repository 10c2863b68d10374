/**
 * Staging models read a dozen fields of one JSON payload (`JSON_VALUE(payload, '$.metrics.clicks')`
 * …), and DuckDB parses the whole document again for each: most of a staging model's time. DuckDB
 * extracts many paths in one parse when given a list, `json_extract(payload, ['$.a', '$.b'])`, and
 * computes an expression that occurs several times in a projection once. So every
 * `json_extract(x, '<path>')` of an argument `x` read at two or more paths in a statement becomes
 * `json_extract(x, [<all of x's paths>])[k]`, and every `json_value(x, '<path>')` (JSON_VALUE's
 * translation) `json_value(x, [<x's json_value paths>])[k]`: the same values, the document parsed
 * once per row for each of the two functions that read it.
 *
 * The argument is matched by its text. Where the same name means different columns in different
 * parts of the statement, each part still extracts from its own column: only the list of paths is
 * shared. A lambda's parameter (an element of Meta's actions) is left alone: its documents are a
 * few bytes, and building a list for every element took a third longer than two extractions.
 */
import { isSignificant, render, tokenize, type Token } from "./sql-tokens.ts"

interface Extraction {
  readonly fn: "json_extract" | "json_value"
  readonly from: number
  readonly to: number
  readonly argument: string
  readonly path: string
}

const isName = (token: Token | undefined): boolean => token !== undefined && (token.kind === "word" || token.kind === "quoted")

/** `json_extract(name, 'literal')` and `json_value(…)` calls, `name` possibly qualified: their token ranges, argument and path. */
const extractions = (tokens: ReadonlyArray<Token>): ReadonlyArray<Extraction> => {
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  // `lambda x:` or `lambda x, i:`: the names a lambda binds.
  const lambdaParameters = new Set<string>()
  for (let k = 0; k < significant.length; k++) {
    if (significant[k]!.token.kind !== "word" || significant[k]!.token.text.toLowerCase() !== "lambda") continue
    for (let m = k + 1; m < significant.length && significant[m]!.token.text !== ":"; m++) {
      if (isName(significant[m]!.token)) lambdaParameters.add(significant[m]!.token.text)
    }
  }
  const found: Array<Extraction> = []
  for (let k = 0; k < significant.length; k++) {
    const token = significant[k]!.token
    const fn = token.text.toLowerCase()
    if (token.kind !== "word" || (fn !== "json_extract" && fn !== "json_value") || significant[k + 1]?.token.text !== "(" || significant[k - 1]?.token.text === ".") continue
    // name (. name)* , 'literal' )
    let m = k + 2
    if (!isName(significant[m]?.token)) continue
    const parts = [significant[m]!.token.text]
    while (significant[m + 1]?.token.text === "." && isName(significant[m + 2]?.token)) {
      parts.push(significant[m + 2]!.token.text)
      m += 2
    }
    const literal = significant[m + 2]?.token
    if (significant[m + 1]?.token.text !== "," || literal?.kind !== "string" || significant[m + 3]?.token.text !== ")") continue
    // DuckDB takes no wildcard in a list of paths (a wildcard's result is a list of its own).
    if (literal.text.includes("*") || (parts.length === 1 && lambdaParameters.has(parts[0]!))) continue
    found.push({ fn, from: significant[k]!.index, to: significant[m + 3]!.index, argument: parts.join("."), path: literal.text })
    k = m + 3
  }
  return found
}

export const sharedJsonExtraction = (sql: string): string => {
  if (!/json_(extract|value)/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const calls = extractions(tokens)
  // The two functions' paths are listed apart: json_value is NULL for an object or array.
  const keyOf = (call: Extraction) => `${call.fn} ${call.argument}`
  const pathsOf = new Map<string, Array<string>>()
  for (const call of calls) {
    const paths = pathsOf.get(keyOf(call)) ?? []
    if (!paths.includes(call.path)) paths.push(call.path)
    pathsOf.set(keyOf(call), paths)
  }
  const rewritten = calls.filter((call) => pathsOf.get(keyOf(call))!.length >= 2)
  if (rewritten.length === 0) return sql
  let out = ""
  let at = 0
  for (const call of rewritten) {
    const paths = pathsOf.get(keyOf(call))!
    out += render(tokens.slice(at, call.from)) + `${call.fn}(${call.argument}, [${paths.join(", ")}])[${paths.indexOf(call.path) + 1}]`
    at = call.to + 1
  }
  return out + render(tokens.slice(at))
}
