/**
 * BigQuery SQL → DuckDB SQL. `@polyglot-sql/sdk` does the translation; this module repairs the
 * places where its output runs on DuckDB but answers differently from BigQuery (each repair is
 * pinned by a conformance test stating BigQuery's documented result), and refuses, with the file
 * and construct named, what has no faithful DuckDB equivalent. Of BigQuery scripting it translates
 * script variables (DECLARE, and SET of a declared variable), which Dataform's documented
 * incremental checkpoint declares in pre_operations, and refuses their misuse as BigQuery would
 * (a DECLARE after another statement, or a SET before its DECLARE); control flow (IF, loops,
 * EXECUTE IMMEDIATE) is `script.ts`'s, which translates each statement inside through this module.
 * It refuses BIGNUMERIC, and BigQuery ML/GIS/AEAD functions. Where
 * DuckDB would answer silently differently (CONCAT with a NULL, an array index out of range, week
 * boundaries) the statement is rewritten to BigQuery's answer or BigQuery's error.
 */
// First: it sets the V8 flags under which polyglot's WebAssembly is compiled.
import "./wasm-tiering.ts"
import { Context, Effect, Schema } from "effect"
import { BIGQUERY_JSON_FUNCTION, INTERVAL_FROM_TEXT_FUNCTION, intervalRangeParts, BYTE_VALUES_FUNCTION, BYTES_TO_STRING_FUNCTION, CODE_POINTS_FUNCTION, JSON_EDIT_FUNCTION, JSON_KEYS_FUNCTION, JSON_REMOVE_FUNCTION, JSON_STRIP_NULLS_FUNCTION, PARSE_NUMERIC_FUNCTION, REGEXP_EXTRACT_FUNCTION, REGEXP_INSTR_FUNCTION, STRING_FUNCTIONS, FARM_FINGERPRINT_FUNCTION, SHA512_FUNCTION, INSTR_FUNCTION, NET_HOST_FUNCTION, NET_IP_FUNCTIONS, NET_PUBLIC_SUFFIX_FUNCTION, NET_REG_DOMAIN_FUNCTION, NUMERIC_MULTIPLY_FUNCTION, DOUBLE_TEXT_FUNCTION, INTERVAL_TEXT_FUNCTION, HEX_INT64_FUNCTION, CASE_MAP_FUNCTIONS, ASCII_FUNCTION, REVERSE_FUNCTION, BYTES_TEXT_FUNCTION, FORMAT_VALUE_FUNCTION, JSON_CONTAINS_FUNCTION, JSON_FLATTEN_FUNCTION, JSON_OBJECT_PAIRS_FUNCTION, JSON_QUERY_LAX_FUNCTION, RANGE_TEXT_FUNCTION, CANONICAL_JSON_FUNCTION, PARSE_JSON_FUNCTION, JUSTIFY_FUNCTIONS, normalizeFunction, type NormalForm } from "./builtin-functions.ts"
import { isLaxPath, NEEDS_REENCODING } from "./json-functions.ts"
import { javascriptReadsLikeRe2 } from "./string-functions.ts"
import { CAST_FORMAT_MARKER, CAST_OFFSET_MARKER, CAST_PARSE_MARKER, NUMBER_FORMAT_MARKER, SAFE_FORMAT_MARKER, numberFormatted, offsetElement, castWithFormat, formatWithoutShorthands, parsedValue, parsePatterns, withFractionalSeconds } from "./cast-format.ts"
import { alterTableConstraints, createTableConstraints } from "./table-constraints.ts"
import { exportDataMarker, exportDataParts } from "./export-data.ts"
import { loadDataMarker, loadDataParts } from "./load-data.ts"
import { setOperationsByName } from "./set-operations-by-name.ts"
import { INFORMATION_SCHEMA_MARKER, REWRITTEN_PIPE_OPERATORS, pipeRenames, aliasedSubqueriesBeforeSetOperators, assertStatements, decodeStringEscapes, rawStringsPolyglotMisreads, stringEscapes, viewsAndCopies, updatedStructFields, templatedParameters, STRUCT_UPDATE_MARKER, bytesLiterals, insertIntoDeleteFrom, quotedNamesDuckdbReserves, groupByOutputNames, implicitArrayPaths, informationSchemaQuery, isMetadataOnly, externalTableTarget, keywordAliases, quotedFunctionParameters, projectDefaultsThatChangeAnswers, localReferences, quotedDashedProjects, flattenedArrayPaths, ARRAY_FIELDS_MARKER, schemaWithoutOptions, plainJsonLiterals, selectAsStructOrValue, withoutPipes, withoutTrailingCommas, commaJoinsBeforeJoins, outerJoinAfterCommaJoin } from "./bigquery-syntax.ts"
import { argumentText, describeJavascriptFunction, javascriptFunctionStatement, resultValue, unsupportedParameter } from "./javascript-udf.ts"
import { insertTypeCheck, mergeClausesTypeChecks, updateTypeCheck } from "./insert-types.ts"
import { listAggregates } from "./list-aggregates.ts"
import { elementAliasedUnnest, expandAliasedUnnest, FROM_CLAUSE_ENDS, fromItemStarts, rangeVariablesBesideParameters } from "./aliased-unnest.ts"
import { sharedJsonExtraction } from "./shared-json-extraction.ts"
import { CLAUSES_AFTER_FROM, depthsOf, isSignificant, matchingParen, nextSignificant, rewriteCalls, significantTokens, splitTopLevel, tokenize, render, withSpansReplaced, type Call, type Token } from "./sql-tokens.ts"
import { rangeCalls, rangeLiteralsAndTypes, rangeMarkers, RANGE_TYPE_PREFIX } from "./ranges.ts"
import { quoteIdentifier } from "./target.ts"

/** A statement that cannot be translated faithfully; names the file and the construct. */
export class TranslationError extends Schema.TaggedError<TranslationError>()("TranslationError", {
  fileName: Schema.String,
  construct: Schema.String,
  reason: Schema.String,
  /** A parse error's statement as polyglot read it, and the 1-based position it named there. */
  statement: Schema.optionalKey(Schema.String),
  line: Schema.optionalKey(Schema.Number),
  column: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    return `${this.fileName || "<query>"}: cannot run ${this.construct} locally: ${this.reason}`
  }

  /** A construct without a DuckDB equivalent can be rewritten; a statement that does not parse is the SQL's own mistake. */
  get hint(): string | undefined {
    return this.statement === undefined && this.construct !== "the statement"
      ? "Rewrite the construct in BigQuery SQL that has a DuckDB equivalent (see docs/architecture.md)."
      : undefined
  }
}

export interface TranslationContext {
  readonly fileName: string
  /**
   * Script variables declared by earlier statements of the same action (its pre_operations).
   * BigQuery runs an action's statements as one script; the runner runs them on one connection,
   * where a declared variable is a DuckDB variable and a bare reference reads `getvariable(…)`.
   */
  readonly variables?: ReadonlyArray<string>
  /**
   * Variables named like a column of a relation the statement may read (the planner knows the
   * columns): in a query, a column in scope shadows such a variable, as in BigQuery.
   */
  readonly shadowable?: ReadonlyArray<string>
  /**
   * Names DuckDB found to be ARRAYs where the statement reads a field through them inside UNNEST
   * (`UNNEST(hidden_data.key)`): such paths are flattened as BigQuery flattens them
   * (`flattenedArrayPaths`). Learnt by the runner from a failed attempt.
   */
  readonly arrayNames?: ReadonlyArray<string>
  /** Whether a `*` over a table leaves out BigQuery's pseudo-columns (from `PseudoColumnsInWarehouse`). */
  readonly hidePseudoColumns?: boolean
}

/**
 * Whether the warehouse holds tables with BigQuery's pseudo-columns as plain columns (a source
 * file's `_PARTITIONTIME` and `_PARTITIONDATE`): then a `*` over a table read by name leaves them
 * out, as BigQuery's does. The runner provides it for a run; elsewhere nothing is rewritten.
 */
export const PseudoColumnsInWarehouse = Context.Reference<boolean>("mdp/PseudoColumnsInWarehouse", { defaultValue: () => false })

const unsupportedFunctions: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(DETERMINISTIC_ENCRYPT|DETERMINISTIC_DECRYPT)$/, "BigQuery encryption functions have no DuckDB equivalent"],
  [/^ST_[A-Z_]+$/, "BigQuery GEOGRAPHY functions are not available in the local warehouse"],
  [/^RANGE_SESSIONIZE$/, "the table-valued function that sessionizes RANGEs is not run locally; RANGE_OVERLAPS and RANGE_INTERSECT are"],
  [/^(SEARCH|VECTOR_SEARCH)$/, "BigQuery's search tokenizes with its text analyzers (or its vector indexes); no DuckDB equivalent (CONTAINS_SUBSTR and REGEXP_CONTAINS match substrings)"]
]

/** Function families (`FAMILY.FUNCTION(...)`) refused by name; of NET, the members not run locally. */
const unsupportedFamilies = /^(ML|NET|KEYS|AEAD)$/

/**
 * HLL_COUNT.* with an exact sketch: the distinct values themselves (a LIST where BigQuery has
 * BYTES), so INIT, MERGE_PARTIAL, MERGE and EXTRACT give the exact count, which is within any
 * HyperLogLog++ precision's error. The precision argument has nothing to set.
 */
const HLL_FUNCTIONS: Readonly<Record<string, string>> = { INIT: "MDP_HLL_INIT__", MERGE: "MDP_HLL_MERGE__", MERGE_PARTIAL: "MDP_HLL_MERGE_PARTIAL__", EXTRACT: "MDP_HLL_EXTRACT__" }

const NET_FUNCTIONS: Readonly<Record<string, string>> = { HOST: NET_HOST_FUNCTION, PUBLIC_SUFFIX: NET_PUBLIC_SUFFIX_FUNCTION, REG_DOMAIN: NET_REG_DOMAIN_FUNCTION, ...NET_IP_FUNCTIONS }

/** Calls of a dotted family (`NET.HOST(…)`) under the names `functions` gives them; the family's other members are left as written. */
const familyCalls = (sql: string, family: string, functions: Readonly<Record<string, string>>): string => {
  if (!new RegExp(`\\b${family}\\s*\\.`, "i").test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i + 2]?.kind === "word" ? functions[tokens[i + 2]!.text.toUpperCase()] : undefined
    if (tokens[i]!.kind === "word" && tokens[i]!.text.toUpperCase() === family && tokens[i + 1]?.text === "." && name !== undefined && tokens[i + 3]?.text === "(") {
      out.push(name)
      i += 2
    } else out.push(tokens[i]!.text)
  }
  return out.join("")
}

/** NET.HOST, NET.PUBLIC_SUFFIX, NET.REG_DOMAIN and the IP address functions run as functions registered from Node; the other NET. functions are refused by name. */
const netFunctions = (sql: string): string => familyCalls(sql, "NET", NET_FUNCTIONS)
const hllFunctions = (sql: string): string => familyCalls(sql, "HLL_COUNT", HLL_FUNCTIONS)

/** Whether the statement starting at `start` has a WHERE outside parentheses (not one of a subquery's). */
const hasWhereClause = (tokens: ReadonlyArray<Token>, start: number): boolean => {
  let depth = 0
  for (let k = start; k < tokens.length && tokens[k]!.text !== ";"; k++) {
    const text = tokens[k]!.text
    if (text === "(") depth++
    else if (text === ")") depth--
    else if (depth === 0 && tokens[k]!.kind === "word" && text.toUpperCase() === "WHERE") return true
  }
  return false
}

/**
 * `RANGE BETWEEN 1 PRECEDING AND 2 PRECEDING` (or `2 FOLLOWING AND 1 FOLLOWING`): a frame that ends
 * before it starts holds no row, and COUNT over it is 0; DuckDB's RANGE frame counts -1 there. The
 * same ROWS frame, also empty, it counts right.
 */
const emptyRangeFrames = (sql: string): string =>
  /\bRANGE\s+BETWEEN\b/i.test(sql)
    ? sql.replace(/\bRANGE(\s+BETWEEN\s+)(\d+(?:\.\d+)?)\s+(PRECEDING|FOLLOWING)(\s+AND\s+)(\d+(?:\.\d+)?)\s+\3\b/gi, (frame, between: string, start: string, side: string, and: string, end: string) => {
        const preceding = side.toUpperCase() === "PRECEDING"
        const empty = preceding ? Number(start) < Number(end) : Number(start) > Number(end)
        return !empty ? frame : preceding ? `ROWS${between}1 PRECEDING${and}2 PRECEDING` : `ROWS${between}2 FOLLOWING${and}1 FOLLOWING`
      })
    : sql

// Words that make a subquery more than `(SELECT expression)`.
const QUERY_CLAUSES = /^(FROM|WHERE|GROUP|HAVING|QUALIFY|WINDOW|ORDER|LIMIT|UNION|EXCEPT|INTERSECT|DISTINCT|WITH)$/i

/**
 * The expression of a scalar subquery without FROM, `(SELECT [1, 2][OFFSET(5)])`, or undefined.
 * IFERROR and its kin catch errors under DuckDB's TRY, which refuses subqueries; this one is its
 * expression.
 */
const subqueryExpression = (argument: string): string | undefined => {
  const all = tokenize(argument, "bigquery")
  const at = all.flatMap((token, k) => (isSignificant(token) ? [k] : []))
  const text = (k: number) => all[at[k]!]!.text
  const last = at.length - 1
  if (at.length < 4 || text(0) !== "(" || text(1).toUpperCase() !== "SELECT" || text(last) !== ")") return undefined
  let depth = 0
  for (let k = 2; k < last; k++) {
    if (text(k) === "(" || text(k) === "[") depth++
    else if (text(k) === ")" || text(k) === "]") {
      if (--depth < 0) return undefined
    } else if (depth === 0 && (text(k) === "," || (all[at[k]!]!.kind === "word" && QUERY_CLAUSES.test(text(k))))) return undefined
  }
  // `AS STRUCT` and `AS VALUE` make a different value; a trailing `AS name` only names it.
  if (text(2).toUpperCase() === "AS") return undefined
  const end = last - 2 > 2 && text(last - 2).toUpperCase() === "AS" ? last - 2 : last
  return `(${render(all.slice(at[2]!, at[end - 1]! + 1))})`
}

/** Constructs refused before translation: each would otherwise fail obscurely or answer wrongly. */
const findUnsupported = (tokens: ReadonlyArray<Token>): { construct: string; reason: string } | undefined => {
  // Per open parenthesis: the function it calls (undefined for a subquery or a group), and whether
  // a SELECT has been read inside it.
  const parentheses: Array<{ readonly call: string | undefined; query: boolean }> = []
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.kind === "word" ? tokens[i]!.text.toUpperCase() : ""
    const next = tokens[i + 1]?.text.toUpperCase() ?? ""
    const statementStart = i === 0 || tokens[i - 1]!.text === ";"
    if (tokens[i]!.text === "(") parentheses.push({ call: tokens[i - 1]?.kind === "word" ? tokens[i - 1]!.text.toUpperCase() : undefined, query: false })
    else if (tokens[i]!.text === ")") parentheses.pop()
    else if (word === "SELECT" && parentheses.length > 0) parentheses[parentheses.length - 1]!.query = true
    // `MAX(x HAVING MIN y)`: the aggregate's HAVING MAX/MIN modifier, which polyglot translates for
    // ANY_VALUE only (DuckDB's arg_max/arg_min); a HAVING clause comes after a SELECT.
    const call = parentheses[parentheses.length - 1]
    if (word === "HAVING" && (next === "MAX" || next === "MIN") && call !== undefined && !call.query && call.call !== undefined && call.call !== "ANY_VALUE") {
      return { construct: `${call.call}(… HAVING ${next} …)`, reason: "of the aggregates, only ANY_VALUE's HAVING MAX/MIN modifier is translated locally; filter the rows to the group's maximum in a subquery" }
    }
    const projectDefault = statementStart && word === "ALTER" ? projectDefaultsThatChangeAnswers(tokens.slice(i)) : undefined
    if (projectDefault !== undefined) {
      return { construct: `ALTER ${next} SET OPTIONS (${projectDefault})`, reason: "a project's or organization's default that changes query answers is not applied locally; set it in the query (a time zone argument, ROUND's rounding mode)" }
    }
    // CONTAINS_SUBSTR searches a JSON value's values (the default scope); its keys are not searched here.
    if (word === "JSON_SCOPE" && call?.call === "CONTAINS_SUBSTR") {
      const scope = tokens.slice(i + 1, i + 5).find((token) => token.kind === "string")?.text.slice(1, -1).toUpperCase()
      if (scope !== "JSON_VALUES") return { construct: `CONTAINS_SUBSTR(…, json_scope => '${scope ?? "?"}')`, reason: "only the default scope, JSON_VALUES, is searched locally" }
    }
    if (word === "BIGNUMERIC" || word === "BIGDECIMAL" || (word === "PARSE_BIGNUMERIC" && next === "(")) {
      return { construct: word, reason: "DuckDB decimals stop at 38 digits; use NUMERIC or FLOAT64" }
    }
    // The runner writes in @@project_id and, in scripts, @@row_count and @@error.*; DuckDB would read the rest as a parse error.
    if (tokens[i]!.text === "@" && tokens[i + 1]?.text === "@" && tokens[i + 2]?.kind === "word") {
      return { construct: `@@${tokens[i + 2]!.text}`, reason: "of BigQuery's system variables, @@project_id (the action's project) and, in scripts, @@row_count and @@error.* are known locally" }
    }
    if (statementStart && (word === "IF" || word === "LOOP" || word === "WHILE" || word === "EXECUTE")) {
      return { construct: `BigQuery scripting (${word})`, reason: "control flow runs in operations and in pre_operations/post_operations, not inside a query" }
    }
    // Set operations matching columns by name that setOperationsByName leaves: they need the inputs' column names.
    const setOperator = /^(UNION|INTERSECT|EXCEPT)$/
    const modeBefore = setOperator.test(next) || (next === "OUTER" && setOperator.test(tokens[i + 2]?.text.toUpperCase() ?? ""))
    // `UNION ALL BY NAME`, not `GROUP BY name` (a column).
    const byNameOf = word === "BY" && next === "NAME" && /^(ALL|DISTINCT)$/i.test(tokens[i - 1]?.text ?? "") && setOperator.test(tokens[i - 2]?.text.toUpperCase() ?? "") ? tokens[i - 2]!.text.toUpperCase() : undefined
    if (word === "CORRESPONDING" || ((word === "LEFT" || word === "INNER") && modeBefore) || (byNameOf !== undefined && (byNameOf !== "UNION" || tokens[i + 2]?.text.toUpperCase() === "ON"))) {
      const construct = word === "CORRESPONDING" ? "CORRESPONDING" : byNameOf === undefined ? `${word} … BY NAME` : byNameOf === "UNION" ? "BY NAME ON (…)" : `${byNameOf} … BY NAME`
      return { construct, reason: "the INNER and LEFT modes and plain CORRESPONDING need the inputs' column names; BY NAME (STRICT CORRESPONDING) and its FULL [OUTER] mode, each with or without ON (…), run locally" }
    }
    // Left as it was by unnestWithOffset: a form it does not rewrite.
    if (word === "WITH" && next === "OFFSET") {
      return { construct: "UNNEST … WITH OFFSET", reason: "give the element an alias (UNNEST(a) AS x WITH OFFSET AS o)" }
    }
    // A collation other than 'und:ci' and binary ('').
    if (word === "COLLATE") {
      const spec = next === "(" ? commaItems(tokens, i + 1, closingBracket(tokens, i + 1))[1]?.map((k) => tokens[k]!.text).join("").trim() : tokens[i + 1]?.kind === "string" ? tokens[i + 1]!.text : undefined
      if (spec !== undefined && /^(['"]).*\1$/.test(spec) && !/^(['"])(und:ci)?\1$/i.test(spec)) {
        return { construct: `COLLATE ${spec}`, reason: "of BigQuery's collations, 'und:ci' (case-insensitive) and '' (binary) are applied locally" }
      }
    }
    if (word === "DISTINCT" && next === "COLLATE" && tokens[i - 1]?.text === "(" && tokens[i - 2]?.text.toUpperCase() !== "COUNT") {
      return { construct: `${tokens[i - 2]?.text.toUpperCase() ?? "an aggregate"}(DISTINCT COLLATE(…))`, reason: "DuckDB's aggregates ignore a collation under DISTINCT; only COUNT(DISTINCT COLLATE(…, 'und:ci')) is counted case-insensitively here" }
    }
    // BigQuery requires a WHERE clause on UPDATE and DELETE (WHERE TRUE for every row).
    if (statementStart && (word === "UPDATE" || word === "DELETE") && !hasWhereClause(tokens, i)) {
      return { construct: `${word} without WHERE`, reason: "BigQuery refuses it too; write WHERE TRUE to change every row" }
    }
    // Time travel reads a table as it was; the local warehouse keeps only its current rows.
    if (word === "FOR" && next === "SYSTEM_TIME") return { construct: "FOR SYSTEM_TIME AS OF", reason: "the local warehouse keeps a table's current rows only, not its history" }
    // BigQuery ML's models (trained, or remote on Vertex AI): nothing to train or call locally.
    if (statementStart && word === "CREATE") {
      const rest = tokens.slice(i + 1).filter((token) => token.kind === "word").slice(0, 4).map((token) => token.text.toUpperCase())
      const kind = rest[0] === "OR" ? rest[2] : rest[0]
      if (kind === "MODEL") return { construct: "CREATE MODEL", reason: "BigQuery ML models are trained or called on Google Cloud; no local equivalent" }
    }
    // A call (`KEYS.NEW_KEYSET(…)`), not a column of a table aliased `keys`, `net` or `ml` (`keys.value`).
    if (next === "." && tokens[i + 3]?.text === "(" && unsupportedFamilies.test(word) && !(word === "NET" && tokens[i + 2]?.kind === "word" && NET_FUNCTIONS[tokens[i + 2]!.text.toUpperCase()] !== undefined)) {
      const name = tokens[i + 2]?.kind === "word" ? `${word}.${tokens[i + 2]!.text.toUpperCase()}` : `${word}.*`
      return word === "NET"
        ? { construct: name, reason: `of the NET functions, ${Object.keys(NET_FUNCTIONS).map((fn) => `NET.${fn}`).join(", ")} run locally` }
        : { construct: `${word}.*`, reason: "this BigQuery function family has no DuckDB equivalent" }
    }
    if (next === "(" && /^(IFERROR|ISERROR|NULLIFERROR)$/.test(word)) {
      const close = closingBracket(tokens, i + 1)
      const first = close < 0 ? undefined : commaItems(tokens, i + 1, close)[0]
      const argument = first === undefined ? "" : first.map((k) => tokens[k]!.text).join(" ")
      if (significantTokens(subqueryExpression(argument) ?? argument, "bigquery").some((token) => token.kind === "word" && token.text.toUpperCase() === "SELECT")) {
        return { construct: `${word}((SELECT …))`, reason: "errors are caught by DuckDB's TRY, which cannot hold a subquery; a subquery without FROM, (SELECT expression), runs" }
      }
    }
    if (next === "(") {
      const refused = unsupportedFunctions.find(([pattern]) => pattern.test(word))
      if (refused !== undefined) return { construct: `${word}()`, reason: refused[1] }
      const zoneArgument = word === "FORMAT_TIMESTAMP" ? commaItems(tokens, i + 1, closingBracket(tokens, i + 1))[2]?.map((k) => tokens[k]!.text).join("").trim() : undefined
      if (word === "FORMAT_TIMESTAMP" && ZONE_NAME_ELEMENT.test(tokens[i + 2]?.kind === "string" ? tokens[i + 2]!.text : "") && argumentCount(tokens, i + 1) === 3 && !UTC_ZONE.test(zoneArgument ?? "")) {
        return { construct: "FORMAT_TIMESTAMP('…%Z…', timestamp, zone)", reason: "BigQuery writes the zone's abbreviation, which DuckDB does not know; %Ez or %z write its offset" }
      }
    }
  }
  return undefined
}

// A time zone argument naming UTC itself.
const UTC_ZONE = /^(['"])(UTC|Etc\/UTC)\1$/i
// %Z, the time zone's name, in a format (%%Z is a literal %Z).
const ZONE_NAME_ELEMENT = /(?<!%)(%%)*%Z/

/** The number of top-level arguments of the call whose `(` is at `open`. */
const argumentCount = (tokens: ReadonlyArray<Token>, open: number): number => {
  let depth = 0
  let count = 1
  for (let k = open; k < tokens.length; k++) {
    const text = tokens[k]!.kind === "punct" ? tokens[k]!.text : ""
    if (text === "(" || text === "[") depth++
    else if ((text === ")" || text === "]") && --depth === 0) return count
    else if (text === "," && depth === 1) count++
  }
  return count
}

/**
 * `STRUCT(a, t.b)` names its fields after the columns (`a`, `b`) in BigQuery. polyglot keeps the
 * names in some places and numbers them (`_0`, `_1`) in others, such as before a field access
 * (`STRUCT(a, b).b`): the implicit names are written out.
 */
const namedStructFields = (sql: string): string => {
  if (!/\bSTRUCT\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const insertAfter = new Map<number, string>()
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== "word" || tokens[i]!.text.toUpperCase() !== "STRUCT") continue
    let open = i + 1
    while (open < tokens.length && !isSignificant(tokens[open]!)) open++
    if (tokens[open]?.text !== "(") continue
    const close = closingBracket(tokens, open)
    if (close < 0) continue
    for (const arg of commaItems(tokens, open, close)) {
      const parts = arg.map((k) => tokens[k]!)
      // A column or a path to one: name, name.name, … (words or backquoted), nothing else.
      const isPath = parts.length % 2 === 1 && parts.every((token, k) => (k % 2 === 1 ? token.text === "." : token.kind === "quoted" || (token.kind === "word" && !/^(NULL|TRUE|FALSE|CURRENT_DATE|CURRENT_TIMESTAMP|CURRENT_DATETIME|CURRENT_TIME)$/i.test(token.text))))
      if (isPath) insertAfter.set(arg[arg.length - 1]!, ` AS ${parts[parts.length - 1]!.text}`)
    }
  }
  if (insertAfter.size === 0) return sql
  return tokens.map((token, k) => token.text + (insertAfter.get(k) ?? "")).join("")
}

/** The closing bracket of the `(` or `[` at `open`, or -1. */
const closingBracket = (tokens: ReadonlyArray<Token>, open: number): number => {
  let depth = 0
  for (let k = open; k < tokens.length; k++) {
    const text = tokens[k]!.kind === "punct" ? tokens[k]!.text : ""
    if (text === "(" || text === "[") depth++
    else if ((text === ")" || text === "]") && --depth === 0) return k
  }
  return -1
}

/** The significant tokens of each comma-separated item between the brackets at `open` and `close`. */
const commaItems = (tokens: ReadonlyArray<Token>, open: number, close: number): Array<Array<number>> => {
  const result: Array<Array<number>> = [[]]
  let depth = 0
  for (let k = open + 1; k < close; k++) {
    if (!isSignificant(tokens[k]!)) continue
    const text = tokens[k]!.kind === "punct" ? tokens[k]!.text : ""
    if (text === "(" || text === "[") depth++
    else if (text === ")" || text === "]") depth--
    else if (text === "," && depth === 0) {
      result.push([])
      continue
    }
    result[result.length - 1]!.push(k)
  }
  return result.filter((item) => item.length > 0)
}

/** Words that end a SELECT list at its depth. */
const SELECT_LIST_ENDS = new Set(["FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT"])

/**
 * A set operation's columns take the first query's types, STRUCT field names included:
 * `SELECT STRUCT('a' AS k, 1 AS n) AS s UNION ALL SELECT STRUCT('b', 2)` has fields k and n in
 * every row. DuckDB matches STRUCT fields by name, so a later query's STRUCT literal in the same
 * position would read NULLs: its fields are given the first query's names.
 */
const setOperationStructNames = (sql: string): string => {
  if (!/\b(UNION|INTERSECT|EXCEPT)\b/i.test(sql) || !/\bSTRUCT\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.flatMap((token, index) => (isSignificant(token) ? [index] : []))
  const upperAt = (k: number) => (tokens[significant[k]!]?.kind === "word" ? tokens[significant[k]!]!.text.toUpperCase() : tokens[significant[k]!]?.text ?? "")
  const edits = new Map<number, string>()
  /** A value's tokens without a column alias after it (`… AS name`, `… name`). */
  const withoutAlias = (item: ReadonlyArray<number>, close: number): ReadonlyArray<number> | undefined => {
    const rest = item.slice(item.indexOf(close) + 1)
    return rest.length === 0 || (rest.length === 2 && tokens[rest[0]!]!.text.toUpperCase() === "AS") || (rest.length === 1 && tokens[rest[0]!]!.kind === "word") ? item.slice(0, item.indexOf(close) + 1) : undefined
  }
  /** The fields of an untyped STRUCT literal, the elements of an array literal, or undefined. */
  const parts = (item: ReadonlyArray<number>): { readonly kind: "struct" | "array"; readonly items: Array<Array<number>> } | undefined => {
    const isStruct = item.length >= 3 && tokens[item[0]!]!.kind === "word" && tokens[item[0]!]!.text.toUpperCase() === "STRUCT" && tokens[item[1]!]!.text === "("
    const open = isStruct ? item[1]! : item[0]!
    if (!isStruct && tokens[open]?.text !== "[") return undefined
    const close = closingBracket(tokens, open)
    if (close < 0 || withoutAlias(item, close) === undefined) return undefined
    return { kind: isStruct ? "struct" : "array", items: commaItems(tokens, open, close) }
  }
  const alias = (field: ReadonlyArray<number>) => (field.length >= 3 && tokens[field[field.length - 2]!]!.text.toUpperCase() === "AS" ? field[field.length - 1]! : undefined)
  const withoutFieldName = (field: ReadonlyArray<number>) => (alias(field) === undefined ? field : field.slice(0, -2))
  /** Names the later value's STRUCT fields (in arrays too) after the first value's. */
  const nameFields = (first: ReadonlyArray<number>, later: ReadonlyArray<number>): void => {
    const model = parts(first)
    const target = parts(later)
    if (model === undefined || target === undefined || model.kind !== target.kind) return
    if (model.kind === "array") {
      const element = model.items[0]
      if (element !== undefined) target.items.forEach((item) => nameFields(element, item))
      return
    }
    if (model.items.length !== target.items.length) return
    model.items.forEach((field, i) => {
      const name = alias(field)
      const own = target.items[i]!
      if (name === undefined) return
      const ownName = alias(own)
      if (ownName !== undefined) edits.set(ownName, tokens[name]!.text)
      else edits.set(own[own.length - 1]!, `${tokens[own[own.length - 1]!]!.text} AS ${tokens[name]!.text}`)
      nameFields(withoutFieldName(field), withoutFieldName(own))
    })
  }
  // Per parenthesis depth: the first query's SELECT items, and the SELECT being read.
  const firstItems: Array<Array<Array<number>> | undefined> = [undefined]
  const afterSetOperation: Array<boolean> = [false]
  for (let k = 0; k < significant.length; k++) {
    const word = upperAt(k)
    const depth = firstItems.length - 1
    if (word === "(") {
      firstItems.push(undefined)
      afterSetOperation.push(false)
    } else if (word === ")") {
      if (depth > 0) {
        firstItems.pop()
        afterSetOperation.pop()
      }
    } else if (word === "UNION" || word === "INTERSECT" || word === "EXCEPT") afterSetOperation[depth] = true
    else if (word === ";") {
      firstItems[depth] = undefined
      afterSetOperation[depth] = false
    } else if (word === "SELECT") {
      // The SELECT list: up to a clause keyword or a closing parenthesis at this depth.
      let end = k + 1
      for (let nested = 0; end < significant.length; end++) {
        const text = upperAt(end)
        if (text === "(") nested++
        else if (text === ")" && --nested < 0) break
        else if (nested === 0 && (SELECT_LIST_ENDS.has(text) || text === ";")) break
      }
      const open = significant[k]!
      const close = end < significant.length ? significant[end]! : tokens.length
      const items = commaItems(tokens, open, close)
      if (!afterSetOperation[depth]) firstItems[depth] = items
      else {
        const first = firstItems[depth]
        if (first !== undefined && first.length === items.length) items.forEach((item, i) => nameFields(first[i]!, item))
      }
    }
  }
  return edits.size === 0 ? sql : tokens.map((token, index) => edits.get(index) ?? token.text).join("")
}

/** Per field of a STRUCT: its name, and the names inside it (a STRUCT, or an array literal of STRUCTs). */
type FieldNames = ReadonlyArray<{ readonly name: string | undefined; readonly fields: FieldNames | undefined; readonly elements: FieldNames | undefined }>

/**
 * In an array literal, BigQuery names an unnamed STRUCT's fields after the element type, which the
 * first named element gives: `[STRUCT('a' AS k, STRUCT(1 AS n) AS v), STRUCT('b', STRUCT(2))]`.
 * polyglot names the outer fields only; DuckDB then matches the inner ones by name and reads NULLs.
 * The names are written out, nested STRUCTs included.
 */
const propagatedStructNames = (sql: string): string => {
  if (!/\[[\s\S]*STRUCT\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const closing = (open: number) => closingBracket(tokens, open)
  const items = (open: number, close: number) => commaItems(tokens, open, close)
  /** An untyped STRUCT(…) item: its parenthesis. */
  const structOpen = (item: ReadonlyArray<number>) =>
    tokens[item[0]!]!.kind === "word" && tokens[item[0]!]!.text.toUpperCase() === "STRUCT" && tokens[item[1]!]?.text === "(" && closing(item[1]!) === item[item.length - 1] ? item[1]! : undefined
  const alias = (arg: ReadonlyArray<number>) =>
    arg.length >= 3 && tokens[arg[arg.length - 2]!]!.text.toUpperCase() === "AS" ? tokens[arg[arg.length - 1]!]!.text : undefined
  const withoutAlias = (arg: ReadonlyArray<number>) => (alias(arg) === undefined ? arg : arg.slice(0, -2))
  /** An array literal of STRUCTs (`[STRUCT(…), …]`): the STRUCTs' parentheses. */
  const structElements = (item: ReadonlyArray<number>): ReadonlyArray<number> | undefined => {
    if (tokens[item[0]!]!.text !== "[" || closing(item[0]!) !== item[item.length - 1]) return undefined
    const opens = items(item[0]!, item[item.length - 1]!).map(structOpen)
    return opens.length > 0 && opens.every((open) => open !== undefined) ? (opens as ReadonlyArray<number>) : undefined
  }
  const named = (names: FieldNames) => names.some((field) => field.name !== undefined || field.fields !== undefined || field.elements !== undefined)
  const firstNamed = (opens: ReadonlyArray<number>) => opens.map(namesOf).find(named)
  function namesOf(open: number): FieldNames {
    return items(open, closing(open)).map((arg) => {
      const inner = structOpen(withoutAlias(arg))
      const elements = structElements(withoutAlias(arg))
      return { name: alias(arg), fields: inner === undefined ? undefined : namesOf(inner), elements: elements === undefined ? undefined : firstNamed(elements) }
    })
  }
  const insertAfter = new Map<number, string>()
  const apply = (open: number, names: FieldNames) => {
    items(open, closing(open)).forEach((arg, k) => {
      const wanted = names[k]
      if (wanted === undefined) return
      if (alias(arg) === undefined && wanted.name !== undefined) insertAfter.set(arg[arg.length - 1]!, ` AS ${wanted.name}`)
      const inner = structOpen(withoutAlias(arg))
      if (inner !== undefined && wanted.fields !== undefined) apply(inner, wanted.fields)
      const elements = structElements(withoutAlias(arg))
      if (elements !== undefined && wanted.elements !== undefined) for (const element of elements) apply(element, wanted.elements)
    })
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text !== "[" || tokens[i]!.kind !== "punct") continue
    // A subscript follows an expression; an array literal does not.
    let before: number | undefined = i - 1
    while (before >= 0 && !isSignificant(tokens[before]!)) before--
    if (before < 0) before = undefined
    if (before !== undefined && (tokens[before]!.kind === "word" || tokens[before]!.kind === "quoted" || [")", "]"].includes(tokens[before]!.text)) && !/^(SELECT|ARRAY|IN|THEN|ELSE|WHEN|AND|OR|NOT|RETURN|BY|ON)$/i.test(tokens[before]!.text)) continue
    const close = closing(i)
    if (close < 0) continue
    const structs = items(i, close).map(structOpen)
    if (structs.length < 2 || structs.some((open) => open === undefined)) continue
    const first = firstNamed(structs as ReadonlyArray<number>)
    if (first === undefined) continue
    for (const open of structs) apply(open!, first)
  }
  if (insertAfter.size === 0) return sql
  return tokens.map((token, k) => token.text + (insertAfter.get(k) ?? "")).join("")
}

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

const WEEKDAYS = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
const WEEK_PART = /^(WEEK|ISOWEEK|WEEK\s*\(\s*(SUNDAY|MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY)\s*\))$/i

// polyglot passes some calls through without translating their arguments (a FORMAT_DATE inside
// STARTS_WITH stayed BigQuery's). Renamed to this marker, a call it does not know, they are
// translated inside and take their DuckDB name back afterwards.
const PASSED_THROUGH = "MDP_PASS__"
const passedThrough =
  (duckdbName: string) =>
  (call: Call): string =>
    `${PASSED_THROUGH}${duckdbName}__(${call.args.join(", ")})`
const withPassedThroughNames = (sql: string): string => (sql.includes(PASSED_THROUGH) ? sql.replace(/\bMDP_PASS__(\w+?)__\(/gi, "$1(") : sql)

/** NORMALIZE[_AND_CASEFOLD](value[, NFC | NFKC | NFD | NFKD]): NFC natively, the others from Node. */
const normalized =
  (casefold: boolean) =>
  (call: Call): string | undefined => {
    const mode = (call.args[1] ?? "NFC").trim().toUpperCase()
    if (call.args.length > 2 || !/^NF(K?)[CD]$/.test(mode)) return undefined
    const name = !casefold && mode === "NFC" ? "nfc_normalize" : normalizeFunction(mode as NormalForm, casefold)
    return passedThrough(name)({ ...call, args: [call.args[0]!] })
  }

const isoYearStart = (value: string): string => `DATE_TRUNC(DATE(EXTRACT(ISOYEAR FROM DATE(${value})), 1, 4), ISOWEEK)`

/**
 * LAST_DAY(value[, part]): the last day of the year, quarter, month (the default), week or ISO
 * year holding the date. polyglot kept DuckDB's month end whatever the part.
 */
const lastDay = (call: Call): string | undefined => {
  const [value, part = "MONTH"] = call.args
  if (value === undefined || call.args.length > 2) return undefined
  const unit = part.trim().toUpperCase()
  const start = `DATE_TRUNC(DATE(${value}), ${unit})`
  if (WEEK_PART.test(unit)) return `CAST(DATE_ADD(${start}, INTERVAL 6 DAY) AS DATE)`
  if (unit === "ISOYEAR") return `CAST(DATE_SUB(DATE_TRUNC(DATE(EXTRACT(ISOYEAR FROM DATE(${value})) + 1, 1, 4), ISOWEEK), INTERVAL 1 DAY) AS DATE)`
  if (/^(YEAR|QUARTER|MONTH)$/.test(unit)) return `CAST(DATE_SUB(DATE_ADD(${start}, INTERVAL 1 ${unit}), INTERVAL 1 DAY) AS DATE)`
  return undefined
}

// Markers for calls polyglot would translate wrongly: unknown functions survive it unchanged and
// are replaced after translation.
const DATE_IN_ZONE = "MDP_DATE_IN_ZONE__"
const ARRAY_LENGTH_MARKER = "MDP_ARRAY_LENGTH__"
// An element by 1-based position, once the range is checked: polyglot does not translate a
// subscript inside a parenthesised expression followed by a field (`(…)[SAFE_OFFSET(0)]).b`).
const ARRAY_ELEMENT_MARKER = "MDP_ARRAY_ELEMENT__"
// APPROX_QUANTILES(x, n): polyglot's APPROX_QUANTILE call takes no DOUBLE[] list in DuckDB.
const APPROX_QUANTILES_MARKER = "MDP_APPROX_QUANTILES__"
const MD5_BYTES = "MDP_MD5_BYTES__"
const AGGREGATE_LIMIT = "MDP_AGGREGATE_LIMIT__"
const EPOCH_MILLIS = "MDP_EPOCH_MILLIS__"
const EPOCH_MICROS = "MDP_EPOCH_MICROS__"
const FORMAT_TIMESTAMP_IN_ZONE = "MDP_FORMAT_TIMESTAMP_IN_ZONE__"
const STRING_IN_ZONE = "MDP_STRING_IN_ZONE__"
const RANGE_BUCKET_MARKER = "MDP_RANGE_BUCKET"

/** A TIMESTAMP's offset from UTC in a zone as BigQuery writes it: +HH, or +HH:MM when the minutes are not 0. */
const utcOffsetText = (timestamp: string, zone: string): string => {
  const minutes = `CAST(round((epoch(TIMEZONE(${zone}, ${timestamp})) - epoch(TIMEZONE('UTC', ${timestamp}))) / 60) AS BIGINT)`
  return `(CASE WHEN ${minutes} < 0 THEN '-' ELSE '+' END || lpad(CAST(abs(${minutes}) // 60 AS VARCHAR), 2, '0') || CASE WHEN abs(${minutes}) % 60 = 0 THEN '' ELSE ':' || lpad(CAST(abs(${minutes}) % 60 AS VARCHAR), 2, '0') END)`
}

/** %Ez (+HH:MM) and %z (+HHMM) of a TIMESTAMP in a zone, in BigQuery SQL (the zone's offset at that instant). */
const utcOffsetInFormat = (timestamp: string, zone: string | undefined, separator: string): string => {
  if (zone === undefined) return `'+00${separator}00'`
  const minutes = `DIV(TIMESTAMP_DIFF(TIMESTAMP(DATETIME(${timestamp}, ${zone})), ${timestamp}, SECOND), 60)`
  return `CONCAT(IF(${minutes} < 0, '-', '+'), LPAD(CAST(DIV(ABS(${minutes}), 60) AS STRING), 2, '0'), '${separator}', LPAD(CAST(MOD(ABS(${minutes}), 60) AS STRING), 2, '0'))`
}

const JSON_SCALAR = "MDP_JSON_SCALAR__"
const TIMESTAMP_DIFF_MARKER = "MDP_TIMESTAMP_DIFF__"
const UNIX_DAYS_MARKER = "MDP_UNIX_DAYS__"
const CHECKED_DIVISOR = "MDP_CHECKED_DIVISOR__"
const DIVIDE = "MDP_DIVIDE__"
const MULTIPLY = "MDP_MULTIPLY__"
const MAKE_INTERVAL_MARKER = "MDP_MAKE_INTERVAL__"
const UNIX_SECONDS_MARKER = "MDP_UNIX_SECONDS__"
const QUANTILES_OF_LIST_MARKER = "MDP_QUANTILES_OF_LIST__"
const BIT_XOR_DISTINCT = "MDP_BIT_XOR_DISTINCT__"
const JSON_OBJECT_PAIRS_MARKER = "MDP_JSON_OBJECT_PAIRS__"
/** A column named KEY or VALUE, which polyglot reads as JSON_OBJECT's keywords, quoted. */
const quotedIfKeyword = (arg: string): string => (/^(KEY|VALUE)$/i.test(arg.trim()) ? `\`${arg.trim()}\`` : arg)
/** PERCENTILE_CONT/DISC(x, p RESPECT NULLS), completed with its OVER clause by `aggregatesAsBigQuery`. */
const PERCENTILE_RESPECTING_NULLS = "MDP_PERCENTILE_RESPECTING_NULLS__"
/** An interval of months, days and microseconds (BigQuery's three parts, as DuckDB keeps them). */
const INTERVAL_PARTS_MARKER = "MDP_INTERVAL_PARTS__"
const CHECKED_POWER = "MDP_CHECKED_POWER__"
const CHECKED_EXP = "MDP_CHECKED_EXP__"
const INTEGER_DIVIDE = "MDP_INTEGER_DIVIDE__"
const SAFE_NUMERIC_DIVIDE = "MDP_SAFE_NUMERIC_DIVIDE__"
const CONTAINS_SUBSTR_MARKER = "MDP_CONTAINS_SUBSTR__"
const FLOAT_OPERATION = "MDP_FLOAT_OPERATION__"
const BIT_COUNT_MARKER = "MDP_BIT_COUNT__"
const DATETIME_DIFFERENCE = "MDP_DATETIME_DIFFERENCE__"
const SAFE_NUMERIC_MULTIPLY = "MDP_SAFE_NUMERIC_MULTIPLY__"
const STRUCT_EQUALITY = "MDP_STRUCT_EQUALITY__"
const APPROX_TOP_COUNT_MARKER = "MDP_APPROX_TOP_COUNT__"
const APPROX_TOP_SUM_MARKER = "MDP_APPROX_TOP_SUM__"
const FLATTEN_MARKER = "MDP_FLATTEN__"
const COLLATE_CI_MARKER = "MDP_COLLATE_CI__"
const TODAY_MARKER = "MDP_TODAY__"
const NOW_MARKER = "MDP_NOW__"
const JSON_INT64 = "MDP_JSON_INT64__"
const JSON_FLOAT64 = "MDP_JSON_FLOAT64__"
const JSON_BOOL = "MDP_JSON_BOOL__"
const JSON_STRING = "MDP_JSON_STRING__"
const SHIFT_LEFT = "MDP_SHIFT_LEFT__"
const SHIFT_RIGHT = "MDP_SHIFT_RIGHT__"

const NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')"

/**
 * A JSON conversion as BigQuery defines it (json_functions#converters and #lax_converters): `kinds`
 * maps DuckDB's json_type of the value to an expression of `j` (the value as JSON) and `s` (a JSON
 * string's text); other kinds give `otherwise`. SQL NULL stays NULL; JSON null gives `jsonNull`
 * (an error for the strict converters, whose documentation has `INT64(JSON 'null')` fail).
 */
const jsonConversion = (value: string, kinds: ReadonlyArray<readonly [string, string]>, otherwise: string, jsonNull = "NULL"): string => {
  const j = `CAST((${value}) AS JSON)`
  const s = `json_extract_string(${j}, '$')`
  const cases = kinds.map(([kind, expression]) => `WHEN json_type(${j}) IN ${kind} THEN ${expression.replaceAll("$j", () => j).replaceAll("$s", () => s)}`).join(" ")
  return `(CASE WHEN (${value}) IS NULL THEN NULL WHEN json_type(${j}) = 'NULL' THEN ${jsonNull} ${cases} ELSE ${otherwise} END)`
}

const notA = (what: string, fn: string) => `error('${fn}: the JSON value is not ${what}')`

// BigQuery's default INITCAP delimiters: whitespace and these characters.
const INITCAP_DELIMITERS = `'[[:space:]\\[\\](){}/|\\\\<>!?@"^#$&~_,.:;*%+\\-]'`

// %F, %T, %D and %R spelled out in a FORMAT_* call's format; %e, %k and %l (the day and the 24-
// and 12-hour hour, space-padded), %Q (the quarter), %E*S (seconds and their fraction's digits)
// %P (am or pm) and %J (the day of the ISO year), which DuckDB lacks, as values between the
// formats before and after them.
const FORMATTED_TYPES: Readonly<Record<string, string>> = { FORMAT_DATE: "DATE", FORMAT_DATETIME: "DATETIME", FORMAT_TIMESTAMP: "TIMESTAMP" }
const COMPUTED_ELEMENT = /(?<!%)%(Ez|E\*S|E[1245]S|[eklQsCgzPJ])/
// A DATE, DATETIME or TIME has no offset: %Ez and %z stay for DuckDB to refuse.
const COMPUTED_ELEMENT_WITHOUT_ZONE = /(?<!%)%(E\*S|E[1245]S|[eklQsCgPJ])/
/** FORMAT_TIMESTAMP's rewrite (its format already single-quoted). */
const formatTimestamp = (call: Call): string | undefined => {
  // Without a zone or in UTC, BigQuery formats in UTC, and %Z is "UTC" (with another zone,
  // findUnsupported refuses it); the other elements are rewritten as usual.
  if ((call.args.length === 2 || (call.args.length === 3 && UTC_ZONE.test(call.args[2]!.trim()))) && /^'[\s\S]*'$/.test(call.args[0] ?? "") && ZONE_NAME_ELEMENT.test(call.args[0]!)) {
    const args = [call.args[0]!.replace(/(?<!%)((?:%%)*)%Z/g, "$1UTC"), call.args[1]!]
    return formatTimestamp({ ...call, args }) ?? `FORMAT_TIMESTAMP(${args.join(", ")})`
  }
  const expanded = formatWithoutShorthands(call.args[0] ?? "") ?? call.args[0]!
  if (/^'[\s\S]*'$/.test(expanded) && COMPUTED_ELEMENT.test(expanded)) return withoutShorthands(call)
  const args = [withFractionalSeconds(expanded), ...call.args.slice(1)]
  return args.length === 3 ? `${FORMAT_TIMESTAMP_IN_ZONE}(${args.join(", ")})` : withoutShorthands(call)
}

/**
 * A FORMAT_ or PARSE_ rewrite given its format as a single-quoted literal: the rewrites read the
 * format's elements from one, and BigQuery's examples often write it in double quotes.
 */
const withFormatLiteral = (rewrite: (call: Call) => string | undefined) => (call: Call): string | undefined => {
  const format = call.args[0]?.trim()
  if (format === undefined || !/^"[^"\\']*"$/.test(format)) return rewrite(call)
  return rewrite({ ...call, args: [`'${format.slice(1, -1)}'`, ...call.args.slice(1)] })
}

const withoutShorthands = (call: Call): string | undefined => {
  const literal = call.args[0] ?? ""
  const format = formatWithoutShorthands(literal) ?? literal
  const computed = call.name === "FORMAT_TIMESTAMP" ? COMPUTED_ELEMENT : COMPUTED_ELEMENT_WITHOUT_ZONE
  const parts = /^'[\s\S]*'$/.test(format) ? format.slice(1, -1).split(new RegExp(computed.source, "g")) : [format]
  if (parts.length > 1) {
    const [written, zone] = call.args.slice(1)
    // A string literal is read as the function's type, as BigQuery coerces it.
    const value = written !== undefined && /^'[^']*'$/.test(written.trim()) ? `CAST(${written} AS ${FORMATTED_TYPES[call.name] ?? "TIMESTAMP"})` : written
    const at = `${value}${zone === undefined ? "" : ` AT TIME ZONE ${zone}`}`
    const padded = (number: string) => `LPAD(CAST(${number} AS STRING), 2, ' ')`
    // Not rewritten again: a FORMAT_TIMESTAMP in a zone goes to its marker here.
    const name = call.name === "FORMAT_TIMESTAMP" && zone !== undefined ? FORMAT_TIMESTAMP_IN_ZONE : call.name
    const formatted = (format: string) => `${name}('${format}', ${call.args.slice(1).join(", ")})`
    const elements: Readonly<Record<string, string>> = {
      e: padded(`EXTRACT(DAY FROM ${at})`),
      k: padded(`EXTRACT(HOUR FROM ${at})`),
      l: padded(`MOD(EXTRACT(HOUR FROM ${at}) + 11, 12) + 1`),
      Q: `CAST(EXTRACT(QUARTER FROM ${at}) AS STRING)`,
      // Seconds since the epoch, whatever the zone; a DATETIME or DATE counts as UTC.
      s: `CAST(UNIX_SECONDS(TIMESTAMP(${value})) AS STRING)`,
      // The century, and the ISO year within it (DuckDB's %g is milliseconds; it lacks %C).
      C: `LPAD(CAST(DIV(EXTRACT(YEAR FROM ${at}), 100) AS STRING), 2, '0')`,
      g: `LPAD(CAST(MOD(EXTRACT(ISOYEAR FROM ${at}), 100) AS STRING), 2, '0')`,
      // The day of the ISO year (001 is the Monday of its first week).
      J: `LPAD(CAST((EXTRACT(ISOWEEK FROM ${at}) - 1) * 7 + MOD(EXTRACT(DAYOFWEEK FROM ${at}) + 5, 7) + 1 AS STRING), 3, '0')`,
      // A TIMESTAMP's offset in the zone (UTC without one): +HH:MM and +HHMM.
      Ez: utcOffsetInFormat(value!, zone, ":"),
      z: utcOffsetInFormat(value!, zone, ""),
      // Seconds with as many digits of fraction as they have (none for whole seconds).
      "E*S": `REGEXP_REPLACE(${formatted("%S.%f")}, r'\\.?0+$', '')`,
      // Seconds with 1, 2, 4 or 5 digits of fraction, cut (not rounded) from the microseconds;
      // DuckDB's strftime has elements for 3 and 6 (withFractionalSeconds).
      ...Object.fromEntries([1, 2, 4, 5].map((digits) => [`E${digits}S`, `LEFT(${formatted("%S.%f")}, ${digits + 3})`])),
      P: `LOWER(${formatted("%p")})`
    }
    const piece = (text: string) => (text === "" ? [] : [formatted(withFractionalSeconds(text))])
    // split() with a group: texts at even positions, the elements between them at odd ones.
    return `(${parts.flatMap((part, i) => (i % 2 === 1 ? [elements[part]!] : piece(part))).join(" || ")})`
  }
  const final = withFractionalSeconds(format)
  return final === literal ? undefined : `${call.name}(${[final, ...call.args.slice(1)].join(", ")})`
}

function substring(call: Call): string | undefined {
  const [value, position, length] = call.args
  if (value === undefined || position === undefined) return undefined
  // A negative length is an error in BigQuery; DuckDB counts backwards.
  if (length !== undefined && !/^\+?\d+$/.test(length.trim())) {
    return `IF((${length}) < 0, ERROR('SUBSTR: the length cannot be negative'), ${substringFrom(value, position, length) ?? `SUBSTR(${value}, ${position}, ${length})`})`
  }
  return substringFrom(value, position, length)
}

/** SUBSTR from a position counted from the end when negative, or from the start when 0. */
const substringFrom = (value: string, position: string, length: string | undefined): string | undefined => {
  if (/^\+?[1-9]\d*$/.test(position.trim())) return undefined
  const start = `CASE WHEN (${position}) > 0 THEN (${position}) WHEN (${position}) = 0 THEN 1 ELSE GREATEST(LENGTH(${value}) + (${position}) + 1, 1) END`
  return `SUBSTR(${value}, ${start}${length === undefined ? "" : `, ${length}`})`
}

/**
 * `STRING_AGG(e, sep ORDER BY k LIMIT n)` and `ARRAY_AGG(e … LIMIT n)`: the ordered ARRAY_AGG (NULLs
 * left out for STRING_AGG, as BigQuery's ignores them) and its first n, behind a marker.
 */
const limitedAggregate = (call: Call, name: "STRING_AGG" | "ARRAY_AGG"): string | undefined => {
  const last = call.args[call.args.length - 1] ?? ""
  const match = /^([\s\S]*?)(\s+ORDER\s+BY\s+[\s\S]*?)?\s+LIMIT\s+(\d+)\s*$/i.exec(last)
  if (match === null) return undefined
  const heads = [...call.args.slice(0, -1), match[1]!.trim()]
  const order = match[2] ?? ""
  if (name === "ARRAY_AGG") return `${AGGREGATE_LIMIT}(ARRAY_AGG(${heads.join(", ")}${order}), ${match[3]})`
  const [value, separator] = heads
  return `${AGGREGATE_LIMIT}(ARRAY_AGG(${value} IGNORE NULLS${order}), ${match[3]}, ${separator ?? "','"})`
}

// PARSE_* with %E elements (%E*S, %Ez), which DuckDB's strptime does not know: its patterns in turn.
const withParsePatterns = (type: "DATE" | "DATETIME" | "TIMESTAMP", call: Call): string | undefined => {
  // Seconds since the epoch (DuckDB's strptime lacks %s).
  if (type === "TIMESTAMP" && /^'\s*%s\s*'$/.test(call.args[0] ?? "") && call.args[1] !== undefined) return `TIMESTAMP_SECONDS(CAST(TRIM(${call.args[1]}) AS INT64))`
  const patterns = call.args.length >= 2 ? parsePatterns(call.args[0]!) : undefined
  if (patterns === undefined) return undefined
  if (patterns.startsWith("ERROR(")) return patterns
  // A text with its own offset (%Ez, %z) is read at that offset, whatever zone the call names.
  const zone = type === "TIMESTAMP" && !/%E?z/.test(call.args[0]!) ? (call.args[2] ?? "NULL") : "NULL"
  return `${CAST_PARSE_MARKER}('${type}', FALSE, ${call.args[1]}, ${patterns}, ${zone})`
}

/** RE2's capturing groups in a pattern: `(`, `(?P<name>` and `(?<name>`, outside classes and escapes. */
const captureGroups = (pattern: string): number => {
  let groups = 0
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === "\\") i++
    else if (inClass) inClass = c !== "]"
    else if (c === "[") {
      inClass = true
      // `[]a]` and `[^]a]`: a leading ] belongs to the class.
      if (pattern[i + 1] === "^") i++
      if (pattern[i + 1] === "]") i++
    } else if (c === "(" && (pattern[i + 1] !== "?" || /^\(\?P?<[A-Za-z_]/.test(pattern.slice(i)))) groups++
  }
  return groups
}

const BIGQUERY_STRING_LITERAL = /^[rRbB]{0,2}('|")[\s\S]*\1$/

/**
 * REGEXP_EXTRACT (REGEXP_SUBSTR) and REGEXP_EXTRACT_ALL: a pattern with two capturing groups or
 * more fails, as in BigQuery; REGEXP_EXTRACT's occurrence is the n-th match searched from
 * `position` (polyglot dropped the position and asked for group 1 of patterns without one).
 */
const regexpExtraction = (call: Call): string | undefined => {
  const [value, pattern, position, occurrence] = call.args
  if (pattern === undefined) return undefined
  if (BIGQUERY_STRING_LITERAL.test(pattern.trim()) && captureGroups(stringLiteralText(pattern.trim())) > 1) {
    return "ERROR('Regular expressions passed into extraction functions must not have more than 1 capturing group')"
  }
  if (call.name === "REGEXP_EXTRACT_ALL" || call.args.length !== 4) return undefined
  return (
    `IF((${position}) <= 0 OR (${occurrence}) <= 0, ERROR('${call.name}: position and occurrence must be positive'), ` +
    `REGEXP_EXTRACT_ALL(SUBSTR(${value}, ${position}), ${pattern})[SAFE_OFFSET((${occurrence}) - 1)])`
  )
}

/** `(e, i) -> body`: the index parameter renamed, and read as itself minus one wherever the body uses it. */
const withZeroBasedLambdaIndex = (call: Call): string | undefined => {
  const match = /^\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*->\s*([\s\S]+)$/.exec(call.args[1]?.trim() ?? "")
  if (match === null || call.args.length !== 2) return undefined
  const [, element, index, body] = match
  const counter = `mdp_${index}_1`
  const tokens = tokenize(body!, "duckdb")
  const renamed = tokens.map((token, i) => {
    const previous = tokens.slice(0, i).findLast(isSignificant)
    return token.kind === "word" && token.text.toLowerCase() === index!.toLowerCase() && previous?.text !== "." ? `(${counter} - 1)` : token.text
  })
  return `${call.name}(${call.args[0]}, (${element}, ${counter}) -> ${renamed.join("")})`
}

/**
 * A DuckDB value as BigQuery's JSON text (`mode` 'string' for TO_JSON_STRING, 'json' for TO_JSON).
 * DuckDB's JSON is BigQuery's for strings, booleans, dates and small integers; other types are
 * re-encoded in Node (typeof is constant for a query, so the test costs nothing per row).
 */
const jsonTextExpression = (value: string, mode: string, pretty: string): string => {
  const json = `CAST(to_json(${value}) AS VARCHAR)`
  // A NULL is JSON's null ('null'), where DuckDB's to_json returns NULL. A JSON value is its own
  // text: to_json would write its numbers anew (1e+20 as 100000000000000000000.0).
  return `coalesce(CASE WHEN typeof(${value}) = 'JSON' AND NOT (${pretty}) THEN CAST(${value} AS VARCHAR) WHEN regexp_matches(typeof(${value}), '${NEEDS_REENCODING}') OR (${pretty}) THEN ${BIGQUERY_JSON_FUNCTION}(${json}, typeof(${value}), ${mode}, ${pretty}) ELSE ${json} END, 'null')`
}

/** JSON_SET, JSON_ARRAY_APPEND, JSON_ARRAY_INSERT: path and value pairs, then the named flag (TRUE by default). */
const jsonEditExpression = (operation: "set" | "append" | "insert", flag: string, call: Call): string | undefined => {
  const [json, ...rest] = call.args
  const named = rest.filter((arg) => /^\w+\s*=>/.test(arg.trim()))
  const pairs = rest.filter((arg) => !/^\w+\s*=>/.test(arg.trim()))
  if (json === undefined || pairs.length === 0 || pairs.length % 2 !== 0) return undefined
  const flagValue = named.map((arg) => new RegExp(`^${flag}\\s*=>\\s*([\\s\\S]+)$`, "i").exec(arg.trim())?.[1]).find((value) => value !== undefined) ?? "TRUE"
  const paths = pairs.filter((_, i) => i % 2 === 0).map((path) => `CAST(${path} AS VARCHAR)`)
  const values = pairs.filter((_, i) => i % 2 === 1)
  return (
    `CAST(${JSON_EDIT_FUNCTION}('${operation}', CAST(${json} AS VARCHAR), [${paths.join(", ")}], ` +
    `[${values.map((value) => jsonTextExpression(value, "'json'", "FALSE")).join(", ")}], [${values.map((value) => `(typeof(${value}) LIKE '%[]')`).join(", ")}], ${flagValue}) AS JSON)`
  )
}

/** JSON_VALUE_ARRAY: NULL unless every element is a scalar (DuckDB's cast gives objects' and arrays' text). */
const scalarArray = (json: string | undefined, path: string | undefined, count: number): string | undefined => {
  if (json === undefined || count > 2) return undefined
  const at = path === undefined ? "'$'" : pathWithQuotedMembers(path)
  return `${SCALARS_ONLY}(JSON_QUERY_ARRAY(${json}, ${at}), JSON_VALUE_ARRAY(${json}, ${at}))`
}
/** A BigQuery JSONPath literal's `['a.b']` members as `."a.b"`, which DuckDB reads (`$['a.b'].c` fails there). */
const pathWithQuotedMembers = (path: string): string => {
  const literal = /^(['"])((?:(?!\1)[^\\]|\\.)*)\1$/.exec(path.trim())
  if (literal === null || !literal[2]!.includes("['")) return path
  const text = quotedMembersDotted(literal[2]!)
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`
}
const SCALARS_ONLY = "MDP_SCALARS_ONLY__"
const STRING_JSON_NULL = "MDP_STRING_JSON_NULL__"

// MERGE's INSERT ROW (the source row's columns in order) through polyglot, which cannot read it,
// to DuckDB's INSERT BY POSITION.
const INSERT_ROW_MARKER = "INSERT (mdp_insert_row__) VALUES (mdp_insert_row__)"
const mergeInsertRow = (sql: string): string => {
  if (!/\bINSERT\s+ROW\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const next = tokens.findIndex((token, k) => k > i && isSignificant(token))
    if (tokens[i]!.kind === "word" && tokens[i]!.text.toUpperCase() === "INSERT" && tokens[next]?.kind === "word" && tokens[next]!.text.toUpperCase() === "ROW") {
      out.push(INSERT_ROW_MARKER)
      i = next
      continue
    }
    out.push(tokens[i]!.text)
  }
  return out.join("")
}
const withInsertByPosition = (sql: string): string => (sql.includes("mdp_insert_row__") ? sql.replaceAll(INSERT_ROW_MARKER, "INSERT BY POSITION") : sql)

/**
 * `CURRENT_DATE()` and `CURRENT_TIMESTAMP()`, with parentheses, as markers for DuckDB's today() and
 * get_current_timestamp() where the statement also names a column or an alias so: DuckDB reads its
 * CURRENT_DATE keyword as that column first (`SELECT CURRENT_DATE() AS current_date` did not bind),
 * where BigQuery's parentheses make it the function. Without them the name stays DuckDB's to
 * resolve, column first, as BigQuery's documentation warns.
 */
const explicitCurrentCalls = (sql: string): string => {
  if (!/\bCURRENT_(DATE|TIMESTAMP)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const isName = (token: Token | undefined): token is Token => (token?.kind === "word" || token?.kind === "quoted") && /^`?CURRENT_(DATE|TIMESTAMP)`?$/i.test(token.text)
  const calledAt = (i: number) => tokens.slice(i + 1).find(isSignificant)?.text === "("
  if (!tokens.some((token, i) => isName(token) && !calledAt(i))) return sql
  return tokens
    .map((token, i) => {
      if (token.kind !== "word" || !isName(token) || !calledAt(i)) return token.text
      return token.text.toUpperCase() === "CURRENT_DATE" ? TODAY_MARKER : NOW_MARKER
    })
    .join("")
}

/**
 * `ORDER BY x COLLATE 'und:ci'`, an ORDER BY item's collation, as the COLLATE function of the item
 * (DuckDB's COLLATE takes a name, not a string): where the item is one column, call or bracketed
 * expression, so that the collation applies to all of it, as BigQuery's does.
 */
const orderByCollations = (sql: string): string => {
  if (!/\bCOLLATE\s+['"]/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== "word" || tokens[i]!.text.toUpperCase() !== "COLLATE") continue
    const spec = nextSignificantToken(tokens, i)
    if (spec?.token.kind !== "string") continue
    const start = expressionStart(tokens, i)
    if (start === undefined) continue
    const before = tokens[previousSignificant(tokens, start)]?.text.toUpperCase()
    if (before !== "BY" && before !== ",") continue
    edits.set(start, { end: spec.index, text: `COLLATE(${render(tokens.slice(start, i)).trim()}, ${spec.token.text})` })
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/**
 * `EXTRACT(part FROM timestamp AT TIME ZONE zone)` as `EXTRACT(part FROM DATETIME(timestamp, zone))`,
 * the same local parts: polyglot passed the whole EXTRACT through untranslated when a zone was
 * given, so a call inside it (`TIMESTAMP('…')`, `TIMESTAMP_SECONDS(…)`) reached DuckDB as written.
 * The DATETIME part is that DATETIME itself.
 */
const extractAtTimeZone = (sql: string): string => {
  if (!/\bEXTRACT\b/i.test(sql) || !/\bAT\s+TIME\s+ZONE\b/i.test(sql)) return sql
  for (let guard = 0; guard < 100; guard++) {
    const tokens = tokenize(sql, "bigquery")
    const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
    const upper = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : significant[k]?.token.text ?? "")
    let edit: { readonly from: number; readonly to: number; readonly text: string } | undefined
    for (let k = 0; k + 2 < significant.length && edit === undefined; k++) {
      if (upper(k) !== "EXTRACT" || upper(k + 1) !== "(") continue
      let depth = 0
      let from = -1
      let at = -1
      let close = -1
      for (let m = k + 1; m < significant.length; m++) {
        const text = upper(m)
        if (text === "(" || text === "[") depth++
        else if ((text === ")" || text === "]") && --depth === 0) {
          close = m
          break
        } else if (depth === 1 && text === "FROM" && from < 0) from = m
        else if (depth === 1 && text === "AT" && upper(m + 1) === "TIME" && upper(m + 2) === "ZONE" && from > 0) at = m
      }
      if (from < 0 || at < 0 || close < 0) continue
      const slice = (a: number, b: number) => render(tokens.slice(significant[a]!.index, significant[b]!.index + 1)).trim()
      const part = slice(k + 2, from - 1)
      const value = slice(from + 1, at - 1)
      const zone = slice(at + 3, close - 1)
      const local = `DATETIME(${value}, ${zone})`
      edit = { from: significant[k]!.index, to: significant[close]!.index, text: /^DATETIME$/i.test(part) ? local : `EXTRACT(${part} FROM ${local})` }
    }
    if (edit === undefined) return sql
    sql = render(tokens.slice(0, edit.from)) + edit.text + render(tokens.slice(edit.to + 1))
  }
  return sql
}

/** `CURRENT_DATETIME` and `CURRENT_TIME` without parentheses, which BigQuery allows: as calls, rewritten like any. */
const bareCurrentCalls = (sql: string): string => {
  if (!/\bCURRENT_(DATETIME|TIME)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  return tokens
    .map((token, i) => {
      if (token.kind !== "word" || !/^CURRENT_(DATETIME|TIME)$/i.test(token.text)) return token.text
      const next = tokens.slice(i + 1).find(isSignificant)
      const previous = tokens.slice(0, i).findLast(isSignificant)
      return next?.text === "(" || previous?.text === "." ? token.text : `${token.text}()`
    })
    .join("")
}

/**
 * CAST to a parameterized type, whose parameters polyglot drops: NUMERIC(P, S) rounds to S places
 * and fails (SAFE_CAST: NULL) past P digits; STRING(L) and BYTES(L) fail past L characters or bytes.
 * The type stays NUMERIC, STRING or BYTES, as in BigQuery.
 */
const parameterizedCast = (argument: string, safe: boolean): string | undefined => {
  const numeric = /^([\s\S]+?)\s+AS\s+(?:NUMERIC|DECIMAL)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*$/i.exec(argument)
  if (numeric !== null) {
    const [, value, precision, scale = "0"] = numeric
    return `${PARAMETERIZED_NUMERIC}(${safe ? "SAFE_CAST" : "CAST"}(${value} AS NUMERIC), ${precision}, ${scale}, ${safe ? "TRUE" : "FALSE"})`
  }
  const text = /^([\s\S]+?)\s+AS\s+(STRING|BYTES)\s*\(\s*(\d+)\s*\)\s*$/i.exec(argument)
  if (text !== null) {
    const [, value, type, length] = text
    return `${PARAMETERIZED_LENGTH}(${safe ? "SAFE_CAST" : "CAST"}(${value} AS ${type}), ${length}, ${safe ? "TRUE" : "FALSE"})`
  }
  return undefined
}
const PARAMETERIZED_NUMERIC = "MDP_PARAMETERIZED_NUMERIC__"
const PARAMETERIZED_LENGTH = "MDP_PARAMETERIZED_LENGTH__"

/** TO_JSON_STRING and TO_JSON on their way through polyglot, which passes an unknown function as it is. */
const JSON_TEXT = "MDP_JSON_TEXT"
const JSON_KEYS_CALL = "MDP_JSON_KEYS_CALL"

/**
 * DATE_DIFF and DATETIME_DIFF in weeks: the days between the two weeks' first days, over 7 (a
 * string literal read as the function's type, which BigQuery coerces and DuckDB cannot choose for).
 */
const weeksBetween = (call: Call, type: "DATE" | "DATETIME"): string | undefined => {
  const [later, earlier, part] = call.args
  if (later === undefined || earlier === undefined || part === undefined || !WEEK_PART.test(part)) return undefined
  const weekStart = (value: string) => `CAST(${type}_TRUNC(CAST(${value} AS ${type}), ${part}) AS DATE)`
  return `DIV(DATE_DIFF(${weekStart(later)}, ${weekStart(earlier)}, DAY), 7)`
}

/** Rewrites in BigQuery SQL, so that polyglot sees a construct it translates correctly. */
const unwrappedSubquery = (call: Call): string | undefined => {
  const expression = call.args[0] === undefined ? undefined : subqueryExpression(call.args[0])
  return expression === undefined ? undefined : `${call.name}(${[expression, ...call.args.slice(1)].join(", ")})`
}

/**
 * ARRAY_ZIP(a [AS name], b [AS name], … [, transformation] [, mode => 'STRICT'|'TRUNCATE'|'PAD']):
 * the elements at each offset, as a STRUCT (fields named by alias, or by the column an input is)
 * or as the lambda's value; NULL for a NULL array; arrays of unequal length fail in STRICT mode (the
 * default), are cut to the shortest in TRUNCATE and padded with NULLs to the longest in PAD. DuckDB's
 * array_zip (list_zip) unnamed its fields and read a lambda as its truncate flag.
 */
const arrayZip = (call: Call): string | undefined => {
  const inputs: Array<{ readonly value: string; readonly name: string | undefined }> = []
  let mode = "STRICT"
  let transformation: string | undefined
  for (const arg of call.args.map((text) => text.trim())) {
    const named = /^(mode|transformation)\s*=>\s*([\s\S]+)$/i.exec(arg)
    if (named !== null && named[1]!.toLowerCase() === "mode") {
      const literal = /^(['"])(STRICT|TRUNCATE|PAD)\1$/i.exec(named[2]!.trim())
      if (literal === null) return undefined
      mode = literal[2]!.toUpperCase()
    } else if (named !== null) transformation = named[2]!.trim()
    else if (/^(\(\s*\w+(\s*,\s*\w+)*\s*\)|\w+)\s*->/.test(arg)) transformation = arg
    else {
      const aliased = /^([\s\S]+?)\s+AS\s+(`[^`]+`|\w+)$/i.exec(arg)
      inputs.push(aliased !== null ? { value: aliased[1]!, name: aliased[2]! } : { value: arg, name: /^(?:(?:\w+|`[^`]+`)\.)*(\w+|`[^`]+`)$/.exec(arg)?.[1] })
    }
  }
  if (inputs.length < 2 || inputs.length > 4) return undefined
  const element = (k: number) => `(${inputs[k]!.value})[SAFE_OFFSET(mdp_zip_offset)]`
  let value: string
  if (transformation === undefined) {
    value = `STRUCT(${inputs.map((input, k) => `${element(k)}${input.name === undefined ? "" : ` AS ${input.name}`}`).join(", ")})`
  } else {
    const lambda = /^\(?\s*(\w+(?:\s*,\s*\w+)*)\s*\)?\s*->\s*([\s\S]+)$/.exec(transformation)
    const parameters = lambda?.[1]!.split(",").map((name) => name.trim().toUpperCase())
    if (lambda === null || parameters === undefined || parameters.length !== inputs.length) return undefined
    const tokens = tokenize(lambda[2]!, "bigquery")
    value = tokens.map((token, k) => (token.kind === "word" && parameters.includes(token.text.toUpperCase()) && tokens[previousSignificant(tokens, k)]?.text !== "." ? element(parameters.indexOf(token.text.toUpperCase())) : token.text)).join("")
  }
  const lengths = inputs.map((input) => `ARRAY_LENGTH(${input.value})`).join(", ")
  const size = mode === "TRUNCATE" ? `LEAST(${lengths})` : mode === "PAD" ? `GREATEST(${lengths})` : `IF(LEAST(${lengths}) != GREATEST(${lengths}), ERROR('ARRAY_ZIP: Unequal array length'), ARRAY_LENGTH(${inputs[0]!.value}))`
  const anyNull = inputs.map((input) => `(${input.value}) IS NULL`).join(" OR ")
  return `IF(${anyNull}, NULL, ARRAY(SELECT ${value} FROM UNNEST(GENERATE_ARRAY(0, ${size} - 1)) AS mdp_zip_offset ORDER BY mdp_zip_offset))`
}

const beforeTranslation: Readonly<Record<string, (call: Call) => string | undefined>> = {
  ...rangeCalls,
  ARRAY_ZIP: arrayZip,
  IFERROR: unwrappedSubquery,
  ISERROR: unwrappedSubquery,
  NULLIFERROR: unwrappedSubquery,
  // NUMERIC in, NUMERIC out (DuckDB's DECIMAL quotient and product are a DOUBLE and a
  // DECIMAL(38, 18) that overflows at 10^20), NULL where BigQuery's would fail.
  SAFE_DIVIDE: (call) => (call.args.length === 2 && mayBeNumeric(call.args) ? `${SAFE_NUMERIC_DIVIDE}(${call.args[0]}, ${call.args[1]})` : undefined),
  SAFE_MULTIPLY: (call) => (call.args.length === 2 && call.args.some((arg) => staticType(arg) === "NUMERIC") && mayBeNumeric(call.args) ? `${SAFE_NUMERIC_MULTIPLY}(${call.args[0]}, ${call.args[1]})` : undefined),
  // Any value, searched as BigQuery does (a STRUCT, an ARRAY or a row field by field): afterTranslation.
  CONTAINS_SUBSTR: (call) =>
    call.args.length === 2 || (call.args.length === 3 && /^\s*json_scope\s*=>\s*(['"])JSON_VALUES\1\s*$/i.test(call.args[2]!))
      ? `${CONTAINS_SUBSTR_MARKER}(${call.args[0]}, ${call.args[1]})`
      : undefined,
  // BYTES too, bit by bit; an INT64's two's complement in 64 bits (DuckDB's BIT_COUNT takes integers only).
  BIT_COUNT: (call) => (call.args.length === 1 ? `${BIT_COUNT_MARKER}(${call.args[0]})` : undefined),
  // A zero divisor fails, as BigQuery's MOD does; DuckDB's % answers NULL.
  MOD: (call) => (call.args.length === 2 ? `MOD(${call.args[0]}, ${CHECKED_DIVISOR}(${call.args[1]}))` : undefined),
  // Integer division, truncated, of INT64s or NUMERICs (DuckDB's // of decimals keeps the fraction).
  DIV: (call) => (call.args.length === 2 ? `${INTEGER_DIVIDE}(${call.args[0]}, ${CHECKED_DIVISOR}(${call.args[1]}))` : undefined),
  // The current date and time in a zone (UTC by default), from the current instant.
  CURRENT_DATETIME: (call) => (call.args.length <= 1 ? `DATETIME(CURRENT_TIMESTAMP(), ${call.args[0] ?? "'UTC'"})` : undefined),
  CURRENT_TIME: (call) => (call.args.length <= 1 ? `TIME(DATETIME(CURRENT_TIMESTAMP(), ${call.args[0] ?? "'UTC'"}))` : undefined),
  // Errors where BigQuery's fail (0 to a negative power, a negative base to a fractional one, an
  // overflow); DuckDB answers inf or NaN.
  POW: (call) => (call.args.length === 2 ? `${CHECKED_POWER}(${call.args[0]}, ${call.args[1]})` : undefined),
  POWER: (call) => (call.args.length === 2 ? `${CHECKED_POWER}(${call.args[0]}, ${call.args[1]})` : undefined),
  EXP: (call) => (call.args.length === 1 ? `${CHECKED_EXP}(${call.args[0]})` : undefined),
  REGEXP_EXTRACT: regexpExtraction,
  // JSON_OBJECT(key, value) with a key that is not a literal, or JSON_OBJECT(keys, values): which
  // one only the key's type tells (polyglot could not parse columns named key and value either).
  JSON_OBJECT: (call) =>
    call.args.length === 2 && !BIGQUERY_STRING_LITERAL.test(call.args[0]!.trim())
      ? `${JSON_OBJECT_PAIRS_MARKER}(${quotedIfKeyword(call.args[0]!)}, ${JSON_TEXT}(${quotedIfKeyword(call.args[1]!)}, 'json', FALSE))`
      : undefined,
  // polyglot dropped the DISTINCT (BIT_AND's and BIT_OR's answer is the same without it).
  BIT_XOR: (call) => {
    const distinct = /^DISTINCT\s+([\s\S]+)$/i.exec(call.args[0]?.trim() ?? "")
    return distinct === null || call.args.length !== 1 ? undefined : `${BIT_XOR_DISTINCT}(${distinct[1]})`
  },
  // polyglot dropped RESPECT NULLS, and DuckDB's quantiles skip NULLs.
  PERCENTILE_CONT: (call) => percentileRespectingNulls(call, "CONT"),
  PERCENTILE_DISC: (call) => percentileRespectingNulls(call, "DISC"),
  // polyglot kept only the year and month (MAKE_INTERVAL(1, 2, 3) lost its 3 days).
  MAKE_INTERVAL: (call) => {
    const parts = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
    const values = parts.map(() => "0")
    let position = 0
    for (const arg of call.args) {
      const named = /^([A-Za-z_]+)\s*=>\s*([\s\S]+)$/.exec(arg.trim())
      const at = named === null ? position++ : parts.indexOf(named[1]!.toUpperCase())
      if (at < 0 || at >= parts.length) return undefined
      values[at] = (named === null ? arg : named[2]!).trim()
    }
    return `${MAKE_INTERVAL_MARKER}(${values.join(", ")})`
  },
  // A fractional start, end or step (DuckDB's generate_series takes integers): start + i * step.
  GENERATE_ARRAY: (call) => {
    const [start, end, step] = call.args
    if (start === undefined || end === undefined || step === undefined || call.args.length !== 3) return undefined
    if (!call.args.some((arg) => /^[+-]?(\d*\.\d*|\d+(\.\d*)?[eE][+-]?\d+)$/.test(arg.trim()))) {
      // A zero step fails, as in BigQuery (DuckDB's series was empty); a literal one cannot be zero.
      return /^\+?0*[1-9]\d*$|^-0*[1-9]\d*$/.test(step.trim()) ? undefined : `IF((${step}) = 0, ERROR('GENERATE_ARRAY: the step cannot be 0'), GENERATE_ARRAY(${start}, ${end}, ${step}))`
    }
    return (
      `IF((${step}) = 0, ERROR('GENERATE_ARRAY: the step cannot be 0'), ` +
      `ARRAY(SELECT (${start}) + mdp_i * (${step}) FROM UNNEST(GENERATE_ARRAY(0, CAST(FLOOR(((${end}) - (${start})) / NULLIF(${step}, 0)) AS INT64))) AS mdp_i ORDER BY mdp_i))`
    )
  },
  REGEXP_SUBSTR: regexpExtraction,
  REGEXP_EXTRACT_ALL: regexpExtraction,
  // BigQuery's JSON encoding (TIMESTAMP with T and Z, BYTES in base64, wide numbers as strings…),
  // completed after the translation: see JSON_TEXT.
  TO_JSON_STRING: (call) => (call.args.length <= 2 ? `${JSON_TEXT}(${call.args[0]}, 'string', ${call.args[1] ?? "FALSE"})` : undefined),
  // stringify_wide_numbers=>TRUE writes an INT64 beyond ±2^53, or a NUMERIC a FLOAT64 would change, as a string.
  TO_JSON: (call) => {
    const stringify = call.args.length === 1 ? "FALSE" : /^stringify_wide_numbers\s*=>\s*(TRUE|FALSE)$/i.exec(call.args[1]?.trim() ?? "")?.[1]?.toUpperCase()
    if (stringify === undefined || call.args.length > 2) return undefined
    return `PARSE_JSON(${JSON_TEXT}(${call.args[0]}, '${stringify === "TRUE" ? "wide" : "json"}', FALSE))`
  },
  // Nested keys, sorted, arrays per mode (DuckDB's json_keys lists the top level as written).
  JSON_KEYS: (call) => {
    const [json, ...rest] = call.args
    const named = rest.map((arg) => /^mode\s*=>\s*([\s\S]+)$/i.exec(arg.trim()))
    const depth = rest.find((_, i) => named[i] === null)
    const mode = named.find((match) => match !== null)?.[1]
    if (json === undefined || rest.length > 2) return undefined
    return `${JSON_KEYS_CALL}(${json}, ${depth ?? "NULL"}, ${mode ?? "'strict'"})`
  },
  // BigQuery's DATE_* functions return DATE; DuckDB's date arithmetic returns TIMESTAMP.
  DATE_ADD: castToDate,
  DATE_SUB: castToDate,
  // The ISO year starts on the Monday of the week holding 4 January; DuckDB has no such part.
  DATE_TRUNC: (call) => (call.args[1]?.trim().toUpperCase() === "ISOYEAR" ? `CAST(${isoYearStart(call.args[0]!)} AS DATE)` : castToDate(call)),
  // Week boundaries crossed: the days between the two weeks' first days, over 7 (polyglot shifted
  // Sunday weeks twice, and ISO weeks once).
  DATE_DIFF: (call) => weeksBetween(call, "DATE"),
  DATETIME_DIFF: (call) => weeksBetween(call, "DATETIME"),
  // In a time zone (polyglot dropped the zone for HOUR, MINUTE, WEEK(<day>), ISOWEEK and ISOYEAR),
  // as ZetaSQL truncates: a day or longer at the local civil time, taken back to an instant in the
  // zone; an hour or less by taking off the local minutes and seconds, which keeps the instant's
  // own offset (an hour inside a fall-back's repeated hour stays in it; Asia/Kolkata's hours start
  // at :30 UTC).
  TIMESTAMP_TRUNC: (call) => {
    const [value, part, zone] = call.args
    if (value === undefined || part === undefined || zone === undefined || call.args.length !== 3) return undefined
    const local = `DATETIME(${value}, ${zone})`
    if (/^(HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)$/i.test(part.trim())) {
      return `TIMESTAMP_MICROS(UNIX_MICROS(${value}) - DATETIME_DIFF(${local}, DATETIME_TRUNC(${local}, ${part}), MICROSECOND))`
    }
    return `TIMESTAMP(DATETIME_TRUNC(${local}, ${part}), ${zone})`
  },
  // BigQuery's CONCAT is NULL when any argument is, a lone one included; DuckDB's skips NULLs.
  // `||` is NULL-strict in both.
  CONCAT: (call) =>
    call.args.length >= 2 ? `(${call.args.map((arg) => `(${arg})`).join(" || ")})` : call.args.length === 1 ? `(CASE WHEN (${call.args[0]}) IS NULL THEN NULL ELSE CONCAT(${call.args[0]}) END)` : undefined,
  // Rounded down to the second (DuckDB's cast of the epoch rounds to the nearest).
  // Whole seconds, rounded down; the value written once (a CAST to INT64 would dispatch on its type).
  UNIX_SECONDS: (call) => (call.args.length === 1 ? `${UNIX_SECONDS_MARKER}(UNIX_MICROS(${call.args[0]}), 1000000)` : undefined),
  // Milliseconds rounded down, before 1970 too (DuckDB's epoch_ms rounds towards zero).
  UNIX_MILLIS: (call) => (call.args.length === 1 ? `${UNIX_SECONDS_MARKER}(UNIX_MICROS(${call.args[0]}), 1000)` : undefined),
  TIME_TRUNC: (call) => (call.args.length === 2 ? `TIME(DATETIME_TRUNC(DATETIME(DATE '1970-01-01', ${call.args[0]}), ${call.args[1]}))` : undefined),
  // COLLATE(value, 'und:ci'): compared without regard to case, as DuckDB's NOCASE collation does;
  // '' is the default (binary) collation. Other collations are left for polyglot, which refuses them.
  COLLATE: (call) => {
    const collation = call.args[1]?.trim().toLowerCase()
    if (call.args.length !== 2) return undefined
    if (collation === "''" || collation === '""') return `(${call.args[0]})`
    return collation === "'und:ci'" || collation === '"und:ci"' ? `${COLLATE_CI_MARKER}(${call.args[0]})` : undefined
  },
  APPROX_TOP_COUNT: (call) => (call.args.length === 2 ? `${APPROX_TOP_COUNT_MARKER}(${call.args.join(", ")})` : undefined),
  // The date of a timestamp in a time zone; polyglot reads the zone as a format.
  DATE: (call) => (call.args.length === 2 ? `${DATE_IN_ZONE}(${call.args.join(", ")})` : undefined),
  FORMAT_TIMESTAMP: withFormatLiteral((call) => formatTimestamp(call)),
  FORMAT_DATE: withFormatLiteral(withoutShorthands),
  FORMAT_DATETIME: withFormatLiteral(withoutShorthands),
  // DuckDB has no FORMAT_TIME: the time on the epoch's day, formatted as a DATETIME.
  FORMAT_TIME: withFormatLiteral((call) => {
    if (call.args.length !== 2) return undefined
    const args = [call.args[0]!, `DATETIME(DATE '1970-01-01', ${call.args[1]})`]
    return withoutShorthands({ ...call, name: "FORMAT_DATETIME", args }) ?? `FORMAT_DATETIME(${args.join(", ")})`
  }),
  // BigQuery's JSON converters (STRING(json) would become a cast keeping the quotes).
  INT64: (call) => (call.args.length === 1 ? `${JSON_INT64}(${call.args[0]})` : undefined),
  // wide_number_mode: 'exact' (the default) fails for a number a FLOAT64 would change; 'round' rounds it.
  FLOAT64: (call) => {
    if (call.args.length === 1) return `${JSON_FLOAT64}(${call.args[0]}, 'exact')`
    const mode = /^wide_number_mode\s*=>\s*'(exact|round)'$/i.exec(call.args[1]?.trim() ?? "")?.[1]?.toLowerCase()
    return call.args.length === 2 && mode !== undefined ? `${JSON_FLOAT64}(${call.args[0]}, '${mode}')` : undefined
  },
  BOOL: (call) => (call.args.length === 1 ? `${JSON_BOOL}(${call.args[0]})` : undefined),
  // STRING(json); STRING(timestamp, zone) is the local time with the zone's offset.
  // (STRING(10) with a number is the parameterized type of a CAST, not a call.)
  STRING: (call) => (call.args.length === 1 && /^\d+$/.test(call.args[0]!.trim()) ? undefined : call.args.length === 1 ? `${JSON_STRING}(${call.args[0]})` : call.args.length === 2 ? `${STRING_IN_ZONE}(${call.args.join(", ")})` : undefined),
  // A scalar's text, NULL for an object or an array (polyglot's `->>` returns their JSON text).
  JSON_VALUE: (call) => `${JSON_SCALAR}(${call.args[0]}, ${call.args[1] ?? "'$'"})`,
  JSON_EXTRACT_SCALAR: (call) => `${JSON_SCALAR}(${call.args[0]}, ${call.args[1] ?? "'$'"})`,
  // Whole intervals elapsed, where DuckDB's DATE_DIFF counts boundaries crossed.
  TIMESTAMP_DIFF: (call) => (call.args.length === 3 ? `${TIMESTAMP_DIFF_MARKER}('${call.args[2]!.toUpperCase()}', ${call.args[1]}, ${call.args[0]})` : undefined),
  // A TIMESTAMP (UTC), where DuckDB's strptime returns a zone-less one.
  PARSE_DATETIME: withFormatLiteral((call) => withParsePatterns("DATETIME", call)),
  PARSE_DATE: withFormatLiteral((call) => withParsePatterns("DATE", call)),
  PARSE_TIMESTAMP: withFormatLiteral((call) =>
    withParsePatterns("TIMESTAMP", call) ??
    (call.args.length === 2
      ? `CAST(${call.text} AS ${TIMESTAMP_TYPE})`
      : call.args.length === 3
        ? `${CAST_PARSE_MARKER}('TIMESTAMP', FALSE, ${call.args[1]}, ${call.args[0]}, ${call.args[2]})` // polyglot drops the zone
        : undefined)),
  PARSE_TIME: withFormatLiteral((call) => {
    if (call.args.length !== 2) return undefined
    const patterns = parsePatterns(call.args[0]!)
    return patterns?.startsWith("ERROR(") === true ? patterns : `${CAST_PARSE_MARKER}('TIME', FALSE, ${call.args[1]}, ${patterns ?? call.args[0]}, NULL)`
  }),
  SAFE_CONVERT_BYTES_TO_STRING: (call) => (call.args.length === 1 ? `${BYTES_TO_STRING_FUNCTION}(${call.args[0]})` : undefined),
  FARM_FINGERPRINT: (call) => (call.args.length === 1 ? `${FARM_FINGERPRINT_FUNCTION}(${call.args[0]})` : undefined),
  // The count of TRUE values: 0 over no rows, or where none is TRUE, also in a window frame, where
  // DuckDB's COUNT_IF is NULL (it sums the booleans).
  COUNTIF: (call) => {
    if (call.args.length !== 1) return undefined
    const distinct = /^\s*DISTINCT\s+([\s\S]+)$/i.exec(call.args[0]!)
    return `COUNT(${distinct === null ? "" : "DISTINCT "}CASE WHEN ${distinct?.[1] ?? call.args[0]} THEN TRUE END)`
  },
  // A STRING is hashed as its UTF-8 bytes. Rewritten before polyglot (in DuckDB's functions, which
  // it passes through), so that a TO_HEX around it is translated for BYTES as around SHA256.
  SHA512: (call) =>
    call.args.length === 1 ? `(CASE WHEN typeof(${call.args[0]}) = 'BLOB' THEN ${SHA512_FUNCTION}(TRY_CAST(${call.args[0]} AS BLOB)) ELSE ${SHA512_FUNCTION}(encode(CAST(${call.args[0]} AS VARCHAR))) END)` : undefined,
  // The legacy names, and the path's default ('$'): polyglot renamed them to a one-argument call
  // that it did not translate further.
  JSON_EXTRACT_STRING_ARRAY: (call) => scalarArray(call.args[0], call.args[1], call.args.length),
  JSON_VALUE_ARRAY: (call) => scalarArray(call.args[0], call.args[1], call.args.length),
  // Marked with their input: a JSON null read from a STRING is SQL NULL (json_functions#json_null).
  // A lax JSONPath's matches, always a JSON array.
  JSON_QUERY: (call) =>
    call.args.length !== 2 ? undefined : /^(['"])[^'"\\]*\1$/.test(call.args[1]!.trim()) && isLaxPath(call.args[1]!.trim().slice(1, -1)) ? `CAST(${JSON_QUERY_LAX_FUNCTION}(CAST(${call.args[0]} AS STRING), ${call.args[1]}) AS JSON)` : `${STRING_JSON_NULL}(${call.args[0]}, ${call.text})`,
  JSON_EXTRACT: (call) => (call.args.length === 2 ? `${STRING_JSON_NULL}(${call.args[0]}, ${call.text})` : undefined),
  JSON_EXTRACT_ARRAY: (call) => (call.args.length === 1 ? `JSON_QUERY_ARRAY(${call.args[0]}, '$')` : undefined),
  JSON_QUERY_ARRAY: (call) => (call.args.length === 1 ? `JSON_QUERY_ARRAY(${call.args[0]}, '$')` : undefined),
  // TIME(timestamp[, zone]) and TIME(datetime): polyglot casts straight to TIME, which DuckDB refuses
  // for a TIMESTAMPTZ; through DATETIME it is the time in UTC (or the zone), as in BigQuery.
  TIME: (call) =>
    call.args.length === 1 ? `CAST(CAST(${call.args[0]} AS DATETIME) AS TIME)` : call.args.length === 2 ? `CAST(DATETIME(${call.args[0]}, ${call.args[1]}) AS TIME)` : undefined,
  // The exact quantiles (DuckDB's QUANTILE_DISC: values of the input, NULLs left out), within the
  // error BigQuery's approximation allows; DISTINCT and RESPECT NULLS are left alone.
  APPROX_QUANTILES: (call) => {
    const quantiles = /^\s*([1-9]\d*)(\s+(IGNORE|RESPECT)\s+NULLS)?\s*$/i.exec(call.args[1] ?? "")
    if (call.args.length !== 2 || quantiles === null) return undefined
    const distinct = /^\s*DISTINCT\s+([\s\S]+)$/i.exec(call.args[0]!)
    const respectNulls = quantiles[3]?.toUpperCase() === "RESPECT"
    if (distinct === null && !respectNulls) return `${APPROX_QUANTILES_MARKER}(${call.args[0]}, ${quantiles[1]})`
    // DISTINCT or RESPECT NULLS: the quantiles of the sorted list, NULLs first when respected.
    return `${QUANTILES_OF_LIST_MARKER}(${distinct?.[1] ?? call.args[0]}, ${quantiles[1]}, ${distinct === null ? "FALSE" : "TRUE"}, ${respectNulls ? "TRUE" : "FALSE"})`
  },
  // With a position or an occurrence: polyglot parses three arguments at most, and reads a negative
  // position as a substring's start where BigQuery searches backwards from it.
  INSTR: (call) =>
    call.args.length === 3 || call.args.length === 4
      ? `${INSTR_FUNCTION}(${[...call.args, ...(call.args.length === 3 ? ["1"] : [])].join(", ")})`
      : call.args.length === 2
        ? passedThrough("STRPOS")(call)
        : undefined,
  STRPOS: passedThrough("STRPOS"),
  STARTS_WITH: passedThrough("STARTS_WITH"),
  ENDS_WITH: passedThrough("ENDS_WITH"),
  INITCAP: passedThrough("INITCAP"),
  JSON_TYPE: passedThrough("JSON_TYPE"),
  ARRAY_LENGTH: passedThrough("ARRAY_LENGTH"),
  ARRAY_REVERSE: passedThrough("LIST_REVERSE"),
  NORMALIZE: normalized(false),
  NORMALIZE_AND_CASEFOLD: normalized(true),
  LAST_DAY: lastDay,
  RANGE_BUCKET: passedThrough(RANGE_BUCKET_MARKER),
  // BigQuery starts a position of 0 at 1 and a negative one past the start at 1; DuckDB counts
  // characters before the string. A positive literal needs nothing.
  SUBSTR: substring,
  SUBSTRING: substring,
  // Instants (TIMESTAMPTZ), where polyglot's make_timestamp is zone-less.
  TIMESTAMP_MILLIS: (call) => (call.args.length === 1 ? `${EPOCH_MILLIS}(${call.args[0]})` : undefined),
  TIMESTAMP_MICROS: (call) => (call.args.length === 1 ? `${EPOCH_MICROS}(${call.args[0]})` : undefined),
  // DuckDB adds days to a DATE as integers (an INTERVAL's operand would not be translated).
  DATE_FROM_UNIX_DATE: (call) => (call.args.length === 1 ? `${UNIX_DAYS_MARKER}(${call.args[0]})` : undefined),
  // polyglot drops an aggregate's LIMIT (STRING_AGG) or places IGNORE NULLS where a slice cannot take it.
  STRING_AGG: (call) => limitedAggregate(call, "STRING_AGG"),
  ARRAY_AGG: (call) => limitedAggregate(call, "ARRAY_AGG"),
  // The first n arrays, concatenated.
  ARRAY_CONCAT_AGG: (call) => {
    const limited = limitedAggregate({ ...call, name: "ARRAY_AGG" }, "ARRAY_AGG")
    return limited === undefined ? undefined : `${FLATTEN_MARKER}(${limited})`
  },
  // The n values with the largest sums of their weights (exact here, within the approximation's error).
  APPROX_TOP_SUM: (call) => (call.args.length === 3 ? `${APPROX_TOP_SUM_MARKER}(${call.args.join(", ")})` : undefined),
  // BigQuery's MD5 is 16 bytes; polyglot makes it DuckDB's md5, 32 hex characters.
  MD5: (call) => (call.args.length === 1 ? `${MD5_BYTES}(${call.args[0]})` : undefined),
  CAST: (call) => (call.args.length === 1 ? (parameterizedCast(call.args[0]!, false) ?? castWithFormat(call.args[0]!, false, TIMESTAMP_TYPE)) : undefined),
  SAFE_CAST: (call) => (call.args.length === 1 ? (parameterizedCast(call.args[0]!, true) ?? castWithFormat(call.args[0]!, true, TIMESTAMP_TYPE)) : undefined)
}

// SAFE.fn(...) returns NULL instead of failing; DuckDB's TRY() does the same. The marker survives
// polyglot as an unknown function and is replaced after translation.
const SAFE_MARKER = "MDP_SAFE_CALL__"
const SAFE_ARGUMENT = "MDP_SAFE_ARG__"
// Numbers the SAFE. arguments of a statement's translation, so that nested calls keep theirs apart.
const safeArguments = { next: 0 }
// An argument that cannot fail nor hold a window, and whose text a translation may read: a literal
// (raw, bytes and triple-quoted strings too), a typed literal, a negative number or a bare name.
const isPlainArgument = (arg: string): boolean => {
  const parts = significantTokens(arg, "bigquery")
  const [first, second] = parts
  if (parts.length === 1) return first!.kind === "string" || first!.kind === "number" || first!.kind === "word" || first!.kind === "quoted"
  if (parts.length === 2) return (first!.text === "-" && second!.kind === "number") || (first!.kind === "word" && second!.kind === "string")
  return parts.every((part, i) => (i % 2 === 0 ? part.kind === "word" || part.kind === "quoted" : part.text === "."))
}

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
      // Each argument that is more than a literal in a marker of its own: evaluated outside the
      // TRY, since SAFE. keeps the function's own errors from failing the query, not its arguments'.
      const args = splitTopLevel(safePrefixed(render(tokens.slice(i + 4, j))))
      const marked = args.map((arg) => (arg.trim() === "" || isPlainArgument(arg) ? arg : `${SAFE_ARGUMENT}${safeArguments.next++}__(${arg})`))
      out.push(`${SAFE_MARKER}(${inner}${marked.join(",")}))`)
      i = j
      continue
    }
    out.push(token.text)
  }
  return out.join("")
}

// Words that can stand before a parenthesised expression without calling it.
const NOT_A_FUNCTION = new Set(["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "ON", "WHEN", "THEN", "ELSE", "CASE", "AS", "BY", "IS", "LIKE", "BETWEEN", "RETURN", "HAVING", "QUALIFY", "UNNEST", "EXISTS", "ALL", "ANY", "DISTINCT", "USING", "JOIN", "WITH", "UNION", "EXCEPT", "INTERSECT", "SET", "VALUES", "INTO", "OVER", "PARTITION", "ORDER", "LIMIT", "OFFSET", "IF", "ELSEIF"])

/** Where the expression that ends just before token `end` (exclusive) starts: an identifier chain, a call, a bracketed or parenthesised group. */
const expressionStart = (tokens: ReadonlyArray<Token>, end: number): number | undefined => {
  let i = end - 1
  while (i >= 0 && !isSignificant(tokens[i]!)) i--
  if (i < 0) return undefined
  const last = tokens[i]!
  if (last.kind === "punct" && (last.text === ")" || last.text === "]")) {
    const opener = last.text === ")" ? "(" : "["
    let depth = 0
    for (let j = i; j >= 0; j--) {
      const token = tokens[j]!
      if (token.kind !== "punct") continue
      if (token.text === last.text) depth++
      if (token.text === opener && --depth === 0) {
        // A call: the function's name (possibly dotted) before its parenthesis; IF (…) with three
        // arguments is the function, not a script's IF.
        let k = j - 1
        while (k >= 0 && !isSignificant(tokens[k]!)) k--
        const name = k >= 0 && tokens[k]!.kind === "word" ? tokens[k]!.text.toUpperCase() : undefined
        if (opener === "(" && name !== undefined && (!NOT_A_FUNCTION.has(name) || (name === "IF" && argumentCount(tokens, j) === 3))) return chainStart(tokens, k)
        // An indexed expression: the array before its brackets.
        if (opener === "[" && k >= 0 && (tokens[k]!.text === ")" || tokens[k]!.text === "]" || tokens[k]!.kind === "quoted" || (tokens[k]!.kind === "word" && !NOT_A_FUNCTION.has(tokens[k]!.text.toUpperCase())))) {
          return expressionStart(tokens, k + 1)
        }
        // A typed literal, `ARRAY<INT64>[1, 2]` or `STRUCT<a INT64>(1)`: its type is part of it.
        if (k >= 0 && tokens[k]!.text === ">") return typedLiteralStart(tokens, k) ?? j
        return j
      }
    }
    return undefined
  }
  if (last.kind === "word" || last.kind === "quoted") return chainStart(tokens, i)
  return undefined
}

/** The `ARRAY` or `STRUCT` word of a type whose closing `>` is token `close`. */
const typedLiteralStart = (tokens: ReadonlyArray<Token>, close: number): number | undefined => {
  let depth = 0
  for (let j = close; j >= 0; j--) {
    const token = tokens[j]!
    if (token.kind !== "punct") continue
    if (token.text === ">") depth++
    if (token.text === "<" && --depth === 0) {
      const word = previousSignificant(tokens, j)
      return word >= 0 && /^(ARRAY|STRUCT)$/i.test(tokens[word]!.text) ? word : undefined
    }
  }
  return undefined
}

/** The first token of a dotted name ending at token `i`. */
const chainStart = (tokens: ReadonlyArray<Token>, i: number): number => {
  let start = i
  for (;;) {
    let dot = start - 1
    while (dot >= 0 && !isSignificant(tokens[dot]!)) dot--
    if (dot < 1 || tokens[dot]!.text !== ".") return start
    let name = dot - 1
    while (name >= 0 && !isSignificant(tokens[name]!)) name--
    if (name < 0 || (tokens[name]!.kind !== "word" && tokens[name]!.kind !== "quoted")) return start
    start = name
  }
}

/**
 * `array[OFFSET(i)]` and `array[ORDINAL(i)]` fail in BigQuery when `i` is out of range (the SAFE_
 * forms return NULL); DuckDB returns NULL for both. The index is checked, and out of range raises
 * BigQuery's error. A NULL array or index gives NULL, as in BigQuery.
 */
const checkedArrayIndexes = (sql: string): string => {
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    const at = tokens.findIndex((token, i) => {
      if (token.text !== "[") return false
      const next = tokens.slice(i + 1).filter(isSignificant)
      return next[0]?.kind === "word" && /^(SAFE_)?(OFFSET|ORDINAL)$/i.test(next[0].text) && next[1]?.text === "("
    })
    if (at < 0) return sql
    const start = subscriptedStart(tokens, at)
    // The closing bracket of the index.
    let depth = 0
    let close = at
    for (; close < tokens.length; close++) {
      if (tokens[close]!.kind !== "punct") continue
      if (tokens[close]!.text === "[") depth++
      if (tokens[close]!.text === "]" && --depth === 0) break
    }
    if (start === undefined || close >= tokens.length) return sql
    const inner = tokens.slice(at + 1, close)
    const kindIndex = inner.findIndex(isSignificant)
    const ordinal = inner[kindIndex]!.text.toUpperCase().endsWith("ORDINAL")
    // SAFE_OFFSET and SAFE_ORDINAL: NULL out of range (polyglot left them as calls before a field).
    const safe = inner[kindIndex]!.text.toUpperCase().startsWith("SAFE_")
    const open = inner.findIndex((token, i) => i > kindIndex && token.text === "(")
    const index = render(inner.slice(open + 1, inner.map((t) => t.text).lastIndexOf(")"))).trim()
    const array = render(tokens.slice(start, at)).trim()
    // polyglot leaves ARRAY_LENGTH's argument untranslated: a marker, replaced by LEN afterwards.
    const length = `${ARRAY_LENGTH_MARKER}(${array})`
    const inRange = ordinal ? `(${index}) >= 1 AND (${index}) <= ${length}` : `(${index}) >= 0 AND (${index}) < ${length}`
    const checked =
      `(CASE WHEN (${array}) IS NULL OR (${index}) IS NULL THEN NULL WHEN ${inRange} THEN ${ARRAY_ELEMENT_MARKER}(${array}, ${ordinal ? `(${index})` : `(${index}) + 1`}) ` +
      `ELSE ${safe ? "NULL" : `ERROR(CONCAT('Array index ', CAST((${index}) AS STRING), ' is out of bounds'))`} END)`
    sql = render(tokens.slice(0, start)) + checked + render(tokens.slice(close + 1))
  }
  return sql
}

/**
 * The first argument of FIRST_VALUE, LAST_VALUE and NTH_VALUE in brackets when the call says
 * IGNORE or RESPECT NULLS: polyglot gave the clause to an aggregate as that argument
 * (`LAST_VALUE(MAX(x) IGNORE NULLS)` lost it, a silently different answer;
 * `LAST_VALUE(COUNT(DISTINCT x) IGNORE NULLS)` failed to parse).
 */
const bracketedNavigationArguments = (sql: string): string => {
  if (!/\b(IGNORE|RESPECT)\s+NULLS\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const depths = depthsOf(significant.map(({ token }) => token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  significant.forEach(({ token }, k) => {
    if (!/^(FIRST_VALUE|LAST_VALUE|NTH_VALUE)$/.test(word(k)) || token.kind !== "word" || significant[k + 1]?.token.text !== "(") return
    const level = depths[k]! + 1
    let end = k + 2
    while (end < significant.length && !(depths[end] === level && (significant[end]!.token.text === "," || /^(IGNORE|RESPECT)$/.test(word(end)))) && !(depths[end] === level - 1 && significant[end]!.token.text === ")")) end++
    let clause = end
    while (clause < significant.length && !(depths[clause] === level - 1 && significant[clause]!.token.text === ")") && !/^(IGNORE|RESPECT)$/.test(word(clause))) clause++
    if (!/^(IGNORE|RESPECT)$/.test(word(clause)) || depths[clause] !== level || end <= k + 2) return
    const first = significant[k + 2]!.index
    const last = significant[end - 1]!.index
    edits.set(first, { end: last, text: `(${render(tokens.slice(first, last + 1))})` })
  })
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/** `INTERVAL '10:20:30' HOUR TO SECOND` and the other ranges, which DuckDB does not parse, as the interval of their parts. */
const intervalRanges = (sql: string): string => {
  if (!/\bTO\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  for (let k = 0; k + 4 < significant.length; k++) {
    const [interval, literal, from, to, until] = significant.slice(k, k + 5).map(({ token }) => token)
    if (interval!.kind !== "word" || interval!.text.toUpperCase() !== "INTERVAL" || literal!.kind !== "string" || to!.kind !== "word" || to!.text.toUpperCase() !== "TO") continue
    // BigQuery quotes it either way; an interval's text has no escapes.
    const quoted = /^(['"])([^'"\\]*)\1$/.exec(literal!.text)
    const parts = quoted === null ? undefined : intervalRangeParts(quoted[2]!, from!.text, until!.text)
    if (parts === undefined) continue
    edits.set(significant[k]!.index, { end: significant[k + 4]!.index, text: `${INTERVAL_PARTS_MARKER}(${parts.join(", ")})` })
    k += 4
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/**
 * `x [NOT] LIKE ANY|SOME|ALL (p, …)`, `… UNNEST(array)` or `… (subquery)`: polyglot negated only
 * the first pattern (`'a' NOT LIKE ALL ('b', 'c')` was FALSE), refused SOME, and made a set-returning
 * `x LIKE UNNEST(arr)` of the array form (a row per pattern). Written out here with BigQuery's
 * three-valued logic: NOT LIKE ANY is true when some pattern does not match (operators#like_operator).
 */
const quantifiedLike = (sql: string): string => {
  if (!/\bLIKE\s+(ANY|SOME|ALL)\b/i.test(sql)) return sql
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    let found: { readonly start: number; readonly end: number; readonly text: string } | undefined
    for (let like = 0; like < tokens.length && found === undefined; like++) {
      if (tokens[like]!.kind !== "word" || tokens[like]!.text.toUpperCase() !== "LIKE") continue
      const quantifier = nextSignificantToken(tokens, like)
      const kind = quantifier?.token.kind === "word" ? quantifier.token.text.toUpperCase() : ""
      if (kind !== "ANY" && kind !== "SOME" && kind !== "ALL") continue
      const notAt = previousSignificant(tokens, like)
      const negated = tokens[notAt]?.kind === "word" && tokens[notAt]!.text.toUpperCase() === "NOT"
      const operandEnd = negated ? previousSignificant(tokens, notAt) : notAt
      const start = operandStart(tokens, operandEnd)
      if (start === undefined) continue
      const value = render(tokens.slice(start, operandEnd + 1)).trim()
      const after = nextSignificantToken(tokens, quantifier!.index)
      const isUnnest = after?.token.kind === "word" && after.token.text.toUpperCase() === "UNNEST"
      const open = isUnnest ? nextSignificantToken(tokens, after.index) : after
      if (open?.token.text !== "(") continue
      const close = matchingParen(tokens, open.index)
      if (close < 0) continue
      const inside = render(tokens.slice(open.index + 1, close)).trim()
      const match = (pattern: string) => `(${value}) ${negated ? "NOT LIKE" : "LIKE"} ${pattern}`
      const any = kind !== "ALL"
      let text: string
      if (!isUnnest && !/^(SELECT|WITH)\b/i.test(inside)) {
        text = `(${splitTopLevel(inside).map((pattern) => match(pattern.trim())).join(any ? " OR " : " AND ")})`
      } else {
        // One match per element, folded as OR/AND fold them: TRUE or FALSE decides, else NULL.
        const patterns = isUnnest ? `UNNEST(${inside})` : `UNNEST(ARRAY(${inside}))`
        const decided = any ? "COUNTIF(mdp_match) > 0 THEN TRUE" : "COUNTIF(NOT mdp_match) > 0 THEN FALSE"
        text = `(SELECT CASE WHEN ${decided} WHEN COUNTIF(mdp_match IS NULL) > 0 THEN NULL ELSE ${any ? "FALSE" : "TRUE"} END FROM (SELECT ${match("mdp_pattern")} AS mdp_match FROM ${patterns} AS mdp_pattern))`
      }
      found = { start, end: close, text }
    }
    if (found === undefined) return sql
    sql = `${render(tokens.slice(0, found.start))}${found.text}${render(tokens.slice(found.end + 1))}`
  }
  return sql
}

// The arguments BigQuery reads as TIMESTAMPs, by position: a string literal there is one.
const TIMESTAMP_ARGUMENTS: Readonly<Record<string, ReadonlyArray<number>>> = {
  TIMESTAMP_DIFF: [0, 1],
  TIMESTAMP_ADD: [0],
  TIMESTAMP_SUB: [0],
  TIMESTAMP_TRUNC: [0],
  GENERATE_TIMESTAMP_ARRAY: [0, 1],
  FORMAT_TIMESTAMP: [1],
  UNIX_SECONDS: [0],
  UNIX_MILLIS: [0],
  UNIX_MICROS: [0],
  TIMESTAMP_BUCKET: [0, 2]
}

/**
 * A string literal where a TIMESTAMP is expected (`TIMESTAMP_DIFF('2001-02-01 01:00:00', …)`) is
 * that TIMESTAMP, as BigQuery coerces it; polyglot cast it to DuckDB's zone-less TIMESTAMP (a
 * DATETIME), or not at all.
 */
const timestampLiteralArguments = (sql: string): string =>
  rewriteCalls(
    sql,
    "bigquery",
    Object.fromEntries(
      Object.entries(TIMESTAMP_ARGUMENTS).map(([name, positions]) => [
        name,
        (call: Call) => {
          if (!positions.some((at) => BIGQUERY_STRING_LITERAL.test(call.args[at]?.trim() ?? ""))) return undefined
          const args = call.args.map((arg, at) => (positions.includes(at) && /^(['"])[^'"\\]*\1$/.test(arg.trim()) ? `TIMESTAMP ${arg.trim()}` : arg))
          return `${call.text.slice(0, call.text.indexOf("("))}(${args.join(", ")})`
        }
      ])
    )
  )

const percentileRespectingNulls = (call: Call, kind: "CONT" | "DISC"): string | undefined => {
  const respecting = /^([\s\S]+?)\s+RESPECT\s+NULLS$/i.exec(call.args[1]?.trim() ?? "")
  if (respecting === null || call.args.length !== 2) return undefined
  return `${PERCENTILE_RESPECTING_NULLS}('${kind}', ${call.args[0]}, ${respecting[1]})`
}

const STRUCT_FIELDS_MARKER = "MDP_STRUCT_FIELDS__"

/**
 * `expression.*` of a STRUCT (`l.location.*`, `arr[OFFSET(0)].*`): a column per field. DuckDB cannot
 * parse a star after more than a table's name; its UNNEST of a STRUCT gives the same columns. A
 * table's `t.*`, and a star with EXCEPT or REPLACE, are left as they are.
 */
const structFieldStars = (sql: string): string => {
  if (!sql.includes(".*")) return sql
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    let found: { readonly start: number; readonly star: number } | undefined
    for (let star = 0; star < tokens.length && found === undefined; star++) {
      if (tokens[star]!.text !== "*" || tokens[star]!.kind !== "punct") continue
      const dot = previousSignificant(tokens, star)
      if (tokens[dot]?.text !== ".") continue
      const after = nextSignificantToken(tokens, star)?.token
      if (after?.kind === "word" && /^(EXCEPT|REPLACE)$/i.test(after.text)) continue
      const end = previousSignificant(tokens, dot)
      const start = operandStart(tokens, end)
      if (start === undefined) continue
      const operand = tokens.slice(start, end + 1).filter(isSignificant)
      // More than a name: a field path, an index or a call.
      if (operand.length < 2) continue
      found = { start, star }
    }
    if (found === undefined) return sql
    const dot = previousSignificant(tokens, found.star)
    sql = `${render(tokens.slice(0, found.start))}${STRUCT_FIELDS_MARKER}(${render(tokens.slice(found.start, dot)).trim()})${render(tokens.slice(found.star + 1))}`
  }
  return sql
}

const FIELD_MARKER = "MDP_FIELD__"

/**
 * `(expression).field` with more than a name in the parentheses (a subquery, a CASE, an index the
 * translation checked): polyglot gives such a statement back untranslated, so the field is read
 * through a marker call, whose arguments it translates, and put back afterwards.
 */
const parenthesizedFields = (sql: string): string => {
  if (!/\)\s*\.\s*[A-Za-z_`]/.test(sql)) return sql
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    let found: { readonly open: number; readonly close: number; readonly field: number } | undefined
    for (let close = 0; close < tokens.length && found === undefined; close++) {
      if (tokens[close]!.kind !== "punct" || tokens[close]!.text !== ")") continue
      const dot = nextSignificantToken(tokens, close)
      const field = dot?.token.text === "." ? nextSignificantToken(tokens, dot.index) : undefined
      if (field === undefined || (field.token.kind !== "word" && field.token.kind !== "quoted")) continue
      const open = operandStart(tokens, close)
      // A bare group (not a call's arguments, IF's included) holding more than one token.
      if (open === undefined || tokens[open]!.text !== "(" || significantTokens(render(tokens.slice(open + 1, close)), "bigquery").length < 2) continue
      if (tokens[previousSignificant(tokens, open)]?.text.toUpperCase() === "IF") continue
      found = { open, close, field: field.index }
    }
    if (found === undefined) return sql
    const name = tokens[found.field]!.text.replace(/^`|`$/g, "")
    sql = `${render(tokens.slice(0, found.open))}${FIELD_MARKER}(${render(tokens.slice(found.open, found.close + 1))}, '${name}')${render(tokens.slice(found.field + 1))}`
  }
  return sql
}

const SUBSCRIPT_MARKER = "MDP_SUBSCRIPT__"

/**
 * A bare index, `x[i]`: BigQuery counts from 0, on an ARRAY (as OFFSET) and on JSON alike. polyglot
 * adds 1 for DuckDB's lists, but DuckDB's JSON subscripts count from 0 too, so `json.a[1]` read
 * the wrong element. Which one `x` is shows only at binding: both are written, DuckDB keeps one.
 */
const jsonAwareSubscripts = (sql: string): string => {
  if (!sql.includes("[")) return sql
  // Subscripts left as they were (a typed literal's, `ARRAY<INT64>[1, 2][0]`), counted from the left.
  let kept = 0
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    let at = -1
    let close = -1
    let seen = 0
    for (let i = 0; i < tokens.length && at < 0; i++) {
      if (tokens[i]!.kind !== "punct" || tokens[i]!.text !== "[") continue
      let before = i - 1
      while (before >= 0 && !isSignificant(tokens[before]!)) before--
      const previous = tokens[before]
      const afterExpression =
        previous !== undefined &&
        ((previous.kind === "punct" && (previous.text === ")" || previous.text === "]")) ||
          previous.kind === "quoted" ||
          (previous.kind === "word" && !NOT_A_FUNCTION.has(previous.text.toUpperCase()) && !/^(ARRAY|SELECT|STRUCT)$/i.test(previous.text)) ||
          // A field named like a keyword (`json.array[0]`).
          (previous.kind === "word" && tokens[previousSignificant(tokens, before)]?.text === "."))
      if (!afterExpression) continue
      const inside = tokens.slice(i + 1).filter(isSignificant)
      if (inside[0] === undefined || inside[0].kind === "string" || (inside[0].kind === "word" && /^(SAFE_)?(OFFSET|ORDINAL)$/i.test(inside[0].text) && inside[1]?.text === "(")) continue
      let depth = 0
      for (let k = i; k < tokens.length; k++) {
        if (tokens[k]!.kind !== "punct") continue
        if (tokens[k]!.text === "[" || tokens[k]!.text === "(") depth++
        if ((tokens[k]!.text === "]" || tokens[k]!.text === ")") && --depth === 0) {
          close = k
          break
        }
      }
      if (close > i && seen++ >= kept) at = i
    }
    if (at < 0) return sql
    const start = subscriptedStart(tokens, at)
    let previous = (start ?? 0) - 1
    while (previous >= 0 && !isSignificant(tokens[previous]!)) previous--
    if (start === undefined || tokens[previous]?.text === ">") {
      kept++
      continue
    }
    sql = `${render(tokens.slice(0, start))}${SUBSCRIPT_MARKER}(${render(tokens.slice(start, at)).trim()}, ${render(tokens.slice(at + 1, close)).trim()})${render(tokens.slice(close + 1))}`
  }
  return sql
}

/** Where the expression a subscript applies to starts, through field accesses on calls (`f(x).a.b[0]`). */
const subscriptedStart = (tokens: ReadonlyArray<Token>, at: number): number | undefined => {
  let start = expressionStart(tokens, at)
  for (let guard = 0; start !== undefined && guard < 100; guard++) {
    let dot = start - 1
    while (dot >= 0 && !isSignificant(tokens[dot]!)) dot--
    if (tokens[dot]?.text !== ".") return start
    let before = dot - 1
    while (before >= 0 && !isSignificant(tokens[before]!)) before--
    if (tokens[before]?.text !== ")" && tokens[before]?.text !== "]") return start
    start = expressionStart(tokens, before + 1)
  }
  return start
}

const UNNEST_VALUE = "MDP_UNNEST_VALUE__"
const UNNEST_OFFSET = "MDP_UNNEST_OFFSET__"

/**
 * `UNNEST(a) AS x WITH OFFSET AS o` (the offset alias defaults to `offset`): a subquery of the
 * elements and their zero-based positions, which DuckDB joins laterally, as BigQuery does. Markers
 * carry the array through polyglot. After `[INNER | LEFT] JOIN` with no condition it is joined
 * `ON TRUE` (a LEFT JOIN keeps the rows whose array is empty, as BigQuery does).
 */
const unnestWithOffset = (sql: string): string => {
  for (let guard = 0, n = 1; guard < 200; guard++, n++) {
    const tokens = tokenize(sql, "bigquery")
    const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
    const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
    let found: { readonly from: number; readonly to: number; readonly array: string; readonly value: string; readonly offset: string; readonly left: boolean } | undefined
    for (let k = 0; k < significant.length && found === undefined; k++) {
      if (word(k) !== "UNNEST" || significant[k + 1]?.token.text !== "(") continue
      let depth = 0
      let close = k + 1
      for (; close < significant.length; close++) {
        const text = significant[close]!.token.text
        if (text === "(") depth++
        if (text === ")" && --depth === 0) break
      }
      let m = close + 1
      if (word(m) === "AS") m++
      const value = significant[m]?.token
      if (value === undefined || (value.kind !== "word" && value.kind !== "quoted") || word(m) === "WITH") continue
      if (word(m + 1) !== "WITH" || word(m + 2) !== "OFFSET") continue
      let end = m + 2
      let offset = "`offset`"
      if (word(end + 1) === "AS") end++
      const alias = significant[end + 1]?.token
      if (alias !== undefined && (alias.kind === "quoted" || (alias.kind === "word" && !NOT_A_FUNCTION.has(alias.text.toUpperCase()) && !/^(LEFT|RIGHT|INNER|CROSS|FULL|GROUP|WINDOW)$/i.test(alias.text)))) {
        end++
        offset = alias.text
      } else if (alias?.kind === "word" && alias.text.toUpperCase() === "OFFSET") {
        // `WITH OFFSET [AS] offset`: the default name, spelled out.
        end++
      }
      found = {
        from: significant[k]!.index,
        to: significant[end]!.index,
        array: render(tokens.slice(significant[k + 1]!.index + 1, significant[close]!.index)).trim(),
        value: value.text,
        offset,
        // After [INNER | LEFT] JOIN with no condition of its own: BigQuery needs none, DuckDB does.
        left: word(k - 1) === "JOIN" && word(k - 2) !== "CROSS" && word(end + 1) !== "ON" && word(end + 1) !== "USING"
      }
    }
    if (found === undefined) return sql
    const subquery = `(SELECT ${UNNEST_VALUE}(${found.array}) AS ${found.value}, ${UNNEST_OFFSET}(${found.array}) AS ${found.offset}) AS mdp_unnest_${n}${found.left ? " ON TRUE" : ""}`
    sql = render(tokens.slice(0, found.from)) + subquery + render(tokens.slice(found.to + 1))
  }
  return sql
}

const isStringLiteral = (text: string): boolean => /^'.*'$/s.test(text)
/** The text of a DuckDB string literal. */
const literalText = (literal: string): string => literal.slice(1, -1).replaceAll("''", "'")

/**
 * Whether a pattern's capturing group can match nothing at all: an alternation, or a group made
 * optional (`)?`, `)*`, `){0,`). BigQuery's REGEXP_EXTRACT is NULL then and DuckDB's ''; such
 * patterns go to the JavaScript extractor, the rest (and RE2 syntax JavaScript reads otherwise)
 * stay with DuckDB.
 */
const groupMayNotTakePart = (pattern: string): boolean => {
  if (captureGroups(pattern) !== 1 || !javascriptReadsLikeRe2(pattern)) return false
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "\\") i++
    else if (inClass) inClass = c !== "]"
    else if (c === "[") inClass = true
    else if (c === "|") return true
    else if (c === ")" && /^(\?|\*|\{0\b|\{,)/.test(pattern.slice(i + 1))) return true
  }
  return false
}

/** The JSON array at the path as a list of JSON values; NULL when the value there is no array, as in BigQuery. */
function jsonArray(call: Call): string {
  return `TRY_CAST(JSON_EXTRACT(${call.args[0]}, ${call.args[1] === undefined ? "'$'" : withQuotedMembers(call.args[1])}) AS JSON[])`
}

// A printf specifier: flags, width, precision and conversion.
const PRINTF_SPEC = /%([-+ #0']*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g

/**
 * FORMAT's specifiers that DuckDB's printf writes otherwise, each such value formatted on its own
 * and given to the format as a string: `%'d` groups digits with commas (DuckDB: apostrophes, so
 * 1234567 is 1,234,567); `%t` (a value's readable text) and `%T` (a BigQuery literal of it) DuckDB
 * does not know, with a width, precision or `-` flag acting as for `%s` (an ARRAY or a STRUCT holding
 * JSON fails by name); `%p`/`%P` of JSON; `%x`, `%X` and `%o` of a negative INT64 fail.
 */
const printfArguments = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const literal = /^'((?:[^']|'')*)'$/.exec(args[0]?.trim() ?? "")
  if (literal === null || !(literal[1]!.includes("%''") || /%[-+ #0']*[\d*]*(\.[\d*]+)?[tTxXopP]/.test(literal[1]!))) return args
  const format = literal[1]!.replaceAll("''", "'")
  const values = [...args.slice(1)]
  let argument = 0
  let unsupported = false
  const rewritten = format.replace(PRINTF_SPEC, (spec, flags: string, width: string | undefined, precision: string | undefined, conversion: string) => {
    if (conversion === "%") return spec
    // A `*` takes an argument of its own: the values are then left as they are.
    if (width === "*" || precision === "*") unsupported = true
    const index = argument++
    const value = values[index]
    if (value === undefined) return spec
    // The width, precision and flags act as they do for %s: pad to the width, cut to the precision.
    if (conversion === "t" || conversion === "T") {
      values[index] = valueText(value, conversion === "T")
      return `%${flags.replace(/[^-]/g, "")}${width ?? ""}${precision === undefined ? "" : `.${precision}`}s`
    }
    // JSON on one line (%p) or indented over several (%P), as TO_JSON_STRING writes it.
    if ((conversion === "p" || conversion === "P") && flags === "" && width === undefined && precision === undefined) {
      values[index] = `${BIGQUERY_JSON_FUNCTION}(CAST(to_json(${value}) AS VARCHAR), typeof(${value}), 'string', ${conversion === "P" ? "TRUE" : "FALSE"})`
      return "%s"
    }
    // BigQuery fails on a negative INT64 in hexadecimal or octal; DuckDB writes its two's complement.
    if (conversion === "x" || conversion === "X" || conversion === "o") {
      values[index] = `(CASE WHEN (${value}) < 0 THEN error(${duckdbStringLiteral(`FORMAT ${spec}: the value is negative`)}) ELSE (${value}) END)`
      return spec
    }
    if (!flags.includes("'")) return spec
    values[index] = `replace(printf(${duckdbStringLiteral(spec)}, ${value}), '''', ',')`
    return "%s"
  })
  return unsupported ? args : [duckdbStringLiteral(rewritten), ...values]
}

/**
 * A TIMESTAMP's, DATETIME's or TIME's DuckDB text with its fraction of a second in groups of three
 * digits, as ZetaSQL's NarrowTimestampIfPossible writes it: '17:00:53.110', not '17:00:53.11'.
 */
const narrowedFraction = (text: string): string => {
  const digits = `regexp_extract(${text}, '\\.(\\d+)', 1)`
  return `(CASE WHEN strpos(${text}, '.') = 0 THEN ${text} ELSE regexp_extract(${text}, '^([^.]*)\\.', 1) || '.' || rpad(${digits}, CASE WHEN length(${digits}) <= 3 THEN 3 ELSE 6 END, '0') || regexp_extract(${text}, '\\.\\d+(.*)$', 1) END)`
}

/** `%t` or, as a literal, `%T` of a value, by its DuckDB type (NUMERIC always with a fraction, as BigQuery writes it). */
const valueText = (value: string, asLiteral: boolean): string => {
  const type = `typeof(${value})`
  const text = `CAST(${value} AS VARCHAR)`
  const numeric = `regexp_replace(rtrim(${text}, '0'), '\\.$', '.0')`
  const float = asLiteral ? `(CASE ${text} WHEN 'inf' THEN 'CAST("inf" AS FLOAT64)' WHEN '-inf' THEN 'CAST("-inf" AS FLOAT64)' WHEN 'nan' THEN 'CAST("nan" AS FLOAT64)' ELSE ${text} END)` : `replace(${text}, 'nan', 'NaN')`
  // ZetaSQL's ToStringLiteral: single quotes for a text with a " and no ', else double quotes.
  const escapedOf = (text: string) => `replace(replace(replace(replace(${text}, '\\', '\\\\'), chr(10), '\\n'), chr(13), '\\r'), chr(9), '\\t')`
  const quotedOf = (text: string) => `(CASE WHEN contains(${text}, '"') AND NOT contains(${text}, '''') THEN '''' || ${escapedOf(text)} || '''' ELSE '"' || replace(${escapedOf(text)}, '"', '\\"') || '"' END)`
  const quoted = quotedOf(text)
  // JSON: its one-line text (JSON values are canonical from the start: JSON literals and
  // PARSE_JSON); as a literal, JSON '…'. No Node function here: DuckDB folds constant branches
  // when it plans, and a Node function called then waits on the thread that is waiting for it.
  const json = text
  const typed = (name: string) => (asLiteral ? `'${name} "' || ${narrowedFraction(text)} || '"'` : narrowedFraction(text))
  return (
    `(CASE WHEN (${value}) IS NULL THEN 'NULL' ` +
    // An ARRAY or a STRUCT (before DECIMAL%, which an array of NUMERICs also matches), in Node.
    `WHEN ${type} LIKE '%[]' OR ${type} LIKE 'STRUCT(%' THEN ${FORMAT_VALUE_FUNCTION}(${value}, ${type}, ${asLiteral ? "TRUE" : "FALSE"}) ` +
    `WHEN ${type} LIKE 'DECIMAL%' THEN ${asLiteral ? `'NUMERIC "' || ${numeric} || '"'` : numeric} ` +
    `WHEN ${type} IN ('DOUBLE', 'FLOAT') THEN ${float} ` +
    `WHEN ${type} = 'VARCHAR' THEN ${asLiteral ? quoted : text} ` +
    `WHEN ${type} = 'DATE' THEN ${typed("DATE")} ` +
    `WHEN ${type} = 'TIMESTAMP WITH TIME ZONE' THEN ${typed("TIMESTAMP")} ` +
    `WHEN ${type} = 'TIMESTAMP' THEN ${typed("DATETIME")} ` +
    `WHEN ${type} = 'TIME' THEN ${typed("TIME")} ` +
    `WHEN ${type} = 'BLOB' THEN ${BYTES_TEXT_FUNCTION}(${value}, ${asLiteral ? "TRUE" : "FALSE"}) ` +
    `WHEN ${type} = 'INTERVAL' THEN ${asLiteral ? `'INTERVAL "' || ${INTERVAL_TEXT_FUNCTION}(${value}) || '" YEAR TO SECOND'` : `${INTERVAL_TEXT_FUNCTION}(${value})`} ` +
    `WHEN ${type} IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'HUGEINT', 'BOOLEAN') THEN ${text} ` +
    `WHEN ${type} = 'JSON' THEN ${asLiteral ? `'JSON ' || ${quotedOf(json)}` : json} ` +
    `ELSE error('FORMAT ${asLiteral ? "%T" : "%t"} of the type ' || ${type} || ' runs only on BigQuery') END)`
  )
}

/** A JSON path literal's `['name']` members (JSON_EXTRACT_SCALAR's escape for names with dots or spaces) as DuckDB's `."name"`. */
const withQuotedMembers = (path: string): string => {
  const literal = /^'((?:[^']|'')*)'$/.exec(path.trim())
  if (literal === null || !literal[1]!.includes("[''")) return path
  return duckdbStringLiteral(quotedMembersDotted(literal[1]!.replaceAll("''", "'")))
}
const quotedMembersDotted = (path: string): string =>
  path.replace(/\['((?:[^'\\]|\\.)*)'\]/g, (_, name: string) => `."${name.replace(/\\(.)/g, "$1").replaceAll('"', '\\"')}"`)

const duckdbStringLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`

/**
 * A length argument BigQuery refuses when negative (LEFT, RIGHT, LPAD, RPAD, REPEAT: an error;
 * DuckDB counts from the other end or returns ''); the pad pattern of LPAD/RPAD defaults to a space.
 */
const withLengthChecked = (call: Call, at: number, build: (args: ReadonlyArray<string>) => string, noun = "length"): string | undefined => {
  const length = call.args[at]
  if (length === undefined || call.args.length > 3) return undefined
  const built = build(call.args)
  return /^\+?\d+$/.test(length.trim()) ? built : `(CASE WHEN (${length}) < 0 THEN error('${call.name}: the ${noun} cannot be negative') ELSE ${built} END)`
}

/** Rewrites in DuckDB SQL, where polyglot's output runs but answers differently from BigQuery. */
const afterTranslation: Readonly<Record<string, (call: Call) => string | undefined>> = {
  // The fields of an array's elements (`flattenedArrayPaths`), flattened when they are arrays themselves.
  [ARRAY_FIELDS_MARKER]: (call) => {
    const path = call.args.length === 3 ? /^'(.*)'$/.exec(call.args[1]!.trim())?.[1] : undefined
    if (path === undefined) return undefined
    const fields = `list_transform(${call.args[0]}, mdp_element -> mdp_element${path.split(".").map((field) => `."${field.replaceAll("\\'", "'").replaceAll('"', '""')}"`).join("")})`
    return /^TRUE$/i.test(call.args[2]!.trim()) ? `flatten(${fields})` : fields
  },
  [TODAY_MARKER]: (call) => (call.args.length === 0 ? "today()" : undefined),
  [NOW_MARKER]: (call) => (call.args.length === 0 ? "get_current_timestamp()" : undefined),
  ...rangeMarkers,
  [JSON_KEYS_CALL]: (call) => (call.args.length === 3 ? `${JSON_KEYS_FUNCTION}(CAST(${call.args[0]} AS VARCHAR), ${call.args[1]}, ${call.args[2]})` : undefined),
  ...Object.fromEntries(Object.entries(STRING_FUNCTIONS).map(([name, implementation]) => [name, (call: Call) => `${implementation}(${call.args.join(", ")})`])),
  PARSE_NUMERIC: (call) => (call.args.length === 1 ? `CAST(${PARSE_NUMERIC_FUNCTION}(${call.args[0]}) AS DECIMAL(38, 9))` : undefined),
  // A STRING's code points or a BYTES value's bytes, by the argument's type.
  TO_CODE_POINTS: (call) => {
    const [value] = call.args
    if (value === undefined || call.args.length !== 1) return undefined
    return `(CASE WHEN typeof(${value}) = 'BLOB' THEN ${BYTE_VALUES_FUNCTION}(TRY_CAST(${value} AS BLOB)) ELSE ${CODE_POINTS_FUNCTION}(CAST(${value} AS VARCHAR)) END)`
  },
  JSON_REMOVE: (call) => {
    const [json, ...paths] = call.args
    if (json === undefined || paths.length === 0) return undefined
    return `CAST(${JSON_REMOVE_FUNCTION}(CAST(${json} AS VARCHAR), [${paths.map((path) => `CAST(${path} AS VARCHAR)`).join(", ")}]) AS JSON)`
  },
  JSON_STRIP_NULLS: (call) => {
    const [json, ...rest] = call.args
    if (json === undefined) return undefined
    const named = (name: string) => rest.map((arg) => new RegExp(`^${name}\\s*=>\\s*([\\s\\S]+)$`, "i").exec(arg.trim())?.[1]).find((value) => value !== undefined)
    const path = rest.find((arg) => !/^\w+\s*=>/.test(arg.trim()))
    return `CAST(${JSON_STRIP_NULLS_FUNCTION}(CAST(${json} AS VARCHAR), CAST(${path ?? "NULL"} AS VARCHAR), ${path === undefined ? "FALSE" : "TRUE"}, ${named("include_arrays") ?? "TRUE"}, ${named("remove_empty") ?? "FALSE"}) AS JSON)`
  },
  // The code point of an empty string is 0, and CHR(0) an empty string (DuckDB: -1 and U+0000).
  UNICODE: (call) => (call.args.length === 1 ? `(CASE WHEN (${call.args[0]}) = '' THEN 0 ELSE unicode(${call.args[0]}) END)` : undefined),
  CHR: (call) => (call.args.length === 1 ? `(CASE WHEN (${call.args[0]}) = 0 THEN '' ELSE chr(${call.args[0]}) END)` : undefined),
  // A repeated source character is an error in BigQuery; DuckDB takes the first mapping.
  TRANSLATE: (call) => {
    const [value, from, to] = call.args
    if (value === undefined || from === undefined || to === undefined || call.args.length !== 3) return undefined
    return `(CASE WHEN len(list_distinct(string_split(${from}, ''))) <> length(${from}) THEN error('TRANSLATE: a character repeats in the source characters') ELSE translate(${value}, ${from}, ${to}) END)`
  },
  REPEAT: (call) => withLengthChecked(call, 1, (args) => `repeat(${args[0]}, ${args[1]})`, "repetitions"),
  // The deprecated full match.
  REGEXP_MATCH: (call) => (call.args.length === 2 ? `regexp_full_match(${call.args[0]}, ${call.args[1]})` : undefined),
  // Code point by code point (DuckDB's reverse keeps a letter and its combining mark together).
  // DuckDB maps case a character at a time ("ß" stays, a final sigma is σ); ZetaSQL uses ICU's full
  // mapping. ASCII text (as many bytes as characters) keeps DuckDB's function, the rest goes to Node.
  UPPER: (call) => (call.args.length === 1 ? fullCaseMap("UPPER", call.args[0]!) : undefined),
  LOWER: (call) => (call.args.length === 1 ? fullCaseMap("LOWER", call.args[0]!) : undefined),
  REVERSE: (call) => (call.args.length === 1 ? `${REVERSE_FUNCTION}(${call.args[0]})` : undefined),
  // DuckDB's ascii gives any first code point and takes no BYTES.
  ASCII: (call) => (call.args.length === 1 ? `${ASCII_FUNCTION}(${call.args[0]})` : undefined),
  // The pattern defaults to a space; DuckDB's length is an INTEGER (an INT64 column did not bind).
  LPAD: (call) => withLengthChecked(call, 1, (args) => `lpad(${args[0]}, CAST(${args[1]} AS INTEGER), ${args[2] ?? "' '"})`),
  RPAD: (call) => withLengthChecked(call, 1, (args) => `rpad(${args[0]}, CAST(${args[1]} AS INTEGER), ${args[2] ?? "' '"})`),
  LEFT: (call) => withLengthChecked(call, 1, (args) => `left(${args[0]}, ${args[1]})`),
  RIGHT: (call) => withLengthChecked(call, 1, (args) => `right(${args[0]}, ${args[1]})`),
  REGEXP_INSTR: (call) => {
    const [source, pattern, position = "1", occurrence = "1", at = "0"] = call.args
    if (source === undefined || pattern === undefined || call.args.length > 5) return undefined
    return `${REGEXP_INSTR_FUNCTION}(${source}, ${pattern}, ${position}, ${occurrence}, ${at})`
  },
  // BigQuery's lambda index counts from 0; DuckDB's from 1.
  ARRAY_TRANSFORM: (call) => withZeroBasedLambdaIndex(call),
  ARRAY_FILTER: (call) => withZeroBasedLambdaIndex(call),
  ARRAY_MAX: (call) => (call.args.length === 1 ? `list_max(${call.args[0]})` : undefined),
  ARRAY_MIN: (call) => (call.args.length === 1 ? `list_min(${call.args[0]})` : undefined),
  ARRAY_SUM: (call) => (call.args.length === 1 ? `list_sum(${call.args[0]})` : undefined),
  ARRAY_AVG: (call) => (call.args.length === 1 ? `list_avg(${call.args[0]})` : undefined),
  ARRAY_INCLUDES_ANY: (call) => (call.args.length === 2 ? `list_has_any(${call.args[0]}, ${call.args[1]})` : undefined),
  ARRAY_INCLUDES_ALL: (call) => (call.args.length === 2 ? `list_has_all(${call.args[0]}, ${call.args[1]})` : undefined),
  // Two NULL elements are duplicates of each other (DuckDB's list_distinct drops NULLs).
  ARRAY_IS_DISTINCT: (call) => {
    const [array] = call.args
    if (array === undefined || call.args.length !== 1) return undefined
    return `(len(${array}) = len(list_distinct(${array})) + least(len(list_filter(${array}, mdp_e -> mdp_e IS NULL)), 1))`
  },
  // Each match's capturing group, or the whole match without one (polyglot guessed the group).
  REGEXP_EXTRACT_ALL: (call) => {
    const [value, pattern] = call.args
    if (value === undefined || pattern === undefined || !isStringLiteral(pattern) || call.args.length > 3) return undefined
    return `REGEXP_EXTRACT_ALL(${value}, ${pattern}, ${captureGroups(literalText(pattern)) > 0 ? 1 : 0})`
  },
  // A JSON null read from a STRING is SQL NULL. Parenthesised too: polyglot writes JSON_QUERY as
  // `j -> path`, which binds looser than IS NULL.
  [STRING_JSON_NULL]: (call) => {
    const [input, extracted] = call.args
    if (input === undefined || extracted === undefined) return undefined
    return `(CASE WHEN typeof(${input}) = 'VARCHAR' AND json_type(${extracted}) = 'NULL' THEN NULL ELSE (${extracted}) END)`
  },
  [SCALARS_ONLY]: (call) => {
    const [elements, values] = call.args
    if (elements === undefined || values === undefined) return undefined
    // No array there (an object, a scalar): NULL, where DuckDB's cast to a list failed.
    const valuesOrNull = values.trim().replace(/^CAST\(/i, "TRY_CAST(")
    return `(CASE WHEN ${elements} IS NULL THEN NULL WHEN list_bool_and(list_transform(${elements}, mdp_e -> json_type(CAST(mdp_e AS JSON)) NOT IN ('OBJECT', 'ARRAY'))) IS FALSE THEN NULL ELSE ${valuesOrNull} END)`
  },
  [JSON_TEXT]: (call) => {
    const [value, mode, pretty] = call.args
    return value === undefined || mode === undefined || pretty === undefined ? undefined : jsonTextExpression(value, mode, pretty)
  },
  JSON_SET: (call) => jsonEditExpression("set", "create_if_missing", call),
  JSON_ARRAY_APPEND: (call) => jsonEditExpression("append", "append_each_element", call),
  JSON_ARRAY_INSERT: (call) => jsonEditExpression("insert", "insert_each_element", call),
  // REGEXP_CONTAINS is a partial match in BigQuery.
  REGEXP_FULL_MATCH: (call) => `REGEXP_MATCHES(${call.args.join(", ")})`,
  // polyglot's name for a REGEXP_CONTAINS inside another's arguments; DuckDB has none.
  REGEXP_LIKE: (call) => `REGEXP_MATCHES(${call.args.join(", ")})`,
  // BigQuery replaces every match; DuckDB only the first unless given 'g'.
  REGEXP_REPLACE: (call) => (call.args.length === 3 ? `REGEXP_REPLACE(${call.args.join(", ")}, 'g')` : undefined),
  // Without a capture group BigQuery returns the whole match; polyglot asks DuckDB for group 1.
  // No match is NULL in BigQuery, '' in DuckDB.
  REGEXP_EXTRACT: (call) => {
    const [value, pattern] = call.args
    if (value === undefined || pattern === undefined) return undefined
    if (isStringLiteral(pattern) && (call.args.length === 2 || call.args[2] === "1") && groupMayNotTakePart(literalText(pattern))) {
      return `${REGEXP_EXTRACT_FUNCTION}(${value}, ${pattern})`
    }
    const extract =
      call.args.length === 3 && call.args[2] === "1" && isStringLiteral(pattern) && captureGroups(literalText(pattern)) === 0 ? `REGEXP_EXTRACT(${value}, ${pattern})` : call.text
    return `(CASE WHEN REGEXP_MATCHES(${value}, ${pattern}) THEN ${extract} END)`
  },
  // BigQuery FORMAT is printf-style; DuckDB FORMAT is fmt-style.
  FORMAT: (call) => `PRINTF(${printfArguments(call.args).join(", ")})`,
  EXTRACT: (call) => {
    const match = /^(\w+(?:\s*\(\s*\w+\s*\))?)\s+FROM\s+([\s\S]+)$/i.exec(call.args[0] ?? "")
    if (match === null) return undefined
    const part = match[1]!.replace(/\s+/g, "").toUpperCase()
    const value = match[2]!
    switch (part) {
      // BigQuery numbers days of the week 1 (Sunday) to 7; DuckDB 0 to 6.
      case "DAYOFWEEK":
        return `(${call.text} + 1)`
      // BigQuery's sub-second parts stop at the second (0–999); DuckDB's count the seconds too.
      case "MILLISECOND":
        return `(${call.text} % 1000)`
      case "MICROSECOND":
        return `(${call.text} % 1000000)`
      // The date, time or datetime of a timestamp (in UTC, the session's zone, or in the zone of
      // its AT TIME ZONE).
      case "DATE":
        return `CAST(${value} AS DATE)`
      case "TIME":
        return `CAST(CAST(${value} AS TIMESTAMP) AS TIME)`
      case "DATETIME":
        return `CAST(${value} AS TIMESTAMP)`
      case "ISOWEEK":
        return `WEEKOFYEAR(${value})`
      case "ISOYEAR":
        return `ISOYEAR(${value})`
      // BigQuery's WEEK counts Sunday weeks from 0 (days before the first Sunday); DuckDB's is ISO.
      case "WEEK":
      case "WEEK(SUNDAY)":
        return `CAST(STRFTIME(${value}, '%U') AS BIGINT)`
      case "WEEK(MONDAY)":
        return `CAST(STRFTIME(${value}, '%W') AS BIGINT)`
      default: {
        // Weeks starting on another day, counted as %U counts Sunday ones: from the first such
        // day of the year, the days before it in week 0. DuckDB's dayofweek is 0 on Sunday.
        const weekday = /^WEEK\((\w+)\)$/.exec(part)?.[1]
        const first = weekday === undefined ? -1 : WEEKDAYS.indexOf(weekday)
        if (first < 0) return undefined
        const yearStartsOn = `(((dayofweek(${value}) - dayofyear(${value}) + 1) % 7 + 7) % 7)`
        return `((dayofyear(${value}) + 6 - ((${first} - ${yearStartsOn} + 7) % 7)) // 7)`
      }
    }
  },
  COSINE_DISTANCE: (call) => vectorDistance(call, "COSINE_DISTANCE"),
  EUCLIDEAN_DISTANCE: (call) => vectorDistance(call, "EUCLIDEAN_DISTANCE"),
  // Division by zero is ±inf or NaN (IEEE 754), not an error or NULL.
  IEEE_DIVIDE: (call) => {
    const [x, y] = call.args
    if (x === undefined || y === undefined) return undefined
    return `(CASE WHEN CAST(${y} AS DOUBLE) = 0 THEN CASE WHEN CAST(${x} AS DOUBLE) > 0 THEN CAST('inf' AS DOUBLE) WHEN CAST(${x} AS DOUBLE) < 0 THEN CAST('-inf' AS DOUBLE) ELSE CAST('nan' AS DOUBLE) END ELSE CAST(${x} AS DOUBLE) / CAST(${y} AS DOUBLE) END)`
  },
  [JSON_INT64]: (call) => jsonConversion(call.args[0]!, [[NUMBER_TYPES, "CASE WHEN CAST($j AS DOUBLE) = floor(CAST($j AS DOUBLE)) THEN CAST(CAST($j AS DOUBLE) AS BIGINT) ELSE error('INT64: the JSON number has a fractional part') END"]], notA("a number", "INT64"), notA("a number", "INT64")),
  [JSON_FLOAT64]: (call) => {
    // An integer beyond 2^53 that the FLOAT64 would change (other JSON numbers are FLOAT64s already).
    const exact = "CASE WHEN json_type($j) = 'DOUBLE' OR CAST(CAST($j AS DOUBLE) AS HUGEINT) = CAST($j AS HUGEINT) THEN CAST($j AS DOUBLE) ELSE error('FLOAT64: the JSON number ' || CAST($j AS VARCHAR) || ' cannot be converted to FLOAT64 without loss of precision; wide_number_mode=>''round'' rounds it') END"
    return jsonConversion(call.args[0]!, [[NUMBER_TYPES, call.args[1] === "'round'" ? "CAST($j AS DOUBLE)" : exact]], notA("a number", "FLOAT64"), notA("a number", "FLOAT64"))
  },
  [JSON_BOOL]: (call) => jsonConversion(call.args[0]!, [["('BOOLEAN')", "CAST($j AS BOOLEAN)"]], notA("a boolean", "BOOL"), notA("a boolean", "BOOL")),
  [JSON_STRING]: (call) => jsonConversion(call.args[0]!, [["('VARCHAR')", "$s"]], notA("a string", "STRING"), notA("a string", "STRING")),
  LAX_INT64: (call) =>
    jsonConversion(call.args[0]!, [["('BOOLEAN')", "CASE WHEN CAST($j AS BOOLEAN) THEN 1 ELSE 0 END"], [NUMBER_TYPES, "TRY_CAST(ROUND(CAST($j AS DOUBLE)) AS BIGINT)"], ["('VARCHAR')", "TRY_CAST(ROUND(TRY_CAST(trim($s) AS DOUBLE)) AS BIGINT)"]], "NULL"),
  LAX_FLOAT64: (call) => jsonConversion(call.args[0]!, [[NUMBER_TYPES, "CAST($j AS DOUBLE)"], ["('VARCHAR')", "TRY_CAST(trim($s) AS DOUBLE)"]], "NULL"),
  LAX_BOOL: (call) =>
    jsonConversion(call.args[0]!, [["('BOOLEAN')", "CAST($j AS BOOLEAN)"], ["('VARCHAR')", "CASE lower($s) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"], [NUMBER_TYPES, "CAST($j AS DOUBLE) <> 0"]], "NULL"),
  LAX_STRING: (call) => jsonConversion(call.args[0]!, [["('VARCHAR')", "$s"], ["('BOOLEAN')", "CAST($j AS VARCHAR)"], [NUMBER_TYPES, "CAST($j AS VARCHAR)"]], "NULL"),
  // BigQuery names JSON types in lower case, and all numbers 'number'.
  JSON_TYPE: (call) =>
    call.args.length === 1
      ? `(CASE json_type(${call.args[0]}) WHEN 'NULL' THEN 'null' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'VARCHAR' THEN 'string' WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'object' ELSE 'number' END)`
      : undefined,
  // The first character and each one after a delimiter upper-cased, the others lower-cased.
  // With delimiters, the characters of the second argument are the delimiters.
  INITCAP: (call) => {
    if (call.args.length !== 1 && call.args.length !== 2) return undefined
    const value = `(${call.args[0]})`
    const isDelimiter = (character: string) => (call.args.length === 2 ? `contains((${call.args[1]}), ${character})` : `regexp_matches(${character}, ${INITCAP_DELIMITERS})`)
    const current = `substr(${value}, mdp_i, 1)`
    // A delimiter itself is left as written (INITCAP('tHisEisE', 'E') is 'ThisEIsE').
    return `array_to_string(list_transform(range(1, length(${value}) + 1), mdp_i -> CASE WHEN ${isDelimiter(current)} THEN ${current} WHEN mdp_i = 1 OR ${isDelimiter(`substr(${value}, mdp_i - 1, 1)`)} THEN upper(${current}) ELSE lower(${current}) END), '')`
  },
  [JSON_SCALAR]: (call) => {
    const [value, path] = call.args
    return value === undefined || path === undefined ? undefined : jsonScalar(value, withQuotedMembers(path))
  },
  // BigQuery's ARRAY_SLICE takes zero-based offsets (negative ones from the end); DuckDB's list_slice one-based indexes.
  ARRAY_SLICE: (call) => {
    const [array, start, end] = call.args
    if (array === undefined || start === undefined || end === undefined) return undefined
    const index = (offset: string) => `CASE WHEN (${offset}) >= 0 THEN (${offset}) + 1 ELSE (${offset}) END`
    return `(CASE WHEN (${start}) IS NULL OR (${end}) IS NULL THEN NULL ELSE list_slice(${array}, ${index(start)}, ${index(end)}) END)`
  },
  // GENERATE_DATE_ARRAY by months: each date is the start plus a multiple of the step (Jan 31, Feb 29,
  // Mar 31), where DuckDB's series adds the step to the previous date (Jan 31, Feb 29, Mar 29).
  GENERATE_SERIES: (call) => {
    const [start, end, step] = call.args
    const months = /^INTERVAL\s+'?(\d+)'?\s+(MONTH|QUARTER|YEAR)$/i.exec(step?.trim() ?? "")
    if (start === undefined || end === undefined || months === null || Number(months[1]) === 0) return undefined
    const n = Number(months[1]) * ({ MONTH: 1, QUARTER: 3, YEAR: 12 } as Record<string, number>)[months[2]!.toUpperCase()]!
    return `(CASE WHEN (${start}) IS NULL OR (${end}) IS NULL THEN NULL ELSE list_filter(list_transform(range(0, greatest(datediff('month', ${start}, ${end}) // ${n} + 2, 0)), i -> CAST((${start}) + to_months(CAST(i * ${n} AS INTEGER)) AS DATE)), d -> d <= (${end})) END)`
  },
  ARRAY_INCLUDES: (call) => (call.args.length === 2 ? `(CASE WHEN (${call.args[1]}) IS NULL THEN NULL ELSE list_contains(${call.args[0]}, ${call.args[1]}) END)` : undefined),
  ARRAY_FIRST: (call) => (call.args.length === 1 ? `(CASE WHEN len(${call.args[0]}) = 0 THEN error('ARRAY_FIRST: the array is empty') ELSE (${call.args[0]})[1] END)` : undefined),
  ARRAY_LAST: (call) => (call.args.length === 1 ? `(CASE WHEN len(${call.args[0]}) = 0 THEN error('ARRAY_LAST: the array is empty') ELSE (${call.args[0]})[-1] END)` : undefined),
  // The first value whose cumulative distribution reaches the fraction, NULLs ignored: DuckDB's quantile_disc.
  PERCENTILE_DISC: (call) => (call.args.length === 2 ? `quantile_disc(${call.args.join(", ")})` : undefined),
  [TIMESTAMP_DIFF_MARKER]: (call) => `DATE_SUB(${call.args.join(", ")})`,
  [UNIX_DAYS_MARKER]: (call) => `CAST(DATE '1970-01-01' + CAST(${call.args[0]} AS INTEGER) AS DATE)`,
  [COLLATE_CI_MARKER]: (call) => `(${call.args[0]} COLLATE NOCASE)`,
  // DuckDB's aggregates ignore a collation under DISTINCT: COUNT(DISTINCT) counts the folded values
  // (findUnsupported refuses the other aggregates, which would silently see every spelling).
  COUNT: (call) => {
    const match = /^DISTINCT\s+\(([\s\S]*) COLLATE NOCASE\)$/i.exec(call.args[0]?.trim() ?? "")
    return match === null || call.args.length !== 1 ? undefined : `count(DISTINCT lower(${match[1]}))`
  },
  // ARRAY_CONCAT_AGG: the aggregated arrays, concatenated.
  [FLATTEN_MARKER]: (call) => (call.args.length === 1 ? `flatten(${call.args[0]})` : undefined),
  [APPROX_TOP_SUM_MARKER]: (call) => {
    const [value, weight, number] = call.args
    if (value === undefined || weight === undefined || number === undefined) return undefined
    // Each distinct value (NULL included) with the sum of its weights, sorted by the sum first.
    const values = `list_distinct(list(${value})) || CASE WHEN count(*) FILTER (WHERE (${value}) IS NULL) > 0 THEN [NULL] ELSE [] END`
    const pairs = `list({'v': ${value}, 'w': ${weight}})`
    // A NULL sum (every weight NULL) comes last: DuckDB orders a STRUCT's NULL field above any value.
    const summed = `list_transform(${values}, v -> list_transform([list_sum(list_transform(list_filter(${pairs}, p -> p.v IS NOT DISTINCT FROM v), p -> p.w))], s -> {'known': s IS NOT NULL, 'sum': s, 'value': v})[1])`
    return `list_transform(list_slice(list_sort(${summed}, 'DESC', 'NULLS LAST'), 1, ${number}), e -> {'value': e.value, 'sum': e.sum})`
  },
  // The exact counts (an approximation may be exact), most frequent first, NULL counted as a value.
  [APPROX_TOP_COUNT_MARKER]: (call) => {
    const [value, number] = call.args
    const nulls = `count(*) FILTER (WHERE (${value}) IS NULL)`
    const counted = `list_concat(list_transform(map_entries(histogram(${value})), e -> {'count': e.value, 'value': e.key}), CASE WHEN ${nulls} > 0 THEN [{'count': ${nulls}, 'value': NULL}] ELSE [] END)`
    return `list_transform(list_slice(list_sort(${counted}, 'DESC', 'NULLS LAST'), 1, ${number}), e -> {'value': e.value, 'count': CAST(e.count AS BIGINT)})`
  },
  // NUMERIC divided by NUMERIC or INT64 is a NUMERIC in BigQuery; DuckDB's DECIMAL quotient is a
  // DOUBLE. typeof of the sum gives the operands' common type without evaluating it.
  [DIVIDE]: (call) => {
    const [dividend, divisor] = call.args
    if (dividend === undefined || divisor === undefined || call.args.length !== 2) return undefined
    return `(CASE WHEN typeof((${dividend}) + (${divisor})) LIKE 'DECIMAL%' THEN CAST((${dividend}) / (${divisor}) AS DECIMAL(38, 9)) ELSE (${dividend}) / (${divisor}) END)`
  },
  // NUMERIC times NUMERIC is a NUMERIC in BigQuery (nine places, up to 10^29); DuckDB's DECIMAL
  // product has eighteen places and overflows at 10^20. typeof is read without evaluating the product.
  [MULTIPLY]: (call) => (call.args.length === 2 ? product(call.args[0]!, call.args[1]!) : undefined),
  [STRUCT_UPDATE_MARKER]: (call) => {
    const [struct, field, value] = call.args
    if (struct === undefined || field === undefined || value === undefined || !isStringLiteral(field)) return undefined
    return `struct_update(${struct}, ${quoteIdentifier(literalText(field))} := ${value})`
  },
  [PARAMETERIZED_NUMERIC]: (call) => {
    const [value, precision, scale, safe] = call.args
    if (value === undefined || precision === undefined || scale === undefined || safe === undefined) return undefined
    const rounded = `round(${value}, ${scale})`
    const tooWide = safe === "TRUE" ? "NULL" : `error('NUMERIC(${precision}, ${scale}) cannot hold ' || CAST(${value} AS VARCHAR))`
    return `(CASE WHEN abs(${rounded}) >= ${10n ** BigInt(Number(precision) - Number(scale))} THEN ${tooWide} ELSE CAST(${rounded} AS DECIMAL(38, 9)) END)`
  },
  [PARAMETERIZED_LENGTH]: (call) => {
    const [value, length, safe] = call.args
    if (value === undefined || length === undefined || safe === undefined) return undefined
    const tooLong = safe === "TRUE" ? "NULL" : `error('the value is longer than ${length}')`
    return `(CASE WHEN (CASE WHEN typeof(${value}) = 'BLOB' THEN octet_length(CAST(${value} AS BLOB)) ELSE length(CAST(${value} AS VARCHAR)) END) > ${length} THEN ${tooLong} ELSE ${value} END)`
  },
  [HLL_FUNCTIONS["INIT"]!]: (call) => (call.args.length >= 1 ? `(CASE WHEN count(${call.args[0]}) = 0 THEN NULL ELSE list_distinct(list(${call.args[0]})) END)` : undefined),
  [HLL_FUNCTIONS["MERGE_PARTIAL"]!]: (call) => (call.args.length === 1 ? `(CASE WHEN count(${call.args[0]}) = 0 THEN NULL ELSE list_distinct(flatten(list(${call.args[0]}))) END)` : undefined),
  [HLL_FUNCTIONS["MERGE"]!]: (call) => (call.args.length === 1 ? `coalesce(len(list_distinct(flatten(list(${call.args[0]})))), 0)` : undefined),
  [HLL_FUNCTIONS["EXTRACT"]!]: (call) => (call.args.length === 1 ? `coalesce(len(${call.args[0]}), 0)` : undefined),
  [CHECKED_POWER]: (call) => {
    const [base, exponent] = call.args
    if (base === undefined || exponent === undefined) return undefined
    const power = `pow(${base}, ${exponent})`
    return (
      `(CASE WHEN (${base}) = 0 AND (${exponent}) < 0 THEN error('POW: 0 to a negative power is a division by zero') ` +
      `WHEN (${base}) < 0 AND (${exponent}) <> floor(${exponent}) AND NOT isinf(${exponent}) THEN error('POW: a negative base to a fractional power') ` +
      `WHEN isinf(${power}) AND NOT isinf(${base}) AND NOT isinf(${exponent}) THEN error('POW: floating point overflow') ELSE ${power} END)`
    )
  },
  [CHECKED_EXP]: (call) => {
    const [value] = call.args
    if (value === undefined) return undefined
    return `(CASE WHEN isinf(exp(${value})) AND NOT isinf(${value}) THEN error('EXP: floating point overflow') ELSE exp(${value}) END)`
  },
  [DATETIME_DIFFERENCE]: (call) => {
    const [later, earlier, type] = call.args
    if (later === undefined || earlier === undefined || type === undefined) return undefined
    return type === "'DATE'" ? `to_days(CAST((${later}) - (${earlier}) AS INTEGER))` : `to_microseconds(epoch_us(${later}) - epoch_us(${earlier}))`
  },
  // NFKC-normalized and case-folded (ASCII by lower()), a substring of the value's text; a STRUCT,
  // an ARRAY or a row (a table alias) searched leaf by leaf: TRUE on a match, else NULL if a leaf is
  // NULL, else FALSE. Numbers and the like as their text.
  [CONTAINS_SUBSTR_MARKER]: (call) => {
    const [value, search] = call.args
    if (value === undefined || search === undefined) return undefined
    if (/^\s*NULL\s*$/i.test(value) || /^\s*NULL\s*$/i.test(search)) return "CAST(NULL AS BOOLEAN)"
    const folded = (text: string) => `(CASE WHEN strlen(${text}) = length(${text}) THEN lower(${text}) ELSE ${normalizeFunction("NFKC", true)}(${text}) END)`
    const json = `to_json(${value})`
    const leaves = `(CASE WHEN json_type(${json}) IN ('OBJECT', 'ARRAY') THEN list_filter(json_extract(${json}, '$..*'), mdp_leaf -> json_type(mdp_leaf) NOT IN ('OBJECT', 'ARRAY')) ELSE [${json}] END)`
    const matches = `list_transform(${leaves}, mdp_leaf -> CASE WHEN json_type(mdp_leaf) = 'NULL' THEN NULL ELSE contains(${folded("(mdp_leaf ->> '$')")}, ${folded(`(${search})`)}) END)`
    const text = `CAST(${value} AS VARCHAR)`
    return `(CASE WHEN (${search}) IS NULL OR (${value}) IS NULL THEN NULL WHEN typeof(${value}) = 'VARCHAR' THEN contains(${folded(text)}, ${folded(`(${search})`)}) WHEN list_bool_or(${matches}) THEN TRUE WHEN list_count(${matches}) < len(${matches}) THEN NULL ELSE FALSE END)`
  },
  [SHIFT_LEFT]: (call) => (call.args.length === 2 ? int64Shift("left", call.args[0]!, call.args[1]!) : undefined),
  [SHIFT_RIGHT]: (call) => (call.args.length === 2 ? int64Shift("right", call.args[0]!, call.args[1]!) : undefined),
  [BIT_COUNT_MARKER]: (call) => {
    const [value] = call.args
    if (value === undefined) return undefined
    // DuckDB refuses an empty BLOB as a BIT string, even under TRY_CAST.
    const bytes = `(CASE WHEN octet_length(TRY_CAST(${value} AS BLOB)) = 0 THEN 0 ELSE bit_count(TRY_CAST(${value} AS BIT)) END)`
    return `(CASE WHEN typeof(${value}) = 'BLOB' THEN ${bytes} ELSE bit_count(TRY_CAST(TRY_CAST(${value} AS BIGINT) AS BIT)) END)`
  },
  [FLOAT_OPERATION]: (call) => {
    const [left, right, quoted] = call.args
    const op = quoted?.slice(1, -1)
    if (left === undefined || right === undefined || op === undefined) return undefined
    const result = `(${left}) ${op === "!=" ? "<>" : op} (${right})`
    if (op === "+" || op === "-") return `(CASE WHEN isinf(${result}) AND NOT isinf(${left}) AND NOT isinf(${right}) THEN error('floating point overflow: ' || ${sqlText(`${left} ${op} ${right}`)}) ELSE ${result} END)`
    // The comparison stays a conjunct of its own, so that an equality still drives a hash join.
    const nan = `isnan(CAST(${left} AS DOUBLE)) OR isnan(CAST(${right} AS DOUBLE))`
    return op === "!=" || op === "<>" ? `(${result} OR ${nan})` : `(${result} AND NOT (${nan}))`
  },
  [SAFE_NUMERIC_DIVIDE]: (call) => {
    const [dividend, divisor] = call.args
    if (dividend === undefined || divisor === undefined || call.args.length !== 2) return undefined
    return `(CASE WHEN (${divisor}) = 0 THEN NULL WHEN typeof((${dividend}) + (${divisor})) LIKE 'DECIMAL%' THEN TRY_CAST((${dividend}) / (${divisor}) AS DECIMAL(38, 9)) ELSE (${dividend}) / (${divisor}) END)`
  },
  [SAFE_NUMERIC_MULTIPLY]: (call) => (call.args.length === 2 ? safeOperation(call.args, ([left, right]) => product(left!, right!)) : undefined),
  [INTEGER_DIVIDE]: (call) => {
    const [dividend, divisor] = call.args
    if (dividend === undefined || divisor === undefined || call.args.length !== 2) return undefined
    return `(CASE WHEN typeof((${dividend}) + (${divisor})) LIKE 'DECIMAL%' THEN CAST(trunc((${dividend}) / (${divisor})) AS DECIMAL(38, 9)) ELSE (${dividend}) // (${divisor}) END)`
  },
  // BigQuery fails a division by zero (SAFE_DIVIDE and IEEE_DIVIDE do not); DuckDB answers NULL.
  [CHECKED_DIVISOR]: (call) => `(CASE WHEN (${call.args[0]}) = 0 THEN error('division by zero: ' || ${sqlText(call.args[0]!)}) ELSE (${call.args[0]}) END)`,
  // Debugging functions: an error while evaluating the first argument is caught (the catch
  // expression's own errors are not).
  ISERROR: (call) => (call.args.length === 1 ? isError(call.args[0]!) : undefined),
  IFERROR: (call) => (call.args.length === 2 ? `(CASE WHEN ${isError(call.args[0]!)} THEN ${call.args[1]} ELSE ${call.args[0]} END)` : undefined),
  NULLIFERROR: (call) => (call.args.length === 1 ? caught(call.args[0]!) : undefined),
  SAFE_ADD: (call) => (call.args.length === 2 ? safeOperation(call.args, ([left, right]) => `${left} + ${right}`) : undefined),
  SAFE_SUBTRACT: (call) => (call.args.length === 2 ? safeOperation(call.args, ([left, right]) => `${left} - ${right}`) : undefined),
  SAFE_MULTIPLY: (call) => (call.args.length === 2 ? safeOperation(call.args, ([left, right]) => `${left} * ${right}`) : undefined),
  SAFE_NEGATE: (call) => (call.args.length === 1 ? safeOperation(call.args, ([value]) => `-${value}`) : undefined),
  // Bytes are counted as they are; a string by its UTF-8 encoding.
  BYTE_LENGTH: (call) => `(CASE WHEN typeof(${call.args[0]}) = 'BLOB' THEN octet_length(TRY_CAST(${call.args[0]} AS BLOB)) ELSE strlen(CAST(${call.args[0]} AS VARCHAR)) END)`,
  CAST: (call) => castAs(call, "CAST"),
  [CAST_PARSE_MARKER]: (call) => parsedValue(call.args),
  [MD5_BYTES]: (call) => `unhex(md5(${call.args[0]}))`,
  // The session's zone is UTC: the zone-less results are the instants.
  [EPOCH_MILLIS]: (call) => `CAST(epoch_ms(${call.args[0]}) AS TIMESTAMPTZ)`,
  [EPOCH_MICROS]: (call) => `CAST(make_timestamp(${call.args[0]}) AS TIMESTAMPTZ)`,
  // DuckDB's strftime takes no TIME: a TIME the text shows is formatted on the epoch's day.
  [CAST_FORMAT_MARKER]: (call) =>
    /^\s*(TIME\s+'|CAST\([\s\S]*\sAS\s+TIME\s*\)\s*$)/i.test(call.args[0] ?? "") ? `STRFTIME(CAST('1970-01-01' AS DATE) + ${call.args[0]}, ${call.args[1]})` : `STRFTIME(${call.args[0]}, ${call.args[1]})`,
  [NUMBER_FORMAT_MARKER]: (call) => numberFormatted(call.args),
  [STRUCT_EQUALITY]: (call) => {
    const [left, right, count, op] = call.args
    if (left === undefined || right === undefined || count === undefined || op === undefined) return undefined
    // AND's three values: FALSE if a field differs, else NULL if one is NULL, else TRUE.
    const fields = Array.from({ length: Number(count) }, (_, k) => `(struct_extract_at(${left}, ${k + 1}) = struct_extract_at(${right}, ${k + 1}))`).join(" AND ")
    return op === "'!='" ? `(NOT (${fields}))` : `(${fields})`
  },
  [SAFE_FORMAT_MARKER]: (call) => (call.args.length === 1 ? `TRY(${call.args[0]})` : undefined),
  [CAST_OFFSET_MARKER]: (call) => offsetElement(call.args),
  TRY_CAST: (call) => castAs(call, "TRY_CAST"),
  IS_NAN: (call) => `ISNAN(${call.args.join(", ")})`,
  IS_INF: (call) => `ISINF(${call.args.join(", ")})`,
  [ARRAY_LENGTH_MARKER]: (call) => `LEN(${call.args[0]})`,
  [BIT_XOR_DISTINCT]: (call) => (call.args.length === 1 ? `bit_xor(DISTINCT ${call.args[0]})` : undefined),
  // Microseconds divided and rounded down, in integers (a FLOAT64 would round micros past 2^53).
  [UNIX_SECONDS_MARKER]: (call) => {
    const [micros, unit] = call.args
    return micros === undefined || unit === undefined || call.args.length !== 2 ? undefined : `(((${micros}) - (((${micros}) % ${unit}) + ${unit}) % ${unit}) // ${unit})`
  },
  [MAKE_INTERVAL_MARKER]: (call) => {
    const [year, month, day, hour, minute, second] = call.args
    if (second === undefined || call.args.length !== 6) return undefined
    const wide = (part: string) => `CAST(${part} AS BIGINT)`
    return `(to_months(CAST(${wide(year!)} * 12 + ${wide(month!)} AS INTEGER)) + to_days(CAST(${day} AS INTEGER)) + to_microseconds(${wide(hour!)} * 3600000000 + ${wide(minute!)} * 60000000 + ${wide(second)} * 1000000))`
  },
  [INTERVAL_PARTS_MARKER]: (call) => (call.args.length === 3 ? `(to_months(${call.args[0]}) + to_days(${call.args[1]}) + to_microseconds(${call.args[2]}))` : undefined),
  // A JSON value made (a literal, PARSE_JSON, TO_JSON, JSON_OBJECT): its objects' first member of
  // each name, in name order, as BigQuery keeps and writes them.
  // PARSE_JSON and JSON literals: numbers checked against the text, wide_number_mode named or not.
  JSON: (call) => {
    const mode = call.args.length === 1 ? "'exact'" : /^wide_number_mode\s*=>\s*([\s\S]+)$/i.exec(call.args[1]?.trim() ?? "")?.[1]
    if (call.args[0]?.trim().toUpperCase() === "NULL") return "CAST(NULL AS JSON)"
    return mode === undefined || call.args.length > 2 ? undefined : `CAST(${PARSE_JSON_FUNCTION}(CAST(${call.args[0]} AS VARCHAR), ${mode}) AS JSON)`
  },
  JSON_OBJECT: (call) => `CAST(${CANONICAL_JSON_FUNCTION}(CAST(${call.text} AS VARCHAR)) AS JSON)`,
  [JSON_OBJECT_PAIRS_MARKER]: (call) => (call.args.length === 2 ? `CAST(${JSON_OBJECT_PAIRS_FUNCTION}(${call.args[0]}, CAST(${call.args[1]} AS VARCHAR)) AS JSON)` : undefined),
  // The reciprocal trigonometric functions DuckDB lacks (COT it has, but 0 gives infinity there):
  // a zero denominator fails, as in BigQuery, and SAFE. makes that NULL.
  COT: (call) => (call.args.length === 1 ? reciprocal("COT", `tan(${call.args[0]})`) : undefined),
  CSC: (call) => (call.args.length === 1 ? reciprocal("CSC", `sin(${call.args[0]})`) : undefined),
  SEC: (call) => (call.args.length === 1 ? reciprocal("SEC", `cos(${call.args[0]})`) : undefined),
  COTH: (call) => (call.args.length === 1 ? reciprocal("COTH", `tanh(${call.args[0]})`) : undefined),
  CSCH: (call) => (call.args.length === 1 ? reciprocal("CSCH", `sinh(${call.args[0]})`) : undefined),
  SECH: (call) => (call.args.length === 1 ? reciprocal("SECH", `cosh(${call.args[0]})`) : undefined),
  JSON_FLATTEN: (call) => (call.args.length === 1 ? `CAST(${JSON_FLATTEN_FUNCTION}(CAST(${call.args[0]} AS VARCHAR)) AS JSON[])` : undefined),
  JSON_CONTAINS: (call) => (call.args.length === 2 ? `${JSON_CONTAINS_FUNCTION}(CAST(${call.args[0]} AS VARCHAR), CAST(${call.args[1]} AS VARCHAR))` : undefined),
  // The splits from start_split (1-based, negative from the end, 0 or before the first as 1), count of them.
  SPLIT_SUBSTR: (call) => {
    const [value, delimiter, start, count] = call.args
    if (value === undefined || delimiter === undefined || start === undefined || call.args.length > 4) return undefined
    const first = `(CASE WHEN (${start}) = 0 OR (${start}) < -len(mdp_parts) THEN 1 WHEN (${start}) < 0 THEN len(mdp_parts) + (${start}) + 1 ELSE (${start}) END)`
    const last = count === undefined ? "len(mdp_parts)" : `${first} + (${count}) - 1`
    const joined = `list_transform([string_split(${value}, ${delimiter})], mdp_parts -> array_to_string(list_slice(mdp_parts, ${first}, ${last}), ${delimiter}))[1]`
    // A NULL delimiter makes it NULL (DuckDB's string_split by NULL keeps the value whole).
    const counted = count === undefined ? joined : `CASE WHEN (${count}) < 0 THEN error('SPLIT_SUBSTR: count must not be negative, but is ' || (${count})) ELSE ${joined} END`
    return `(CASE WHEN (${delimiter}) IS NULL THEN NULL ELSE ${counted} END)`
  },
  JUSTIFY_DAYS: (call) => (call.args.length === 1 ? `${JUSTIFY_FUNCTIONS["JUSTIFY_DAYS"]}(${call.args[0]})` : undefined),
  JUSTIFY_HOURS: (call) => (call.args.length === 1 ? `${JUSTIFY_FUNCTIONS["JUSTIFY_HOURS"]}(${call.args[0]})` : undefined),
  JUSTIFY_INTERVAL: (call) => (call.args.length === 1 ? `${JUSTIFY_FUNCTIONS["JUSTIFY_INTERVAL"]}(${call.args[0]})` : undefined),
  // SPLIT by a NULL delimiter is NULL; DuckDB's str_split gives []. A literal delimiter (the usual
  // case, and what aliased-unnest.ts reads as a scalar array) needs no check.
  STR_SPLIT: (call) =>
    call.args.length === 2 && !/^'(?:[^']|'')*'$/.test(call.args[1]!.trim())
      ? `(CASE WHEN (${call.args[1]}) IS NULL THEN NULL ELSE STR_SPLIT(${call.args[0]}, ${call.args[1]}) END)`
      : undefined,
  // ARRAY_CONCAT is NULL when an argument is (array_functions#array_concat); DuckDB's skips it.
  LIST_CONCAT: (call) =>
    call.args.length === 0 ? undefined : `(CASE WHEN ${call.args.map((arg) => `(${arg}) IS NULL`).join(" OR ")} THEN NULL ELSE list_concat(${call.args.join(", ")}) END)`,
  // ARRAY(SELECT … UNION ALL SELECT …): polyglot writes LIST_VALUE(SELECT …), which DuckDB cannot parse.
  LIST_VALUE: (call) => (call.args.length === 1 && /^\s*(SELECT|WITH)\b/i.test(call.args[0]!) ? `ARRAY(${call.args[0]})` : undefined),
  [STRUCT_FIELDS_MARKER]: (call) => (call.args.length === 1 ? `UNNEST(${call.args[0]})` : undefined),
  [FIELD_MARKER]: (call) => (call.args.length === 2 && isStringLiteral(call.args[1]!) ? `(${call.args[0]}).${quoteIdentifier(literalText(call.args[1]!))}` : undefined),
  [ARRAY_ELEMENT_MARKER]: (call) => `(${call.args[0]})[${call.args[1]}]`,
  // BigQuery's buckets start from 1950-01-01 unless an origin is given; DuckDB's time_bucket from 2000.
  DATE_BUCKET: (call) => (call.args.length === 2 || call.args.length === 3 ? `CAST(TIME_BUCKET(${call.args[1]}, CAST(${call.args[0]} AS DATE), ${call.args[2] ?? "DATE '1950-01-01'"}) AS DATE)` : undefined),
  DATETIME_BUCKET: (call) => (call.args.length === 2 || call.args.length === 3 ? `TIME_BUCKET(${call.args[1]}, CAST(${call.args[0]} AS TIMESTAMP), ${call.args[2] ?? "TIMESTAMP '1950-01-01 00:00:00'"})` : undefined),
  TIMESTAMP_BUCKET: (call) => (call.args.length === 2 || call.args.length === 3 ? `TIME_BUCKET(${call.args[1]}, CAST(${call.args[0]} AS TIMESTAMPTZ), ${call.args[2] ?? "TIMESTAMPTZ '1950-01-01 00:00:00+00'"})` : undefined),
  // A key computed as a STRING (a JSON member) binds in the ARRAY branch too, where it is no index.
  [SUBSCRIPT_MARKER]: (call) => `(CASE WHEN typeof(${call.args[0]}) = 'JSON' THEN (${call.args[0]})[${call.args[1]}] ELSE (${call.args[0]})[TRY_CAST(${call.args[1]} AS BIGINT) + 1] END)`,
  [APPROX_QUANTILES_MARKER]: (call) => {
    const n = Number(call.args[1])
    return `QUANTILE_DISC(${call.args[0]}, [${Array.from({ length: n + 1 }, (_, k) => String(k / n)).join(", ")}]::DOUBLE[])`
  },
  // The k-th of n quantiles is the sorted values' floor(k / n * (m - 1))-th (from 0), as DuckDB's
  // QUANTILE_DISC picks them for the plain form; one NULL among DISTINCT values when respected.
  [QUANTILES_OF_LIST_MARKER]: (call) => {
    const [value, n, distinct, respectNulls] = call.args
    if (value === undefined || n === undefined || distinct === undefined || respectNulls === undefined) return undefined
    const nullRows = `count(*) FILTER (WHERE (${value}) IS NULL)`
    const nullsFirst = respectNulls !== "TRUE" ? "[]" : distinct === "TRUE" ? `CASE WHEN ${nullRows} > 0 THEN [NULL] ELSE [] END` : `list_transform(range(${nullRows}), mdp_i -> NULL)`
    const known = distinct === "TRUE" ? `list_distinct(list(${value}))` : `list_filter(list(${value}), mdp_v -> mdp_v IS NOT NULL)`
    const values = `list_concat(${nullsFirst}, list_sort(${known}))`
    return `list_transform([${values}], mdp_l -> CASE WHEN len(mdp_l) = 0 THEN NULL ELSE list_transform(range(0, ${n} + 1), mdp_k -> mdp_l[CAST(floor(mdp_k / ${n} * (len(mdp_l) - 1)) AS BIGINT) + 1]) END)[1]`
  },
  [UNNEST_VALUE]: (call) => `UNNEST(${call.args[0]})`,
  [UNNEST_OFFSET]: (call) => `(GENERATE_SUBSCRIPTS(${call.args[0]}, 1) - 1)`,
  [DATE_IN_ZONE]: (call) => `CAST(TIMEZONE(${call.args[1]}, ${call.args[0]}) AS DATE)`,
  // ARRAY<BYTES> joined by a BYTES separator is BYTES (GA4's URL decoding); DuckDB's joins text only.
  ARRAY_TO_STRING: (call) => {
    const [array, separator] = call.args
    if (array === undefined || separator === undefined || call.args.length !== 2 || !/^(CAST\([\s\S]*\bAS BLOB\)|UNHEX\('[0-9a-fA-F]*'\))$/i.test(separator.trim())) return undefined
    const present = `list_filter(${array}, mdp_b -> mdp_b IS NOT NULL)`
    return `(CASE WHEN (${array}) IS NULL THEN NULL WHEN len(${present}) = 0 THEN CAST('' AS BLOB) ELSE list_reduce(${present}, (mdp_x, mdp_y) -> mdp_x || ${separator} || mdp_y) END)`
  },
  // The position of the point's upper bound in the sorted array: the elements at or below it.
  [RANGE_BUCKET_MARKER]: (call) => {
    const [point, array] = call.args
    if (point === undefined || array === undefined) return undefined
    return `(CASE WHEN len(list_filter(${array}, mdp_e -> mdp_e IS NULL)) > 0 THEN error('RANGE_BUCKET: the array has a NULL element') WHEN (${point}) IS NULL THEN NULL ELSE len(list_filter(${array}, mdp_e -> mdp_e <= (${point}))) END)`
  },
  [STRING_IN_ZONE]: (call) => `(${narrowedFraction(`CAST(TIMEZONE(${call.args[1]}, ${call.args[0]}) AS VARCHAR)`)} || ${utcOffsetText(call.args[0]!, call.args[1]!)})`,
  [FORMAT_TIMESTAMP_IN_ZONE]: (call) => `STRFTIME(TIMEZONE(${call.args[2]}, ${call.args[1]}), ${call.args[0]})`,
  DATE_TRUNC: (call) => {
    const [part, value] = call.args
    if (part === undefined || value === undefined) return undefined
    // BigQuery weeks start on Sunday, DuckDB's (ISO) weeks on Monday.
    if (/^'WEEK'$/i.test(part)) return `(DATE_TRUNC('WEEK', ${value} + INTERVAL 1 DAY) - INTERVAL 1 DAY)`
    // Weeks starting on another day: shifted onto DuckDB's Monday weeks and back.
    const weekday = /^'WEEK\s*\(\s*(\w+)\s*\)'$/i.exec(part)?.[1]?.toUpperCase()
    const sundayFirst = weekday === undefined ? -1 : WEEKDAYS.indexOf(weekday)
    const isoDay = sundayFirst < 0 ? -1 : ((sundayFirst + 6) % 7) + 1
    if (isoDay > 0) {
      const shift = (8 - isoDay) % 7
      return shift === 0 ? `DATE_TRUNC('WEEK', ${value})` : `(DATE_TRUNC('WEEK', ${value} + INTERVAL ${shift} DAY) - INTERVAL ${shift} DAY)`
    }
    if (/^'ISOWEEK'$/i.test(part)) return `DATE_TRUNC('WEEK', ${value})`
    // The Monday of ISO week 1, reached by going back whole weeks: a TIMESTAMP stays one (MAKE_DATE
    // would make it a DATETIME).
    if (/^'ISOYEAR'$/i.test(part)) return `DATE_TRUNC('WEEK', ${value} - to_days(CAST(7 * (week(${value}) - 1) AS INTEGER)))`
    return undefined
  },
  // DuckDB has no LIMIT inside an aggregate: the first n of the ordered list, NULL when none (LIMIT 0)
  // as over no rows.
  [AGGREGATE_LIMIT]: (call) => {
    const [list, limit, separator] = call.args
    const sliced = `NULLIF(LIST_SLICE(${list}, 1, ${limit}), [])`
    return separator === undefined ? sliced : `ARRAY_TO_STRING(${sliced}, ${separator})`
  },
  // SAFE.f(…): NULL where f fails. The checks the translation added as error(…) give NULL instead
  // (DuckDB's TRY refuses a volatile function such as error inside it).
  [SAFE_MARKER]: (call) => {
    // The arguments the translation kept in their markers: evaluated once, outside the TRY.
    const tokens = tokenize(call.args.join(", "), "duckdb")
    const lifted = new Map<string, { readonly name: string; readonly text: string }>()
    const spans = new Map<number, { readonly end: number; readonly text: string }>()
    for (let k = 0; k < tokens.length; k++) {
      const index = tokens[k]!.kind === "word" ? new RegExp(`^${SAFE_ARGUMENT}(\\d+)__$`, "i").exec(tokens[k]!.text)?.[1] : undefined
      const open = index === undefined ? -1 : nextSignificant(tokens, k + 1)
      if (index === undefined || tokens[open]?.text !== "(") continue
      const close = matchingParen(tokens, open)
      if (close < 0) continue
      // Named by order of appearance: the markers' numbers differ from one translation to the next.
      if (!lifted.has(index)) lifted.set(index, { name: `o${lifted.size}`, text: render(tokens.slice(open + 1, close)) })
      spans.set(k, { end: close, text: `mdp_safe.${lifted.get(index)!.name}` })
      k = close
    }
    const within = rewriteCalls(withSpansReplaced(tokens, spans), "duckdb", { ERROR: () => "NULL" })
    if (lifted.size === 0) return `TRY(${within})`
    return `list_transform([{${[...lifted.values()].map(({ name, text }) => `'${name}': ${text}`).join(", ")}}], mdp_safe -> TRY(${within}))[1]`
  },
  // DuckDB has no JSON_QUERY_ARRAY; extracting with a path and casting gives the list of elements.
  JSON_QUERY_ARRAY: jsonArray,
  JSON_EXTRACT_ARRAY: jsonArray
}

const fullCaseMap = (name: "UPPER" | "LOWER", value: string): string =>
  /^'[\x00-\x7f]*'$/.test(value.trim())
    ? `${name}(${value})`
    : `(CASE WHEN strlen(${value}) = length(${value}) THEN ${name}(${value}) ELSE ${CASE_MAP_FUNCTIONS[name]}(${value}) END)`

/** 1 / denominator as a FLOAT64, failing where the denominator is 0. */
const reciprocal = (name: string, denominator: string): string =>
  `(CASE WHEN (${denominator}) = 0 THEN error('${name}: division by zero') ELSE 1 / CAST(${denominator} AS DOUBLE) END)`

/**
 * A SAFE_ operation: NULL where the operation itself overflows, FLOAT64 included (DuckDB gives an
 * infinity). The operands are bound by a lambda outside TRY, so that an error in them is raised as
 * BigQuery raises it, and so that TRY accepts them: DuckDB refuses TRY around error(), which the
 * translation writes for checked casts and divisions.
 */
const safeOperation = (operands: ReadonlyArray<string>, operation: (names: ReadonlyArray<string>) => string): string => {
  const names = operands.map((_, k) => `mdp_safe.o${k}`)
  const result = `TRY(${operation(names)})`
  const infinite = (value: string) => `isinf(CAST(${value} AS DOUBLE))`
  const overflowed = `${infinite(result)} AND NOT (${names.map(infinite).join(" OR ")})`
  return `list_transform([{${operands.map((operand, k) => `'o${k}': ${operand}`).join(", ")}}], mdp_safe -> CASE WHEN ${overflowed} THEN NULL ELSE ${result} END)[1]`
}

/**
 * An expression under TRY, NULL where it fails. DuckDB refuses TRY around error() (volatile), and
 * raises a constant's failed conversion while binding, so the translation's error() calls become a
 * conversion that fails only when evaluated: of a lambda's parameter, which is never a constant.
 * Scalar subqueries and aggregates stay refused, by DuckDB's binder.
 */
const caught = (expression: string): string => {
  const raising = rewriteCalls(expression, "duckdb", { ERROR: () => "(CASE WHEN CAST('x' || mdp_try AS INTEGER) IS NOT NULL THEN NULL END)" })
  return `list_transform([1], mdp_try -> TRY(${raising}))[1]`
}

/** Whether evaluating an expression fails (TRY's NULL told apart from the expression's own). */
const isError = (expression: string): string => `(${caught(`(${expression}) IS NULL`)} IS NULL)`

/**
 * COSINE_DISTANCE and EUCLIDEAN_DISTANCE (mathematical_functions#cosine_distance): DuckDB's list
 * functions for dense vectors (ARRAY<FLOAT64>), with BigQuery's errors (vectors of different
 * lengths, a NULL magnitude, and for the cosine a zero vector, where DuckDB returns 2 or NULL). A
 * sparse vector, an array of (dimension, magnitude) pairs written as tuples or STRUCTs, is read by
 * dimension; a repeated dimension is an error. Whether a vector is sparse is read from its text: a
 * column of pairs meets DuckDB's own refusal of a list of STRUCTs.
 */
const vectorDistance = (call: Call, name: "COSINE_DISTANCE" | "EUCLIDEAN_DISTANCE"): string | undefined => {
  const [left, right] = call.args
  if (call.args.length !== 2 || left === undefined || right === undefined) return undefined
  const isSparse = (vector: string) => /^\[\s*(\(|\{|STRUCT\b|ROW\s*\()/i.test(vector.trim())
  if (isSparse(left) !== isSparse(right)) return undefined
  const fail = (reason: string) => `error('${name}: ${reason}')`
  const cosine = name === "COSINE_DISTANCE"
  if (!isSparse(left)) {
    const zero = (v: string) => `coalesce(list_max(list_transform(${v}, x -> abs(x))), 0) = 0`
    const distance = cosine ? "list_cosine_distance(mdp_v.a, mdp_v.b)" : "list_distance(mdp_v.a, mdp_v.b)"
    return `list_transform([{'a': ${left}, 'b': ${right}}], mdp_v -> CASE WHEN mdp_v.a IS NULL OR mdp_v.b IS NULL THEN NULL
      WHEN len(mdp_v.a) <> len(mdp_v.b) THEN ${fail("the vectors have different lengths")}
      WHEN list_count(mdp_v.a) < len(mdp_v.a) OR list_count(mdp_v.b) < len(mdp_v.b) THEN ${fail("a magnitude is NULL")}
      ${cosine ? `WHEN ${zero("mdp_v.a")} OR ${zero("mdp_v.b")} THEN ${fail("a vector is a zero vector")}` : ""}
      ELSE CAST(${distance} AS DOUBLE) END)[1]`
  }
  const dimension = (pair: string) => `struct_extract_at(${pair}, 1)`
  const magnitude = (pair: string) => `CAST(struct_extract_at(${pair}, 2) AS DOUBLE)`
  // The magnitude of `pair`'s dimension in `other` (0 where it has none).
  const matching = (pair: string, other: string) => `coalesce(list_sum(list_transform(list_filter(${other}, y -> ${dimension("y")} = ${dimension(pair)}), y -> ${magnitude("y")})), 0)`
  const squares = (v: string) => `coalesce(list_sum(list_transform(${v}, x -> ${magnitude("x")} * ${magnitude("x")})), 0)`
  const repeated = (v: string) => `len(list_distinct(list_transform(${v}, x -> ${dimension("x")}))) < len(${v})`
  const nullMagnitude = (v: string) => `list_count(list_filter(${v}, x -> ${magnitude("x")} IS NULL)) > 0`
  const distance = cosine
    ? `1 - coalesce(list_sum(list_transform(mdp_v.a, x -> ${magnitude("x")} * ${matching("x", "mdp_v.b")})), 0) / (sqrt(${squares("mdp_v.a")}) * sqrt(${squares("mdp_v.b")}))`
    : `sqrt(coalesce(list_sum(list_transform(mdp_v.a, x -> pow(${magnitude("x")} - ${matching("x", "mdp_v.b")}, 2))), 0)
        + coalesce(list_sum(list_transform(list_filter(mdp_v.b, y -> NOT list_bool_or(list_transform(mdp_v.a, x -> ${dimension("x")} = ${dimension("y")}))), y -> ${magnitude("y")} * ${magnitude("y")})), 0))`
  return `list_transform([{'a': ${left}, 'b': ${right}}], mdp_v -> CASE WHEN mdp_v.a IS NULL OR mdp_v.b IS NULL THEN NULL
    WHEN ${nullMagnitude("mdp_v.a")} OR ${nullMagnitude("mdp_v.b")} THEN ${fail("a magnitude is NULL")}
    WHEN ${repeated("mdp_v.a")} OR ${repeated("mdp_v.b")} THEN ${fail("a sparse vector repeats a dimension")}
    ${cosine ? `WHEN ${squares("mdp_v.a")} = 0 OR ${squares("mdp_v.b")} = 0 THEN ${fail("a vector is a zero vector")}` : ""}
    ELSE CAST(${distance} AS DOUBLE) END)[1]`
}

/** `left * right`, a NUMERIC product computed as BigQuery does (see NUMERIC_MULTIPLY_FUNCTION); typeof is read without evaluating the product. */
const product = (left: string, right: string): string =>
  `(CASE WHEN typeof((${left}) * (${right})) = 'DECIMAL(38,18)' THEN ${NUMERIC_MULTIPLY_FUNCTION}(${left}, ${right}) ELSE (${left}) * (${right}) END)`

// Cut before quoting: a cut through a doubled quote would end the literal early.
const sqlText = (expression: string): string => `'${expression.slice(0, 80).replaceAll("'", "''")}'`

const INT64_TEXT = `'^\\s*[+-]?(\\d+|0[xX][0-9a-fA-F]+)\\s*$'`

// JSON_VALUE: a string, or NULL for an object or array. DuckDB's json_value is NULL for those and
// keeps a scalar as JSON, which ->> '$' reads as text: 2.3 times faster inside a list lambda than
// testing json_type of an extraction (Meta's actions, every row of its staging).
const jsonScalar = (value: string, path: string): string => `(json_value(${value}, ${path}) ->> '$')`

/** Whether an expression is one JSON_VALUE as jsonScalar writes it (its answer a string, whatever the document). */
const isJsonScalar = (expression: string): boolean => {
  if (!expression.startsWith("(json_value(") || !expression.endsWith(") ->> '$')")) return false
  // The call's own parenthesis must close just before ->> '$', not an earlier one.
  const tokens = significantTokens(expression, "duckdb")
  let depth = 0
  for (let k = 0; k < tokens.length; k++) {
    const text = tokens[k]!.text
    if (text === "(") depth++
    if (text === ")") depth--
    // After it: ) - > > '$' ) (the tokenizer splits ->>).
    if (depth === 1 && k > 2) return tokens.length - k === 6
  }
  return false
}

/**
 * Casts whose answer depends on the value's type, decided by DuckDB's typeof (constant for a
 * query): to STRING, NUMERIC and FLOAT64 print as BigQuery prints them ("0.3", not "0.300000000";
 * "1", not "1.0"); from STRING to INT64, only an integer's text converts (DuckDB rounds "1.5"); from
 * STRING to BOOL, only 'true' and 'false'.
 */
// A value this long is bound once by a lambda before the type dispatch repeats it: nested casts of
// long expressions (a time zone conversion) otherwise grow many times over at each level.
const LONG_CAST_OPERAND = 400

const castAs = (call: Call, cast: "CAST" | "TRY_CAST"): string | undefined => {
  const toInterval = /^([\s\S]+)\s+AS\s+INTERVAL$/i.exec(call.args[0] ?? "")
  if (toInterval !== null && call.args.length === 1) {
    // A STRING in BigQuery's interval formats ('1-2 3 10:20:30.456', 'P1Y2M3D'), which DuckDB does not read.
    const value = `(${toInterval[1]!.trim()})`
    return `(CASE WHEN typeof(${value}) = 'VARCHAR' THEN CAST(${INTERVAL_FROM_TEXT_FUNCTION}(CAST(${value} AS VARCHAR), ${cast === "TRY_CAST" ? "TRUE" : "FALSE"}) AS INTERVAL) ELSE ${cast}(${value} AS INTERVAL) END)`
  }
  const match = /^([\s\S]+)\s+AS\s+(TEXT|VARCHAR|BIGINT|BOOLEAN|BLOB|DOUBLE|DECIMAL|DECIMAL\(38, 9\))$/i.exec(call.args[0] ?? "")
  if (match === null || call.args.length !== 1) return undefined
  if (match[1]!.length > LONG_CAST_OPERAND) {
    const dispatched = castAs({ ...call, args: [`mdp_cast_operand AS ${match[2]}`] }, cast)
    if (dispatched !== undefined) return `list_transform([${match[1]!.trim()}], mdp_cast_operand -> ${dispatched})[1]`
  }
  const value = `(${match[1]!.trim()})`
  const plain = `${cast}(${value} AS ${match[2]})`
  // A literal's type is plain to see: a NULL or an integer needs no dispatch.
  if (/^\((NULL|[+-]?\d+)\)$/i.test(value)) return undefined
  if (/^BLOB$/i.test(match[2]!)) {
    // A STRING's UTF-8 bytes (DuckDB's cast reads \x escapes and refuses other non-ASCII text).
    return `(CASE WHEN typeof(${value}) = 'VARCHAR' THEN encode(CAST(${value} AS VARCHAR)) ELSE ${plain} END)`
  }
  if (/^BOOLEAN$/i.test(match[2]!)) {
    // BigQuery reads only 'true' and 'false' (in any case) as a BOOL; DuckDB also 't', '1', 'yes'….
    const text = `CAST(${value} AS VARCHAR)`
    const invalid = cast === "CAST" ? `error('Bad bool value: ' || ${text})` : "NULL"
    const fromText = `(CASE lower(${text}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE ELSE ${invalid} END)`
    return isJsonScalar(match[1]!.trim()) ? fromText : `(CASE WHEN typeof(${value}) = 'VARCHAR' THEN ${fromText} ELSE ${plain} END)`
  }
  // JSON_VALUE's answer is a string: no dispatch on its type (staging reads every metric this way,
  // and the dispatch made its statements a third of their planning time and twice as long).
  const isText = isJsonScalar(match[1]!.trim())
  if (/^(DOUBLE|DECIMAL)/i.test(match[2]!)) {
    // DuckDB reads an underscore between digits ('1_000') as a separator; BigQuery's cast fails.
    // A literal without one (NUMERIC '1.5') needs no test.
    if (/^\('[^'_\\]*'\)$/.test(value)) return undefined
    const invalid = cast === "CAST" ? `error('${/^DOUBLE$/i.test(match[2]!) ? "Bad double value" : "Invalid NUMERIC value"}: ' || CAST(${value} AS VARCHAR))` : "NULL"
    if (isText) return `(CASE WHEN contains(${value}, '_') THEN ${invalid} ELSE ${plain} END)`
    return `(CASE WHEN typeof(${value}) = 'VARCHAR' AND contains(CAST(${value} AS VARCHAR), '_') THEN ${invalid} ELSE ${plain} END)`
  }
  if (/^BIGINT$/i.test(match[2]!)) {
    const invalid = cast === "CAST" ? `error('Bad int64 value: ' || CAST(${value} AS VARCHAR))` : "NULL"
    // A FLOAT64 rounds half away from zero, where DuckDB rounds half to even.
    // Only a text with a point, an exponent or an underscore (a digit separator to DuckDB) can be one DuckDB converts and BigQuery does not; the
    // cheap test first keeps the regular expression off the usual digits-only row.
    if (isText) {
      return `(CASE WHEN (contains(${value}, '.') OR contains(${value}, 'e') OR contains(${value}, 'E') OR contains(${value}, '_')) AND NOT regexp_full_match(${value}, ${INT64_TEXT}) THEN ${invalid} WHEN ${signedHex(value, cast)} ELSE ${plain} END)`
    }
    const text = `CAST(${value} AS VARCHAR)`
    return `(CASE WHEN typeof(${value}) = 'VARCHAR' AND (contains(${text}, '.') OR contains(${text}, 'e') OR contains(${text}, 'E') OR contains(${text}, '_')) AND NOT regexp_full_match(${text}, ${INT64_TEXT}) THEN ${invalid} WHEN typeof(${value}) = 'VARCHAR' AND ${signedHex(text, cast)} WHEN typeof(${value}) IN ('DOUBLE', 'FLOAT') THEN ${cast}(round(TRY_CAST(${value} AS DOUBLE)) AS BIGINT) ELSE ${plain} END)`
  }
  if (isText) return plain
  // BYTES as UTF-8 text (DuckDB's cast escapes every byte above 0x7F): invalid UTF-8 fails, or is
  // NULL for SAFE_CAST. DuckDB's escaped text casts back to the same bytes, and binds for any type.
  const decoded = `decode(CAST(CAST(${value} AS VARCHAR) AS BLOB))`
  const fromBytes = cast === "CAST" ? decoded : `try(${decoded})`
  return `(CASE WHEN typeof(${value}) LIKE 'DECIMAL%' THEN rtrim(rtrim(${plain}, '0'), '.') WHEN typeof(${value}) = 'DOUBLE' THEN ${DOUBLE_TEXT_FUNCTION}(TRY_CAST(${value} AS DOUBLE)) WHEN typeof(${value}) = 'BLOB' THEN ${fromBytes} WHEN typeof(${value}) = 'INTERVAL' THEN ${INTERVAL_TEXT_FUNCTION}(${value}) WHEN starts_with(typeof(${value}), '${RANGE_TYPE_PREFIX}') THEN ${RANGE_TEXT_FUNCTION}(${value}) WHEN typeof(${value}) IN ('TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'TIME') THEN ${narrowedFraction(plain)} ELSE ${plain} END)`
}

/**
 * The WHEN … THEN of an INT64 text with an x in it: hexadecimal, which BigQuery reads with a sign
 * and spaces (`-0x123`) and DuckDB's cast only bare (`0x123`). A Node function reads it, failing as
 * BigQuery's cast does (NULL for SAFE_CAST, not through TRY(…), which DuckDB refuses around a window
 * function). Two contains() cost less per row than upper().
 */
const signedHex = (text: string, cast: "CAST" | "TRY_CAST"): string =>
  `(contains(${text}, 'x') OR contains(${text}, 'X')) THEN ${HEX_INT64_FUNCTION}(${text}, ${cast === "CAST" ? "false" : "true"})`

const TIMESTAMP_TYPE = "MDP_TIMESTAMP_TZ"

const KEYWORDS_BEFORE_A_NAME = new Set(["AS", "BY", "SELECT", "DISTINCT", "AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "ON", "IN", "IS", "WHERE", "FROM", "HAVING", "QUALIFY", "RETURN", "LIKE", "BETWEEN", "END", "ALL", "USING", "SET"])

/**
 * BigQuery's TIMESTAMP is an instant, DuckDB's TIMESTAMPTZ; polyglot maps the type name to DuckDB's
 * zone-less TIMESTAMP (which it also makes of DATETIME), and functions of a time zone then read it
 * as local time. The type where it is a type (a CAST, a column, a field, a parameter, a DECLARE)
 * goes through polyglot as a name it keeps, and comes out as TIMESTAMPTZ.
 */
/**
 * Whether a word inside ARRAY<…>/STRUCT<…>, between `before` and `next`, is a type: after a field's
 * name (`STRUCT<n INTEGER>`), or alone in its place (`ARRAY<INTEGER>`, `STRUCT<INT64, INTEGER>`); not
 * a field named like a type (`STRUCT<integer INT64>`, FHIR's `value.integer`).
 */
const typeInAngles = (before: Token | undefined, next: Token | undefined): boolean =>
  before?.kind === "word" || before?.kind === "quoted" || ((before?.text === "<" || before?.text === ",") && (next?.text === "," || next?.text === ">" || next?.text === "<"))

const timestampTypes = (sql: string): string => {
  if (!/timestamp/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const replace = new Set<number>()
  const literals = new Map<number, string>()
  // Open parentheses, each with the word before it; the depth of ARRAY<…>/STRUCT<…>.
  const parens: Array<string> = []
  let angles = 0
  for (let k = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "(") parens.push(word(k - 1))
    if (text === ")") parens.pop()
    if (text === "<" && (word(k - 1) === "ARRAY" || word(k - 1) === "STRUCT")) angles++
    if (text === ">" && angles > 0) angles--
    if (word(k) !== "TIMESTAMP") continue
    const next = significant[k + 1]?.token
    // A literal is an instant too: TIMESTAMP '…' as a cast (polyglot made it zone-less).
    if (next?.kind === "string" && !/^[bBrR]/.test(next.text)) {
      literals.set(significant[k]!.index, "CAST(")
      literals.set(significant[k + 1]!.index, `${next.text} AS ${TIMESTAMP_TYPE})`)
      continue
    }
    if (next?.kind === "string" || next?.text === "(") continue
    const before = significant[k - 1]?.token
    const inCast = word(k - 1) === "AS" && ["CAST", "SAFE_CAST"].includes(parens[parens.length - 1] ?? "")
    const inAngles = angles > 0 && typeInAngles(before, next)
    // A column or parameter name, then the type; not a keyword, then a column named timestamp.
    const afterName =
      (before?.kind === "quoted" || (before?.kind === "word" && !KEYWORDS_BEFORE_A_NAME.has(word(k - 1)))) &&
      (next === undefined || [",", ")", ">", ";"].includes(next.text) || ["NOT", "OPTIONS", "DEFAULT"].includes(word(k + 1)))
    if (inCast || inAngles || afterName) replace.add(significant[k]!.index)
  }
  return replace.size === 0 && literals.size === 0 ? sql : tokens.map((token, index) => literals.get(index) ?? (replace.has(index) ? TIMESTAMP_TYPE : token.text)).join("")
}

// BigQuery's aliases of INT64 (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#integer_types).
const INT64_ALIASES = new Set(["INT", "INTEGER", "SMALLINT", "TINYINT", "BYTEINT"])

/**
 * INT, INTEGER, SMALLINT, TINYINT and BYTEINT as a column's or a parameter's type, or inside
 * ARRAY<…>/STRUCT<…>, are INT64 in BigQuery: polyglot kept them, which DuckDB reads as 32-, 16- and
 * 8-bit integers (a `CREATE TABLE t (id INTEGER)` overflowed at 2^31) or does not know (BYTEINT).
 * Casts are translated on their own.
 */
const integerTypes = (sql: string): string => {
  if (!/\b(INT|INTEGER|SMALLINT|TINYINT|BYTEINT)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const replace = new Set<number>()
  let angles = 0
  for (let k = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "<" && (word(k - 1) === "ARRAY" || word(k - 1) === "STRUCT")) angles++
    if (text === ">" && angles > 0) angles--
    if (!INT64_ALIASES.has(word(k))) continue
    const before = significant[k - 1]?.token
    const next = significant[k + 1]?.token
    if (next?.text === "(" || next?.text === ".") continue
    const inAngles = angles > 0 && typeInAngles(before, next)
    // A column or parameter name, then the type; not a keyword, then a column named int.
    const afterName =
      (before?.kind === "quoted" || (before?.kind === "word" && !KEYWORDS_BEFORE_A_NAME.has(word(k - 1)))) &&
      (next === undefined || [",", ")", ">", ";"].includes(next.text) || ["NOT", "OPTIONS", "DEFAULT", "PRIMARY", "REFERENCES"].includes(word(k + 1)))
    if (inAngles || afterName) replace.add(significant[k]!.index)
  }
  return replace.size === 0 ? sql : tokens.map((token, index) => (replace.has(index) ? "INT64" : token.text)).join("")
}

/** Numbers written with a point or an exponent are FLOAT64 in BigQuery; DuckDB reads them as DECIMAL. */
const floatLiterals = (sql: string): string => {
  const tokens = tokenize(sql, "duckdb")
  if (!tokens.some((token) => (token.kind === "number" && /[.eE]/.test(token.text)) || token.text === TIMESTAMP_TYPE)) return sql
  return tokens
    .map((token) => (token.kind === "number" && /[.eE]/.test(token.text) ? `CAST(${token.text} AS DOUBLE)` : token.text === TIMESTAMP_TYPE ? "TIMESTAMPTZ" : token.text))
    .join("")
}

// Words a constant row's item may hold beside calls: literals, CAST's types and INTERVAL parts.
const CONSTANT_WORDS = /^(NULL|TRUE|FALSE|AS|CAST|TRY_CAST|DATE|TIME|TIMESTAMP|TIMESTAMPTZ|INTERVAL|DOUBLE|FLOAT|BIGINT|INTEGER|HUGEINT|VARCHAR|TEXT|BOOLEAN|BLOB|JSON|DECIMAL|YEAR|MONTH|DAY|HOUR|MINUTE|SECOND|MICROSECOND|MILLISECOND|AND|OR|NOT|IS|CASE|WHEN|THEN|ELSE|END)$/i

/**
 * A chain of FROM-less SELECTs joined by UNION ALL (a CTE of literal rows, as BigQuery's
 * documentation builds its examples) as DuckDB's VALUES, which keeps the rows in order: DuckDB ran
 * the branches as parallel pipelines, so ARRAY_AGG over them listed the rows in a varying order
 * where BigQuery lists them as written. Only where every item is a constant, the branches have as
 * many items, and the first branch names each of them.
 */
const constantUnionsAsValues = (sql: string): string => {
  if (!/\bUNION\s+ALL\s+SELECT\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const upper = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : significant[k]?.token.text ?? "")
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  for (let k = 0; k < significant.length; k++) {
    // A chain starts a query: the statement, or right after an opening parenthesis.
    if (upper(k) !== "SELECT" || (k > 0 && upper(k - 1) !== "(")) continue
    const rows: Array<ReadonlyArray<readonly [number, number]>> = []
    let names: Array<string> | undefined
    let m = k
    let end = -1
    let valid = true
    while (valid) {
      // One branch: its items up to UNION, a closing parenthesis at its level, or the end.
      const items: Array<readonly [number, number]> = []
      let depth = 0
      let itemStart = m + 1
      let n = m + 1
      for (; n < significant.length; n++) {
        const text = upper(n)
        if (text === "(" || text === "[" || text === "{") depth++
        else if (text === ")" || text === "]" || text === "}") {
          if (depth === 0) break
          depth--
        } else if (depth === 0 && (text === "," || text === "UNION" || text === ";")) {
          if (text !== ",") break
          items.push([itemStart, n - 1])
          itemStart = n + 1
        } else if (depth === 0 && /^(FROM|WHERE|GROUP|HAVING|ORDER|LIMIT|QUALIFY|WINDOW|DISTINCT|INTERSECT|EXCEPT)$/.test(text)) valid = false
        else if (text === "SELECT" || text === "OVER") valid = false
        else if (significant[n]!.token.kind === "word" && !CONSTANT_WORDS.test(text) && upper(n + 1) !== "(" && upper(n - 1) !== "AS") valid = false
        // A quoted name is a column (an outer one, in a correlated subquery), unless it is the alias.
        else if (significant[n]!.token.kind === "quoted" && upper(n - 1) !== "AS") valid = false
      }
      if (!valid || itemStart > n - 1) break
      items.push([itemStart, n - 1])
      if (names === undefined) {
        names = items.map(([, last]) => (upper(last - 1) === "AS" ? significant[last]!.token.text : ""))
        if (names.some((name) => name === "")) valid = false
      }
      if (rows.length > 0 && items.length !== rows[0]!.length) valid = false
      rows.push(items)
      end = n - 1
      if (upper(n) === "UNION" && upper(n + 1) === "ALL" && upper(n + 2) === "SELECT") m = n + 2
      else break
    }
    if (!valid || rows.length < 2 || names === undefined) continue
    const value = ([first, last]: readonly [number, number]) => {
      const to = upper(last - 1) === "AS" ? last - 2 : last
      return render(tokens.slice(significant[first]!.index, significant[to]!.index + 1)).trim()
    }
    const values = rows.map((items) => `(${items.map(value).join(", ")})`).join(", ")
    edits.set(significant[k]!.index, { end: significant[end]!.index, text: `SELECT * FROM (VALUES ${values}) AS mdp_values(${names.join(", ")})` })
    k = end
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

const TYPED_LITERAL = /^(NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)$/i

const nextSignificantToken = (tokens: ReadonlyArray<Token>, from: number): { readonly token: Token; readonly index: number } | undefined => {
  for (let k = from + 1; k < tokens.length; k++) if (isSignificant(tokens[k]!)) return { token: tokens[k]!, index: k }
  return undefined
}

/**
 * `INTERVAL x PART` or `INTERVAL 'text' PART TO PART` ending at token `end` (its last part): the
 * INTERVAL's index, or undefined. The part is no operand of its own (`INTERVAL 10 YEAR / 3`).
 */
const intervalLiteralStart = (tokens: ReadonlyArray<Token>, end: number): number | undefined => {
  if (tokens[end]?.kind !== "word" || !INTERVAL_PART.test(tokens[end]!.text)) return undefined
  let k = previousSignificant(tokens, end)
  // `HOUR TO SECOND`: the range's first part.
  if (tokens[k]?.kind === "word" && tokens[k]!.text.toUpperCase() === "TO") {
    k = previousSignificant(tokens, previousSignificant(tokens, k))
  }
  // The quantity: a literal, or a parenthesised expression.
  if (tokens[k]?.text === ")") {
    let depth = 0
    for (; k >= 0; k--) {
      if (tokens[k]!.text === ")") depth++
      if (tokens[k]!.text === "(" && --depth === 0) break
    }
  }
  if (tokens[k]?.kind === "punct" && tokens[k]!.text !== "(") return undefined
  const before = previousSignificant(tokens, k)
  const negative = tokens[before]?.text === "-" ? previousSignificant(tokens, before) : before
  return tokens[negative]?.kind === "word" && tokens[negative]!.text.toUpperCase() === "INTERVAL" ? negative : undefined
}
const INTERVAL_PART = /^(YEAR|QUARTER|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)$/i

/** The operand after `/` at token `slash`: a literal, a name chain, a call, a group, a CASE … END. */
const divisorEnd = (tokens: ReadonlyArray<Token>, slash: number): { readonly start: number; readonly end: number } | undefined => {
  let i = slash + 1
  while (i < tokens.length && !isSignificant(tokens[i]!)) i++
  const start = i
  if (tokens[i]?.text === "-" || tokens[i]?.text === "+") {
    i++
    while (i < tokens.length && !isSignificant(tokens[i]!)) i++
  }
  const closeOf = (open: number, opener: string, closer: string): number => {
    let depth = 0
    for (let j = open; j < tokens.length; j++) {
      if (tokens[j]!.text === opener) depth++
      if (tokens[j]!.text === closer && --depth === 0) return j
    }
    return -1
  }
  const token = tokens[i]
  if (token === undefined) return undefined
  let end: number
  // `INTERVAL x PART [TO PART]`: to its last part.
  if (token.kind === "word" && token.text.toUpperCase() === "INTERVAL") {
    for (let k = i + 1; k < tokens.length; k++) {
      if (!isSignificant(tokens[k]!)) continue
      if (tokens[k]!.kind === "word" && INTERVAL_PART.test(tokens[k]!.text)) {
        const to = nextSignificantToken(tokens, k)
        return to?.token.kind === "word" && to.token.text.toUpperCase() === "TO" ? { start, end: nextSignificantToken(tokens, to.index)?.index ?? k } : { start, end: k }
      }
      if (k > i + 4) break
    }
    return undefined
  }
  if (token.kind === "number" || token.kind === "string") end = i
  else if (token.text === "(") end = closeOf(i, "(", ")")
  else if (token.kind === "word" && token.text.toUpperCase() === "CASE") {
    let depth = 0
    end = -1
    for (let j = i; j < tokens.length; j++) {
      const word = tokens[j]!.kind === "word" ? tokens[j]!.text.toUpperCase() : ""
      if (word === "CASE") depth++
      if (word === "END" && --depth === 0) {
        end = j
        break
      }
    }
  } else if (token.kind === "word" && TYPED_LITERAL.test(token.text) && nextSignificantToken(tokens, i)?.token.kind === "string") {
    // A typed literal: NUMERIC '4'.
    end = nextSignificantToken(tokens, i)!.index
  } else if (token.kind === "word" || token.kind === "quoted") {
    end = i
    // A dotted chain, then a call's parentheses.
    for (;;) {
      let k = end + 1
      while (k < tokens.length && !isSignificant(tokens[k]!)) k++
      if (tokens[k]?.text === "." && (tokens[k + 1]?.kind === "word" || tokens[k + 1]?.kind === "quoted")) end = k + 1
      else if (tokens[k]?.text === "(") {
        end = closeOf(k, "(", ")")
        break
      } else break
    }
    // A window function's OVER clause, (…) or a named window, is part of the operand.
    let k = end + 1
    while (end >= 0 && k < tokens.length && !isSignificant(tokens[k]!)) k++
    if (end >= 0 && tokens[k]?.kind === "word" && tokens[k]!.text.toUpperCase() === "OVER") {
      let w = k + 1
      while (w < tokens.length && !isSignificant(tokens[w]!)) w++
      if (tokens[w]?.text === "(") end = closeOf(w, "(", ")")
      else if (tokens[w]?.kind === "word" || tokens[w]?.kind === "quoted") end = w
    }
  } else return undefined
  if (end < 0) return undefined
  // An index after it: a[OFFSET(0)].
  let k = end + 1
  while (k < tokens.length && !isSignificant(tokens[k]!)) k++
  if (tokens[k]?.text === "[") end = closeOf(k, "[", "]")
  return end < 0 ? undefined : { start, end }
}

const previousSignificant = (tokens: ReadonlyArray<Token>, from: number): number => {
  let k = from - 1
  while (k >= 0 && !isSignificant(tokens[k]!)) k--
  return k
}

/** The index where the operand ending at `end` starts, read backwards; undefined for a shape not read. */
const operandStart = (tokens: ReadonlyArray<Token>, end: number): number | undefined => {
  const token = tokens[end]
  if (token === undefined) return undefined
  const interval = intervalLiteralStart(tokens, end)
  if (interval !== undefined) return interval
  const openerOf = (close: number, opener: string, closer: string): number => {
    let depth = 0
    for (let k = close; k >= 0; k--) {
      if (tokens[k]!.kind === "punct" && tokens[k]!.text === closer) depth++
      if (tokens[k]!.kind === "punct" && tokens[k]!.text === opener && --depth === 0) return k
    }
    return -1
  }
  let start: number
  if (token.kind === "number" || token.kind === "string") {
    start = end
    // A typed literal: NUMERIC '1.5', DATE '2024-01-01'.
    const before = previousSignificant(tokens, start)
    if (token.kind === "string" && tokens[before]?.kind === "word" && TYPED_LITERAL.test(tokens[before]!.text)) start = before
  } else if (token.kind === "word" && token.text.toUpperCase() === "END") {
    let depth = 0
    start = -1
    for (let k = end; k >= 0; k--) {
      const word = tokens[k]!.kind === "word" ? tokens[k]!.text.toUpperCase() : ""
      if (word === "END") depth++
      if (word === "CASE" && --depth === 0) {
        start = k
        break
      }
    }
  } else if (token.kind === "word" || token.kind === "quoted") {
    if (KEYWORDS_BEFORE_AN_OPERAND.has(token.text.toUpperCase())) return undefined
    start = end
  } else if (token.text === ")") {
    start = openerOf(end, "(", ")")
    if (start < 0) return undefined
    const before = previousSignificant(tokens, start)
    // A window's OVER (…): the call before it is part of the operand.
    if (tokens[before]?.kind === "word" && tokens[before]!.text.toUpperCase() === "OVER") return operandStart(tokens, previousSignificant(tokens, before))
    // A call: its name. IF (…) with three arguments is the function, not a script's IF. A quoted
    // name is a function's too (`` `project.dataset.fn`(…) ``).
    const name = tokens[before]?.kind === "word" ? tokens[before]!.text.toUpperCase() : undefined
    if (name !== undefined && (!KEYWORDS_BEFORE_AN_OPERAND.has(name) || (name === "IF" && argumentCount(tokens, start) === 3))) start = before
    else if (tokens[before]?.kind === "quoted") start = before
    // A typed STRUCT literal: its type.
    if (tokens[before]?.text === ">") start = typedLiteralStart(tokens, before) ?? start
  } else if (token.text === "]") {
    const open = openerOf(end, "[", "]")
    if (open < 0) return undefined
    const before = previousSignificant(tokens, open)
    // An index into the operand before it, or an array literal.
    const indexed = before >= 0 && (tokens[before]!.kind === "word" || tokens[before]!.kind === "quoted" || tokens[before]!.text === ")" || tokens[before]!.text === "]") ? operandStart(tokens, before) : tokens[before]?.text === ">" ? (typedLiteralStart(tokens, before) ?? open) : open
    return indexed
  } else return undefined
  if (start < 0) return undefined
  // A dotted chain: t.a, SAFE.FN(…), a.b.c.
  for (;;) {
    const dot = previousSignificant(tokens, start)
    if (tokens[dot]?.text !== ".") break
    const owner = previousSignificant(tokens, dot)
    if (tokens[owner]?.kind !== "word" && tokens[owner]?.kind !== "quoted" && tokens[owner]?.text !== ")" && tokens[owner]?.text !== "]") break
    const ownerStart = operandStart(tokens, owner)
    if (ownerStart === undefined) return undefined
    start = ownerStart
  }
  return start
}

// Words after which an operand starts (a name here is a keyword, not an operand's end).
const KEYWORDS_BEFORE_AN_OPERAND = new Set(["SELECT", "WHERE", "AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "ON", "BY", "HAVING", "QUALIFY", "RETURN", "IN", "IS", "LIKE", "BETWEEN", "AS", "DISTINCT", "SET", "CASE", "INTERVAL", "FROM", "ALL", "ANY", "SOME", "EXISTS", "VALUES", "LIMIT", "OFFSET", "USING", "IF", "ROWS", "RANGE", "PRECEDING", "FOLLOWING", "UNBOUNDED", "CURRENT", "ROW", "WITH"])

/**
 * The type of a BigQuery expression when it shows in the text: a number literal, a NUMERIC literal,
 * a CAST or SAFE_CAST to INT64, FLOAT64 or NUMERIC, PARSE_NUMERIC, COUNT/COUNTIF, COALESCE/IFNULL of
 * such, or a NUMERIC-aware product (NUMERIC, or FLOAT64 when a side is); undefined otherwise.
 */
const staticType = (expression: string): "INT64" | "FLOAT64" | "NUMERIC" | undefined => {
  const text = expression.trim()
  if (/^[+-]?\d+$/.test(text)) return "INT64"
  if (/^(NUMERIC|DECIMAL)\s*(['"])[^'"]*\2$/i.test(text)) return "NUMERIC"
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$/.test(text)) return "FLOAT64"
  const tokens = tokenize(text, "bigquery").filter(isSignificant)
  const open = tokens[1]?.text === "(" ? 1 : -1
  // One call spanning the whole text.
  if (open < 0 || tokens[0]?.kind !== "word" || tokens[tokens.length - 1]?.text !== ")") return undefined
  let depth = 0
  for (let k = open; k < tokens.length - 1; k++) {
    if (tokens[k]!.text === "(") depth++
    if (tokens[k]!.text === ")" && --depth === 0) return undefined
  }
  const name = tokens[0].text.toUpperCase()
  if (name === "COUNT" || name === "COUNTIF") return "INT64"
  if (name === "PARSE_NUMERIC" || name === MULTIPLY) return "NUMERIC"
  if (name === "IEEE_DIVIDE") return "FLOAT64"
  const inner = render(tokenize(text, "bigquery")).slice(text.indexOf("(") + 1, -1)
  if (name === "CAST" || name === "SAFE_CAST") {
    const type = /\bAS\s+(INT64|FLOAT64|NUMERIC|DECIMAL)\s*(\(\s*\d+\s*(,\s*\d+\s*)?\))?\s*$/i.exec(inner)?.[1]?.toUpperCase()
    return type === "INT64" || type === "FLOAT64" ? type : type === "NUMERIC" || type === "DECIMAL" ? "NUMERIC" : undefined
  }
  if (name === "COALESCE" || name === "IFNULL") {
    const types = splitTopLevel(inner).map(staticType)
    if (types.some((type) => type === undefined)) return undefined
    return types.includes("FLOAT64") ? "FLOAT64" : types.includes("NUMERIC") ? "NUMERIC" : "INT64"
  }
  return undefined
}

type TemporalType = "DATE" | "DATETIME" | "TIMESTAMP"
const TEMPORAL_CALLS: Readonly<Record<string, TemporalType>> = {
  DATE: "DATE", CURRENT_DATE: "DATE", PARSE_DATE: "DATE", DATE_ADD: "DATE", DATE_SUB: "DATE", DATE_FROM_UNIX_DATE: "DATE", LAST_DAY: "DATE",
  DATETIME: "DATETIME", CURRENT_DATETIME: "DATETIME", PARSE_DATETIME: "DATETIME", DATETIME_ADD: "DATETIME", DATETIME_SUB: "DATETIME", DATETIME_TRUNC: "DATETIME",
  TIMESTAMP: "TIMESTAMP", CURRENT_TIMESTAMP: "TIMESTAMP", PARSE_TIMESTAMP: "TIMESTAMP", TIMESTAMP_ADD: "TIMESTAMP", TIMESTAMP_SUB: "TIMESTAMP", TIMESTAMP_TRUNC: "TIMESTAMP",
  TIMESTAMP_SECONDS: "TIMESTAMP", TIMESTAMP_MILLIS: "TIMESTAMP", TIMESTAMP_MICROS: "TIMESTAMP"
}

/** DATE, DATETIME or TIMESTAMP where the text shows it: a typed literal, a CAST to it, or a call that returns it. */
const temporalType = (expression: string): TemporalType | undefined => {
  const tokens = tokenize(expression.trim(), "bigquery").filter(isSignificant)
  const first = tokens[0]
  if (first?.kind !== "word") return undefined
  const name = first.text.toUpperCase()
  // CURRENT_DATE and the like without parentheses, as BigQuery allows.
  if (tokens.length === 1) return /^CURRENT_(DATE|DATETIME|TIMESTAMP)$/.test(name) ? TEMPORAL_CALLS[name] : undefined
  if (tokens.length === 2 && tokens[1]!.kind === "string" && (name === "DATE" || name === "DATETIME" || name === "TIMESTAMP")) return name
  if (tokens[1]?.text !== "(" || tokens[tokens.length - 1]?.text !== ")") return undefined
  let depth = 0
  for (let k = 1; k < tokens.length - 1; k++) {
    if (tokens[k]!.text === "(") depth++
    if (tokens[k]!.text === ")" && --depth === 0) return undefined
  }
  if (name === "CAST" || name === "SAFE_CAST") {
    const type = tokens[tokens.length - 2]?.text.toUpperCase()
    return tokens[tokens.length - 3]?.text.toUpperCase() === "AS" && (type === "DATE" || type === "DATETIME" || type === "TIMESTAMP") ? type : undefined
  }
  return TEMPORAL_CALLS[name]
}

const ARITHMETIC = new Set(["*", "/", "+", "-", "||", ".", "["])

/**
 * `date - date`, `datetime - datetime` and `timestamp - timestamp` are INTERVALs in BigQuery: days
 * for dates (0-0 396 0:0:0), hours and less for the others (0-0 0 36:34:56.789). DuckDB gives a
 * number of days and an interval of days and time. Rewritten where both operands show their type.
 * `date ± n` (n an INT64 that is no literal: `CURRENT_DATE - expiry_days`) is DATE_SUB/DATE_ADD of
 * n days: DuckDB adds only a 32-bit INTEGER to a DATE, and every INT64 is a BIGINT there.
 */
const datetimeDifferences = (sql: string): string => {
  if (!/[-+]/.test(sql) || !/DATE|TIME/i.test(sql)) return sql
  let text = sql
  let tokens = tokenize(text, "bigquery")
  let from = 0
  for (;;) {
    const minus = tokens.findIndex((token, k) => k >= from && token.kind === "punct" && (token.text === "-" || token.text === "+"))
    if (minus < 0) return text
    from = minus + 1
    const leftEnd = previousSignificant(tokens, minus)
    let leftStart = operandStart(tokens, leftEnd)
    if (leftStart === undefined) continue
    const beforeLiteral = previousSignificant(tokens, leftStart)
    if (tokens[leftStart]!.kind === "string" && tokens[beforeLiteral]?.kind === "word" && /^(DATE|DATETIME|TIMESTAMP)$/i.test(tokens[beforeLiteral]!.text)) leftStart = beforeLiteral
    if (ARITHMETIC.has(tokens[previousSignificant(tokens, leftStart)]?.text ?? "")) continue
    const afterMinus = nextSignificantToken(tokens, minus)
    const literalType = afterMinus?.token.kind === "word" && /^(DATE|DATETIME|TIMESTAMP)$/i.test(afterMinus.token.text) ? nextSignificantToken(tokens, afterMinus.index) : undefined
    const right = literalType?.token.kind === "string" ? { start: afterMinus!.index, end: literalType.index } : divisorEnd(tokens, minus)
    if (right === undefined || ARITHMETIC.has(nextSignificantToken(tokens, right.end)?.token.text ?? "")) continue
    const left = render(tokens.slice(leftStart, leftEnd + 1))
    const rightText = render(tokens.slice(right.start, right.end + 1))
    const type = temporalType(left)
    if (type === undefined) continue
    const plus = tokens[minus]!.text === "+"
    if (type === "DATE" && temporalType(rightText) === undefined && !/^\s*\d+\s*$/.test(rightText) && !/^[\s(]*(INTERVAL|MAKE_INTERVAL|JUSTIFY_\w+)\b/i.test(rightText)) {
      const days = `${plus ? "DATE_ADD" : "DATE_SUB"}(${left}, INTERVAL (${rightText}) DAY)`
      text = render(tokens.slice(0, leftStart)) + days + render(tokens.slice(right.end + 1))
      tokens = tokenize(text, "bigquery")
      from = 0
      continue
    }
    if (plus || temporalType(rightText) !== type) continue
    const call = `${DATETIME_DIFFERENCE}(${left}, ${rightText}, '${type}')`
    text = render(tokens.slice(0, leftStart)) + call + render(tokens.slice(right.end + 1))
    tokens = tokenize(text, "bigquery")
    from = 0
  }
}

/** Whether the `=` at `at` assigns (SET a = …, OPTIONS(a = …)) rather than compares. */
const isAssignment = (tokens: ReadonlyArray<Token>, at: number): boolean => {
  let depth = 0
  for (let k = at - 1; k >= 0; k--) {
    const token = tokens[k]!
    if (token.text === ")") depth++
    else if (token.text === "(") {
      if (depth === 0) return tokens[previousSignificant(tokens, k)]?.text.toUpperCase() === "OPTIONS"
      depth--
    } else if (depth === 0 && token.kind === "word") {
      const word = token.text.toUpperCase()
      if (word === "SET") return true
      if (["SELECT", "WHERE", "ON", "WHEN", "HAVING", "QUALIFY", "AND", "OR", "NOT", "THEN", "ELSE", "IF", "WHILE", "UNTIL", "RETURN", "USING"].includes(word)) return false
    } else if (token.text === ";") return false
  }
  return false
}

/**
 * Comparisons with a FLOAT64 the text shows (a float literal, a CAST to FLOAT64, IEEE_DIVIDE):
 * BigQuery's are IEEE-754's, so a NaN compares FALSE (and `!=` TRUE); DuckDB orders NaN above every
 * number and equal to itself. `+` and `-` of two such operands fail on overflow, as BigQuery's do,
 * where DuckDB gives an infinity.
 */
const floatComparisons = (sql: string): string => {
  if (!/[=<>+-]/.test(sql) || !/FLOAT64|IEEE_DIVIDE|\d\.\d|\d[eE]/i.test(sql)) return sql
  let text = sql
  let tokens = tokenize(text, "bigquery")
  let from = 0
  for (;;) {
    const found = nextOperator(tokens, from, ["=", "<", ">", "<=", ">=", "!=", "<>", "+", "-"])
    if (found === undefined) return text
    const { at, end, op } = found
    from = end + 1
    if (op === "=" && isAssignment(tokens, at)) continue
    const leftEnd = previousSignificant(tokens, at)
    const leftStart = operandStart(tokens, leftEnd)
    if (leftStart === undefined || ARITHMETIC.has(tokens[previousSignificant(tokens, leftStart)]?.text ?? "")) continue
    const right = divisorEnd(tokens, end)
    if (right === undefined || ARITHMETIC.has(nextSignificantToken(tokens, right.end)?.token.text ?? "")) continue
    const left = render(tokens.slice(leftStart, leftEnd + 1)).trim()
    const rightText = render(tokens.slice(right.start, right.end + 1)).trim()
    const types = [staticType(left), staticType(rightText)]
    const arithmetic = op === "+" || op === "-"
    if (arithmetic ? !types.every((type) => type === "FLOAT64") : !types.includes("FLOAT64")) continue
    text = `${render(tokens.slice(0, leftStart))}${FLOAT_OPERATION}(${left}, ${rightText}, '${op}')${render(tokens.slice(right.end + 1))}`
    tokens = tokenize(text, "bigquery")
    from = 0
  }
}
/**
 * The next binary operator from `from` among `wanted` (`<=`, `>=`, `!=` and `<>` read as one, `=>`
 * and `->` passed over): its first and last token.
 */
const nextOperator = (tokens: ReadonlyArray<Token>, from: number, wanted: ReadonlyArray<string>): { readonly at: number; readonly end: number; readonly op: string } | undefined => {
  for (let k = from; k < tokens.length; k++) {
    const token = tokens[k]!
    if (token.kind !== "punct" || !"=<>!+-".includes(token.text)) continue
    const next = tokens[k + 1]
    const pair = next?.kind === "punct" ? token.text + next.text : ""
    if (["=>", "->", "<=", ">=", "!=", "<>"].includes(pair)) {
      if (wanted.includes(pair)) return { at: k, end: k + 1, op: pair }
      k++
      continue
    }
    if (wanted.includes(token.text)) return { at: k, end: k, op: token.text }
  }
  return undefined
}

/** The number of fields of a STRUCT the text shows (`STRUCT(a, b)`, `STRUCT<…>(…)`, a tuple `(a, b)`), or undefined. */
const shownStructFields = (operand: string): number | undefined => {
  const tokens = significantTokens(operand, "bigquery")
  let open = 0
  if (tokens[0]?.kind === "word" && tokens[0].text.toUpperCase() === "STRUCT") {
    open = 1
    if (tokens[1]?.text === "<") {
      for (let depth = 0; open < tokens.length; open++) {
        if (tokens[open]!.text === "<") depth++
        else if (tokens[open]!.text === ">" && --depth === 0) break
      }
      open++
    }
  }
  if (tokens[open]?.text !== "(" || closingBracket(tokens, open) !== tokens.length - 1) return undefined
  // A subquery is no tuple.
  if (/^(SELECT|WITH)$/i.test(tokens[open + 1]?.text ?? "")) return undefined
  const fields = commaItems(tokens, open, tokens.length - 1).length
  // A parenthesised expression is no tuple; STRUCT() has no fields to compare.
  return fields === 0 || (open === 0 && fields < 2) ? undefined : fields
}

/**
 * `a = b` or `a != b` where a side shows a STRUCT: BigQuery compares the fields in order, whatever
 * their names, and the answer is NULL when no field differs but one is NULL; DuckDB matches fields
 * by name and takes NULL fields as equal. Written field by field (struct_extract_at) after
 * translation.
 */
const structComparisons = (sql: string): string => {
  if (!/[=<>]/.test(sql) || !/\bSTRUCT\b|\(\s*[^()]*,/i.test(sql)) return sql
  let text = sql
  let tokens = tokenize(text, "bigquery")
  let from = 0
  for (;;) {
    const found = nextOperator(tokens, from, ["=", "!=", "<>"])
    if (found === undefined) return text
    const { at, end } = found
    const op = found.op === "=" ? "=" : "!="
    from = end + 1
    if (isAssignment(tokens, at)) continue
    const leftEnd = previousSignificant(tokens, at)
    const leftStart = operandStart(tokens, leftEnd)
    const right = divisorEnd(tokens, end)
    if (leftStart === undefined || right === undefined) continue
    const left = render(tokens.slice(leftStart, leftEnd + 1)).trim()
    const rightText = render(tokens.slice(right.start, right.end + 1)).trim()
    const counts = [shownStructFields(left), shownStructFields(rightText)].filter((count) => count !== undefined)
    if (counts.length === 0 || (counts.length === 2 && counts[0] !== counts[1])) continue
    text = `${render(tokens.slice(0, leftStart))}${STRUCT_EQUALITY}(${left}, ${rightText}, ${counts[0]}, '${op}')${render(tokens.slice(right.end + 1))}`
    tokens = tokenize(text, "bigquery")
    from = 0
  }
}

/** Whether NUMERIC can be among these operands: none is a FLOAT64 and not all are INT64s. */
const mayBeNumeric = (operands: ReadonlyArray<string>): boolean => {
  const types = operands.map(staticType)
  return !types.includes("FLOAT64") && !types.every((type) => type === "INT64")
}

/**
 * BigQuery's INT64 shifts (operators#bitwise_operators): on 64 bits whatever DuckDB's type of the
 * operand (an INTEGER literal refused `1 << 62`), `>>` filling with zeros (DuckDB's extends the
 * sign: -8 >> 1 was -4), 0 for a count of 64 or more (DuckDB fails), an error for a negative one.
 * Computed on the value's 64 bits as an unsigned HUGEINT.
 */
const int64Shift = (direction: "left" | "right", value: string, count: string): string => {
  const two64 = "CAST('18446744073709551616' AS HUGEINT)"
  const signed = (bits: string) => `CAST(CASE WHEN ${bits} >= CAST('9223372036854775808' AS HUGEINT) THEN ${bits} - ${two64} ELSE ${bits} END AS BIGINT)`
  const bits =
    direction === "left"
      ? `((mdp_shift.x + ${two64}) % (CAST(1 AS HUGEINT) << (64 - mdp_shift.y))) * (CAST(1 AS HUGEINT) << mdp_shift.y)`
      : `((mdp_shift.x + ${two64}) % ${two64}) // (CAST(1 AS HUGEINT) << mdp_shift.y)`
  const shifted = `CASE WHEN mdp_shift.y < 0 THEN error('Bitwise shift by a negative count: ' || mdp_shift.y) WHEN mdp_shift.y >= 64 THEN CAST(0 AS BIGINT) ELSE ${signed(`(${bits})`)} END`
  return `list_transform([{'x': CAST(${value} AS HUGEINT), 'y': CAST(${count} AS BIGINT)}], mdp_shift -> ${shifted})[1]`
}

/** Whether a token can end an operand (`1`, `x`, `)` …), so that a `-` or `+` after it is binary. */
const endsAnOperand = (token: Token | undefined): boolean =>
  token !== undefined && (token.kind === "number" || token.kind === "string" || token.kind === "quoted" || token.text === ")" || token.text === "]" || (token.kind === "word" && !KEYWORDS_BEFORE_AN_OPERAND.has(token.text.toUpperCase())))

/** The operator at token k binding tighter than a shift (`+ - * / ||`): its first token, or undefined. */
const tighterOperatorEndingAt = (tokens: ReadonlyArray<Token>, k: number): number | undefined => {
  const token = tokens[k]
  if (token?.kind !== "punct") return undefined
  if (token.text === "|" && tokens[k - 1]?.text === "|") return k - 1
  return /^[-+*/]$/.test(token.text) ? k : undefined
}

/**
 * `a << b` and `a >> b` (BigQuery's INT64 shifts, whose operands are additive expressions) as
 * MDP_SHIFT_LEFT/RIGHT calls; `>>` closing ARRAY<STRUCT<…>> is a type's. A shape not read is left
 * to DuckDB's own operator.
 */
const bitShifts = (sql: string): string => {
  if (!/<<|>>/.test(sql)) return sql
  let skipped = 0
  for (let guard = 0; guard < 1000; guard++) {
    const tokens = tokenize(sql, "bigquery")
    // `<`/`>` of a type: after ARRAY, STRUCT or RANGE, to its matching `>`.
    const inType = new Array<boolean>(tokens.length).fill(false)
    let angles = 0
    tokens.forEach((token, k) => {
      if (token.text === "<" && /^(ARRAY|STRUCT|RANGE)$/i.test(tokens[previousSignificant(tokens, k)]?.text ?? "")) angles++
      else if (token.text === ">" && angles > 0) {
        inType[k] = true
        angles--
      }
    })
    const shifts = tokens.flatMap((token, k) => (token.kind === "punct" && (token.text === "<" || token.text === ">") && tokens[k + 1]?.text === token.text && tokens[k + 1]?.kind === "punct" && !inType[k] && !inType[k + 1] && tokens[k - 1]?.text !== token.text ? [k] : []))
    const at = shifts[skipped]
    if (at === undefined) return sql
    // The left operand, back over operators that bind tighter, and a sign of its own.
    let start = operandStart(tokens, previousSignificant(tokens, at))
    for (;;) {
      if (start === undefined) break
      const before = previousSignificant(tokens, start)
      const operator = tighterOperatorEndingAt(tokens, before)
      if (operator === undefined) break
      if (!endsAnOperand(tokens[previousSignificant(tokens, operator)])) {
        if (tokens[operator]!.text === "-" || tokens[operator]!.text === "+") start = operator
        break
      }
      start = operandStart(tokens, previousSignificant(tokens, operator))
    }
    // The right operand, on over operators that bind tighter.
    let right = divisorEnd(tokens, at + 1)
    for (let next = right === undefined ? undefined : nextSignificantToken(tokens, right.end); right !== undefined && next !== undefined; next = nextSignificantToken(tokens, right.end)) {
      const concat = next.token.text === "|" && tokens[next.index + 1]?.text === "|"
      if (!concat && !(next.token.kind === "punct" && /^[-+*/]$/.test(next.token.text))) break
      const operand = divisorEnd(tokens, concat ? next.index + 1 : next.index)
      if (operand === undefined) {
        right = undefined
        break
      }
      right = { start: right.start, end: operand.end }
    }
    if (start === undefined || right === undefined) {
      skipped++
      continue
    }
    const marker = tokens[at]!.text === "<" ? SHIFT_LEFT : SHIFT_RIGHT
    sql = `${render(tokens.slice(0, start))}${marker}(${render(tokens.slice(start, at)).trim()}, ${render(tokens.slice(right.start, right.end + 1))})${render(tokens.slice(right.end + 1))}`
  }
  return sql
}

/**
 * `a * b / c`: each multiplicative chain as nested MDP_MULTIPLY and MDP_DIVIDE calls (left to right),
 * so that the translation can give a NUMERIC product and quotient where BigQuery does; the divisor
 * checked for zero as `checkedDivisions` does. A shape it cannot read is left to `checkedDivisions`.
 */
const numericDivisions = (sql: string): string => {
  if (!sql.includes("/") && !sql.includes("*")) return sql
  const tokens = tokenize(sql, "bigquery")
  // A chain found later can hold earlier ones (`(a / b) / c`): its text has them already.
  const chains: Array<{ readonly start: number; readonly end: number; readonly text: string }> = []
  for (let slash = 0; slash < tokens.length; slash++) {
    if (tokens[slash]!.kind !== "punct" || (tokens[slash]!.text !== "/" && !isProductOperator(tokens, slash))) continue
    const chain = divisionChain(tokens, slash)
    if (chain === undefined) continue
    while (chains.length > 0 && chains[chains.length - 1]!.start >= chain.start) chains.pop()
    chains.push(chain)
    slash = chain.end
  }
  if (chains.length === 0) return sql
  const out: Array<string> = []
  let cursor = 0
  for (const chain of chains) {
    out.push(render(tokens.slice(cursor, chain.start)), chain.text)
    cursor = chain.end + 1
  }
  out.push(render(tokens.slice(cursor)))
  return out.join("")
}

/** The multiplicative chain around the `/` at `slash` (its operands joined by * and /), folded left to right; undefined for a shape not read. */
const divisionChain = (tokens: ReadonlyArray<Token>, slash: number): { readonly start: number; readonly end: number; readonly text: string } | undefined => {
  let start = operandStart(tokens, previousSignificant(tokens, slash))
  for (;;) {
    if (start === undefined) return undefined
    const before = previousSignificant(tokens, start)
    if (tokens[before]?.kind !== "punct" || tokens[before]!.text !== "*") break
    start = operandStart(tokens, previousSignificant(tokens, before))
  }
  // Forward from the start: operand, then (* or /, operand)*; the operands' own divisions in turn.
  const first = divisorEnd(tokens, start - 1)
  if (first === undefined || first.start !== start) return undefined
  let folded = numericDivisions(render(tokens.slice(start, first.end + 1)))
  let end = first.end
  for (;;) {
    const operator = tokens.findIndex((token, k) => k > end && isSignificant(token))
    const op = tokens[operator]
    if (op?.kind !== "punct" || (op.text !== "*" && op.text !== "/")) break
    const operand = divisorEnd(tokens, operator)
    if (operand === undefined) return undefined
    const text = numericDivisions(render(tokens.slice(operand.start, operand.end + 1)).trim())
    const nonZeroLiteral = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number(text) !== 0
    const divisor = nonZeroLiteral ? text : `${CHECKED_DIVISOR}(${text})`
    // No NUMERIC can be in it when a side is a FLOAT64 or both are INT64: a plain division, whose
    // operands are not repeated (staging divides large JSON extractions by 1000000). An INTERVAL
    // divided by a number is DuckDB's own division too.
    const types = [staticType(folded), staticType(text)]
    const plain = types.includes("FLOAT64") || types.every((type) => type === "INT64") || /^\s*INTERVAL\b/i.test(folded)
    // A product is NUMERIC-aware only with a NUMERIC side in sight: the translation's CASE gives its
    // branches one type, which would make a product of INT64s (or an INTERVAL's) a DECIMAL.
    const numericProduct = !types.includes("FLOAT64") && types.includes("NUMERIC")
    folded = op.text === "*" ? (numericProduct ? `${MULTIPLY}(${folded}, ${text})` : `${folded} * ${text}`) : plain ? `${folded} / ${divisor}` : `${DIVIDE}(${folded}, ${divisor})`
    end = operand.end
  }
  return end < slash ? undefined : { start, end, text: folded }
}

// Words that end or follow a `*` that is not a product: SELECT AS STRUCT *, * EXCEPT (…), * FROM.
const NOT_AN_OPERAND = new Set(["STRUCT", "VALUE", "FROM", "EXCEPT", "REPLACE", "WHERE", "GROUP", "ORDER", "UNION", "INTERSECT", "LIMIT", "WINDOW", "QUALIFY", "HAVING"])

/** Whether the `*` at `star` multiplies: an operand ends before it and one starts after it (not SELECT *, t.*, COUNT(*)). */
const isProductOperator = (tokens: ReadonlyArray<Token>, star: number): boolean => {
  if (tokens[star]!.kind !== "punct" || tokens[star]!.text !== "*") return false
  const before = tokens[previousSignificant(tokens, star)]
  const after = nextSignificantToken(tokens, star)?.token
  if (before === undefined || after === undefined) return false
  const endsOperand = before.kind === "number" || before.kind === "string" || before.kind === "quoted" || before.text === ")" || before.text === "]" || (before.kind === "word" && !KEYWORDS_BEFORE_AN_OPERAND.has(before.text.toUpperCase()) && !NOT_AN_OPERAND.has(before.text.toUpperCase()))
  const startsOperand = after.kind === "number" || after.kind === "string" || after.kind === "quoted" || after.text === "(" || after.text === "-" || after.text === "+" || (after.kind === "word" && !NOT_AN_OPERAND.has(after.text.toUpperCase()))
  return endsOperand && startsOperand
}

/** Each `/` whose divisor is not a non-zero literal gets the divisor checked (BigQuery fails a division by zero). */
const checkedDivisions = (sql: string): string => {
  if (!sql.includes("/")) return sql
  const tokens = tokenize(sql, "bigquery")
  const wraps = new Map<number, { readonly end: number }>()
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== "punct" || tokens[i]!.text !== "/") continue
    const operand = divisorEnd(tokens, i)
    if (operand === undefined) continue
    const text = render(tokens.slice(operand.start, operand.end + 1)).trim()
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number(text) !== 0) continue
    wraps.set(operand.start, { end: operand.end })
  }
  if (wraps.size === 0) return sql
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const wrap = wraps.get(i)
    if (wrap === undefined) {
      out.push(tokens[i]!.text)
      continue
    }
    out.push(`${CHECKED_DIVISOR}(${checkedDivisions(render(tokens.slice(i, wrap.end + 1)))})`)
    i = wrap.end
  }
  return out.join("")
}

/** Whether a FLOAT64 expression is NaN, written for any type (typeof is read without evaluating it). */
const isNan = (expression: string): string => `(typeof(${expression}) IN ('DOUBLE', 'FLOAT') AND CAST(${expression} AS VARCHAR) = 'nan')`

// Statistical aggregates, which BigQuery answers NaN for an infinite or NaN input.
const SPREAD_AGGREGATES = ["STDDEV", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE", "VAR_POP", "VAR_SAMP", "CORR", "COVAR_POP", "COVAR_SAMP"]

/**
 * Aggregates that answer differently in DuckDB, over DuckDB SQL after the calls' own rewrites:
 * - MIN (an aggregate or a window) and LEAST are NaN when an input is NaN in BigQuery; DuckDB
 *   orders NaN above every number, so its MIN and LEAST pass over a NaN that MAX and GREATEST return.
 * - SUM of INT64s fails on overflow in BigQuery; DuckDB's is a HUGEINT that goes past INT64's range.
 * - AVG of NUMERICs is a NUMERIC in BigQuery, rounded to nine decimal places; DuckDB's is a DOUBLE
 *   of the exact quotient. The value is made BigQuery's (its type stays DOUBLE).
 * - list_min and list_sum (ARRAY_MIN, ARRAY_SUM, and `listAggregates`' aggregates over an UNNEST) likewise.
 * - STDDEV, VARIANCE, CORR and COVAR are NaN with an infinite or NaN input (DuckDB fails or answers
 *   infinity), and CORR and the sample statistics of fewer than two values are NULL (DuckDB: NaN).
 * typeof is read without evaluating its argument, so the other types' branches fold away. A PIVOT's
 * aggregate is left alone (DuckDB takes one bare aggregate there), and this runs after
 * `listAggregates`, whose shapes it would hide.
 */
const aggregatesAsBigQuery = (sql: string): string => {
  if (!/\b(MIN|LEAST|SUM|AVG|LIST_MIN|LIST_SUM|MDP_PERCENTILE_RESPECTING_NULLS__|STDDEV\w*|VAR\w*|CORR|COVAR_\w+)\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    const name = token.kind === "word" ? token.text.toUpperCase() : ""
    const open = nextSignificant(tokens, i + 1)
    const before = tokens[previousSignificant(tokens, i)]
    // A PIVOT's aggregate must stay one bare call: left as written.
    if (name === "PIVOT" && tokens[open]?.text === "(" && matchingParen(tokens, open) > open) {
      out.push(render(tokens.slice(i, matchingParen(tokens, open) + 1)))
      i = matchingParen(tokens, open)
      continue
    }
    const close = ["MIN", "LEAST", "SUM", "AVG", "LIST_MIN", "LIST_SUM", PERCENTILE_RESPECTING_NULLS, ...SPREAD_AGGREGATES].includes(name) && tokens[open]?.text === "(" && before?.text !== "." ? matchingParen(tokens, open) : -1
    if (close < 0) {
      out.push(token.text)
      continue
    }
    const args = aggregatesAsBigQuery(render(tokens.slice(open + 1, close)))
    // LEAST, and list_min and list_sum (ARRAY_MIN, ARRAY_SUM and an aggregate over an UNNEST).
    const scalar: Readonly<Record<string, () => string>> = {
      LEAST: () => `(CASE WHEN ${isNan(`GREATEST(${args})`)} THEN GREATEST(${args}) ELSE LEAST(${args}) END)`,
      LIST_MIN: () => `(CASE WHEN ${isNan(`list_max(${args})`)} THEN list_max(${args}) ELSE list_min(${args}) END)`,
      LIST_SUM: () => `(CASE WHEN typeof(list_sum(${args})) = 'HUGEINT' THEN CAST(list_sum(${args}) AS BIGINT) ELSE list_sum(${args}) END)`
    }
    if (scalar[name] !== undefined) {
      out.push(scalar[name]!())
      i = close
      continue
    }
    // A window's OVER (…) or OVER name goes with each aggregate.
    let end = close
    let over = ""
    const overAt = nextSignificant(tokens, close + 1)
    if (tokens[overAt]?.kind === "word" && tokens[overAt]!.text.toUpperCase() === "OVER") {
      const spec = nextSignificant(tokens, overAt + 1)
      end = tokens[spec]?.text === "(" ? matchingParen(tokens, spec) : spec
      if (end < 0 || end >= tokens.length) {
        out.push(token.text)
        continue
      }
      over = ` OVER ${aggregatesAsBigQuery(render(tokens.slice(spec, end + 1)))}`
    }
    const spread = SPREAD_AGGREGATES.includes(name) ? splitTopLevel(args).map((part) => part.trim()) : []
    if (spread.length > 0 && !/^DISTINCT\b/i.test(spread[0]!)) {
      // A pair counts when both values are there; an infinite or NaN one makes the answer NaN
      // (DuckDB fails on it, or answers infinity), and CORR of fewer than two pairs is NULL (DuckDB: NaN).
      const counted = spread.map((value) => `(${value}) IS NOT NULL`).join(" AND ")
      const finite = spread.map((value) => `isfinite(${value})`).join(" AND ")
      const kept = spread.map((value) => `CASE WHEN ${finite} THEN ${value} END`).join(", ")
      // A sample's statistics (and CORR) of fewer than two values are NULL, NaN or infinite ones too.
      const tooFew = ["CORR", "STDDEV", "STDDEV_SAMP", "VARIANCE", "VAR_SAMP", "COVAR_SAMP"].includes(name) ? `WHEN count(CASE WHEN ${counted} THEN 1 END)${over} < 2 THEN NULL ` : ""
      out.push(`(CASE ${tooFew}WHEN bool_or(${counted} AND NOT (${finite}))${over} THEN CAST('NaN' AS DOUBLE) ELSE ${name}(${kept})${over} END)`)
    } else if (name === PERCENTILE_RESPECTING_NULLS) {
      // The window's values with NULLs first, as BigQuery orders them, then the percentile of the list.
      const [kind, value, fraction] = splitTopLevel(args).map((part) => part.trim())
      const sorted = `list_sort(list(${value})${over}, 'ASC', 'NULLS FIRST')`
      const position = `(${fraction}) * (len(mdp_l) - 1)`
      const picked =
        kind === "'DISC'"
          ? `mdp_l[CAST(greatest(1, ceil((${fraction}) * len(mdp_l))) AS BIGINT)]`
          : `(CASE WHEN floor(${position}) = ${position} THEN mdp_l[CAST(${position} AS BIGINT) + 1] WHEN mdp_l[CAST(floor(${position}) AS BIGINT) + 1] IS NULL THEN mdp_l[CAST(ceil(${position}) AS BIGINT) + 1] ` +
            `ELSE mdp_l[CAST(floor(${position}) AS BIGINT) + 1] + (${position} - floor(${position})) * (mdp_l[CAST(ceil(${position}) AS BIGINT) + 1] - mdp_l[CAST(floor(${position}) AS BIGINT) + 1]) END)`
      out.push(`list_transform([${sorted}], mdp_l -> ${picked})[1]`)
    } else if (name === "SUM") {
      const sum = `SUM(${args})${over}`
      out.push(`(CASE WHEN typeof(${sum}) = 'HUGEINT' THEN CAST(${sum} AS BIGINT) ELSE ${sum} END)`)
    } else if (name === "AVG") {
      // Of NUMERICs, BigQuery's NUMERIC value: the sum in billionths over the count, rounded half
      // away from zero in integers (DuckDB's AVG of decimals is a DOUBLE). Its type stays DOUBLE, as
      // the CASE must have one type for every input. The casts through text bind for any type.
      const sum = `SUM(${args})${over}`
      const count = `COUNT(${args})${over}`
      const billionths = `CAST(replace(CAST(CAST(CAST(${sum} AS VARCHAR) AS DECIMAL(38, 9)) AS VARCHAR), '.', '') AS HUGEINT)`
      const quotient = `(${billionths} // ${count} + CASE WHEN 2 * abs(${billionths} % ${count}) >= ${count} THEN sign(${billionths}) ELSE 0 END)`
      out.push(`(CASE WHEN typeof(${sum}) LIKE 'DECIMAL%' THEN CAST(${quotient} AS DECIMAL(38, 0)) * CAST(0.000000001 AS DECIMAL(10, 9)) ELSE AVG(${args})${over} END)`)
    } else {
      const maximum = `MAX(${args})${over}`
      out.push(`(CASE WHEN ${isNan(maximum)} THEN ${maximum} ELSE MIN(${args})${over} END)`)
    }
    i = end
  }
  return out.join("")
}

/**
 * A query's ORDER BY puts NaN right after NULL (before -inf) in BigQuery (data-types#orderable_data_types);
 * DuckDB sorts it above +inf. Each item gets a key before it that is true for NaN, sorted against the
 * item's direction, with the item's NULLs placement: typeof folds the key away for other types.
 * A window's or an aggregate's ORDER BY, an ordinal, and the ORDER BY of a set operation are left alone.
 */
// Tokens after which a word starts an expression: there `offset` is a column (WITH OFFSET's default
// name), not the OFFSET clause, which only follows the end of an expression.
const EXPRESSION_STARTS = new Set([",", "(", "[", ":", "=", "<", ">", "<=", ">=", "<>", "!=", "+", "-", "*", "/", "||", "SELECT", "BY", "AND", "OR", "NOT", "WHERE", "ON", "WHEN", "THEN", "ELSE", "DISTINCT", "IN", "HAVING", "QUALIFY", "RETURN"])

/** A bare `offset` that DuckDB would read as its OFFSET keyword, where BigQuery reads a column: quoted. */
const offsetColumnsQuoted = (sql: string): string => {
  if (!/\boffset\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  let previous = ""
  let changed = false
  const quoted = tokens.map((token) => {
    if (!isSignificant(token)) return token
    const before = previous
    previous = token.kind === "word" ? token.text.toUpperCase() : token.text
    if (token.kind !== "word" || token.text.toUpperCase() !== "OFFSET" || !EXPRESSION_STARTS.has(before)) return token
    changed = true
    return { ...token, kind: "quoted" as const, text: '"offset"' }
  })
  return changed ? render(quoted) : sql
}

/**
 * BigQuery's `*` never includes a table's pseudo-columns (`_PARTITIONTIME` and `_PARTITIONDATE` of
 * an ingestion-time partitioned table: a Data Transfer's, the billing export's), and no real
 * column may be named like them. Locally they are plain columns of the source file's table, so a
 * bare `*` select item over a table read by name is written as `COLUMNS(…)` without them: otherwise
 * the same columns, in the same order, USING joins merged alike. A subquery's or UNNEST's `*` keeps
 * fields so named, as BigQuery's does.
 */
const PSEUDO_COLUMNS_HIDDEN = "COLUMNS(mdp_column -> upper(mdp_column) NOT IN ('_PARTITIONTIME', '_PARTITIONDATE'))"
const pseudoColumnsHidden = (sql: string): string => {
  if (!sql.includes("*")) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  // Names the statement defines (`name AS (…)`: its CTEs), whose columns are no table's.
  const defined = new Set(significant.flatMap(({ token }, k) => (word(k + 1) === "AS" && significant[k + 2]?.token.text === "(" && (token.kind === "word" || token.kind === "quoted") ? [token.text.toLowerCase()] : [])))
  // Whether the FROM clause of the select list holding k reads a table by name first (not a
  // subquery, an UNNEST or another table function, nor a CTE of the statement).
  const readsTable = (k: number): boolean => {
    let depth = 0
    for (let j = k + 1; j < significant.length; j++) {
      const text = significant[j]!.token.text
      if (text === "(") depth++
      else if (text === ")") {
        if (--depth < 0) return false
      } else if (text === ";" && depth === 0) return false
      else if (depth === 0 && word(j) === "FROM") {
        const item = significant[j + 1]
        if (item === undefined || (item.token.kind !== "word" && item.token.kind !== "quoted") || significant[j + 2]?.token.text === "(") return false
        return !(significant[j + 2]?.token.text !== "." && defined.has(item.token.text.toLowerCase()))
      }
    }
    return false
  }
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  significant.forEach(({ token, index }, k) => {
    if (token.text !== "*" || token.kind === "quoted") return
    // A select item: after SELECT [DISTINCT|ALL] or a comma, before a comma, FROM or the end.
    const before = word(k - 1) === "DISTINCT" || word(k - 1) === "ALL" ? k - 2 : k - 1
    const opens = word(before) === "SELECT" || significant[before]?.token.text === ","
    // `* EXCLUDE (a, b)` (BigQuery's `* EXCEPT`): its names join the pseudo-columns left out.
    const excluded: Array<string> = []
    let last = k
    if (word(k + 1) === "EXCLUDE" && significant[k + 2]?.token.text === "(") {
      let j = k + 3
      for (; j < significant.length && significant[j]!.token.text !== ")"; j++) {
        const item = significant[j]!.token
        if (item.text === ",") continue
        if ((item.kind !== "word" && item.kind !== "quoted") || ![",", ")"].includes(significant[j + 1]?.token.text ?? "")) return
        excluded.push(item.kind === "quoted" ? item.text.slice(1, -1).replaceAll('""', '"') : item.text)
      }
      last = j
    }
    const next = significant[last + 1]?.token.text
    const closes = next === undefined || next === "," || next === ")" || next === ";" || word(last + 1) === "FROM"
    if (!opens || !closes || !readsTable(last)) return
    const names = ["_PARTITIONTIME", "_PARTITIONDATE", ...excluded.map((name) => name.toUpperCase())].map((name) => `'${name.replaceAll("'", "''")}'`)
    edits.set(index, { end: significant[last]!.index, text: excluded.length === 0 ? PSEUDO_COLUMNS_HIDDEN : `COLUMNS(mdp_column -> upper(mdp_column) NOT IN (${names.join(", ")}))` })
  })
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/**
 * A STRING(L) column of CREATE TABLE's list (polyglot writes `TEXT(L)`, whose length DuckDB
 * ignores): BigQuery refuses to write a longer value, so the column gets a CHECK of its length.
 */
const parameterizedStringColumns = (sql: string): string => {
  if (!/^\s*CREATE\b[\s\S]*?\bTABLE\b/i.test(sql) || !/\bTEXT\s*\(\s*\d+\s*\)/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  // The column list: the first parenthesis, unless the statement is a CREATE TABLE … AS.
  const open = significant.findIndex(({ token }) => token.text === "(")
  if (open < 0 || significant.slice(0, open).some((_, k) => word(k) === "AS")) return sql
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  let depth = 0
  for (let k = open; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "(") depth++
    else if (text === ")" && --depth === 0) break
    // `name TEXT(L)` at the list's own depth, the name after `(` or `,`.
    if (depth !== 1 || word(k) !== "TEXT" || significant[k + 1]?.token.text !== "(" || significant[k + 2]?.token.kind !== "number" || significant[k + 3]?.token.text !== ")") continue
    const before = significant[k - 2]?.token.text
    const name = significant[k - 1]?.token
    if ((before !== "(" && before !== ",") || name === undefined || (name.kind !== "word" && name.kind !== "quoted")) continue
    const column = name.kind === "quoted" ? name.text : quoteIdentifier(name.text)
    edits.set(significant[k]!.index, { end: significant[k + 3]!.index, text: `TEXT CHECK (length(${column}) <= ${significant[k + 2]!.token.text})` })
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/**
 * `* EXCEPT (\`Stay Date\`)`, `* REPLACE (… AS \`Stay Date\`)`: polyglot writes the names of a
 * star's lists without their quotes, which DuckDB cannot read back when they are not plain words
 * (a space, a dash). Such a name, several tokens where one was written, is quoted again.
 */
const starListNamesQuoted = (sql: string): string => {
  if (!/\*\s*(EXCLUDE|REPLACE)\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  // Tokens first..last of the significant list as one quoted name, when they are several plain tokens.
  const quoteSpan = (first: number, last: number) => {
    if (last <= first || significant.slice(first, last + 1).some(({ token }) => token.kind === "quoted" || token.kind === "string" || token.text === "." || token.text === "(")) return
    const raw = tokens.slice(significant[first]!.index, significant[last]!.index + 1).map((token) => token.text).join("")
    edits.set(significant[first]!.index, { end: significant[last]!.index, text: quoteIdentifier(raw) })
  }
  const listAt = (k: number) => {
    const list = significant[k]?.token.text.toUpperCase()
    return (list === "EXCLUDE" || list === "REPLACE") && significant[k + 1]?.token.text === "(" ? list : undefined
  }
  for (let k = 1; k + 1 < significant.length; k++) {
    if (significant[k - 1]!.token.text !== "*") continue
    // `* EXCLUDE (…) REPLACE (…)`: each list's items at its own commas, up to its closing parenthesis.
    for (let list = listAt(k); list !== undefined; list = listAt(k)) {
      let depth = 0
      let itemStart = k + 2
      let lastAs = -1
      for (let j = k + 2; j < significant.length; j++) {
        const text = significant[j]!.token.text
        if (text === "(") depth++
        else if (text === ")" && depth > 0) depth--
        else if (depth === 0 && (text === "," || text === ")")) {
          if (list === "EXCLUDE") quoteSpan(itemStart, j - 1)
          else if (lastAs >= 0) quoteSpan(lastAs + 1, j - 1)
          itemStart = j + 1
          lastAs = -1
          k = j + 1
          if (text === ")") break
        } else if (depth === 0 && significant[j]!.token.kind === "word" && text.toUpperCase() === "AS") lastAs = j
      }
    }
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

// DuckDB's aggregate functions, as a GROUP BY ALL tells a SELECT item that groups from one that aggregates.
const DUCKDB_AGGREGATES = new Set(
  ("SUM COUNT MIN MAX AVG ARRAY_AGG LIST STRING_AGG ANY_VALUE ARG_MAX ARG_MIN ARG_MAX_NULL ARG_MIN_NULL BOOL_AND BOOL_OR COUNT_IF COUNTIF FIRST LAST MEDIAN MODE " +
    "QUANTILE QUANTILE_CONT QUANTILE_DISC APPROX_COUNT_DISTINCT APPROX_QUANTILE STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP CORR COVAR_POP COVAR_SAMP " +
    "BIT_AND BIT_OR BIT_XOR HISTOGRAM GROUP_CONCAT LISTAGG PRODUCT KURTOSIS SKEWNESS ENTROPY FAVG FSUM SUMKAHAN MAD BITSTRING_AGG").split(" ")
)

/**
 * `SELECT k, ARRAY_AGG(STRUCT(…) ORDER BY t LIMIT 1)[OFFSET(0)].* … GROUP BY ALL`: the struct's
 * fields come out of DuckDB's UNNEST, which GROUP BY ALL refuses beside it. The grouping items
 * (those without an aggregate) are named by position instead, as BigQuery's GROUP BY ALL groups.
 */
const groupByAllBesideStructStars = (sql: string): string => {
  if (!/\bGROUP\s+BY\s+ALL\b/i.test(sql) || !/\bUNNEST\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const depths = depthsOf(significant.map(({ token }) => token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  for (let k = 0; k < significant.length; k++) {
    if (word(k) !== "SELECT") continue
    const level = depths[k]!
    // The select list's items, at commas of its level, up to its FROM.
    const items: Array<Array<number>> = [[]]
    let at = k + 1
    for (; at < significant.length && depths[at]! >= level; at++) {
      if (depths[at] === level && (word(at) === "FROM" || significant[at]!.token.text === ";")) break
      if (depths[at] === level && significant[at]!.token.text === ",") items.push([])
      else items[items.length - 1]!.push(at)
    }
    if (word(at) !== "FROM") continue
    let group = at
    while (group < significant.length && depths[group]! >= level && !(depths[group] === level && (word(group) === "SELECT" || (word(group) === "GROUP" && word(group + 1) === "BY")))) group++
    if (!(word(group) === "GROUP" && word(group + 2) === "ALL" && depths[group] === level)) continue
    const starred = items.some((item) => word(item[0]!) === "UNNEST")
    const windowed = items.some((item) => item.some((t) => word(t) === "OVER"))
    if (!starred || windowed) continue
    const aggregates = (item: ReadonlyArray<number>) => item.some((t) => DUCKDB_AGGREGATES.has(word(t)) && significant[t + 1]?.token.text === "(")
    const keys = items.flatMap((item, i) => (aggregates(item) ? [] : [String(i + 1)]))
    // A struct expanded from a grouped value (no aggregate in it) is left to DuckDB, which refuses it by name.
    if (items.some((item) => word(item[0]!) === "UNNEST" && !aggregates(item))) continue
    edits.set(significant[group]!.index, { end: significant[group + 2]!.index, text: keys.length === 0 ? "GROUP BY ()" : `GROUP BY ${keys.join(", ")}` })
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

const nanOrdering = (sql: string): string => {
  if (!/\bORDER\s+BY\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const text = (k: number) => significant[k]?.token.text ?? ""
  // Per open parenthesis: whether a query runs in it (the top level counts as one), and whether a set operator was met there.
  // DuckDB's GROUP BY ALL refuses an ORDER BY expression over a grouped column (`k + 0`), so under
  // one the keys stay as written and NaN sorts as DuckDB sorts it.
  const levels: Array<{ readonly query: boolean; readonly start: number; setOperation: boolean; groupByAll: boolean }> = [{ query: true, start: 0, setOperation: false, groupByAll: false }]
  const edits = new Map<number, { readonly end: number; readonly text: string }>()
  for (let k = 0; k < significant.length; k++) {
    const t = text(k)
    if (t === "(") {
      levels.push({ query: word(k + 1) === "SELECT" || word(k + 1) === "WITH", start: k + 1, setOperation: false, groupByAll: false })
      continue
    }
    if (t === ")") {
      levels.pop()
      continue
    }
    const level = levels[levels.length - 1]!
    if (["UNION", "EXCEPT", "INTERSECT"].includes(word(k))) level.setOperation = true
    if (word(k) === "GROUP" && word(k + 1) === "BY" && word(k + 2) === "ALL") level.groupByAll = true
    if (word(k) !== "ORDER" || word(k + 1) !== "BY" || !level.query || level.setOperation || level.groupByAll) continue
    // The items: up to LIMIT, OFFSET, the closing parenthesis or the end, split at top-level commas
    // (a word that opens an item is the item: a column named offset, WITH OFFSET's default name).
    const items: Array<{ from: number; to: number }> = []
    let depth = 0
    let from = k + 2
    let end = k + 2
    for (; end < significant.length; end++) {
      const e = text(end)
      if (e === "(") depth++
      else if (e === ")") {
        if (depth === 0) break
        depth--
      } else if (depth === 0 && (e === ";" || (end > from && ["LIMIT", "OFFSET", "FETCH"].includes(word(end))))) break
      else if (depth === 0 && e === ",") {
        items.push({ from, to: end - 1 })
        from = end + 1
      }
    }
    items.push({ from, to: end - 1 })
    // DuckDB refuses an expression over an alias of a subquery or of RAND() (it would repeat it),
    // so such a key stays as written.
    // The select item an ORDER BY name aliases, when it is one: the expression's tokens.
    const aliasedItem = (start: number, orderBy: number, name: string): ReadonlyArray<{ readonly token: Token; readonly index: number }> | undefined => {
      let itemStart = start
      for (let j = start, level = 0; j < orderBy; j++) {
        const t = text(j)
        if (t === "(") level++
        else if (t === ")") level--
        else if (level === 0 && (t === "," || word(j) === "SELECT")) itemStart = j + 1
        else if (level === 0 && word(j) === "AS" && unquotedName(text(j + 1)).toLowerCase() === unquotedName(name).toLowerCase()) return significant.slice(itemStart, j)
      }
      return undefined
    }
    // Whether the ORDER BY's query reads its items' expressions: not under SELECT DISTINCT (its
    // ORDER BY may name only what it selects) nor after a set operation (it orders the union's rows).
    const readsItemExpressions = (start: number, orderBy: number): boolean => {
      for (let j = start, level = 0; j < orderBy; j++) {
        const t = text(j)
        if (t === "(") level++
        else if (t === ")") level--
        else if (level === 0 && (/^(UNION|INTERSECT|EXCEPT)$/.test(word(j)) || (word(j) === "SELECT" && /^(DISTINCT|AS)$/.test(word(j + 1))))) return false
      }
      return true
    }
    const rendered = items.map(({ from: a, to: b }) => {
      const itemText = render(tokens.slice(significant[a]!.index, significant[b]!.index + 1))
      let last = b
      let nulls = ""
      if (word(last - 1) === "NULLS" && (word(last) === "FIRST" || word(last) === "LAST")) {
        nulls = word(last)
        last -= 2
      }
      const descending = word(last) === "DESC"
      if (descending || word(last) === "ASC") last--
      const expression = render(tokens.slice(significant[a]!.index, significant[last]!.index + 1)).trim()
      if (last < a || /^\d+$/.test(expression)) return itemText
      const aliased = last === a ? aliasedItem(level.start, k, expression) : undefined
      const hasWord = (pattern: RegExp) => aliased?.some(({ token }) => token.kind === "word" && pattern.test(token.text)) === true
      if (hasWord(/^(SELECT|RANDOM|RAND)$/i)) return itemText
      // An alias of a computed item (not a window's), or of a path (`_t0."c".key AS key`, where an
      // UNNEST's element also gives a column key), is tested on its expression: inside an
      // expression, DuckDB reads the name as a FROM column first (`ORDER BY conversions` of
      // SUM(s.conversions) AS conversions).
      const computed = aliased !== undefined && (aliased.length > 1 || aliased.some(({ token }) => token.text === "(")) && !hasWord(/^OVER$/i) && readsItemExpressions(level.start, k)
      const tested = computed ? render(tokens.slice(aliased[0]!.index, aliased[aliased.length - 1]!.index + 1)).trim() : expression
      const placement = nulls === "" ? (descending ? "LAST" : "FIRST") : nulls
      return `${isNan(tested)} ${descending ? "ASC" : "DESC"} NULLS ${placement}, ${itemText}`
    })
    edits.set(significant[k + 2]!.index, { end: significant[end - 1]!.index, text: rendered.join(", ") })
    k = end - 1
  }
  return edits.size === 0 ? sql : withSpansReplaced(tokens, edits)
}

/**
 * BigQuery NUMERIC is DECIMAL(38, 9); polyglot emits bare DECIMAL, which DuckDB reads as
 * DECIMAL(18, 3), and inside ROUND's or SAFE_DIVIDE's arguments it writes that DECIMAL(18, 3) out
 * (`ROUND(NUMERIC '1.23456', 4)` was 1.235). A DECIMAL(18, 3) the BigQuery statement did not spell
 * out is such a NUMERIC.
 */
const widenBareDecimals = (sql: string, spelledOut: string): string => {
  const narrowIsNumeric = !/\b(?:NUMERIC|DECIMAL)\s*\(\s*18\s*,\s*3\s*\)/i.test(spelledOut)
  const tokens = tokenize(sql, "duckdb")
  const out: Array<string> = []
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!
    // polyglot writes a type in capitals and a name as it was written: a column named `decimal`
    // (BigQuery does not reserve the word) is no type to widen.
    if (token.kind !== "word" || token.text !== "DECIMAL" || tokens[index - 1]?.text === ".") {
      out.push(token.text)
      continue
    }
    const next = tokens.findIndex((t, k) => k > index && t.kind !== "space")
    if (tokens[next]?.text !== "(") {
      out.push("DECIMAL(38, 9)")
      continue
    }
    const parameters = tokens.slice(next, next + 8).filter((t) => t.kind !== "space").map((t) => t.text)
    const close = tokens.findIndex((t, k) => k > next && t.text === ")")
    if (narrowIsNumeric && parameters.slice(0, 5).join("") === "(18,3)" && close !== -1) {
      out.push("DECIMAL(38, 9)")
      index = close
      continue
    }
    out.push(token.text)
  }
  return out.join("")
}

const INTERVAL_UNITS = /^(YEAR|QUARTER|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)S?$/i

/**
 * `INTERVAL x DAY` with a column, a negated column or literal, or a call (a script variable's `getvariable('x')`;
 * BigQuery's `INTERVAL int64_expression part`): DuckDB's grammar takes a literal there, or a
 * parenthesised expression, so the operand is parenthesised. Literals and parenthesised operands
 * are left as they are.
 */
const parenthesizeIntervalOperands = (sql: string): string => {
  const tokens = tokenize(sql, "duckdb")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    out.push(tokens[i]!.text)
    if (tokens[i]!.kind !== "word" || tokens[i]!.text.toUpperCase() !== "INTERVAL") continue
    // The operand: identifiers, dots and a leading minus, up to the unit.
    let j = i + 1
    const operand: Array<Token> = []
    while (j < tokens.length && operand.length <= 8) {
      const token = tokens[j]!
      if (token.kind === "word" && INTERVAL_UNITS.test(token.text) && operand.some(isSignificant)) break
      const callee = operand.findLast(isSignificant)
      if (token.text === "(" && callee?.kind === "word") {
        // A call's arguments, whole.
        let depth = 0
        let close = j
        for (; close < tokens.length; close++) {
          if (tokens[close]!.text === "(") depth++
          else if (tokens[close]!.text === ")" && --depth === 0) break
        }
        if (close >= tokens.length) {
          operand.length = 0
          break
        }
        operand.push(...tokens.slice(j, close + 1))
        j = close + 1
        continue
      }
      const negated = operand.findLast(isSignificant)?.text === "-"
      if (!(token.kind === "space" || token.kind === "word" || token.kind === "quoted" || token.text === "." || (token.text === "-" && !operand.some(isSignificant)) || (token.kind === "number" && negated))) {
        operand.length = 0
        break
      }
      operand.push(token)
      j++
    }
    if (operand.some(isSignificant) && j < tokens.length && INTERVAL_UNITS.test(tokens[j]!.text)) {
      const text = render(operand).trim()
      out.push(` (${text}) `)
      i = j - 1
    }
  }
  return out.join("")
}

/**
 * `FROM UNNEST(array)` without an alias: BigQuery gives an array of STRUCTs one column per field
 * (GA4's `(SELECT value.string_value FROM UNNEST(event_params) WHERE key = …)`); DuckDB one struct
 * column named `unnest`. Unnested in a SELECT list with `max_depth := 2`, DuckDB also spreads the
 * struct's fields into columns (nested arrays stay arrays), and a scalar array stays one column.
 */
const expandUnaliasedUnnest = (sql: string): string => {
  if (!/\bUNNEST\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const starts = fromItemStarts(significant)
  const edits = new Map<number, string>()
  for (let k = 0; k < significant.length; k++) {
    if (word(k) !== "UNNEST" || significant[k + 1]?.token.text !== "(" || !starts.has(k)) continue
    let depth = 0
    let close = k + 1
    for (; close < significant.length; close++) {
      if (significant[close]!.token.text === "(") depth++
      if (significant[close]!.token.text === ")" && --depth === 0) break
    }
    const after = significant[close + 1]?.token
    const aliased = after !== undefined && (word(close + 1) === "AS" || word(close + 1) === "WITH" || after.kind === "quoted" || (after.kind === "word" && !FROM_CLAUSE_ENDS.has(word(close + 1)) && !/^(LEFT|RIGHT|INNER|CROSS|FULL|JOIN|NATURAL|POSITIONAL|ASOF)$/.test(word(close + 1))))
    if (aliased || close >= significant.length) continue
    edits.set(significant[k]!.index, "(SELECT UNNEST")
    edits.set(significant[close]!.index, ", max_depth := 2))")
  }
  return edits.size === 0 ? sql : tokens.map((token, index) => edits.get(index) ?? token.text).join("")
}

/**
 * `SELECT *` straight from a wildcard table (`dataset.events_*`): BigQuery's `_TABLE_SUFFIX` is a
 * pseudo-column `*` leaves out, but locally it is a column of the wildcard's view (sources.ts).
 */
const answerInformationSchema = (sql: string): string => {
  if (!sql.includes(INFORMATION_SCHEMA_MARKER)) return sql
  return tokenize(sql, "duckdb")
    .map((token) => (token.kind === "quoted" && token.text.startsWith(`"${INFORMATION_SCHEMA_MARKER}`) ? (informationSchemaQuery(token.text.slice(1, -1)) ?? token.text) : token.text))
    .join("")
}

/** The `(` matching the `)` at `close`, both indexes into a token list read through `text`; -1 when none. */
const openingParenthesis = (text: (k: number) => string, close: number): number => {
  let depth = 0
  for (let k = close; k >= 0; k--) {
    if (text(k) === ")") depth++
    if (text(k) === "(" && --depth === 0) return k
  }
  return -1
}

/** The `)` matching the `(` at `open`, read as openingParenthesis reads; -1 when none. */
const closingParenthesis = (text: (k: number) => string, count: number, open: number): number => {
  let depth = 0
  for (let k = open; k < count; k++) {
    if (text(k) === "(") depth++
    if (text(k) === ")" && --depth === 0) return k
  }
  return -1
}

/**
 * A civil time in a zone as an instant, as ZetaSQL converts it (absl's TimeZone::At(...).pre): a
 * time a fall-back repeats is the earlier instant, where DuckDB's ICU takes the later; a time a
 * spring-forward skips reads with the offset before it, as DuckDB's does. `candidate` moves
 * DuckDB's answer by the change of offset over the three hours before it, and is taken only
 * where it names the same civil time.
 */
const earlierInstant = (local: string, zone: string): string => {
  const instant = `(${local} AT TIME ZONE ${zone})`
  const offset = (at: string) => `((${at}) AT TIME ZONE ${zone}) - ((${at}) AT TIME ZONE 'UTC')`
  const candidate = `(${instant} + ((${offset(instant)}) - (${offset(`${instant} - INTERVAL 3 HOUR`)})))`
  return `(CASE WHEN (${candidate} AT TIME ZONE ${zone}) = (${local}) THEN ${candidate} ELSE ${instant} END)`
}

/** The local time's zone-conversions (`CAST(x AS TIMESTAMP) AT TIME ZONE z`, `TIMEZONE(z, CAST(x AS TIMESTAMP))`, a zone-named TIMESTAMP literal) through earlierInstant. */
const earlierInstantsAtFallBack = (sql: string): string => {
  // A conversion, or a literal naming a zone (America/New_York, US/Eastern).
  if (!/TIME\s*ZONE|[A-Za-z]\/[A-Za-z]/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const text = (k: number) => significant[k]?.token.text.toUpperCase() ?? ""
  // CAST(… AS TIMESTAMP) ending at `close`: its first significant index, or -1.
  const localCast = (close: number): number => {
    if (text(close) !== ")" || text(close - 1) !== "TIMESTAMP" || text(close - 2) !== "AS") return -1
    const open = openingParenthesis(text, close)
    return open > 0 && text(open - 1) === "CAST" ? open - 1 : -1
  }
  const zoneToken = (k: number) => significant[k] !== undefined && (significant[k]!.token.kind === "string" || significant[k]!.token.kind === "quoted")
  const rendered = (from: number, to: number) => render(tokens.slice(significant[from]!.index, significant[to]!.index + 1))
  const replacements: Array<{ readonly from: number; readonly to: number; readonly text: string }> = []
  for (let k = 0; k < significant.length; k++) {
    if (text(k) === "AT" && text(k + 1) === "TIME" && text(k + 2) === "ZONE" && zoneToken(k + 3) && text(k + 4) !== ".") {
      const start = localCast(k - 1)
      if (start >= 0 && (replacements.length === 0 || replacements[replacements.length - 1]!.to < start)) {
        replacements.push({ from: start, to: k + 3, text: earlierInstant(rendered(start, k - 1), significant[k + 3]!.token.text) })
      }
    } else if (text(k) === "TIMEZONE" && text(k + 1) === "(" && zoneToken(k + 2) && text(k + 3) === ",") {
      const close = closingParenthesis(text, significant.length, k + 1)
      const start = localCast(close - 1)
      if (start === k + 4 && (replacements.length === 0 || replacements[replacements.length - 1]!.to < k)) {
        replacements.push({ from: k, to: close, text: earlierInstant(rendered(start, close - 1), significant[k + 2]!.token.text) })
      }
    } else if (significant[k]!.token.kind === "string" && text(k - 1) === "(" && text(k - 2) === "CAST" && text(k + 1) === "AS" && (text(k + 2) === "TIMESTAMPTZ" || text(k + 2) === TIMESTAMP_TYPE) && text(k + 3) === ")") {
      const literal = /^'(\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?) ?([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)'$/.exec(significant[k]!.token.text)
      if (literal !== null) replacements.push({ from: k - 2, to: k + 3, text: earlierInstant(`CAST('${literal[1]}' AS TIMESTAMP)`, `'${literal[2]}'`) })
    }
  }
  if (replacements.length === 0) return sql
  let out = ""
  let at = 0
  for (const { from, to, text: replacement } of replacements) {
    out += render(tokens.slice(at, significant[from]!.index)) + replacement
    at = significant[to]!.index + 1
  }
  return out + render(tokens.slice(at))
}

/**
 * BigQuery takes a time zone as a UTC offset too (`'+02'`, `'-8:00'`, `'UTC+3'`); DuckDB's ICU knows
 * only names. A whole-hour offset is the fixed zone `Etc/GMT∓H` (whose sign is POSIX's, inverted).
 * An offset with minutes (`'+05:30'`) has no such name: the conversion is written as arithmetic in
 * UTC, the offset added to an instant (giving its local time) or taken from a local time (giving
 * its instant), chosen by the operand's type, as `AT TIME ZONE` chooses its direction.
 */
const fixedOffsetZones = (sql: string): string => {
  if (!/(TIMEZONE\s*\(|TIME\s+ZONE)\s*'(UTC)?[+-]/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const text = (k: number) => significant[k]?.token.text.toUpperCase() ?? ""
  const replaced = new Map<number, string>()
  // Token ranges (significant indexes) replaced whole, by arithmetic for minute offsets.
  const spans: Array<{ readonly from: number; readonly to: number; readonly text: string }> = []
  const rendered = (from: number, to: number) => render(tokens.slice(significant[from]!.index, significant[to]!.index + 1))
  // The operand is bound once by a lambda: written twice, nested conversions doubled at each level.
  const shifted = (operand: string, minutes: number) =>
    `list_transform([${operand}], mdp_zoned -> timezone('UTC', mdp_zoned + (CASE WHEN typeof(mdp_zoned) = 'TIMESTAMP WITH TIME ZONE' THEN INTERVAL (${minutes}) MINUTE ELSE INTERVAL (${-minutes}) MINUTE END)))[1]`
  // The primary expression ending at `end`: a bracketed group or call, a typed literal, a (dotted) name.
  const operandStart = (end: number): number => {
    let k = end
    if (text(k) === ")") {
      k = openingParenthesis(text, k)
      if (k < 0) return -1
      if (k > 0 && significant[k - 1]!.token.kind === "word" && !KEYWORDS_BEFORE_A_NAME.has(text(k - 1))) k--
      return k
    }
    if (significant[k]?.token.kind === "string") return /^(TIMESTAMPTZ|TIMESTAMP|DATE)$/.test(text(k - 1)) ? k - 1 : k
    if (significant[k]?.token.kind !== "word" && significant[k]?.token.kind !== "quoted") return -1
    while (text(k - 1) === "." && (significant[k - 2]?.token.kind === "word" || significant[k - 2]?.token.kind === "quoted")) k -= 2
    return k
  }
  significant.forEach(({ token, index }, k) => {
    if (token.kind !== "string") return
    const before = significant.slice(Math.max(0, k - 2), k).map(({ token: t }) => t.text.toUpperCase()).join(" ")
    if (!before.endsWith("TIMEZONE (") && before !== "TIME ZONE") return
    const offset = /^'(?:UTC)?([+-])(\d{1,2})(?::(\d{1,2}))?'$/i.exec(token.text)
    if (offset === null) return
    const hours = Number(offset[2])
    const extra = Number(offset[3] ?? 0)
    if (extra !== 0) {
      const minutes = (offset[1] === "-" ? -1 : 1) * (hours * 60 + extra)
      if (before === "TIME ZONE" && text(k - 3) === "AT") {
        const start = operandStart(k - 4)
        if (start >= 0) return void spans.push({ from: start, to: k, text: shifted(rendered(start, k - 4), minutes) })
      } else if (before.endsWith("TIMEZONE (") && text(k + 1) === ",") {
        const close = closingParenthesis(text, significant.length, k - 1)
        if (close > k + 2) return void spans.push({ from: k - 2, to: close, text: shifted(rendered(k + 2, close - 1), minutes) })
      }
      const message = `the time zone ${token.text.slice(1, -1)} is an offset with minutes in a place the translation cannot rewrite: name the zone instead (such as Asia/Kolkata for +05:30)`
      replaced.set(index, `CAST(error('${message}') AS VARCHAR)`)
      return
    }
    if (hours === 0) replaced.set(index, "'UTC'")
    else if (offset[1] === "+" ? hours <= 14 : hours <= 12) replaced.set(index, `'Etc/GMT${offset[1] === "+" ? "-" : "+"}${hours}'`)
  })
  // One conversion with minutes at a time, the first to end (an inner one before the one holding
  // it), then the whole text again; the whole-hour names once none is left.
  if (spans.length > 0) {
    const first = spans.reduce((a, b) => (b.to < a.to ? b : a))
    return fixedOffsetZones(render(tokens.slice(0, significant[first.from]!.index)) + first.text + render(tokens.slice(significant[first.to]!.index + 1)))
  }
  return replaced.size === 0 ? sql : tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

const hideTableSuffix = (sql: string): string => {
  if (!/\*"/.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const replace = new Set<number>()
  significant.forEach(({ token }, k) => {
    if (token.kind !== "quoted" || !token.text.endsWith('*"')) return
    // Back over `"schema".` to the FROM, then to this query's SELECT at the same depth.
    let from = k - 1
    while (from >= 0 && (significant[from]!.token.text === "." || significant[from]!.token.kind === "quoted" || significant[from]!.token.kind === "word") && significant[from]!.token.text.toUpperCase() !== "FROM") from--
    if (from < 1 || significant[from]!.token.text.toUpperCase() !== "FROM") return
    const star = significant[from - 1]!
    const select = significant[from - 2]
    if (star.token.text === "*" && select?.token.text.toUpperCase() === "SELECT") replace.add(star.index)
  })
  return tokens.map((token, index) => (replace.has(index) ? "* EXCLUDE (_TABLE_SUFFIX)" : token.text)).join("")
}

/**
 * BigQuery casts a STRUCT to another STRUCT type field by field in order, whatever the names (an
 * anonymous `STRUCT(1, 'a')` has none); DuckDB matches fields by name and refuses a cast where none
 * match, and fills the others with NULL. A STRUCT literal cast to a STRUCT type (or an array of
 * them) becomes an unnamed `row(…)`, which DuckDB casts by position; any other value cast so is
 * made unnamed by `struct_values` (element by element in an array).
 */
const positionalStructCasts = (sql: string): string => {
  if (!/\bCAST\s*\(/i.test(sql) || !/\bAS\s+STRUCT\s*\(/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const punct = (k: number) => (tokens[k]?.kind === "punct" ? tokens[k]!.text : "")
  const nextSignificant = (k: number) => {
    let n = k + 1
    while (n < tokens.length && !isSignificant(tokens[n]!)) n++
    return n
  }
  const replaced = new Map<number, string>()
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== "word" || !/^(TRY_)?CAST$/i.test(tokens[i]!.text)) continue
    const open = nextSignificant(i)
    if (punct(open) !== "(") continue
    const literal = punct(nextSignificant(open)) === "{" || punct(nextSignificant(open)) === "["
    // The cast's closing parenthesis and its last AS at its own level.
    let depth = 0
    let as = -1
    let close = open
    for (; close < tokens.length; close++) {
      const text = punct(close)
      if (text === "(" || text === "[" || text === "{") depth++
      else if ((text === ")" || text === "]" || text === "}") && --depth === 0) break
      else if (depth === 1 && tokens[close]!.kind === "word" && tokens[close]!.text.toUpperCase() === "AS") as = close
    }
    if (close >= tokens.length || as < 0 || tokens[nextSignificant(as)]?.text.toUpperCase() !== "STRUCT") continue
    if (!literal) {
      const value = render(tokens.slice(open + 1, as)).trim()
      if (/^NULL$/i.test(value)) continue
      const toArray = /\)\s*\[\]$/.test(render(tokens.slice(as + 1, close)).trim())
      replaced.set(open + 1, toArray ? `list_transform(${value}, mdp_element -> struct_values(mdp_element)) ` : `struct_values(${value}) `)
      for (let k = open + 2; k < as; k++) replaced.set(k, "")
      i = as
      continue
    }
    // Each literal's keys dropped: `{'a': 1, 'b': {'c': 2}}` → `row(1, row(2))`.
    structLiteralsAsRows(tokens, open + 1, as, replaced, "all")
    i = as
  }
  if (replaced.size === 0) return sql
  return tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

/**
 * The STRUCT literals among tokens `from` to `to` (all of them, or the anonymous ones, whose keys
 * polyglot writes as `'_0'`, `'_1'`, …) as unnamed `row(…)`s, which DuckDB casts by position.
 */
const structLiteralsAsRows = (tokens: ReadonlyArray<Token>, from: number, to: number, replaced: Map<number, string>, which: "all" | "anonymous"): void => {
  const punct = (k: number) => (tokens[k]?.kind === "punct" ? tokens[k]!.text : "")
  const literals: Array<{ readonly unnamed: boolean; nesting: number; inKey: boolean }> = []
  for (let k = from; k < to; k++) {
    const text = punct(k)
    const literal = literals[literals.length - 1]
    if (text === "{") {
      const key = tokens.slice(k + 1, to).find(isSignificant)
      const unnamed = which === "all" || (key?.kind === "string" && /^'_\d+'$/.test(key.text))
      if (unnamed) replaced.set(k, "row(")
      literals.push({ unnamed, nesting: 0, inKey: true })
    } else if (literal?.inKey === true) {
      if (literal.unnamed) replaced.set(k, "")
      if (text === ":") literal.inKey = false
    } else if (literal !== undefined && text === "}" && literal.nesting === 0) {
      if (literal.unnamed) replaced.set(k, ")")
      literals.pop()
    } else if (literal !== undefined && text === "," && literal.nesting === 0) literal.inKey = true
    else if (literal !== undefined && (text === "(" || text === "[")) literal.nesting++
    else if (literal !== undefined && (text === ")" || text === "]")) literal.nesting--
  }
}

/**
 * A CASE (or IF, COALESCE, IFNULL) whose branches mix an anonymous STRUCT literal (`THEN STRUCT(n + 1, 'b')`) with a named
 * STRUCT value: BigQuery coerces the anonymous one field by field in order, DuckDB by name, which
 * matched nothing and gave NULL fields (silently, as in a recursive CTE's state). The anonymous
 * literals become unnamed `row(…)`s there; a CASE of anonymous literals only keeps its names.
 */
const anonymousStructBranches = (sql: string): string => {
  if (!/'_\d+':/.test(sql) || !/\b(CASE|IF|COALESCE|IFNULL)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  // A literal with an anonymous field (`STRUCT(x, 'z')` names its first field x).
  const anonymousAt = (k: number) => {
    if (significant[k]?.token.text !== "{") return false
    for (let j = k + 1, level = 0; j < significant.length; j++) {
      const t = significant[j]!.token.text
      if (t === "{" || t === "(" || t === "[") level++
      else if (t === "}" || t === ")" || t === "]") {
        if (level-- === 0) return false
      } else if (level === 0 && significant[j]!.token.kind === "string" && /^'_\d+'$/.test(t) && significant[j + 1]?.token.text === ":") return true
    }
    return false
  }
  const replaced = new Map<number, string>()
  const frames: Array<{ readonly depth: number; readonly branches: Array<number> }> = []
  const groups: Array<ReadonlyArray<number>> = []
  let depth = 0
  for (let k = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "(" || text === "[" || text === "{") depth++
    else if (text === ")" || text === "]" || text === "}") depth--
    else if (word(k) === "CASE") frames.push({ depth, branches: [] })
    else if ((word(k) === "THEN" || word(k) === "ELSE") && frames[frames.length - 1]?.depth === depth) frames[frames.length - 1]!.branches.push(k + 1)
    else if (word(k) === "END" && frames[frames.length - 1]?.depth === depth) groups.push(frames.pop()!.branches)
    // IF's two values, and COALESCE's and IFNULL's arguments, are branches too.
    if (["IF", "COALESCE", "IFNULL"].includes(word(k)) && significant[k + 1]?.token.text === "(") {
      const starts: Array<number> = [k + 2]
      for (let j = k + 2, level = 0; j < significant.length; j++) {
        const t = significant[j]!.token.text
        if (t === "{" || t === "(" || t === "[") level++
        else if (t === "}" || t === ")" || t === "]") {
          if (level-- === 0) break
        } else if (level === 0 && t === ",") starts.push(j + 1)
      }
      groups.push(word(k) === "IF" ? starts.slice(1) : starts)
    }
  }
  for (const branches of groups) {
    const anonymous = branches.filter(anonymousAt)
    if (anonymous.length === 0 || anonymous.length === branches.length) continue
    for (const start of anonymous) {
      let close = start
      for (let level = 0; close < significant.length; close++) {
        const t = significant[close]!.token.text
        if (t === "{" || t === "(" || t === "[") level++
        else if ((t === "}" || t === ")" || t === "]") && --level === 0) break
      }
      structLiteralsAsRows(tokens, significant[start]!.index, significant[close]!.index + 1, replaced, "all")
    }
  }
  return replaced.size === 0 ? sql : tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

/**
 * A value written to a STRUCT column (INSERT, UPDATE's SET, MERGE) is coerced as a cast is: field by
 * field in order. An anonymous `STRUCT(1, 'a')` written so becomes an unnamed `row(…)`; DuckDB
 * refused its `_0`, `_1` keys. Named literals keep their names, since the statement may read them.
 */
const positionalStructAssignments = (sql: string): string => {
  if (!sql.includes("{'_0'") || !/^\s*(INSERT|UPDATE|MERGE)\b/i.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const replaced = new Map<number, string>()
  structLiteralsAsRows(tokens, 0, tokens.length, replaced, "anonymous")
  return tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

/**
 * `SELECT AS STRUCT s.* [EXCEPT (…)], x AS y`: polyglot writes `{'_0': s.*, 'y': x}`, which DuckDB
 * refuses. The struct's fields (less the ones left out), then the new ones: `struct_insert(s, y := x)`;
 * with several STRUCTs' fields (`a.*, b.*`), all of them in order.
 */
const structWithStarFields = (sql: string): string => {
  if (!/\{'_0': [\w."]+\.\*/.test(sql)) return sql
  const tokens = tokenize(sql, "duckdb")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const match = tokens[i]!.text === "{" ? /^\{'_0': ([\w."]+)\.\*\s*(EXCLUDE\s*\([^()]*\))?\s*(,|\})/i.exec(render(tokens.slice(i, i + 200))) : null
    if (match === null) {
      out.push(tokens[i]!.text)
      continue
    }
    // The literal's end, and its entries after the star one.
    let depth = 0
    let close = i
    for (; close < tokens.length; close++) {
      const text = tokens[close]!.kind === "punct" ? tokens[close]!.text : ""
      if (text === "{" || text === "(" || text === "[") depth++
      else if ((text === "}" || text === ")" || text === "]") && --depth === 0) break
    }
    const entries: Array<string> = []
    let current = ""
    depth = 0
    for (let k = i + 1; k < close; k++) {
      const text = tokens[k]!.kind === "punct" ? tokens[k]!.text : ""
      if (text === "{" || text === "(" || text === "[") depth++
      else if (text === "}" || text === ")" || text === "]") depth--
      if (text === "," && depth === 0) {
        entries.push(current.trim())
        current = ""
      } else current += tokens[k]!.text
    }
    entries.push(current.trim())
    const added = entries.slice(1).map((entry) => /^'((?:[^']|'')*)':\s*([\s\S]*)$/.exec(entry))
    if (close >= tokens.length || added.some((entry) => entry === null)) {
      out.push(tokens[i]!.text)
      continue
    }
    // With EXCEPT: the fields unnested into columns, some left out, and the row taken as a STRUCT.
    const starFields = (struct: string, except: string | undefined) =>
      except === undefined ? struct : `(SELECT mdp_s FROM (SELECT * ${except} FROM (SELECT UNNEST(${struct}))) AS mdp_s)`
    const stars = added.map((entry) => /^([\w."]+)\.\*\s*(EXCLUDE\s*\([^()]*\))?$/i.exec(entry![2]!.trim()))
    const name = (entry: RegExpExecArray) => `"${entry[1]!.replace(/''/g, "'").replace(/"/g, '""')}"`
    if (stars.some((star) => star !== null)) {
      // Several STRUCTs' fields (`SELECT AS STRUCT a.*, b.*, x AS y`), and new ones, in order.
      const parts = [starFields(match[1]!, match[2]), ...added.map((entry, k) => (stars[k] === null ? `struct_pack(${name(entry!)} := ${entry![2]})` : starFields(stars[k]![1]!, stars[k]![2])))]
      out.push(`struct_concat(${parts.join(", ")})`)
      i = close
      continue
    }
    const fields = added.map((entry) => `${name(entry!)} := ${entry![2]}`)
    const kept = starFields(match[1]!, match[2])
    out.push(fields.length === 0 ? kept : `struct_insert(${kept}, ${fields.join(", ")})`)
    i = close
  }
  return out.join("")
}

const QUERY_CLAUSE_ENDS = new Set(["ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "OFFSET"])

/**
 * BigQuery fails a MERGE whose WHEN MATCHED clause would act on a target row that several source
 * rows match ("UPDATE/MERGE must match at most one source row for each target row"); DuckDB's MERGE
 * goes ahead. A check before it fails the same way.
 */
const withMergeMatchCheck = (sql: string): ReadonlyArray<string> => {
  if (/^\s*UPDATE\b/i.test(sql)) return withUpdateMatchCheck(sql)
  if (!/^\s*MERGE\b/i.test(sql)) return [sql]
  const { tokens, significant, word, atDepthZero, first } = statementClauses(sql)
  const using = first("USING", 0)
  const on = using === undefined ? undefined : first("ON", using)
  const when = on === undefined ? undefined : first("WHEN", on)
  if (using === undefined || on === undefined || when === undefined) return [sql]
  if (!atDepthZero.some((k) => word(k) === "WHEN" && word(k + 1) === "MATCHED")) return [sql]
  const text = (from: number, to: number) => render(tokens.slice(significant[from]!.index, significant[to - 1]!.index + 1)).trim()
  const targetStart = word(1) === "INTO" ? 2 : 1
  const target = significant.slice(targetStart, using)
  // The target's alias (`t AS x`, `t x`), or else the last part of its name: what its rows are read by.
  const qualifier = target[target.length - 1]?.token.text
  if (qualifier === undefined) return [sql]
  const check =
    `${tooManyMatches("MERGE")} ` +
    `FROM (SELECT ${qualifier}.rowid FROM ${text(targetStart, using)} JOIN ${text(using + 1, on)} ON ${text(on + 1, when)} GROUP BY ${qualifier}.rowid HAVING count(*) > 1) HAVING count(*) > 0`
  return [check, sql]
}

/**
 * BigQuery's UNPIVOT puts the value columns before the name column (`product, sales, quarter`);
 * DuckDB's puts the name first. And BigQuery's PIVOT names an aliased aggregate's columns
 * `alias_value`, DuckDB's `value_alias`. Each becomes a subquery, under the operator's alias, that
 * moves the name column last or renames the columns (pivotRenames), so that `SELECT *`, INSERTs by
 * position and names read as in BigQuery.
 */
const pivotedColumns = (sql: string): string => {
  if (!/\b(UN)?PIVOT\b/.test(sql)) return sql
  for (let guard = 0; guard < 20; guard++) {
    const tokens = tokenize(sql, "duckdb")
    const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
    const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
    const text = (k: number) => significant[k]?.token.text ?? ""
    // Polyglot writes keywords in capitals; one already wrapped is written in lower case.
    const at = significant.findIndex(({ token }) => token.kind === "word" && (token.text === "UNPIVOT" || token.text === "PIVOT"))
    if (at < 0) return sql
    const pivot = text(at) === "PIVOT"
    // The FROM item before it: back to FROM, JOIN or a comma at its depth.
    let start = at - 1
    for (let depth = 0; start >= 0; start--) {
      if (text(start) === ")") depth++
      else if (text(start) === "(") {
        if (depth === 0) break
        depth--
      } else if (depth === 0 && (word(start) === "FROM" || word(start) === "JOIN" || text(start) === ",")) break
    }
    start++
    // After it: INCLUDE/EXCLUDE NULLS, the parenthesised clause, then an alias.
    let open = at + 1
    if (word(open) === "INCLUDE" || word(open) === "EXCLUDE") open += 2
    if (text(open) !== "(") return sql
    let close = open
    for (let depth = 0; close < significant.length; close++) {
      if (text(close) === "(") depth++
      else if (text(close) === ")" && --depth === 0) break
    }
    const forAt = significant.findIndex((_, k) => k > open && k < close && word(k) === "FOR")
    const name = forAt < 0 ? undefined : significant[forAt + 1]?.token.text
    if (name === undefined || close >= significant.length) return sql
    const renames = pivot ? pivotRenames(significant.slice(open + 1, close).map(({ token }) => token)) : undefined
    if (pivot && renames === undefined) return sql
    let end = close
    let alias = ""
    if (word(end + 1) === "AS" && significant[end + 2] !== undefined) {
      alias = text(end + 2)
      end += 2
    } else if ((significant[end + 1]?.token.kind === "word" && !FROM_CLAUSE_ENDS.has(word(end + 1)) && !["JOIN", "LEFT", "RIGHT", "INNER", "CROSS", "FULL", "NATURAL", "ON", "USING", "LIMIT"].includes(word(end + 1))) || significant[end + 1]?.token.kind === "quoted") {
      alias = text(end + 1)
      end += 1
    }
    const inner = render(tokens.slice(significant[start]!.index, significant[close]!.index + 1))
    const columns = renames === undefined ? `* EXCLUDE (${name}), ${name}` : renames.length === 0 ? "*" : `* RENAME (${renames.join(", ")})`
    const wrapped = `(SELECT ${columns} FROM ${inner.replace(/\b(UN)?PIVOT\b/, (keyword) => keyword.toLowerCase())})${alias === "" ? "" : ` AS ${alias}`}`
    sql = render(tokens.slice(0, significant[start]!.index)) + wrapped + render(tokens.slice(significant[end]!.index + 1))
  }
  return sql
}

/**
 * PIVOT's columns for an aggregate with an alias are `alias_value` in BigQuery, `value_alias` in
 * DuckDB, and values are named differently (`_100` for 100): the renames from DuckDB's names to
 * BigQuery's, given the tokens inside PIVOT's parentheses. Undefined when a value's name is not
 * known here (left as DuckDB names it).
 */
const pivotRenames = (inside: ReadonlyArray<Token>): ReadonlyArray<string> | undefined => {
  const split = (from: number, to: number): Array<Array<Token>> => {
    const parts: Array<Array<Token>> = [[]]
    for (let k = from, depth = 0; k < to; k++) {
      const text = inside[k]!.text
      if (text === "(") depth++
      else if (text === ")") depth--
      if (text === "," && depth === 0) parts.push([])
      else parts[parts.length - 1]!.push(inside[k]!)
    }
    return parts
  }
  const aliasOf = (part: ReadonlyArray<Token>): string | undefined =>
    part.length >= 2 && part[part.length - 2]!.text.toUpperCase() === "AS" ? unquotedName(part[part.length - 1]!.text) : undefined
  const forAt = inside.findIndex((token) => token.kind === "word" && token.text.toUpperCase() === "FOR")
  const inAt = inside.findIndex((token, k) => k > forAt && token.kind === "word" && token.text.toUpperCase() === "IN")
  if (forAt < 0 || inAt < 0 || inside[inAt + 1]?.text !== "(" || inside[inside.length - 1]?.text !== ")") return undefined
  const aggregates = split(0, forAt).map(aliasOf)
  const values = split(inAt + 2, inside.length - 1).map(pivotValueNames)
  if (values.some((value) => value === undefined)) return undefined
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
  return aggregates.flatMap((aggregate) =>
    values.flatMap((value) => {
      const duckdb = aggregate === undefined ? value!.duckdb : `${value!.duckdb}_${aggregate}`
      const bigquery = aggregate === undefined ? value!.bigquery(false) : `${aggregate}_${value!.bigquery(true)}`
      return duckdb === bigquery ? [] : [`${quote(duckdb)} AS ${quote(bigquery)}`]
    })
  )
}

/**
 * A PIVOT value's column name in DuckDB (its text) and in BigQuery (query-syntax#pivot_operator),
 * after the aggregate's alias or alone: an alias; a string's value (`empty_string_value` for '');
 * NULL; an integer as `_1` alone, `1` after an alias, `minus_1`; a BOOL as `true`; a date as
 * `_2013_11_25` alone. Undefined for another value.
 */
const pivotValueNames = (part: ReadonlyArray<Token>): { readonly duckdb: string; readonly bigquery: (prefixed: boolean) => string } | undefined => {
  const alias = part.length >= 2 && part[part.length - 2]!.text.toUpperCase() === "AS" ? unquotedName(part[part.length - 1]!.text) : undefined
  if (alias !== undefined) return { duckdb: alias, bigquery: () => alias }
  const significant = part.filter(isSignificant)
  if (significant.length === 1 && significant[0]!.kind === "string") {
    const value = significant[0]!.text.slice(1, -1).replaceAll("''", "'")
    return { duckdb: value, bigquery: () => (value === "" ? "empty_string_value" : value) }
  }
  const text = render(significant)
  if (/^NULL$/i.test(text)) return { duckdb: "NULL", bigquery: () => "NULL" }
  if (/^(TRUE|FALSE)$/i.test(text)) return { duckdb: text.toLowerCase(), bigquery: () => text.toLowerCase() }
  const integer = /^(-?)(\d+)$/.exec(text)
  if (integer !== null) return { duckdb: text, bigquery: (prefixed) => (integer[1] === "-" ? `minus_${integer[2]}` : prefixed ? integer[2]! : `_${integer[2]}`) }
  const date = /^CAST\('(\d{4})-(\d{2})-(\d{2})'ASDATE\)$/i.exec(text)
  if (date !== null) return { duckdb: `${date[1]}-${date[2]}-${date[3]}`, bigquery: (prefixed) => `${prefixed ? "" : "_"}${date[1]}_${date[2]}_${date[3]}` }
  return undefined
}

const unquotedName = (name: string): string => (name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name)

/** A DuckDB statement's significant tokens, those outside any parentheses, and the first such keyword after a position. */
const statementClauses = (sql: string) => {
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const atDepthZero: Array<number> = []
  for (let k = 0, depth = 0; k < significant.length; k++) {
    const text = significant[k]!.token.text
    if (text === "(") depth++
    else if (text === ")") depth--
    else if (depth === 0) atDepthZero.push(k)
  }
  const first = (name: string, after: number) => atDepthZero.find((k) => k > after && word(k) === name)
  return { tokens, significant, word, atDepthZero, first }
}

const tooManyMatches = (statement: string) =>
  `SELECT error('${statement}: UPDATE/MERGE must match at most one source row for each target row; ' || count(*) || ' target row(s) match several')`

/** `UPDATE t SET … FROM s WHERE …`: the same rule as MERGE's, for each target row the FROM joins. */
const withUpdateMatchCheck = (sql: string): ReadonlyArray<string> => {
  const { tokens, significant, word, atDepthZero, first } = statementClauses(sql)
  const set = first("SET", 0)
  const from = set === undefined ? undefined : first("FROM", set)
  const where = from === undefined ? undefined : first("WHERE", from)
  if (set === undefined || from === undefined || where === undefined) return [sql]
  const end = atDepthZero.find((k) => k > where && (word(k) === "RETURNING" || significant[k]!.token.text === ";")) ?? significant.length
  const text = (start: number, stop: number) => render(tokens.slice(significant[start]!.index, significant[stop - 1]!.index + 1)).trim()
  const qualifier = significant[set - 1]?.token.text
  if (qualifier === undefined) return [sql]
  return [`${tooManyMatches("UPDATE")} FROM (SELECT ${qualifier}.rowid FROM ${text(1, set)}, ${text(from + 1, where)} WHERE ${text(where + 1, end)} GROUP BY ${qualifier}.rowid HAVING count(*) > 1) HAVING count(*) > 0`, sql]
}

/**
 * BigQuery's LIKE takes a backslash as its escape character (`'a\\_c'` matches `a_c`); DuckDB's
 * LIKE has none unless ESCAPE names one. A pattern literal with a backslash gets `ESCAPE '\'`.
 */
const likeEscapes = (sql: string): string => {
  if (!/\bLIKE\b/i.test(sql) || !sql.includes("\\")) return sql
  const tokens = tokenize(sql, "duckdb")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const after = new Map<number, string>()
  significant.forEach(({ token }, k) => {
    const pattern = significant[k + 1]
    if (token.kind !== "word" || token.text.toUpperCase() !== "LIKE" || pattern?.token.kind !== "string" || !pattern.token.text.includes("\\")) return
    if (significant[k + 2]?.token.kind === "word" && significant[k + 2]!.token.text.toUpperCase() === "ESCAPE") return
    after.set(pattern.index, ` ESCAPE '\\'`)
  })
  return after.size === 0 ? sql : tokens.map((token, index) => token.text + (after.get(index) ?? "")).join("")
}

/** BigQuery takes QUALIFY before WINDOW; DuckDB after it. */
const qualifyAfterWindow = (sql: string): string => {
  if (!/\bQUALIFY\b[\s\S]*\bWINDOW\b/i.test(sql)) return sql
  for (let guard = 0; guard < 100; guard++) {
    const tokens = tokenize(sql, "duckdb")
    const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
    const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
    /** From k, the first token at k's depth where `stops` holds, or where that depth closes. */
    const clauseEnd = (k: number, stops: (at: number) => boolean): number => {
      let depth = 0
      for (let at = k + 1; at < significant.length; at++) {
        const text = significant[at]!.token.text
        if (text === "(") depth++
        else if (text === ")" && --depth < 0) return at
        else if (depth === 0 && (text === ";" || stops(at))) return at
      }
      return significant.length
    }
    let swapped: string | undefined
    for (let k = 0; k < significant.length && swapped === undefined; k++) {
      if (word(k) !== "QUALIFY") continue
      const window = clauseEnd(k, (at) => word(at) === "WINDOW" || QUERY_CLAUSE_ENDS.has(word(at)))
      if (word(window) !== "WINDOW") continue
      const end = clauseEnd(window, (at) => word(at) === "QUALIFY" || QUERY_CLAUSE_ENDS.has(word(at)))
      const at = (n: number) => (n < significant.length ? significant[n]!.index : tokens.length)
      const qualify = render(tokens.slice(at(k), at(window))).trim()
      const windows = render(tokens.slice(at(window), at(end))).trim()
      swapped = `${render(tokens.slice(0, at(k)))}${windows} ${qualify} ${render(tokens.slice(at(end)))}`
    }
    if (swapped === undefined) return sql
    sql = swapped
  }
  return sql
}

const UNION_SLICE = 100

/**
 * The branches of a statement that is one top-level chain of UNION ALL or of UNION DISTINCT (one
 * part when it is not; BigQuery does not mix the two without parentheses), and DuckDB's operator.
 */
const unionChainParts = (sql: string): { readonly parts: ReadonlyArray<string>; readonly operator: "UNION ALL" | "UNION" } => {
  const whole = { parts: [sql], operator: "UNION ALL" } as const
  const tokens = tokenize(sql, "bigquery")
  if (firstWord(tokens) === "WITH") return whole
  const parts: Array<string> = []
  let kind: string | undefined
  let depth = 0
  let start = 0
  for (let i = 0; i < tokens.length; i++) {
    const text = tokens[i]!.text
    if (text === "(" || text === "[") depth++
    if (text === ")" || text === "]") depth--
    if (depth !== 0 || tokens[i]!.kind !== "word" || text.toUpperCase() !== "UNION") continue
    const next = tokens.slice(i + 1).find(isSignificant)
    const quantifier = next?.text.toUpperCase()
    if ((quantifier !== "ALL" && quantifier !== "DISTINCT") || (kind !== undefined && kind !== quantifier)) return whole
    kind = quantifier
    parts.push(render(tokens.slice(start, i)).trim())
    start = tokens.indexOf(next!, i + 1) + 1
  }
  parts.push(render(tokens.slice(start)).trim())
  return { parts, operator: kind === "DISTINCT" ? "UNION" : "UNION ALL" }
}

const UNION_STAND_IN = "mdp_union_chain__"

/** The parenthesised UNION chain with the most branches, and the text with a stand-in for it. */
const longestUnionGroup = (sql: string): { readonly inner: string; readonly outer: string } | undefined => {
  const tokens = tokenize(sql, "bigquery")
  const opens: Array<number> = []
  let best: { open: number; close: number; branches: number } | undefined
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text === "(") opens.push(i)
    if (tokens[i]!.text !== ")") continue
    const open = opens.pop()
    if (open === undefined) continue
    const branches = unionChainParts(render(tokens.slice(open + 1, i))).parts.length
    if (branches > 1 && (best === undefined || branches > best.branches)) best = { open, close: i, branches }
  }
  if (best === undefined) return undefined
  return {
    inner: render(tokens.slice(best.open + 1, best.close)),
    outer: `${render(tokens.slice(0, best.open + 1))}SELECT * FROM ${UNION_STAND_IN}${render(tokens.slice(best.close))}`
  }
}

/** Statements of a text, split at top-level semicolons (strings and comments respected). */
export const splitStatements = (sql: string): ReadonlyArray<ReadonlyArray<Token>> => {
  const statements: Array<Array<Token>> = [[]]
  let depth = 0
  for (const token of tokenize(sql, "bigquery")) {
    if (token.kind === "punct" && (token.text === "(" || token.text === "[")) depth++
    if (token.kind === "punct" && (token.text === ")" || token.text === "]")) depth--
    if (token.kind === "punct" && token.text === ";" && depth === 0) statements.push([])
    else statements[statements.length - 1]!.push(token)
  }
  return statements.filter((tokens) => tokens.some(isSignificant))
}

const firstWord = (tokens: ReadonlyArray<Token>): string => tokens.find(isSignificant)?.text.toUpperCase() ?? ""

const ALTER_TABLE_ACTIONS = /^(ADD|DROP|ALTER|RENAME|SET)$/

/**
 * `ALTER TABLE t ADD COLUMN a INT64, RENAME COLUMN b TO c, …` as one ALTER TABLE per action, which
 * is all DuckDB takes in a statement (BigQuery applies them in order); undefined for a statement
 * with one action, another statement, or keys (table-constraints.ts reads those as a whole).
 */
const alterTableActions = (tokens: ReadonlyArray<Token>): ReadonlyArray<string> | undefined => {
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const upper = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  if (upper(0) !== "ALTER" || upper(1) !== "TABLE" || alterTableConstraints(tokens) !== undefined) return undefined
  const first = upper(2) === "IF" && upper(3) === "EXISTS" ? 5 : 3
  // The table's name may be dotted (`project.dataset.table`): the first action keyword after it.
  let k = first
  while (k < significant.length && !ALTER_TABLE_ACTIONS.test(upper(k))) k++
  if (k >= significant.length) return undefined
  const prefix = render(tokens.slice(0, significant[k]!.index))
  // Each action's first token and the token after its last (the comma before the next action).
  const pieces: Array<{ start: number; end: number }> = [{ start: significant[k]!.index, end: tokens.length }]
  let depth = 0
  for (let j = k; j < significant.length; j++) {
    const text = significant[j]!.token.text
    if (text === "(" || text === "[") depth++
    if (text === ")" || text === "]") depth--
    // A comma between actions, not one of a STRUCT<…>'s fields (whose names are no action keywords).
    if (text === "," && depth === 0 && ALTER_TABLE_ACTIONS.test(upper(j + 1))) {
      pieces[pieces.length - 1]!.end = significant[j]!.index
      pieces.push({ start: significant[j + 1]!.index, end: tokens.length })
    }
  }
  return pieces.length < 2 ? undefined : pieces.map(({ start, end }) => `${prefix}${render(tokens.slice(start, end))}`)
}

const unquoted = (token: Token): string => (token.kind === "quoted" ? token.text.slice(1, -1) : token.text).toLowerCase()

/** `DECLARE a[, b] [type] [DEFAULT expression]`: the names, the type text and the expression text. */
const parseDeclaration = (tokens: ReadonlyArray<Token>) => {
  const significant = tokens.filter(isSignificant)
  const names: Array<string> = []
  let i = 1
  while (i < significant.length && (significant[i]!.kind === "word" || significant[i]!.kind === "quoted")) {
    names.push(unquoted(significant[i]!))
    if (significant[i + 1]?.text !== ",") {
      i++
      break
    }
    i += 2
  }
  const defaultAt = significant.findIndex((token, index) => index >= i && token.kind === "word" && token.text.toUpperCase() === "DEFAULT")
  const typeTokens = significant.slice(i, defaultAt === -1 ? significant.length : defaultAt)
  const type = typeTokens.map((token) => token.text).join(" ").replace(/\s*([<>(),])\s*/g, "$1")
  // The expression keeps its own spacing and comments: everything after DEFAULT.
  const expression = defaultAt === -1 ? undefined : render(tokens.slice(tokens.indexOf(significant[defaultAt]!) + 1)).trim()
  return { names, type: type === "" ? undefined : type, expression }
}

/** Names declared by DECLARE statements in the texts, lower-cased (BigQuery variables ignore case). */
export const declaredVariables = (sqls: ReadonlyArray<string>): ReadonlyArray<string> =>
  sqls.flatMap((sql) => splitStatements(sql).filter((tokens) => firstWord(tokens) === "DECLARE").flatMap((tokens) => parseDeclaration(tokens).names))

const RELATION_KEYWORDS = new Set(["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "MERGE", "USING", ","])

/** Whether a statement uses `name` as a table or an alias: anywhere as a bare word not followed by a dot. */
const namesRelation = (tokens: ReadonlyArray<Token>, name: string): boolean =>
  tokens.some((token, i) => {
    if (token.kind !== "word" || token.text.toLowerCase() !== name) return false
    const next = tokens.slice(i + 1).find(isSignificant)
    const previous = tokens.slice(0, i).findLast(isSignificant)
    return next?.text !== "." && previous?.text !== "." && (RELATION_KEYWORDS.has(previous?.text.toUpperCase() ?? "") || previous?.kind === "word" || previous?.text === ")")
  })

/** The names given with AS in the statement's FROM clauses (`FROM … AS t`, `JOIN … AS t`), lower-cased. */
const fromClauseAliases = (tokens: ReadonlyArray<Token>): ReadonlySet<string> => {
  const aliases = new Set<string>()
  const inFromClause: Array<boolean> = [false]
  let previous: Token | undefined
  for (const token of tokens) {
    const word = token.kind === "word" ? token.text.toUpperCase() : ""
    if (token.text === "(") inFromClause.push(false)
    if (token.text === ")" && inFromClause.length > 1) inFromClause.pop()
    if (word === "FROM" || word === "JOIN") inFromClause[inFromClause.length - 1] = true
    else if (CLAUSES_AFTER_FROM.has(word) || word === "ON" || word === "USING") inFromClause[inFromClause.length - 1] = false
    if (token.kind === "word" && previous?.text.toUpperCase() === "AS" && inFromClause[inFromClause.length - 1] === true) aliases.add(token.text.toLowerCase())
    if (isSignificant(token)) previous = token
  }
  return aliases
}

/**
 * Bare references to declared variables become `getvariable('name')`. A name used as a column
 * alias is refused: in BigQuery a column shadows a variable of the same name, and which one a bare
 * name means cannot be told from the text alone. A name used as a table alias (`FROM … AS t`) is
 * the table there, and `t.x` its column.
 */
const readVariables = (sql: string, variables: ReadonlySet<string>, fileName: string, kept: ReadonlySet<string> = new Set()): Effect.Effect<string, TranslationError> =>
  Effect.gen(function* () {
    if (variables.size === 0) return sql
    const tokens = tokenize(sql, "bigquery")
    const significantBefore = (index: number) => tokens.slice(0, index).findLast(isSignificant)
    const significantAfter = (index: number) => tokens.slice(index + 1).find(isSignificant)
    const out: Array<string> = []
    // Whether each parenthesis level is in a SELECT list: a bare variable there is a column named
    // after the variable, as in BigQuery (DuckDB would name it `getvariable('x')`).
    const inSelectList: Array<boolean> = [false]
    // And whether it is in a FROM clause: `AS t` there names a table, and `t.x` its column.
    const inFromClause: Array<boolean> = [false]
    const tableAliases = fromClauseAliases(tokens)
    const insertedColumns = insertColumnLists(tokens)
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!
      const name = token.kind === "word" && !insertedColumns.has(i) ? token.text.toLowerCase() : ""
      const word = token.kind === "word" ? token.text.toUpperCase() : ""
      if (token.text === "(") {
        inSelectList.push(false)
        inFromClause.push(false)
      }
      if (token.text === ")" && inSelectList.length > 1) {
        inSelectList.pop()
        inFromClause.pop()
      }
      if (word === "SELECT") inSelectList[inSelectList.length - 1] = true
      if (SELECT_LIST_ENDS.has(word)) inSelectList[inSelectList.length - 1] = false
      if (word === "FROM" || word === "JOIN") inFromClause[inFromClause.length - 1] = true
      else if (CLAUSES_AFTER_FROM.has(word) || word === "ON" || word === "USING") inFromClause[inFromClause.length - 1] = false
      // Not a variable, or one a column may shadow: the query's outer scope holds it (variablesAsOuterScope).
      if (!variables.has(name) || kept.has(name)) {
        out.push(token.text)
        continue
      }
      const before = significantBefore(i)
      const after = significantAfter(i)
      // A table alias: the statement's `t.x` are its columns (namesRelation below), as in BigQuery,
      // where a range variable shadows a script variable of the same name.
      if (before?.text.toUpperCase() === "AS" && inFromClause[inFromClause.length - 1] === true) {
        out.push(token.text)
        continue
      }
      if (before?.text.toUpperCase() === "AS") {
        return yield* new TranslationError({
          fileName,
          construct: `the name ${token.text}`,
          reason: "it is both a script variable and a column alias; BigQuery would read the column, so rename one"
        })
      }
      // A bare `t` where `t` is also a table alias: in BigQuery the range variable (its row) wins
      // where it is in scope, which the text alone cannot always tell: refused rather than guessed.
      if (tableAliases.has(name) && after?.text !== "." && before?.text !== ".") {
        return yield* new TranslationError({
          fileName,
          construct: `the name ${token.text}`,
          reason: "it is both a script variable and a table alias read as a whole row; BigQuery would read the row where the alias is in scope, so rename one"
        })
      }
      // `s.b`: a field of a STRUCT variable, unless the statement names a table (or alias) s.
      if (after?.text === "." && before?.text !== "." && !(before?.text !== "," && RELATION_KEYWORDS.has(before?.text.toUpperCase() ?? "")) && !namesRelation(tokens, name)) {
        out.push(`getvariable('${name}')`)
        continue
      }
      const isMember = before?.text === "." || after?.text === "."
      const isCall = after?.text === "("
      const wholeItem =
        inSelectList[inSelectList.length - 1] === true &&
        (before?.text === "," || /^(SELECT|DISTINCT|ALL)$/i.test(before?.text ?? "")) &&
        (after === undefined || after.text === "," || after.text === ")" || after.text === ";" || /^FROM$/i.test(after.text))
      out.push(isMember || isCall ? token.text : wholeItem ? `getvariable('${name}') AS \`${name}\`` : `getvariable('${name}')`)
    }
    return out.join("")
  })

const OUTER_SCOPE = "mdp_script_variables"

/**
 * The variables of a query that a column may shadow and that it reads by bare name: those named
 * like a column of a relation it reads (`shadowable`, from the planner) or like one of its own
 * output names. They are left as names, and the query runs beneath an outer scope holding them
 * (`variablesAsOuterScope`), so DuckDB reads a column in scope first and the variable otherwise,
 * as BigQuery does. DuckDB also reads a SELECT's own output names in that SELECT (WHERE, other
 * items), where BigQuery reads the variable: refused there.
 */
const shadowableInQuery = (
  sql: string,
  variables: ReadonlySet<string>,
  context: TranslationContext
): Effect.Effect<{ readonly outer: ReadonlyArray<string>; readonly kept: ReadonlySet<string> }, TranslationError> =>
  Effect.gen(function* () {
    const tokens = tokenize(sql, "bigquery")
    const significant = tokens.filter(isSignificant)
    if (variables.size === 0) return { outer: [], kept: new Set<string>() }
    const isQuery = significant[0]?.text === "(" || /^(SELECT|WITH)$/i.test(significant[0]?.text ?? "")
    if (!isQuery) {
      // Outside a query (CREATE TABLE … AS SELECT, INSERT, DELETE) no outer scope can be put beneath the name.
      const inserted = insertColumnLists(tokens)
      let previous: Token | undefined
      for (const [i, token] of tokens.entries()) {
        if (!isSignificant(token)) continue
        const name = token.kind === "word" && !inserted.has(i) ? token.text.toLowerCase() : ""
        if (variables.has(name) && context.shadowable?.includes(name) === true && previous?.text !== "." && previous?.text.toUpperCase() !== "AS") {
          return yield* new TranslationError({
            fileName: context.fileName,
            construct: `the name ${token.text}`,
            reason: "it is both a script variable and a column of a relation the script reads; BigQuery reads the column where it is in scope, which only a query (SELECT) is translated to do, so rename the variable"
          })
        }
        previous = token
      }
    }
    const candidates = new Set(isQuery ? (context.shadowable ?? []).filter((name) => variables.has(name)) : [])
    // Each token's SELECT: a subquery's own, an expression's parentheses their SELECT's.
    const selectOf: Array<number> = []
    const selects: Array<number> = [0]
    let counted = 0
    const inFrom: Array<boolean> = [false]
    const outputNames = new Map<string, Set<number>>()
    for (let k = 0; k < significant.length; k++) {
      const text = significant[k]!.text
      const word = significant[k]!.kind === "word" ? text.toUpperCase() : ""
      if (text === "(") {
        selects.push(selects[selects.length - 1]!)
        inFrom.push(false)
      } else if (text === ")" && selects.length > 1) {
        selects.pop()
        inFrom.pop()
      }
      if (word === "SELECT") selects[selects.length - 1] = ++counted
      if (word === "FROM" || word === "JOIN") inFrom[inFrom.length - 1] = true
      else if (CLAUSES_AFTER_FROM.has(word) || word === "ON" || word === "USING") inFrom[inFrom.length - 1] = false
      selectOf.push(selects[selects.length - 1]!)
      const name = significant[k]!.kind === "word" ? text.toLowerCase() : ""
      if (variables.has(name) && significant[k - 1]?.text.toUpperCase() === "AS" && inFrom[inFrom.length - 1] !== true) {
        candidates.add(name)
        outputNames.set(name, (outputNames.get(name) ?? new Set()).add(selects[selects.length - 1]!))
      }
    }
    const read = new Set<string>()
    for (let k = 0; k < significant.length; k++) {
      const name = significant[k]!.kind === "word" ? significant[k]!.text.toLowerCase() : ""
      if (!candidates.has(name) || significant[k - 1]?.text === "." || significant[k - 1]?.text.toUpperCase() === "AS") continue
      if (outputNames.get(name)?.has(selectOf[k]!) === true) {
        return yield* new TranslationError({
          fileName: context.fileName,
          construct: `the name ${significant[k]!.text}`,
          reason: "it is both a script variable and an output name of the SELECT that reads it; BigQuery reads the variable (or a column) there, DuckDB the output, so rename one"
        })
      }
      read.add(name)
    }
    // An output name read nowhere is only a name: kept as written, no outer scope needed. Outside
    // a query (CREATE TABLE … AS SELECT) a read one is refused as before.
    const onlyNames = [...outputNames.keys()].filter((name) => !read.has(name))
    return isQuery ? { outer: [...read], kept: new Set([...read, ...onlyNames]) } : { outer: [], kept: new Set(onlyNames) }
  })

/** A translated query beneath one row holding the variables as columns: its names resolve to a column in scope first. */
const variablesAsOuterScope = (query: string, names: ReadonlyArray<string>): string =>
  `SELECT mdp_query.* FROM (SELECT ${names.map((name) => `getvariable('${name}') AS ${quoteIdentifier(name)}`).join(", ")}) AS ${OUTER_SCOPE}, LATERAL (\n${query}\n) AS mdp_query`

/** One statement with the variables in scope read: a query whose variables a column may shadow beneath an outer scope. */
const statementWithVariables = (sql: string, variables: ReadonlySet<string>, context: TranslationContext): Effect.Effect<ReadonlyArray<string>, TranslationError> =>
  Effect.gen(function* () {
    const { outer, kept } = yield* shadowableInQuery(sql, variables, context)
    const statements = yield* translateStatements(yield* readVariables(sql, variables, context.fileName, kept), context)
    if (outer.length === 0) return statements
    if (statements.length !== 1) return yield* new TranslationError({ fileName: context.fileName, construct: "the query", reason: "its variables named like columns need it to be one statement" })
    return [variablesAsOuterScope(statements[0]!, outer)]
  })

/**
 * The tokens that name a table's columns, never a script variable of the same name: INSERT's column
 * lists (`INSERT [INTO] t (a, b)`, MERGE's `INSERT (a, b)`) and CREATE TABLE's column definitions.
 */
const insertColumnLists = (tokens: ReadonlyArray<Token>): ReadonlySet<number> => {
  const columns = new Set<number>()
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== "word" || tokens[i]!.text.toUpperCase() !== "INSERT") continue
    let at = nextSignificant(tokens, i + 1)
    if (tokens[at]?.text.toUpperCase() === "INTO") at = nextSignificant(tokens, at + 1)
    // The table's name, in parts (`a`.b.`c`) or none at all (MERGE's INSERT).
    while (tokens[at] !== undefined && (tokens[at]!.kind === "word" || tokens[at]!.kind === "quoted" || tokens[at]!.text === "." || tokens[at]!.text === "-")) {
      if (tokens[at]!.kind === "word" && /^(VALUES|SELECT|WITH|ROW)$/i.test(tokens[at]!.text)) break
      at = nextSignificant(tokens, at + 1)
    }
    if (tokens[at]?.text !== "(") continue
    const first = tokens[nextSignificant(tokens, at + 1)]
    if (first !== undefined && /^(SELECT|WITH)$/i.test(first.text)) continue
    const close = matchingParen(tokens, at)
    for (let k = at + 1; k < close; k++) columns.add(k)
  }
  // CREATE TABLE t (a INT64, b STRING): each definition's first word is a column's name.
  const significant = tokens.flatMap((token, index) => (isSignificant(token) ? [index] : []))
  const tableAt = significant.findIndex((index, k) => tokens[index]!.text.toUpperCase() === "TABLE" && k > 0 && /^(CREATE|REPLACE|TEMP|TEMPORARY)$/i.test(tokens[significant[k - 1]!]!.text))
  if (tableAt >= 0) {
    // The table's name (and IF NOT EXISTS), then its definitions' parenthesis, not AS SELECT's.
    let k = tableAt + 1
    while (k < significant.length && (tokens[significant[k]!]!.kind === "quoted" || /^(\.|-)$/.test(tokens[significant[k]!]!.text) || (tokens[significant[k]!]!.kind === "word" && !/^(AS|PARTITION|CLUSTER|OPTIONS|COPY|CLONE|LIKE)$/i.test(tokens[significant[k]!]!.text)))) k++
    const open = tokens[significant[k] ?? -1]?.text === "(" ? significant[k] : undefined
    const close = open === undefined ? -1 : matchingParen(tokens, open)
    if (open !== undefined && !/^(SELECT|WITH)$/i.test(tokens[nextSignificant(tokens, open + 1)]?.text ?? "")) {
      let depth = 0
      for (let k = open; k < close; k++) {
        const text = tokens[k]!.text
        if (text === "(" || text === "<") depth++
        if (text === ")" || text === ">") depth--
        if (depth === 1 && (text === "(" || text === ",")) columns.add(nextSignificant(tokens, k + 1))
      }
    }
  }
  return columns
}

// Holds the STRUCT of a SET (a, b, …) = … while its fields are assigned.
const SET_TUPLE = "mdp_set_tuple"

/** A DECLARE or SET of script variables as DuckDB `SET VARIABLE` statements. */
const translateAssignment = (tokens: ReadonlyArray<Token>, context: TranslationContext, declared: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const keyword = firstWord(tokens)
    const refuse = (reason: string) => scriptingError(context.fileName, keyword, reason)
    let names: ReadonlyArray<string>
    let value: string
    if (keyword === "DECLARE") {
      const declaration = parseDeclaration(tokens)
      if (declaration.names.length === 0) return yield* refuse("DECLARE names no variable")
      if (declaration.type === undefined && declaration.expression === undefined) return yield* refuse("DECLARE needs a type or a DEFAULT")
      if (declaration.expression === "") return yield* refuse("DEFAULT needs an expression")
      names = declaration.names
      const expression = declaration.expression ?? "NULL"
      value = declaration.type === undefined ? expression : `CAST(${expression} AS ${declaration.type})`
    } else if (tokens.filter(isSignificant)[1]?.text === "(") {
      // SET (a, b) = (x, y) or = (SELECT AS STRUCT …): one STRUCT, evaluated once, then a field each.
      const significant = tokens.filter(isSignificant)
      const close = significant.findIndex((token) => token.text === ")")
      if (significant[close + 1]?.text !== "=") return yield* refuse("SET (a, b, …) needs = and a value")
      const listed = significant.slice(2, close)
      if (listed.some((token, i) => (i % 2 === 1) !== (token.text === ","))) return yield* refuse("SET (a, b, …) lists variable names separated by commas")
      const tuple = listed.filter((token) => token.text !== ",").map(unquoted)
      const rhs = tokens.slice(tokens.indexOf(significant[close + 1]!) + 1)
      const rhsSignificant = rhs.filter(isSignificant)
      const subquery = rhsSignificant[0]?.text === "(" && /^(SELECT|WITH)$/i.test(rhsSignificant[1]?.text ?? "")
      const text = render(rhs).trim()
      const struct = !subquery && rhsSignificant[0]?.text === "(" ? `STRUCT${text}` : text
      for (const name of tuple) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) return yield* refuse(`"${name}" is not a plain variable name`)
        if (!declared.has(name)) return yield* refuse(`${name} is not declared before it; BigQuery would fail`)
      }
      const select = yield* translateStatements(`SELECT ${yield* readVariables(struct, declared, context.fileName)}`, context)
      if (select.length !== 1) return yield* refuse("the value must be one expression")
      return [`SET VARIABLE ${SET_TUPLE} = (${select[0]})`, ...tuple.map((name, i) => `SET VARIABLE ${quoteIdentifier(name)} = struct_extract_at(getvariable('${SET_TUPLE}'), ${i + 1})`)]
    } else {
      // SET name = expression
      const significant = tokens.filter(isSignificant)
      const equals = significant.findIndex((token) => token.text === "=")
      if (equals !== 2) return yield* refuse("only SET variable = expression or SET (a, b, …) = … is supported")
      names = [unquoted(significant[1]!)]
      value = render(tokens.slice(tokens.indexOf(significant[equals]!) + 1)).trim()
    }
    for (const name of names) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) return yield* refuse(`"${name}" is not a plain variable name`)
    }
    const select = yield* translateStatements(`SELECT ${yield* readVariables(value, declared, context.fileName)}`, context)
    if (select.length !== 1) return yield* refuse("the value must be one expression")
    // Evaluated once, as BigQuery does, then copied to the other names.
    const [first, ...others] = names
    // Quoted: a BigQuery variable may be named like a DuckDB keyword (check, …).
    return [`SET VARIABLE ${quoteIdentifier(first!)} = (${select[0]})`, ...others.map((name) => `SET VARIABLE ${quoteIdentifier(name)} = getvariable('${first}')`)]
  })

const scriptingError = (fileName: string, keyword: string, reason: string) =>
  new TranslationError({ fileName, construct: `BigQuery scripting (${keyword})`, reason })

/**
 * BigQuery takes DECLARE only at the start of a script, before any other statement, and a name
 * once; Dataform runs an action's pre_operations, its statement and its post_operations as one
 * script. DuckDB would take either, so the mistake would first show in production.
 */
export const checkDeclarations = Effect.fn("Translate.checkDeclarations")(function* (script: ReadonlyArray<string>, fileName: string) {
  const declared = new Set<string>()
  let afterOtherStatement = false
  for (const tokens of script.flatMap(splitStatements)) {
    if (firstWord(tokens) !== "DECLARE") {
      afterOtherStatement = true
      continue
    }
    if (afterOtherStatement) {
      return yield* scriptingError(
        fileName,
        "DECLARE",
        "BigQuery takes DECLARE only before any other statement of the script, which is the action's pre_operations, its query and its post_operations together: move it to the top of pre_operations"
      )
    }
    for (const name of parseDeclaration(tokens).names) {
      if (declared.has(name)) return yield* scriptingError(fileName, "DECLARE", `${name} is declared twice, which BigQuery refuses`)
      declared.add(name)
    }
  }
})

// A translation depends on the SQL and the variables in scope only, and a run plans its actions
// ahead of executing them (execute.ts): the second request for the same text is a lookup. Failures
// are not kept, since their message names the file. Bounded, for processes that translate a lot.
const translated = new Map<string, ReadonlyArray<string>>()
const TRANSLATED_KEPT = 4096
let translatedSinceRestore = 0

/** What this process has translated, for `translation-cache.ts` to keep for the next one. */
export const translationsKnown = (): { readonly entries: ReadonlyArray<readonly [string, ReadonlyArray<string>]>; readonly added: number } => ({
  entries: [...translated.entries()],
  added: translatedSinceRestore
})

/** Translations a previous process made with the same translator; the next request for one is a lookup. */
export const restoreTranslations = (entries: ReadonlyArray<readonly [string, ReadonlyArray<string>]>): void => {
  for (const [key, statements] of entries.slice(-TRANSLATED_KEPT)) translated.set(key, statements)
}

/** Translates one BigQuery SQL text (one or more statements) into DuckDB SQL statements. */
export const translate = (sql: string, given: TranslationContext): Effect.Effect<ReadonlyArray<string>, TranslationError> =>
  Effect.gen(function* () {
    const context = (yield* PseudoColumnsInWarehouse) ? { ...given, hidePseudoColumns: true } : given
    const key = `${(context.variables ?? []).join("\u0000")}\u0002${(context.shadowable ?? []).join("\u0000")}${context.arrayNames === undefined ? "" : `\u0003${context.arrayNames.join("\u0000")}`}${context.hidePseudoColumns === true ? "\u0004" : ""}\u0001${sql}`
    const known = translated.get(key)
    if (known !== undefined) return known
    return yield* translateUncached(sql, context).pipe(
      // An INSERT, UPDATE or MERGE of a FLOAT64 into an INT64 column fails on BigQuery; DuckDB would round it.
      Effect.map((statements) => statements.flatMap((statement) => {
        const check = insertTypeCheck(statement) ?? updateTypeCheck(statement)
        return check === undefined ? [...mergeClausesTypeChecks(statement), statement] : [check, statement]
      })),
      Effect.tap((statements) =>
        Effect.sync(() => {
          if (translated.size >= TRANSLATED_KEPT) translated.clear()
          translated.set(key, statements)
          translatedSinceRestore++
        })
      )
    )
  }).pipe(Effect.withSpan("Translate.translate"))

const translateUncached = (written: string, context: TranslationContext): Effect.Effect<ReadonlyArray<string>, TranslationError> =>
  Effect.gen(function* () {
    const sql = flattenedArrayPaths(quotedDashedProjects(written), context.arrayNames)
    const statements = splitStatements(sql)
    const keys = statements.map(tableKeys)
    const functionForms = statements.map((tokens) => aggregateFunctionAsMacro(tokens) ?? tableFunction(tokens))
    const alterActions = statements.map(alterTableActions)
    const exports = statements.map(exportDataParts)
    const loads = statements.map(loadDataParts)
    if (statements.some((tokens, index) => isFunctionInLanguage(tokens) || isMetadataOnly(tokens) || keys[index] !== undefined || externalTableTarget(tokens) !== undefined || functionForms[index] !== undefined || alterActions[index] !== undefined || exports[index] !== undefined || loads[index] !== undefined)) {
      // A UDF in another language, metadata only, keys, an aggregate or table function, ALTER TABLE's actions, an export, among plain statements: each on its own.
      const out: Array<string> = []
      for (const [index, tokens] of statements.entries()) {
        const variables = [...(context.variables ?? []), ...declaredVariables(statements.slice(0, index).map(render))]
        // Before the metadata check: SET OPTIONS beside ADD COLUMN drops the options alone.
        const actions = alterActions[index]
        if (actions !== undefined) {
          for (const action of actions) out.push(...(yield* translateUncached(action, { ...context, variables })))
          continue
        }
        if (isMetadataOnly(tokens)) continue
        const form = functionForms[index]
        if (typeof form === "string") {
          out.push(...(yield* translateUncached(form, { ...context, variables })))
          continue
        }
        if (form !== undefined) {
          // A table macro: DuckDB substitutes the parameters in the query, as BigQuery reads them there.
          const query = yield* translateUncached(form.query, { ...context, variables })
          if (query.length !== 1) return yield* new TranslationError({ fileName: context.fileName, construct: "CREATE TABLE FUNCTION", reason: "its body must be one query" })
          const create = form.orReplace ? "CREATE OR REPLACE MACRO" : `CREATE MACRO${form.ifNotExists ? " IF NOT EXISTS" : ""}`
          out.push(`${create} ${form.name}(${form.parameters.join(", ")}) AS TABLE ${query[0]}`)
          continue
        }
        const exported = exports[index]
        if (exported !== undefined) {
          if ("construct" in exported) return yield* new TranslationError({ fileName: context.fileName, ...exported })
          const query = yield* translateUncached(exported.query, { ...context, variables })
          if (query.length !== 1) return yield* new TranslationError({ fileName: context.fileName, construct: "EXPORT DATA", reason: "its query must be one statement" })
          const options = yield* translateUncached(`SELECT ${exported.options.map((option) => `${option.value} AS \`${option.name}\``).join(", ") || "NULL AS uri"}`, { ...context, variables })
          out.push(exportDataMarker({ options: options[0]!, query: query[0]! }))
          continue
        }
        const load = loads[index]
        if (load !== undefined) {
          if ("construct" in load) return yield* new TranslationError({ fileName: context.fileName, ...load })
          const one = (statements: ReadonlyArray<string>, what: string) =>
            statements.length === 1 ? Effect.succeed(statements[0]!) : Effect.fail(new TranslationError({ fileName: context.fileName, construct: "LOAD DATA", reason: `its ${what} must translate to one statement` }))
          const select = yield* one(yield* translateUncached(`SELECT * FROM ${load.table}`, { ...context, variables }), "table")
          const relation = /\bFROM\s+([\s\S]+?)\s*$/i.exec(select)?.[1]
          if (relation === undefined) return yield* new TranslationError({ fileName: context.fileName, construct: "LOAD DATA", reason: `its table ${load.table} has no local name` })
          const create = load.columns === undefined ? undefined : yield* one(yield* translateUncached(`CREATE ${load.temporary ? "TEMP " : ""}TABLE ${load.table} (${load.columns})`, { ...context, variables }), "column list")
          const options = yield* one(yield* translateUncached(`SELECT ${load.options.map((option) => `${option.value} AS \`${option.name}\``).join(", ")}`, { ...context, variables }), "options")
          out.push(loadDataMarker({ mode: load.mode, relation, temporary: load.temporary, options, ...(create === undefined ? {} : { create }) }))
          continue
        }
        const external = externalTableTarget(tokens)
        if (external !== undefined) {
          out.push(externalTableCheck(external))
          continue
        }
        const statementKeys = keys[index]
        if (statementKeys !== undefined && "refused" in statementKeys) {
          return yield* new TranslationError({ fileName: context.fileName, construct: "a primary or foreign key", reason: `${statementKeys.refused} (BigQuery refuses the statement too)` })
        }
        if (statementKeys !== undefined) {
          if (statementKeys.create !== undefined) out.push(...(yield* translateUncached(statementKeys.create, { ...context, variables })))
          out.push(statementKeys.marker)
          continue
        }
        out.push(...(isFunctionInLanguage(tokens) ? yield* translateJavascriptFunction(tokens, context) : yield* translateUncached(render(tokens), { ...context, variables })))
      }
      return out
    }
    const inScope = new Set(context.variables ?? [])
    // DECLARE, or SET of a name (a SET of a @@system variable is an ordinary statement).
    const isScripting = (tokens: ReadonlyArray<Token>): boolean => {
      const [keyword, target] = tokens.filter(isSignificant)
      const word = keyword?.text.toUpperCase()
      return word === "DECLARE" || (word === "SET" && target !== undefined && target.text !== "@")
    }
    if (!statements.some(isScripting)) return yield* statementWithVariables(sql, inScope, context)
    const out: Array<string> = []
    for (const tokens of statements) {
      if (!isScripting(tokens)) {
        out.push(...(yield* statementWithVariables(render(tokens), inScope, context)))
        continue
      }
      const keyword = firstWord(tokens)
      const target = tokens.filter(isSignificant)[1]!
      // BigQuery's SET assigns a variable declared before it; DuckDB would take any other name as
      // one of its own settings.
      if (keyword === "SET" && (target.kind === "word" || target.kind === "quoted") && !inScope.has(unquoted(target))) {
        return yield* scriptingError(context.fileName, "SET", `${unquoted(target)} is not declared before it; BigQuery would fail`)
      }
      out.push(...(yield* translateAssignment(tokens, context, inScope)))
      if (keyword === "DECLARE") for (const name of parseDeclaration(tokens).names) inScope.add(name)
    }
    return out
  })

/** Primary and foreign keys a statement declares or drops, as a marker (after the CREATE without them). */
const tableKeys = (tokens: ReadonlyArray<Token>): { readonly create?: string; readonly marker: string } | { readonly refused: string } | undefined => {
  const altered = alterTableConstraints(tokens)
  return altered === undefined ? createTableConstraints(tokens) : typeof altered === "string" ? { marker: altered } : altered
}

/**
 * An external table reads files in Cloud Storage, Drive or on the web, none of which a local run
 * reads: its rows come from the sources folder (runner/sources.ts loads that file before the run,
 * as for a declaration). The statement checks the table is there, and fails by name if not.
 */
const externalTableCheck = (target: { readonly schema: string | undefined; readonly name: string }): string => {
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
  const shown = `${target.schema === undefined ? "" : `${target.schema}.`}${target.name}`
  const schema = target.schema === undefined ? "current_schema()" : `lower(${literal(target.schema)})`
  const hint = `CREATE EXTERNAL TABLE ${shown} reads files outside the warehouse, which a local run does not: give it local rows in the sources folder, ${target.schema ?? "main"}/${target.name}.csv (or .jsonl, or a BigQuery .sql SELECT)`
  return `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database() AND lower(table_schema) = ${schema} AND lower(table_name) = lower(${literal(target.name)})) THEN error(${literal(hint)}) END AS mdp_external_table`
}

/** `CREATE … FUNCTION … LANGUAGE <language>`: a UDF whose body is not SQL. */
const isFunctionInLanguage = (tokens: ReadonlyArray<Token>): boolean => {
  const significant = tokens.filter(isSignificant)
  if (firstWord(significant) !== "CREATE") return false
  const functionAt = significant.findIndex((token) => token.kind === "word" && token.text.toUpperCase() === "FUNCTION")
  if (functionAt < 0 || functionAt > 4) return false
  return significant.some((token, i) => i > functionAt && token.kind === "word" && token.text.toUpperCase() === "LANGUAGE")
}

/** The words of a CREATE statement before FUNCTION (`CREATE OR REPLACE TEMP AGGREGATE`), or undefined for another statement. */
const functionKind = (tokens: ReadonlyArray<Token>): ReadonlyArray<string> | undefined => {
  const significant = tokens.filter(isSignificant)
  if (firstWord(significant) !== "CREATE") return undefined
  const functionAt = significant.findIndex((token) => token.kind === "word" && token.text.toUpperCase() === "FUNCTION")
  return functionAt < 0 || functionAt > 5 ? undefined : significant.slice(0, functionAt).map((token) => token.text.toUpperCase())
}

/**
 * A SQL aggregate UDF (`CREATE AGGREGATE FUNCTION f(x INT64, k INT64 NOT AGGREGATE) AS (SUM(x) * k)`)
 * as the SQL function it becomes in DuckDB, a macro whose aggregate is expanded where it is called;
 * undefined for another statement.
 */
const aggregateFunctionAsMacro = (tokens: ReadonlyArray<Token>): string | undefined => {
  if (!functionKind(tokens)?.includes("AGGREGATE")) return undefined
  const out: Array<string> = []
  let seenFunction = false
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.kind === "word" ? tokens[i]!.text.toUpperCase() : ""
    if (word === "FUNCTION") seenFunction = true
    if (!seenFunction && word === "AGGREGATE") continue
    // `NOT AGGREGATE` marks a parameter constant within each group: any value works in a macro.
    const next = nextSignificant(tokens, i + 1)
    if (seenFunction && word === "NOT" && tokens[next]?.text.toUpperCase() === "AGGREGATE") {
      i = next
      continue
    }
    out.push(tokens[i]!.text)
  }
  return out.join("")
}

/**
 * `CREATE [OR REPLACE] TABLE FUNCTION d.f(p T, …) [RETURNS TABLE<…>] AS query`: its name (the
 * dataset and function, as DuckDB names them), parameter names and query; undefined otherwise.
 */
const tableFunction = (tokens: ReadonlyArray<Token>): { readonly name: string; readonly orReplace: boolean; readonly ifNotExists: boolean; readonly parameters: ReadonlyArray<string>; readonly query: string } | undefined => {
  const kind = functionKind(tokens)
  if (kind?.[kind.length - 1] !== "TABLE") return undefined
  const significant = tokens.flatMap((token, index) => (isSignificant(token) ? [{ token, index }] : []))
  const upper = (k: number) => significant[k]?.token.text.toUpperCase() ?? ""
  let at = kind.length + 1
  const ifNotExists = upper(at) === "IF" && upper(at + 1) === "NOT" && upper(at + 2) === "EXISTS"
  if (ifNotExists) at += 3
  const open = significant.findIndex(({ token }, k) => k >= at && token.text === "(")
  if (open < 0) return undefined
  const parts = significant.slice(at, open).map(({ token }) => token.text.replaceAll("`", "")).join("").split(".")
  const close = closingBracket(significant.map(({ token }) => token), open)
  if (close < 0) return undefined
  const parameters = commaItems(significant.map(({ token }) => token), open, close).map((item) => significant[item[0]!]!.token.text.replaceAll("`", ""))
  const asAt = significant.findIndex(({ token }, k) => k > close && token.kind === "word" && token.text.toUpperCase() === "AS")
  if (asAt < 0) return undefined
  return { name: parts.slice(-2).map(quoteIdentifier).join("."), orReplace: kind.includes("REPLACE"), ifNotExists, parameters, query: render(tokens.slice(significant[asAt]!.index + 1)) }
}

/** The text of a BigQuery string literal: quotes, triple quotes, r-prefix and escapes. */
const stringLiteralText = (literal: string): string => {
  const raw = /^[rR]/.test(literal) || /^[bB][rR]/.test(literal)
  const body = literal.replace(/^[rRbB]{0,2}/, "")
  const quote = body.startsWith('"""') || body.startsWith("'''") ? body.slice(0, 3) : body[0]!
  const inner = body.slice(quote.length, body.length - quote.length)
  return raw ? inner : decodeStringEscapes(inner)
}

/**
 * A JavaScript UDF as the statement that registers its body (javascript-udf.ts) and a DuckDB macro
 * under its name that converts arguments and result with BigQuery's type mapping.
 */
const translateJavascriptFunction = (tokens: ReadonlyArray<Token>, context: TranslationContext) =>
  Effect.gen(function* () {
    const refuse = (reason: string) => new TranslationError({ fileName: context.fileName, construct: "CREATE FUNCTION … LANGUAGE", reason })
    const significant = tokens.filter(isSignificant)
    const words = significant.map((token) => (token.kind === "word" ? token.text.toUpperCase() : token.text))
    const languageAt = words.indexOf("LANGUAGE")
    const language = significant[languageAt + 1]?.text.toLowerCase()
    if (language !== "js") return yield* refuse(`UDFs in ${language ?? "another language"} have no local runtime; JavaScript (LANGUAGE js) and SQL UDFs run`)
    // OPTIONS(library = 'gs://…' | ['…', …]): the URLs, whose local copies run before the body.
    const optionsAt = words.indexOf("OPTIONS")
    const libraryAt = optionsAt < 0 ? -1 : words.findIndex((word, i) => i > optionsAt && word.toLowerCase() === "library")
    const libraries: Array<string> = []
    if (libraryAt >= 0) {
      for (let i = libraryAt + 2; i < significant.length && significant[i]!.text !== ")" && words[i]?.toLowerCase() !== "library"; i++) {
        if (significant[i]!.kind === "string") libraries.push(stringLiteralText(significant[i]!.text))
        if (significant[i]!.text === "]" || (significant[i]!.kind === "string" && significant[libraryAt + 2]!.text !== "[")) break
      }
      if (libraries.length === 0) return yield* refuse("OPTIONS(library=…) names no file")
    }
    const temporary = words.includes("TEMP") || words.includes("TEMPORARY")
    const functionAt = words.indexOf("FUNCTION")
    let at = functionAt + 1
    if (words[at] === "IF" && words[at + 1] === "NOT" && words[at + 2] === "EXISTS") at += 3
    const open = words.indexOf("(", at)
    const nameTokens = significant.slice(at, open)
    const name = nameTokens.map((token) => (token.kind === "quoted" ? token.text.slice(1, -1) : token.text)).join("")
    // Parameters up to the matching parenthesis, split at commas outside <…> and (…).
    const parameters: Array<{ name: string; type: string }> = []
    let depth = 0
    let close = open
    let current: Array<Token> = []
    const flush = () => {
      if (current.length === 0) return
      const [first, ...rest] = current
      parameters.push({ name: first!.text.replaceAll("`", ""), type: rest.map((token) => token.text).join(" ").replace(/\s*([<>(),])\s*/g, "$1") })
      current = []
    }
    for (close = open; close < significant.length; close++) {
      const text = significant[close]!.text
      if (text === "(" || text === "<") depth++
      if (text === ")" || text === ">") depth--
      if (depth === 0) break
      if (close === open) continue
      if (text === "," && depth === 1) flush()
      else current.push(significant[close]!)
    }
    flush()
    const returnsAt = words.indexOf("RETURNS", close)
    if (returnsAt < 0) return yield* refuse("a JavaScript UDF needs RETURNS, as in BigQuery")
    const returns = significant
      .slice(returnsAt + 1, words.findIndex((word, i) => i > returnsAt && (word === "LANGUAGE" || word === "DETERMINISTIC" || word === "NOT")))
      .map((token) => token.text)
      .join(" ")
      .replace(/\s*([<>(),])\s*/g, "$1")
    // The body: the string after AS, last or before OPTIONS (BigQuery takes OPTIONS on either side).
    const asAt = words.findIndex((word, i) => i > returnsAt && word === "AS" && significant[i + 1]?.kind === "string")
    const body = significant[asAt + 1]
    if (asAt < 0 || body === undefined || !(asAt + 2 === significant.length || words[asAt + 2] === "OPTIONS")) {
      return yield* refuse("expected AS followed by the JavaScript body as a string")
    }
    for (const parameter of parameters) {
      const problem = unsupportedParameter(parameter.type)
      if (problem !== undefined) return yield* refuse(`${parameter.name} ${parameter.type}: ${problem}`)
    }
    const duckdbType = (type: string) =>
      translateStatements(`SELECT CAST(NULL AS ${type})`, context).pipe(Effect.map((statements) => /CAST\(NULL AS ([\s\S]*)\)$/i.exec(statements[0] ?? "")?.[1] ?? type))
    const definition = describeJavascriptFunction(name, parameters, returns, stringLiteralText(body.text), libraries)
    const args: Array<string> = []
    for (const parameter of parameters) args.push(argumentText(`CAST(${parameter.name} AS ${yield* duckdbType(parameter.type)})`, parameter.type))
    const macroName = name.split(".").slice(-2).map((part) => `"${part}"`).join(".")
    const macro = `CREATE OR REPLACE ${temporary ? "TEMPORARY " : ""}MACRO ${macroName}(${parameters.map((parameter) => parameter.name).join(", ")}) AS ${resultValue(`${definition.rawName}(${args.join(", ")})`, returns, yield* duckdbType(returns))}`
    return [javascriptFunctionStatement(definition), macro]
  })

// polyglot takes about 0.6 s to load: commands that never translate (compile, ingest, help) skip it.
let polyglot: typeof import("@polyglot-sql/sdk") | undefined
const loadPolyglot = Effect.promise(async () => (polyglot ??= await import("@polyglot-sql/sdk")))

const INTERVAL_OPERAND = "mdp_interval_operand_"
// Words an INTERVAL's quantity never holds: past one, `interval` was a name (a column), not the keyword.
const NOT_AN_INTERVAL_OPERAND: ReadonlySet<string> = new Set([...CLAUSES_AFTER_FROM, "FROM", "AS", "AND", "OR", "WHEN", "THEN", "ELSE", "END", "ON", "JOIN"])

/**
 * `INTERVAL <expression> <part>` whose expression holds a call or parentheses: polyglot leaves that
 * expression as it is (`INTERVAL DATE_DIFF(a, b, DAY) DAY` kept BigQuery's DATE_DIFF), so each one
 * becomes a stand-in name, translated apart and put back afterwards.
 */
const liftedIntervalOperands = (sql: string): { readonly sql: string; readonly operands: ReadonlyArray<string> } => {
  if (!/\bINTERVAL\b/i.test(sql)) return { sql, operands: [] }
  const tokens = tokenize(sql, "bigquery")
  const operands: Array<string> = []
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    out.push(tokens[i]!.text)
    if (tokens[i]!.kind !== "word" || tokens[i]!.text.toUpperCase() !== "INTERVAL") continue
    // The operand runs to the part's name at its own level.
    let depth = 0
    let end = i + 1
    for (; end < tokens.length; end++) {
      const token = tokens[end]!
      if (token.text === "(" || token.text === "[") depth++
      else if (token.text === ")" || token.text === "]") {
        if (--depth < 0) break
      } else if (depth === 0 && token.kind === "word" && INTERVAL_UNITS.test(token.text)) break
      else if (depth === 0 && (token.text === "," || token.text === ";" || token.kind === "string" || (token.kind === "word" && NOT_AN_INTERVAL_OPERAND.has(token.text.toUpperCase())))) break
    }
    const operand = tokens.slice(i + 1, end)
    if (end >= tokens.length || depth !== 0 || tokens[end]!.kind !== "word" || !operand.some((token) => token.text === "(")) continue
    out.push(` ${INTERVAL_OPERAND}${operands.length} `)
    operands.push(render(operand).trim())
    i = end - 1
  }
  return { sql: out.join(""), operands }
}

/** Plain statements (no script variables) through polyglot and the repairs around it. */
const MERGE_PIECE = "mdp_merge_piece_"

/**
 * A MERGE's expressions (its ON condition, each WHEN's AND condition, the values of UPDATE SET and
 * of INSERT … VALUES) and its USING subquery, each lifted out for a stand-in: polyglot leaves
 * function calls inside a MERGE as written (DATE_SUB, DATE_DIFF, FORMAT_DATE, SAFE_DIVIDE), so
 * each is translated on its own and put back. Undefined for any other statement.
 */
const mergePieces = (sql: string): { readonly sql: string; readonly pieces: ReadonlyArray<{ readonly text: string; readonly query: boolean }> } | undefined => {
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  // The skeleton, its pieces already lifted, goes to polyglot as it is.
  if (word(0) !== "MERGE" || sql.includes(MERGE_PIECE)) return undefined
  // Brackets, and CASE … END too: a CASE's WHEN and AND are not the MERGE's.
  let cases = 0
  const depths = depthsOf(significant.map(({ token }) => token)).map((depth, k) => {
    if (word(k) === "CASE") cases++
    const at = depth + cases
    if (word(k) === "END" && cases > 0) cases--
    return at
  })
  const pieces: Array<{ readonly text: string; readonly query: boolean }> = []
  const replaced = new Map<number, { readonly end: number; readonly text: string }>()
  // Significant tokens from..to (exclusive) as one piece, unless empty; a query with its brackets around it.
  const lift = (from: number, to: number, query = false) => {
    if (to <= from) return
    const [start, end] = query ? [from - 1, to] : [from, to - 1]
    replaced.set(significant[start]!.index, { end: significant[end]!.index, text: `${MERGE_PIECE}${pieces.length}` })
    pieces.push({ text: render(tokens.slice(significant[from]!.index, significant[to - 1]!.index + 1)), query })
  }
  const atTop = (k: number) => depths[k] === 0
  const next = (from: number, words: ReadonlyArray<string>) => {
    for (let k = from; k < significant.length; k++) if (atTop(k) && words.includes(word(k))) return k
    return significant.length
  }
  const using = next(1, ["USING"])
  const on = next(using, ["ON"])
  if (using >= significant.length || on >= significant.length) return undefined
  // USING (subquery): the query inside the brackets.
  if (significant[using + 1]?.token.text === "(" && /^(SELECT|WITH)$/.test(word(using + 2))) {
    let close = using + 2
    while (close < significant.length && !(depths[close] === 0 && significant[close]!.token.text === ")")) close++
    lift(using + 2, close, true)
  }
  let when = next(on, ["WHEN"])
  lift(on + 1, when)
  while (when < significant.length) {
    const then = next(when, ["THEN"])
    const following = next(then + 1, ["WHEN"])
    const and = next(when, ["AND"])
    if (and < then) lift(and + 1, then)
    const action = word(then + 1)
    // Items at commas of depth `level` between from and to, each lifted from its first token past `skip`.
    const items = (from: number, to: number, level: number, afterEquals: boolean) => {
      let start = from
      for (let k = from; k <= to; k++) {
        if (k < to && !(depths[k] === level && significant[k]!.token.text === ",")) continue
        let first = start
        if (afterEquals) {
          while (first < k && !(depths[first] === level && significant[first]!.token.text === "=")) first++
          first++
        }
        // DEFAULT (a column's default) is no expression to translate.
        if (!(k - first === 1 && word(first) === "DEFAULT")) lift(first, k)
        start = k + 1
      }
    }
    if (action === "UPDATE" && word(then + 2) === "SET") items(then + 3, following, 0, true)
    if (action === "INSERT") {
      const values = next(then + 1, ["VALUES"])
      if (values < following && significant[values + 1]?.token.text === "(") {
        let close = values + 2
        while (close < following && !(depths[close] === 0 && significant[close]!.token.text === ")")) close++
        items(values + 2, close, 1, false)
      }
    }
    when = following
  }
  return pieces.length === 0 ? undefined : { sql: withSpansReplaced(tokens, replaced), pieces }
}

const PIVOT_SOURCE = "mdp_pivot_source_"

/**
 * The subqueries that PIVOT or UNPIVOT read (`FROM (SELECT …) PIVOT (…)`), each lifted out for a
 * table-name stand-in: polyglot leaves such a subquery as written (FORMAT_DATE, SAFE_DIVIDE,
 * `DATE_DIFF(…, DAY)` reached DuckDB untranslated), so each is translated on its own and put back.
 * Undefined when the statement has none.
 */
const pivotSourcePieces = (sql: string): { readonly sql: string; readonly pieces: ReadonlyArray<string> } | undefined => {
  if (!/\b(UN)?PIVOT\b/i.test(sql) || sql.includes(PIVOT_SOURCE)) return undefined
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  const depths = depthsOf(significant.map(({ token }) => token))
  const pieces: Array<string> = []
  const replaced = new Map<number, { readonly end: number; readonly text: string }>()
  significant.forEach((_, k) => {
    if (!/^(UN)?PIVOT$/.test(word(k)) || significant[k + 1]?.token.text !== "(") return
    // `(subquery) [AS] alias PIVOT`: the alias skipped back over.
    let close = k - 1
    if (significant[close]?.token.kind === "word" || significant[close]?.token.kind === "quoted") close--
    if (word(close) === "AS") close--
    if (significant[close]?.token.text !== ")") return
    let open = close - 1
    while (open >= 0 && !(depths[open] === depths[close] && significant[open]!.token.text === "(")) open--
    if (open < 0 || !/^(SELECT|WITH)$/.test(word(open + 1)) || replaced.has(significant[open]!.index)) return
    replaced.set(significant[open]!.index, { end: significant[close]!.index, text: `${PIVOT_SOURCE}${pieces.length}` })
    pieces.push(render(tokens.slice(significant[open + 1]!.index, significant[close - 1]!.index + 1)))
  })
  return pieces.length === 0 ? undefined : { sql: withSpansReplaced(tokens, replaced), pieces }
}

// Comments as polyglot reads them without harm. A comment on a line of its own is attached to
// the expression after it, and that expression's later siblings are then left untranslated
// (`WHERE⏎ -- note⏎ REGEXP_CONTAINS(…) AND REGEXP_CONTAINS(…)` kept the second as it was, a function
// DuckDB does not have): each comment is joined to the line before it, a line comment (`-- note`,
// `# note`) made a block comment so that it ends there, and no comment holds another's opening.
const commentsPolyglotKeeps = (sql: string): string => {
  if (!/--|#|\/\*/.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  let changed = false
  const kept = tokens.map((token, i) => {
    const next = tokens[i + 1]
    if (token.kind === "space" && next?.kind === "comment" && i > 0 && token.text.includes("\n")) {
      changed = true
      return { ...token, text: " " }
    }
    if (token.kind !== "comment") return token
    // DuckDB nests block comments, BigQuery does not: a `/*` inside one would leave it open.
    const block = token.text.startsWith("/*")
    const body = block ? token.text.slice(2, token.text.endsWith("*/") ? -2 : undefined) : token.text.replace(/^(--|#)/, "")
    if (block && !body.includes("/*")) return token
    changed = true
    return { ...token, text: `/* ${body.replaceAll("/*", "/ *").replaceAll("*/", "* /").trim()} */` }
  })
  return changed ? render(kept) : sql
}

/**
 * `CREATE TABLE t (a INT64, b STRING OPTIONS(…)) AS SELECT …`: BigQuery names and types the
 * query's columns, by position, from the column list. DuckDB takes no column list beside AS: the
 * table is created from the list, then the query's rows inserted by position (INSERT's checks
 * of BigQuery's assignment types included). With IF NOT EXISTS the rows go through a temporary
 * table of those columns into a CREATE TABLE IF NOT EXISTS … AS, so that an existing table (empty
 * or not) is left as it is, as BigQuery leaves it.
 */
const tableWithColumnsAsQuery = (sql: string): { readonly statements: ReadonlyArray<string> } | undefined => {
  if (!/^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*CREATE\b/i.test(sql)) return undefined
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const word = (k: number) => (significant[k]?.token.kind === "word" ? significant[k]!.token.text.toUpperCase() : "")
  let k = 1
  if (word(k) === "OR" && word(k + 1) === "REPLACE") k += 2
  const temporary = word(k) === "TEMP" || word(k) === "TEMPORARY"
  if (temporary) k++
  if (word(k) !== "TABLE") return undefined
  k++
  const ifNotExists = word(k) === "IF" && word(k + 1) === "NOT" && word(k + 2) === "EXISTS"
  if (ifNotExists) k += 3
  const nameStart = k
  while (significant[k] !== undefined && significant[k]!.token.text !== "(" && !["AS", "PARTITION", "CLUSTER", "OPTIONS", "LIKE", "COPY", "CLONE"].includes(word(k))) k++
  if (k === nameStart || significant[k]?.token.text !== "(") return undefined
  const open = significant[k]!.index
  const close = matchingParen(tokens, open)
  if (close < 0) return undefined
  // The first AS at the top level after the column list, before a query.
  const afterList = significant.findIndex(({ index }) => index > close)
  if (afterList < 0) return undefined
  let depth = 0
  let as = -1
  for (let j = afterList; j < significant.length; j++) {
    const text = significant[j]!.token.text
    if (text === "(" || text === "[") depth++
    else if (text === ")" || text === "]") depth--
    else if (depth === 0 && word(j) === "AS") {
      as = j
      break
    }
  }
  if (as < 0 || !(word(as + 1) === "SELECT" || word(as + 1) === "WITH" || significant[as + 1]?.token.text === "(")) return undefined
  const name = render(tokens.slice(significant[nameStart]!.index, open)).trim()
  const columns = render(tokens.slice(open, close + 1))
  // PARTITION BY, CLUSTER BY and OPTIONS between the column list and AS.
  const clauses = render(tokens.slice(close + 1, significant[as]!.index)).trim()
  const query = render(tokens.slice(significant[as + 1]!.index)).trim()
  const head = `CREATE${word(1) === "OR" ? " OR REPLACE" : ""}${temporary ? " TEMP" : ""} TABLE`
  if (!ifNotExists) return { statements: [`${head} ${name} ${columns} ${clauses}`, `INSERT INTO ${name} SELECT * FROM (${query})`] }
  const staging = "_mdp_table_columns"
  return {
    statements: [
      `CREATE OR REPLACE TEMP TABLE ${staging} ${columns}`,
      `INSERT INTO ${staging} SELECT * FROM (${query})`,
      `${head} IF NOT EXISTS ${name} ${clauses} AS SELECT * FROM ${staging}`,
      `DROP TABLE ${staging}`
    ]
  }
}

const translateStatements = (original: string, context: TranslationContext): Effect.Effect<ReadonlyArray<string>, TranslationError> =>
  Effect.gen(function* () {
    // A MERGE among other statements: each statement on its own.
    const split = splitStatements(original)
    if (split.length > 1 && split.some((tokens) => firstWord(tokens) === "MERGE")) {
      const out: Array<string> = []
      for (const tokens of split) out.push(...(yield* translateStatements(render(tokens), context)))
      return out
    }
    if (split.length > 1 && split.some((tokens) => firstWord(tokens) === "CREATE" && tableWithColumnsAsQuery(render(tokens)) !== undefined)) {
      const out: Array<string> = []
      for (const tokens of split) out.push(...(yield* translateStatements(render(tokens), context)))
      return out
    }
    const withColumns = split.length === 1 ? tableWithColumnsAsQuery(original) : undefined
    if (withColumns !== undefined) {
      const out: Array<string> = []
      for (const statement of withColumns.statements) out.push(...(yield* translateStatements(statement, context)))
      return out
    }
    const merge = mergePieces(original)
    if (merge !== undefined) {
      // Each piece translated alone: a query as it is, an expression as a SELECT's only item.
      const translated: Array<string> = []
      for (const piece of merge.pieces) {
        const statements = yield* translateStatements(piece.query ? piece.text : `SELECT ${piece.text}`, context)
        const text = statements.length === 1 ? statements[0]! : undefined
        const expression = text === undefined || piece.query ? text : /^\s*SELECT\s+([\s\S]*)$/i.exec(text)?.[1]
        if (expression === undefined || (!piece.query && /\bFROM\b/i.test(expression.replace(/'(?:[^']|'')*'/g, "''")))) {
          return yield* new TranslationError({ fileName: context.fileName, construct: "MERGE", reason: `its part ${piece.text.trim().slice(0, 60)} does not translate to one expression` })
        }
        translated.push(expression)
      }
      const skeleton = yield* translateStatements(merge.sql, context)
      // Anonymous STRUCTs written to STRUCT columns are rewritten once they stand in the statement.
      return skeleton.map((statement) => positionalStructAssignments(statement.replace(new RegExp(`\\b${MERGE_PIECE}(\\d+)\\b`, "gi"), (_, n: string) => `(${translated[Number(n)]})`)))
    }
    const pivoted = pivotSourcePieces(original)
    if (pivoted !== undefined) {
      const sources: Array<string> = []
      for (const piece of pivoted.pieces) sources.push((yield* translateStatements(piece, context)).join(" "))
      const skeleton = yield* translateStatements(pivoted.sql, context)
      return skeleton.map((statement) => statement.replace(new RegExp(`\\b${PIVOT_SOURCE}(\\d+)\\b`, "gi"), (_, n: string) => `(${sources[Number(n)]})`))
    }
    const lifted = liftedIntervalOperands(original)
    if (lifted.operands.length > 0) {
      const operands: Array<string> = []
      for (const operand of lifted.operands) operands.push(((yield* translateStatements(`SELECT ${operand}`, context))[0] ?? "").replace(/^\s*SELECT\s+/i, ""))
      const statements = yield* translateStatements(lifted.sql, context)
      return statements.map((statement) => statement.replace(new RegExp(`\\b${INTERVAL_OPERAND}(\\d+)\\b`, "g"), (_, n: string) => `(${operands[Number(n)]})`))
    }
    const piped = withoutPipes(original)
    if (typeof piped !== "string") {
      return yield* new TranslationError({ fileName: context.fileName, construct: `pipe syntax (${piped.unsupported})`, reason: `this pipe operator is not rewritten locally; ${REWRITTEN_PIPE_OPERATORS}` })
    }
    const outerJoin = outerJoinAfterCommaJoin(withoutTrailingCommas(piped))
    if (outerJoin !== undefined) {
      return yield* new TranslationError({ fileName: context.fileName, construct: `${outerJoin} JOIN after a comma join`, reason: `BigQuery refuses it too: a comma cross join cannot be followed by a RIGHT or FULL JOIN; write the comma as CROSS JOIN` })
    }
    const sql = hllFunctions(netFunctions(bytesLiterals(localReferences(implicitArrayPaths(selectAsStructOrValue(groupByOutputNames(plainJsonLiterals(schemaWithoutOptions(aliasedSubqueriesBeforeSetOperators(quotedNamesDuckdbReserves(insertIntoDeleteFrom(assertStatements(commaJoinsBeforeJoins(withoutTrailingCommas(updatedStructFields(viewsAndCopies(templatedParameters(setOperationsByName(quotedFunctionParameters(keywordAliases(stringEscapes(rawStringsPolyglotMisreads(piped)))))))))))))))))))))))
    const view = new RegExp(`\`${INFORMATION_SCHEMA_MARKER}[a-z_]+__[^\`]*\``).exec(sql)?.[0]
    if (view !== undefined && informationSchemaQuery(view.slice(1, -1)) === undefined) {
      const name = view.slice(1 + INFORMATION_SCHEMA_MARKER.length).split("__")[0]!.toUpperCase()
      return yield* new TranslationError({ fileName: context.fileName, construct: `INFORMATION_SCHEMA.${name}`, reason: "the local warehouse has INFORMATION_SCHEMA.TABLES, VIEWS, COLUMNS, SCHEMATA, PARTITIONS, TABLE_CONSTRAINTS, KEY_COLUMN_USAGE and CONSTRAINT_COLUMN_USAGE" })
    }
    const unsupported = findUnsupported(significantTokens(unnestWithOffset(sql), "bigquery"))
    if (unsupported !== undefined) return yield* new TranslationError({ fileName: context.fileName, ...unsupported })
    const prepared = rewriteCalls(mergeInsertRow(explicitCurrentCalls(bareCurrentCalls(extractAtTimeZone(orderByCollations(timestampTypes(checkedDivisions(numericDivisions(unnestWithOffset(jsonAwareSubscripts(parenthesizedFields(structFieldStars(checkedArrayIndexes(intervalRanges(quantifiedLike(timestampLiteralArguments(bracketedNavigationArguments(safePrefixed(propagatedStructNames(namedStructFields(setOperationStructNames(structComparisons(floatComparisons(datetimeDifferences(splitDottedIdentifiers(bitShifts(integerTypes(rangeLiteralsAndTypes(sql)))))))))))))))))))))))))))), "bigquery", beforeTranslation)
    if (significantTokens(prepared, "bigquery").length === 0) return []
    const { transpile, Dialect } = polyglot ?? (yield* loadPolyglot)
    const result = yield* Effect.try({
      try: () => transpile(commentsPolyglotKeeps(prepared), Dialect.BigQuery, Dialect.DuckDB),
      catch: (cause) =>
        new TranslationError({ fileName: context.fileName, construct: "the statement", reason: String(cause) })
    })
    if (!result.success && /E_GUARD_AST_DEPTH_EXCEEDED/.test(result.error ?? "")) {
      // A long UNION chain nests past polyglot's depth limit: translated in slices and rejoined
      // (a distinct union of slices' distinct unions is the distinct union of all the branches).
      const { parts, operator } = unionChainParts(sql)
      if (parts.length > 1) {
        const slices: Array<string> = []
        for (let start = 0; start < parts.length; start += UNION_SLICE) {
          const translatedSlice = yield* translateStatements(parts.slice(start, start + UNION_SLICE).join(operator === "UNION" ? " UNION DISTINCT " : " UNION ALL "), context)
          slices.push(translatedSlice.join(" "))
        }
        return [slices.join(` ${operator} `)]
      }
      // Or such a chain in parentheses: translated apart, the rest around a stand-in for it.
      const group = longestUnionGroup(sql)
      if (group !== undefined) {
        const inner = yield* translateStatements(group.inner, context)
        const outer = yield* translateStatements(group.outer, context)
        return outer.map((statement) => statement.replace(`SELECT ${statement.includes(`SELECT * FROM ${UNION_STAND_IN}`) ? "*" : PSEUDO_COLUMNS_HIDDEN} FROM ${UNION_STAND_IN}`, () => inner.join(" ")))
      }
    }
    if (!result.success || result.sql === undefined) {
      const where = result.errorLine === undefined ? "" : ` (line ${result.errorLine}, column ${result.errorColumn ?? "?"})`
      return yield* new TranslationError({
        fileName: context.fileName,
        construct: "the statement",
        reason: `${result.error ?? "polyglot could not parse it"}${where}`,
        ...(result.errorLine === undefined ? {} : { statement: prepared, line: result.errorLine, column: result.errorColumn ?? 1 })
      })
    }
    const hidden = context.hidePseudoColumns === true ? pseudoColumnsHidden : (statement: string) => statement
    return result.sql.flatMap((statement) => withMergeMatchCheck(parameterizedStringColumns(hidden(starListNamesQuoted(groupByAllBesideStructStars(constantUnionsAsValues(emptyRangeFrames(pipeRenames(pivotedColumns(likeEscapes(floatLiterals(anonymousStructBranches(positionalStructAssignments(positionalStructCasts(sharedJsonExtraction(answerInformationSchema(structWithStarFields(qualifyAfterWindow(rangeVariablesBesideParameters(expandAliasedUnnest(nanOrdering(aggregatesAsBigQuery(listAggregates(expandUnaliasedUnnest(elementAliasedUnnest(hideTableSuffix(fixedOffsetZones(earlierInstantsAtFallBack(parenthesizeIntervalOperands(widenBareDecimals(offsetColumnsQuoted(rewriteCalls(withPassedThroughNames(withInsertByPosition(groupByOutputNames(statement, "duckdb"))), "duckdb", afterTranslation)), prepared)))))))))))))))))))))))))))))))
  })
