#!/usr/bin/env node
/** `mdp`, the marketing data platform's command line. Each subcommand has its own --help. */
import { Effect } from "effect"
import { runCommand } from "./cli-support.ts"
import { ingestCommand } from "./commands/ingest.ts"
import { pipelineCommand, reportCommand, statusCommand } from "./commands/pipeline.ts"
import { queryCommand } from "./commands/query.ts"
import { compileCommand, testCommand, transformCommand } from "./commands/transform.ts"

const help = `Usage: mdp <command> [options]

Marketing data platform: ad platform statistics → raw zone → Dataform SQLX models → marts.

Commands:
  pipeline    ingest, load, transform, assert and report in one go
  ingest      pull ad platform statistics into the raw zone and warehouse
  transform   run the Dataform project on the local DuckDB warehouse
  test        run the model unit tests (Dataform tests and incremental-table tests)
  compile     compile the Dataform project and list its actions
  query       run BigQuery SQL against the local warehouse
  report      write the HTML report (data/report/index.html)
  status      state of sources, runs and assertions

Run "mdp <command> --help" for a command's options.`

const commands: Readonly<Record<string, (args: ReadonlyArray<string>) => Effect.Effect<number, unknown>>> = {
  compile: compileCommand,
  transform: transformCommand,
  test: testCommand,
  query: queryCommand,
  pipeline: pipelineCommand,
  report: reportCommand,
  ingest: ingestCommand,
  status: statusCommand
}

const [name, ...args] = process.argv.slice(2)
if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  console.log(help)
  process.exitCode = name === undefined ? 1 : 0
} else {
  const command = commands[name]
  if (command === undefined) {
    console.error(`error: "${name}" is not an mdp command.\nhint: run "mdp --help" to see the commands.`)
    process.exitCode = 1
  } else {
    process.exitCode = await runCommand(command(args))
  }
}
