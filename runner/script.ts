/**
 * BigQuery procedural language, run locally: a script (an operation's SQL, or a table's pre- and
 * post-operations) is parsed into its blocks and loops, each plain statement inside is translated
 * as any other (`translate.ts`), and `runProgram` walks the result on one warehouse connection,
 * asking DuckDB for each condition's value as BigQuery would evaluate it. Planning stays pure: the
 * program holds translated SQL; only EXECUTE IMMEDIATE translates at run time, since its text is
 * a value. As in BigQuery, each statement of a script commits on its own.
 *
 * Supported: DECLARE (at the start of the script or of a BEGIN block), SET, IF/ELSEIF/ELSE, the
 * CASE statement, LOOP, WHILE, REPEAT … UNTIL, FOR … IN (query), BREAK/LEAVE, CONTINUE/ITERATE (with labels),
 * BEGIN … EXCEPTION WHEN ERROR THEN … END, RAISE, RETURN, EXECUTE IMMEDIATE (INTO, USING),
 * CREATE PROCEDURE (SQL bodies, kept in the warehouse) and CALL (IN, OUT and INOUT parameters),
 * `@@row_count`, `@@error.message` and `@@error.statement_text`.
 */
import { Effect, Schema } from "effect"
import { isTypeCheck } from "./insert-types.ts"
import { isSignificant, render, tokenize, type Token } from "./sql-tokens.ts"
import { translate, TranslationError } from "./translate.ts"
import { Warehouse, WarehouseError, type WarehouseSession } from "./warehouse.ts"

/** A script as written: plain statements (BigQuery SQL) inside control flow. */
export type ScriptNode =
  | { readonly kind: "sql"; readonly text: string }
  | { readonly kind: "if"; readonly branches: ReadonlyArray<{ readonly condition: string; readonly body: ReadonlyArray<ScriptNode> }>; readonly otherwise: ReadonlyArray<ScriptNode> }
  | { readonly kind: "loop"; readonly label?: string; readonly condition?: string; readonly until?: string; readonly body: ReadonlyArray<ScriptNode> }
  | { readonly kind: "for"; readonly label?: string; readonly variable: string; readonly query: string; readonly body: ReadonlyArray<ScriptNode> }
  | { readonly kind: "block"; readonly label?: string; readonly body: ReadonlyArray<ScriptNode>; readonly handler?: ReadonlyArray<ScriptNode> }
  | { readonly kind: "jump"; readonly jump: "break" | "continue" | "return"; readonly label?: string }
  | { readonly kind: "raise"; readonly message?: string }
  | { readonly kind: "execute"; readonly text: string; readonly into: ReadonlyArray<string>; readonly using: ReadonlyArray<{ readonly value: string; readonly name?: string }> }
  | ({ readonly kind: "procedure"; readonly body: ReadonlyArray<ScriptNode> } & ProcedureDefinition)
  | { readonly kind: "call"; readonly name: string; readonly args: ReadonlyArray<string> }

/** A stored procedure as CREATE PROCEDURE wrote it: kept in the warehouse, run by CALL. */
export interface ProcedureDefinition {
  readonly name: string
  readonly replace: boolean
  readonly ifNotExists: boolean
  readonly parameters: ReadonlyArray<{ readonly mode: "IN" | "OUT" | "INOUT"; readonly name: string; readonly type: string }>
  /** Its BEGIN … END block, BigQuery SQL: translated again by each CALL. */
  readonly text: string
}

/** The same program with DuckDB SQL: conditions and values as one-column SELECTs. */
export type Step =
  | { readonly kind: "sql"; readonly statements: ReadonlyArray<string>; readonly atomic?: boolean; readonly source?: string }
  | { readonly kind: "if"; readonly branches: ReadonlyArray<{ readonly condition: string; readonly body: ReadonlyArray<Step> }>; readonly otherwise: ReadonlyArray<Step> }
  | { readonly kind: "loop"; readonly label?: string; readonly condition?: string; readonly until?: string; readonly body: ReadonlyArray<Step> }
  | { readonly kind: "for"; readonly label?: string; readonly variable: string; readonly query: string; readonly body: ReadonlyArray<Step> }
  | { readonly kind: "block"; readonly label?: string; readonly body: ReadonlyArray<Step>; readonly handler?: ReadonlyArray<Step> }
  | { readonly kind: "jump"; readonly jump: "break" | "continue" | "return"; readonly label?: string }
  | { readonly kind: "raise"; readonly message?: string }
  | { readonly kind: "execute"; readonly text: string; readonly into: ReadonlyArray<string>; readonly using: ReadonlyArray<{ readonly value: string; readonly name?: string }>; readonly variables: ReadonlyArray<string> }
  | ({ readonly kind: "procedure" } & ProcedureDefinition)
  | { readonly kind: "call"; readonly name: string; readonly args: ReadonlyArray<{ readonly value: string; readonly variable?: string }> }

