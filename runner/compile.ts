/**
 * Compiles a Dataform project with the stock `@dataform/cli`'s compiler, which loads the project's
 * own pinned `@dataform/core`: exactly what GCP Dataform compiles, with the same `--vars`, schema
 * suffix, table prefix and default database overrides as `dataform run`. The CLI's own compile
 * worker runs in a child process of ours (`compile-worker.ts`). A project that pins
 * `dataformCoreVersion` compiles as the CLI would compile it (a copy of the project beside that
 * core), with the core installed once into a cache folder (`pinnedCoreFolder`) instead of on every
 * compile; one that uses an `extension` goes through `dataform compile --json` itself.
 * The compiled graph is cached by content hash (see `compileCacheKey`), so an unchanged project
 * compiles once. It does not install the project's packages; `npm install` does that.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import path from "node:path"
import { Effect, FileSystem, Option, Schema } from "effect"
import type { PlatformError } from "effect/PlatformError"
import { parse as parseYaml } from "yaml"
import { compileCore2, compileInWorker } from "./compile-worker.ts"
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

  /** A file to fix, when the compiler named one; otherwise the reason says what to do. */
  get hint(): string | undefined {
    if (/Cannot find module '@dataform\/core'/.test(this.reason)) return "Run `npm install` in the project folder: Dataform compiles with the @dataform/core in its node_modules."
    return /\.(sqlx|js)\b/.test(this.reason) ? "Fix the file named above; `npm run compile` compiles again without running anything." : undefined
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

/**
 * The CLI's (or npm's) message as a reader wants it: without ANSI colour codes, stack frames (a
 * failed `npm i` of a pinned dataformCoreVersion prints its child process's and npm's own) or a
 * line repeated.
 */
export const cliMessage = (text: string): string => {
  const lines = text.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((line) => line.trimEnd())
  const kept = lines.filter((line, i) => !/^(npm error)?\s+at \S/.test(line) && !(line !== "" && lines.indexOf(line) < i) && !(line.startsWith("Error: ") && lines.slice(0, i).some((earlier) => earlier.endsWith(line.slice("Error: ".length)))))
  return kept.join("\n").replace(/\n{3,}/g, "\n\n").trim()
}

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
        const reason = cliMessage(stderr) || cliMessage(stdout) || (error?.message ?? "the compiler printed nothing")
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

// Directory entries in name order (code points, not the locale's), so the key is the same everywhere.
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const projectSourceFiles = (fs: FileSystem.FileSystem, projectDir: string) => {
  const walk = (relative: string): Effect.Effect<ReadonlyArray<string>, PlatformError> =>
    Effect.gen(function* () {
      const names = [...(yield* fs.readDirectory(path.join(projectDir, relative)))].sort(byName)
      const files: Array<string> = []
      for (const name of names) {
        if (name.startsWith(".")) continue
        const child = relative === "" ? name : `${relative}/${name}`
        const info = yield* fs.stat(path.join(projectDir, child))
        if (info.type === "Directory") {
          if (!(relative === "" && SKIPPED_FOLDERS.has(name))) files.push(...(yield* walk(child)))
        } else if (info.type === "File" && (SOURCE_EXTENSIONS.has(path.extname(name)) || child.startsWith("definitions/") || child.startsWith("includes/"))) {
          files.push(child)
        }
      }
      return files
    })
  return walk("")
}

const OWN_COMPILE_FILES = ["compile.ts", "compile-worker.ts", "core2-compile-worker.ts", "core-protos.ts"]

const coreMajor = (version: string): number => Number(/^(\d+)\./.exec(version)?.[1] ?? "3")

/**
 * Whether the stock CLI's compile worker refuses a 3.x core as older than its own major.minor.0:
 * a 3.0.0 prerelease (`3.0.0-beta.4`, which Google's GA4 Dataform template pins) counts below 3.0.0
 * in semver. GCP Dataform compiles such a project with that core; so does the runner, in the same
 * worker without that check (`skipVersionCheck`).
 */
export const cliRefusesCore = (version: string, cliVersion: string): boolean => {
  const parse = (text: string) => /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?/.exec(text.trim())
  const core = parse(version)
  const cli = parse(cliVersion)
  if (core === null || cli === null || core[1] !== cli[1] || Number(core[1]) < 3) return false
  if (Number(core[2]) !== Number(cli[2])) return Number(core[2]) < Number(cli[2])
  return Number(core[3]) === 0 && core[4] !== undefined
}

// This package's own @dataform/core: its folder, and its version.
const ownCoreModules = (): string => path.dirname(createRequire(import.meta.url).resolve("@dataform/core/package.json"))
const ownCoreVersion = (): string => (createRequire(import.meta.url)("@dataform/core/package.json") as { version?: string }).version ?? "0"

const cliVersion = (): string => {
  try {
    return (createRequire(import.meta.url)("@dataform/cli/package.json") as { version?: string }).version ?? "0.0.0"
  } catch {
    return "0.0.0"
  }
}

const packageVersion = (fs: FileSystem.FileSystem, packageJson: string) =>
  fs.readFileString(packageJson).pipe(
    Effect.map((text) => (JSON.parse(text) as { version?: string }).version ?? "?"),
    Effect.orElseSucceed(() => "?")
  )

/**
 * The compiled graph's cache key: the CLI and core versions, the compile options, and every
 * source file's path and content. Paths are relative, so identical projects in different
 * folders share an entry (the graph holds no absolute path).
 */
export const compileCacheKey = Effect.fn("Runner.compileCacheKey")(function* (projectDir: string, options: CompileOptions) {
  const fs = yield* FileSystem.FileSystem
  const digest = createHash("sha256")
  const cliVersion = yield* packageVersion(fs, createRequire(import.meta.url).resolve("@dataform/cli/package.json"))
  const coreVersion = yield* packageVersion(fs, path.join(projectDir, "node_modules", "@dataform", "core", "package.json"))
  digest.update(`cli ${cliVersion}\0core ${coreVersion}\0`)
  // Our own compile path is part of what wrote the graph: a change to it must not serve old graphs.
  for (const file of OWN_COMPILE_FILES) digest.update(yield* fs.readFile(path.join(import.meta.dirname, file)).pipe(Effect.orElseSucceed(() => new Uint8Array())))
  digest.update(JSON.stringify(compileArguments({ ...options, projectDir: "." })))
  for (const file of yield* projectSourceFiles(fs, projectDir)) {
    digest.update(`\0${file}\0`)
    digest.update(yield* fs.readFile(path.join(projectDir, file)))
  }
  return digest.digest("hex")
})

/**
 * Where compiled graphs are kept: $MDP_COMPILE_CACHE, else the project's node_modules/.cache, else
 * (a project that pins dataformCoreVersion has no node_modules, and the CLI refuses one that
 * appears) the user's cache folder.
 */
export const compileCacheFolder = (projectDir: string, hasNodeModules: boolean): string =>
  process.env["MDP_COMPILE_CACHE"] ||
  (hasNodeModules
    ? path.join(projectDir, "node_modules", ".cache", "mdp-compile")
    : path.join(process.env["XDG_CACHE_HOME"] || path.join(homedir(), ".cache"), "mdp", "compile"))

const CACHE_ENTRIES_KEPT = 64

// Written to a temporary name and renamed, so a concurrent reader never sees half a graph; a
// cache that cannot be written only costs the next compile.
const writeCached = (fs: FileSystem.FileSystem, folder: string, key: string, json: string) =>
  Effect.gen(function* () {
    yield* fs.makeDirectory(folder, { recursive: true })
    const temporary = path.join(folder, `.${key}.${process.pid}.tmp`)
    yield* fs.writeFileString(temporary, json)
    yield* fs.rename(temporary, path.join(folder, `${key}.json`))
    const entries = (yield* fs.readDirectory(folder)).filter((name) => name.endsWith(".json"))
    if (entries.length > CACHE_ENTRIES_KEPT) {
      const byAge = yield* Effect.forEach(entries, (name) =>
        fs.stat(path.join(folder, name)).pipe(Effect.map((info) => ({ name, mtime: Option.getOrUndefined(info.mtime)?.getTime() ?? 0 })))
      )
      const oldest = [...byAge].sort((a, b) => a.mtime - b.mtime).slice(0, entries.length - CACHE_ENTRIES_KEPT)
      yield* Effect.forEach(oldest, ({ name }) => fs.remove(path.join(folder, name), { force: true }))
    }
    // The cache is an optimisation; the compile itself succeeded.
  }).pipe(Effect.ignore)

/** What workflow_settings.yaml pins: a core version, an extension (the CLI wires its code itself). */
const pinnedSettings = (fs: FileSystem.FileSystem, projectDir: string): Effect.Effect<{ readonly coreVersion?: string; readonly extension: boolean }, CompileError> =>
  Effect.gen(function* () {
    const file = path.join(projectDir, "workflow_settings.yaml")
    if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))) return { extension: false }
    const text = yield* fs.readFileString(file).pipe(Effect.mapError((cause) => new CompileError({ projectDir, reason: `workflow_settings.yaml cannot be read: ${cause.message}` })))
    const settings = yield* Effect.try({
      try: () => parseYaml(text) as Record<string, unknown> | null,
      catch: (cause) => new CompileError({ projectDir, reason: `workflow_settings.yaml is not valid YAML: ${String(cause)}` })
    })
    if (settings === null || typeof settings !== "object") return { extension: false }
    const version = settings["dataformCoreVersion"]
    return { extension: settings["extension"] !== undefined, ...(version === undefined || version === null ? {} : { coreVersion: String(version) }) }
  })

