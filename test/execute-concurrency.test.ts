// The runner's default concurrency: half the cores when the tables are large enough for DuckDB to
// spread each query over all of them, every core when they are not, or the run is incremental.
import { describe, expect, it } from "vitest"
import { defaultConcurrency } from "../runner/execute.ts"

describe("defaultConcurrency", () => {
  it("builds from tables of a row group per core or more run half the cores' worth of actions", () => {
    expect(defaultConcurrency(false, 2 * 122_880, 2)).toBe(1)
    expect(defaultConcurrency(false, 10_000_000, 2)).toBe(1)
    expect(defaultConcurrency(false, 8 * 122_880, 8)).toBe(4)
    expect(defaultConcurrency(false, 10_000_000, 1)).toBe(1)
  })

  it("builds from smaller tables, and incremental runs over built tables, run as many actions as cores", () => {
    expect(defaultConcurrency(false, 2 * 122_880 - 1, 2)).toBe(2)
    expect(defaultConcurrency(false, 0, 8)).toBe(8)
    expect(defaultConcurrency(true, 10_000_000, 2)).toBe(2)
    expect(defaultConcurrency(true, 0, 1)).toBe(1)
  })
})
