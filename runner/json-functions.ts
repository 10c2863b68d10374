/**
 * BigQuery JSON functions DuckDB has no match for, on JSON text (registered in builtin-functions.ts).
 *
 * BigQuery's JSON encoding of SQL values, for TO_JSON_STRING and TO_JSON
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_encodings):
 * DuckDB's to_json writes a TIMESTAMP as "2017-01-01 12:00:00+00", a NUMERIC with all its scale
 * digits, BYTES as escaped text and NaN bare. This rewrites DuckDB's JSON text, led by the value's
 * DuckDB type (typeof), into BigQuery's: TIMESTAMP "2017-01-01T12:00:00Z", DATETIME with a T, BYTES
 * in base64, FLOAT64 as its shortest number (1.0 is 1) or "NaN"/"Infinity", and for TO_JSON_STRING
 * an INT64 beyond ±2^53 and a NUMERIC with a fraction or beyond ±2^53 as strings.
 *
 * JSON_KEYS, JSON_REMOVE and JSON_STRIP_NULLS, as documented in
 * https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions. Objects keep their
 * keys' order and numbers their text throughout.
 */

/** A DuckDB type as typeof prints it, read into what the encoding needs. */
type DuckType =
  | { readonly kind: "struct"; readonly fields: ReadonlyArray<DuckType> }
  | { readonly kind: "list"; readonly element: DuckType }
  | { readonly kind: "scalar"; readonly name: string }

/** `STRUCT("a b" INTEGER, c DECIMAL(38,9)[])`, `INTEGER[][]`, `TIMESTAMP WITH TIME ZONE`. */
export const parseDuckType = (text: string): DuckType => {
  let at = 0
  const readType = (): DuckType => {
    let type: DuckType
    if (text.startsWith("STRUCT(", at)) {
      at += "STRUCT(".length
      const fields: Array<DuckType> = []
      while (text[at] !== ")" && at < text.length) {
        // The field's name: quoted (with "" for a quote) or a bare word.
        if (text[at] === '"') {
          at++
          while (at < text.length && !(text[at] === '"' && text[at + 1] !== '"')) at += text[at] === '"' ? 2 : 1
          at++
        } else while (at < text.length && text[at] !== " ") at++
        at++ // the space before the type
        fields.push(readType())
        if (text.startsWith(", ", at)) at += 2
      }
      at++
      type = { kind: "struct", fields }
    } else {
      const start = at
      let depth = 0
      while (at < text.length) {
        const c = text[at]!
        if (c === "(") depth++
        else if (c === ")") {
          if (depth === 0) break
          depth--
        } else if ((c === "," || c === "[") && depth === 0) break
        at++
      }
      type = { kind: "scalar", name: text.slice(start, at).trim() }
    }
    // `[]` (a list) or `[3]` (a fixed array): both arrays in BigQuery's terms.
    while (text[at] === "[") {
      at = text.indexOf("]", at) + 1
      type = { kind: "list", element: type }
    }
    return type
  }
  return readType()
}

/**
 * A parsed JSON value whose numbers keep their text (an INT64 beyond 2^53 must not round) and
 * whose strings keep DuckDB's escaped text, re-escaped only when re-encoded.
 */
type Json =
  | { readonly kind: "null" }
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "string"; readonly raw: string }
  | { readonly kind: "array"; readonly items: ReadonlyArray<Json> }
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, Json]> }

const QUOTE = 34
const BACKSLASH = 92
const isSpace = (code: number): boolean => code === 32 || code === 10 || code === 13 || code === 9
// Where a bare literal (number, true, NaN…) ends.
const endsLiteral = (code: number): boolean => isSpace(code) || code === 44 || code === 93 || code === 125