/** The exact @dataform/core version of a package.json that declares no other dependency. */
const onlyDeclaredCore = (fs: FileSystem.FileSystem, projectDir: string): Effect.Effect<string | undefined> =>
  fs.readFileString(path.join(projectDir, "package.json")).pipe(
    Effect.flatMap((text) => Effect.try(() => JSON.parse(text) as { readonly dependencies?: Record<string, unknown> } | null)),
    Effect.map((manifest) => {
      const dependencies = Object.entries(manifest?.dependencies ?? {})
      const [name, version] = dependencies[0] ?? []
      return dependencies.length === 1 && name === "@dataform/core" && typeof version === "string" && /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(version) ? version : undefined
    }),
    Effect.orElseSucceed(() => undefined)
  )

/** Where a project pins its core: workflow_settings.yaml's dataformCoreVersion, or its package.json without node_modules. */
type PinSource = "dataformCoreVersion" | "package.json"
const pinName = (source: PinSource, version: string): string => (source === "package.json" ? `@dataform/core ${version} in package.json` : `dataformCoreVersion ${version}`)

/** Where a pinned `dataformCoreVersion` is installed once: MDP_DATAFORM_CORE_CACHE, or the user's cache folder. */
export const pinnedCoreFolder = (version: string): string =>
  path.join(process.env["MDP_DATAFORM_CORE_CACHE"] || path.join(process.env["XDG_CACHE_HOME"] || path.join(homedir(), ".cache"), "mdp", "dataform-core"), version)