/** A RAISE nothing caught, or a script that went wrong as BigQuery's would. */
export class ScriptError extends Schema.TaggedError<ScriptError>()("ScriptError", {
  fileName: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.fileName || "<script>"}: ${this.reason}`
  }
}

// System variables read as script variables of reserved names.
const ROW_COUNT = "mdp_row_count"
const ERROR_MESSAGE = "mdp_error_message"
const ERROR_STATEMENT = "mdp_error_statement_text"
const SYSTEM_VARIABLES = [ROW_COUNT, ERROR_MESSAGE, ERROR_STATEMENT]

const CONTROL_WORDS = new Set(["IF", "WHILE", "LOOP", "REPEAT", "FOR", "BEGIN", "BREAK", "LEAVE", "CONTINUE", "ITERATE", "RAISE", "RETURN", "EXECUTE", "CALL", "CASE"])

const upper = (token: Token | undefined): string => (token?.kind === "word" ? token.text.toUpperCase() : "")

/** `@@row_count`, `@@error.message`: reserved variable names the translation reads like any variable. */
const SYSTEM_VARIABLE_NAMES: Readonly<Record<string, string>> = { row_count: ROW_COUNT, "error.message": ERROR_MESSAGE, "error.statement_text": ERROR_STATEMENT }

const withSystemVariables = (sql: string): string => {
  if (!sql.includes("@@")) return sql
  // Token by token, so that a string or a comment mentioning @@row_count is left as written.
  const tokens = tokenize(sql, "bigquery")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text === "@" && tokens[i + 1]?.text === "@" && tokens[i + 2]?.kind === "word") {
      const name = tokens[i + 2]!.text.toLowerCase()
      const member = tokens[i + 3]?.text === "." && tokens[i + 4]?.kind === "word" ? `${name}.${tokens[i + 4]!.text.toLowerCase()}` : undefined
      const variable = (member === undefined ? undefined : SYSTEM_VARIABLE_NAMES[member]) ?? SYSTEM_VARIABLE_NAMES[name]
      if (variable !== undefined) {
        out.push(variable)
        i += member !== undefined && SYSTEM_VARIABLE_NAMES[member] !== undefined ? 4 : 2
        continue
      }
    }
    out.push(tokens[i]!.text)
  }
  return out.join("")
}

/**
 * BigQuery's `@@project_id` is the project the job runs in, which for a Dataform action is its own
 * database (the project's defaultProject): written in as a string before translation, and into
 * the text of an EXECUTE IMMEDIATE before it runs.
 */
export const withProjectId = (sql: string, project: string | undefined): string => {
  if (project === undefined || !/@@\s*project_id/i.test(sql)) return sql
  const tokens = tokenize(sql, "bigquery")
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text === "@" && tokens[i + 1]?.text === "@" && /^project_id$/i.test(tokens[i + 2]?.text ?? "")) {
      out.push(`'${project.replaceAll("'", "\\'")}'`)
      i += 2
    } else out.push(tokens[i]!.text)
  }
  return out.join("")
}

/**
 * Whether the texts need the interpreter: control flow, a BEGIN block, or a system variable. Plain
 * statements with DECLARE and SET translate to a flat list, as before.
 */
export const needsInterpreter = (sqls: ReadonlyArray<string>): boolean =>
  sqls.some((sql) => {
    if (/@@(row_count|error\.)/i.test(sql)) return true
    const tokens = tokenize(sql, "bigquery").filter(isSignificant)
    return tokens.some((token, i) => {
      const word = upper(token)
      const atStart = i === 0 || tokens[i - 1]!.text === ";" || (tokens[i - 1]!.text === ":" && i >= 2)
      // A procedure's BEGIN … END body is one statement, which only the interpreter reads as one.
      if (atStart && word === "CREATE" && tokens.slice(i + 1, i + 5).some((next) => upper(next) === "PROCEDURE")) return true
      if (!atStart || !CONTROL_WORDS.has(word) || word === "CASE") return false
      // BEGIN TRANSACTION is no block but a transaction of the script's own, which the interpreter
      // runs (plain statements run inside one transaction of the runner's, where DuckDB refuses another).
      return true
    })
  })

/** Parses a BigQuery script into statements and control flow; fails naming the construct and line. */
export const parseScript = (sql: string, fileName: string): Effect.Effect<ReadonlyArray<ScriptNode>, TranslationError> =>
  Effect.try({
    try: () => new ScriptParser(withSystemVariables(sql)).script(),
    catch: (cause) =>
      cause instanceof ParseFailure
        ? new TranslationError({ fileName, construct: `BigQuery scripting (${cause.construct})`, reason: `${cause.reason} (line ${cause.line})` })
        : new TranslationError({ fileName, construct: "the script", reason: String(cause) })
  })

class ParseFailure {
  readonly construct: string
  readonly reason: string
  readonly line: number
  constructor(construct: string, reason: string, line: number) {
    this.construct = construct
    this.reason = reason
    this.line = line
  }
}

class ScriptParser {
  private readonly tokens: ReadonlyArray<Token>
  /** Indices of significant tokens. */
  private readonly at: ReadonlyArray<number>
  private position = 0

  constructor(sql: string) {
    this.tokens = tokenize(sql, "bigquery")
    this.at = this.tokens.flatMap((token, index) => (isSignificant(token) ? [index] : []))
  }

  script(): ReadonlyArray<ScriptNode> {
    return this.list(() => false, "script")
  }

  private peek(offset = 0): Token | undefined {
    const index = this.at[this.position + offset]
    return index === undefined ? undefined : this.tokens[index]
  }

  private word(offset = 0): string {
    return upper(this.peek(offset))
  }

  private line(): number {
    const index = this.at[this.position] ?? this.tokens.length
    return render(this.tokens.slice(0, index)).split("\n").length
  }

  private fail(construct: string, reason: string): never {
    throw new ParseFailure(construct, reason, this.line())
  }

  private expect(...words: ReadonlyArray<string>): void {
    for (const word of words) {
      if (this.word() !== word) this.fail(words.join(" "), `expected ${words.join(" ")}, found ${this.peek()?.text ?? "the end of the script"}`)
      this.position++
    }
  }

  private endStatement(construct: string): void {
    if (this.peek()?.text === ";") this.position++
    else if (this.peek() !== undefined) this.fail(construct, `expected ; after ${construct}, found ${this.peek()!.text}`)
  }

  /** Source text from significant token `from` up to (not including) significant token `to`. */
  private text(from: number, to: number): string {
    const start = this.at[from] ?? this.tokens.length
    const end = this.at[to] ?? this.tokens.length
    return render(this.tokens.slice(start, end)).trim()
  }

  /**
   * Advances to the first of `stops` at depth 0 (parentheses, CASE … END); the text before it. The
   * script's end stops a statement that may be its last (BigQuery needs no final semicolon).
   */
  private until(stops: (offset: number) => boolean, construct: string, endsAtScriptEnd = false): string {
    const from = this.position
    let depth = 0
    let cases = 0
    while (this.peek() !== undefined) {
      const token = this.peek()!
      if (depth === 0 && cases === 0 && stops(0)) return this.text(from, this.position)
      if (token.text === "(" || token.text === "[") depth++
      if (token.text === ")" || token.text === "]") depth--
      if (upper(token) === "CASE") cases++
      if (upper(token) === "END" && cases > 0) cases--
      this.position++
    }
    if (endsAtScriptEnd && depth === 0 && cases === 0) return this.text(from, this.position)
    return this.fail(construct, "the script ends before it is complete")
  }

  /** Statements until `stop` says the enclosing construct goes on. */
  private list(stop: () => boolean, construct: string): ReadonlyArray<ScriptNode> {
    const nodes: Array<ScriptNode> = []
    while (this.peek() !== undefined) {
      if (this.peek()!.text === ";") {
        this.position++
        continue
      }
      if (stop()) return nodes
      nodes.push(this.statement())
    }
    if (construct !== "script") this.fail(construct, `the script ends inside ${construct}`)
    return nodes
  }

  /** The texts of a parenthesised list's items, split at its top-level commas (types' <…> included). */
  private parenthesised(construct: string, types = false): ReadonlyArray<string> {
    if (this.peek()?.text !== "(") this.fail(construct, `expected ( after the name, found ${this.peek()?.text ?? "the end of the script"}`)
    this.position++
    const items: Array<string> = []
    let from = this.position
    let depth = 0
    while (this.peek() !== undefined) {
      const text = this.peek()!.text
      if (depth === 0 && (text === "," || text === ")")) {
        items.push(this.text(from, this.position))
        this.position++
        if (text === ")") return items
        from = this.position
        continue
      }
      if (text === "(" || text === "[" || (types && text === "<")) depth++
      if (text === ")" || text === "]" || (types && text === ">")) depth--
      this.position++
    }
    return this.fail(construct, "the script ends inside its parentheses")
  }

  /** CREATE [OR REPLACE] PROCEDURE [IF NOT EXISTS] name (parameters) [OPTIONS (…)] BEGIN … END. */
  private procedure(procedureAt: number): ScriptNode {
    const replace = this.word(1) === "OR"
    this.position += procedureAt + 1
    const ifNotExists = this.word() === "IF" && this.word(1) === "NOT" && this.word(2) === "EXISTS"
    if (ifNotExists) this.position += 3
    const name = this.until(() => this.peek()?.text === "(", "CREATE PROCEDURE")
    const parameters = this.parenthesised("CREATE PROCEDURE", true)
      .filter((item) => item !== "")
      .map((item) => {
        const parts = /^(?:(IN|OUT|INOUT)\s+)?(`[^`]+`|\w+)\s+([\s\S]+)$/i.exec(item)
        if (parts === null) return this.fail("CREATE PROCEDURE", `expected a parameter as [IN|OUT|INOUT] name type, found ${item}`)
        return { mode: (parts[1]?.toUpperCase() ?? "IN") as "IN" | "OUT" | "INOUT", name: parts[2]!.replaceAll("`", "").toLowerCase(), type: parts[3]!.trim() }
      })
    if (this.word() === "OPTIONS") {
      this.position++
      this.parenthesised("CREATE PROCEDURE")
    }
    if (this.word() !== "BEGIN") {
      return this.fail("CREATE PROCEDURE", `only SQL procedures (a BEGIN … END body) run locally, found ${this.peek()?.text ?? "the end of the script"}`)
    }
    const from = this.position
    const block = this.statement()
    const text = this.text(from, this.position).replace(/;\s*$/, "")
    return { kind: "procedure", name, replace, ifNotExists, parameters, text, body: [block] }
  }

  private statement(): ScriptNode {
    let label: string | undefined
    if (this.peek()?.kind === "word" && this.peek(1)?.text === ":" && ["LOOP", "WHILE", "REPEAT", "FOR", "BEGIN"].includes(this.word(2))) {
      label = this.peek()!.text.toLowerCase()
      this.position += 2
    }
    const labelled = <T extends object>(node: T): T => (label === undefined ? node : { ...node, label })
    const endLabel = () => {
      if (label !== undefined && this.peek()?.kind === "word" && this.peek()!.text.toLowerCase() === label) this.position++
    }
    // `END <keyword> [label];`, and the statements up to it.
    const bodyUntilEnd = (keyword: string) => this.list(() => this.word() === "END" && this.word(1) === keyword, keyword)
    const close = (keyword: string) => {
      this.expect("END", keyword)
      endLabel()
      this.endStatement(`END ${keyword}`)
    }
    const word = this.word()
    switch (word) {
      case "IF": {
        this.position++
        const branches: Array<{ condition: string; body: ReadonlyArray<ScriptNode> }> = []
        let otherwise: ReadonlyArray<ScriptNode> = []
        for (;;) {
          const condition = this.until(() => this.word() === "THEN", "IF")
          this.expect("THEN")
          branches.push({ condition, body: this.list(() => ["ELSEIF", "ELSE"].includes(this.word()) || (this.word() === "END" && this.word(1) === "IF"), "IF") })
          if (this.word() === "ELSEIF") {
            this.position++
            continue
          }
          if (this.word() === "ELSE") {
            this.position++
            otherwise = this.list(() => this.word() === "END" && this.word(1) === "IF", "IF")
          }
          break
        }
        close("IF")
        return { kind: "if", branches, otherwise }
      }
      case "LOOP": {
        this.position++
        const body = bodyUntilEnd("LOOP")
        close("LOOP")
        return labelled({ kind: "loop", body })
      }
      case "WHILE": {
        this.position++
        const condition = this.until(() => this.word() === "DO", "WHILE")
        this.expect("DO")
        const body = bodyUntilEnd("WHILE")
        close("WHILE")
        return labelled({ kind: "loop", condition, body })
      }
      case "REPEAT": {
        this.position++
        const body = this.list(() => this.word() === "UNTIL", "REPEAT")
        this.expect("UNTIL")
        const until = this.until(() => this.word() === "END" && this.word(1) === "REPEAT", "REPEAT")
        close("REPEAT")
        return labelled({ kind: "loop", until, body })
      }
      case "FOR": {
        this.position++
        const variable = this.peek()
        if (variable === undefined || (variable.kind !== "word" && variable.kind !== "quoted")) return this.fail("FOR", "expected the loop variable's name")
        this.position++
        this.expect("IN")
        if (this.peek()?.text !== "(") return this.fail("FOR", "expected ( before the loop's query")
        const query = this.until(() => this.word() === "DO", "FOR").replace(/^\(([\s\S]*)\)$/, "$1").trim()
        this.expect("DO")
        const body = bodyUntilEnd("FOR")
        close("FOR")
        return labelled({ kind: "for", variable: (variable.kind === "quoted" ? variable.text.slice(1, -1) : variable.text).toLowerCase(), query, body })
      }
      case "BEGIN": {
        if (/^(TRANSACTION|TRAN)$/i.test(this.peek(1)?.text ?? "")) break
        this.position++
        const body = this.list(() => this.word() === "EXCEPTION" || (this.word() === "END" && this.peek(1)?.text !== "("), "BEGIN")
        let handler: ReadonlyArray<ScriptNode> | undefined
        if (this.word() === "EXCEPTION") {
          this.position++
          this.expect("WHEN", "ERROR", "THEN")
          handler = this.list(() => this.word() === "END", "EXCEPTION")
        }
        this.expect("END")
        endLabel()
        this.endStatement("END")
        return labelled({ kind: "block", body, ...(handler === undefined ? {} : { handler }) })
      }
      case "BREAK":
      case "LEAVE":
      case "CONTINUE":
      case "ITERATE":
      case "RETURN": {
        this.position++
        const target = word === "RETURN" || this.peek()?.kind !== "word" ? undefined : this.peek()!.text.toLowerCase()
        if (target !== undefined) this.position++
        this.endStatement(word)
        const jump = word === "RETURN" ? "return" : word === "BREAK" || word === "LEAVE" ? "break" : "continue"
        return { kind: "jump", jump, ...(target === undefined ? {} : { label: target }) }
      }
      case "RAISE": {
        this.position++
        if (this.peek() === undefined || this.peek()!.text === ";") {
          this.endStatement("RAISE")
          return { kind: "raise" }
        }
        this.expect("USING", "MESSAGE")
        if (this.peek()?.text !== "=") this.fail("RAISE", "expected = after USING MESSAGE")
        this.position++
        const message = this.until(() => this.peek()?.text === ";", "RAISE")
        this.endStatement("RAISE")
        return { kind: "raise", message }
      }
      case "EXECUTE": {
        this.position++
        this.expect("IMMEDIATE")
        const text = this.until(() => this.peek()?.text === ";" || ["INTO", "USING"].includes(this.word()), "EXECUTE IMMEDIATE")
        const into: Array<string> = []
        const using: Array<{ value: string; name?: string }> = []
        if (this.word() === "INTO") {
          this.position++
          for (;;) {
            const name = this.peek()
            if (name === undefined || (name.kind !== "word" && name.kind !== "quoted")) this.fail("EXECUTE IMMEDIATE", "expected a variable after INTO")
            into.push((name.kind === "quoted" ? name.text.slice(1, -1) : name.text).toLowerCase())
            this.position++
            if (this.peek()?.text !== ",") break
            this.position++
          }
        }
        if (this.word() === "USING") {
          this.position++
          for (;;) {
            const value = this.until(() => this.peek()?.text === ";" || this.peek()?.text === "," || this.word() === "AS", "EXECUTE IMMEDIATE")
            let name: string | undefined
            if (this.word() === "AS") {
              this.position++
              name = this.peek()?.text.toLowerCase()
              this.position++
            }
            using.push(name === undefined ? { value } : { value, name })
            if (this.peek()?.text !== ",") break
            this.position++
          }
        }
        this.endStatement("EXECUTE IMMEDIATE")
        return { kind: "execute", text, into, using }
      }
      case "END":
      case "ELSE":
      case "ELSEIF":
      case "UNTIL":
      case "EXCEPTION": {
        const phrase = word === "END" && this.peek(1)?.kind === "word" && this.peek(1)?.text !== ";" ? `END ${this.word(1)}` : word
        return this.fail(phrase, `${phrase} closes nothing open here`)
      }
      case "CREATE": {
        const procedureAt = [1, 2, 3, 4].find((offset) => this.word(offset) === "PROCEDURE")
        if (procedureAt === undefined || [1, 2, 3].slice(0, procedureAt - 1).some((offset) => !["OR", "REPLACE", "TEMP", "TEMPORARY"].includes(this.word(offset)))) break
        return this.procedure(procedureAt)
      }
      case "CALL": {
        this.position++
        const name = this.until(() => this.peek()?.text === "(", "CALL")
        const args = this.parenthesised("CALL")
        this.endStatement("CALL")
        return { kind: "call", name, args: args.length === 1 && args[0] === "" ? [] : args }
      }
      case "CASE": {
        // CASE [subject] WHEN … THEN … [ELSE …] END CASE: an IF whose conditions are the WHENs (or
        // the subject equal to each); no branch runs when none holds and there is no ELSE.
        this.position++
        const subject = this.word() === "WHEN" ? undefined : this.until(() => this.word() === "WHEN", "CASE")
        const branches: Array<{ condition: string; body: ReadonlyArray<ScriptNode> }> = []
        let otherwise: ReadonlyArray<ScriptNode> = []
        const branchEnds = () => ["WHEN", "ELSE"].includes(this.word()) || (this.word() === "END" && this.word(1) === "CASE")
        while (this.word() === "WHEN") {
          this.position++
          const when = this.until(() => this.word() === "THEN", "CASE")
          this.expect("THEN")
          branches.push({ condition: subject === undefined ? when : `(${subject}) = (${when})`, body: this.list(branchEnds, "CASE") })
        }
        if (branches.length === 0) return this.fail("CASE", "a CASE statement needs at least one WHEN")
        if (this.word() === "ELSE") {
          this.position++
          otherwise = this.list(() => this.word() === "END" && this.word(1) === "CASE", "CASE")
        }
        close("CASE")
        return { kind: "if", branches, otherwise }
      }
    }
    // A plain statement: up to its semicolon (a CREATE FUNCTION's body is inside parentheses).
    const text = this.until(() => this.peek()?.text === ";", "the statement", true)
    this.endStatement("the statement")
    return { kind: "sql", text }
  }
}

