/**
 * BigQuery functions DuckDB lacks, registered from Node on every warehouse: FARM_FINGERPRINT
 * (FarmHash Fingerprint64 as a signed INT64, from farmhash-modern, whose `bigqueryFingerprint` is
 * documented to match BigQuery's) and SAFE_CONVERT_BYTES_TO_STRING (invalid UTF-8 becomes U+FFFD,
 * as Node's UTF-8 decoder does; DuckDB's decode() fails instead), INSTR with an occurrence
 * (polyglot parses at most three arguments), and those where DuckDB's answer differs: NUMERIC
 * products, INTERVAL text and JUSTIFY_*, a signed hexadecimal INT64, full Unicode case mapping,
 * string functions on BYTES, FORMAT's text of BYTES, ARRAYs and STRUCTs, and the JSON functions
 * of json-functions.ts.
 */
import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import { ANY, BIGINT, blobValue, BLOB, BOOLEAN, DECIMAL, decimalValue, DOUBLE, DuckDBBlobValue, DuckDBDecimalValue, DuckDBIntervalValue, DuckDBScalarFunction, DuckDBStructValue, INTERVAL, intervalValue, LIST, listValue, VARCHAR, type DuckDBListValue, type DuckDBType, type DuckDBValue, type DuckDBConnection } from "@duckdb/node-api"
import { formattedValue } from "./format-values.ts"
import { bigQueryJson, canonicalJson, doubleText, parsedJson, parseDuckType, jsonContains, jsonFlatten, jsonObjectOf, jsonEdit, jsonKeys, jsonQueryLax, jsonRemove, jsonStripNulls, type JsonKeysMode } from "./json-functions.ts"
import { rangeText } from "./ranges.ts"
import { ipFromString, ipNetMask, ipToString, ipTrunc, ipv4FromInt64, ipv4ToInt64 } from "./net-functions.ts"
import { formatNumber } from "./number-format.ts"
import { bytesAsText, codePoints, codePointsToBytes, codePointsToString, fromBase32, textAsBytes, parseNumericText, regexpExtract, regexpInstr, soundex, toBase32 } from "./string-functions.ts"

export const FARM_FINGERPRINT_FUNCTION = "mdp_farm_fingerprint"
// SHA512 of BYTES (DuckDB has SHA-256, SHA-1 and MD5 only).
export const SHA512_FUNCTION = "mdp_sha512"
export const BYTES_TO_STRING_FUNCTION = "mdp_safe_convert_bytes_to_string"
export const INSTR_FUNCTION = "mdp_instr"
export const NET_HOST_FUNCTION = "mdp_net_host"
export const NET_PUBLIC_SUFFIX_FUNCTION = "mdp_net_public_suffix"
export const NET_REG_DOMAIN_FUNCTION = "mdp_net_reg_domain"
export const BIGQUERY_JSON_FUNCTION = "mdp_bigquery_json"
export const JSON_KEYS_FUNCTION = "mdp_json_keys"
export const JSON_REMOVE_FUNCTION = "mdp_json_remove"
/** JSON_QUERY with a lax JSONPath (`lax $.a.b`, `lax recursive $.a.b`): the matches as a JSON array's text. */
export const JSON_QUERY_LAX_FUNCTION = "mdp_json_query_lax"
export const JSON_EDIT_FUNCTION = "mdp_json_edit"
export const JSON_STRIP_NULLS_FUNCTION = "mdp_json_strip_nulls"
export const JSON_CONTAINS_FUNCTION = "mdp_json_contains"
export const JSON_FLATTEN_FUNCTION = "mdp_json_flatten"
/** JSON_OBJECT(key, value) or JSON_OBJECT(keys, values): which one is known from the key's type only. */
export const JSON_OBJECT_PAIRS_FUNCTION = "mdp_json_object_pairs"
/** A JSON value with its object members deduplicated and in name order, as BigQuery keeps it. */
export const CANONICAL_JSON_FUNCTION = "mdp_canonical_json"
export const PARSE_JSON_FUNCTION = "mdp_parse_json"
/** BigQuery's name → the function computing it here, for functions called as they are written. */
export const STRING_FUNCTIONS: Readonly<Record<string, string>> = {
  SOUNDEX: "mdp_soundex",
  CODE_POINTS_TO_STRING: "mdp_code_points_to_string",
  CODE_POINTS_TO_BYTES: "mdp_code_points_to_bytes",
  TO_BASE32: "mdp_to_base32",
  FROM_BASE32: "mdp_from_base32"
}
/** PARSE_NUMERIC's text, checked and made plain for DuckDB's cast to DECIMAL. */
export const PARSE_NUMERIC_FUNCTION = "mdp_parse_numeric_text"
export const REGEXP_INSTR_FUNCTION = "mdp_regexp_instr"
export const REGEXP_EXTRACT_FUNCTION = "mdp_regexp_extract"
export const CODE_POINTS_FUNCTION = "mdp_code_points"
export const BYTE_VALUES_FUNCTION = "mdp_byte_values"
/** An INTERVAL in BigQuery's canonical text, `Y-M D H:M:S[.F]` (CAST to STRING, FORMAT's %t). */
export const INTERVAL_TEXT_FUNCTION = "mdp_interval_text"
export const INTERVAL_FROM_TEXT_FUNCTION = "mdp_interval_from_text"
/** An INT64 text in hexadecimal with a sign or spaces (`-0x123`), as BigQuery's CAST reads it. */
export const HEX_INT64_FUNCTION = "mdp_hex_int64"
/** FORMAT's %t (escaped) or %T (a literal) of BYTES, as ZetaSQL's EscapeBytes and ToBytesLiteral write them. */
export const BYTES_TEXT_FUNCTION = "mdp_bytes_text"
/** FORMAT's %t or %T of an ARRAY or a STRUCT (`format-values.ts`). */
export const FORMAT_VALUE_FUNCTION = "mdp_format_value"
/** UPPER and LOWER of a text with non-ASCII characters: Unicode's full case mapping, as ZetaSQL's ICU CaseMap ("ß" → "SS"). */
export const CASE_MAP_FUNCTIONS = { UPPER: "mdp_upper", LOWER: "mdp_lower" } as const
/** ASCII of a STRING (failing on a first character past 127, as ZetaSQL's does) or of BYTES (the first byte). */
export const ASCII_FUNCTION = "mdp_ascii"
/** REVERSE of a STRING by code point, or of BYTES by byte. */
export const REVERSE_FUNCTION = "mdp_reverse"
/** JUSTIFY_DAYS, JUSTIFY_HOURS and JUSTIFY_INTERVAL. */
export const JUSTIFY_FUNCTIONS: Readonly<Record<string, string>> = { JUSTIFY_DAYS: "mdp_justify_days", JUSTIFY_HOURS: "mdp_justify_hours", JUSTIFY_INTERVAL: "mdp_justify_interval" }
/** NUMERIC × NUMERIC as BigQuery computes it: nine decimal places, up to 10^29 (DuckDB's product has 18 and overflows at 10^20). */
export const NUMERIC_MULTIPLY_FUNCTION = "mdp_numeric_multiply"
// CAST(FLOAT64 AS STRING) as ZetaSQL writes it.
export const DOUBLE_TEXT_FUNCTION = "mdp_double_text"
/** CAST(RANGE AS STRING): `[2022-12-01, UNBOUNDED)` (ranges.ts). */
export const RANGE_TEXT_FUNCTION = "mdp_range_text"
/** The NET functions of IP addresses (net-functions.ts). */
export const NET_IP_FUNCTIONS = {
  IP_FROM_STRING: "mdp_net_ip_from_string",
  SAFE_IP_FROM_STRING: "mdp_net_safe_ip_from_string",
  IP_TO_STRING: "mdp_net_ip_to_string",
  IP_NET_MASK: "mdp_net_ip_net_mask",
  IP_TRUNC: "mdp_net_ip_trunc",
  IPV4_FROM_INT64: "mdp_net_ipv4_from_int64",
  IPV4_TO_INT64: "mdp_net_ipv4_to_int64"
} as const
/** CAST(bytes AS STRING FORMAT 'BASE64'…) and CAST(string AS BYTES FORMAT …). */
export const BYTES_AS_TEXT_FUNCTION = "mdp_bytes_as_text"
export const TEXT_AS_BYTES_FUNCTION = "mdp_text_as_bytes"
/** CAST(number AS STRING FORMAT '…'): the value's text, whether it is exact (an integer or a NUMERIC), and the format. */
export const NUMBER_FORMAT_FUNCTION = "mdp_number_format"
/** A DuckDB type's text in BigQuery's names, as INFORMATION_SCHEMA.COLUMNS shows it (bigQueryTypeName). */
export const BIGQUERY_TYPE_FUNCTION = "mdp_bigquery_type"