/**
 * The `node_modules` holding @dataform/core at a pinned version: from the cache, or installed
 * there by npm first (as the CLI installs it, in a folder of its own, renamed into place whole so
 * that two processes never see half an install).
 */
const installedPinnedCore = (projectDir: string, version: string, timeoutMs: number, source: PinSource): Effect.Effect<string, CompileError> =>
  Effect.gen(function* () {
    const folder = pinnedCoreFolder(version)
    const modules = path.join(folder, "node_modules")
    if (existsSync(path.join(modules, "@dataform", "core", "package.json"))) return modules
    if (!/^[0-9A-Za-z.+-]+$/.test(version)) return yield* new CompileError({ projectDir, reason: `workflow_settings.yaml pins dataformCoreVersion ${JSON.stringify(version)}, which is no version` })
    const staging = `${folder}.installing-${process.pid}-${Date.now()}`
    yield* Effect.try({
      try: () => {
        mkdirSync(staging, { recursive: true })
        writeFileSync(path.join(staging, "package.json"), JSON.stringify({ private: true, dependencies: { "@dataform/core": version } }))
      },
      catch: (cause) => new CompileError({ projectDir, reason: `could not prepare ${staging} to install the pinned ${pinName(source, version)}: ${String(cause)}` })
    })
    yield* Effect.callback<void, CompileError>((resume) => {
      const child = execFile("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: staging, timeout: timeoutMs }, (error, _stdout, stderr) => {
        if (error === null) return resume(Effect.void)
        rmSync(staging, { recursive: true, force: true })
        resume(
          Effect.fail(
            new CompileError({
              projectDir,
              reason: `the project pins ${pinName(source, version)}, which npm could not install into ${folder} (once, then every compile reads it there): ${cliMessage(stderr) || error.message}`
            })
          )
        )
      })
      return Effect.sync(() => child.kill())
    })
    try {
      renameSync(staging, folder)
    } catch {
      // Another process installed it meanwhile: theirs is used, this one dropped.
      rmSync(staging, { recursive: true, force: true })
    }
    return modules
  })

