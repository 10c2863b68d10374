// The benchmark is not a test; this only checks, at the smallest size, that it still runs end to
// end and saves the figures the issue names. No timing is asserted. The live-client and
// file-export benchmarks have their own smoke runs in test/bench/ (`npm run test:bench`).
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, describe, it } from "vitest"

const bench = path.resolve(import.meta.dirname, "..", "scripts", "bench.ts")
const out = mkdtempSync(path.join(os.tmpdir(), "mdp-bench-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))
const positiveNumber = (result: Record<string, unknown>, key: string) =>
  assert.isTrue(typeof result[key] === "number" && Number.isFinite(result[key]) && result[key] > 0, `${key}: ${String(result[key])}`)

describe("npm run bench (smoke check at 1,000 rows)", () => {
  it("measures every figure, prints them beside their targets and saves them as JSON in --out", async () => {
    // Years ahead of any date the code or its data was written on: the bench's dates follow the clock.
    const env = { ...process.env, MDP_NOW: "2031-02-28" }
    // One round and one start-up run each: every figure's code path, at half the time of the defaults.
    const { stdout } = await promisify(execFile)(process.execPath, ["--max-old-space-size=256", bench, "--rows", "1000", "--pairs", "1", "--startup-runs", "1", "--out", out], {
      maxBuffer: 16 * 1024 * 1024,
      env
    })
    for (const line of ["on one core", "≥ 200,000 rows/s on one core", "2. load vs DuckDB native read", "3. transform vs direct DuckDB", "3. transform vs the limit", "6. mdp --help", "(median of 1;", "limit (1 round)…", "(one run each)…", "default pipeline", "4. incremental day vs full refresh", "5. compile / translate"]) {
      assert.include(stdout, line)
    }
    // The work folder (raw zone, DuckDB files) is removed; only the result stays.
    const saved = readdirSync(out)
    assert.strictEqual(saved.length, 1, saved.join(", "))
    assert.match(saved[0]!, /^bench-\d+-.+\.json$/)
    const result = JSON.parse(readFileSync(path.join(out, saved[0]!), "utf8")) as Record<string, unknown>
    const ratios = ["load_vs_native_ratio", "transform_vs_direct_ratio", "transform_vs_limit_ratio", "incremental_vs_full_ratio"]
    const startup = ["pipeline_s", "help_s", "query_s", "pipeline_peak_rss_mb", "transform_peak_rss_mb"]
    for (const key of ["rows", "ingest_rows_per_s", "ingest_rows_per_cpu_s", "ingest_peak_rss_mb", "compile_s", ...ratios, ...startup]) positiveNumber(result, key)
    // The limit computes the mart the runner wrote, row for row.
    assert.strictEqual(result["limit_differing_rows"], 0)
    assert.isAtLeast(result["rows"] as number, 900)
    assert.strictEqual(result["failed_actions"], 0)
    assert.containsAllKeys(result["machine"], ["cpu", "cores", "memory_gb", "node"])
  })
})

