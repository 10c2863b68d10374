/**
 * The project on Google Cloud, where Dataform itself executes it: trigger a run (a compilation
 * result from a git branch or workspace, then a workflow invocation) and wait for its outcome; and
 * a cost guard that asks BigQuery, with dry-run jobs, how many bytes each action would process.
 * Uses `@google-cloud/dataform` (REST transport) and `@google-cloud/bigquery`.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import type { BigQuery } from "@google-cloud/bigquery"
import type { v1 } from "@google-cloud/dataform"
import { Context, Duration, Effect, Schedule, Schema } from "effect"
import type { ProjectGraph } from "./graph.ts"
import { targetLabel } from "./target.ts"

/** The Dataform API client (REST transport), provided by the composition root or a test. */
export class DataformApi extends Context.Service<DataformApi, v1.DataformClient>()("mdp/runner/DataformApi") {}

/** The BigQuery client the cost guard's dry runs go through. */
export class BigQueryJobs extends Context.Service<BigQueryJobs, BigQuery>()("mdp/runner/BigQueryJobs") {}

// The first line of a Google Cloud client's error. The command line redacts every message it
// prints (scripts/cli-support.ts), so secrets an error might echo never reach the terminal.
const describeCause = (cause: unknown): string => {
  const text = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? ""
  return text.length > 300 ? `${text.slice(0, 297)}…` : text
}