/** DuckDB's JSON text (NaN and Infinity may appear bare), read by hand: a row at a time, fast. */
const parseJson = (text: string): Json => {
  let at = 0
  const space = () => {
    while (at < text.length && isSpace(text.charCodeAt(at))) at++
  }
  // The string's text with its quotes, as written.
  const readString = (): string => {
    const start = at
    at++
    for (let code = text.charCodeAt(at); code !== QUOTE; code = text.charCodeAt(at)) at += code === BACKSLASH ? 2 : 1
    at++
    return text.slice(start, at)
  }
  const read = (): Json => {
    space()
    const c = text[at]
    if (c === "{") {
      at++
      const entries: Array<readonly [string, Json]> = []
      space()
      if (text[at] === "}") {
        at++
        return { kind: "object", entries }
      }
      for (;;) {
        space()
        const key = readString()
        space()
        at++ // :
        entries.push([key, read()])
        space()
        if (text[at++] === "}") return { kind: "object", entries }
      }
    }
    if (c === "[") {
      at++
      const items: Array<Json> = []
      space()
      if (text[at] === "]") {
        at++
        return { kind: "array", items }
      }
      for (;;) {
        items.push(read())
        space()
        if (text[at++] === "]") return { kind: "array", items }
      }
    }
    if (c === '"') return { kind: "string", raw: readString() }
    const start = at
    while (at < text.length && !endsLiteral(text.charCodeAt(at))) at++
    const literal = text.slice(start, at)
    return literal === "null" ? { kind: "null" } : { kind: "literal", text: literal }
  }
  return read()
}

const unescaped = (raw: string): string => (raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1))

const TWO_TO_53 = 2n ** 53n

/** DuckDB's text of a BLOB: bytes as characters, others as \xNN. */
const blobBytes = (text: string): Buffer => {
  const bytes: Array<number> = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && text[i + 1] === "x") {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else bytes.push(...Buffer.from(text[i]!, "utf8"))
  }
  return Buffer.from(bytes)
}

/** `1.500000000` → `1.5`, `2.000` → `2`. */
const trimmedDecimal = (text: string): string => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text)

const quoted = (text: string): Json => ({ kind: "string", raw: JSON.stringify(text) })

/**
 * How numbers are written: TO_JSON_STRING's way ("string": integers beyond ±2^53 and NUMERICs with
 * a fraction as strings), TO_JSON's ("json": as numbers), or TO_JSON's with stringify_wide_numbers
 * ("wide": numbers outside FLOAT64's domain, which a FLOAT64 would change, as strings).
 */
export type JsonNumbers = "string" | "json" | "wide"

/** printf's `%.{precision}g`: exponent form below 1e-4 or from 10^precision, trailing zeros dropped. */
const printfG = (value: number, precision: number): string => {
  const [mantissa, exponentText] = value.toExponential(precision - 1).split("e") as [string, string]
  const exponent = Number(exponentText)
  const trimmed = (text: string) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text)
  if (exponent < -4 || exponent >= precision) return `${trimmed(mantissa)}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`
  return trimmed(value.toFixed(precision - 1 - exponent))
}

// ZetaSQL checks the short form only below this (DBL_MAX / 1.000000000000001).
const DOUBLE_PRECISION_CHECK_MAX = Number.MAX_VALUE / 1.000000000000001

/**
 * A FLOAT64 as text, as ZetaSQL's RoundTripDoubleToString writes it for CAST(… AS STRING) and
 * TO_JSON_STRING: 15 significant digits when they read back as the same number, else 17 (`1/3` is
 * 0.33333333333333331, `1e15` is 1e+15), "nan", "inf" and "-inf".
 */
export const doubleText = (value: number): string => {
  if (Number.isNaN(value)) return "nan"
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf"
  if (value === 0) return "0"
  if (Math.abs(value) <= DOUBLE_PRECISION_CHECK_MAX) {
    const short = printfG(value, 15)
    if (Number(short) === value) return short
  }
  return printfG(value, 17)
}

/**
 * A finite FLOAT64 as a JSON value's number (TO_JSON), as ZetaSQL's JSON type writes it: the
 * shortest digits that read back as the number, in positional notation while the decimal point
 * falls within 15 digits of the first and no more than 4 zeros precede it (1e+20, 1e-05,
 * 9.007199254740992e+15), an integral value without a fraction (the documentation's 1.0 is 1).
 */
const jsonDoubleText = (value: number): string => {
  if (value === 0) return "0"
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string]
  const digits = mantissa.replace(".", "")
  const point = Number(exponentText) + 1
  const sign = value < 0 ? "-" : ""
  if (digits.length <= point && point <= 15) return `${sign}${digits}${"0".repeat(point - digits.length)}`
  if (0 < point && point <= 15) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
  if (-4 < point && point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`
  const exponent = point - 1
  return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ""}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`
}

