import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, assert, describe, it } from "vitest"

const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")
const work = mkdtempSync(path.join(os.tmpdir(), "mdp-cli-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// No inherited credentials, and a home without gcloud's files.
const cleanEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: work, CLOUDSDK_CONFIG: path.join(work, "gcloud") }
  for (const key of Object.keys(env)) if (/^(GOOGLE_|META_|K_SERVICE|CLOUD_RUN)/.test(key)) delete env[key]
  return env
}

const run = async (args: ReadonlyArray<string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [mdp, ...args], { env: cleanEnv(), cwd: work })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string }
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr }
  }
}

/** One sentence and a hint, on stderr, exit code 1, no stack trace. */
const assertUserError = (result: { code: number; stderr: string }, sentence: RegExp) => {
  assert.strictEqual(result.code, 1, result.stderr)
  assert.match(result.stderr, /^error: /)
  assert.match(result.stderr, sentence)
  assert.match(result.stderr, /\nhint: /)
  assert.notMatch(result.stderr, /\n\s+at /)
}

const settingsFile = (name: string, content: string) => {
  const file = path.join(work, name)
  writeFileSync(file, content)
  return file
}

describe("mdp command line", () => {
  it("lists its commands, and every command has a help", async () => {
    const top = await run(["--help"])
    assert.strictEqual(top.code, 0)
    const commands = ["pipeline", "ingest", "transform", "test", "compile", "query", "report", "status"]
    const helps = await Promise.all(commands.map((command) => run([command, "--help"])))
    commands.forEach((command, i) => {
      assert.include(top.stdout, `  ${command} `)
      assert.strictEqual(helps[i]!.code, 0, `${command} --help`)
      assert.match(helps[i]!.stdout, new RegExp(`^Usage: mdp ${command}`))
    })
  }, 120_000)

  it("a bad date, an unknown source and an unknown option are one sentence each", async () => {
    assertUserError(await run(["ingest", "--from", "2026-13-01", "--to", "2026-12-01", "--no-load"]), /--from must be a date as YYYY-MM-DD/)
    assertUserError(await run(["ingest", "--source", "tiktok_ads", "--no-load"]), /unknown source "tiktok_ads"/)
    assertUserError(await run(["transform", "--colour"]), /Unknown option '--colour'/)
    assertUserError(await run(["nonsense"]), /"nonsense" is not an mdp command/)
  }, 120_000)

  it("a live source without its credentials says which variable is missing", async () => {
    const config = settingsFile("live.yaml", "sources:\n  sample: { enabled: false }\n  meta_ads:\n    account_ids: ['123']\n")
    assertUserError(await run(["ingest", "--config", config, "--no-load"]), /META_ACCESS_TOKEN/)
  }, 30_000)

  it("the gcp target without credentials fails with one clear sentence", async () => {
    const config = settingsFile("gcp.yaml", "target: gcp\ngcp:\n  project: mdp-prod\n  raw_bucket: mdp-raw\n")
    assertUserError(await run(["ingest", "--config", config]), /no Google Cloud credentials found/)
    assertUserError(await run(["transform", "--target", "gcp", "--dry-run", "--config", config]), /no Google Cloud credentials found/)
  }, 30_000)

  it("a warehouse file locked by another process is named, with what to do", async () => {
    const file = path.join(work, "locked.duckdb")
    const holder = await DuckDBInstance.create(file)
    const connection = await holder.connect()
    await connection.run("CREATE TABLE t AS SELECT 1 AS x")
    try {
      assertUserError(await run(["query", "--warehouse", file, "select 1"]), /is in use by another process/)
    } finally {
      connection.disconnectSync()
      holder.closeSync()
    }
  }, 30_000)
})
