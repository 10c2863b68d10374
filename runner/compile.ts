/**
 * Compiles a Dataform project with the stock `@dataform/cli` (`dataform compile --json`), which
 * loads the project's own pinned `@dataform/core`: exactly what GCP Dataform compiles, with the
 * same `--vars`, schema suffix, table prefix and default database overrides as `dataform run`.
 * It does not install the project's packages; `npm install` does that.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { Effect, Schema } from "effect"
import { decodeCompiledGraph, toProjectGraph, type ProjectGraph } from "./graph.ts"

export interface CompileOptions {
  readonly projectDir: string
  readonly vars?: Readonly<Record<string, string>>
  readonly schemaSuffix?: string
  readonly tablePrefix?: string
  readonly defaultDatabase?: string
  readonly timeoutMs?: number
}

/** The project could not be compiled at all (as opposed to compiling with graph errors). */
export class CompileError extends Schema.TaggedError<CompileError>()("CompileError", {
  projectDir: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Could not compile the Dataform project in ${this.projectDir}: ${this.reason}`
  }
}

const cliBundle = (): string => createRequire(import.meta.url).resolve("@dataform/cli/bundle.js")

export const compileArguments = (options: CompileOptions): ReadonlyArray<string> => {
  const args = ["compile", options.projectDir, "--json"]
  const vars = Object.entries(options.vars ?? {})
  if (vars.length > 0) args.push(`--vars=${vars.map(([key, value]) => `${key}=${value}`).join(",")}`)
  if (options.schemaSuffix !== undefined) args.push(`--schema-suffix=${options.schemaSuffix}`)
  if (options.tablePrefix !== undefined) args.push(`--table-prefix=${options.tablePrefix}`)
  if (options.defaultDatabase !== undefined) args.push(`--default-database=${options.defaultDatabase}`)
  return args
}

/** The CLI prints the graph as pretty JSON, followed by a human report when there are errors. */
const extractJson = (stdout: string): string | undefined => {
  const start = stdout.indexOf("{")
  if (start < 0) return undefined
  const end = stdout.indexOf("\n}", start)
  return end < 0 ? undefined : stdout.slice(start, end + 2)
}

// ANSI colour codes from the CLI's own messages.
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "").trim()

const runCli = (options: CompileOptions): Effect.Effect<string, CompileError> =>
  Effect.callback<string, CompileError>((resume) => {
    const child = execFile(
      process.execPath,
      [cliBundle(), ...compileArguments(options)],
      { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, cwd: options.projectDir },
      (error, stdout, stderr) => {
        const json = extractJson(stdout)
        if (json !== undefined) return resume(Effect.succeed(json))
        const reason = plain(stderr) || plain(stdout) || (error?.message ?? "the compiler printed nothing")
        resume(Effect.fail(new CompileError({ projectDir: options.projectDir, reason })))
      }
    )
    return Effect.sync(() => child.kill())
  })

export const compileProject = Effect.fn("Runner.compileProject")(function* (options: CompileOptions) {
  const projectDir = path.resolve(options.projectDir)
  if (!existsSync(path.join(projectDir, "workflow_settings.yaml")) && !existsSync(path.join(projectDir, "dataform.json"))) {
    return yield* new CompileError({ projectDir, reason: "no workflow_settings.yaml (is this a Dataform project?)" })
  }
  if (!existsSync(path.join(projectDir, "node_modules", "@dataform", "core"))) {
    return yield* new CompileError({ projectDir, reason: "@dataform/core is not installed; run `npm install` first" })
  }
  const json = yield* runCli({ ...options, projectDir })
  const parsed = yield* Effect.try({
    try: () => JSON.parse(json) as unknown,
    catch: () => new CompileError({ projectDir, reason: "the compiler's output was not JSON" })
  })
  const compiled = yield* decodeCompiledGraph(parsed).pipe(
    Effect.mapError((error) => new CompileError({ projectDir, reason: `unexpected compiled graph: ${error.message}` }))
  )
  return toProjectGraph(compiled) satisfies ProjectGraph
})