const SCALAR_TYPE_NAMES: Readonly<Record<string, string>> = {
  BIGINT: "INT64", INTEGER: "INT64", SMALLINT: "INT64", TINYINT: "INT64", HUGEINT: "INT64", UBIGINT: "INT64", UINTEGER: "INT64", INT64: "INT64",
  DOUBLE: "FLOAT64", FLOAT: "FLOAT64", REAL: "FLOAT64", FLOAT64: "FLOAT64",
  VARCHAR: "STRING", STRING: "STRING", TEXT: "STRING",
  BOOLEAN: "BOOL", BOOL: "BOOL",
  "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", TIMESTAMPTZ: "TIMESTAMP", TIMESTAMP: "DATETIME", DATETIME: "DATETIME",
  BLOB: "BYTES", BYTES: "BYTES", BYTEA: "BYTES"
}

/**
 * A DuckDB type's text (`STRUCT(x VARCHAR, y DECIMAL(38,9)[])`, aliases such as DATETIME kept as
 * written) in BigQuery's names (`STRUCT<x STRING, y ARRAY<NUMERIC>>`); a name BigQuery shares
 * (DATE, TIME, JSON, INTERVAL) or does not have is kept.
 */
export const bigQueryTypeName = (duckdb: string): string => {
  let at = 0
  const type = (): string => {
    let name: string
    if (/^STRUCT\(/i.test(duckdb.slice(at))) {
      at += "STRUCT(".length
      const fields: Array<string> = []
      while (at < duckdb.length && duckdb[at] !== ")") {
        const field = /^\s*("(?:[^"]|"")*"|[^\s]+)\s+/.exec(duckdb.slice(at))
        if (field === null) break
        at += field[0].length
        const quoted = field[1]!.startsWith('"') ? field[1]!.slice(1, -1).replaceAll('""', '"') : field[1]!
        fields.push(`${quoted} ${type()}`)
        if (duckdb[at] === ",") at++
      }
      at++
      name = `STRUCT<${fields.join(", ")}>`
    } else {
      const scalar = /^(TIMESTAMP WITH TIME ZONE|(?:DECIMAL|NUMERIC)\(\s*\d+\s*,\s*\d+\s*\)|[A-Za-z_][A-Za-z0-9_]*)/.exec(duckdb.slice(at))?.[1] ?? duckdb.slice(at)
      at += scalar.length
      const decimal = /^(?:DECIMAL|NUMERIC)\(\s*(\d+)\s*,\s*(\d+)\s*\)$/i.exec(scalar)
      name = decimal !== null ? (decimal[1] === "38" && decimal[2] === "9" ? "NUMERIC" : `NUMERIC(${decimal[1]}, ${decimal[2]})`) : /^(DECIMAL|NUMERIC)$/i.test(scalar) ? "NUMERIC" : (SCALAR_TYPE_NAMES[scalar.toUpperCase()] ?? scalar)
    }
    while (duckdb.startsWith("[]", at)) {
      at += 2
      name = `ARRAY<${name}>`
    }
    return name
  }
  const converted = type()
  return at >= duckdb.length ? converted : duckdb
}

/**
 * NET.HOST: the host of a URL, as BigQuery's best effort reads it: spaces around it trimmed, the
 * scheme optional, user info and port dropped, the case kept; NULL when there is none.
 */
export const netHost = (url: string): string | null => {
  let rest = url.trim()
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(rest)
  if (scheme !== null) rest = rest.slice(scheme[0].length)
  else if (rest.startsWith("//")) rest = rest.slice(2)
  const end = rest.search(/[/?#\\]/)
  let authority = end < 0 ? rest : rest.slice(0, end)
  authority = authority.slice(authority.lastIndexOf("@") + 1)
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]")
    return close < 0 ? null : authority.slice(0, close + 1)
  }
  const colon = authority.indexOf(":")
  const host = colon < 0 ? authority : authority.slice(0, colon)
  return host === "" ? null : host
}

type SuffixParse = (host: string, options: { readonly extractHostname: boolean; readonly allowPrivateDomains: boolean }) => {
  readonly publicSuffix: string | null
  readonly domain: string | null
  readonly isIcann: boolean | null
  readonly isIp: boolean | null
}
// Loaded on first use, like FarmHash: the list is large and most runs never look at a URL.
let parseSuffix: SuffixParse | undefined
const loadSuffixParser = (): SuffixParse => (parseSuffix ??= (createRequire(import.meta.url)("tldts") as { parse: SuffixParse }).parse)

/** The last `labels` labels of the host as written (BigQuery keeps the case). */
const lastLabels = (host: string, labels: number): string => host.split(".").slice(-labels).join(".")