const declaresVariables = (node: ScriptNode): ReadonlyArray<string> => {
  if (node.kind !== "sql") return []
  const tokens = tokenize(node.text, "bigquery").filter(isSignificant)
  if (upper(tokens[0]) !== "DECLARE") return []
  const names: Array<string> = []
  for (let i = 1; i < tokens.length && (tokens[i]!.kind === "word" || tokens[i]!.kind === "quoted"); i += 2) {
    names.push((tokens[i]!.kind === "quoted" ? tokens[i]!.text.slice(1, -1) : tokens[i]!.text).toLowerCase())
    if (tokens[i + 1]?.text !== ",") break
  }
  return names
}

/** `x.field` of a FOR loop's row variable reads the struct the interpreter keeps in variable `x`. */
const readRowVariables = (sql: string, rows: ReadonlySet<string>): string => {
  if (rows.size === 0) return sql
  const tokens = tokenize(sql, "bigquery")
  const significant = tokens.map((token, index) => ({ token, index })).filter(({ token }) => isSignificant(token))
  const replaced = new Map<number, string>()
  significant.forEach(({ token, index }, k) => {
    const name = token.kind === "word" ? token.text.toLowerCase() : ""
    if (rows.has(name) && significant[k + 1]?.token.text === "." && significant[k - 1]?.token.text !== ".") replaced.set(index, `getvariable('${name}')`)
  })
  return tokens.map((token, index) => replaced.get(index) ?? token.text).join("")
}

