/** `mdp compile`, `mdp transform` and `mdp test`: the local Dataform runner from the command line. */
import { Effect, FileSystem, Layer } from "effect"
import { compileProject, type CompileOptions } from "../../runner/compile.ts"
import type { ActionResult } from "../../runner/execute.ts"
import { graphProblems } from "../../runner/graph.ts"
import { readIncrementalSpecs, runDataformTests, runIncrementalCase, type ModelTestResult } from "../../runner/model-tests.ts"
import { RunProgress } from "../../runner/progress.ts"
import { headerCell } from "../../runner/source-types.ts"
import { targetLabel } from "../../runner/target.ts"
import { transform, type RunSummary } from "../../runner/transform.ts"
import { Warehouse } from "../../runner/warehouse.ts"
import { readableStatement } from "../../runner/export-data.ts"
import { readdirSync, statSync } from "node:fs"
import path from "node:path"
import { DEFAULT_SETTINGS_FILE, dataformVars, readSettings, type Settings } from "../../app/settings.ts"
import { UsageError, clockDate, defaults, exportsDirFor, formatDuration, list, parse, parseVars, positiveInteger, repositoryRoot, table, warehouseFlag } from "../cli-support.ts"
import { compileHelp, sourcesHelp, transformHelp, testHelp } from "../help.ts"
import { writeSourceStubs, type SourceStub } from "../../runner/sources.ts"
import { transformOnGoogleCloud } from "../../app/google-cloud-transform.ts"
import { resolveSettings, warehouseLimits } from "../../app/ingestion.ts"
import { saveRunSummary } from "../../app/run-summaries.ts"
import { withWriterLock } from "../../app/writer-lock.ts"

const projectOptions = {
  "project-dir": { type: "string" },
  config: { type: "string" },
  vars: { type: "string" },
  "schema-suffix": { type: "string" },
  "table-prefix": { type: "string" },
  "default-database": { type: "string" }
} as const


const projectSettings = (values: { readonly config?: string | undefined }) =>
  readSettings(path.resolve(repositoryRoot, values.config ?? DEFAULT_SETTINGS_FILE), values.config !== undefined)

/** Compile options: the clock's date as as_of, the settings' model vars, then --vars over them. */
const compileOptions = (
  values: {
    readonly "project-dir"?: string | undefined
    readonly vars?: string | undefined
    readonly "schema-suffix"?: string | undefined
    readonly "table-prefix"?: string | undefined
    readonly "default-database"?: string | undefined
  },
  settings: Settings
): Effect.Effect<CompileOptions, UsageError> =>
  Effect.gen(function* () {
    const vars = { as_of: yield* clockDate, ...dataformVars(settings), ...((yield* parseVars(values.vars)) ?? {}) }
    return {
      projectDir: values["project-dir"] ?? defaults.projectDir,
      ...(Object.keys(vars).length === 0 ? {} : { vars }),
      ...(values["schema-suffix"] === undefined ? {} : { schemaSuffix: values["schema-suffix"] }),
      ...(values["table-prefix"] === undefined ? {} : { tablePrefix: values["table-prefix"] }),
      ...(values["default-database"] === undefined ? {} : { defaultDatabase: values["default-database"] })
    } satisfies CompileOptions
  })


export const compileCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, { ...projectOptions, json: { type: "boolean" } })
    if (values.help === true) return yield* Effect.sync(() => (console.log(compileHelp), 0))
    const graph = yield* compileProject(yield* compileOptions(values, yield* projectSettings(values)))
    if (graph.coreNote !== undefined) console.error(`Note: ${graph.coreNote}.`)
    if (values.json === true) return yield* Effect.sync(() => (console.log(JSON.stringify(graph.compiled, null, 2)), 0))
    const problems = graphProblems(graph)
    console.log(
      table(
        ["kind", "action", "file", "tags"],
        graph.actions.map((action) => [action.kind + (action.disabled ? " (disabled)" : ""), targetLabel(action.target), action.fileName, action.tags.join(", ")])
      )
    )
    console.log(`\n${graph.actions.length} actions, ${graph.tests.length} unit tests, @dataform/core ${graph.compiled.dataformCoreVersion ?? "?"}`)
    if (problems.length > 0) {
      console.error(`\n${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`)
      return 1
    }
    return 0
  })


