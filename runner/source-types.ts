/**
 * Column types for a sources folder's CSV files. A header cell may give its column's BigQuery type
 * as `bq` schemas write it, `name:TYPE` (`created_at:TIMESTAMP`, `"tags:ARRAY<STRING>"`): the
 * column is then that type even with no rows, where DuckDB's sniffer makes every column of a
 * header-only file a STRING and a date function on it fails to bind. `mdp sources init` writes
 * such cells where the project's SQL shows the type (`typeFromUse`) or an external table's column
 * list gives it.
 */
import type { Token } from "./sql-tokens.ts"

const SCALAR_TYPES = new Set([
  "STRING", "BYTES", "INT64", "INT", "INTEGER", "SMALLINT", "BIGINT", "TINYINT", "BYTEINT", "FLOAT64", "FLOAT", "NUMERIC", "DECIMAL", "BIGNUMERIC", "BIGDECIMAL",
  "BOOL", "BOOLEAN", "DATE", "DATETIME", "TIME", "TIMESTAMP", "JSON", "GEOGRAPHY", "INTERVAL"
])

/** Whether `text` is a BigQuery type: a scalar type's name (with `(p, s)` for NUMERIC), or ARRAY<…>/STRUCT<…>/RANGE<…>. */
export const isBigQueryType = (text: string): boolean => {
  const trimmed = text.trim()
  const head = /^([A-Za-z0-9]+)\s*(.*)$/s.exec(trimmed)
  if (head === null) return false
  const [, name, rest] = head
  const upper = name!.toUpperCase()
  if (/^(ARRAY|STRUCT|RANGE)$/.test(upper)) return rest!.startsWith("<") && rest!.endsWith(">")
  return SCALAR_TYPES.has(upper) && (rest === "" || /^\(\s*\d+\s*(,\s*\d+\s*)?\)$/.test(rest!))
}

/** Whether values of the type are written as JSON in a CSV cell (BigQuery's CSV has no nested columns). */
export const isNestedType = (type: string): boolean => /^\s*(ARRAY|STRUCT)\b/i.test(type)

export interface HeaderColumn {
  readonly name: string
  readonly type?: string
}

/** A header cell: `name:TYPE` when the part after the last colon outside `<…>` is a BigQuery type, else the name alone. */
export const headerColumn = (cell: string): HeaderColumn => {
  let depth = 0
  let colon = -1
  for (let i = 0; i < cell.length; i++) {
    if (cell[i] === "<") depth++
    else if (cell[i] === ">") depth--
    else if (cell[i] === ":" && depth === 0) colon = i
  }
  if (colon <= 0) return { name: cell }
  const type = cell.slice(colon + 1).trim()
  return isBigQueryType(type) ? { name: cell.slice(0, colon).trim(), type } : { name: cell }
}