/** A Google Cloud call of the runner failed, or the workflow did not succeed. */
export class CloudRunError extends Schema.TaggedError<CloudRunError>()("CloudRunError", {
  step: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Dataform on Google Cloud, ${this.step}: ${this.reason}`
  }
}


export interface WorkflowRequest {
  /** `projects/<p>/locations/<l>/repositories/<r>` */
  readonly repository: string
  /** A branch, tag or commit of the repository's git remote; or a workspace path instead. */
  readonly gitCommitish?: string
  readonly workspace?: string
  readonly vars?: Readonly<Record<string, string>>
  readonly schemaSuffix?: string
  readonly tags?: ReadonlyArray<string>
  readonly actions?: ReadonlyArray<string>
  readonly fullRefresh?: boolean
  readonly pollInterval?: Duration.Input
  readonly onProgress?: (state: string) => void
}

export interface WorkflowOutcome {
  readonly compilationResult: string
  readonly invocation: string
  readonly state: string
  readonly failedActions: ReadonlyArray<string>
}

// The REST transport may hand enums back as numbers or as names.
const invocationStates: Readonly<Record<string, string>> = { "0": "STATE_UNSPECIFIED", "1": "RUNNING", "2": "SUCCEEDED", "3": "CANCELLED", "4": "FAILED", "5": "CANCELING" }
const actionStates: Readonly<Record<string, string>> = { "0": "PENDING", "1": "RUNNING", "2": "SKIPPED", "3": "DISABLED", "4": "SUCCEEDED", "5": "CANCELLED", "6": "FAILED" }
const stateName = (value: unknown, names: Readonly<Record<string, string>>): string => names[String(value)] ?? String(value)

/** Polls in a row that may fail for a passing reason before the wait gives up. */
export const MAX_FAILED_POLLS = 5
// HTTP statuses (the REST transport's) and gRPC codes (DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
// INTERNAL, UNAVAILABLE) a later poll may not meet; or a network error (ECONNRESET, …).
const PASSING_CODES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504, 4, 8, 13, 14])
const isPassingFailure = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return typeof code === "number" ? PASSING_CODES.has(code) : typeof code === "string" && /^E[A-Z]+$/.test(code)
}

export const runWorkflow = Effect.fn("Runner.runWorkflow")(function* (request: WorkflowRequest) {
  const client = yield* DataformApi
  const [compilation] = yield* Effect.tryPromise({
    try: () =>
      client.createCompilationResult({
        parent: request.repository,
        compilationResult: {
          ...(request.workspace === undefined ? { gitCommitish: request.gitCommitish ?? "main" } : { workspace: request.workspace }),
          codeCompilationConfig: {
            vars: { ...(request.vars ?? {}) },
            ...(request.schemaSuffix === undefined ? {} : { schemaSuffix: request.schemaSuffix })
          }
        }
      }),
    catch: (cause) => new CloudRunError({ step: "compilation", reason: describeCause(cause) })
  })
  const errors = compilation.compilationErrors ?? []
  if (errors.length > 0) {
    return yield* new CloudRunError({ step: "compilation", reason: errors.map((e) => `${e.path ?? "?"}: ${e.message ?? ""}`).join("; ") })
  }
  const [created] = yield* Effect.tryPromise({
    try: () =>
      client.createWorkflowInvocation({
        parent: request.repository,
        workflowInvocation: {
          compilationResult: compilation.name ?? "",
          invocationConfig: {
            ...(request.tags === undefined || request.tags.length === 0 ? {} : { includedTags: [...request.tags] }),
            ...(request.actions === undefined || request.actions.length === 0
              ? {}
              : { includedTargets: request.actions.map((name) => ({ name })), transitiveDependenciesIncluded: true }),
            fullyRefreshIncrementalTablesEnabled: request.fullRefresh === true
          }
        }
      }),
    catch: (cause) => new CloudRunError({ step: "workflow invocation", reason: describeCause(cause) })
  })
  const name = created.name ?? ""
  const pollInterval = request.pollInterval ?? "10 seconds"
  // The workflow runs on whether a poll gets through or not: a passing failure only delays the next.
  const poll = Effect.tryPromise({ try: () => client.getWorkflowInvocation({ name }), catch: (cause) => cause }).pipe(
    Effect.retry({ while: isPassingFailure, schedule: Schedule.spaced(pollInterval), times: MAX_FAILED_POLLS }),
    Effect.mapError((cause) => new CloudRunError({ step: `waiting for ${name} (it may still be running)`, reason: describeCause(cause) }))
  )
  let state = stateName(created.state, invocationStates)
  while (state === "RUNNING" || state === "CANCELING" || state === "STATE_UNSPECIFIED") {
    request.onProgress?.(state)
    yield* Effect.sleep(pollInterval)
    const [current] = yield* poll
    state = stateName(current.state, invocationStates)
  }
  const failedActions: Array<string> = []
  if (state !== "SUCCEEDED") {
    const [actions] = yield* Effect.tryPromise({
      try: () => client.queryWorkflowInvocationActions({ name }, { autoPaginate: true }),
      catch: (cause) => new CloudRunError({ step: "reading the failed actions", reason: describeCause(cause) })
    })
    for (const action of actions) {
      if (stateName(action.state, actionStates) === "FAILED") {
        failedActions.push(`${action.target?.schema ?? ""}.${action.target?.name ?? ""}: ${action.failureReason ?? "failed"}`)
      }
    }
  }
  return { compilationResult: compilation.name ?? "", invocation: name, state, failedActions } satisfies WorkflowOutcome
})

export interface ActionCost {
  readonly action: string
  readonly kind: string
  readonly bytes: number
}

/** BigQuery dry runs of every table, view, incremental (its full query) and assertion query. */
export const estimateCosts = Effect.fn("Runner.estimateCosts")(function* (graph: ProjectGraph, location: string) {
  const bigquery = yield* BigQueryJobs
  const costs: Array<ActionCost> = []
  for (const action of graph.actions) {
    if (action.disabled) continue
    const query = action.kind === "table" || action.kind === "view" || action.kind === "incremental" || action.kind === "assertion" ? action.query : undefined
    if (query === undefined) continue
    const [job] = yield* Effect.tryPromise({
      try: () => bigquery.createQueryJob({ query, dryRun: true, location, useLegacySql: false }),
      catch: (cause) => new CloudRunError({ step: `dry run of ${targetLabel(action.target)} (${action.fileName})`, reason: describeCause(cause) })
    })
    const statistics = (job.metadata as { statistics?: { totalBytesProcessed?: string } } | undefined)?.statistics
    costs.push({ action: targetLabel(action.target), kind: action.kind, bytes: Number(statistics?.totalBytesProcessed ?? 0) })
  }
  return costs
})

export interface CliRunRequest {
  readonly projectDir: string
  /** The `.df-credentials.json` that `dataform init-creds` writes (project and location). */
  readonly credentialsFile: string
  readonly vars?: Readonly<Record<string, string>>
  readonly schemaSuffix?: string
  readonly defaultDatabase?: string
  readonly tags?: ReadonlyArray<string>
  readonly actions?: ReadonlyArray<string>
  readonly fullRefresh?: boolean
}

/** Arguments of the stock `dataform run`, the alternative to a workflow invocation. */
export const dataformRunArguments = (request: CliRunRequest): ReadonlyArray<string> => {
  const args = ["run", request.projectDir, `--credentials=${request.credentialsFile}`]
  const vars = Object.entries(request.vars ?? {})
  if (vars.length > 0) args.push(`--vars=${vars.map(([key, value]) => `${key}=${value}`).join(",")}`)
  if (request.schemaSuffix !== undefined) args.push(`--schema-suffix=${request.schemaSuffix}`)
  if (request.defaultDatabase !== undefined) args.push(`--default-database=${request.defaultDatabase}`)
  for (const tag of request.tags ?? []) args.push(`--tags=${tag}`)
  for (const action of request.actions ?? []) args.push(`--actions=${action}`)
  if ((request.actions ?? []).length > 0) args.push("--include-deps")
  if (request.fullRefresh === true) args.push("--full-refresh")
  return args
}

/** Runs the project on BigQuery with the stock Dataform CLI from this machine; its output streams through. */
export const runWithDataformCli = Effect.fn("Gcp.runWithDataformCli")(function* (request: CliRunRequest) {
  if (!existsSync(request.credentialsFile)) {
    return yield* new CloudRunError({ step: "dataform run", reason: `no credentials file at ${request.credentialsFile}; create it with \`npx dataform init-creds\`` })
  }
  const cli = createRequire(import.meta.url).resolve("@dataform/cli/bundle.js")
  return yield* Effect.callback<number, CloudRunError>((resume) => {
    const child = spawn(process.execPath, [cli, ...dataformRunArguments(request)], { stdio: "inherit" })
    child.on("error", (cause) => resume(Effect.fail(new CloudRunError({ step: "dataform run", reason: describeCause(cause) }))))
    child.on("exit", (code) => resume(Effect.succeed(code ?? 1)))
    return Effect.sync(() => void child.kill())
  })
})
