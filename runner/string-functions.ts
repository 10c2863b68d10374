/**
 * BigQuery string functions DuckDB lacks, as plain functions of a value (registered with DuckDB in
 * builtin-functions.ts), each as its documentation describes it
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions): SOUNDEX,
 * TO_CODE_POINTS, CODE_POINTS_TO_STRING, CODE_POINTS_TO_BYTES, TO_BASE32, FROM_BASE32; and
 * PARSE_NUMERIC's reading of a number's text
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions#parse_numeric).
 * A value BigQuery refuses comes back as an Error, which the registration raises.
 */

const SOUNDEX_CODES: Readonly<Record<string, string>> = {
  b: "1", f: "1", p: "1", v: "1",
  c: "2", g: "2", j: "2", k: "2", q: "2", s: "2", x: "2", z: "2",
  d: "3", t: "3",
  l: "4",
  m: "5", n: "5",
  r: "6"
}

/**
 * American Soundex over the Latin letters only (anything else is dropped): the first letter as
 * written, then the codes of the others, a code repeated across H or W (or directly) once, vowels
 * separating equal codes; padded with zeros to four characters, '' when no letter is left.
 */
export const soundex = (value: string): string => {
  const letters = value.replace(/[^A-Za-z]/g, "")
  if (letters === "") return ""
  let code = letters[0]!
  let previous = SOUNDEX_CODES[letters[0]!.toLowerCase()] ?? ""
  for (const letter of letters.slice(1).toLowerCase()) {
    if (code.length === 4) break
    if (letter === "h" || letter === "w") continue
    const digit = SOUNDEX_CODES[letter]
    if (digit === undefined) {
      // A vowel (or y): the next equal code counts again.
      previous = ""
      continue
    }
    if (digit !== previous) code += digit
    previous = digit
  }
  return code.padEnd(4, "0")
}

/** TO_CODE_POINTS of a STRING: its Unicode code points. */
export const codePoints = (value: string): ReadonlyArray<bigint> => Array.from(value, (character) => BigInt(character.codePointAt(0)!))

/** CODE_POINTS_TO_STRING: NULL when an element is NULL; a value that is no code point fails. */
export const codePointsToString = (points: ReadonlyArray<bigint | null>): string | null | Error => {
  let text = ""
  for (const point of points) {
    if (point === null) return null
    if (point < 0n || point > 0x10ffffn || (point >= 0xd800n && point <= 0xdfffn)) return new Error(`Invalid code point: ${point}`)
    text += String.fromCodePoint(Number(point))
  }
  return text
}