/** NET.PUBLIC_SUFFIX and NET.REG_DOMAIN: an ICANN suffix of the URL's host, or NULL. */
export const netDomainPart = (url: string, part: "suffix" | "domain"): string | null => {
  const host = netHost(url)?.replace(/^\.+|\.+$/g, "")
  if (host === undefined || host === "" || host.includes("..")) return null
  const parsed = loadSuffixParser()(host.toLowerCase(), { extractHostname: false, allowPrivateDomains: false })
  if (parsed.isIp === true || parsed.isIcann !== true || parsed.publicSuffix === null) return null
  const wanted = part === "suffix" ? parsed.publicSuffix : parsed.domain
  return wanted === null ? null : lastLabels(host, wanted.split(".").length)
}

/**
 * BigQuery's INSTR(source, search, position, occurrence): the 1-based character position of the
 * occurrence-th match (matches may overlap), searching forwards from `position`, or backwards from
 * the -position-th character from the end; 0 when there is none. A position of 0 or an
 * occurrence below 1 is an error, as in BigQuery.
 */
export const instr = (source: string, search: string, position: number, occurrence: number): number | Error => instrIn(Array.from(source), Array.from(search), position, occurrence)

/** INSTR over characters or bytes: the 1-based place of the occurrence-th match from position (from the end when negative), 0 for none. */
const instrIn = <T>(characters: ReadonlyArray<T>, wanted: ReadonlyArray<T>, position: number, occurrence: number): number | Error => {
  if (position === 0) return new Error("INSTR: position must not be 0")
  if (occurrence < 1) return new Error("INSTR: occurrence must be at least 1")
  const matchesAt = (i: number) => wanted.every((character, k) => characters[i + k] === character)
  let found = 0
  if (position > 0) {
    for (let i = position - 1; i + wanted.length <= characters.length; i++) if (matchesAt(i) && ++found === occurrence) return i + 1
  } else {
    for (let i = Math.min(characters.length + position, characters.length - wanted.length); i >= 0; i--) if (matchesAt(i) && ++found === occurrence) return i + 1
  }
  return 0
}

const instrFunction = DuckDBScalarFunction.create({
  name: INSTR_FUNCTION,
  returnType: BIGINT,
  parameterTypes: [VARCHAR, VARCHAR, BIGINT, BIGINT],
  mainFunction: (info, input, output) => {
    const columns = [0, 1, 2, 3].map((i) => input.getColumnVector(i))
    for (let row = 0; row < input.rowCount; row++) {
      const [source, search, position, occurrence] = columns.map((column) => column.getItem(row)) as [string | null, string | null, bigint | null, bigint | null]
      if (source === null || search === null || position === null || occurrence === null) {
        output.setItem(row, null)
        continue
      }
      const result = instr(source, search, Number(position), Number(occurrence))
      if (result instanceof Error) {
        info.setError(result.message)
        return
      }
      output.setItem(row, BigInt(result) as never)
    }
    output.flush()
  }
})

// TO_JSON_STRING and TO_JSON: DuckDB's JSON text re-encoded as BigQuery's (json-functions.ts).
const bigQueryJsonFunction = DuckDBScalarFunction.create({
  name: BIGQUERY_JSON_FUNCTION,
  returnType: VARCHAR,
  parameterTypes: [VARCHAR, VARCHAR, VARCHAR, BOOLEAN],
  mainFunction: (_info, input, output) => {
    const texts = input.getColumnVector(0)
    if (input.rowCount === 0) return output.flush()
    // The type (typeof of one expression), the mode and pretty_print are the same on every row.
    const [type, mode, pretty] = [1, 2, 3].map((i) => input.getColumnVector(i).getItem(0)) as [string | null, string | null, boolean | null]
    for (let row = 0; row < input.rowCount; row++) {
      const text = texts.getItem(row) as string | null
      output.setItem(row, text === null || type === null ? null : bigQueryJson(text, type, mode === "json" || mode === "wide" ? mode : "string", pretty === true))
    }
    output.flush()
  }
})

/**
 * A function computed row by row in Node: NULL for a NULL argument (unless `nulls` says the
 * function reads them), an Error from `compute` fails the statement with its message.
 */
const rowFunction = (
  name: string,
  parameterTypes: ReadonlyArray<DuckDBType>,
  returnType: DuckDBType,
  compute: (args: ReadonlyArray<DuckDBValue>) => DuckDBValue | Error,
  options: { readonly nulls?: boolean } = {}
) =>
  DuckDBScalarFunction.create({
    name,
    returnType,
    parameterTypes,
    ...(options.nulls === true ? { specialHandling: true } : {}),
    mainFunction: (info, input, output) => {
      const columns = parameterTypes.map((_, i) => input.getColumnVector(i))
      for (let row = 0; row < input.rowCount; row++) {
        const args = columns.map((column) => column.getItem(row) as DuckDBValue)
        if (options.nulls !== true && args.some((arg) => arg === null)) {
          output.setItem(row, null)
          continue
        }
        const result = compute(args)
        if (result instanceof Error) return info.setError(result.message)
        output.setItem(row, result as never)
      }
      output.flush()
    }
  })

const NUMERIC = DECIMAL(38, 9)
const NUMERIC_LIMIT = 10n ** 38n

/**
 * The exact product of two decimals given as scaled integers, rounded half away from zero to
 * NUMERIC's nine places as ZetaSQL's NumericValue::Multiply rounds; an Error beyond NUMERIC's range.
 */
export const numericProduct = (left: bigint, leftScale: number, right: bigint, rightScale: number): bigint | Error => {
  const exact = left * right
  const magnitude = exact < 0n ? -exact : exact
  const extra = leftScale + rightScale - 9
  const rounded = extra <= 0 ? magnitude * 10n ** BigInt(-extra) : (magnitude + 10n ** BigInt(extra) / 2n) / 10n ** BigInt(extra)
  if (rounded >= NUMERIC_LIMIT) return new Error(`numeric overflow: ${numericText(left, leftScale)} * ${numericText(right, rightScale)}`)
  return exact < 0n ? -rounded : rounded
}

const numericText = (scaled: bigint, scale: number): string => {
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(scale + 1, "0")
  const fraction = scale === 0 ? "" : digits.slice(-scale).replace(/0+$/, "")
  return `${scaled < 0n ? "-" : ""}${scale === 0 ? digits : digits.slice(0, -scale)}${fraction === "" ? "" : `.${fraction}`}`
}

const MICROS_PER_DAY = 86_400_000_000n