/** A condition or value as a one-row SELECT the interpreter asks DuckDB for. */
const valueQuery = (expression: string, fileName: string, variables: ReadonlyArray<string>, rows: ReadonlySet<string>) =>
  translate(`SELECT ${readRowVariables(expression, rows)} AS mdp_value`, { fileName, variables }).pipe(
    Effect.flatMap((statements) =>
      statements.length === 1
        ? Effect.succeed(statements[0]!)
        : Effect.fail(new TranslationError({ fileName, construct: "BigQuery scripting", reason: `expected one expression, found ${expression}` }))
    )
  )

interface Scope {
  readonly variables: ReadonlyArray<string>
  readonly rows: ReadonlySet<string>
  readonly inHandler: boolean
}

/**
 * Translates every statement, condition and value of a parsed script. DECLARE is taken at the start
 * of the script or of a BEGIN block only, as BigQuery does; a variable is seen from its DECLARE to
 * the end of its block.
 */
export const planScript = (
  nodes: ReadonlyArray<ScriptNode>,
  fileName: string,
  options: { readonly variables?: ReadonlyArray<string>; readonly afterOtherStatements?: boolean } = {}
): Effect.Effect<ReadonlyArray<Step>, TranslationError> =>
  planList(nodes, fileName, { variables: [...(options.variables ?? []), ...SYSTEM_VARIABLES], rows: new Set(), inHandler: false }, options.afterOtherStatements !== true)