// Local state and dependencies stay behind when the project is copied beside a pinned core.
const NOT_COPIED = new Set(["node_modules", ".git", "data"])

/**
 * A project pinning its core version, compiled as the CLI compiles it: a copy beside that core,
 * installed once into a cache, or the project's own committed node_modules when it holds that very
 * version (Google's GA4 Dataform template commits it), which needs no npm.
 */
const compilePinned = (options: CompileOptions & { readonly projectDir: string }, version: string, committedCore: string, source: PinSource) =>
  Effect.gen(function* () {
    const timeoutMs = options.timeoutMs ?? 120_000
    // A pinned version npm cannot install (offline, or missing from the registry it reads) compiles
    // with this package's own core when the majors match, as the stock CLI compiles any 3.x core
    // from its major.minor.0 on; compileProject says so.
    // The runner's own core, when it is the pinned version, needs no npm.
    const own = version === ownCoreVersion()
    const installed = committedCore === version ? path.join(options.projectDir, "node_modules") : own ? undefined : yield* installedPinnedCore(options.projectDir, version, timeoutMs, source).pipe(
      Effect.catch((error) => (coreMajor(version) === coreMajor(ownCoreVersion()) && coreMajor(version) >= 3 ? Effect.succeed(undefined) : Effect.fail(error)))
    )
    const modules = installed ?? ownCoreModules()
    const copyFailed = (cause: unknown) => new CompileError({ projectDir: options.projectDir, reason: `could not copy the project beside @dataform/core ${version}: ${String(cause)}` })
    return yield* Effect.acquireUseRelease(
      Effect.try({ try: () => mkdtempSync(path.join(tmpdir(), "mdp-pinned-core-")), catch: copyFailed }),
      (copy) =>
        Effect.gen(function* () {
          yield* Effect.try({
            try: () => {
              cpSync(options.projectDir, copy, { recursive: true, filter: (source) => !NOT_COPIED.has(path.relative(options.projectDir, source).split(path.sep)[0] ?? "") })
              cpSync(modules, path.join(copy, "node_modules", ...(installed === undefined ? ["@dataform", "core"] : [])), { recursive: true })
              // Core checks the settings' version against its own.
              const settings = path.join(copy, "workflow_settings.yaml")
              if (installed === undefined && existsSync(settings)) writeFileSync(settings, readFileSync(settings, "utf8").replace(/^dataformCoreVersion:.*$/m, ""))
            },
            catch: copyFailed
          })
          const json = yield* (coreMajor(version) < 3 ? compileCore2 : compileInWorker)({ ...options, projectDir: copy, timeoutMs, skipVersionCheck: cliRefusesCore(version, cliVersion()) }).pipe(
            Effect.mapError(({ reason }) => new CompileError({ projectDir: options.projectDir, reason }))
          )
          return { json, ...(installed === undefined && !own ? { coreNote: `the project pins @dataform/core ${version}, which npm could not install here; it compiled with ${ownCoreVersion()}, the runner's own` } : {}) }
        }),
      (copy) => Effect.sync(() => rmSync(copy, { recursive: true, force: true }))
    )
  })

