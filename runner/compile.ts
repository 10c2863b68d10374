/**
 * Compiles a Dataform project with the stock `@dataform/cli`'s compiler, which loads the project's
 * own pinned `@dataform/core`: exactly what GCP Dataform compiles, with the same `--vars`, schema
 * suffix, table prefix and default database overrides as `dataform run`. The CLI's own compile
 * worker runs in a child process of ours (`compile-worker.ts`); a project that pins
 * `dataformCoreVersion` or uses an `extension` goes through `dataform compile --json` itself.
 * The compiled graph is cached by content hash (see `compileCacheKey`), so an unchanged project
 * compiles once. It does not install the project's packages; `npm install` does that.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { Effect, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { compileInWorker } from "./compile-worker.ts"
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

/**
 * With --json the CLI's stdout is the graph and nothing else (its errors go to stderr, after an
 * empty line on stdout): whole, or not the graph.
 */
const graphOf = (stdout: string): string | undefined => {
  const text = stdout.trim()
  if (!text.startsWith("{")) return undefined
  try {
    JSON.parse(text)
    return text
  } catch {
    return undefined
  }
}

// ANSI colour codes from the CLI's own messages.
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "").trim()

/** `dataform compile --json` in a child process: the graph's JSON, or the CLI's own message. */
export const compileWithCli = (options: CompileOptions): Effect.Effect<string, CompileError> =>
  Effect.callback<string, CompileError>((resume) => {
    const child = execFile(
      process.execPath,
      [cliBundle(), ...compileArguments(options)],
      { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, cwd: options.projectDir },
      (error, stdout, stderr) => {
        const json = graphOf(stdout)
        if (json !== undefined) return resume(Effect.succeed(json))
        const reason = plain(stderr) || plain(stdout) || (error?.message ?? "the compiler printed nothing")
        resume(Effect.fail(new CompileError({ projectDir: options.projectDir, reason })))
      }
    )
    return Effect.sync(() => child.kill())
  })

// What a compile can read: Dataform runs definitions/ and includes/ and whatever they require()
// (any .js/.json/.sqlx/.sql/.yaml in the project). Local state (data/), dependencies and dot
// folders are not sources; their churn (run summaries, warehouse files) must not miss the cache.
const SOURCE_EXTENSIONS = new Set([".js", ".cjs", ".json", ".sqlx", ".sql", ".yaml", ".yml", ".ipynb"])
const SKIPPED_FOLDERS = new Set(["node_modules", "data"])

const projectSourceFiles = (projectDir: string): ReadonlyArray<string> => {
  const files: Array<string> = []
  const walk = (relative: string) => {
    const entries = readdirSync(path.join(projectDir, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) {
        if (!(relative === "" && SKIPPED_FOLDERS.has(entry.name))) walk(child)
      } else if (entry.isFile() && (SOURCE_EXTENSIONS.has(path.extname(entry.name)) || child.startsWith("definitions/") || child.startsWith("includes/"))) {
        files.push(child)
      }
    }
  }
  walk("")
  return files
}

const packageVersion = (projectDir: string, name: string): string => {
  try {
    return (JSON.parse(readFileSync(path.join(projectDir, "node_modules", name, "package.json"), "utf8")) as { version?: string }).version ?? "?"
  } catch {
    return "?"
  }
}

/**
 * The compiled graph's cache key: the CLI and core versions, the compile options, and every
 * source file's path and content. Paths are relative, so identical projects in different
 * folders share an entry (the graph holds no absolute path).
 */
export const compileCacheKey = (projectDir: string, options: CompileOptions): string => {
  const digest = createHash("sha256")
  const cliVersion = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@dataform/cli/package.json"), "utf8")) as { version?: string }).version ?? "?"
  digest.update(`cli ${cliVersion}\0core ${packageVersion(projectDir, "@dataform/core")}\0`)
  digest.update(JSON.stringify(compileArguments({ ...options, projectDir: "." })))
  for (const file of projectSourceFiles(projectDir)) {
    digest.update(`\0${file}\0`)
    digest.update(readFileSync(path.join(projectDir, file)))
  }
  return digest.digest("hex")
}

/** Where compiled graphs are kept: $MDP_COMPILE_CACHE, else the project's node_modules/.cache. */
export const compileCacheFolder = (projectDir: string): string =>
  process.env["MDP_COMPILE_CACHE"] || path.join(projectDir, "node_modules", ".cache", "mdp-compile")

