/**
 * `CAST(x AS DATE|DATETIME|TIMESTAMP|TIME|STRING FORMAT 'fmt' [AT TIME ZONE tz])`: BigQuery's
 * format elements (YYYY, MM, DD, MON, HH24, …, case-insensitive when parsing) become strftime
 * patterns before translation, as calls to markers that polyglot keeps and `afterTranslation`
 * turns into DuckDB's strptime/strftime. Elements with no strftime equivalent, and numeric formats
 * ('999.99'), fail when run with an error naming them, never a different answer.
 * https://cloud.google.com/bigquery/docs/reference/standard-sql/format-elements#format_elements_date_time
 */
import { BYTES_AS_TEXT_FUNCTION, NUMBER_FORMAT_FUNCTION, TEXT_AS_BYTES_FUNCTION } from "./builtin-functions.ts"
import { BYTES_FORMATS } from "./string-functions.ts"
import { isNumberFormat } from "./number-format.ts"
import { isSignificant, render, tokenize } from "./sql-tokens.ts"

export const CAST_PARSE_MARKER = "MDP_CAST_PARSE__"
export const CAST_FORMAT_MARKER = "MDP_CAST_FORMAT__"
/** TZH or TZM of a TIMESTAMP in a zone: `CAST_OFFSET_MARKER(value, zone, 'TZH'|'TZM')`, see `offsetElement`. */
export const CAST_OFFSET_MARKER = "MDP_CAST_OFFSET__"

/** The DuckDB form of an offset marker's arguments: the zone's UTC offset at the instant, `+05` or `30`. */
export const offsetElement = (args: ReadonlyArray<string>): string | undefined => {
  const [value, zone, element] = args
  if (value === undefined || zone === undefined || element === undefined) return undefined
  // The local time read as if it were UTC, less the instant: the offset in seconds.
  const seconds = `CAST(epoch(CAST(timezone(${zone}, ${value}) AS TIMESTAMP)) - epoch(${value}) AS BIGINT)`
  return element === "'TZH'"
    ? `(CASE WHEN ${seconds} < 0 THEN '-' ELSE '+' END || lpad(CAST(abs(${seconds}) // 3600 AS VARCHAR), 2, '0'))`
    : `lpad(CAST(abs(${seconds}) % 3600 // 60 AS VARCHAR), 2, '0')`
}

// TZH and TZM: the value's UTC offset in the zone, written by `offsetElement` when formatting a
// STRING, read as DuckDB's %z when parsing a TIMESTAMP (`offsetsParsed`).
const OFFSET_HOURS = "\u0000TZH"
const OFFSET_MINUTES = "\u0000TZM"

// Longest first, so HH24 is not read as HH then 24.
const ELEMENTS: ReadonlyArray<readonly [string, string | undefined]> = [
  ["MONTH", "%B"], ["SSSSS", undefined], ["HH24", "%H"], ["HH12", "%I"], ["RRRR", "%Y"], ["YYYY", "%Y"],
  ["A.M.", "%p"], ["P.M.", "%p"], ["FF1", undefined], ["FF2", undefined], ["FF3", "%g"], ["FF4", undefined], ["FF5", undefined], ["FF6", "%f"],
  ["FF7", undefined], ["FF8", undefined], ["FF9", "%n"], ["MON", "%b"], ["DDD", "%j"], ["DAY", "%A"], ["TZH", OFFSET_HOURS], ["TZM", OFFSET_MINUTES],
  ["YYY", undefined], ["HH", "%I"], ["MI", "%M"], ["SS", "%S"], ["MM", "%m"], ["DD", "%d"], ["DY", "%a"], ["YY", "%y"], ["RR", "%y"],
  ["AM", "%p"], ["PM", "%p"], ["Y", undefined], ["D", undefined]
]

