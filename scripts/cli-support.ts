/**
 * What every `mdp` subcommand shares: the repository's default paths, argument parsing with
 * helpful errors, and turning any failure into one sentence and a hint instead of a stack trace.
 */
import { writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { parseArgs, type ParseArgsConfig } from "node:util"
// Subpaths, not the package index: the index loads HTTP, sockets and undici too (0.36 s of every command).
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Clock, Effect, Exit, FileSystem, Schema } from "effect"
import { repositoryRoot } from "../app/paths.ts"
import { redactSecrets } from "../ingestion/core/redact.ts"
import { didYouMean } from "../runner/suggest.ts"
import { withTranslationCache } from "../runner/translation-cache.ts"

export { repositoryRoot }

export const defaults = {
  projectDir: repositoryRoot,
  warehouse: path.join(repositoryRoot, "data", "warehouse.duckdb"),
  modelTestsDir: path.join(repositoryRoot, "test", "models")
} as const

/** Transform run summaries live beside the warehouse they describe (data/runs by default). */
export const runsDirFor = (warehouseFile: string): string => path.join(path.dirname(path.resolve(warehouseFile)), "runs")

/** EXPORT DATA's files land beside the warehouse too (data/exports by default), at <bucket>/<path>. */
export const exportsDirFor = (warehouseFile: string): string => path.join(path.dirname(path.resolve(warehouseFile)), "exports")

/** A mistake in how the command was called; printed with a pointer to --help. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { reason: Schema.String }) {
  override get message(): string {
    return this.reason
  }
}

export type Options = NonNullable<ParseArgsConfig["options"]>

export const parse = <O extends Options>(args: ReadonlyArray<string>, options: O, allowPositionals = false) =>
  Effect.try({
    try: () => parseArgs({ args: [...args], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true }),
    catch: (error) => {
      const reason = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error)
      const unknown = /^Unknown option '(--[^']+)'/.exec(reason)?.[1]
      return new UsageError({ reason: unknown === undefined ? reason : `${reason}${didYouMean(unknown, [...Object.keys(options), "help"].map((name) => `--${name}`))}` })
    }
  })

/** `a,b --x c` style lists: repeated flags and commas both work. */
export const list = (value: string | ReadonlyArray<string> | boolean | undefined): ReadonlyArray<string> =>
  value === undefined || typeof value === "boolean"
    ? []
    : (typeof value === "string" ? [value] : value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "")