const statusMark: Readonly<Record<ActionResult["status"], string>> = {
  succeeded: "ok",
  failed: "FAILED",
  skipped: "skipped",
  disabled: "disabled",
  planned: "planned"
}

export const printSummary = (summary: RunSummary): void => {
  if (summary.coreNote !== undefined) console.log(`\nNote: ${summary.coreNote}.`)
  if (summary.sources !== undefined && summary.sources.length > 0) {
    console.log(`\nSources: ${summary.sources.map((source) => `${source.table} (${source.rows} rows) from ${path.relative(process.cwd(), source.file)}`).join(", ")}`)
  }
  console.log(
    "\n" +
      table(
        ["status", "action", "kind", "rows", "time"],
        summary.results.map((r) => [statusMark[r.status], r.action, r.kind + (r.mode === "incremental" ? " (update)" : ""), r.rows === undefined ? "" : String(r.rows), formatDuration(r.durationMs)])
      )
  )
  for (const result of summary.results.filter((r) => r.warnings !== undefined && r.warnings.length > 0)) {
    console.log(`\n${result.action} (${result.fileName}): warning: ${result.warnings!.join("\n  ")}`)
  }
  for (const result of summary.results.filter((r) => r.status === "failed")) {
    console.error(`\n${result.action} (${result.fileName}) failed:\n${(result.error ?? "").replace(/^/gm, "  ")}`)
    if (result.sample !== undefined && result.sample.length > 0) {
      console.error(`  sample of violating rows:\n${result.sample.map((row) => `    ${JSON.stringify(row)}`).join("\n")}`)
    }
  }
  const { succeeded, failed, skipped, disabled } = summary.counts
  console.log(
    `\n${summary.ok ? "Transform succeeded" : "Transform FAILED"}: ${succeeded} succeeded, ${failed} failed, ${skipped} skipped, ${disabled} disabled in ${formatDuration(summary.durationMs)}.` +
      `\nWarehouse: ${summary.warehouse}` +
      (summary.summaryFile === undefined ? "" : `\nRun summary: ${summary.summaryFile}`)
  )
}

const gigabytes = (bytes: number): string => `${(bytes / 1e9).toFixed(3)} GB`

/** `--target gcp`: Dataform on Google Cloud runs the project; --dry-run asks BigQuery what it would cost. */
const transformOnGcp = (
  values: { readonly config?: string | undefined; readonly "dry-run"?: boolean | undefined; readonly "full-refresh"?: boolean | undefined },
  compile: CompileOptions,
  selection: { readonly tags: ReadonlyArray<string>; readonly actions: ReadonlyArray<string> }
) =>
  Effect.gen(function* () {
    const resolved = yield* resolveSettings(values.config, undefined, "gcp")
    const outcome = yield* transformOnGoogleCloud(resolved.gcp!, {
      compile,
      ...selection,
      fullRefresh: values["full-refresh"] === true,
      dryRun: values["dry-run"] === true,
      onWorkflowState: (state) => console.log(`  … workflow ${state.toLowerCase()}`)
    })
    switch (outcome.kind) {
      case "costs":
        console.log(table(["action", "kind", "would process"], outcome.costs.map((c) => [c.action, c.kind, gigabytes(c.bytes)])))
        console.log(`\nTotal: ${gigabytes(outcome.costs.reduce((sum, c) => sum + c.bytes, 0))} for ${outcome.costs.length} queries (BigQuery dry runs; nothing was run).`)
        return 0
      case "dataform_cli":
        return outcome.exitCode === 0 ? 0 : 1
      case "workflow":
        console.log(`Workflow ${outcome.invocation}: ${outcome.state}`)
        for (const failure of outcome.failedActions) console.error(`  FAILED ${failure}`)
        return outcome.state === "SUCCEEDED" ? 0 : 1
    }
  })