/**
 * An INTERVAL in JSON, as ZetaSQL's IntervalValue::ToISO8601 writes it ("P1DT5H30M", "P-2Y-1M",
 * "PT0.5S", "P0Y" for none), from DuckDB's text of it ("1 day 05:30:00", "-2 years -1 month").
 */
const intervalIso8601 = (duckText: string): string => {
  let months = 0
  let days = 0
  for (const [, amount, unit] of duckText.matchAll(/(-?\d+) (year|month|day)s?/g)) {
    if (unit === "year") months += 12 * Number(amount)
    else if (unit === "month") months += Number(amount)
    else days += Number(amount)
  }
  const time = /(-?)(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(duckText)
  const micros = time === null ? 0n : (time[1] === "-" ? -1n : 1n) * ((BigInt(time[2]!) * 3600n + BigInt(time[3]!) * 60n + BigInt(time[4]!)) * 1_000_000n + BigInt((time[5] ?? "").padEnd(6, "0")))
  const hours = micros / 3_600_000_000n
  const minutes = (micros % 3_600_000_000n) / 60_000_000n
  const seconds = (micros % 60_000_000n) / 1_000_000n
  const fraction = micros % 1_000_000n
  let text = "P"
  if (Math.trunc(months / 12) !== 0) text += `${Math.trunc(months / 12)}Y`
  if (months % 12 !== 0) text += `${months % 12}M`
  if (days !== 0) text += `${days}D`
  if (micros !== 0n) text += "T"
  if (hours !== 0n) text += `${hours}H`
  if (minutes !== 0n) text += `${minutes}M`
  if (fraction !== 0n) {
    const digits = String(fraction < 0n ? -fraction : fraction).padStart(6, "0").replace(/0+$/, "")
    text += `${seconds !== 0n ? String(seconds) : micros < 0n ? "-0" : "0"}.${digits}S`
  } else if (seconds !== 0n) text += `${seconds}S`
  return text === "P" ? "P0Y" : text
}

/** A time's fraction of a second in groups of three digits, as ZetaSQL writes it ("12:00:00.500"). */
export const narrowedFraction = (text: string): string => text.replace(/\.(\d+)/, (_, digits: string) => `.${digits.padEnd(digits.length <= 3 ? 3 : 6, "0")}`)

const encode = (value: Json, type: DuckType, mode: JsonNumbers): Json => {
  if (value.kind === "null") return value
  if (type.kind === "list") return value.kind === "array" ? { kind: "array", items: value.items.map((item) => encode(item, type.element, mode)) } : value
  if (type.kind === "struct") {
    return value.kind === "object" ? { kind: "object", entries: value.entries.map(([key, field], i) => [key, type.fields[i] === undefined ? field : encode(field, type.fields[i]!, mode)] as const) } : value
  }
  const name = type.name
  if (name === "TIMESTAMP WITH TIME ZONE" && value.kind === "string") {
    // The session's zone is UTC: "2017-01-01 12:00:00.5+00".
    return quoted(narrowedFraction(unescaped(value.raw)).replace(" ", "T").replace(/\+00(:00)?$/, "Z"))
  }
  if ((name === "TIMESTAMP" || name === "TIMESTAMP_NS" || name === "TIMESTAMP_MS" || name === "TIMESTAMP_S") && value.kind === "string") return quoted(narrowedFraction(unescaped(value.raw)).replace(" ", "T"))
  if (name === "TIME" && value.kind === "string") return quoted(narrowedFraction(unescaped(value.raw)))
  if (name === "BLOB" && value.kind === "string") return quoted(blobBytes(unescaped(value.raw)).toString("base64"))
  if (name === "INTERVAL" && value.kind === "string") return quoted(intervalIso8601(unescaped(value.raw)))
  if (value.kind !== "literal") return value
  if (name === "DOUBLE" || name === "FLOAT") {
    if (value.text === "NaN" || value.text === "Infinity" || value.text === "-Infinity") return quoted(value.text)
    const number = Number(value.text)
    return { kind: "literal", text: mode === "string" ? doubleText(number) : jsonDoubleText(number) }
  }
  if (/^DECIMAL/.test(name)) {
    const text = trimmedDecimal(value.text)
    if (mode === "json") return { kind: "literal", text }
    const wide = text.includes(".") ? mode === "string" || decimalValue(String(Number(text))) !== decimalValue(text) : BigInt(text) > TWO_TO_53 || BigInt(text) < -TWO_TO_53
    return wide ? quoted(text) : { kind: "literal", text }
  }
  if (/^U?(BIGINT|HUGEINT)$/.test(name) && mode !== "json") {
    const number = BigInt(value.text)
    return number > TWO_TO_53 || number < -TWO_TO_53 ? quoted(value.text) : value
  }
  return value
}

const render = (value: Json, pretty: boolean, indent: string): string => {
  switch (value.kind) {
    case "null":
      return "null"
    case "literal":
      return value.text
    case "string":
      return value.raw
    case "array": {
      if (value.items.length === 0) return "[]"
      if (!pretty) return `[${value.items.map((item) => render(item, false, "")).join(",")}]`
      const inner = `${indent}  `
      return `[\n${value.items.map((item) => `${inner}${render(item, true, inner)}`).join(",\n")}\n${indent}]`
    }
    case "object": {
      if (value.entries.length === 0) return "{}"
      if (!pretty) return `{${value.entries.map(([key, field]) => `${key}:${render(field, false, "")}`).join(",")}}`
      const inner = `${indent}  `
      return `{\n${value.entries.map(([key, field]) => `${inner}${key}: ${render(field, true, inner)}`).join(",\n")}\n${indent}}`
    }
  }
}

/**
 * BigQuery's JSON text for a value DuckDB's to_json wrote: `type` is DuckDB's typeof of the value,
 * `mode` "string" for TO_JSON_STRING (wide numbers as strings) or "json" for TO_JSON, `pretty`
 * TO_JSON_STRING's pretty_print (two spaces a level, as BigQuery indents).
 */
export const bigQueryJson = (text: string, type: string, mode: JsonNumbers, pretty: boolean): string => {
  // One type for every row of a query: parsed once.
  let parsed = parsedTypes.get(type)
  if (parsed === undefined) {
    if (parsedTypes.size > 1000) parsedTypes.clear()
    parsed = parseDuckType(type)
    parsedTypes.set(type, parsed)
  }
  return render(encode(parseJson(text), parsed, mode), pretty, "")
}

const parsedTypes = new Map<string, DuckType>()

/** Types whose DuckDB JSON already is BigQuery's (no Node call needed): strings, booleans, dates, INT32 and smaller. */
export const NEEDS_REENCODING = "TIME|DECIMAL|BIGINT|HUGEINT|DOUBLE|FLOAT|BLOB|INTERVAL"

/** JSON_KEYS' modes: keys inside arrays are skipped (strict), read one array deep (lax), or at any depth (lax recursive). */
export type JsonKeysMode = "strict" | "lax" | "lax recursive"

// A key with anything but letters, digits and underscores is written in double quotes.
const keyPart = (key: string): string => (/^[A-Za-z0-9_]+$/.test(key) ? key : JSON.stringify(key))

/**
 * BigQuery's JSON_KEYS (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_keys):
 * every object key reachable from the value, nested ones joined by dots, up to `maxDepth` levels
 * of objects, without duplicates and sorted.
 */
export const jsonKeys = (text: string, maxDepth: number | undefined, mode: JsonKeysMode): ReadonlyArray<string> => {
  const keys = new Set<string>()
  const walk = (value: unknown, prefix: string, depth: number, arraysAbove: number): void => {
    if (Array.isArray(value)) {
      // strict: no key inside an array; lax: inside one array, not an array directly in an array.
      if (mode === "strict" || (mode === "lax" && arraysAbove > 0)) return
      for (const item of value) walk(item, prefix, depth, arraysAbove + 1)
      return
    }
    if (value === null || typeof value !== "object") return
    if (maxDepth !== undefined && depth >= maxDepth) return
    for (const [key, field] of Object.entries(value)) {
      const path = prefix === "" ? keyPart(key) : `${prefix}.${keyPart(key)}`
      keys.add(path)
      walk(field, path, depth + 1, 0)
    }
  }
  walk(JSON.parse(text), "", 0, 0)
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

type PathStep = { readonly key: string } | { readonly index: number }

/** A JSONPath as BigQuery's JSON functions take it: `$`, `.key`, `."key with dots"`, `[0]`. */
const parsePath = (path: string): ReadonlyArray<PathStep> | Error => {
  const steps: Array<PathStep> = []
  if (!path.startsWith("$")) return new Error(`Invalid JSONPath: ${path}`)
  let at = 1
  while (at < path.length) {
    if (path[at] === "." && path[at + 1] === '"') {
      const close = path.indexOf('"', at + 2)
      if (close < 0) return new Error(`Invalid JSONPath: ${path}`)
      steps.push({ key: path.slice(at + 2, close) })
      at = close + 1
    } else if (path[at] === ".") {
      const end = path.slice(at + 1).search(/[.[]/)
      const key = end < 0 ? path.slice(at + 1) : path.slice(at + 1, at + 1 + end)
      if (key === "") return new Error(`Invalid JSONPath: ${path}`)
      steps.push({ key })
      at += 1 + key.length
    } else if (path[at] === "[") {
      const close = path.indexOf("]", at)
      const index = close < 0 ? "" : path.slice(at + 1, close).trim()
      if (!/^\d+$/.test(index)) return new Error(`Invalid JSONPath: ${path}`)
      steps.push({ index: Number(index) })
      at = close + 1
    } else return new Error(`Invalid JSONPath: ${path}`)
  }
  return steps
}

/** The value with the one at `steps` replaced by `change` (undefined: removed); unchanged when the path leads nowhere. */
const updateAt = (value: Json, steps: ReadonlyArray<PathStep>, change: (found: Json) => Json | undefined): Json => {
  if (steps.length === 0) return change(value) ?? value
  const [step, ...rest] = steps as [PathStep, ...Array<PathStep>]
  if ("key" in step && value.kind === "object") {
    const at = value.entries.findIndex(([key]) => unescaped(key) === step.key)
    if (at < 0) return value
    const field = value.entries[at]![1]
    const updated = rest.length === 0 ? change(field) : updateAt(field, rest, change)
    const entries = [...value.entries]
    if (updated === undefined) entries.splice(at, 1)
    else entries[at] = [entries[at]![0], updated]
    return { kind: "object", entries }
  }
  if ("index" in step && value.kind === "array") {
    if (step.index >= value.items.length) return value
    const item = value.items[step.index]!
    const updated = rest.length === 0 ? change(item) : updateAt(item, rest, change)
    const items = [...value.items]
    if (updated === undefined) items.splice(step.index, 1)
    else items[step.index] = updated
    return { kind: "array", items }
  }
  return value
}

/** Whether a JSONPath starts with JSON_QUERY's lax modifiers (`lax $.a`, `lax recursive $.a`). */
export const isLaxPath = (path: string): boolean => /^\s*(lax|recursive)\s/i.test(path)

/**
 * JSON_QUERY with a lax JSONPath (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#JSONPath_mode):
 * every match in document order, in a JSON array ([] for none). A key read from an array is read
 * from its objects, and from nested arrays' objects too with `recursive`; an index read from a
 * value that is no array reads the value as [value].
 */
export const jsonQueryLax = (text: string, path: string): string | Error => {
  let rest = path
  const modifiers = new Set<string>()
  for (let match = /^\s*(lax|recursive)\s+/i.exec(rest); match !== null; match = /^\s*(lax|recursive)\s+/i.exec(rest)) {
    const modifier = match[1]!.toLowerCase()
    if (modifiers.has(modifier)) return new Error("JSONPath must start with zero or more unique modifiers followed by '$'")
    modifiers.add(modifier)
    rest = rest.slice(match[0].length)
  }
  if (!modifiers.has("lax")) return new Error("JSONPath has an invalid combination of modifiers. The 'lax' modifier must be included if 'recursive' is specified.")
  const steps = parsePath(rest.trim())
  if (steps instanceof Error) return steps
  const recursive = modifiers.has("recursive")
  const matches: Array<Json> = []
  const walk = (value: Json, at: number): void => {
    if (at === steps.length) {
      matches.push(value)
      return
    }
    const step = steps[at]!
    if ("key" in step) {
      const member = (object: Json) => (object.kind === "object" ? object.entries.find(([key]) => unescaped(key) === step.key)?.[1] : undefined)
      if (value.kind === "object") {
        const found = member(value)
        if (found !== undefined) walk(found, at + 1)
      } else if (value.kind === "array") {
        for (const item of value.items) {
          const found = member(item)
          if (found !== undefined) walk(found, at + 1)
          else if (recursive && item.kind === "array") walk(item, at)
        }
      }
      return
    }
    if (value.kind === "array") {
      if (step.index < value.items.length) walk(value.items[step.index]!, at + 1)
    } else if (step.index === 0) walk(value, at + 1)
  }
  walk(parseJson(text), 0)
  return render({ kind: "array", items: matches }, false, "")
}

/** JSON_REMOVE: each path's subtree removed in turn; paths that lead nowhere (or SQL NULL) are skipped. */
export const jsonRemove = (text: string, paths: ReadonlyArray<string | null>): string | Error => {
  let value = parseJson(text)
  for (const path of paths) {
    if (path === null) continue
    const steps = parsePath(path)
    if (steps instanceof Error) return steps
    if (steps.length === 0) return new Error("JSON_REMOVE: the JSONPath can't be '$'")
    value = updateAt(value, steps, () => undefined)
  }
  return render(value, false, "")
}

/** JSON_STRIP_NULLS: JSON nulls removed from objects (and arrays), then empty containers when asked; nothing left is null. */
export const jsonStripNulls = (text: string, path: string | undefined, includeArrays: boolean, removeEmpty: boolean): string | Error => {
  const strip = (value: Json): Json | undefined => {
    if (value.kind === "null") return undefined
    if (value.kind === "object") {
      const entries = value.entries.flatMap(([key, field]) => {
        const kept = strip(field)
        return kept === undefined ? [] : [[key, kept] as const]
      })
      const stripped: Json = { kind: "object", entries }
      return removeEmpty && entries.length === 0 ? undefined : stripped
    }
    if (value.kind === "array" && includeArrays) {
      const items = value.items.flatMap((item) => {
        const kept = strip(item)
        return kept === undefined ? [] : [kept]
      })
      return removeEmpty && items.length === 0 ? undefined : { kind: "array", items }
    }
    return value
  }
  // The top level keeps its container unless empty ones go; a value with nothing left is null.
  const top = (value: Json): Json => {
    const stripped = strip(value)
    return stripped === undefined ? (value.kind === "null" || removeEmpty ? { kind: "null" } : value.kind === "object" ? { kind: "object", entries: [] } : { kind: "array", items: [] }) : stripped
  }
  const value = parseJson(text)
  if (path === undefined) return render(top(value), false, "")
  const steps = parsePath(path)
  if (steps instanceof Error) return steps
  return render(updateAt(value, steps, top), false, "")
}

/** One path and value pair of JSON_SET, JSON_ARRAY_APPEND or JSON_ARRAY_INSERT; `spread`: a SQL ARRAY whose elements go in one by one. */
export interface JsonEdit {
  readonly path: string | null
  readonly value: string
  readonly spread: boolean
}

const built = (steps: ReadonlyArray<PathStep>, value: Json): Json => {
  if (steps.length === 0) return value
  const [step, ...rest] = steps as [PathStep, ...Array<PathStep>]
  if ("key" in step) return { kind: "object", entries: [[JSON.stringify(step.key), built(rest, value)]] }
  return { kind: "array", items: [...Array.from({ length: step.index }, (): Json => ({ kind: "null" })), built(rest, value)] }
}

/** JSON_SET of one pair: replaced where the path exists; created (through JSON nulls, padding arrays with nulls) when `create`. */
const setAt = (node: Json, steps: ReadonlyArray<PathStep>, value: Json, create: boolean): Json => {
  if (steps.length === 0) return value
  if (node.kind === "null") return create ? built(steps, value) : node
  const [step, ...rest] = steps as [PathStep, ...Array<PathStep>]
  if ("key" in step) {
    if (node.kind !== "object") return node
    const at = node.entries.findIndex(([key]) => unescaped(key) === step.key)
    if (at < 0) return create ? { kind: "object", entries: [...node.entries, [JSON.stringify(step.key), built(rest, value)]] } : node
    const entries = [...node.entries]
    entries[at] = [entries[at]![0], setAt(entries[at]![1], rest, value, create)]
    return { kind: "object", entries }
  }
  if (node.kind !== "array") return node
  if (step.index >= node.items.length) {
    if (!create) return node
    return { kind: "array", items: [...node.items, ...Array.from({ length: step.index - node.items.length }, (): Json => ({ kind: "null" })), built(rest, value)] }
  }
  const items = [...node.items]
  items[step.index] = setAt(items[step.index]!, rest, value, create)
  return { kind: "array", items }
}

const elementsOf = (edit: JsonEdit): ReadonlyArray<Json> => {
  const value = parseJson(edit.value)
  return edit.spread && value.kind === "array" ? value.items : [value]
}

/**
 * JSON_SET (`create`: create_if_missing), JSON_ARRAY_APPEND and JSON_ARRAY_INSERT: each pair in
 * turn on the result of the one before; a pair whose path leads nowhere it can apply is skipped.
 */
export const jsonEdit = (operation: "set" | "append" | "insert", text: string, edits: ReadonlyArray<JsonEdit>, create: boolean): string | Error => {
  let value = parseJson(text)
  for (const edit of edits) {
    if (edit.path === null) continue
    const steps = parsePath(edit.path)
    if (steps instanceof Error) return steps
    if (operation === "set") value = setAt(value, steps, parseJson(edit.value), create)
    else if (operation === "append") {
      // An array gets the values at its end; a JSON null becomes an array of them.
      const append = (found: Json): Json => (found.kind === "array" ? { kind: "array", items: [...found.items, ...elementsOf(edit)] } : found.kind === "null" ? { kind: "array", items: [...elementsOf(edit)] } : found)
      value = steps.length === 0 ? append(value) : updateAt(value, steps, append)
    } else {
      const last = steps[steps.length - 1]
      if (last === undefined || !("index" in last)) continue
      // The array holding the position gets the values there, padded with nulls up to it.
      const insert = (found: Json): Json => {
        const items = found.kind === "array" ? found.items : found.kind === "null" ? [] : undefined
        if (items === undefined) return found
        const padded = [...items, ...Array.from({ length: Math.max(0, last.index - items.length) }, (): Json => ({ kind: "null" }))]
        return { kind: "array", items: [...padded.slice(0, last.index), ...elementsOf(edit), ...padded.slice(last.index)] }
      }
      const parent = steps.slice(0, -1)
      value = parent.length === 0 ? insert(value) : updateAt(value, parent, insert)
    }
  }
  // A member set anew takes its place in name order, as in any JSON value BigQuery makes.
  return render(canonical(value), false, "")
}

type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

const isJsonObject = (value: JsonValue): value is { readonly [key: string]: JsonValue } => value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * JSON_CONTAINS as BigQuery states it (json_functions#json_contains): a scalar contains only itself,
 * an object every key-value pair of the other at the same level, an array every element of the
 * other in some element of its own; a top-level array also contains a scalar it holds. DuckDB's
 * json_contains looks at every depth (`{"a": {"b": 1}}` contained `{"b": 1}`).
 */
export const jsonContains = (containerText: string, containedText: string): boolean => {
  const contains = (container: JsonValue, contained: JsonValue, topLevel: boolean): boolean => {
    if (Array.isArray(contained)) return Array.isArray(container) && contained.every((element) => container.some((candidate) => contains(candidate, element, false)))
    if (isJsonObject(contained)) return isJsonObject(container) && Object.entries(contained).every(([key, value]) => Object.hasOwn(container, key) && contains(container[key]!, value, false))
    if (Array.isArray(container)) return topLevel && container.some((candidate) => !Array.isArray(candidate) && !isJsonObject(candidate) && candidate === contained)
    return container === contained
  }
  return contains(JSON.parse(containerText) as JsonValue, JSON.parse(containedText) as JsonValue, true)
}

const canonical = (value: Json): Json => {
  if (value.kind === "array") return { kind: "array", items: value.items.map(canonical) }
  if (value.kind !== "object") return value
  const seen = new Map<string, readonly [string, Json]>()
  for (const [key, field] of value.entries) {
    const name = unescaped(key)
    if (!seen.has(name)) seen.set(name, [key, canonical(field)])
  }
  return { kind: "object", entries: [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry) }
}

/**
 * A JSON value as BigQuery keeps one: an object's first member of each name (data-types#json_type),
 * members in name order, as BigQuery writes them (the order is not guaranteed, so any would do; this
 * one matches its answers), numbers as written.
 */
export const canonicalJson = (text: string): string => render(canonical(parseJson(text)), false, "")

// INT64's and UINT64's range: integers a JSON value keeps exactly.
const INT64_MIN = -(2n ** 63n)
const UINT64_MAX = 2n ** 64n - 1n

/** A decimal number's value as sign, significant digits and exponent, to compare two spellings. */
const decimalValue = (text: string): string => {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (match === null) return text
  const digits = `${match[2] ?? ""}${match[3] ?? ""}`
  const exponent = Number(match[4] ?? "0") - (match[3] ?? "").length
  const leading = digits.replace(/^0+/, "")
  if (leading === "") return "0"
  const significant = leading.replace(/0+$/, "")
  return `${match[1]}${significant}e${exponent + leading.length - significant.length}`
}

/**
 * PARSE_JSON (and a JSON literal) as BigQuery reads the text (json_functions#parse_json): integers
 * in INT64's or UINT64's range are kept, other numbers as a FLOAT64 whose shortest text has the
 * same value. A number that would change fails with wide_number_mode 'exact' (the default) and
 * becomes that FLOAT64 with 'round'. An Error for text that is not JSON.
 */
export const parsedJson = (text: string, wideNumberMode: string): string | Error => {
  if (wideNumberMode !== "exact" && wideNumberMode !== "round") return new Error(`PARSE_JSON: wide_number_mode is 'exact' or 'round', not '${wideNumberMode}'`)
  try {
    JSON.parse(text)
  } catch (cause) {
    return new Error(`PARSE_JSON: the text is not JSON (${cause instanceof Error ? cause.message : String(cause)})`)
  }
  let lossy: string | undefined
  const numbers = (value: Json): Json => {
    if (value.kind === "array") return { kind: "array", items: value.items.map(numbers) }
    if (value.kind === "object") return { kind: "object", entries: value.entries.map(([key, field]) => [key, numbers(field)] as const) }
    if (value.kind !== "literal" || value.text === "true" || value.text === "false") return value
    if (/^-?\d+$/.test(value.text)) {
      const integer = BigInt(value.text)
      if (integer >= INT64_MIN && integer <= UINT64_MAX) return value
    } else if (decimalValue(String(Number(value.text))) === decimalValue(value.text)) return value
    lossy ??= value.text
    return { kind: "literal", text: jsonDoubleText(Number(value.text)) }
  }
  const value = numbers(parseJson(text))
  if (lossy !== undefined && wideNumberMode === "exact") {
    return new Error(`PARSE_JSON: the number ${lossy} cannot round-trip through a FLOAT64 without losing precision; wide_number_mode=>'round' rounds it`)
  }
  return render(canonical(value), false, "")
}

/** JSON_FLATTEN: the non-array values of the value, or of its arrays nested one in another, in order. */
export const jsonFlatten = (text: string): ReadonlyArray<string> => {
  const values: Array<string> = []
  const visit = (value: Json): void => {
    if (value.kind === "array") value.items.forEach(visit)
    else values.push(render(value, false, ""))
  }
  visit(parseJson(text))
  return values
}

/**
 * JSON_OBJECT of one key and value (keys and values given as the text of each value's JSON), or of
 * an array of keys and the JSON array of their values: the first member of each name kept
 * (json_functions#json_object); an Error for a NULL key or arrays of different lengths.
 */
export const jsonObjectOf = (keys: string | ReadonlyArray<string | null>, valuesJson: string): string | Error => {
  const pairs: Array<readonly [string, Json]> = []
  if (typeof keys === "string") pairs.push([JSON.stringify(keys), parseJson(valuesJson)])
  else {
    const values = parseJson(valuesJson)
    const items = values.kind === "array" ? values.items : []
    if (items.length !== keys.length) return new Error(`JSON_OBJECT: ${keys.length} keys and ${items.length} values; they must be as many`)
    for (const [i, key] of keys.entries()) {
      if (key === null) return new Error("JSON_OBJECT: a key cannot be NULL")
      pairs.push([JSON.stringify(key), items[i]!])
    }
  }
  return render(canonical({ kind: "object", entries: pairs }), false, "")
}
