/** `mdp pipeline` (ingest → load → transform with assertions → report), `mdp report` and `mdp status`. */
import path from "node:path"
import { Clock, Effect, FileSystem, type Layer } from "effect"
import { dataformVars } from "../../app/settings.ts"
import { makeLocalRawZone } from "../../ingestion/raw-zone.ts"
import { RunProgress } from "../../runner/progress.ts"
import { targetLabel } from "../../runner/target.ts"
import { transform, type RunSummary } from "../../runner/transform.ts"
import { Warehouse, type WarehouseError } from "../../runner/warehouse.ts"
import { clockDate, defaults, formatDuration, list, parse, repositoryRoot, table, warehouseFlag } from "../cli-support.ts"
import { pipelineHelp, reportHelp, statusHelp } from "../help.ts"
import { collectReportData, freshnessLines, readFreshness, renderReport } from "../report/build.ts"
import { resolveSettings, runIngestion } from "../../app/ingestion.ts"
import { latestRunSummary, saveRunSummary } from "../../app/run-summaries.ts"
import { withWriterLock } from "../../app/writer-lock.ts"
import { ingestionComplete, printedIngestProgress, printIngestSummary } from "./ingest.ts"
import { printSummary } from "./transform.ts"

const reportFile = path.join(repositoryRoot, "data", "report", "index.html")

const writeReport = (warehouseFile: string, summary: RunSummary | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const now = new Date(yield* Clock.currentTimeMillis).toISOString().replace("T", " ").slice(0, 16) + " UTC"
    const data = yield* collectReportData(summary, now).pipe(Effect.provide(Warehouse.layerDuckDBReadOnly(warehouseFile)))
    yield* fs.makeDirectory(path.dirname(reportFile), { recursive: true })
    yield* fs.writeFileString(reportFile, renderReport(data))
    return reportFile
  })

/** Prints each platform's freshness, when the warehouse has the view (a failed first run may not); true when one is past its error threshold. */
const printFreshness = (warehouse: Layer.Layer<Warehouse, WarehouseError>) =>
  readFreshness.pipe(
    Effect.provide(warehouse),
    Effect.map((rows) => {
      if (rows.length > 0) console.log(`\nFreshness (thresholds: settings' models.freshness):\n${freshnessLines(rows).map((line) => `  ${line}`).join("\n")}`)
      return rows.some((row) => row["status"] === "error")
    }),
    Effect.catchTag("WarehouseError", () => Effect.succeed(false))
  )


export const pipelineCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, {
      from: { type: "string" },
      to: { type: "string" },
      source: { type: "string", multiple: true },
      "full-refresh": { type: "boolean" },
      "no-wait": { type: "boolean" },
      warehouse: { type: "string" },
      config: { type: "string" }
    })
    if (values.help === true) return yield* Effect.sync(() => (console.log(pipelineHelp), 0))
    // The pipeline is the local product; on Google Cloud, ingestion and Dataform are separate steps.
    const resolved = yield* resolveSettings(values.config, yield* warehouseFlag(values.warehouse), "local")
    const started = Date.now()
    const steps: Array<[string, string, string]> = []

    console.log("1/3 Ingest and load")
    let stepStart = Date.now()
    const writer = { command: "mdp pipeline", wait: values["no-wait"] !== true, onWait: (holder: string) => console.log(`  … ${holder}`) }
    const { summary: ingestion, loaded } = yield* runIngestion(resolved, {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(values.to === undefined ? {} : { to: values.to }),
      sources: list(values.source),
      load: true,
      writer
    }).pipe(printedIngestProgress)
    printIngestSummary(ingestion, loaded, resolved)
    steps.push(["ingest + load", ingestionComplete(ingestion, loaded) ? "ok" : "PARTIAL", formatDuration(Date.now() - stepStart)])

    console.log("\n2/3 Transform and assert")
    stepStart = Date.now()
    // The warehouse stays this run's from the transform to the report: they read what it wrote.
    const { transformed, report } = yield* withWriterLock(
      resolved.warehouseFile,
      writer,
      Effect.gen(function* () {
        const transformed = yield* transform({
          projectDir: defaults.projectDir,
          // No var for a backfill: the models re-process whatever the loads changed.
          vars: { as_of: yield* clockDate, ...dataformVars(resolved.settings) },
          fullRefresh: values["full-refresh"] === true
        }).pipe(
          Effect.flatMap((summary) => saveRunSummary(summary, resolved.warehouseFile)),
          Effect.provide(Warehouse.layerDuckDB(resolved.warehouseFile, resolved.warehouseLimits)),
          Effect.provideService(RunProgress, {
            actionStarted: (action) => Effect.sync(() => console.log(`  … ${targetLabel(action.target)}`)),
            actionEnded: (result) =>
              Effect.sync(() => {
                if (result.status === "succeeded") console.log(`  ok ${result.action}${result.rows === undefined ? "" : `, ${result.rows} rows`} in ${formatDuration(result.durationMs)}`)
                if (result.status === "failed") console.log(`  FAILED ${result.action}`)
              })
          })
        )
        printSummary(transformed)
        yield* printFreshness(Warehouse.layerDuckDB(resolved.warehouseFile, resolved.warehouseLimits))
        steps.push(["transform + assertions", transformed.ok ? "ok" : "FAILED", formatDuration(Date.now() - stepStart)])

        console.log("\n3/3 Report")
        stepStart = Date.now()
        const report = yield* writeReport(resolved.warehouseFile, transformed)
        steps.push(["report", "ok", formatDuration(Date.now() - stepStart)])
        return { transformed, report }
      })
    )

    const ok = ingestionComplete(ingestion, loaded) && transformed.ok
    console.log(`\n${table(["step", "status", "time"], steps)}`)
    console.log(
      `\n${ok ? "Pipeline succeeded" : "Pipeline FAILED"} in ${formatDuration(Date.now() - started)}.` +
        `\n  Report:    ${report}` +
        `\n  Warehouse: ${resolved.warehouseFile}  (explore: npm run query -- "select * from marts.campaign_performance_daily limit 10")` +
        `\n  Raw zone:  ${resolved.rawZoneRoot}`
    )
    return ok ? 0 : 1
  })