/** An interval's parts as BigQuery writes them: `[-]Y-M D [-]H:M:S`, seconds' fraction in 3 or 6 digits. */
export const intervalText = (months: number, days: number, micros: bigint): string => {
  const monthSign = months < 0 ? "-" : ""
  const absoluteMonths = Math.abs(months)
  const timeSign = micros < 0n ? "-" : ""
  const time = micros < 0n ? -micros : micros
  const fraction = time % 1_000_000n
  const fractionText = fraction === 0n ? "" : fraction % 1000n === 0n ? `.${String(fraction / 1000n).padStart(3, "0")}` : `.${String(fraction).padStart(6, "0")}`
  return `${monthSign}${Math.floor(absoluteMonths / 12)}-${absoluteMonths % 12} ${days} ${timeSign}${time / 3_600_000_000n}:${(time / 60_000_000n) % 60n}:${(time / 1_000_000n) % 60n}${fractionText}`
}

const INTERVAL_PARTS = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"] as const

/**
 * A range's text (`'10:20:30.5'` for HOUR TO SECOND) as months, days and microseconds: BigQuery's
 * `[-]Y-M [-]D [-]H:M:S[.F]`, the parts of the range only; undefined for text that does not fit.
 */
export const intervalRangeParts = (text: string, from: string, to: string): readonly [bigint, bigint, bigint] | undefined => {
  const first = INTERVAL_PARTS.indexOf(from.toUpperCase() as (typeof INTERVAL_PARTS)[number])
  const last = INTERVAL_PARTS.indexOf(to.toUpperCase() as (typeof INTERVAL_PARTS)[number])
  if (first < 0 || last <= first) return undefined
  const groups = [["YEAR", "MONTH"], ["DAY"], ["HOUR", "MINUTE", "SECOND"]] as const
  // Within a group: Y-M and H:M:S; between groups, spaces.
  const separators = ["-", "", ":"]
  const patterns: Array<string> = []
  const inRange = (part: string) => INTERVAL_PARTS.indexOf(part as (typeof INTERVAL_PARTS)[number]) >= first && INTERVAL_PARTS.indexOf(part as (typeof INTERVAL_PARTS)[number]) <= last
  groups.forEach((group, g) => {
    const parts = group.filter(inRange)
    if (parts.length === 0) return
    const digits = parts.map((part) => (part === "SECOND" ? String.raw`(\d+(?:\.\d{1,6})?)` : String.raw`(\d+)`))
    patterns.push(`([+-]?)${digits.join(separators[g])}`)
  })
  const match = new RegExp(`^\\s*${patterns.join("\\s+")}\\s*$`).exec(text)
  if (match === null) return undefined
  let months = 0n
  let days = 0n
  let micros = 0n
  let at = 1
  groups.forEach((group) => {
    const parts = group.filter(inRange)
    if (parts.length === 0) return
    const sign = match[at++] === "-" ? -1n : 1n
    for (const part of parts) {
      const value = match[at++]!
      if (part === "YEAR") months += sign * BigInt(value) * 12n
      else if (part === "MONTH") months += sign * BigInt(value)
      else if (part === "DAY") days += sign * BigInt(value)
      else if (part === "HOUR") micros += sign * BigInt(value) * 3_600_000_000n
      else if (part === "MINUTE") micros += sign * BigInt(value) * 60_000_000n
      else {
        const [whole, fraction = ""] = value.split(".")
        micros += sign * (BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, "0")))
      }
    }
  })
  return [months, days, micros]
}

/**
 * CAST(STRING AS INTERVAL) as ZetaSQL's IntervalValue::Parse reads it: ISO 8601 ('P1Y2M3DT4H5M6.5S',
 * a comma for the point, W for weeks, a sign per number) when it starts with P, otherwise the
 * interval literal's 'Y-M D H:M:S.F' or the part of it that its spaces, colons and dashes after a
 * digit identify ('1-2', '3 10:20', '10:20:30'); undefined for text it does not read.
 */
export const parseIntervalText = (text: string): readonly [bigint, bigint, bigint] | undefined => {
  if (text.startsWith("P")) {
    const iso = /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:[.,](\d{1,6}))?S)?)?$/.exec(text)
    if (iso === null || text === "P" || text.endsWith("T")) return undefined
    const number = (k: number) => BigInt(iso[k] ?? "0")
    const secondsSign = iso[7] === "-" ? -1n : 1n
    const seconds = secondsSign * (BigInt(iso[8] ?? "0") * 1_000_000n + BigInt((iso[9] ?? "").padEnd(6, "0")))
    return [number(1) * 12n + number(2), number(3) * 7n + number(4), number(5) * 3_600_000_000n + number(6) * 60_000_000n + seconds]
  }
  let previous = ""
  let spaces = 0
  let colons = 0
  let dashes = 0
  for (const character of text) {
    if (character === " ") spaces++
    else if (character === ":") colons++
    else if (character === "-" && /\d/.test(previous)) dashes++
    previous = character
  }
  const ranges: Readonly<Record<string, readonly [string, string]>> = {
    "221": ["YEAR", "SECOND"], "211": ["YEAR", "MINUTE"], "201": ["YEAR", "HOUR"], "101": ["YEAR", "DAY"], "001": ["YEAR", "MONTH"],
    "200": ["MONTH", "HOUR"], "210": ["MONTH", "MINUTE"], "220": ["MONTH", "SECOND"], "110": ["DAY", "MINUTE"], "120": ["DAY", "SECOND"], "020": ["HOUR", "SECOND"]
  }
  const range = ranges[`${spaces}${colons}${dashes}`]
  return range === undefined ? undefined : intervalRangeParts(text, range[0], range[1])
}

type IntervalParts = { readonly months: number; readonly days: number; readonly micros: bigint }

/** JUSTIFY_HOURS, as ZetaSQL's JustifyHours: whole days of the time part moved to the day part, the two given one sign. */
export const justifyHours = (interval: IntervalParts): IntervalParts => {
  let days = interval.days + Number(interval.micros / MICROS_PER_DAY)
  let micros = interval.micros % MICROS_PER_DAY
  if (days > 0 && micros < 0n) [days, micros] = [days - 1, micros + MICROS_PER_DAY]
  else if (days < 0 && micros > 0n) [days, micros] = [days + 1, micros - MICROS_PER_DAY]
  return { months: interval.months, days, micros }
}

/** JUSTIFY_DAYS, as ZetaSQL's JustifyDays: whole 30-day months of the day part moved to the month part, the two given one sign. */
export const justifyDays = (interval: IntervalParts): IntervalParts => {
  let months = interval.months + Math.trunc(interval.days / 30)
  let days = interval.days % 30
  if (months > 0 && days < 0) [months, days] = [months - 1, days + 30]
  else if (months < 0 && days > 0) [months, days] = [months + 1, days - 30]
  return { months, days, micros: interval.micros }
}

