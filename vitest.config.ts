import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each runner test compiles a project with the Dataform CLI in a child process;
    // two workers match the two cores the CI machine has.
    maxWorkers: 2,
    globalSetup: ["test/setup/chromium.ts"]
  }
})