export const reportCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, { warehouse: { type: "string" } })
    if (values.help === true) return yield* Effect.sync(() => (console.log(reportHelp), 0))
    const warehouseFile = (yield* warehouseFlag(values.warehouse)) ?? defaults.warehouse
    const file = yield* writeReport(warehouseFile, yield* latestRunSummary(warehouseFile))
    console.log(`Report: ${file}`)
    return 0
  })


/** Raw files a load set aside, with how to fetch their windows again; true when there is one. */
const printSetAside = (warehouse: Layer.Layer<Warehouse, WarehouseError>) =>
  Warehouse.use((w) =>
    w.query(
      "SELECT file_key, source, account_id, CAST(window_start AS VARCHAR) AS window_start, CAST(window_end AS VARCHAR) AS window_end, reason FROM raw._rejected_files ORDER BY rejected_at"
    )
  ).pipe(
    Effect.provide(warehouse),
    // A warehouse from before set-aside files were recorded has no such table: nothing was set aside.
    Effect.orElseSucceed(() => []),
    Effect.map((rows) => {
      if (rows.length === 0) return false
      console.log(`\nRaw files set aside, not loaded (docs/pipelines.md, "When a raw file is set aside"):`)
      for (const row of rows) {
        const window = row["window_start"] === null ? "" : ` --from ${String(row["window_start"])} --to ${String(row["window_end"])}`
        console.log(`  ${String(row["file_key"])}: ${String(row["reason"])}\n    fetch again: npm run ingest -- --source ${String(row["source"])} --account ${String(row["account_id"])}${window}`)
      }
      return true
    })
  )

export const statusCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, { config: { type: "string" } })
    if (values.help === true) return yield* Effect.sync(() => (console.log(statusHelp), 0))
    const resolved = yield* resolveSettings(values.config, undefined, "local")
    const rawZone = makeLocalRawZone(resolved.rawZoneRoot, yield* FileSystem.FileSystem)
    const manifests = yield* rawZone.manifests()
    const platforms = [...new Set(manifests.flatMap((m) => m.accounts.map((a) => a.source)))].sort()
    const rows: Array<Array<string>> = []
    for (const platform of platforms) {
      const state = yield* rawZone.readState(platform)
      for (const [account, entry] of Object.entries(state)) {
        rows.push([platform, account, entry.lastCompleteDate ?? "never", entry.lastRunAt?.slice(0, 16).replace("T", " ") ?? "", entry.lastStatus ?? "", entry.lastError ?? ""])
      }
    }
    console.log(rows.length === 0 ? "No ingestion has run yet: npm run ingest" : table(["source", "account", "last complete day", "last run (UTC)", "status", "last error"], rows))
    const recent = manifests.slice(-5)
    if (recent.length > 0) {
      console.log(`\nLatest ingestion runs:\n${table(["run", "status", "accounts", "rows"], recent.map((m) => [m.runId, m.status, String(m.accounts.length), String(m.accounts.reduce((s, a) => s + a.rows, 0))]))}`)
    }
    const hasWarehouse = yield* (yield* FileSystem.FileSystem).exists(resolved.warehouseFile)
    const stale = hasWarehouse && (yield* printFreshness(Warehouse.layerDuckDBReadOnly(resolved.warehouseFile)))
    const setAside = hasWarehouse ? yield* printSetAside(Warehouse.layerDuckDBReadOnly(resolved.warehouseFile)) : false
    const latest = yield* latestRunSummary(resolved.warehouseFile)
    if (latest === undefined) {
      console.log("\nNo transform has run yet: npm run transform")
      return stale || setAside ? 1 : 0
    }
    const assertions = latest.results.filter((r) => r.kind === "assertion")
    const failed = assertions.filter((r) => r.status !== "succeeded")
    console.log(`\nLatest transform ${latest.runId} (${latest.finishedAt}): ${latest.ok ? "ok" : "FAILED"}; assertions: ${assertions.length - failed.length} passed, ${failed.length} failed or skipped`)
    for (const result of failed) console.log(`  ${result.status} ${result.action}: ${result.error ?? ""}`)
    const anyFailure = rows.some((row) => row[4] === "failed") || !latest.ok || stale || setAside
    return anyFailure ? 1 : 0
  })
