/**
 * Progress of a transform, as a service the command line provides (printing a line per action)
 * and everything else leaves silent: no callbacks threaded through options.
 */
import { Context, Effect } from "effect"
import type { ActionResult } from "./execute.ts"
import type { Action } from "./graph.ts"

export interface RunProgressReporter {
  readonly actionStarted: (action: Action) => Effect.Effect<void>
  readonly actionEnded: (result: ActionResult) => Effect.Effect<void>
}

export const RunProgress = Context.Reference<RunProgressReporter>("mdp/RunProgress", {
  defaultValue: () => ({ actionStarted: () => Effect.void, actionEnded: () => Effect.void })
})