/** JUSTIFY_INTERVAL, as ZetaSQL's JustifyInterval: both moves, then every part given one sign (Postgres's rule). */
export const justifyInterval = (interval: IntervalParts): IntervalParts => {
  let days = interval.days + Number(interval.micros / MICROS_PER_DAY)
  let micros = interval.micros % MICROS_PER_DAY
  let months = interval.months + Math.trunc(days / 30)
  days = days % 30
  if (months > 0 && (days < 0 || (days === 0 && micros < 0n))) [months, days] = [months - 1, days + 30]
  else if (months < 0 && (days > 0 || (days === 0 && micros > 0n))) [months, days] = [months + 1, days - 30]
  if (days > 0 && micros < 0n) [days, micros] = [days - 1, micros + MICROS_PER_DAY]
  else if (days < 0 && micros > 0n) [days, micros] = [days + 1, micros - MICROS_PER_DAY]
  return { months, days, micros }
}

const asInterval = (value: DuckDBValue): DuckDBIntervalValue => value as DuckDBIntervalValue
const intervalOf = (parts: IntervalParts) => intervalValue(parts.months, parts.days, parts.micros)

/** Where `search` first starts in `source` at or after `from`, or -1. */
const bytesIndexOf = (source: Uint8Array, search: Uint8Array, from: number): number => {
  for (let i = from; i + search.length <= source.length; i++) if (search.every((byte, k) => source[i + k] === byte)) return i
  return -1
}
const blobOf = (bytes: Uint8Array | ReadonlyArray<number>) => blobValue(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes))
const padded = (name: string, side: "left" | "right") => ([value, length, pattern]: ReadonlyArray<DuckDBValue>) => {
  const bytes = bytesOf(value!)
  const wanted = Number(length as bigint)
  const fill = pattern === undefined ? Uint8Array.of(0x20) : bytesOf(pattern)
  if (wanted < 0) return new Error(`${name}: return_length must not be negative`)
  if (fill.length === 0) return new Error(`${name}: the pattern must not be empty`)
  if (wanted <= bytes.length) return blobOf(bytes.slice(0, wanted))
  const padding = Array.from({ length: wanted - bytes.length }, (_, i) => fill[i % fill.length]!)
  return blobOf(side === "left" ? [...padding, ...bytes] : [...bytes, ...padding])
}
const trimmed = (sides: "both" | "left" | "right") => ([value, set]: ReadonlyArray<DuckDBValue>) => {
  const bytes = bytesOf(value!)
  const removed = new Set(bytesOf(set!))
  let start = 0
  let end = bytes.length
  if (sides !== "right") while (start < end && removed.has(bytes[start]!)) start++
  if (sides !== "left") while (end > start && removed.has(bytes[end - 1]!)) end--
  return blobOf(bytes.slice(start, end))
}
/** ZetaSQL's EscapeBytes: printable ASCII as it is (a backslash and the quote escaped), other bytes as \\xNN. */
export const escapedBytes = (bytes: Uint8Array, quote: string | undefined): string =>
  Array.from(bytes, (byte) => {
    const character = String.fromCharCode(byte)
    if (byte < 0x20 || byte > 0x7e) return `\\x${byte.toString(16).padStart(2, "0")}`
    if (character === "\\") return "\\\\"
    if ((character === "'" || character === '"' || character === "`") && (quote === undefined || quote === character)) return `\\${character}`
    return character
  }).join("")

/** ZetaSQL's ToBytesLiteral: b"…", or b'…' when the bytes hold a " and no '. */
export const bytesLiteral = (bytes: Uint8Array): string => {
  const quote = bytes.includes(0x22) && !bytes.includes(0x27) ? "'" : '"'
  return `b${quote}${escapedBytes(bytes, quote)}${quote}`
}

/**
 * BYTES forms of string functions, registered under DuckDB's own names beside its VARCHAR ones
 * (which DuckDB lacks for BLOB): the translation of LEFT, RIGHT, LPAD, RPAD, TRIM, LTRIM, RTRIM,
 * SUBSTR, STRPOS, STARTS_WITH, ENDS_WITH, REPLACE, SPLIT and INSTR calls the same name for either
 * type, and DuckDB picks by the argument's type. Each works on bytes as BigQuery's string_functions
 * state. REVERSE, and FORMAT's text of BYTES, ARRAYs and STRUCTs, have functions of their own.
 */
