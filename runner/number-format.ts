/**
 * CAST(number AS STRING FORMAT '…'): BigQuery's numeric format elements
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/format-elements#format_numeric_type_as_string),
 * run as a function registered from Node. Digits (0, 9), a decimal point (., D, or V, which prints
 * nothing), group separators (, G), a sign (S, MI, PR, or a leading one by default), a currency
 * ($, C, c, L), B, EEEE, FM, hexadecimal digits (X, x) and Roman numerals (RN). The output has one
 * place per element, aligned on the decimal point; too few digit places make every digit '#'.
 */

type Element = "0" | "9" | "X" | "x" | "." | "V" | "," | "EEEE" | "eeee"

interface NumberFormat {
  readonly kind: "decimal" | "hexadecimal" | "roman"
  /** Digits, decimal point, separators and exponent, in order; other elements are flags. */
  readonly elements: ReadonlyArray<Element>
  readonly sign?: "S" | "MI" | "PR"
  readonly signAtFront: boolean
  readonly currency?: "$" | "C" | "c"
  readonly fm: boolean
  readonly b: boolean
  readonly romanLower: boolean
  readonly firstZero: number | undefined
  /** Index in `elements` of the decimal point (or of EEEE without one, or the end). */
  readonly point: number
  readonly integerDigits: number
  readonly scale: number
  readonly exponent: boolean
}

const formatError = (reason: string) => new Error(`Error in format string: ${reason}`)

/** Whether a CAST … FORMAT string is a numeric format (it has a digit element, or is RN): a date's never has. */
export const isNumberFormat = (format: string): boolean => /^(?:[09Xx$.,DdGgSsBbVvLlCc]|MI|PR|EEEE|FM|RN)+$/i.test(format) && (/[09Xx]/.test(format) || /RN/i.test(format))