/** `--vars a=1,b=2`. */
export const parseVars = (value: string | undefined): Effect.Effect<Readonly<Record<string, string>> | undefined, UsageError> => {
  if (value === undefined) return Effect.succeed(undefined)
  const vars: Record<string, string> = {}
  for (const pair of list(value)) {
    const at = pair.indexOf("=")
    if (at <= 0) return Effect.fail(new UsageError({ reason: `--vars takes key=value pairs separated by commas; "${pair}" has no "="` }))
    vars[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return Effect.succeed(vars)
}

export const positiveInteger = (value: string | undefined, flag: string, fallback: number): Effect.Effect<number, UsageError> => {
  if (value === undefined) return Effect.succeed(fallback)
  const parsed = Number(value)
  return Number.isInteger(parsed) && parsed >= 1
    ? Effect.succeed(parsed)
    : Effect.fail(new UsageError({ reason: `${flag} takes a whole number of at least 1, not "${value}"` }))
}

const hints: Readonly<Record<string, string>> = {
  UsageError: "Add --help to see the options.",
  ReadOnlyQueryError: "Add --write to change the warehouse on purpose.",
  WriterLockError: "One run writes a warehouse or raw zone at a time; `mdp status` shows the latest runs.",
  GraphError: "Fix the listed files; nothing was run.",
  SelectionError: "`mdp compile` lists every action with its tags; an action is named `name` or `schema.name`.",
  ModelTestSpecError: "Fix the YAML spec named above (see docs/architecture.md, model tests).",
  ConfigError: "Compare with config/settings.example.yaml; secrets go in the environment (docs/pipelines.md).",
  IngestRequestError: "Run \"mdp ingest --help\" for the options.",
  SourceError: "See docs/pipelines.md, \"When a source fails\".",
  BigQueryLoadError: "Check the raw dataset and the service account's roles (docs/deployment.md).",
  CloudRunError: "Check the Dataform repository and its release settings (docs/deployment.md)."
}

const describeFailure = (cause: Cause.Cause<unknown>): { readonly message: string; readonly hint?: string } => {
  const failure = Cause.squash(cause)
  if (typeof failure === "object" && failure !== null && "_tag" in failure && typeof failure._tag === "string") {
    const message = "message" in failure && typeof failure.message === "string" ? failure.message : failure._tag
    // An error that knows its fix carries it (or, by carrying none, says the message is the fix).
    const hint = "hint" in failure ? (typeof failure.hint === "string" ? failure.hint : undefined) : hints[failure._tag]
    return hint === undefined ? { message } : { message, hint }
  }
  return { message: failure instanceof Error ? failure.message : String(failure) }
}

/**
 * The instant MDP_NOW names (`YYYY-MM-DD`, read as noon UTC, or an ISO timestamp), if set. Every
 * date a command derives (default windows, the sample's data, freshness's as_of) comes from the
 * Effect Clock, so this one variable runs the whole product as of another day.
 */
export const pinnedNow = (value: string | undefined = process.env["MDP_NOW"]): Effect.Effect<number | undefined, UsageError> => {
  if (value === undefined || value.trim() === "") return Effect.succeed(undefined)
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T12:00:00Z` : value.trim()
  const ms = Date.parse(text)
  return Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)
    ? Effect.fail(new UsageError({ reason: `MDP_NOW must be a date (YYYY-MM-DD) or an ISO timestamp, not "${value}"` }))
    : Effect.succeed(ms)
}

/** A clock that reads `startMs` now and runs on from there; sleeps and elapsed time stay real. */
export const clockStartingAt = (base: Clock.Clock, startMs: number): Clock.Clock => {
  const offset = startMs - base.currentTimeMillisUnsafe()
  const offsetNanos = BigInt(Math.round(offset)) * 1_000_000n
  return {
    currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + offset,
    currentTimeMillis: Effect.sync(() => base.currentTimeMillisUnsafe() + offset),
    currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + offsetNanos,
    currentTimeNanos: Effect.sync(() => base.currentTimeNanosUnsafe() + offsetNanos),
    monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: base.monotonicTimeNanos,
    sleep: (duration) => base.sleep(duration)
  }
}

/** Runs `program` on the command clock: the system's, or MDP_NOW's. */
export const onCommandClock = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | UsageError, R> =>
  Effect.gen(function* () {
    const pinned = yield* pinnedNow()
    if (pinned === undefined) return yield* program
    const base = yield* Clock.Clock
    return yield* program.pipe(Effect.provideService(Clock.Clock, clockStartingAt(base, pinned)))
  })

/** The command clock's reading, for a script's module-level constants (a bad MDP_NOW fails in runCommand). */
export const commandNowMs = (): number =>
  Effect.runSync(onCommandClock(Clock.currentTimeMillis).pipe(Effect.orElseSucceed(() => Date.now())))

/** Today's date (UTC) on the Effect clock: what freshness is measured against (the as_of var). */
export const clockDate: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString().slice(0, 10))

/**
 * The --warehouse flag, when given: its folder must exist, so that a mistyped path fails instead of
 * creating folders and an empty warehouse. (The default's and the settings' folders are created.)
 */
export const warehouseFlag = (value: string | undefined): Effect.Effect<string | undefined, UsageError, FileSystem.FileSystem> =>
  value === undefined
    ? Effect.succeed(undefined)
    : Effect.gen(function* () {
        const folder = path.dirname(path.resolve(value))
        const fs = yield* FileSystem.FileSystem
        if (!(yield* fs.exists(folder).pipe(Effect.orElseSucceed(() => false)))) {
          return yield* new UsageError({ reason: `--warehouse ${value}: the folder ${folder} does not exist (create it first, or check the path)` })
        }
        return value
      })

/** The exit code of a command interrupted by Ctrl-C or SIGTERM, as shells report a SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130

/**
 * Runs a command's program as the process's main fiber, on the Node file system, and exits with
 * the code it returns. Expected failures print as one sentence and a hint. Ctrl-C or SIGTERM
 * interrupt it: its finalizers run (locks released, unfinished files removed, the running DuckDB
 * query interrupted and its transaction rolled back) before the process exits with 130.
 */
export const runCommand = (program: Effect.Effect<number, unknown, FileSystem.FileSystem>): void =>
  NodeRuntime.runMain(onCommandClock(withTranslationCache(program)).pipe(Effect.provide(NodeFileSystem.layer)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
      if (Cause.hasInterruptsOnly(exit.cause)) {
        process.stderr.write("error: interrupted; what this run had not finished was rolled back, and a re-run starts from there\n")
        return onExit(INTERRUPTED_EXIT_CODE)
      }
      const { message, hint } = describeFailure(exit.cause)
      process.stderr.write(`error: ${redactSecrets(message)}\n${hint === undefined ? "" : `hint: ${hint}\n`}`)
      onExit(1)
    }
  })

export const formatDuration = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`)

/** A plain text table, for the terminal. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/** The machine a benchmark ran on, as its JSON records it: all its cores, whatever the process may use. */
export const benchMachine = () => ({
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memory_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`
})

/** The cores this process may use (fewer than the machine's when held to some with `taskset`), for a figure's label. */
export const usableCores = (): string => {
  const cores = os.availableParallelism()
  return cores === 1 ? "1 core" : `${cores} cores`
}

/** The line under a benchmark's table that names the machine it ran on. */
export const machineLine = (machine: ReturnType<typeof benchMachine>): string =>
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GB, Node ${machine.node}`

/** A benchmark's figures as a table with the machine under it; its result saved as JSON in `file`. */
export const reportBench = (figures: ReadonlyArray<ReadonlyArray<string>>, result: { readonly machine: ReturnType<typeof benchMachine> }, file: string): void => {
  console.log(`\n${table(["figure", "measured"], figures)}\n\n${machineLine(result.machine)}`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`Saved ${path.relative(process.cwd(), file)}`)
}