const bytesFunctions = [
  // ANY and the value's typeof, which leads the writing of each element and field.
  rowFunction(FORMAT_VALUE_FUNCTION, [ANY, VARCHAR, BOOLEAN], VARCHAR, ([value, type, literal]) =>
    formattedValue(value!, parseDuckType(type as string), literal === true, (bytes, asLiteral) => (asLiteral ? bytesLiteral(bytes) : escapedBytes(bytes, undefined)), intervalText)
  ),
  // ANY, so that the call binds in FORMAT's typeof dispatch, whose other branches take other types.
  rowFunction(BYTES_TEXT_FUNCTION, [ANY, BOOLEAN], VARCHAR, ([value, literal]) =>
    value instanceof DuckDBBlobValue ? (literal === true ? bytesLiteral(value.bytes) : escapedBytes(value.bytes, undefined)) : new Error(`${BYTES_TEXT_FUNCTION} writes BYTES only`)
  ),
  rowFunction("left", [BLOB, BIGINT], BLOB, ([value, length]) => ((length as bigint) < 0n ? new Error("LEFT: length must not be negative") : blobOf(bytesOf(value!).slice(0, Number(length as bigint))))),
  rowFunction("right", [BLOB, BIGINT], BLOB, ([value, length]) => {
    const bytes = bytesOf(value!)
    return (length as bigint) < 0n ? new Error("RIGHT: length must not be negative") : blobOf(bytes.slice(Math.max(0, bytes.length - Number(length as bigint))))
  }),
  rowFunction("lpad", [BLOB, BIGINT, BLOB], BLOB, padded("LPAD", "left")),
  rowFunction("lpad", [BLOB, BIGINT], BLOB, padded("LPAD", "left")),
  rowFunction("rpad", [BLOB, BIGINT, BLOB], BLOB, padded("RPAD", "right")),
  rowFunction("rpad", [BLOB, BIGINT], BLOB, padded("RPAD", "right")),
  rowFunction(CASE_MAP_FUNCTIONS.UPPER, [VARCHAR], VARCHAR, ([value]) => (value as string).toUpperCase()),
  rowFunction(CASE_MAP_FUNCTIONS.LOWER, [VARCHAR], VARCHAR, ([value]) => (value as string).toLowerCase()),
  rowFunction(ASCII_FUNCTION, [VARCHAR], BIGINT, ([value]) => {
    const first = (value as string).codePointAt(0) ?? 0
    return first > 127 ? new Error(`Argument to ASCII is not a structurally valid ASCII string: '${value as string}'`) : BigInt(first)
  }),
  rowFunction(ASCII_FUNCTION, [BLOB], BIGINT, ([value]) => BigInt(bytesOf(value!)[0] ?? 0)),
  // REVERSE by code point (DuckDB's reverse goes by grapheme cluster), or by byte.
  rowFunction(REVERSE_FUNCTION, [VARCHAR], VARCHAR, ([value]) => Array.from(value as string).reverse().join("")),
  rowFunction(REVERSE_FUNCTION, [BLOB], BLOB, ([value]) => blobOf(bytesOf(value!).slice().reverse())),
  rowFunction("starts_with", [BLOB, BLOB], BOOLEAN, ([value, prefix]) => {
    const [bytes, start] = [bytesOf(value!), bytesOf(prefix!)]
    return start.length <= bytes.length && start.every((byte, i) => bytes[i] === byte)
  }),
  rowFunction("ends_with", [BLOB, BLOB], BOOLEAN, ([value, suffix]) => {
    const [bytes, end] = [bytesOf(value!), bytesOf(suffix!)]
    return end.length <= bytes.length && end.every((byte, i) => bytes[bytes.length - end.length + i] === byte)
  }),
  rowFunction("trim", [BLOB, BLOB], BLOB, trimmed("both")),
  rowFunction("ltrim", [BLOB, BLOB], BLOB, trimmed("left")),
  rowFunction("rtrim", [BLOB, BLOB], BLOB, trimmed("right")),
  // The translation of SUBSTR has made the start 1-based and positive.
  rowFunction("substring", [BLOB, BIGINT, BIGINT], BLOB, ([value, start, length]) =>
    (length as bigint) < 0n ? new Error("SUBSTR: length must not be negative") : blobOf(bytesOf(value!).slice(Number(start as bigint) - 1, Number(start as bigint) - 1 + Number(length as bigint)))
  ),
  rowFunction("substring", [BLOB, BIGINT], BLOB, ([value, start]) => blobOf(bytesOf(value!).slice(Number(start as bigint) - 1))),
  rowFunction("strpos", [BLOB, BLOB], BIGINT, ([value, search]) => BigInt(bytesIndexOf(bytesOf(value!), bytesOf(search!), 0) + 1)),
  rowFunction("replace", [BLOB, BLOB, BLOB], BLOB, ([value, from, to]) => {
    const [bytes, search, replacement] = [bytesOf(value!), bytesOf(from!), bytesOf(to!)]
    if (search.length === 0) return blobOf(bytes)
    const out: Array<number> = []
    let at = 0
    for (let found = bytesIndexOf(bytes, search, 0); found >= 0; found = bytesIndexOf(bytes, search, at)) {
      out.push(...bytes.slice(at, found), ...replacement)
      at = found + search.length
    }
    return blobOf([...out, ...bytes.slice(at)])
  }),
  rowFunction("str_split", [BLOB, BLOB], LIST(BLOB), ([value, delimiter]) => {
    const [bytes, separator] = [bytesOf(value!), bytesOf(delimiter!)]
    if (separator.length === 0) return listValue(Array.from(bytes, (byte) => blobOf([byte])))
    const parts: Array<ReturnType<typeof blobOf>> = []
    let at = 0
    for (let found = bytesIndexOf(bytes, separator, 0); found >= 0; found = bytesIndexOf(bytes, separator, at)) {
      parts.push(blobOf(bytes.slice(at, found)))
      at = found + separator.length
    }
    return listValue([...parts, blobOf(bytes.slice(at))])
  }),
  rowFunction(INSTR_FUNCTION, [BLOB, BLOB, BIGINT, BIGINT], BIGINT, ([value, search, position, occurrence]) => {
    const found = instrIn(Array.from(bytesOf(value!)), Array.from(bytesOf(search!)), Number(position as bigint), Number(occurrence as bigint))
    return found instanceof Error ? found : BigInt(found)
  })
]

const items = (list: DuckDBValue): ReadonlyArray<bigint | null> => (list as DuckDBListValue).items as ReadonlyArray<bigint | null>
const bytesOf = (value: DuckDBValue): Uint8Array => (value as DuckDBBlobValue).bytes
const withBlob = (value: Uint8Array | null | Error) => (value === null || value instanceof Error ? value : blobValue(value))