const planList = (nodes: ReadonlyArray<ScriptNode>, fileName: string, outer: Scope, declarationsAllowed = true): Effect.Effect<ReadonlyArray<Step>, TranslationError> =>
  Effect.gen(function* () {
    let scope = outer
    let declaring = declarationsAllowed
    const steps: Array<Step> = []
    for (const node of nodes) {
      const declared = declaresVariables(node)
      if (declared.length > 0) {
        if (!declaring) {
          return yield* new TranslationError({
            fileName,
            construct: "BigQuery scripting (DECLARE)",
            reason: "BigQuery takes DECLARE only at the start of a script or of a BEGIN block, before any other statement"
          })
        }
      } else declaring = false
      steps.push(yield* planNode(node, fileName, scope))
      if (declared.length > 0) scope = { ...scope, variables: [...scope.variables, ...declared] }
    }
    return steps
  })

const planNode = (node: ScriptNode, fileName: string, scope: Scope): Effect.Effect<Step, TranslationError> =>
  Effect.gen(function* () {
    const value = (expression: string) => valueQuery(expression, fileName, scope.variables, scope.rows)
    switch (node.kind) {
      case "sql":
        return { kind: "sql", statements: yield* translate(readRowVariables(node.text, scope.rows), { fileName, variables: scope.variables }), source: node.text.trim() }
      case "if":
        return {
          kind: "if",
          branches: yield* Effect.forEach(node.branches, (branch) =>
            Effect.all({ condition: value(branch.condition), body: planList(branch.body, fileName, scope, false) })
          ),
          otherwise: yield* planList(node.otherwise, fileName, scope, false)
        }
      case "loop":
        return {
          kind: "loop",
          ...(node.label === undefined ? {} : { label: node.label }),
          ...(node.condition === undefined ? {} : { condition: yield* value(node.condition) }),
          ...(node.until === undefined ? {} : { until: yield* value(node.until) }),
          body: yield* planList(node.body, fileName, scope, false)
        }
      case "for": {
        const inner = { ...scope, rows: new Set([...scope.rows, node.variable]) }
        const query = yield* translate(readRowVariables(node.query, scope.rows), { fileName, variables: scope.variables })
        if (query.length !== 1) return yield* new TranslationError({ fileName, construct: "BigQuery scripting (FOR)", reason: "the loop's query must be one SELECT" })
        return { kind: "for", ...(node.label === undefined ? {} : { label: node.label }), variable: node.variable, query: query[0]!, body: yield* planList(node.body, fileName, inner, false) }
      }
      case "block":
        return {
          kind: "block",
          ...(node.label === undefined ? {} : { label: node.label }),
          body: yield* planList(node.body, fileName, scope),
          ...(node.handler === undefined ? {} : { handler: yield* planList(node.handler, fileName, { ...scope, inHandler: true }, false) })
        }
      case "jump":
        return node
      case "raise":
        if (node.message === undefined && !scope.inHandler) {
          return yield* new TranslationError({ fileName, construct: "BigQuery scripting (RAISE)", reason: "RAISE without USING MESSAGE re-raises an error, so it belongs in an EXCEPTION handler" })
        }
        return node.message === undefined ? { kind: "raise" } : { kind: "raise", message: yield* value(node.message) }
      case "procedure": {
        // Translated once here so that a dry run finds what would fail; each CALL translates it again.
        yield* planList(node.body, fileName, procedureScope(node.parameters))
        const { body: _body, ...definition } = node
        return definition
      }
      case "call":
        return {
          kind: "call",
          name: node.name,
          args: yield* Effect.forEach(node.args, (arg) => {
            const variable = /^`?(\w+)`?$/.exec(arg.trim())?.[1]?.toLowerCase()
            return value(arg).pipe(Effect.map((query) => (variable !== undefined && scope.variables.includes(variable) ? { value: query, variable } : { value: query })))
          })
        }
      case "execute":
        return {
          kind: "execute",
          text: yield* value(node.text),
          into: node.into,
          using: yield* Effect.forEach(node.using, (parameter) =>
            value(parameter.value).pipe(Effect.map((query) => (parameter.name === undefined ? { value: query } : { value: query, name: parameter.name })))
          ),
          variables: scope.variables
        }
    }
  })

/** A procedure's body sees its parameters, not its caller's variables. */
const procedureScope = (parameters: ProcedureDefinition["parameters"]): Scope => ({
  variables: [...parameters.map((parameter) => parameter.name), ...SYSTEM_VARIABLES],
  rows: new Set(),
  inHandler: false
})

/** Every variable a procedure's body declares or loops over, at any depth. */
const variablesOf = (nodes: ReadonlyArray<ScriptNode>): ReadonlyArray<string> =>
  nodes.flatMap((node): ReadonlyArray<string> => {
    switch (node.kind) {
      case "sql":
        return declaresVariables(node)
      case "if":
        return [...node.branches.flatMap((branch) => variablesOf(branch.body)), ...variablesOf(node.otherwise)]
      case "loop":
        return variablesOf(node.body)
      case "for":
        return [node.variable, ...variablesOf(node.body)]
      case "block":
        return [...variablesOf(node.body), ...variablesOf(node.handler ?? [])]
      default:
        return []
    }
  })

/** A procedure's name as the catalogue keys it: dataset and name (the project is the local one). */
const procedureKey = (name: string): string => name.replaceAll("`", "").toLowerCase().split(".").map((part) => part.trim()).slice(-2).join(".")

// Where CREATE PROCEDURE keeps procedures, as BigQuery's catalogue would: in the warehouse, so
// that one action's procedure is there for another action's CALL, in this run or a later one.
const PROCEDURES_TABLE = { schema: "main", table: "mdp_procedures" } as const
const PROCEDURES = `${PROCEDURES_TABLE.schema}.${PROCEDURES_TABLE.table}`