/** CODE_POINTS_TO_BYTES: each element a byte (0 to 255); NULL when an element is NULL. */
export const codePointsToBytes = (points: ReadonlyArray<bigint | null>): Uint8Array | null | Error => {
  const bytes = new Uint8Array(points.length)
  for (const [i, point] of points.entries()) {
    if (point === null) return null
    if (point < 0n || point > 255n) return new Error(`Invalid ASCII value: ${point}`)
    bytes[i] = Number(point)
  }
  return bytes
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

/** TO_BASE32: RFC 4648 base32, padded with '='. */
export const toBase32 = (bytes: Uint8Array): string => {
  let out = ""
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=")
}

/** FROM_BASE32: the bytes of an RFC 4648 base32 text (padding optional); anything else fails. */
export const fromBase32 = (text: string): Uint8Array | Error => {
  const body = text.replace(/=+$/, "")
  const bytes: Array<number> = []
  let buffer = 0
  let bits = 0
  for (const character of body) {
    const value = BASE32.indexOf(character.toUpperCase())
    if (value < 0) return new Error(`Failed to decode invalid base32 string "${text}"`)
    buffer = ((buffer << 5) | value) & 0xfff
    bits += 5
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Uint8Array.from(bytes)
}

/** The formats of CAST(bytes AS STRING FORMAT …) and CAST(string AS BYTES FORMAT …), in upper case. */
export const BYTES_FORMATS = new Set(["HEX", "BASE2", "BASE8", "BASE16", "BASE32", "BASE64", "BASE64M", "ASCII", "UTF-8", "UTF8"])

/** A base's digits of bytes read as one big-endian number, padded to the width of their bits (BASE2: 8 per byte; BASE8: 8 per 3 bytes). */
const radixText = (bytes: Uint8Array, radix: 2 | 8): string => {
  if (bytes.length === 0) return ""
  const width = radix === 2 ? 8 * bytes.length : Math.ceil((8 * bytes.length) / 3)
  const value = BigInt(`0x${Buffer.from(bytes).toString("hex")}`)
  return value.toString(radix).padStart(width, "0")
}

/** CAST(bytes AS STRING FORMAT 'HEX'|'BASE2'|…|'BASE64M'|'ASCII'|'UTF-8'). */
export const bytesAsText = (bytes: Uint8Array, format: string): string | Error => {
  switch (format.toUpperCase()) {
    case "HEX":
    case "BASE16":
      return Buffer.from(bytes).toString("hex")
    case "BASE2":
      return radixText(bytes, 2)
    case "BASE8":
      return radixText(bytes, 8)
    case "BASE32":
      return toBase32(bytes)
    case "BASE64":
      return Buffer.from(bytes).toString("base64")
    case "BASE64M":
      // RFC 2045: a line break every 76 characters.
      return (Buffer.from(bytes).toString("base64").match(/.{1,76}/g) ?? []).join("\n")
    case "ASCII":
      return bytes.every((byte) => byte < 128) ? Buffer.from(bytes).toString("latin1") : new Error("CAST … FORMAT 'ASCII': the bytes are not ASCII")
    case "UTF-8":
    case "UTF8": {
      const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes)
      return Buffer.from(text, "utf8").equals(Buffer.from(bytes)) ? text : new Error("CAST … FORMAT 'UTF-8': the bytes are not valid UTF-8")
    }
    default:
      return new Error(`CAST … FORMAT: '${format}' is no format for BYTES`)
  }
}

/** CAST(string AS BYTES FORMAT …): the bytes a text encodes; an error for a character outside the encoding. */
export const textAsBytes = (text: string, format: string): Uint8Array | Error => {
  const upper = format.toUpperCase()
  const invalid = () => new Error(`Failed to decode invalid ${upper === "HEX" ? "hex" : upper.toLowerCase()} string "${text.slice(0, 40)}"`)
  switch (upper) {
    case "HEX":
    case "BASE16": {
      if (!/^[0-9a-fA-F]*$/.test(text)) return invalid()
      return Uint8Array.from(Buffer.from(text.length % 2 === 1 ? `0${text}` : text, "hex"))
    }
    case "BASE2":
    case "BASE8": {
      const radix = upper === "BASE2" ? 2 : 8
      if (!(radix === 2 ? /^[01]*$/ : /^[0-7]*$/).test(text)) return invalid()
      if (text === "") return new Uint8Array(0)
      const length = radix === 2 ? Math.ceil(text.length / 8) : Math.floor(text.length / 8) * 3 + [0, 1, 1, 1, 2, 2, 2, 3][text.length % 8]!
      const hex = BigInt(radix === 2 ? `0b${text}` : `0o${text}`).toString(16).padStart(2 * length, "0")
      return Uint8Array.from(Buffer.from(hex.slice(hex.length - 2 * length), "hex"))
    }
    case "BASE32":
      return fromBase32(text)
    case "BASE64":
    case "BASE64M": {
      // Whitespace is ignored; anything else outside the alphabet fails.
      const body = text.replace(/\s+/g, "")
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 === 1) return invalid()
      return Uint8Array.from(Buffer.from(body, "base64"))
    }
    case "ASCII":
      return /^[\x00-\x7f]*$/.test(text) ? Uint8Array.from(Buffer.from(text, "latin1")) : new Error("CAST … FORMAT 'ASCII': the string has a character that is not ASCII")
    case "UTF-8":
    case "UTF8":
      return Uint8Array.from(Buffer.from(text, "utf8"))
    default:
      return new Error(`CAST … FORMAT: '${format}' is no format for BYTES`)
  }
}

/**
 * PARSE_NUMERIC's text as a plain decimal for DuckDB's cast (which rounds half away from zero,
 * as PARSE_NUMERIC does): spaces anywhere but between digits, one sign before or after the
 * number, commas anywhere in the integer part, an exponent. Anything else fails as in BigQuery.
 */
export const parseNumericText = (text: string): string | Error => {
  const match = /^\s*([+-]?)\s*([\d,]*)(\.\d*)?([eE][+-]?\d+)?\s*([+-]?)\s*$/.exec(text)
  if (match === null) return new Error(`Invalid NUMERIC value: ${text}`)
  const [, before, integer = "", fraction = "", exponent = "", after] = match
  const digits = integer.replaceAll(",", "")
  // A non-empty integer part has a digit; the number has one somewhere; one sign at most.
  if ((integer !== "" && digits === "") || digits.length + Math.max(0, fraction.length - 1) === 0 || (before !== "" && after !== "")) {
    return new Error(`Invalid NUMERIC value: ${text}`)
  }
  return `${before === "-" || after === "-" ? "-" : ""}${digits === "" ? "0" : digits}${fraction === "." ? "" : fraction}${exponent}`
}