export const parseNumberFormat = (format: string): NumberFormat | Error => {
  const elements: Array<Element> = []
  let sign: NumberFormat["sign"]
  let signAtFront = false
  let currency: NumberFormat["currency"]
  let fm = false
  let b = false
  let roman: "RN" | "rn" | undefined
  let point: number | undefined
  let exponent = false
  let scale = 0
  let digits = 0
  let hex = false
  let nine = false
  let separator = false
  let state: "start" | "integer" | "fraction" | "exponent" | "sign" = "start"
  let at = 0
  while (at < format.length) {
    const rest = format.slice(at)
    const upper = rest.slice(0, 4).toUpperCase()
    const length = upper.startsWith("EEEE") ? 4 : /^(MI|PR|RN|FM)/.test(upper) ? 2 : 1
    const token = rest.slice(0, length)
    at += length
    const word = token.toUpperCase()
    if (word === "FM") {
      if (fm) return formatError("'FM' cannot be repeated")
      fm = true
      continue
    }
    if (word === "B") {
      if (b) return formatError("There can be at most one 'B'")
      b = true
      continue
    }
    if (token === "$" || word === "C" || word === "L") {
      if (currency !== undefined) return formatError("There can be at most one of '$', 'C' or 'L'")
      currency = token === "c" ? "c" : word === "C" ? "C" : "$"
      continue
    }
    if (word === "RN") {
      if (state !== "start" || roman !== undefined) return formatError("'RN' cannot appear together with other digits")
      roman = token === "rn" ? "rn" : "RN"
      continue
    }
    if (roman !== undefined) return formatError(`'RN' cannot appear together with '${token}'`)
    if (word === "S" || word === "MI" || word === "PR") {
      if (sign !== undefined) return formatError("There can be at most one of 'S', 'MI', or 'PR'")
      if (state === "start") {
        if (word !== "S") return formatError(`'${word}' can only appear after all digits and 'EEEE'`)
        signAtFront = true
        state = "integer"
      } else state = "sign"
      sign = word
      continue
    }
    if (state === "sign") return formatError(sign === "S" ? "'S' can only appear before or after all digits and 'EEEE'" : `'${sign}' can only appear after all digits and 'EEEE'`)
    if (word === "EEEE") {
      if (separator) return formatError("',' or 'G' cannot appear together with 'EEEE'")
      if (state === "exponent" || hex || digits === 0) return formatError("Unexpected 'EEEE'")
      elements.push(token === "eeee" ? "eeee" : "EEEE")
      if (point === undefined) point = elements.length - 1
      exponent = true
      state = "exponent"
      continue
    }
    if (state === "exponent") return formatError(`'${token}' cannot appear after 'EEEE'`)
    if (token === "0" || token === "9") {
      if (token === "9" && hex) return formatError("'X' cannot appear together with '9'")
      if (token === "9") nine = true
      elements.push(token)
      digits++
      if (state === "fraction") scale++
      else state = "integer"
      continue
    }
    if (word === "X") {
      if (nine || separator || point !== undefined) return formatError("'X' cannot appear together with '9', ',', 'G', '.', 'D' or 'V'")
      hex = true
      elements.push(token === "x" ? "x" : "X")
      digits++
      state = "integer"
      continue
    }
    if (token === "." || word === "D" || word === "V") {
      if (point !== undefined) return formatError("There can be at most one of '.', 'D', or 'V'")
      if (hex) return formatError(`'X' cannot appear together with '${token}'`)
      elements.push(word === "V" ? "V" : ".")
      point = elements.length - 1
      state = "fraction"
      continue
    }
    if (token === "," || word === "G") {
      if (state === "fraction") return formatError("',' or 'G' cannot appear after '.', 'D' or 'V'")
      if (hex) return formatError(`'X' cannot appear together with '${token}'`)
      elements.push(",")
      separator = true
      continue
    }
    return formatError(`Invalid format element '${token}'`)
  }
  if (roman !== undefined) {
    if (currency !== undefined || b || sign !== undefined) return formatError("'RN' cannot appear together with other format elements")
    return { kind: "roman", elements: [], signAtFront, fm, b, romanLower: roman === "rn", firstZero: undefined, point: 0, integerDigits: 0, scale: 0, exponent: false }
  }
  if (digits === 0) return formatError("The format string has no digits")
  if (hex && (currency !== undefined || b)) return formatError("'X' cannot appear together with a currency or 'B'")
  if (hex && digits > 16) return formatError("The number of hexadecimal digits cannot exceed 16")
  // Leading zeros come from the first 0 on (looked for before a hexadecimal 0 takes an X's case).
  const zeroAt = elements.indexOf("0")
  let kept = elements
  if (hex) {
    // A 0 prints in the case of the next X or x after it (X when there is none).
    const cased = [...elements]
    let next: Element = "X"
    for (let k = cased.length - 1; k >= 0; k--) {
      if (cased[k] === "0") cased[k] = next
      else next = cased[k]!
    }
    kept = cased
  }
  let decimalPoint = point ?? kept.length
  // With an exponent, one integer digit is printed (the first 0's place is kept as it was).
  if (exponent && decimalPoint >= 2) {
    kept = kept.slice(decimalPoint - 1)
    decimalPoint = 1
  }
  return {
    kind: hex ? "hexadecimal" : "decimal",
    elements: kept,
    ...(sign === undefined ? {} : { sign }),
    signAtFront,
    ...(currency === undefined ? {} : { currency }),
    fm,
    b,
    romanLower: false,
    firstZero: zeroAt < 0 ? undefined : zeroAt,
    point: decimalPoint,
    integerDigits: digits - scale,
    scale,
    exponent
  }
}

interface Digits {
  readonly negative: boolean
  /** The integer digits, "" for 0. */
  readonly integer: string
  readonly fraction: string
  /** The exponent with its sign and at least two digits (EEEE). */
  readonly exponent: string
}