/** Where a procedure of this schema and name would be kept, for checking that CREATE PROCEDURE ran. */
export const procedureEntry = (schema: string, name: string) => ({ ...PROCEDURES_TABLE, key: procedureKey(`${schema}.${name}`) })
// BigQuery's limit on nested CALLs.
const MAX_CALL_DEPTH = 50

/** The program as statements, one per line of a dry run: control flow as comments. */
export const renderProgram = (steps: ReadonlyArray<Step>, depth = 0): ReadonlyArray<string> => {
  const pad = "  ".repeat(depth)
  return steps.flatMap((step): ReadonlyArray<string> => {
    switch (step.kind) {
      case "sql":
        return step.statements.map((statement) => pad + statement)
      case "if":
        return [
          ...step.branches.flatMap((branch, i) => [`${pad}-- ${i === 0 ? "IF" : "ELSEIF"} (${branch.condition})`, ...renderProgram(branch.body, depth + 1)]),
          ...(step.otherwise.length === 0 ? [] : [`${pad}-- ELSE`, ...renderProgram(step.otherwise, depth + 1)]),
          `${pad}-- END IF`
        ]
      case "loop":
        return [
          `${pad}-- ${step.condition !== undefined ? `WHILE (${step.condition})` : step.until !== undefined ? "REPEAT" : "LOOP"}`,
          ...renderProgram(step.body, depth + 1),
          `${pad}-- END ${step.until !== undefined ? `REPEAT UNTIL (${step.until})` : "LOOP"}`
        ]
      case "for":
        return [`${pad}-- FOR ${step.variable} IN (${step.query})`, ...renderProgram(step.body, depth + 1), `${pad}-- END FOR`]
      case "block":
        return [`${pad}-- BEGIN`, ...renderProgram(step.body, depth + 1), ...(step.handler === undefined ? [] : [`${pad}-- EXCEPTION WHEN ERROR THEN`, ...renderProgram(step.handler, depth + 1)]), `${pad}-- END`]
      case "jump":
        return [`${pad}-- ${step.jump.toUpperCase()}${step.label === undefined ? "" : ` ${step.label}`}`]
      case "raise":
        return [`${pad}-- RAISE${step.message === undefined ? "" : ` (${step.message})`}`]
      case "execute":
        return [`${pad}-- EXECUTE IMMEDIATE (${step.text})`]
      case "procedure":
        return [`${pad}-- CREATE PROCEDURE ${step.name} (kept in ${PROCEDURES})`]
      case "call":
        return [`${pad}-- CALL ${step.name}(${step.args.map((arg) => arg.value).join(", ")})`]
    }
  })
}

type Signal = { readonly kind: "normal" } | { readonly kind: "break" | "continue"; readonly label?: string } | { readonly kind: "return" }

const NORMAL: Signal = { kind: "normal" }

/** An error a handler can catch: a failed statement or a RAISE. */
type Raised = WarehouseError | ScriptError | TranslationError

// DuckDB's class of an error ("Invalid Input Error: "), which BigQuery's messages do not carry:
// ERROR('x') is "x" in @@error.message.
const DUCKDB_ERROR_CLASS = /^(Error: )?(Invalid Input|Conversion|Out of Range|Constraint|Binder|Catalog|Parser|Not implemented|Invalid) Error: /

const messageOf = (error: Raised): string =>
  error._tag === "ScriptError" ? error.reason : error._tag === "WarehouseError" ? error.reason.replace(DUCKDB_ERROR_CLASS, "") : error.message

const DML = /^\s*(INSERT|UPDATE|DELETE|MERGE)\b/i

/** Runs a planned program on one connection, each statement committed as it runs (BigQuery's script semantics). */
export const runProgram = (steps: ReadonlyArray<Step>, fileName: string, projectId?: string): Effect.Effect<void, Raised, Warehouse> =>
  Effect.gen(function* () {
    const warehouse = yield* Warehouse
    yield* warehouse.session((session) => new Interpreter(session, fileName, projectId).list(steps).pipe(Effect.asVoid))
  })

class Interpreter {
  private temporaries = 0
  private calls = 0
  private depth = 0
  private currentError: Raised | undefined
  private statementText: string | undefined
  // BEGIN TRANSACTION … COMMIT|ROLLBACK: DuckDB refuses every statement of a transaction after one
  // fails, the handler's included, where BigQuery hands the open transaction to the handler to
  // commit or roll back. So a handler entered with a transaction open rolls DuckDB's back and
  // opens another for the handler's statements ("aborted"): the script's ROLLBACK then discards
  // them as BigQuery's would; its COMMIT, which would keep the work before the error, fails by name.
  private transaction: "none" | "open" | "aborted" = "none"

  private readonly session: WarehouseSession
  private readonly fileName: string
  private readonly projectId: string | undefined

  constructor(session: WarehouseSession, fileName: string, projectId: string | undefined) {
    this.session = session
    this.fileName = fileName
    this.projectId = projectId
  }

  private statement(sql: string): Effect.Effect<void, WarehouseError> {
    const control = /^\s*(BEGIN|START|COMMIT|ROLLBACK)\b/i.exec(sql)?.[1]?.toUpperCase()
    if (control === "COMMIT" && this.transaction === "aborted") {
      this.transaction = "none"
      return Effect.ignore(this.session.run("ROLLBACK")).pipe(
        Effect.andThen(
          Effect.fail(
            new WarehouseError({ reason: "COMMIT TRANSACTION in an EXCEPTION handler, after a statement of the transaction failed: not run locally (DuckDB keeps no part of a failed transaction); roll it back there instead", sql })
          )
        )
      )
    }
    if (control === "BEGIN" || control === "START") this.transaction = "open"
    if (control === "COMMIT" || control === "ROLLBACK") this.transaction = "none"
    // A check of assignment types before an INSERT or UPDATE leaves @@row_count to the statement before it.
    if (isTypeCheck(sql)) return this.session.run(sql).pipe(Effect.asVoid)
    return this.session.run(sql).pipe(
      Effect.flatMap((changed) => this.session.run(`SET VARIABLE ${ROW_COUNT} = ${DML.test(sql) ? `${changed}::BIGINT` : "NULL::BIGINT"}`)),
      Effect.asVoid
    )
  }

  private value(query: string): Effect.Effect<unknown, WarehouseError> {
    return this.session.query(query).pipe(Effect.map((rows) => rows[0]?.["mdp_value"] ?? null))
  }