const stringAndJsonFunctions = [
  rowFunction(STRING_FUNCTIONS["SOUNDEX"]!, [VARCHAR], VARCHAR, ([value]) => soundex(value as string)),
  rowFunction(CODE_POINTS_FUNCTION, [VARCHAR], LIST(BIGINT), ([value]) => listValue([...codePoints(value as string)])),
  rowFunction(BYTE_VALUES_FUNCTION, [BLOB], LIST(BIGINT), ([value]) => listValue(Array.from(bytesOf(value!), (byte) => BigInt(byte)))),
  rowFunction(STRING_FUNCTIONS["CODE_POINTS_TO_STRING"]!, [LIST(BIGINT)], VARCHAR, ([list]) => codePointsToString(items(list!))),
  rowFunction(STRING_FUNCTIONS["CODE_POINTS_TO_BYTES"]!, [LIST(BIGINT)], BLOB, ([list]) => withBlob(codePointsToBytes(items(list!)))),
  rowFunction(STRING_FUNCTIONS["TO_BASE32"]!, [BLOB], VARCHAR, ([value]) => toBase32(bytesOf(value!))),
  rowFunction(STRING_FUNCTIONS["FROM_BASE32"]!, [VARCHAR], BLOB, ([value]) => withBlob(fromBase32(value as string))),
  rowFunction(PARSE_NUMERIC_FUNCTION, [VARCHAR], VARCHAR, ([value]) => parseNumericText(value as string)),
  // Safe (SAFE_CAST): NULL instead of the error, without TRY(…), which DuckDB refuses around a window function.
  rowFunction(HEX_INT64_FUNCTION, [VARCHAR, BOOLEAN], BIGINT, ([value, safe]) => {
    const match = /^\s*([+-]?)0[xX]([0-9a-fA-F]+)\s*$/.exec(value as string)
    const number = match === null ? undefined : BigInt(`0x${match[2]}`) * (match[1] === "-" ? -1n : 1n)
    if (number !== undefined && number <= 2n ** 63n - 1n && number >= -(2n ** 63n)) return number
    return safe === true ? null : new Error(`Bad int64 value: ${value as string}`)
  }),
  rowFunction(DOUBLE_TEXT_FUNCTION, [DOUBLE], VARCHAR, ([value]) => doubleText(value as number)),
  // ANY, so that the call binds in the CASE branch of CAST … AS STRING that typeof rules out for other types.
  // DuckDB's spelling of a BigQuery interval text (parseIntervalText), for its CAST to INTERVAL.
  rowFunction(INTERVAL_FROM_TEXT_FUNCTION, [VARCHAR, BOOLEAN], VARCHAR, ([text, safe]) => {
    const parts = parseIntervalText(text as string)
    if (parts !== undefined) return `${parts[0]} months ${parts[1]} days ${parts[2]} microseconds`
    return safe === true ? null : new Error(`Invalid INTERVAL value: '${text as string}'`)
  }),
  rowFunction(INTERVAL_TEXT_FUNCTION, [ANY], VARCHAR, ([value]) =>
    value instanceof DuckDBIntervalValue ? intervalText(value.months, value.days, value.micros) : new Error(`${INTERVAL_TEXT_FUNCTION} writes intervals only`)
  ),
  rowFunction(JUSTIFY_FUNCTIONS["JUSTIFY_DAYS"]!, [INTERVAL], INTERVAL, ([value]) => intervalOf(justifyDays(asInterval(value!)))),
  rowFunction(JUSTIFY_FUNCTIONS["JUSTIFY_HOURS"]!, [INTERVAL], INTERVAL, ([value]) => intervalOf(justifyHours(asInterval(value!)))),
  rowFunction(JUSTIFY_FUNCTIONS["JUSTIFY_INTERVAL"]!, [INTERVAL], INTERVAL, ([value]) => intervalOf(justifyInterval(asInterval(value!)))),
  // ANY, so that the call binds in a CASE branch that typeof rules out for other operand types.
  rowFunction(NUMERIC_MULTIPLY_FUNCTION, [ANY, ANY], NUMERIC, ([left, right]) => {
    if (!(left instanceof DuckDBDecimalValue) || !(right instanceof DuckDBDecimalValue)) return new Error(`${NUMERIC_MULTIPLY_FUNCTION} multiplies decimals only`)
    const product = numericProduct(left.value, left.scale, right.value, right.scale)
    return product instanceof Error ? product : decimalValue(product, 38, 9)
  }),
  rowFunction(REGEXP_INSTR_FUNCTION, [VARCHAR, VARCHAR, BIGINT, BIGINT, BIGINT], BIGINT, ([source, pattern, position, occurrence, at]) => {
    const found = regexpInstr(source as string, pattern as string, Number(position), Number(occurrence), Number(at))
    return found instanceof Error ? found : BigInt(found)
  }),
  rowFunction(REGEXP_EXTRACT_FUNCTION, [VARCHAR, VARCHAR], VARCHAR, ([source, pattern]) => regexpExtract(source as string, pattern as string)),
  // ANY, so that the call binds in a CASE branch that typeof rules out for other operand types.
  rowFunction(RANGE_TEXT_FUNCTION, [ANY], VARCHAR, ([value]) =>
    value instanceof DuckDBStructValue ? rangeText(value.entries) : new Error(`${RANGE_TEXT_FUNCTION} writes RANGEs only`)
  ),
  rowFunction(NET_IP_FUNCTIONS.IP_FROM_STRING, [VARCHAR], BLOB, ([text]) => withBlob(ipFromString(text as string))),
  rowFunction(NET_IP_FUNCTIONS.SAFE_IP_FROM_STRING, [VARCHAR], BLOB, ([text]) => {
    const bytes = ipFromString(text as string)
    return bytes instanceof Error ? null : blobValue(bytes)
  }),
  rowFunction(NET_IP_FUNCTIONS.IP_TO_STRING, [BLOB], VARCHAR, ([bytes]) => ipToString(bytesOf(bytes!))),
  rowFunction(NET_IP_FUNCTIONS.IP_NET_MASK, [BIGINT, BIGINT], BLOB, ([length, prefix]) => withBlob(ipNetMask(length as bigint, prefix as bigint))),
  rowFunction(NET_IP_FUNCTIONS.IP_TRUNC, [BLOB, BIGINT], BLOB, ([bytes, prefix]) => withBlob(ipTrunc(bytesOf(bytes!), prefix as bigint))),
  rowFunction(NET_IP_FUNCTIONS.IPV4_FROM_INT64, [BIGINT], BLOB, ([value]) => withBlob(ipv4FromInt64(value as bigint))),
  rowFunction(NET_IP_FUNCTIONS.IPV4_TO_INT64, [BLOB], BIGINT, ([bytes]) => ipv4ToInt64(bytesOf(bytes!))),
  rowFunction(BYTES_AS_TEXT_FUNCTION, [BLOB, VARCHAR], VARCHAR, ([bytes, format]) => bytesAsText(bytesOf(bytes!), format as string)),
  rowFunction(TEXT_AS_BYTES_FUNCTION, [VARCHAR, VARCHAR], BLOB, ([text, format]) => withBlob(textAsBytes(text as string, format as string))),
  rowFunction(NUMBER_FORMAT_FUNCTION, [VARCHAR, BOOLEAN, VARCHAR], VARCHAR, ([text, exact, format]) => formatNumber(text as string, exact as boolean, format as string)),
  rowFunction(JSON_QUERY_LAX_FUNCTION, [VARCHAR, VARCHAR], VARCHAR, ([json, path]) => jsonQueryLax(json as string, path as string)),
  rowFunction(JSON_REMOVE_FUNCTION, [VARCHAR, LIST(VARCHAR)], VARCHAR, ([json, paths]) => jsonRemove(json as string, (paths as DuckDBListValue).items as ReadonlyArray<string | null>)),
  // JSON_SET, JSON_ARRAY_APPEND, JSON_ARRAY_INSERT: the operation, the JSON, its paths, their
  // values as JSON text and whether each is a SQL ARRAY, and the flag (NULL: the JSON unchanged).
  rowFunction(
    JSON_EDIT_FUNCTION,
    [VARCHAR, VARCHAR, LIST(VARCHAR), LIST(VARCHAR), LIST(BOOLEAN), BOOLEAN],
    VARCHAR,
    ([operation, json, paths, values, spreads, flag]) => {
      if (json === null || flag === null) return json
      const valueTexts = (values as DuckDBListValue).items
      const spreadFlags = (spreads as DuckDBListValue).items
      // The flag is create_if_missing for JSON_SET, append_each_element or insert_each_element otherwise.
      const spreadArrays = operation !== "set" && flag === true
      const edits = (paths as DuckDBListValue).items.map((path, i) => ({ path: path as string | null, value: valueTexts[i] as string, spread: spreadArrays && spreadFlags[i] === true }))
      return jsonEdit(operation as "set" | "append" | "insert", json as string, edits, flag === true)
    },
    { nulls: true }
  ),
  rowFunction(CANONICAL_JSON_FUNCTION, [VARCHAR], VARCHAR, ([json]) => canonicalJson(json as string)),
  rowFunction(PARSE_JSON_FUNCTION, [VARCHAR, VARCHAR], VARCHAR, ([text, mode]) => parsedJson(text as string, mode as string)),
  // ANY: a STRING key, or an ARRAY of them (a NULL key fails, as in BigQuery).
  rowFunction(
    JSON_OBJECT_PAIRS_FUNCTION,
    [ANY, VARCHAR],
    VARCHAR,
    ([keys, values]) => {
      if (keys === null) return new Error("JSON_OBJECT: a key cannot be NULL")
      if (values === null) return new Error("JSON_OBJECT: the values cannot be NULL")
      return jsonObjectOf(typeof keys === "string" ? keys : ((keys as DuckDBListValue).items as ReadonlyArray<string | null>), values as string)
    },
    { nulls: true }
  ),
  rowFunction(JSON_FLATTEN_FUNCTION, [VARCHAR], LIST(VARCHAR), ([json]) => listValue([...jsonFlatten(json as string)])),
  rowFunction(JSON_CONTAINS_FUNCTION, [VARCHAR, VARCHAR], BOOLEAN, ([container, contained]) => jsonContains(container as string, contained as string)),
  // A NULL path or option gives the value back as it is.
  rowFunction(
    JSON_STRIP_NULLS_FUNCTION,
    [VARCHAR, VARCHAR, BOOLEAN, BOOLEAN, BOOLEAN],
    VARCHAR,
    ([json, path, hasPath, includeArrays, removeEmpty]) =>
      json === null ? null : (hasPath === true && path === null) || includeArrays === null || removeEmpty === null ? (json as string) : jsonStripNulls(json as string, hasPath === true ? (path as string) : undefined, includeArrays === true, removeEmpty === true),
    { nulls: true }
  )
]

