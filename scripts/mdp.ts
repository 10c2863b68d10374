#!/usr/bin/env node
/** `mdp`, the marketing data platform's command line. Each subcommand has its own --help. */
import module from "node:module"
import path from "node:path"
import type { Effect, FileSystem } from "effect"
import { compileHelp, ingestHelp, pipelineHelp, queryHelp, reportHelp, sourcesHelp, statusHelp, testHelp, transformHelp, verifyHelp } from "./help.ts"

type Command = (args: ReadonlyArray<string>) => Effect.Effect<number, unknown, FileSystem.FileSystem>

// Each command's module (and the SDKs it needs) loads only when that command runs; its help
// prints without loading it.
const commands: Readonly<Record<string, { readonly help: string; readonly load: () => Promise<Command> }>> = {
  compile: { help: compileHelp, load: () => import("./commands/transform.ts").then((m) => m.compileCommand) },
  transform: { help: transformHelp, load: () => import("./commands/transform.ts").then((m) => m.transformCommand) },
  test: { help: testHelp, load: () => import("./commands/transform.ts").then((m) => m.testCommand) },
  sources: { help: sourcesHelp, load: () => import("./commands/transform.ts").then((m) => m.sourcesCommand) },
  query: { help: queryHelp, load: () => import("./commands/query.ts").then((m) => m.queryCommand) },
  ingest: { help: ingestHelp, load: () => import("./commands/ingest.ts").then((m) => m.ingestCommand) },
  pipeline: { help: pipelineHelp, load: () => import("./commands/pipeline.ts").then((m) => m.pipelineCommand) },
  report: { help: reportHelp, load: () => import("./commands/pipeline.ts").then((m) => m.reportCommand) },
  status: { help: statusHelp, load: () => import("./commands/pipeline.ts").then((m) => m.statusCommand) },
  verify: { help: verifyHelp, load: () => import("./commands/verify.ts").then((m) => m.verifyCommand) }
}

const help = `Usage: mdp <command> [options]

Marketing data platform: ad platform statistics → raw zone → Dataform SQLX models → marts.

Commands:
  pipeline    ingest, load, transform, assert and report in one go
  ingest      pull ad platform statistics into the raw zone and warehouse
  transform   run the Dataform project on the local DuckDB warehouse
  test        run the model unit tests (Dataform tests and incremental-table tests)
  compile     compile the Dataform project and list its actions
  sources     write stub files of local data for the project's declarations (sources init)
  query       run BigQuery SQL against the local warehouse
  report      write the HTML report (data/report/index.html)
  status      state of sources, runs and assertions
  verify      check every run's raw files against its manifest

Run "mdp <command> --help" for a command's options.`

const [name, ...args] = process.argv.slice(2)
if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  console.log(help)
  process.exitCode = name === undefined ? 1 : 0
} else {
  const command = commands[name]
  if (command === undefined) {
    const { didYouMean } = await import("../runner/suggest.ts")
    console.error(`error: "${name}" is not an mdp command${didYouMean(name, Object.keys(commands))}.\nhint: run "mdp --help" to see the commands.`)
    process.exitCode = 1
  } else if (args.includes("--help") || args.includes("-h")) {
    // Help needs neither the command's module nor Effect: it prints at once.
    console.log(command.help)
  } else {
    // V8's compiled code for the modules below kept between runs: about 0.3 s of each command's start.
    module.enableCompileCache?.(path.join(import.meta.dirname, "..", "node_modules", ".cache", "mdp-node-compile"))
    const [{ runCommand }, run] = await Promise.all([import("./cli-support.ts"), command.load()])
    runCommand(run(args))
  }
}
