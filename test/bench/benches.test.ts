// Smoke runs of the live-client and file-export benchmarks (`npm run test:bench`, outside
// `npm test`): at the smallest size they still run end to end and save their figures. No timing
// is asserted.
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, describe, it } from "vitest"

const benchLive = path.resolve(import.meta.dirname, "..", "..", "scripts", "bench-live.ts")
const benchFiles = path.resolve(import.meta.dirname, "..", "..", "scripts", "bench-files.ts")
const outLive = mkdtempSync(path.join(os.tmpdir(), "mdp-bench-live-"))
const outFiles = mkdtempSync(path.join(os.tmpdir(), "mdp-bench-files-"))
afterAll(() => {
  for (const folder of [outLive, outFiles]) rmSync(folder, { recursive: true, force: true })
})
const positiveNumber = (result: Record<string, unknown>, key: string) =>
  assert.isTrue(typeof result[key] === "number" && Number.isFinite(result[key]) && result[key] > 0, `${key}: ${String(result[key])}`)

describe("npm run bench:live (smoke check at 2,000 rows, two accounts)", () => {
  it.each([
    ["google_ads", "google-ads-api"],
    ["meta_ads", "facebook-nodejs-business-sdk"]
  ])("ingests %s through the real %s, the platform answered by a local process, and saves the figures", async (source, sdk) => {
    const { stdout } = await promisify(execFile)(process.execPath, [benchLive, "--source", source, "--rows", "2000", "--accounts", "2", "--out", outLive], {
      maxBuffer: 16 * 1024 * 1024
    })
    for (const line of [`ingestion through ${sdk}`, "on one core", "loading the client", "peak memory (RSS)"]) assert.include(stdout, line)
    const saved = readdirSync(outLive).filter((name) => name.startsWith(`bench-live-${source}-`))
    assert.strictEqual(saved.length, 1, readdirSync(outLive).join(", "))
    assert.match(saved[0]!, new RegExp(`^bench-live-${source}-2000-.+\\.json$`))
    const result = JSON.parse(readFileSync(path.join(outLive, saved[0]!), "utf8")) as Record<string, unknown>
    assert.strictEqual(result["source"], source)
    for (const key of ["ingest_rows_per_s", "ingest_rows_per_cpu_s", "main_thread_us_per_row", "ingest_peak_rss_mb", "platform_cpu_s"]) positiveNumber(result, key)
    // A collection during the import can leave the heap smaller than before it.
    assert.isTrue(Number.isFinite(result["client_load_heap_mb"]))
    // Both accounts' searchStream answers were parsed, mapped and written: none failed, none was empty.
    assert.strictEqual(result["failed_accounts"], 0)
    assert.strictEqual(result["accounts"], 2)
    assert.isAtLeast(result["rows"] as number, 1800)
    assert.isAtMost(result["rows"] as number, 2200)
  })
})

describe("npm run bench:files (smoke check at 2,000 rows, three accounts in one export)", () => {
  it.each(["csv", "ndjson"])("generates a %s export, ingests it through the file connector and saves the figures", async (format) => {
    const { stdout } = await promisify(execFile)(process.execPath, [benchFiles, "--rows", "2000", "--accounts", "3", "--format", format, "--out", outFiles], { maxBuffer: 16 * 1024 * 1024 })
    for (const line of ["ingestion of the export", "on one core", "peak memory (RSS)"]) assert.include(stdout, line)
    // The work folder (export, rows set aside, raw zone) is removed; only the result stays.
    const saved = readdirSync(outFiles).filter((name) => name.startsWith(`bench-files-${format}-`))
    assert.strictEqual(saved.length, 1, readdirSync(outFiles).join(", "))
    assert.isFalse(readdirSync(outFiles).some((name) => name.startsWith("work-")))
    const result = JSON.parse(readFileSync(path.join(outFiles, saved[0]!), "utf8")) as Record<string, unknown>
    for (const key of ["ingest_rows_per_s", "ingest_rows_per_cpu_s", "ingest_peak_rss_mb"]) positiveNumber(result, key)
    assert.deepStrictEqual([result["format"], result["accounts"], result["failed_accounts"], result["quarantined"]], [format, 3, 0, 0])
    assert.isAtLeast(result["rows"] as number, 1800)
    assert.isAtMost(result["rows"] as number, 2300)
  })
})