  list(steps: ReadonlyArray<Step>): Effect.Effect<Signal, Raised> {
    const self = this
    return Effect.gen(function* () {
      for (const step of steps) {
        const signal = yield* self.step(step)
        if (signal.kind !== "normal") return signal
      }
      return NORMAL
    })
  }

  /** A loop body's signal: whether the loop stops, and what it passes on. */
  private loopControl(signal: Signal, label: string | undefined): { readonly stop: boolean; readonly pass: Signal } {
    if (signal.kind === "normal") return { stop: false, pass: NORMAL }
    if (signal.kind === "return") return { stop: true, pass: signal }
    const mine = signal.label === undefined || signal.label === label
    if (!mine) return { stop: true, pass: signal }
    return signal.kind === "break" ? { stop: true, pass: NORMAL } : { stop: false, pass: NORMAL }
  }

  private step(step: Step): Effect.Effect<Signal, Raised> {
    const self = this
    return Effect.gen(function* () {
      // @@error.statement_text is the failing statement as the script wrote it, not its translation;
      // an error outside a SQL step (an IF's condition) keeps the translation's text.
      self.statementText = step.kind === "sql" ? step.source : undefined
      switch (step.kind) {
        case "sql":
          if (step.atomic === true && step.statements.length > 1) {
            // An action's build, one statement on BigQuery (CREATE TABLE … AS, INSERT, MERGE): its
            // @@row_count is the rows its last DML wrote (a MERGE's staged rows are those the INSERT
            // writes after the DELETE), NULL for a CREATE.
            let written: number | undefined
            yield* self.session.run("BEGIN TRANSACTION")
            const done = yield* Effect.result(Effect.forEach(step.statements, (sql) =>
              self.session.run(sql).pipe(Effect.tap((changed) => Effect.sync(() => {
                if (!isTypeCheck(sql) && DML.test(sql)) written = changed
              }))), { discard: true }))
            if (done._tag === "Failure") {
              yield* Effect.ignore(self.session.run("ROLLBACK"))
              return yield* done.failure
            }
            yield* self.session.run("COMMIT")
            yield* self.session.run(`SET VARIABLE ${ROW_COUNT} = ${written === undefined ? "NULL" : written}::BIGINT`)
            return NORMAL
          }
          for (const sql of step.statements) yield* self.statement(sql)
          return NORMAL
        case "if": {
          for (const branch of step.branches) {
            if ((yield* self.value(branch.condition)) === true) return yield* self.list(branch.body)
          }
          return yield* self.list(step.otherwise)
        }
        case "loop":
          for (;;) {
            if (step.condition !== undefined && (yield* self.value(step.condition)) !== true) return NORMAL
            const control = self.loopControl(yield* self.list(step.body), step.label)
            if (control.stop) return control.pass
            if (step.until !== undefined && (yield* self.value(step.until)) === true) return NORMAL
          }
        case "for":
          return yield* self.forEachRow(step)
        case "block": {
          if (step.handler === undefined) return self.blockSignal(yield* self.list(step.body), step.label)
          const outcome = yield* Effect.result(self.list(step.body))
          if (outcome._tag === "Success") return self.blockSignal(outcome.success, step.label)
          const error = outcome.failure
          if (self.transaction === "open") {
            yield* Effect.ignore(self.session.run("ROLLBACK"))
            yield* self.session.run("BEGIN TRANSACTION")
            self.transaction = "aborted"
          }
          const previous = self.currentError
          self.currentError = error
          yield* self.session.run(`SET VARIABLE ${ERROR_MESSAGE} = $1`, [messageOf(error)])
          yield* self.session.run(`SET VARIABLE ${ERROR_STATEMENT} = $1`, [error._tag === "WarehouseError" ? (self.statementText ?? error.sql) : ""])
          const handled = yield* self.list(step.handler)
          self.currentError = previous
          return self.blockSignal(handled, step.label)
        }
        case "jump":
          return step.jump === "return" ? { kind: "return" } : { kind: step.jump, ...(step.label === undefined ? {} : { label: step.label }) }
        case "raise": {
          if (step.message === undefined) return yield* (self.currentError ?? new ScriptError({ fileName: self.fileName, reason: "RAISE outside an EXCEPTION handler" }))
          const message = yield* self.value(step.message)
          return yield* new ScriptError({ fileName: self.fileName, reason: message === null ? "RAISE with a NULL message" : String(message) })
        }
        case "execute":
          return yield* self.execute(step)
        case "procedure":
          return yield* self.createProcedure(step)
        case "call":
          return yield* self.call(step)
      }
    })
  }

  private createProcedure(step: Extract<Step, { kind: "procedure" }>): Effect.Effect<Signal, Raised> {
    const self = this
    return Effect.gen(function* () {
      const key = procedureKey(step.name)
      yield* self.session.run(`CREATE TABLE IF NOT EXISTS ${PROCEDURES} (name VARCHAR, definition VARCHAR)`)
      const exists = (yield* self.session.query(`SELECT COUNT(*) AS n FROM ${PROCEDURES} WHERE name = $1`, [key]))[0]?.["n"] !== 0
      if (exists && step.ifNotExists) return NORMAL
      if (exists && !step.replace) return yield* new ScriptError({ fileName: self.fileName, reason: `Already Exists: procedure ${step.name} (CREATE OR REPLACE PROCEDURE replaces it)` })
      const definition: ProcedureDefinition = { name: step.name, replace: step.replace, ifNotExists: step.ifNotExists, parameters: step.parameters, text: step.text }
      yield* self.session.run(`DELETE FROM ${PROCEDURES} WHERE name = $1`, [key])
      yield* self.session.run(`INSERT INTO ${PROCEDURES} VALUES ($1, $2)`, [key, JSON.stringify(definition)])
      return NORMAL
    })
  }

