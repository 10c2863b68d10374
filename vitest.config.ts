import { defineConfig } from "vitest/config"

// Tests that compile a Dataform project, run the CLI or a benchmark; everything else is a unit
// test (`npm run test:unit`, the edit–test loop).
const integration = ["test/sources.test.ts", "test/error-messages.test.ts", "test/incremental.property.test.ts", "test/compile.test.ts", "test/runner.test.ts", "test/models.test.ts", "test/model-tests.test.ts", "test/report.test.ts", "test/cli.test.ts", "test/bench.test.ts", "test/platform-registry.test.ts", "test/goldens.test.ts", "test/safety.test.ts", "test/core2.test.ts", "test/plans-explain.test.ts", "test/public-projects.test.ts"]

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB spreads each query over the cores itself; two workers match the CI machine's two.
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
    // Two test files at once on two cores: each DuckDB on one thread rather than two per file taking
    // turns (a fifth less time for the suite). Processes the tests start inherit it.
    env: { MDP_DUCKDB_THREADS: "1" },
    projects: [
      // Unit files share their worker's modules (polyglot's WebAssembly, effect) instead of loading
      // them again per file: the unit loop took 32 s, 20 s so. Their state is per test or keyed.
      { extends: true, test: { name: "unit", isolate: false, include: ["test/**/*.test.ts"], exclude: [...integration, "test/bench/**"] } },
      { extends: true, test: { name: "integration", include: integration } },
      // The live-client and file-export benchmarks' smoke runs: `npm run test:bench`, not `npm test`.
      { extends: true, test: { name: "bench", include: ["test/bench/**/*.test.ts"] } }
    ]
  }
})
