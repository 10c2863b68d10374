/** `mdp ingest`: pull ad platform statistics into the raw zone and load them into the warehouse. */
import { Effect } from "effect"
import { resolveSettings, runIngestion, type IngestionSettings } from "../../app/ingestion.ts"
import type { LoadSummary } from "../../app/load.ts"
import type { IngestSummary } from "../../ingestion/ingest.ts"
import { IngestProgress } from "../../ingestion/progress.ts"
import type { AccountOutcome } from "../../ingestion/raw-zone.ts"
import { UsageError, list, parse, positiveInteger, table, warehouseFlag } from "../cli-support.ts"
import { ingestHelp } from "../help.ts"

/** The --target flag: local or gcp. */
export const targetFlag = (value: string | undefined): Effect.Effect<"local" | "gcp" | undefined, UsageError> =>
  value === undefined || value === "local" || value === "gcp" ? Effect.succeed(value) : Effect.fail(new UsageError({ reason: `--target is local or gcp, not "${value}"` }))

const describeOutcome = (outcome: AccountOutcome): string => {
  const where = `${outcome.source} ${outcome.account}`
  if (outcome.status === "up_to_date") return `  = ${where}: up to date`
  if (outcome.status === "failed") return `  FAILED ${where}: ${outcome.error ?? "unknown error"}`
  const quarantine = outcome.quarantined > 0 ? `, ${outcome.quarantined} quarantined` : ""
  return `  ok ${where}: ${outcome.rows} rows${quarantine} (${outcome.windowStart} → ${outcome.windowEnd})`
}


/** A line per account as it starts and ends, for `mdp ingest` and `mdp pipeline`. */
export const printedIngestProgress = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  program.pipe(
    Effect.provideService(IngestProgress, {
      accountStarted: (source, account, window) => Effect.sync(() => console.log(`  … ${source} ${account.id} (${account.name}): ${window.start} → ${window.end}`)),
      accountEnded: (outcome) =>
        Effect.sync(() => {
          console.log(describeOutcome(outcome))
          for (const flag of outcome.flags.slice(0, 5)) console.log(`      volume: ${flag}`)
          if (outcome.flags.length > 5) console.log(`      volume: … and ${outcome.flags.length - 5} more days flagged`)
        })
    })
  )

export const printIngestSummary = (summary: IngestSummary, loaded: LoadSummary | undefined, resolved: IngestionSettings) => {
  const failed = summary.accounts.filter((a) => a.status === "failed")
  console.log(
    "\n" +
      table(
        ["status", "source", "account", "rows", "quarantined", "window"],
        summary.accounts.map((a) => [a.status, a.source, a.account, String(a.rows), String(a.quarantined), a.windowStart === undefined ? "" : `${a.windowStart} → ${a.windowEnd}`])
      )
  )
  console.log(
    `\nIngestion ${summary.status}: ${summary.rows} rows, ${summary.quarantined} quarantined, ${failed.length} account(s) failed.` +
      `\nRaw zone: ${resolved.rawZoneRoot} (manifest ${summary.manifestFile})` +
      (loaded === undefined
        ? ""
        : resolved.gcp === undefined
          ? `\nLoaded ${loaded.rows} rows from ${loaded.files} new file(s) into ${resolved.warehouseFile}`
          : `\nLoaded ${loaded.files} new file(s) into BigQuery ${resolved.gcp.project}.${resolved.gcp.dataset} (${loaded.skipped} already loaded)`)
  )
  for (const account of failed) console.error(`\n${account.source} ${account.account} failed: ${account.error ?? ""}\n  see docs/pipelines.md, "When a source fails"`)
  for (const file of loaded?.rejected ?? []) {
    const window = file.windowStart === undefined ? "" : ` --from ${file.windowStart} --to ${file.windowEnd}`
    console.error(
      `\nSet aside, not loaded: ${file.file}\n  ${file.reason}.\n  The rest loaded. Fetch that account's window again: npm run ingest -- --source ${file.source} --account ${file.account}${window}` +
        `\n  (docs/pipelines.md, "When a raw file is set aside")`
    )
  }
}

/** Whether ingestion and loading both did all they were asked: else the run is partial. */
export const ingestionComplete = (summary: IngestSummary, loaded: LoadSummary | undefined): boolean =>
  summary.status === "complete" && (loaded?.rejected.length ?? 0) === 0

export const ingestCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, {
      from: { type: "string" },
      to: { type: "string" },
      source: { type: "string", multiple: true },
      account: { type: "string", multiple: true },
      config: { type: "string" },
      warehouse: { type: "string" },
      target: { type: "string" },
      "no-load": { type: "boolean" },
      "no-wait": { type: "boolean" },
      concurrency: { type: "string" }
    })
    if (values.help === true) return yield* Effect.sync(() => (console.log(ingestHelp), 0))
    const resolved = yield* resolveSettings(values.config, yield* warehouseFlag(values.warehouse), yield* targetFlag(values.target))
    const { summary, loaded } = yield* runIngestion(resolved, {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(values.to === undefined ? {} : { to: values.to }),
      sources: list(values.source),
      accounts: list(values.account),
      ...(values.concurrency === undefined ? {} : { concurrency: yield* positiveInteger(values.concurrency, "--concurrency", 4) }),
      load: values["no-load"] !== true,
      writer: { command: "mdp ingest", wait: values["no-wait"] !== true, onWait: (holder) => console.log(`  … ${holder}`) }
    }).pipe(printedIngestProgress)
    printIngestSummary(summary, loaded, resolved)
    return ingestionComplete(summary, loaded) ? 0 : 1
  })