/** A header cell as a CSV file writes it: quoted when it holds a comma, a quote or a line break. */
export const headerCell = (column: HeaderColumn): string => {
  const text = column.type === undefined ? column.name : `${column.name}:${column.type}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The cells of a CSV file's first record (RFC 4180 quoting). */
export const csvHeaderCells = (text: string): ReadonlyArray<string> => {
  const cells: Array<string> = []
  let cell = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === ",") cells.push(cell), (cell = "")
    else if (char === "\n" || char === "\r") break
    else cell += char
  }
  cells.push(cell)
  return cells
}

const word = (tokens: ReadonlyArray<Token>, k: number): string => (tokens[k]?.kind === "word" ? tokens[k]!.text.toUpperCase() : "")

// Functions whose argument at a position takes one type, and the functions' own result types.
const ARGUMENT_TYPES: ReadonlyArray<readonly [RegExp, ReadonlyArray<number>, string]> = [
  [/^(DATE_TRUNC|DATE_ADD|DATE_SUB|LAST_DAY|DATE_BUCKET)$/, [0], "DATE"],
  [/^DATE_DIFF$/, [0, 1], "DATE"],
  [/^FORMAT_DATE$/, [1], "DATE"],
  [/^(TIMESTAMP_TRUNC|TIMESTAMP_ADD|TIMESTAMP_SUB|UNIX_SECONDS|UNIX_MILLIS|UNIX_MICROS|DATE|DATETIME|TIMESTAMP_BUCKET)$/, [0], "TIMESTAMP"],
  [/^TIMESTAMP_DIFF$/, [0, 1], "TIMESTAMP"],
  [/^FORMAT_TIMESTAMP$/, [1], "TIMESTAMP"],
  [/^(DATETIME_TRUNC|DATETIME_ADD|DATETIME_SUB)$/, [0], "DATETIME"],
  [/^DATETIME_DIFF$/, [0, 1], "DATETIME"],
  [/^FORMAT_DATETIME$/, [1], "DATETIME"],
  [/^(TIMESTAMP_SECONDS|TIMESTAMP_MILLIS|TIMESTAMP_MICROS|DATE_FROM_UNIX_DATE)$/, [0], "INT64"],
  [/^(SUM|AVG|ROUND|TRUNC|CEIL|CEILING|FLOOR|ABS|SQRT|LN|LOG|LOG10|EXP|STDDEV|STDDEV_SAMP|STDDEV_POP|VARIANCE|VAR_SAMP|VAR_POP)$/, [0], "FLOAT64"],
  [/^(SAFE_DIVIDE|IEEE_DIVIDE|POW|POWER)$/, [0, 1], "FLOAT64"],
  [/^(COUNTIF|LOGICAL_AND|LOGICAL_OR)$/, [0], "BOOL"],
  [/^IF$/, [0], "BOOL"],
  [/^(ARRAY_LENGTH|ARRAY_REVERSE|ARRAY_TO_STRING)$/, [0], "ARRAY<STRING>"]
]
const RESULT_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(DATE|CURRENT_DATE|DATE_ADD|DATE_SUB|DATE_TRUNC|PARSE_DATE|SAFE\.PARSE_DATE|LAST_DAY|DATE_FROM_UNIX_DATE)$/, "DATE"],
  [/^(TIMESTAMP|CURRENT_TIMESTAMP|TIMESTAMP_ADD|TIMESTAMP_SUB|TIMESTAMP_TRUNC|PARSE_TIMESTAMP|TIMESTAMP_SECONDS|TIMESTAMP_MILLIS|TIMESTAMP_MICROS)$/, "TIMESTAMP"],
  [/^(DATETIME|CURRENT_DATETIME|DATETIME_ADD|DATETIME_SUB|DATETIME_TRUNC|PARSE_DATETIME)$/, "DATETIME"],
  // Counts, positions, lengths, differences and ranks (`nb_kids > COUNTIF(…) OVER (…)`).
  [/^(COUNT|COUNTIF|ARRAY_LENGTH|LENGTH|CHAR_LENGTH|CHARACTER_LENGTH|BYTE_LENGTH|STRPOS|INSTR|DATE_DIFF|DATETIME_DIFF|TIMESTAMP_DIFF|UNIX_DATE|UNIX_SECONDS|UNIX_MILLIS|UNIX_MICROS|ROW_NUMBER|RANK|DENSE_RANK|NTILE|DIV)$/, "INT64"],
  [/^(AVG|SAFE_DIVIDE|IEEE_DIVIDE|RAND|PERCENT_RANK|CUME_DIST|STDDEV|STDDEV_SAMP|STDDEV_POP|VARIANCE|VAR_SAMP|VAR_POP)$/, "FLOAT64"]
]
const DATE_PARTS_OF_A_DATE = /^(YEAR|QUARTER|MONTH|WEEK|ISOWEEK|ISOYEAR|DAY|DAYOFWEEK|DAYOFYEAR)$/
const COMPARISONS = new Set(["=", "!=", "<>", "<", ">", "<=", ">="])
// The tokenizer gives `>=` as `>` and `=`: the comparison starting (or ending) at token k, and its length.
const comparisonAt = (tokens: ReadonlyArray<Token>, k: number, step: 1 | -1): number => {
  const one = tokens[k]?.kind === "punct" ? tokens[k]!.text : ""
  const two = tokens[k + step]?.kind === "punct" ? (step === 1 ? one + tokens[k + 1]!.text : tokens[k - 1]!.text + one) : ""
  return COMPARISONS.has(two) ? 2 : COMPARISONS.has(one) ? 1 : 0
}
/** The length in tokens of the comparison operator starting at token k (`>=` is two), 0 for none. */
export const comparisonLength = (tokens: ReadonlyArray<Token>, k: number): number => comparisonAt(tokens, k, 1)
// What may follow a boolean column used as a condition on its own (`WHERE is_active AND …`).
const AFTER_A_CONDITION = /^(AND|OR|THEN|GROUP|ORDER|HAVING|QUALIFY|WINDOW|LIMIT|UNION|INTERSECT|EXCEPT)$/

/** The type of the value that starts at token k (a literal, or a call of a function with a known result), if known. */
const typeOfOperand = (tokens: ReadonlyArray<Token>, k: number): string | undefined => {
  const token = tokens[k]
  if (token === undefined) return undefined
  const sign = token.text === "-" ? 1 : 0
  if (tokens[k + sign]?.kind === "number") return /[.eE]/.test(tokens[k + sign]!.text) ? "FLOAT64" : "INT64"
  const name = word(tokens, k)
  if (name === "TRUE" || name === "FALSE") return "BOOL"
  // `DATE '2024-01-01'`, `TIMESTAMP '…'`, or a call.
  if (/^(DATE|TIMESTAMP|DATETIME)$/.test(name) && tokens[k + 1]?.kind === "string") return name
  const called = name === "SAFE" && tokens[k + 1]?.text === "." ? `SAFE.${word(tokens, k + 2)}` : name
  const open = called.startsWith("SAFE.") ? k + 3 : k + 1
  if (tokens[open]?.text !== "(" && !/^CURRENT_(DATE|TIMESTAMP|DATETIME)$/.test(called)) return undefined
  return RESULT_TYPES.find(([pattern]) => pattern.test(called))?.[1]
}

/** FLOAT64 when token k is inside an argument of COALESCE or IFNULL another of whose arguments is a number alone. */
const typeOfCoalescedNumber = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, k: number): string | undefined => {
  let open = k - 1
  while (open >= 0 && !(depths[open] === depths[k]! - 1 && tokens[open]!.text === "(")) open--
  if (!/^(COALESCE|IFNULL)$/.test(word(tokens, open - 1))) return undefined
  for (let j = open + 1; j < tokens.length && depths[j]! >= depths[k]!; j++) {
    if (depths[j] !== depths[k] || !(tokens[j - 1]!.text === "(" || tokens[j - 1]!.text === ",")) continue
    const sign = tokens[j]!.text === "-" ? 1 : 0
    const after = tokens[j + sign + 1]?.text
    if (tokens[j + sign]?.kind === "number" && (after === "," || after === ")")) return "FLOAT64"
  }
  return undefined
}

/** The type of a literal or typed call that is a whole result (THEN …, ELSE …) of the CASE around token k, if any. */
const typeOfCaseResults = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, k: number): string | undefined => {
  // The CASE that k is a result of: back at its depth, past the CASE … END pairs nested in it.
  let nested = 0
  let open = k - 1
  for (; open >= 0 && depths[open]! >= depths[k]!; open--) {
    if (depths[open] !== depths[k]) continue
    if (word(tokens, open) === "END") nested++
    else if (word(tokens, open) === "CASE" && nested-- === 0) break
  }
  if (open < 0 || word(tokens, open) !== "CASE") return undefined
  nested = 0
  for (let j = open + 1; j < tokens.length && depths[j]! >= depths[k]!; j++) {
    if (depths[j] !== depths[k]) continue
    const w = word(tokens, j)
    if (w === "CASE") nested++
    else if (w === "END" && nested-- === 0) return undefined
    if (nested > 0 || j === k || !/^(THEN|ELSE)$/.test(word(tokens, j - 1))) continue
    // The result must be the literal or the call alone: what follows it ends the result.
    let last = j + (tokens[j]!.text === "-" ? 1 : 0)
    if (tokens[last]?.kind === "string" && /^(DATE|TIMESTAMP|DATETIME)$/.test(word(tokens, last - 1))) last = j + 1
    else if (/^(DATE|TIMESTAMP|DATETIME)$/.test(word(tokens, j)) && tokens[j + 1]?.kind === "string") last = j + 1
    else if (tokens[last + 1]?.text === "(") {
      last += 1
      while (last < tokens.length && !(tokens[last]!.text === ")" && depths[last] === depths[k])) last++
    }
    if (!/^(WHEN|ELSE|END)$/.test(word(tokens, last + 1))) continue
    const type = typeOfOperand(tokens, j)
    if (type !== undefined) return type
  }
  return undefined
}

/** The start of the value that ends at token k (`)` of a call back to its name; a literal; a `DATE '…'`). */
const operandStart = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, k: number): number => {
  if (tokens[k]?.kind === "string" && /^(DATE|TIMESTAMP|DATETIME)$/.test(word(tokens, k - 1))) return k - 1
  if (tokens[k]?.text !== ")") return k
  let open = k - 1
  while (open >= 0 && !(depths[open] === depths[k] && tokens[open]!.text === "(")) open--
  return tokens[open - 2]?.text === "." && word(tokens, open - 3) === "SAFE" ? open - 3 : open - 1
}

/**
 * The type the SQL around a column shows, for a stub's header: `tokens` the significant tokens,
 * `start`..`end` the column's reference (`alias.column` or a bare name). Only uses that leave one
 * type possible, or one that every other would work like on an empty table: the argument of a
 * date function, a comparison with a literal or a typed call, `SUM(x)`, `x + INTERVAL …`,
 * `COALESCE(x, 0)`, a column standing alone as a condition, `CAST(x AS STRING FORMAT 'YYYYMMDD')`, the argument of ARRAY_LENGTH (an
 * ARRAY<STRING>, which binds as any array would on an empty table). Undefined when the use shows none.
 */
export const typeFromUse = (tokens: ReadonlyArray<Token>, depths: ReadonlyArray<number>, start: number, end: number): string | undefined => {
  const before = tokens[start - 1]?.text ?? ""
  const after = tokens[end + 1]?.text ?? ""
  // CAST(column AS STRING FORMAT 'YYYYMMDD'): a date, or a timestamp where the format has a time.
  if (before === "(" && word(tokens, start - 2) === "CAST" && word(tokens, end + 1) === "AS" && word(tokens, end + 2) === "STRING" && word(tokens, end + 3) === "FORMAT" && tokens[end + 4]?.kind === "string") {
    return /HH|MI|SS|FF/i.test(tokens[end + 4]!.text) ? "TIMESTAMP" : /YY|MM|DD|MON|DAY/i.test(tokens[end + 4]!.text) ? "DATE" : undefined
  }
  // EXTRACT(part FROM column).
  if (word(tokens, start - 1) === "FROM" && tokens[start - 3]?.text === "(" && word(tokens, start - 4) === "EXTRACT" && after === ")") {
    return DATE_PARTS_OF_A_DATE.test(word(tokens, start - 2)) ? "DATE" : "TIMESTAMP"
  }
  // The whole argument of a call: the call and the argument's position.
  if ((before === "(" || before === ",") && (after === ")" || after === ",")) {
    let open = start - 1
    while (open >= 0 && !(depths[open] === depths[start]! - 1 && tokens[open]!.text === "(")) open--
    const name = tokens[open - 2]?.text === "." && word(tokens, open - 3) === "SAFE" ? word(tokens, open - 1) : word(tokens, open - 1)
    let position = 0
    for (let k = open + 1; k < start; k++) if (depths[k] === depths[start] && tokens[k]!.text === ",") position++
    const found = ARGUMENT_TYPES.find(([pattern, positions]) => pattern.test(name) && positions.includes(position))
    if (found !== undefined) return found[2]
    // COALESCE(column, 0), IFNULL(column, DATE '…'): the arguments share one type.
    if (/^(COALESCE|IFNULL)$/.test(name)) {
      for (let k = open + 1; k < tokens.length && depths[k]! >= depths[start]!; k++) {
        if (k === start || depths[k] !== depths[start] || !(tokens[k - 1]!.text === "(" || tokens[k - 1]!.text === ",")) continue
        // The argument's last token: before the `,` or `)` that ends it, past any call inside it.
        let argumentEnd = k
        for (let open = 0; argumentEnd + 1 < tokens.length; argumentEnd++) {
          const text = tokens[argumentEnd + 1]!.text
          if (open === 0 && (text === "," || text === ")")) break
          if (text === "(" || text === "[") open++
          if (text === ")" || text === "]") open--
        }
        const type = operandStart(tokens, depths, argumentEnd) === k || (tokens[k]!.text === "-" && argumentEnd === k + 1) ? typeOfOperand(tokens, k) : undefined
        if (type !== undefined) return type
      }
    }
  }
  // CASE … THEN column ELSE 0 END: a CASE's results share one type.
  if (/^(THEN|ELSE)$/.test(word(tokens, start - 1)) && /^(WHEN|ELSE|END)$/.test(word(tokens, end + 1))) {
    const type = typeOfCaseResults(tokens, depths, start)
    if (type !== undefined) return type
  }
  // COALESCE(a - b, 0): a sum or difference coalesced with a number is a number, and so are its operands.
  if (after === "+" || after === "-" || ((before === "+" || before === "-") && /^(word|quoted|number)$/.test(tokens[start - 2]?.kind ?? ""))) {
    const type = typeOfCoalescedNumber(tokens, depths, start)
    if (type !== undefined) return type
  }
  // column <op> value, value <op> column, column BETWEEN value AND …
  const following = comparisonAt(tokens, end + 1, 1)
  if (following > 0) return typeOfOperand(tokens, end + 1 + following)
  if (word(tokens, end + 1) === "BETWEEN") return typeOfOperand(tokens, end + 2)
  const preceding = comparisonAt(tokens, start - 1, -1)
  if (preceding > 0) return typeOfOperand(tokens, operandStart(tokens, depths, start - 1 - preceding))
  // column ± INTERVAL …: a point in time.
  if ((after === "+" || after === "-") && word(tokens, end + 2) === "INTERVAL") return "TIMESTAMP"
  // column * 100, a.price / b.rate: BigQuery multiplies and divides numbers only (a column next to
  // `*` is never a star). FLOAT64 takes an INT64's values as well.
  if (after === "*" || after === "/") return "FLOAT64"
  if ((before === "*" || before === "/") && tokens[start - 2] !== undefined) return "FLOAT64"
  // A condition on its own: WHERE flag, AND flag, NOT flag, flag IS TRUE.
  const standsAlone = after === "" || after === ")" || after === ";" || AFTER_A_CONDITION.test(word(tokens, end + 1))
  if (/^(WHERE|AND|OR|NOT|HAVING)$/.test(word(tokens, start - 1)) && standsAlone && !(word(tokens, start - 1) === "AND" && word(tokens, start - 3) === "BETWEEN")) return "BOOL"
  if (word(tokens, end + 1) === "IS" && /^(TRUE|FALSE)$/.test(word(tokens, end + 2) === "NOT" ? word(tokens, end + 3) : word(tokens, end + 2))) return "BOOL"
  return undefined
}

/** A field read of a STRUCT column: its path below the column, and the type its use shows. */
export interface FieldRead {
  readonly path: ReadonlyArray<string>
  readonly type?: string
}

// BigQuery's reserved keywords (https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#reserved_keywords):
// a field so named (FHIR's `onsetPeriod.end`) is quoted in a type.
const RESERVED_KEYWORDS = new Set(
  ("ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC " +
    "DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH HAVING IF " +
    "IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER " +
    "OVER PARTITION PRECEDING PROTO QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE THEN TO TREAT TRUE " +
    "UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN").split(" ")
)

/** A path step into an array's elements (`["coding", ELEMENTS, "code"]`: `coding` is an ARRAY<STRUCT<code …>>). */
export const ELEMENTS = "[]"

interface FieldNode {
  readonly name: string
  type?: string
  readonly children: Map<string, FieldNode>
}

/**
 * The fields a STRUCT or ARRAY type has, as reads (`STRUCT<a STRING, b ARRAY<STRUCT<c INT64>>>`:
 * `a` STRING, `b[].c` INT64), so that a type passed on through a model merges with other reads.
 * Undefined for a scalar type or one that does not parse.
 */
export const fieldsOfType = (type: string): ReadonlyArray<FieldRead> | undefined => {
  let at = 0
  const text = type.trim()
  const space = () => {
    while (/\s/.test(text[at] ?? "")) at++
  }
  const name = (): string | undefined => {
    space()
    if (text[at] === "`") {
      const end = text.indexOf("`", at + 1)
      if (end < 0) return undefined
      const quoted = text.slice(at + 1, end)
      at = end + 1
      return quoted
    }
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))
    if (match === null) return undefined
    at += match[0].length
    return match[0]
  }
  // Appends the reads of the type at `at` under `path`; false when it does not parse.
  const read = (path: ReadonlyArray<string>, out: Array<FieldRead>): boolean => {
    space()
    const keyword = /^(STRUCT|ARRAY)\s*</i.exec(text.slice(at))
    if (keyword === null) {
      // A scalar: up to the `,` or `>` closing it at this level (NUMERIC(10, 2) keeps its comma).
      let depth = 0
      const start = at
      while (at < text.length && !(depth === 0 && (text[at] === "," || text[at] === ">"))) {
        if (text[at] === "(") depth++
        if (text[at] === ")") depth--
        at++
      }
      const scalar = text.slice(start, at).trim()
      if (scalar === "") return false
      out.push({ path, type: scalar })
      return true
    }
    at += keyword[0].length
    if (keyword[1]!.toUpperCase() === "ARRAY") {
      if (!read([...path, ELEMENTS], out)) return false
    } else {
      for (;;) {
        const field = name()
        if (field === undefined || !read([...path, field], out)) return false
        space()
        if (text[at] === ",") {
          at++
          continue
        }
        break
      }
    }
    space()
    if (text[at] !== ">") return false
    at++
    return true
  }
  if (!isNestedType(text)) return undefined
  const out: Array<FieldRead> = []
  if (!read([], out)) return undefined
  space()
  return at === text.length ? out : undefined
}