/** A decimal text's digits rounded half away from zero to `scale` places, or in scientific form with `scale` digits after the point. */
const roundedDigits = (text: string, scale: number, scientific: boolean): Digits => {
  const negative = text.startsWith("-")
  const [whole = "", part = ""] = text.replace(/^[+-]/, "").split(".")
  let digits = whole + part
  let pointAt = whole.length
  if (scientific) {
    const firstNonZero = digits.search(/[1-9]/)
    if (firstNonZero < 0) return { negative, integer: "0", fraction: "0".repeat(scale), exponent: "+00" }
    digits = digits.slice(firstNonZero)
    pointAt -= firstNonZero
    // One digit before the point: the exponent is where the point moves.
    let exponentValue = pointAt - 1
    let mantissa = roundDecimal(digits, 1 + scale)
    if (mantissa.length > 1 + scale) {
      mantissa = mantissa.slice(0, 1 + scale)
      exponentValue++
    }
    const exponentText = `${exponentValue < 0 ? "-" : "+"}${String(Math.abs(exponentValue)).padStart(2, "0")}`
    return { negative, integer: mantissa.slice(0, 1), fraction: mantissa.slice(1), exponent: exponentText }
  }
  const kept = roundDecimal(digits, pointAt + scale)
  const integer = kept.slice(0, kept.length - scale).replace(/^0+/, "")
  return { negative, integer, fraction: kept.slice(kept.length - scale), exponent: "" }
}

/** The first `count` digits of a digit string, rounded half away from zero (one more digit on a carry), padded with zeros. */
const roundDecimal = (digits: string, count: number): string => {
  if (count < 0) return ""
  if (digits.length <= count) return digits.padEnd(count, "0")
  const kept = digits.slice(0, count)
  if (digits[count]! < "5") return kept.padStart(count, "0")
  const increased = (BigInt(kept === "" ? "0" : kept) + 1n).toString()
  return increased.padStart(count, "0")
}

/** A FLOAT64's digits as printf's %.Nf or %.Ne writes them. */
const doubleText = (value: number, scale: number, scientific: boolean): string => {
  if (!scientific) return value.toFixed(Math.min(scale, 100))
  const [mantissa, exponent] = value.toExponential(Math.min(scale, 100)).split("e")
  return `${mantissa}e${exponent}`
}

const doubleDigits = (value: number, scale: number, scientific: boolean): Digits => {
  const text = doubleText(value, scale, scientific)
  const [number, exponent = ""] = text.split("e")
  const negative = number!.startsWith("-")
  const [whole = "", fraction = ""] = number!.replace(/^-/, "").split(".")
  const exponentValue = exponent === "" ? 0 : Number(exponent)
  return { negative, integer: whole === "0" ? "" : whole, fraction, exponent: scientific ? `${exponentValue < 0 ? "-" : "+"}${String(Math.abs(exponentValue)).padStart(2, "0")}` : "" }
}

const signParts = (format: NumberFormat, negative: boolean, blank: boolean): { readonly prefix: string; readonly suffix: string } => {
  switch (format.sign) {
    case "S":
      return format.signAtFront ? { prefix: blank ? " " : negative ? "-" : "+", suffix: "" } : { prefix: "", suffix: blank ? " " : negative ? "-" : "+" }
    case "MI":
      return { prefix: "", suffix: blank ? " " : negative ? "-" : " " }
    case "PR":
      return { prefix: blank ? " " : negative ? "<" : " ", suffix: blank ? " " : negative ? ">" : " " }
    default:
      return { prefix: blank ? " " : negative ? "-" : " ", suffix: "" }
  }
}

const ROMAN: ReadonlyArray<readonly [number, string]> = [
  [1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]
]

const formatRoman = (format: NumberFormat, value: number): string | Error => {
  const rounded = Math.sign(value) * Math.round(Math.abs(value))
  if (!(rounded >= 1 && rounded <= 3999)) return new Error(`Roman numerals (RN) take a value between 1 and 3999; the value is ${value}`)
  let rest = rounded
  let text = ""
  for (const [amount, letters] of ROMAN) {
    while (rest >= amount) {
      text += letters
      rest -= amount
    }
  }
  const cased = format.romanLower ? text.toLowerCase() : text
  return format.fm ? cased : cased.padStart(15, " ")
}