  /**
   * CALL: the arguments are evaluated in the caller's scope; the body then runs with its parameters
   * and its own variables, which DuckDB keeps in one namespace with the caller's, so those of the
   * same names are saved before and put back after (OUT and INOUT parameters then set the caller's
   * variables). RETURN leaves the procedure; an error goes on to the caller.
   */
  private call(step: Extract<Step, { kind: "call" }>): Effect.Effect<Signal, Raised> {
    const self = this
    return Effect.gen(function* () {
      const key = procedureKey(step.name)
      const notFound = new ScriptError({ fileName: self.fileName, reason: `Not found: procedure ${step.name} (no CREATE PROCEDURE for it has run in this warehouse)` })
      const catalogued = yield* self.session.query(`SELECT definition FROM ${PROCEDURES} WHERE name = $1`, [key]).pipe(Effect.mapError(() => notFound))
      const stored = catalogued[0]?.["definition"]
      if (typeof stored !== "string") return yield* notFound
      const procedure = JSON.parse(stored) as ProcedureDefinition
      if (procedure.parameters.length !== step.args.length) {
        return yield* new ScriptError({ fileName: self.fileName, reason: `CALL ${step.name}: the procedure takes ${procedure.parameters.length} argument(s), the call gives ${step.args.length}` })
      }
      if (self.depth >= MAX_CALL_DEPTH) return yield* new ScriptError({ fileName: self.fileName, reason: `CALL ${step.name}: more than ${MAX_CALL_DEPTH} nested calls` })
      const where = `${self.fileName} (procedure ${step.name})`
      const nodes = yield* parseScript(procedure.text, where)
      const steps = yield* planList(nodes, where, procedureScope(procedure.parameters))
      for (const [index, parameter] of procedure.parameters.entries()) {
        if (parameter.mode !== "IN" && step.args[index]!.variable === undefined) {
          return yield* new ScriptError({ fileName: self.fileName, reason: `CALL ${step.name}: the ${parameter.mode} argument ${parameter.name} must be a variable` })
        }
      }
      const call = ++self.calls
      const held = (name: string) => `mdp_call_${call}_${name}`
      // Arguments first, while the caller's variables are still in place.
      for (const [index, arg] of step.args.entries()) yield* self.session.run(`SET VARIABLE ${held(`arg_${index}`)} = (${arg.value})`)
      const own = [...new Set([...procedure.parameters.map((parameter) => parameter.name), ...variablesOf(nodes), ...SYSTEM_VARIABLES])]
      for (const name of own) yield* self.session.run(`SET VARIABLE ${held(`saved_${name}`)} = getvariable('${name}')`)
      for (const [index, parameter] of procedure.parameters.entries()) {
        const initial = parameter.mode === "OUT" ? "NULL" : held(`arg_${index}`)
        const cast = yield* valueQuery(`CAST(${initial} AS ${parameter.type})`, where, [held(`arg_${index}`)], new Set())
        yield* self.session.run(`SET VARIABLE ${parameter.name} = (${cast})`)
      }
      self.depth++
      const outcome = yield* Effect.result(self.list(steps))
      self.depth--
      for (const [index, parameter] of procedure.parameters.entries()) {
        if (parameter.mode !== "IN") yield* self.session.run(`SET VARIABLE ${held(`out_${index}`)} = getvariable('${parameter.name}')`)
      }
      for (const name of own) yield* self.session.run(`SET VARIABLE ${name} = getvariable('${held(`saved_${name}`)}')`)
      if (outcome._tag === "Success") {
        for (const [index, parameter] of procedure.parameters.entries()) {
          if (parameter.mode !== "IN") yield* self.session.run(`SET VARIABLE ${step.args[index]!.variable!} = getvariable('${held(`out_${index}`)}')`)
        }
      }
      const heldNames = [...step.args.keys()].flatMap((index) => [held(`arg_${index}`), held(`out_${index}`)])
      for (const name of [...heldNames, ...own.map((name) => held(`saved_${name}`))]) yield* self.session.run(`RESET VARIABLE ${name}`)
      return outcome._tag === "Failure" ? yield* outcome.failure : NORMAL
    })
  }

  private forEachRow(step: Extract<Step, { kind: "for" }>): Effect.Effect<Signal, Raised> {
    const self = this
    // The query is evaluated once, before the first iteration, as in BigQuery.
    const table = `mdp_for_rows_${++this.temporaries}`
    return Effect.gen(function* () {
      yield* self.session.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${step.query}`)
      const count = Number((yield* self.session.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.["n"] ?? 0)
      for (let row = 0; row < count; row++) {
        yield* self.session.run(`SET VARIABLE ${step.variable} = (SELECT mdp_row FROM (SELECT * FROM ${table} WHERE rowid = ${row}) AS mdp_row)`)
        const control = self.loopControl(yield* self.list(step.body), step.label)
        if (control.stop) return control.pass
      }
      return NORMAL
    }).pipe(Effect.ensuring(Effect.ignore(self.session.run(`DROP TABLE IF EXISTS ${table}`))))
  }

  /** A labelled BEGIN block ends on a BREAK of its own label. */
  private blockSignal(signal: Signal, label: string | undefined): Signal {
    return signal.kind === "break" && label !== undefined && signal.label === label ? NORMAL : signal
  }

  private execute(step: Extract<Step, { kind: "execute" }>): Effect.Effect<Signal, Raised> {
    const self = this
    return Effect.gen(function* () {
      const text = yield* self.value(step.text)
      if (typeof text !== "string") return yield* new ScriptError({ fileName: self.fileName, reason: "EXECUTE IMMEDIATE needs a STRING" })
      // Parameters become variables of reserved names: `?` in order, `@name` by name.
      const parameters: Array<string> = []
      for (const [index, parameter] of step.using.entries()) {
        const name = `mdp_parameter_${parameter.name ?? index + 1}`
        parameters.push(name)
        yield* self.session.run(`SET VARIABLE ${name} = (${step.using[index]!.value})`)
      }
      let positional = 0
      const bound = tokenize(text, "bigquery")
        .map((token, i, tokens) => {
          if (token.text === "?") return `mdp_parameter_${++positional}`
          if (token.text === "@" && tokens[i + 1]?.kind === "word" && tokens[i - 1]?.text !== "@") return "mdp_parameter_"
          return token.text
        })
        .join("")
      const variables = [...step.variables, ...parameters]
      const statements = yield* translate(withSystemVariables(withProjectId(bound, self.projectId)), { fileName: self.fileName, variables })
      if (step.into.length === 0) {
        for (const sql of statements) yield* self.statement(sql)
        return NORMAL
      }
      if (statements.length !== 1) return yield* new ScriptError({ fileName: self.fileName, reason: "EXECUTE IMMEDIATE … INTO needs one query" })
      const table = `mdp_into_${++self.temporaries}`
      yield* self.session.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${statements[0]}`)
      const count = Number((yield* self.session.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.["n"] ?? 0)
      if (count > 1) return yield* new ScriptError({ fileName: self.fileName, reason: `EXECUTE IMMEDIATE … INTO: the query returned ${count} rows, at most one is allowed` })
      for (const [index, name] of step.into.entries()) {
        yield* self.session.run(`SET VARIABLE ${name} = (SELECT struct_extract_at(mdp_row, ${index + 1}) FROM ${table} AS mdp_row)`)
      }
      yield* self.session.run(`DROP TABLE ${table}`)
      return NORMAL
    })
  }
}

