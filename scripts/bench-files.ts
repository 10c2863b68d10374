/**
 * `npm run bench:files`: ingestion of a Microsoft Advertising export (the generic file connector)
 * holding several accounts, as a manager's report does. The export is generated first, from the
 * sample's campaigns and days, and its generation is not timed; then `ingest` lists the accounts
 * and fetches each one, as `npm run ingest` does with a folder of exports.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs"
import path from "node:path"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { addDays } from "../ingestion/core/dates.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { IngestProgress } from "../ingestion/progress.ts"
import { ingest } from "../ingestion/ingest.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { makeMicrosoftAdsSource } from "../ingestion/sources/microsoft_ads/source.ts"
import { SAMPLE_DELIVERY, dailyStats, sampleAccounts, sampleCampaigns, type SampleAccount } from "../ingestion/sources/sample/generator.ts"
import { UsageError, benchMachine, commandNowMs, parse, positiveInteger, reportBench, repositoryRoot, runCommand, usableCores } from "./cli-support.ts"

const help = `Usage: npm run bench:files -- [--rows N] [--accounts K] [--format csv|ndjson] [--out DIR]

Generates one Microsoft Advertising campaign performance report of about N rows (default
300,000) over K accounts (default 4) and a year of days, as CSV (default) or NDJSON, then
ingests it through the file connector into a local raw zone, 4 accounts at once, as
\`npm run ingest\` does with a folder of exports. Generating the export is not timed.

Prints rows/s (wall, and per CPU second of all the process's threads) and the process's peak
memory (RSS). The result is saved as JSON in data/bench/ or in --out DIR.`

// The command clock (MDP_NOW pins it), read once: the sample's dates follow it.
const NOW = commandNowMs()
const AS_OF_DAY = new Date(NOW).toISOString().slice(0, 10)
const SEED = 42
const DAYS = 365
const COLUMNS = ["AccountId", "AccountName", "CampaignId", "CampaignName", "CampaignStatus", "TimePeriod", "Impressions", "Clicks", "Spend", "Conversions", "Revenue", "CurrencyCode"]

const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const csvField = (value: string) => `"${value.replaceAll('"', '""')}"`

/** The export, written as it is generated, day by day and account by account as a report lists them. */
const writeExport = (file: string, format: "csv" | "ndjson", accounts: ReadonlyArray<SampleAccount>, campaignsPerAccount: number, from: string) => {
  const campaigns = accounts.map((account) => sampleCampaigns(SEED, account, "google_ads", campaignsPerAccount))
  const fd = openSync(file, "w")
  let rows = 0
  try {
    if (format === "csv") writeSync(fd, `${COLUMNS.map(csvField).join(",")}\n`)
    for (let d = 0; d < DAYS; d++) {
      const day = addDays(from, d)
      const lines: Array<string> = []
      accounts.forEach((account, a) => {
        for (const campaign of campaigns[a]!) {
          const stats = dailyStats(SEED, account, campaign, day, AS_OF_DAY)
          if (stats === undefined) continue
          const values = [account.id, account.name, campaign.id, campaign.name, "Active", day, String(stats.impressions), String(stats.clicks), stats.spend.toFixed(2), stats.conversions.toFixed(2), stats.conversionValue.toFixed(2), account.currency]
          lines.push(format === "csv" ? values.map(csvField).join(",") : JSON.stringify(Object.fromEntries(COLUMNS.map((column, i) => [column, values[i]]))))
        }
      })
      if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`)
      rows += lines.length
    }
  } finally {
    closeSync(fd)
  }
  return rows
}

const program = Effect.gen(function* () {
  const { values } = yield* parse(process.argv.slice(2), { rows: { type: "string" }, accounts: { type: "string" }, format: { type: "string" }, out: { type: "string" } })
  if (values.help === true) {
    console.log(help)
    return 0
  }
  const rows = yield* positiveInteger(values.rows, "--rows", 300_000)
  if (rows < 1000) return yield* new UsageError({ reason: `--rows takes a whole number of at least 1000, not "${values.rows}"` })
  const accountCount = yield* positiveInteger(values.accounts, "--accounts", 4)
  const format = values.format ?? "csv"
  if (format !== "csv" && format !== "ndjson") return yield* new UsageError({ reason: `--format takes csv or ndjson, not "${format}"` })
  const campaignsPerAccount = Math.max(1, Math.round(rows / (accountCount * DAYS * SAMPLE_DELIVERY)))
  const accounts: ReadonlyArray<SampleAccount> = Array.from({ length: accountCount }, (_, i) => ({
    ...sampleAccounts.google_ads[i % 2]!,
    index: i + 1,
    id: String(150_001 + i),
    name: `Agency client ${i + 1} (Microsoft)`
  }))
  const to = addDays(AS_OF_DAY, -2)
  const from = addDays(to, -(DAYS - 1))
  const outDir = path.resolve(values.out ?? path.join(repositoryRoot, "data", "bench"))
  const work = path.join(outDir, `work-files-${Date.now()}`)
  const exports = path.join(work, "exports")
  mkdirSync(exports, { recursive: true })

  return yield* Effect.gen(function* () {
    console.log(`Files bench: one ${format.toUpperCase()} export, ${accountCount} account(s) × ${campaignsPerAccount} campaigns × ${DAYS} days, work folder ${work}`)
    const generationStarted = performance.now()
    const generated = writeExport(path.join(exports, `campaign_performance.${format}`), format, accounts, campaignsPerAccount, from)
    console.log(`  generated ${fmt(generated)} rows in ${fmt((performance.now() - generationStarted) / 1000, 1)} s (not timed below)`)

    const source = makeMicrosoftAdsSource({ folder: exports, format, timeZone: "UTC", lookbackDays: 7, spillFolder: path.join(work, "tmp") })
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    const summary = yield* Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      return yield* ingest({ from, to, concurrency: 4 }).pipe(
        Effect.provideService(IngestProgress, {
          accountStarted: () => Effect.void,
          accountEnded: (outcome) => Effect.sync(() => console.log(`    ${outcome.account}: ${fmt(outcome.rows)} rows${outcome.status === "succeeded" ? "" : ` (${outcome.status}: ${outcome.error ?? ""})`}`))
        })
      )
    }).pipe(Effect.provide(Layer.mergeAll(RawZone.layerLocal(path.join(work, "raw")), SourceRegistry.layerFrom([source]))), Effect.provide(TestClock.layer()))
    const wallMs = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    const result = {
      source: "microsoft_ads",
      format,
      rows: summary.rows,
      accounts: accountCount,
      failed_accounts: summary.accounts.filter((a) => a.status === "failed").length,
      quarantined: summary.quarantined,
      ingest_rows_per_s: summary.rows / (wallMs / 1000),
      ingest_rows_per_cpu_s: summary.rows / ((cpu.user + cpu.system) / 1e6),
      ingest_peak_rss_mb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
      machine: benchMachine(),
      measured_at: new Date().toISOString()
    }
    reportBench(
      [
        [`ingestion of the export, on ${usableCores()}`, `${fmt(result.ingest_rows_per_s)} rows/s (${fmt(wallMs / 1000, 2)} s)`],
        ["   on one core (CPU, all threads)", `${fmt(result.ingest_rows_per_cpu_s)} rows per CPU second`],
        ["peak memory (RSS)", `${fmt(result.ingest_peak_rss_mb)} MB`]
      ],
      result,
      path.join(outDir, `bench-files-${format}-${rows}-${accountCount}-${result.measured_at.replace(/[:.]/g, "-")}.json`)
    )
    return result.failed_accounts === 0 ? 0 : 1
  }).pipe(Effect.ensuring(Effect.sync(() => rmSync(work, { recursive: true, force: true }))))
})

runCommand(program)
