import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, assert, describe, it } from "vitest"
import { daysBetween } from "../ingestion/core/dates.ts"
import { SAMPLE_PLATFORMS } from "../ingestion/sources/sample/source.ts"
import { onlyPlatformsSettings } from "./support/platform-subset.ts"
import { makeTempProject } from "./support/dataform-project.ts"

const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")
const work = mkdtempSync(path.join(os.tmpdir(), "mdp-cli-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// No inherited credentials, and a home without gcloud's files.
const cleanEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: work, CLOUDSDK_CONFIG: path.join(work, "gcloud") }
  for (const key of Object.keys(env)) if (/^(GOOGLE_|META_|K_SERVICE|CLOUD_RUN)/.test(key)) delete env[key]
  return env
}

const run = async (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [mdp, ...args], { env: { ...cleanEnv(), ...env }, cwd: work, maxBuffer: 16 * 1024 * 1024 })
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
    const commands = ["pipeline", "ingest", "transform", "test", "compile", "sources", "query", "report", "status", "verify"]
    const helps = await Promise.all(commands.map((command) => run([command, "--help"])))
    commands.forEach((command, i) => {
      assert.include(top.stdout, `  ${command} `)
      assert.strictEqual(helps[i]!.code, 0, `${command} --help`)
      assert.match(helps[i]!.stdout, new RegExp(`^Usage: mdp ${command}`))
    })
  }, 120_000)

  it("a bad date, an unknown source and an unknown option are one sentence each", async () => {
    assertUserError(await run(["ingest", "--from", "2026-13-01", "--to", "2026-12-01", "--no-load"]), /--from must be a date as YYYY-MM-DD/)
    assertUserError(await run(["ingest", "--source", "acme_ads", "--no-load"]), /unknown source "acme_ads"/)
    assertUserError(await run(["transform", "--colour"]), /Unknown option '--colour'/)
    assertUserError(await run(["ingest", "--fro", "2026-11-01"]), /Unknown option '--fro' \(did you mean "--from"\?\)/)
    assertUserError(await run(["nonsense"]), /"nonsense" is not an mdp command\./)
    assertUserError(await run(["pipline"]), /"pipline" is not an mdp command \(did you mean "pipeline"\?\)/)
    assertUserError(await run(["ingest", "--from", "2099-01-01", "--to", "2099-01-31", "--no-load"]), /--from 2099-01-01 is in the future: no account has a complete day after/)
    const mistyped = path.join(work, "no-such-folder", "w.duckdb")
    assertUserError(await run(["transform", "--warehouse", mistyped]), /--warehouse .*: the folder .*no-such-folder does not exist/)
    assert.isFalse(existsSync(path.dirname(mistyped)), "a mistyped path creates nothing")
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

  it("mdp transform on a project's operation with EXPORT DATA writes the file under exports/ beside the warehouse, and says so", async () => {
    const project = makeTempProject({
      "definitions/export_rows.sqlx": `config { type: "operations", description: "Exports two rows." }
EXPORT DATA OPTIONS (uri = 'gs://reports-bucket/daily/rows-*.csv', format = 'CSV', header = true) AS
SELECT n, n * 2 AS twice FROM UNNEST([1, 2]) AS n ORDER BY n`
    })
    try {
      mkdirSync(path.dirname(project.warehouseFile), { recursive: true })
      const result = await run(["transform", "--project-dir", project.dir, "--warehouse", project.warehouseFile])
      assert.strictEqual(result.code, 0, result.stdout + result.stderr)
      const exports = path.join(path.dirname(project.warehouseFile), "exports")
      assert.strictEqual(readFileSync(path.join(exports, "reports-bucket", "daily", "rows-000000000000.csv"), "utf8"), "n,twice\n1,2\n2,4\n")
      assert.include(result.stdout, `Exports: 1 file(s) written under ${exports}`)
      // A dry run shows the export as its two queries, not as the runner's marker.
      const dry = await run(["transform", "--dry-run", "--project-dir", project.dir, "--warehouse", project.warehouseFile])
      assert.include(dry.stdout, "-- EXPORT DATA: the options, then the rows written to the exports folder\nSELECT 'gs://reports-bucket/daily/rows-*.csv' AS")
      assert.notInclude(dry.stdout, "mdp:export-data")
    } finally {
      project.cleanup()
    }
  }, 60_000)

  it("mdp sources init stubs the files a LOAD DATA reads (gs/<bucket>/<path>, the column list as header), and mdp transform loads them, or a file put there", async () => {
    const project = makeTempProject({
      "definitions/centers.sqlx": `config { type: "operations", schema: "raw", hasOutput: true, description: "Loads the distribution centers." }
LOAD DATA OVERWRITE \${self()} (id INT64, name STRING) FROM FILES (format = 'CSV', skip_leading_rows = 1, uris = ['gs://landing/centers/centers.csv'])`,
      "definitions/center_names.sqlx": `config { type: "view", schema: "marts", description: "Center names." }
select upper(name) as name from \${ref("centers")}`
    })
    try {
      mkdirSync(path.dirname(project.warehouseFile), { recursive: true })
      const init = await run(["sources", "init", "--project-dir", project.dir])
      assert.strictEqual(init.code, 0, init.stdout + init.stderr)
      const stub = path.join(project.dir, "test", "sources", "gs", "landing", "centers", "centers.csv")
      assert.strictEqual(readFileSync(stub, "utf8"), "id,name\n")
      const empty = await run(["transform", "--project-dir", project.dir, "--warehouse", project.warehouseFile])
      assert.strictEqual(empty.code, 0, empty.stdout + empty.stderr)
      writeFileSync(stub, 'id,name\n1,"Memphis, TN"\n')
      const loaded = await run(["transform", "--project-dir", project.dir, "--warehouse", project.warehouseFile])
      assert.strictEqual(loaded.code, 0, loaded.stdout + loaded.stderr)
      const names = await run(["query", "--warehouse", project.warehouseFile, "--format", "json", "select name from marts.center_names"])
      assert.deepStrictEqual(JSON.parse(names.stdout), [{ name: "MEMPHIS, TN" }])
      const dry = await run(["transform", "--dry-run", "--project-dir", project.dir, "--warehouse", project.warehouseFile])
      assert.include(dry.stdout, "-- LOAD DATA OVERWRITE")
      assert.notInclude(dry.stdout, "mdp:load-data")
    } finally {
      project.cleanup()
    }
  }, 60_000)

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

describe("mdp on any date (MDP_NOW pins the command clock)", () => {
  // Years after the sample's and the FX table's own dates: nothing may depend on today.
  const now = "2031-02-28"
  const localSettings = (name: string, extra = "") =>
    settingsFile(`${name}.yaml`, `warehouse: ${path.join(work, name, "warehouse.duckdb")}\nraw_zone: ${path.join(work, name, "raw")}\n${extra}`)

  it("the default pipeline fetches up to yesterday of the pinned day, and its data is fresh", async () => {
    const result = await run(["pipeline", "--config", localSettings("today")], { MDP_NOW: now })
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.include(result.stdout, "Pipeline succeeded")
    // Every platform's sample reaches the marts, fresh.
    for (const platform of SAMPLE_PLATFORMS) assert.include(result.stdout, `${platform}: newest day 2031-02-27, 1 day before ${now}: fresh`)
  }, 120_000)

  it("a backfill of an old window succeeds and says how stale each platform is", async () => {
    const result = await run(["pipeline", "--config", localSettings("backfill", onlyPlatformsSettings(["google_ads", "meta_ads"])), "--from", "2025-01-01", "--to", "2025-03-31"], { MDP_NOW: now })
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    const age = daysBetween("2025-03-31", now)
    for (const platform of ["google_ads", "meta_ads"]) {
      assert.include(result.stdout, `${platform}: newest day 2025-03-31, ${age} days before ${now}: warning: older than 3 days`)
    }
  }, 120_000)

  it("a platform past its configured error threshold fails the run loudly; the others only warn", async () => {
    const config = localSettings(
      "stale",
      `${onlyPlatformsSettings(["google_ads", "meta_ads"]).replace("models:\n", "models:\n  freshness:\n    warn_after_days: 2\n    platforms:\n      meta_ads: { error_after_days: 5 }\n")}`
    )
    const result = await run(["pipeline", "--config", config, "--from", "2031-02-10", "--to", "2031-02-20"], { MDP_NOW: now })
    assert.strictEqual(result.code, 1, result.stdout + result.stderr)
    assert.include(result.stdout, "Pipeline FAILED")
    assert.include(result.stdout, "FAILED mdp_assertions.campaign_performance_daily_freshness")
    assert.include(result.stdout, `meta_ads: newest day 2031-02-20, 8 days before ${now}: ERROR: older than 5 days`)
    assert.include(result.stdout, `google_ads: newest day 2031-02-20, 8 days before ${now}: warning: older than 2 days`)
    const status = await run(["status", "--config", config], { MDP_NOW: now })
    assert.strictEqual(status.code, 1)
    assert.include(status.stdout, "meta_ads: newest day 2031-02-20, 8 days before 2031-02-28: ERROR: older than 5 days")
  }, 120_000)

  it("a malformed MDP_NOW is a usage error", async () => {
    assertUserError(await run(["status"], { MDP_NOW: "next tuesday" }), /MDP_NOW must be a date/)
  }, 30_000)
})
