/**
 * `mdp transform` as a library call: compile the project with Dataform, refuse a graph with
 * problems, select actions, execute them on the warehouse and summarise the run (`app/run-summaries.ts`
 * keeps it as JSON beside the warehouse). The summary's `ok` is false when any action failed or was skipped.
 */
import path from "node:path"
import { DateTime, Effect, FileSystem } from "effect"
import { compileProject, type CompileOptions } from "./compile.ts"
import { executeGraph, type ActionResult } from "./execute.ts"
import { selectActions, validateGraph, type Selection } from "./graph.ts"
import { findSources, loadSources, type LoadedSource } from "./sources.ts"
import { Warehouse } from "./warehouse.ts"
import { PseudoColumnsInWarehouse } from "./translate.ts"

export interface TransformOptions extends CompileOptions, Selection {
  readonly fullRefresh?: boolean
  readonly dryRun?: boolean
  readonly concurrency?: number
  /** A folder of data for the project's declarations (runner/sources.ts), loaded before the run. */
  readonly sourcesDir?: string
}

export interface RunSummary {
  readonly runId: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly durationMs: number
  readonly projectDir: string
  readonly warehouse: string
  readonly dryRun: boolean
  readonly fullRefresh: boolean
  readonly ok: boolean
  readonly counts: Readonly<Record<ActionResult["status"], number>>
  readonly results: ReadonlyArray<ActionResult>
  /** The declarations given data from the sources folder (a dry run loads none). */
  readonly sources?: ReadonlyArray<LoadedSource>
  /** Where the summary was written, when it was. */
  readonly summaryFile?: string
  /** The project compiled with another core than it pins (ProjectGraph.coreNote). */
  readonly coreNote?: string
}

const runIdFrom = (startedAt: string): string =>
  `${startedAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${Math.random().toString(36).slice(2, 8)}`

export const transform = Effect.fn("Runner.transform")(function* (options: TransformOptions) {
  const warehouse = yield* Warehouse
  const started = yield* DateTime.now
  const graph = yield* compileProject(options).pipe(Effect.flatMap(validateGraph))
  const selected = yield* selectActions(graph, options)
  const fs = yield* FileSystem.FileSystem
  const sources =
    options.sourcesDir === undefined || options.dryRun === true ? undefined : yield* findSources(graph, options.sourcesDir).pipe(Effect.flatMap(loadSources))
  const readSource = (fileName: string) =>
    fs.readFileString(path.resolve(options.projectDir, fileName)).pipe(Effect.orElseSucceed(() => undefined))
  // A source file's _PARTITIONTIME and _PARTITIONDATE are plain columns locally; BigQuery's `*` leaves such pseudo-columns out.
  const pseudoColumns = yield* warehouse.query(`SELECT count(*) AS n FROM duckdb_columns() WHERE upper(column_name) IN ('_PARTITIONTIME', '_PARTITIONDATE')`).pipe(
    Effect.map((rows) => Number(rows[0]?.["n"] ?? 0) > 0)
  )
  const results = yield* executeGraph(graph, {
    selected,
    fullRefresh: options.fullRefresh ?? false,
    dryRun: options.dryRun ?? false,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    readSource
  }).pipe(Effect.provideService(PseudoColumnsInWarehouse, pseudoColumns))
  const finished = yield* DateTime.now
  const counts = { succeeded: 0, failed: 0, skipped: 0, disabled: 0, planned: 0 }
  for (const result of results) counts[result.status]++
  const startedAt = DateTime.formatIso(started)
  const summary: RunSummary = {
    runId: runIdFrom(startedAt),
    startedAt,
    finishedAt: DateTime.formatIso(finished),
    durationMs: DateTime.toEpochMillis(finished) - DateTime.toEpochMillis(started),
    projectDir: path.resolve(options.projectDir),
    warehouse: warehouse.location,
    dryRun: options.dryRun ?? false,
    fullRefresh: options.fullRefresh ?? false,
    ok: counts.failed === 0 && counts.skipped === 0,
    counts,
    results,
    ...(sources === undefined ? {} : { sources }),
    ...(graph.coreNote === undefined ? {} : { coreNote: graph.coreNote })
  }
  return summary
})