const SEPARATORS = /^[-./,';:\s]$/

/** A piece of the format: strftime text, and for a name (MON, DAY, …) the case it prints in. */
interface Piece {
  readonly pattern: string
  readonly letterCase: "upper" | "lower" | "as-is"
  /** A.M. and P.M.: the meridian with a point after each letter. */
  readonly dotted?: boolean
}

type Parsed = { readonly pieces: ReadonlyArray<Piece>; readonly year: boolean } | { readonly unsupported: string }

const NAMES = new Set(["MONTH", "MON", "DAY", "DY", "AM", "PM", "A.M.", "P.M."])

const letterCaseOf = (written: string): Piece["letterCase"] => {
  const letters = written.replace(/[^A-Za-z]/g, "")
  if (letters === letters.toUpperCase()) return "upper"
  if (letters === letters.toLowerCase()) return "lower"
  return "as-is"
}

const parseFormat = (format: string): Parsed => {
  const pieces: Array<Piece> = []
  let year = false
  let i = 0
  while (i < format.length) {
    const char = format[i]!
    if (char === '"') {
      const end = format.indexOf('"', i + 1)
      if (end < 0) return { unsupported: "an unclosed \" in the format" }
      pieces.push({ pattern: format.slice(i + 1, end).replaceAll("%", "%%"), letterCase: "as-is" })
      i = end + 1
      continue
    }
    const element = ELEMENTS.find(([name]) => format.slice(i, i + name.length).toUpperCase() === name)
    if (element !== undefined) {
      const [name, pattern] = element
      if (pattern === undefined) return { unsupported: `the format element ${name}` }
      if (/^(YYYY|RRRR|YY|RR)$/.test(name)) year = true
      const written = format.slice(i, i + name.length)
      pieces.push({ pattern, letterCase: NAMES.has(name) ? letterCaseOf(written) : "as-is", ...(name.includes(".") ? { dotted: true } : {}) })
      i += name.length
      continue
    }
    if (SEPARATORS.test(char)) {
      pieces.push({ pattern: char, letterCase: "as-is" })
      i++
      continue
    }
    return { unsupported: /[09$]/.test(char) ? "a numeric format" : `'${char}' in the format` }
  }
  return { pieces, year }
}

const sqlString = (text: string): string => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`

const failure = (what: string, construct = "CAST … FORMAT"): string => `ERROR(${sqlString(`${construct}: ${what} is not supported locally`)})`

const PARSED_TYPES = new Set(["DATE", "DATETIME", "TIMESTAMP", "TIME"])

/** SAFE_CAST … FORMAT of BYTES: NULL where the conversion fails (DuckDB's TRY, after translation). */
export const SAFE_FORMAT_MARKER = "MDP_SAFE_FORMAT__"

/** CAST(number AS STRING FORMAT '…'): its value and format, for `numberFormatted` after translation. */
export const NUMBER_FORMAT_MARKER = "MDP_NUMBER_FORMAT__"

/** The DuckDB form of a number format marker's arguments: the value's exact text for an integer or a NUMERIC, its shortest for a FLOAT64. */
export const numberFormatted = (args: ReadonlyArray<string>): string | undefined => {
  const [value, format] = args
  if (value === undefined || format === undefined || args.length !== 2) return undefined
  return `${NUMBER_FORMAT_FUNCTION}(CAST(${value} AS VARCHAR), typeof(${value}) NOT IN ('DOUBLE', 'FLOAT'), ${format})`
}

/**
 * The rewrite of one CAST/SAFE_CAST argument (`x AS T FORMAT 'f' [AT TIME ZONE tz]`), or undefined
 * when it has no FORMAT. `timestampType` is the name TIMESTAMP has become by then.
 */
export const castWithFormat = (argument: string, safe: boolean, timestampType: string): string | undefined => {
  if (!/\bFORMAT\b/i.test(argument)) return undefined
  const tokens = tokenize(argument, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  let depth = 0
  for (let k = 0; k < significant.length; k++) {
    const { token } = significant[k]!
    if (token.text === "(" || token.text === "[") depth++
    if (token.text === ")" || token.text === "]") depth--
    if (depth !== 0 || token.kind !== "word" || token.text.toUpperCase() !== "AS") continue
    const typeWord = significant[k + 1]?.token.text.toUpperCase() ?? ""
    const type = typeWord === timestampType.toUpperCase() ? "TIMESTAMP" : typeWord
    if (significant[k + 2]?.token.text.toUpperCase() !== "FORMAT") return undefined
    const formatToken = significant[k + 3]?.token
    if (formatToken?.kind !== "string") return failure("a format that is not a string literal")
    const value = render(tokens.slice(0, significant[k]!.index)).trim()
    const rest = significant.slice(k + 4).map(({ token }) => token.text.toUpperCase())
    const hasZone = rest.length >= 4 && rest[0] === "AT" && rest[1] === "TIME" && rest[2] === "ZONE"
    if (rest.length > 0 && !hasZone) return undefined
    const zone = hasZone ? render(tokens.slice(significant[k + 7]!.index)).trim() : undefined
    // BYTES as text and back: HEX, BASE2 … BASE64M, ASCII, UTF-8.
    const formatText = formatToken.text.slice(1, -1)
    if (zone === undefined && BYTES_FORMATS.has(formatText.toUpperCase()) && (type === "STRING" || type === "BYTES")) {
      const call = type === "STRING" ? `${BYTES_AS_TEXT_FUNCTION}(CAST(${value} AS BYTES), ${formatToken.text})` : `${TEXT_AS_BYTES_FUNCTION}(CAST(${value} AS STRING), ${formatToken.text})`
      return safe ? `${SAFE_FORMAT_MARKER}(${call})` : call
    }
    // A number's format (digits 0, 9 or X, or RN): printed by a function registered from Node.
    if (type === "STRING" && zone === undefined && isNumberFormat(formatText)) return `${NUMBER_FORMAT_MARKER}(${value}, ${formatToken.text})`
    const format = parseFormat(formatText)
    if ("unsupported" in format) return failure(format.unsupported)
    if (type === "STRING") {
      const input = zone === undefined ? value : `TIMEZONE(${zone}, ${value})`
      // Runs of pieces printed as they are go in one strftime; names printed in capitals or in
      // lower case get their own, wrapped.
      const parts: Array<string> = []
      let run = ""
      const flush = () => {
        if (run !== "") parts.push(`${CAST_FORMAT_MARKER}(${input}, ${sqlString(run)})`)
        run = ""
      }
      for (const piece of format.pieces) {
        if (piece.pattern === OFFSET_HOURS || piece.pattern === OFFSET_MINUTES) {
          flush()
          parts.push(`${CAST_OFFSET_MARKER}(${value}, ${zone ?? "'UTC'"}, '${piece.pattern === OFFSET_HOURS ? "TZH" : "TZM"}')`)
          continue
        }
        if (piece.letterCase === "as-is") {
          run += piece.pattern
          continue
        }
        flush()
        const name = `${piece.letterCase === "upper" ? "UPPER" : "LOWER"}(${CAST_FORMAT_MARKER}(${input}, ${sqlString(piece.pattern)}))`
        parts.push(piece.dotted === true ? `REGEXP_REPLACE(${name}, r'^(.)(.)$', r'\\1.\\2.')` : name)
      }
      flush()
      return parts.length === 0 ? "''" : `(${parts.join(" || ")})`
    }
    if (!PARSED_TYPES.has(type)) return failure(`a cast to ${typeWord}`)
    const pieces = type === "TIMESTAMP" ? offsetsParsed(format.pieces) : format.pieces
    const offsetPiece = pieces.find((piece) => piece.pattern === OFFSET_HOURS || piece.pattern === OFFSET_MINUTES)
    if (offsetPiece !== undefined) return failure(`parsing the format element ${offsetPiece.pattern.slice(1)}${type === "TIMESTAMP" ? " without TZH before it" : ` into a ${typeWord}`}`)
    // Which of the two would win is not documented: refused rather than guessed.
    if (zone !== undefined && pieces.some((piece) => piece.pattern === "%z")) return failure("parsing TZH together with AT TIME ZONE")
    // Without a year BigQuery takes the current one: a local run must not depend on today.
    if (type !== "TIME" && !format.year) return failure("a date format without a year")
    const pattern = sqlString(pieces.map((piece) => piece.pattern).join(""))
    const zoneArgument = zone ?? "NULL"
    // A.M. and P.M. read as %p's AM and PM, their points taken out of the text first.
    const text = pieces.some((piece) => piece.dotted === true) ? `REGEXP_REPLACE(${value}, r'([AaPp])\\.([Mm])\\.', r'\\1\\2')` : value
    return `${CAST_PARSE_MARKER}('${type}', ${safe ? "TRUE" : "FALSE"}, ${text}, ${pattern}, ${zoneArgument})`
  }
  return undefined
}

/**
 * A TIMESTAMP's TZH (sign and hours), alone or followed by TZM, with or without a colon between:
 * DuckDB's %z, which reads ±HH, ±HHMM and ±HH:MM, and makes the value that instant. A TZM without
 * a TZH before it stays, for the caller to refuse.
 */
const offsetsParsed = (pieces: ReadonlyArray<Piece>): ReadonlyArray<Piece> => {
  const parsed: Array<Piece> = []
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i]!.pattern !== OFFSET_HOURS) {
      parsed.push(pieces[i]!)
      continue
    }
    if (pieces[i + 1]?.pattern === OFFSET_MINUTES) i += 1
    else if (pieces[i + 1]?.pattern === ":" && pieces[i + 2]?.pattern === OFFSET_MINUTES) i += 2
    parsed.push({ pattern: "%z", letterCase: "as-is" })
  }
  return parsed
}

/** The DuckDB form of a parse marker's arguments (type, safe, value, pattern, zone). */
export const parsedValue = (args: ReadonlyArray<string>): string => {
  const [type, safe, value, pattern, zone] = args
  const parsed = `${safe === "TRUE" ? "try_strptime" : "strptime"}(${value}, ${pattern})`
  switch (type) {
    case "'DATE'":
      return `CAST(${parsed} AS DATE)`
    case "'TIME'":
      return `CAST(${parsed} AS TIME)`
    case "'DATETIME'":
      return `CAST(${parsed} AS TIMESTAMP)`
    default:
      // The text is a time in the given zone, UTC without one.
      return zone === "NULL" ? `CAST(${parsed} AS TIMESTAMPTZ)` : `TIMEZONE(${zone}, CAST(${parsed} AS TIMESTAMP))`
  }
}

// %x and %c are BigQuery's English representations (format-elements), not DuckDB's ISO ones.
// %n and %t are a newline and a tab (DuckDB's %n is nanoseconds); %E4Y the four-digit year.
const SHORTHANDS: Readonly<Record<string, string>> = { F: "%Y-%m-%d", T: "%H:%M:%S", D: "%m/%d/%y", R: "%H:%M", r: "%I:%M:%S %p", x: "%m/%d/%y", c: "%a %b %e %H:%M:%S %Y", n: "\n", t: "\t", E4Y: "%Y" }

/** BigQuery's shorthand elements (%F, %T, %D, %R, %r, %x, %c, %n, %t, %E4Y) spelled out: DuckDB's strftime/strptime lack them or differ. */
export const expandShorthands = (format: string): string => format.replace(/%(%|E4Y|[FTDRrxcnt])/g, (whole, letter: string) => SHORTHANDS[letter] ?? whole)

// Seconds with 0, 3 or 6 digits of fraction (%E3S): DuckDB's %g and %f are the milli- and microseconds.
const FRACTIONAL_SECONDS: Readonly<Record<string, string>> = { "0": "%S", "3": "%S.%g", "6": "%S.%f" }

/** A FORMAT_* call's format literal with its shorthands spelled out, or undefined when it has none. */
export const formatWithoutShorthands = (formatLiteral: string): string | undefined =>
  /^'[\s\S]*%(E4Y|[FTDRrxcnt])[\s\S]*'$/.test(formatLiteral) ? expandShorthands(formatLiteral) : undefined

/**
 * %E0S, %E3S and %E6S in DuckDB's elements. Applied last, to the text DuckDB's strftime reads: its
 * %g (milliseconds) is BigQuery's ISO year of the century, computed apart before.
 */
export const withFractionalSeconds = (format: string): string =>
  format.replace(/(?<!%)((?:%%)*)%E([036])S/g, (_, escaped: string, digits: string) => `${escaped}${FRACTIONAL_SECONDS[digits]}`)

/**
 * A PARSE_* format with BigQuery's %E elements as the strptime patterns DuckDB tries in turn:
 * %E*S is seconds with or without a fraction (two patterns), %Ez an offset (+HH:MM), %E4Y a
 * four-digit year, %E0S to %E6S seconds with that fraction, %e, %k and %l the day and hours without
 * their padding; shorthands (%F, %T, %D, %R) are spelled out.
 * Undefined when there is none of these; an error call for an %E element not read here.
 */
export const parsePatterns = (formatLiteral: string): string | undefined => {
  const match = /^'((?:[^'\\]|\\.)*)'$/s.exec(formatLiteral)
  if (match === null || !/%[EFTDRekl]/.test(match[1]!)) return undefined
  // The space-padded day and hours read as DuckDB's unpadded ones (which also skip a leading space).
  const format = expandShorthands(match[1]!).replace(/(?<!%)%([ekl])/g, (_, element: string) => ({ e: "%-d", k: "%-H", l: "%-I" })[element]!)
  const unknown = /%E(?!\*S|z|4Y|[0-6]S)(\S{0,2})/.exec(format)
  if (unknown !== null) return failure(`the format element %E${unknown[1]}`, "a PARSE_ function's format")
  // %E0S is whole seconds; %E1S to %E6S read a fraction as %E*S does.
  const base = format.replaceAll("%Ez", "%z").replaceAll("%E4Y", "%Y").replaceAll("%E0S", "%S").replace(/%E[1-6]S/g, "%E*S")
  const patterns = base.includes("%E*S") ? [base.replaceAll("%E*S", "%S.%f"), base.replaceAll("%E*S", "%S")] : [base]
  return `[${patterns.map((pattern) => `'${pattern}'`).join(", ")}]`
}