const JSON_KEYS_MODES: ReadonlyArray<JsonKeysMode> = ["strict", "lax", "lax recursive"]

// JSON_KEYS(json, max_depth, mode): the JSON as text, max_depth NULL for every level.
const jsonKeysFunction = DuckDBScalarFunction.create({
  name: JSON_KEYS_FUNCTION,
  returnType: LIST(VARCHAR),
  parameterTypes: [VARCHAR, BIGINT, VARCHAR],
  specialHandling: true,
  mainFunction: (info, input, output) => {
    const columns = [0, 1, 2].map((i) => input.getColumnVector(i))
    for (let row = 0; row < input.rowCount; row++) {
      const [text, depth, mode] = columns.map((column) => column.getItem(row)) as [string | null, bigint | null, string | null]
      if (text === null) {
        output.setItem(row, null)
        continue
      }
      if (depth !== null && depth <= 0n) return info.setError("JSON_KEYS: max_depth must be positive")
      const wanted = (mode ?? "strict").toLowerCase() as JsonKeysMode
      if (!JSON_KEYS_MODES.includes(wanted)) return info.setError(`JSON_KEYS: mode must be 'strict', 'lax' or 'lax recursive', not '${mode}'`)
      output.setItem(row, listValue([...jsonKeys(text, depth === null ? undefined : Number(depth), wanted)]))
    }
    output.flush()
  }
})

type Fingerprint = (input: string) => bigint
// Loaded on first use: most runs never fingerprint, and the WebAssembly module costs a start-up.
let fingerprint: Fingerprint | undefined
const loadFingerprint = (): Fingerprint =>
  (fingerprint ??= (createRequire(import.meta.url)("farmhash-modern") as { bigqueryFingerprint: Fingerprint }).bigqueryFingerprint)

// A function of one argument, NULL for NULL, applied row by row.
const unary = <I, O>(name: string, returnType: typeof VARCHAR | typeof BIGINT, parameterType: typeof VARCHAR | typeof BLOB, apply: (value: I) => O) =>
  DuckDBScalarFunction.create({
    name,
    returnType,
    parameterTypes: [parameterType],
    mainFunction: (_info, input, output) => {
      const values = input.getColumnVector(0)
      for (let row = 0; row < input.rowCount; row++) {
        const value = values.getItem(row) as I | null
        output.setItem(row, value === null ? null : (apply(value) as never))
      }
      output.flush()
    }
  })

export type NormalForm = "NFC" | "NFKC" | "NFD" | "NFKD"
const NORMAL_FORMS: ReadonlyArray<NormalForm> = ["NFC", "NFKC", "NFD", "NFKD"]
/** The function computing NORMALIZE (or NORMALIZE_AND_CASEFOLD) in a normal form. */
export const normalizeFunction = (form: NormalForm, casefold: boolean): string => `mdp_normalize_${casefold ? "casefold_" : ""}${form.toLowerCase()}`
/**
 * Unicode case folding as upper then lower case: 'ß' folds to 'ss' as in full case folding, which
 * lower-casing alone misses. Normalised before and after, since folding can undo a normal form.
 */
export const normalizeAndCasefold = (value: string, form: NormalForm): string => value.normalize(form).toUpperCase().toLowerCase().normalize(form)

export const registerBuiltinFunctions = (connection: DuckDBConnection): void => {
  for (const form of NORMAL_FORMS) {
    connection.registerScalarFunction(unary(normalizeFunction(form, false), VARCHAR, VARCHAR, (value: string) => value.normalize(form)))
    connection.registerScalarFunction(unary(normalizeFunction(form, true), VARCHAR, VARCHAR, (value: string) => normalizeAndCasefold(value, form)))
  }
  connection.registerScalarFunction(unary(FARM_FINGERPRINT_FUNCTION, BIGINT, VARCHAR, (value: string) => loadFingerprint()(value)))
  connection.registerScalarFunction(instrFunction)
  connection.registerScalarFunction(bigQueryJsonFunction)
  connection.registerScalarFunction(jsonKeysFunction)
  for (const fn of stringAndJsonFunctions) connection.registerScalarFunction(fn)
  for (const fn of bytesFunctions) connection.registerScalarFunction(fn)
  connection.registerScalarFunction(rowFunction(SHA512_FUNCTION, [BLOB], BLOB, ([value]) => blobValue(createHash("sha512").update(bytesOf(value!)).digest())))
  connection.registerScalarFunction(unary(BYTES_TO_STRING_FUNCTION, VARCHAR, BLOB, (value: DuckDBBlobValue) => Buffer.from(value.bytes).toString("utf8")))
  connection.registerScalarFunction(unary(BIGQUERY_TYPE_FUNCTION, VARCHAR, VARCHAR, bigQueryTypeName))
  connection.registerScalarFunction(unary(NET_HOST_FUNCTION, VARCHAR, VARCHAR, netHost))
  connection.registerScalarFunction(unary(NET_PUBLIC_SUFFIX_FUNCTION, VARCHAR, VARCHAR, (url: string) => netDomainPart(url, "suffix")))
  connection.registerScalarFunction(unary(NET_REG_DOMAIN_FUNCTION, VARCHAR, VARCHAR, (url: string) => netDomainPart(url, "domain")))
}
