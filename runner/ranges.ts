/**
 * BigQuery's RANGE type (https://cloud.google.com/bigquery/docs/reference/standard-sql/range-functions):
 * a DuckDB STRUCT(mdp_range_lower T, mdp_range_upper T), a NULL bound being UNBOUNDED. Literals
 * (`RANGE<DATE> '[2022-01-01, UNBOUNDED)'`) and the type in columns and casts become that STRUCT
 * before translation; the functions become markers that polyglot passes through, written out in
 * DuckDB SQL after it. A RANGE prints as BigQuery prints it (`rangeText`).
 */
import { type Call, isSignificant, render, tokenize } from "./sql-tokens.ts"
import { narrowedFraction } from "./json-functions.ts"

export const RANGE_LOWER = "mdp_range_lower"
export const RANGE_UPPER = "mdp_range_upper"
/** typeof's text of a RANGE's STRUCT starts so. */
export const RANGE_TYPE_PREFIX = `STRUCT(${RANGE_LOWER} `

const MARKERS = {
  make: "MDP_RANGE_MAKE__",
  start: "MDP_RANGE_START__",
  end: "MDP_RANGE_END__",
  containsValue: "MDP_RANGE_CONTAINS_VALUE__",
  containsRange: "MDP_RANGE_CONTAINS_RANGE__",
  overlaps: "MDP_RANGE_OVERLAPS__",
  intersect: "MDP_RANGE_INTERSECT__",
  generate: "MDP_RANGE_GENERATE__"
} as const

const ELEMENT_TYPES = /^(DATE|DATETIME|TIMESTAMP)$/i

/** A RANGE literal's text, `[2022-01-01, UNBOUNDED)`, as its two bounds (NULL for UNBOUNDED), or undefined. */
const literalBounds = (text: string): readonly [string | undefined, string | undefined] | undefined => {
  const match = /^\s*\[\s*([^,]*?)\s*,\s*([^)]*?)\s*\)\s*$/.exec(text)
  if (match === null) return undefined
  const bound = (part: string) => (/^unbounded$/i.test(part) || /^null$/i.test(part) ? undefined : part)
  return [bound(match[1]!), bound(match[2]!)]
}

/**
 * `RANGE<T> '[a, b)'` and `CAST('[a, b)' AS RANGE<T>)` as `RANGE(T 'a', T 'b')`, and `RANGE<T>`
 * where it is a type (a column, another CAST) as its STRUCT. Runs on BigQuery SQL before the calls
 * are rewritten.
 */