const CACHE_ENTRIES_KEPT = 64

const readCached = (folder: string, key: string): string | undefined => {
  try {
    return readFileSync(path.join(folder, `${key}.json`), "utf8")
  } catch {
    return undefined
  }
}

// Written to a temporary name and renamed, so a concurrent reader never sees half a graph; a
// cache that cannot be written only costs the next compile.
const writeCached = (folder: string, key: string, json: string): void => {
  try {
    mkdirSync(folder, { recursive: true })
    const temporary = path.join(folder, `.${key}.${process.pid}.tmp`)
    writeFileSync(temporary, json)
    renameSync(temporary, path.join(folder, `${key}.json`))
    const entries = readdirSync(folder).filter((name) => name.endsWith(".json"))
    if (entries.length > CACHE_ENTRIES_KEPT) {
      const byAge = entries.map((name) => ({ name, mtime: statSync(path.join(folder, name)).mtimeMs })).sort((a, b) => a.mtime - b.mtime)
      for (const { name } of byAge.slice(0, entries.length - CACHE_ENTRIES_KEPT)) rmSync(path.join(folder, name), { force: true })
    }
  } catch {
    // The cache is an optimisation; the compile itself succeeded.
  }
}

// The CLI installs a pinned dataformCoreVersion in a temporary copy and wires an extension's
// code itself; the warm worker does neither, so those projects compile through the CLI.
const needsCli = (projectDir: string): Effect.Effect<boolean, CompileError> =>
  Effect.try({
    try: () => {
      const file = path.join(projectDir, "workflow_settings.yaml")
      if (!existsSync(file)) return false
      const settings = parseYaml(readFileSync(file, "utf8")) as Record<string, unknown> | null
      return settings !== null && typeof settings === "object" && (settings["dataformCoreVersion"] !== undefined || settings["extension"] !== undefined)
    },
    catch: (cause) => new CompileError({ projectDir, reason: `workflow_settings.yaml is not valid YAML: ${String(cause)}` })
  })

export const compileProject = Effect.fn("Runner.compileProject")(function* (options: CompileOptions) {
  const projectDir = path.resolve(options.projectDir)
  if (!existsSync(path.join(projectDir, "workflow_settings.yaml")) && !existsSync(path.join(projectDir, "dataform.json"))) {
    return yield* new CompileError({ projectDir, reason: "no workflow_settings.yaml (is this a Dataform project?)" })
  }
  if (!existsSync(path.join(projectDir, "node_modules", "@dataform", "core"))) {
    return yield* new CompileError({ projectDir, reason: "@dataform/core is not installed; run `npm install` first" })
  }
  const key = yield* Effect.try({
    try: () => compileCacheKey(projectDir, options),
    catch: (cause) => new CompileError({ projectDir, reason: `could not read the project's files: ${String(cause)}` })
  })
  const folder = compileCacheFolder(projectDir)
  const cached = yield* Effect.sync(() => readCached(folder, key))
  if (cached !== undefined) {
    // An unreadable entry (a disk that filled mid-write elsewhere) is only a cache miss.
    const graph = yield* decodeGraph(projectDir, cached).pipe(Effect.option)
    if (graph._tag === "Some") return graph.value
  }
  const json = (process.env["MDP_COMPILE_WITH_CLI"] === "1" || (yield* needsCli(projectDir)))
    ? yield* compileWithCli({ ...options, projectDir })
    : yield* compileInWorker({ ...options, projectDir, timeoutMs: options.timeoutMs ?? 120_000 }).pipe(
        Effect.mapError(({ reason }) => new CompileError({ projectDir, reason }))
      )
  const graph = yield* decodeGraph(projectDir, json)
  yield* Effect.sync(() => writeCached(folder, key, json))
  return graph
})

const decodeGraph = (projectDir: string, json: string): Effect.Effect<ProjectGraph, CompileError> =>
  Effect.gen(function* () {
    const parsed = yield* Effect.try({
      try: () => JSON.parse(json) as unknown,
      catch: () => new CompileError({ projectDir, reason: "the compiler's output was not JSON" })
    })
    const compiled = yield* decodeCompiledGraph(parsed).pipe(
      Effect.mapError((error) => new CompileError({ projectDir, reason: `unexpected compiled graph: ${error.message}` }))
    )
    return toProjectGraph(compiled) satisfies ProjectGraph
  })