export const compileProject = Effect.fn("Runner.compileProject")(function* (options: CompileOptions) {
  const fs = yield* FileSystem.FileSystem
  const projectDir = path.resolve(options.projectDir)
  const exists = (file: string) => fs.exists(path.join(projectDir, file)).pipe(Effect.orElseSucceed(() => false))
  if (!(yield* exists("workflow_settings.yaml")) && !(yield* exists("dataform.json"))) {
    return yield* new CompileError({ projectDir, reason: "no workflow_settings.yaml (is this a Dataform project?)" })
  }
  const pinned = yield* pinnedSettings(fs, projectDir)
  // An extension's code is wired by the CLI itself, as `dataform compile` does.
  const withCli = process.env["MDP_COMPILE_WITH_CLI"] === "1" || pinned.extension
  const pinnedCore = withCli ? undefined : pinned.coreVersion
  // As the CLI (and so Dataform) refuses a pinned version beside the project's own packages. A
  // node_modules folder committed beside it (Google's GA4 Dataform template) is left out of the
  // copy the pinned core compiles, as GCP Dataform installs its own.
  for (const file of pinnedCore === undefined ? [] : ["package.json", "package-lock.json"]) {
    if (yield* exists(file)) {
      return yield* new CompileError({ projectDir, reason: `workflow_settings.yaml pins dataformCoreVersion ${pinnedCore}, and '${path.join(projectDir, file)}' is unexpected beside it (Dataform refuses both); remove one` })
    }
  }
  // A package.json whose only dependency is @dataform/core at one version, not installed: compiled
  // as a pinned project (that core from the cache, installed there once), as GCP Dataform installs
  // package.json's dependencies itself. Other dependencies need the project's own `npm install`.
  const declaredCore = withCli || pinnedCore !== undefined || (yield* exists("node_modules/@dataform/core")) ? undefined : yield* onlyDeclaredCore(fs, projectDir)
  if (!withCli && pinnedCore === undefined && declaredCore === undefined && !(yield* exists("node_modules/@dataform/core"))) {
    return yield* new CompileError({ projectDir, reason: "@dataform/core is not installed; run `npm install` first" })
  }
  const key = yield* compileCacheKey(projectDir, options).pipe(
    Effect.mapError((cause) => new CompileError({ projectDir, reason: `could not read the project's files: ${cause.message}` }))
  )
  const folder = compileCacheFolder(projectDir, yield* exists("node_modules"))
  const cached = yield* fs.readFileString(path.join(folder, `${key}.json`)).pipe(Effect.option)
  if (cached._tag === "Some") {
    // An unreadable entry (a disk that filled mid-write elsewhere) is only a cache miss.
    const graph = yield* decodeGraph(projectDir, cached.value).pipe(Effect.option)
    if (graph._tag === "Some") return graph.value
  }
  const installedCore = withCli || pinnedCore !== undefined ? undefined : yield* packageVersion(fs, path.join(projectDir, "node_modules", "@dataform", "core", "package.json"))
  // Core 1.x speaks another protocol (no main(CoreExecutionRequest)).
  if (installedCore !== undefined && coreMajor(installedCore) < 2) {
    return yield* new CompileError({ projectDir, reason: `@dataform/core ${installedCore} is installed: the runner compiles projects on core 2.x and 3.x; upgrade the project's @dataform/core` })
  }
  const { json, coreNote } = withCli
    ? { json: yield* compileWithCli({ ...options, projectDir }), coreNote: undefined }
    : pinnedCore !== undefined
      ? yield* compilePinned({ ...options, projectDir }, pinnedCore, yield* packageVersion(fs, path.join(projectDir, "node_modules", "@dataform", "core", "package.json")), "dataformCoreVersion")
      : declaredCore !== undefined
      ? yield* compilePinned({ ...options, projectDir }, declaredCore, "", "package.json")
      : { json: yield* (coreMajor(installedCore ?? "") < 3 ? compileCore2 : compileInWorker)({
        ...options,
        projectDir,
        timeoutMs: options.timeoutMs ?? 120_000,
        skipVersionCheck: installedCore !== undefined && cliRefusesCore(installedCore, cliVersion())
      }).pipe(
        Effect.mapError(({ reason }) => new CompileError({ projectDir, reason }))
      ), coreNote: undefined }
  const graph = yield* decodeGraph(projectDir, json)
  // A graph from another core than the pinned one is not kept: once npm can install the pin, it compiles with it.
  if (coreNote !== undefined) return { ...graph, coreNote }
  yield* writeCached(fs, folder, key, json)
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