/** How many files under `folder` were written at or after `since` (ms): this run's exports. */
const filesWrittenSince = (folder: string, since: number): number => {
  try {
    return readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && statSync(path.join(entry.parentPath, entry.name)).mtimeMs >= since - 1000).length
  } catch {
    return 0
  }
}

/** --sources DIR, else the project's test/sources when it has one. */
const sourcesFolder = (values: { readonly sources?: string | undefined; readonly "project-dir"?: string | undefined }) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (values.sources !== undefined) {
      if (!(yield* fs.exists(values.sources).pipe(Effect.orElseSucceed(() => false)))) {
        return yield* new UsageError({ reason: `--sources ${values.sources}: no such folder (mdp sources init writes one)` })
      }
      return { sourcesDir: path.resolve(values.sources) }
    }
    const conventional = path.join(values["project-dir"] ?? defaults.projectDir, "test", "sources")
    return (yield* fs.exists(conventional).pipe(Effect.orElseSucceed(() => false))) ? { sourcesDir: conventional } : {}
  })

const STUB_STATE: Readonly<Record<SourceStub["state"], string>> = {
  written: "",
  kept: " (kept)",
  shard: " (a wildcard's empty shard: rename it to a real suffix, one file per shard)",
  created: " creates it: no file needed (one would be loaded before every run, in place of what the project wrote)"
}

/** `mdp sources init`: a stub file per declared, external or read-by-name table, to fill with local rows. */
export const sourcesCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values, positionals } = yield* parse(args, { ...projectOptions, sources: { type: "string" } }, true)
    if (values.help === true) return yield* Effect.sync(() => (console.log(sourcesHelp), 0))
    if (positionals[0] !== "init" || positionals.length !== 1) {
      return yield* new UsageError({ reason: `mdp sources takes one subcommand, init${positionals.length === 0 ? "" : `, not "${positionals.join(" ")}"`}` })
    }
    const graph = yield* compileProject(yield* compileOptions(values, yield* projectSettings(values)))
    const folder = path.resolve(values.sources ?? path.join(values["project-dir"] ?? defaults.projectDir, "test", "sources"))
    const stubs = yield* writeSourceStubs(graph, folder)
    if (stubs.length === 0) return yield* Effect.sync(() => (console.log("The project declares no tables, creates no external ones and reads none by name: nothing to write."), 0))
    console.log(
      table(
        ["table", "file", "columns"],
        stubs.map((stub) => [
          stub.table,
          `${path.relative(process.cwd(), stub.file)}${STUB_STATE[stub.state]}`,
          stub.columnsFrom === "none" ? "(none documented or read by name: name them in the header)" : `${stub.columns.map(headerCell).join(", ")}${stub.columnsFrom === "read" ? " (read by the project's SQL, none documented: check them)" : ""}`
        ])
      )
    )
    const written = stubs.filter((stub) => stub.state === "written" || stub.state === "shard").length
    console.log(`\n${written} file(s) written under ${folder}. Fill them with rows (a .jsonl or a BigQuery .sql SELECT may replace a .csv); mdp transform loads them before each run.`)
    return 0
  })