export const rangeLiteralsAndTypes = (sql: string): string => {
  if (!/\bRANGE\s*</i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.flatMap((token, index) => (isSignificant(token) ? [index] : []))
  const out: Array<string> = []
  let cursor = 0
  for (let k = 0; k + 3 < significant.length; k++) {
    const at = (n: number) => tokens[significant[k + n]!]!
    if (at(0).kind !== "word" || at(0).text.toUpperCase() !== "RANGE" || at(1).text !== "<" || at(2).kind !== "word" || !ELEMENT_TYPES.test(at(2).text) || at(3).text !== ">") continue
    const type = at(2).text.toUpperCase()
    const literal = k + 4 < significant.length ? at(4) : undefined
    const bound = (value: string | undefined) => (value === undefined ? `CAST(NULL AS ${type})` : `${type} '${value.replaceAll("'", "\\'")}'`)
    // CAST('[a, b)' AS RANGE<T>): the literal's bounds, as for RANGE<T> '[a, b)'.
    const before = (n: number) => (k - n >= 0 ? tokens[significant[k - n]!]! : undefined)
    const castOpen = k - 4 >= 0 && /^(SAFE_)?CAST$/i.test(before(4)?.text ?? "") && before(3)?.text === "(" && before(2)?.kind === "string" && before(1)?.text.toUpperCase() === "AS" && k + 4 < significant.length && at(4).text === ")"
    const castBounds = castOpen ? literalBounds(before(2)!.text.replace(/^[rR]?(['"])([\s\S]*)\1$/, "$2")) : undefined
    if (castBounds !== undefined) {
      out.push(render(tokens.slice(cursor, significant[k - 4]!)))
      out.push(`RANGE(${bound(castBounds[0])}, ${bound(castBounds[1])})`)
      cursor = significant[k + 4]! + 1
      k += 4
      continue
    }
    out.push(render(tokens.slice(cursor, significant[k]!)))
    if (literal?.kind === "string") {
      const bounds = literalBounds(literal.text.replace(/^[rR]?(['"])([\s\S]*)\1$/, "$2"))
      if (bounds === undefined) return sql
      out.push(`RANGE(${bound(bounds[0])}, ${bound(bounds[1])})`)
      cursor = significant[k + 4]! + 1
      k += 4
    } else {
      out.push(`STRUCT<${RANGE_LOWER} ${type}, ${RANGE_UPPER} ${type}>`)
      cursor = significant[k + 3]! + 1
      k += 3
    }
  }
  if (cursor === 0) return sql
  out.push(render(tokens.slice(cursor)))
  return out.join("")
}

/** A NULL bound takes the other bound's type: NULLIF(x, x) is a NULL of x's type. */
const typedBound = (bound: string, other: string): string => (/^\s*NULL\s*$/i.test(bound) ? `NULLIF(${other}, ${other})` : bound)

// A constructor or RANGE_INTERSECT, as written or already made a marker (inner calls are rewritten first).
const RANGE_VALUE = `(?:RANGE|RANGE_INTERSECT|${MARKERS.make}|${MARKERS.intersect})`

/** Whether an argument's BigQuery text is a RANGE (a constructor, a literal made one, or a RANGE function's value). */
const isRangeExpression = (text: string): boolean => new RegExp(`^\\s*(SAFE\\.)?${RANGE_VALUE}\\s*\\(`, "i").test(text)

/** The element type a RANGE argument shows in its text (`RANGE(DATE '…', …)`), if any. */
const shownElementType = (text: string): string | undefined =>
  new RegExp(`^\\s*${RANGE_VALUE}\\s*\\(\\s*(?:CAST\\s*\\(\\s*NULL\\s+AS\\s+)?(DATE|DATETIME|TIMESTAMP)\\b`, "i").exec(text)?.[1]?.toUpperCase()

/** The RANGE functions in BigQuery SQL, as markers. */
export const rangeCalls: Readonly<Record<string, (call: Call) => string | undefined>> = {
  RANGE: (call) => (call.args.length === 2 ? `${MARKERS.make}(${typedBound(call.args[0]!, call.args[1]!)}, ${typedBound(call.args[1]!, call.args[0]!)})` : undefined),
  RANGE_START: (call) => (call.args.length === 1 ? `${MARKERS.start}(${call.args[0]})` : undefined),
  RANGE_END: (call) => (call.args.length === 1 ? `${MARKERS.end}(${call.args[0]})` : undefined),
  RANGE_CONTAINS: (call) => (call.args.length === 2 ? `${isRangeExpression(call.args[1]!) ? MARKERS.containsRange : MARKERS.containsValue}(${call.args.join(", ")})` : undefined),
  RANGE_OVERLAPS: (call) => (call.args.length === 2 ? `${MARKERS.overlaps}(${call.args.join(", ")})` : undefined),
  RANGE_INTERSECT: (call) => (call.args.length === 2 ? `${MARKERS.intersect}(${call.args.join(", ")})` : undefined),
  GENERATE_RANGE_ARRAY: (call) =>
    call.args.length === 2 || call.args.length === 3
      ? `${MARKERS.generate}(${call.args[0]}, ${call.args[1]}, ${call.args[2] ?? "TRUE"}, '${shownElementType(call.args[0]!) ?? ""}')`
      : undefined
}

const lower = (range: string) => `struct_extract(${range}, '${RANGE_LOWER}')`
const upper = (range: string) => `struct_extract(${range}, '${RANGE_UPPER}')`
const made = (low: string, high: string) => `struct_pack(${RANGE_LOWER} := ${low}, ${RANGE_UPPER} := ${high})`
const overlapping = (a: string, b: string) => `((${lower(a)} IS NULL OR ${upper(b)} IS NULL OR ${lower(a)} < ${upper(b)}) AND (${lower(b)} IS NULL OR ${upper(a)} IS NULL OR ${lower(b)} < ${upper(a)}))`

/** The markers in DuckDB SQL. */
export const rangeMarkers: Readonly<Record<string, (call: Call) => string | undefined>> = {
  [MARKERS.make]: ({ args: [low, high] }) =>
    low === undefined || high === undefined ? undefined : `(CASE WHEN (${low}) >= (${high}) THEN error('RANGE: the lower bound must be smaller than the upper bound') ELSE ${made(low, high)} END)`,
  [MARKERS.start]: ({ args: [range] }) => (range === undefined ? undefined : lower(range)),
  [MARKERS.end]: ({ args: [range] }) => (range === undefined ? undefined : upper(range)),
  [MARKERS.containsValue]: ({ args: [range, value] }) =>
    range === undefined || value === undefined ? undefined : `(CASE WHEN (${range}) IS NULL OR (${value}) IS NULL THEN NULL ELSE (${lower(range)} IS NULL OR ${lower(range)} <= (${value})) AND (${upper(range)} IS NULL OR (${value}) < ${upper(range)}) END)`,
  [MARKERS.containsRange]: ({ args: [outer, inner] }) =>
    outer === undefined || inner === undefined
      ? undefined
      : `(CASE WHEN (${outer}) IS NULL OR (${inner}) IS NULL THEN NULL ELSE (${lower(outer)} IS NULL OR (${lower(inner)} IS NOT NULL AND ${lower(outer)} <= ${lower(inner)})) AND (${upper(outer)} IS NULL OR (${upper(inner)} IS NOT NULL AND ${upper(inner)} <= ${upper(outer)})) END)`,
  [MARKERS.overlaps]: ({ args: [a, b] }) => (a === undefined || b === undefined ? undefined : `(CASE WHEN (${a}) IS NULL OR (${b}) IS NULL THEN NULL ELSE ${overlapping(a, b)} END)`),
  [MARKERS.intersect]: ({ args: [a, b] }) => {
    if (a === undefined || b === undefined) return undefined
    const bound = (pick: "greatest" | "least", of: (range: string) => string) => `(CASE WHEN ${of(a)} IS NULL THEN ${of(b)} WHEN ${of(b)} IS NULL THEN ${of(a)} ELSE ${pick}(${of(a)}, ${of(b)}) END)`
    return `(CASE WHEN (${a}) IS NULL OR (${b}) IS NULL THEN NULL WHEN NOT ${overlapping(a, b)} THEN error('RANGE_INTERSECT: the ranges do not overlap') ELSE ${made(bound("greatest", lower), bound("least", upper))} END)`
  },
  [MARKERS.generate]: ({ args: [range, step, lastPartial, shown] }) => {
    if (range === undefined || step === undefined || lastPartial === undefined || shown === undefined) return undefined
    // DuckDB's range() of DATEs gives TIMESTAMPs: a RANGE<DATE> shown as one is cast back.
    const element = (value: string) => (shown === "'DATE'" ? `CAST(${value} AS DATE)` : value)
    const subranges = `list_transform(range(${lower(range)}, ${upper(range)}, ${step}), mdp_start -> ${made(element("mdp_start"), element(`least(mdp_start + ${step}, ${upper(range)})`))})`
    const kept = `list_filter(${subranges}, mdp_r -> (${lastPartial}) OR ${lower("mdp_r")} + ${step} <= ${upper("mdp_r")})`
    return `(CASE WHEN (${range}) IS NULL OR (${step}) IS NULL OR (${lastPartial}) IS NULL THEN NULL WHEN ${lower(range)} IS NULL OR ${upper(range)} IS NULL THEN error('GENERATE_RANGE_ARRAY: the range must have both bounds') ELSE ${kept} END)`
  }
}

/**
 * A RANGE's text as BigQuery writes it, `[2022-12-01, UNBOUNDED)`, from its STRUCT's entries: each
 * bound as DuckDB writes its value (in UTC), UNBOUNDED for NULL.
 */
export const rangeText = (entries: Readonly<Record<string, unknown>>): string => {
  const bound = (value: unknown) => (value === null || value === undefined ? "UNBOUNDED" : narrowedFraction(String(value)))
  return `[${bound(entries[RANGE_LOWER])}, ${bound(entries[RANGE_UPPER])})`
}
