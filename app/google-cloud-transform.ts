/**
 * Running the Dataform project on Google Cloud (the gcp target's orchestrator): a Dataform
 * workflow invocation mdp waits for, or the stock `dataform run` when the settings say
 * `run_with: cli`; with a dry run, BigQuery's own estimate of what each action would process.
 */
import { Effect } from "effect"
import { ConfigError } from "../ingestion/core/errors.ts"
import { compileProject, type CompileOptions } from "../runner/compile.ts"
import type { ActionCost } from "../runner/gcp.ts"
import { runnerClients } from "./google-cloud.ts"
import type { GcpTarget } from "./ingestion.ts"

export interface GoogleCloudTransformRequest {
  readonly compile: CompileOptions
  readonly tags: ReadonlyArray<string>
  readonly actions: ReadonlyArray<string>
  readonly fullRefresh: boolean
  readonly dryRun: boolean
  /** The workflow's state as it changes, for progress. */
  readonly onWorkflowState?: (state: string) => void
}

export type GoogleCloudTransformOutcome =
  | { readonly kind: "costs"; readonly costs: ReadonlyArray<ActionCost> }
  | { readonly kind: "dataform_cli"; readonly exitCode: number }
  | { readonly kind: "workflow"; readonly invocation: string; readonly state: string; readonly failedActions: ReadonlyArray<string> }

export const transformOnGoogleCloud = Effect.fn("App.transformOnGoogleCloud")(function* (gcp: GcpTarget, request: GoogleCloudTransformRequest) {
  // The Google Cloud clients load only for the gcp target.
  const { estimateCosts, runWorkflow, runWithDataformCli } = yield* Effect.promise(() => import("../runner/gcp.ts"))
  const clients = runnerClients(gcp)
  // compile.vars already holds the settings' model vars with --vars over them.
  const vars = request.compile.vars ?? {}
  const suffix = gcp.schemaSuffix === undefined ? {} : { schemaSuffix: gcp.schemaSuffix }
  if (request.dryRun) {
    const graph = yield* compileProject({ ...request.compile, vars, defaultDatabase: gcp.project, ...suffix })
    return { kind: "costs", costs: yield* estimateCosts(graph, gcp.location).pipe(Effect.provide(clients)) } satisfies GoogleCloudTransformOutcome
  }
  if (gcp.runWith === "cli") {
    const exitCode = yield* runWithDataformCli({
      projectDir: request.compile.projectDir,
      credentialsFile: gcp.dataformCredentials,
      vars,
      defaultDatabase: gcp.project,
      ...suffix,
      tags: request.tags,
      actions: request.actions,
      fullRefresh: request.fullRefresh
    })
    return { kind: "dataform_cli", exitCode } satisfies GoogleCloudTransformOutcome
  }
  if (gcp.repository === undefined) {
    return yield* new ConfigError({ key: "gcp.dataform_repository", reason: "set it to projects/<project>/locations/<location>/repositories/<name> to run on Google Cloud" })
  }
  const outcome = yield* runWorkflow({
    repository: gcp.repository,
    gitCommitish: gcp.gitCommitish,
    vars,
    ...suffix,
    tags: request.tags,
    actions: request.actions,
    fullRefresh: request.fullRefresh,
    ...(request.onWorkflowState === undefined ? {} : { onProgress: request.onWorkflowState })
  }).pipe(Effect.provide(clients))
  return { kind: "workflow", ...outcome } satisfies GoogleCloudTransformOutcome
})
