/**
 * BigQuery SQL → DuckDB SQL. `@polyglot-sql/sdk` does the translation; this module repairs the
 * places where its output runs on DuckDB but answers differently from BigQuery (each repair is
 * pinned by a conformance test stating BigQuery's documented result), and refuses, with the file
 * and construct named, what has no faithful DuckDB equivalent. It does not support BigQuery
 * scripting (DECLARE/SET/IF), BIGNUMERIC, UNNEST … WITH OFFSET, or BigQuery ML/GIS/AEAD functions.
 */
import { Dialect, transpile } from "@polyglot-sql/sdk"
import { Effect, Schema } from "effect"
import { rewriteCalls, significantTokens, tokenize, render, type Call, type Token } from "./sql-tokens.ts"

/** A statement that cannot be translated faithfully; names the file and the construct. */
export class TranslationError extends Schema.TaggedError<TranslationError>()("TranslationError", {
  fileName: Schema.String,
  construct: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.fileName || "<query>"}: cannot run ${this.construct} locally: ${this.reason}`
  }
}

export interface TranslationContext {
  readonly fileName: string
}

const unsupportedFunctions: ReadonlyArray<readonly [RegExp, string]> = [
  [/^FARM_FINGERPRINT$/, "DuckDB has no FarmHash; hash() gives different values"],
  [/^(DETERMINISTIC_ENCRYPT|DETERMINISTIC_DECRYPT)$/, "BigQuery encryption functions have no DuckDB equivalent"],
  [/^ST_[A-Z_]+$/, "BigQuery GEOGRAPHY functions are not available in the local warehouse"]
]

/** Function families called as `FAMILY.FUNCTION(...)`. */
const unsupportedFamilies = /^(ML|NET|KEYS|AEAD|HLL_COUNT)$/

/** Constructs refused before translation: each would otherwise fail obscurely or answer wrongly. */
const findUnsupported = (tokens: ReadonlyArray<Token>): { construct: string; reason: string } | undefined => {
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.kind === "word" ? tokens[i]!.text.toUpperCase() : ""
    const next = tokens[i + 1]?.text.toUpperCase() ?? ""
    const statementStart = i === 0 || tokens[i - 1]!.text === ";"
    if (word === "BIGNUMERIC" || word === "BIGDECIMAL") {
      return { construct: word, reason: "DuckDB decimals stop at 38 digits; use NUMERIC or FLOAT64" }
    }
    if (statementStart && (word === "DECLARE" || word === "IF" || word === "LOOP" || word === "WHILE" || word === "EXECUTE")) {
      return { construct: `BigQuery scripting (${word})`, reason: "scripts are not supported; write plain statements" }
    }
    if (word === "WITH" && next === "OFFSET") {
      return { construct: "UNNEST … WITH OFFSET", reason: "use GENERATE_ARRAY(0, ARRAY_LENGTH(a) - 1) and index the array instead" }
    }
    if (word === "INSERT" && next === "ROW") {
      return { construct: "MERGE … INSERT ROW", reason: "list the inserted columns explicitly" }
    }
    if (next === "." && unsupportedFamilies.test(word)) {
      return { construct: `${word}.*`, reason: "this BigQuery function family has no DuckDB equivalent" }
    }
    if (next === "(") {
      const refused = unsupportedFunctions.find(([pattern]) => pattern.test(word))
      if (refused !== undefined) return { construct: `${word}()`, reason: refused[1] }
    }
  }
  return undefined
}

/** `mdp-local.dataset.table` in one pair of backticks becomes `dataset`.`table`: one DuckDB schema per dataset. */
const splitDottedIdentifiers = (sql: string): string =>
  render(
    tokenize(sql, "bigquery").map((token) => {
      if (token.kind !== "quoted" || !token.text.startsWith("`") || !token.text.includes(".")) return token
      const parts = token.text.slice(1, -1).split(".")
      const relevant = parts.length >= 3 ? parts.slice(-2) : parts
      return { kind: "quoted", text: relevant.map((part) => `\`${part}\``).join(".") }
    })
  )

const castToDate = (call: Call): string => `CAST(${call.text} AS DATE)`

/** Rewrites in BigQuery SQL, so that polyglot sees a construct it translates correctly. */
const beforeTranslation: Readonly<Record<string, (call: Call) => string | undefined>> = {
  // BigQuery's DATE_* functions return DATE; DuckDB's date arithmetic returns TIMESTAMP.
  DATE_ADD: castToDate,
  DATE_SUB: castToDate,
  DATE_TRUNC: castToDate,
  // JSON_VALUE returns an unquoted STRING; polyglot maps it to `->`, which returns JSON.
  JSON_VALUE: (call) => `JSON_EXTRACT_SCALAR(${call.args.join(", ")})`
}

// SAFE.fn(...) returns NULL instead of failing; DuckDB's TRY() does the same. The marker survives
// polyglot as an unknown function and is replaced after translation.
const SAFE_MARKER = "MDP_SAFE_CALL__"

const safePrefixed = (sql: string): string => {
  const tokens = tokenize(sql, "bigquery")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind === "word" && token.text.toUpperCase() === "SAFE" && tokens[i + 1]?.text === "." && tokens[i + 2]?.kind === "word" && tokens[i + 3]?.text === "(") {
      const inner = `${tokens[i + 2]!.text}(`
      // Find the matching parenthesis of the call and wrap it.
      let depth = 0
      let j = i + 3
      for (; j < tokens.length; j++) {
        if (tokens[j]!.kind !== "punct") continue
        if (tokens[j]!.text === "(") depth++
        if (tokens[j]!.text === ")" && --depth === 0) break
      }
      out.push(`${SAFE_MARKER}(${inner}${safePrefixed(render(tokens.slice(i + 4, j)))}))`)
      i = j
      continue
    }
    out.push(token.text)
  }
  return out.join("")
}

