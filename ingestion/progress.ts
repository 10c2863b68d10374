/**
 * Progress of an ingestion run, as a service the command line provides (printing a line per
 * account) and everything else leaves silent: no callbacks threaded through options.
 */
import { Context, Effect } from "effect"
import type { AccountInfo, DateWindow } from "./core/model.ts"
import type { AccountOutcome } from "./raw-zone.ts"

export interface IngestProgressReporter {
  readonly accountStarted: (source: string, account: AccountInfo, window: DateWindow) => Effect.Effect<void>
  readonly accountEnded: (outcome: AccountOutcome) => Effect.Effect<void>
}

export const IngestProgress = Context.Reference<IngestProgressReporter>("mdp/IngestProgress", {
  defaultValue: () => ({ accountStarted: () => Effect.void, accountEnded: () => Effect.void })
})