/**
 * RE2's syntax as JavaScript's RegExp reads it, for the functions DuckDB has no match for
 * (REGEXP_INSTR, REGEXP_EXTRACT of an optional group): `(?P<name>…)` groups and leading `(?i)`, `(?s)`, `(?m)` flags. Patterns that
 * differ further (POSIX classes, `\z`, `\C`) are refused rather than read differently.
 */
// POSIX classes, \z, \C, Unicode classes and scoped flags: read differently, or not at all, by JavaScript.
const RE2_ONLY_SYNTAX = /\[\[:|\\[zCpP]|\(\?[ism-]+:/

/** Whether JavaScript's RegExp reads the pattern as RE2 does (else DuckDB's RE2 has to). */
export const javascriptReadsLikeRe2 = (pattern: string): boolean => !RE2_ONLY_SYNTAX.test(pattern.replace(/^\(\?[ism]+\)/, ""))

const javascriptRegExp = (pattern: string): RegExp | Error => {
  let flags = "dgu"
  let body = pattern
  const leading = /^\(\?([ism]+)\)/.exec(body)
  if (leading !== null) {
    flags += [...new Set(leading[1]!)].filter((flag) => !flags.includes(flag)).join("")
    body = body.slice(leading[0].length)
  }
  if (RE2_ONLY_SYNTAX.test(body)) return new Error(`This regular expression uses RE2 syntax the local runner does not read: ${pattern}`)
  try {
    return new RegExp(body.replaceAll("(?P<", "(?<"), flags)
  } catch (error) {
    return new Error(`Cannot parse regular expression: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const codePointIndex = (text: string, utf16Index: number): number => Array.from(text.slice(0, utf16Index)).length

/**
 * REGEXP_EXTRACT of a pattern whose capturing group may not take part in a match (`(a)?x`,
 * `(a)|b`): NULL then, as in BigQuery, where DuckDB's RE2 binding answers ''. The whole match
 * without a group; NULL without a match.
 */
export const regexpExtract = (source: string, pattern: string): string | null | Error => {
  const re = javascriptRegExp(pattern)
  if (re instanceof Error) return re
  const groups = new RegExp(`${re.source}|`, re.flags.replace("g", "")).exec("")!.length - 1
  if (groups > 1) return new Error("Regular expressions passed into extraction functions must not have more than 1 capturing group")
  const match = re.exec(source)
  if (match === null) return null
  return (groups === 1 ? match[1] : match[0]) ?? null
}

/**
 * REGEXP_INSTR: the 1-based position (in characters) where the `occurrence`-th match from
 * `position` on starts (occurrence_position 0) or ends plus one (1); of its capturing group when
 * the pattern has one; 0 when there is none or the pattern is empty. Matches do not overlap.
 */
export const regexpInstr = (source: string, pattern: string, position: number, occurrence: number, occurrencePosition: number): number | Error => {
  if (position <= 0 || occurrence <= 0) return new Error("REGEXP_INSTR: position and occurrence must be positive")
  if (occurrencePosition !== 0 && occurrencePosition !== 1) return new Error("REGEXP_INSTR: occurrence_position must be 0 or 1")
  if (pattern === "") return 0
  const re = javascriptRegExp(pattern)
  if (re instanceof Error) return re
  const groups = new RegExp(`${re.source}|`, re.flags.replace("g", "")).exec("")!.length - 1
  if (groups > 1) return new Error("Regular expressions passed into extraction functions must not have more than 1 capturing group")
  const characters = Array.from(source)
  if (position > characters.length) return 0
  re.lastIndex = characters.slice(0, position - 1).join("").length
  let match: RegExpExecArray | null = null
  for (let found = 0; found < occurrence; found++) {
    match = re.exec(source)
    if (match === null) return 0
    // An empty match moves on by one character, as RE2's iteration does.
    if (match[0] === "") re.lastIndex += (source.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1
  }
  const span = match!.indices![groups === 1 ? 1 : 0]
  if (span === undefined) return 0
  return codePointIndex(source, occurrencePosition === 0 ? span[0] : span[1]) + 1
}