/** The STRUCT type holding every field read (`STRUCT<url STRING, owner STRUCT<id INT64>>`), a field's type STRING unless its use shows another. */
export const structOf = (reads: ReadonlyArray<FieldRead>): string => {
  const root = new Map<string, FieldNode>()
  for (const read of reads) {
    let level = root
    read.path.forEach((name, i) => {
      const key = name.toLowerCase()
      const node = level.get(key) ?? { name, children: new Map<string, FieldNode>() }
      level.set(key, node)
      if (i === read.path.length - 1 && node.type === undefined && read.type !== undefined) node.type = read.type
      level = node.children
    })
  }
  const field = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED_KEYWORDS.has(name.toUpperCase()) ? name : `\`${name.replaceAll("`", "\\`")}\``)
  const typeOf = (node: FieldNode): string => {
    const elements = node.children.get(ELEMENTS)
    if (elements === undefined) return node.children.size > 0 ? render(node.children) : (node.type ?? "STRING")
    // Fields read of the array itself are its elements' (BigQuery's implicit path).
    const fields = new Map([...elements.children, ...[...node.children].filter(([key]) => key !== ELEMENTS)])
    return `ARRAY<${fields.size > 0 ? render(fields) : (elements.type ?? "STRING")}>`
  }
  const render = (level: ReadonlyMap<string, FieldNode>): string => `STRUCT<${[...level.values()].map((node) => `${field(node.name)} ${typeOf(node)}`).join(", ")}>`
  return render(root)
}
