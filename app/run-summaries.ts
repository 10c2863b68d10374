/**
 * Transform run summaries, kept as JSON in a `runs/` folder beside the warehouse: written after each
 * run (dry runs write none), read back by `mdp status` and the report.
 */
import path from "node:path"
import { Effect, FileSystem, Option } from "effect"
import type { RunSummary } from "../runner/transform.ts"

/** Where the runs of a warehouse file are summarised. */
export const runsDirFor = (warehouseFile: string): string => path.join(path.dirname(path.resolve(warehouseFile)), "runs")

/** Writes the summary beside the warehouse; returns it with the file it was written to. */
export const saveRunSummary = Effect.fn("RunSummaries.save")(function* (summary: RunSummary, warehouseFile: string) {
  if (summary.dryRun) return summary
  const fs = yield* FileSystem.FileSystem
  const folder = runsDirFor(warehouseFile)
  const summaryFile = path.join(folder, `transform-${summary.runId}.json`)
  yield* fs.makeDirectory(folder, { recursive: true })
  yield* fs.writeFileString(summaryFile, `${JSON.stringify({ ...summary, summaryFile }, null, 2)}\n`)
  return { ...summary, summaryFile }
})

/** The newest transform summary beside the warehouse, if any. */
export const latestRunSummary = Effect.fn("RunSummaries.latest")(function* (warehouseFile: string) {
  const fs = yield* FileSystem.FileSystem
  const folder = runsDirFor(warehouseFile)
  const names = yield* fs.readDirectory(folder).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
  const files = yield* Effect.forEach(
    names.filter((name) => name.startsWith("transform-") && name.endsWith(".json")),
    (name) => fs.stat(path.join(folder, name)).pipe(Effect.map((info) => ({ name, mtime: Option.getOrUndefined(info.mtime)?.getTime() ?? 0 })))
  )
  // Written last is newest; the name (its start time) breaks ties.
  const newest = [...files].sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1)).at(-1)
  if (newest === undefined) return undefined
  return JSON.parse(yield* fs.readFileString(path.join(folder, newest.name))) as RunSummary
})