const isStringLiteral = (text: string): boolean => /^'.*'$/s.test(text)
const hasCaptureGroup = (pattern: string): boolean => /(^|[^\\])\((?!\?)/.test(pattern)

function jsonArray(call: Call): string {
  return `CAST(JSON_EXTRACT(${call.args[0]}, ${call.args[1] ?? "'$'"}) AS JSON[])`
}

/** Rewrites in DuckDB SQL, where polyglot's output runs but answers differently from BigQuery. */
const afterTranslation: Readonly<Record<string, (call: Call) => string | undefined>> = {
  // REGEXP_CONTAINS is a partial match in BigQuery.
  REGEXP_FULL_MATCH: (call) => `REGEXP_MATCHES(${call.args.join(", ")})`,
  // BigQuery replaces every match; DuckDB only the first unless given 'g'.
  REGEXP_REPLACE: (call) => (call.args.length === 3 ? `REGEXP_REPLACE(${call.args.join(", ")}, 'g')` : undefined),
  // Without a capture group BigQuery returns the whole match; polyglot asks DuckDB for group 1.
  REGEXP_EXTRACT: (call) =>
    call.args.length === 3 && call.args[2] === "1" && isStringLiteral(call.args[1]!) && !hasCaptureGroup(call.args[1]!)
      ? `REGEXP_EXTRACT(${call.args[0]}, ${call.args[1]})`
      : undefined,
  // BigQuery FORMAT is printf-style; DuckDB FORMAT is fmt-style.
  FORMAT: (call) => `PRINTF(${call.args.join(", ")})`,
  // BigQuery numbers days of the week 1 (Sunday) to 7; DuckDB 0 to 6.
  EXTRACT: (call) => (/^DAYOFWEEK\s+FROM\b/i.test(call.args[0] ?? "") ? `(${call.text} + 1)` : undefined),
  DATE_TRUNC: (call) => {
    const [part, value] = call.args
    if (part === undefined || value === undefined) return undefined
    // BigQuery weeks start on Sunday, DuckDB's (ISO) weeks on Monday.
    if (/^'WEEK'$/i.test(part)) return `(DATE_TRUNC('WEEK', ${value} + INTERVAL 1 DAY) - INTERVAL 1 DAY)`
    if (/^'ISOWEEK'$/i.test(part)) return `DATE_TRUNC('WEEK', ${value})`
    if (/^'ISOYEAR'$/i.test(part)) return `DATE_TRUNC('WEEK', MAKE_DATE(YEAROFWEEK(${value}), 1, 4))`
    return undefined
  },
  // DuckDB has no LIMIT inside ARRAY_AGG.
  ARRAY_AGG: (call) => {
    const inner = call.text.slice(call.text.indexOf("(") + 1, -1)
    const match = /^(.*)\s+LIMIT\s+(\d+)\s*$/is.exec(inner)
    return match === null ? undefined : `ARRAY_SLICE(ARRAY_AGG(${match[1]}), 1, ${match[2]})`
  },
  [SAFE_MARKER]: (call) => `TRY(${call.args.join(", ")})`,
  // DuckDB has no JSON_QUERY_ARRAY; extracting with a path and casting gives the list of elements.
  JSON_QUERY_ARRAY: jsonArray,
  JSON_EXTRACT_ARRAY: jsonArray
}

/** BigQuery NUMERIC is DECIMAL(38, 9); polyglot emits bare DECIMAL, which DuckDB reads as DECIMAL(18, 3). */
const widenBareDecimals = (sql: string): string => {
  const tokens = tokenize(sql, "duckdb")
  return tokens
    .map((token, index) => {
      if (token.kind !== "word" || token.text.toUpperCase() !== "DECIMAL") return token.text
      const next = tokens.slice(index + 1).find((t) => t.kind !== "space")
      return next?.text === "(" ? token.text : "DECIMAL(38, 9)"
    })
    .join("")
}

/** Translates one BigQuery SQL text (one or more statements) into DuckDB SQL statements. */
export const translate = (sql: string, context: TranslationContext): Effect.Effect<ReadonlyArray<string>, TranslationError> =>
  Effect.gen(function* () {
    const unsupported = findUnsupported(significantTokens(sql, "bigquery"))
    if (unsupported !== undefined) return yield* new TranslationError({ fileName: context.fileName, ...unsupported })
    const prepared = rewriteCalls(safePrefixed(splitDottedIdentifiers(sql)), "bigquery", beforeTranslation)
    if (significantTokens(prepared, "bigquery").length === 0) return []
    const result = yield* Effect.try({
      try: () => transpile(prepared, Dialect.BigQuery, Dialect.DuckDB),
      catch: (cause) =>
        new TranslationError({ fileName: context.fileName, construct: "the statement", reason: String(cause) })
    })
    if (!result.success || result.sql === undefined) {
      const where = result.errorLine === undefined ? "" : ` (line ${result.errorLine}, column ${result.errorColumn ?? "?"})`
      return yield* new TranslationError({
        fileName: context.fileName,
        construct: "the statement",
        reason: `${result.error ?? "polyglot could not parse it"}${where}`
      })
    }
    return result.sql.map((statement) => widenBareDecimals(rewriteCalls(statement, "duckdb", afterTranslation)))
  })