export const transformCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, {
      ...projectOptions,
      target: { type: "string" },
      warehouse: { type: "string" },
      actions: { type: "string", multiple: true },
      tags: { type: "string", multiple: true },
      "include-deps": { type: "boolean" },
      "include-dependents": { type: "boolean" },
      "full-refresh": { type: "boolean" },
      "no-wait": { type: "boolean" },
      "dry-run": { type: "boolean" },
      concurrency: { type: "string" },
      json: { type: "boolean" },
      sources: { type: "string" },
      exports: { type: "string" }
    })
    if (values.help === true) return yield* Effect.sync(() => (console.log(transformHelp), 0))
    // Like ingest: --target, else the settings' target, else local.
    const settings = yield* projectSettings(values)
    const target = values.target ?? settings.target ?? "local"
    if (target === "gcp") {
      return yield* transformOnGcp(values, yield* compileOptions(values, settings), { tags: list(values.tags), actions: list(values.actions) })
    }
    if (target !== "local") return yield* new UsageError({ reason: `--target is local or gcp, not "${target}"` })
    const quiet = values.json === true
    const dryRun = values["dry-run"] === true
    const warehouseFile = (yield* warehouseFlag(values.warehouse)) ?? defaults.warehouse
    const sources = yield* sourcesFolder(values)
    const sourcesBase = sources.sourcesDir ?? path.join(values["project-dir"] ?? defaults.projectDir, "test", "sources")
    // Local copies of the Cloud Storage files JavaScript UDFs load (OPTIONS(library=…)).
    const javascriptLibraries = path.join(sourcesBase, "udf_libraries")
    // Where EXPORT DATA writes its gs://bucket/… files.
    const exportsFolder = path.resolve(values.exports ?? exportsDirFor(warehouseFile))
    const startedAt = Date.now()
    const run = transform({
        ...(yield* compileOptions(values, settings)),
        actions: list(values.actions),
        tags: list(values.tags),
        includeDependencies: values["include-deps"] === true,
        includeDependents: values["include-dependents"] === true,
        fullRefresh: values["full-refresh"] === true,
        dryRun,
        ...(values.concurrency === undefined ? {} : { concurrency: yield* positiveInteger(values.concurrency, "--concurrency", 1) }),
        ...sources
      }).pipe(
        Effect.flatMap((summary) => saveRunSummary(summary, warehouseFile)),
        Effect.provide(Warehouse.layerDuckDB(warehouseFile, { javascriptLibraries: path.resolve(javascriptLibraries), exports: exportsFolder, cloudStorage: [path.resolve(sourcesBase, "gs")], ...warehouseLimits(settings) })),
        Effect.provideService(RunProgress, {
          actionStarted: (action) => Effect.sync(() => (quiet || dryRun ? undefined : console.log(`  … ${targetLabel(action.target)} (${action.kind})`))),
          actionEnded: (result) =>
            Effect.sync(() => {
              if (quiet) return
              if (dryRun) {
                console.log(`-- ${result.action} (${result.kind}, ${result.fileName})\n${result.statements.map(readableStatement).join("\n")}\n`)
              } else if (result.status !== "skipped" && result.status !== "disabled") {
                console.log(`  ${statusMark[result.status]} ${result.action}${result.rows === undefined ? "" : `, ${result.rows} rows`} in ${formatDuration(result.durationMs)}`)
              }
            })
        })
      )
    // A dry run writes nothing: it takes no lock.
    const summary = dryRun
      ? yield* run
      : yield* withWriterLock(warehouseFile, { command: "mdp transform", wait: values["no-wait"] !== true, onWait: (holder) => console.log(`  … ${holder}`) }, run)
    if (quiet) console.log(JSON.stringify(summary, null, 2))
    else {
      printSummary(summary)
      const exported = filesWrittenSince(exportsFolder, startedAt)
      if (exported > 0) console.log(`Exports: ${exported} file(s) written under ${exportsFolder} (EXPORT DATA's gs://bucket/path as bucket/path)`)
    }
    return summary.ok ? 0 : 1
  })


export const testCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, { ...projectOptions, specs: { type: "string" } })
    if (values.help === true) return yield* Effect.sync(() => (console.log(testHelp), 0))
    const graph = yield* compileProject(yield* compileOptions(values, yield* projectSettings(values)))
    const scratch = Warehouse.layerDuckDB(":memory:")
    const results: Array<ModelTestResult> = [...(yield* runDataformTests(graph).pipe(Effect.provide(scratch)))]
    for (const { file, spec } of yield* readIncrementalSpecs(values.specs ?? defaults.modelTestsDir)) {
      for (const testCase of spec.cases) {
        // A fresh warehouse per case, so cases cannot leak state into each other.
        results.push(yield* runIncrementalCase(graph, file, spec, testCase).pipe(Effect.provide(Layer.fresh(scratch))))
      }
    }
    for (const result of results) {
      console.log(`${result.passed ? "  ok  " : "  FAIL"} ${result.name} (${result.fileName})${result.message === undefined ? "" : `\n        ${result.message}`}`)
    }
    const failed = results.filter((r) => !r.passed).length
    console.log(`\n${results.length - failed} passed, ${failed} failed`)
    return failed === 0 ? 0 : 1
  })