const formatHexadecimal = (format: NumberFormat, value: number | bigint): string | Error => {
  const negative = value < 0
  const magnitude = typeof value === "bigint" ? (negative ? -value : value) : BigInt(Math.round(Math.abs(value)))
  const hex = magnitude.toString(16)
  const overflow = hex.length > format.elements.length
  let out = ""
  let digit = hex.length - 1
  let k = format.elements.length - 1
  for (; k >= 0; k--) {
    if (digit < 0 && !(format.firstZero !== undefined && k >= format.firstZero)) break
    const element = format.elements[k]!
    const character = overflow ? "#" : digit >= 0 ? hex[digit]! : "0"
    out = (element === "X" ? character.toUpperCase() : character) + out
    digit--
  }
  const { prefix, suffix } = signParts(format, negative, false)
  const text = `${format.fm ? "" : " ".repeat(k + 1)}${prefix}${out}${suffix}`
  return format.fm ? text.trim() : text
}

const formatDecimal = (format: NumberFormat, digits: Digits): string => {
  const overflow = digits.integer.length > format.integerDigits
  const blank = format.b && digits.integer === ""
  let fraction = ""
  let fractionAt = 0
  for (const element of format.elements.slice(format.point)) {
    if (element === ".") fraction += blank ? " " : "."
    else if (element === "0" || element === "9") {
      if (overflow) fraction += "#"
      else if (fractionAt < digits.fraction.length) fraction += blank ? " " : digits.fraction[fractionAt]
      fractionAt++
    } else if (element === "EEEE" || element === "eeee") fraction += overflow ? "####" : blank ? "    " : `${element === "EEEE" ? "E" : "e"}${digits.exponent}`
  }
  // The integer part, unless the value is below 1 and nothing asks for a digit (" .12" for 0.12 in '9.99').
  let integer = ""
  let padding = format.point
  const printed = digits.integer !== "" || format.exponent || (format.firstZero !== undefined && format.firstZero < format.point) || digits.fraction === ""
  if (format.integerDigits > 0 && printed) {
    const source = digits.integer === "" ? "0" : digits.integer
    let digit = source.length - 1
    let k = format.point - 1
    for (; k >= 0; k--) {
      if (digit < 0 && !(format.firstZero !== undefined && k >= format.firstZero)) break
      const element = format.elements[k]!
      if (element === ",") integer = (blank ? " " : ",") + integer
      else {
        integer = (overflow ? "#" : blank ? " " : digit >= 0 ? source[digit]! : "0") + integer
        digit--
      }
    }
    padding = k + 1
  }
  const currency = format.currency === undefined ? "" : format.currency === "$" ? (blank ? " " : "$") : blank ? "   " : format.currency === "C" ? "USD" : "usd"
  const { prefix, suffix } = signParts(format, digits.negative, blank)
  const text = `${" ".repeat(padding)}${prefix}${currency}${integer}${fraction}${suffix}`
  return format.fm ? text.trim() : text
}

/**
 * A number's text in a numeric format. `text` is the value as DuckDB writes it, exact for an
 * integer or a NUMERIC (`exact`), a FLOAT64's shortest text otherwise.
 */
export const formatNumber = (text: string, exact: boolean, formatText: string): string | Error => {
  const format = parseNumberFormat(formatText)
  if (format instanceof Error) return format
  const value = Number(text)
  if (format.kind === "roman") return formatRoman(format, value)
  if (format.kind === "hexadecimal") return formatHexadecimal(format, exact && /^-?\d+$/.test(text) ? BigInt(text) : value)
  if (!Number.isFinite(value) && !exact) return new Error(`CAST … FORMAT: ${text} in a numeric format is not supported locally`)
  let digits: Digits = exact ? roundedDigits(text, format.scale, format.exponent) : doubleDigits(value, format.scale, format.exponent)
  if (format.fm) digits = { ...digits, fraction: digits.fraction.replace(/0+$/, "") }
  return formatDecimal(format, digits)
}
