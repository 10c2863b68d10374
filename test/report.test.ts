/// <reference lib="dom" />
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { chromium } from "playwright-core"
import { afterAll, assert, describe, it } from "vitest"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { ingest } from "../ingestion/ingest.ts"
import { loadRawZone, loadReferenceRates } from "../app/load.ts"
import { makeSampleSources, SAMPLE_PLATFORMS } from "../ingestion/sources/sample/source.ts"
import { transform } from "../runner/transform.ts"
import { localRawZone, localWarehouse } from "./support/local-layers.ts"
import { collectReportData, renderReport } from "../scripts/report/build.ts"
import { CHROMIUM } from "./support/chromium.ts"

const repository = path.resolve(import.meta.dirname, "..")
const work = mkdtempSync(path.join(os.tmpdir(), "mdp-report-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// A fixed day, never today.
const AS_OF = "2030-06-15"

const buildReport = Effect.gen(function* () {
  yield* TestClock.setTime(Date.parse(`${AS_OF}T12:00:00Z`))
  yield* ingest({ initialDays: 60 })
  yield* loadReferenceRates(path.join(repository, "ingestion", "reference", "fx_rates.csv"))
  yield* loadRawZone(KNOWN_PLATFORMS)
  const summary = yield* transform({ projectDir: repository, vars: { as_of: AS_OF } })
  const data = yield* collectReportData(summary, "test run")
  return renderReport(data)
}).pipe(
  Effect.provide(TestClock.layer()),
  Effect.provide(Layer.mergeAll(localRawZone(path.join(work, "raw")), SourceRegistry.layerFrom(makeSampleSources({ seed: 5 })), localWarehouse(":memory:")))
)

describe("the HTML report", () => {
  it("opens offline in headless Chromium with its KPI tiles, both charts and each platform's freshness", async (context) => {
    context.skip(!existsSync(CHROMIUM), `${CHROMIUM} is not installed (.ci/run installs Debian's chromium; locally: apt-get install chromium)`)
    const file = path.join(work, "index.html")
    writeFileSync(file, await Effect.runPromise(buildReport))
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } })
      const requests: Array<string> = []
      page.on("request", (request) => {
        if (!request.url().startsWith("file://")) requests.push(request.url())
      })
      const errors: Array<string> = []
      page.on("pageerror", (error) => errors.push(error.message))
      await page.goto(`file://${file}`)
      await page.waitForSelector("body[data-charts-rendered='true']", { timeout: 15_000 })
      assert.deepStrictEqual(errors, [])
      assert.deepStrictEqual(requests, [], "the report must not load anything from the network")
      const charts = await page.evaluate(() =>
        ["spend-chart", "roas-chart"].map((id) => {
          const canvas = document.getElementById(id) as HTMLCanvasElement
          const chart = (window as unknown as { Chart: { getChart: (c: HTMLCanvasElement) => { data: { datasets: Array<{ label: string; data: Array<number | null> }> } } | undefined } }).Chart.getChart(canvas)
          // A drawn canvas has coloured pixels; a blank one is uniformly transparent.
          const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data
          let coloured = 0
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) coloured++
          return { datasets: chart?.data.datasets.map((d) => d.label) ?? [], points: chart?.data.datasets[0]?.data.filter((v) => v !== null).length ?? 0, coloured }
        })
      )
      for (const chart of charts) {
        assert.sameMembers(chart.datasets, [...SAMPLE_PLATFORMS])
        assert.isAbove(chart.points, 50)
        assert.isAbove(chart.coloured, 5000)
      }
      const tiles = await page.locator(".tile .label").allTextContents()
      assert.deepStrictEqual(tiles, ["Spend", "Conversions", "CPA", "ROAS"])
      assert.match(await page.locator(".tile .value").first().textContent() ?? "", /€[\d,]+/)
      assert.include(await page.locator("body").textContent() ?? "", "assertions passed")
      const freshness = await page.locator("#freshness tr").evaluateAll((rows) => rows.map((row) => Array.from((row as HTMLTableRowElement).cells, (cell) => cell.textContent)))
      assert.deepStrictEqual(
        freshness.slice(1).map((cells) => [cells[0], cells[1], cells[2], cells[4]]),
        [...SAMPLE_PLATFORMS].sort().map((platform) => [platform, "2030-06-14", "1", "fresh"])
      )
      const screenshot = path.join(work, "report.png")
      await page.screenshot({ path: screenshot, fullPage: true })
      assert.isAbove(statSync(screenshot).size, 50_000)
    } finally {
      await browser.close()
    }
  }, 120_000)
})
