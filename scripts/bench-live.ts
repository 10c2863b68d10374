/**
 * `npm run bench:live`: ingestion through the live Google Ads client (google-ads-api, REST
 * `googleAds:searchStream`), with Google's servers answered inside this process. The sample bench
 * measures our own pipeline on rows handed over in the SDK's shape; this one measures the path an
 * agency's `npm run ingest` takes, SDK and its JSON parsing included, and the memory it needs.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import path from "node:path"
import { Readable } from "node:stream"
import axios from "axios"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import nock from "nock"
import { addDays, eachDay } from "../ingestion/core/dates.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { ingest } from "../ingestion/ingest.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { dailyStats, googleAdsRow, sampleAccounts, sampleCampaigns, type SampleAccount } from "../ingestion/sources/sample/generator.ts"
import { UsageError, parse, repositoryRoot, runCommand, table } from "./cli-support.ts"

const help = `Usage: npm run bench:live -- [--rows N] [--accounts K] [--out DIR]

Ingests about N rows (default 100,000) of campaign daily statistics from K Google Ads accounts
(default 1, fetched at once) through the real google-ads-api client into a local raw zone. No
network and no credentials: a server on 127.0.0.1 answers in Google's place (the client's calls
are redirected to it), with the sample's rows in searchStream's documented response shape,
generated as they are sent.

Prints rows/s (wall, and per CPU second of all threads, the stand-in server's generation taken
off), the memory that loading the client costs before any row, and peak memory (RSS). Runs with
Node's default heap limit, as \`npm run ingest\` does. The result is saved as JSON in data/bench/
or in --out DIR.`

const NOW = Date.parse("2026-11-25T12:00:00Z")
const GOOGLE_BATCH = 10_000
const PIECE_BYTES = 64 * 1024
// Share of campaign-days with delivery in the sample (paused campaigns stop delivering).
const DELIVERY = 0.93
const DAYS = 365

const mb = (bytes: number) => bytes / 2 ** 20
const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The stand-in server's work, timed apart from ingestion, as in the sample bench. */
const generation = { ms: 0 }

/**
 * A searchStream response body: a JSON array of batches of up to 10,000 rows, as Google sends.
 * Generated batch by batch as the client reads, so the server side never holds the whole answer.
 */
function* searchStreamBody(account: SampleAccount, campaignsPerAccount: number, from: string, to: string, asOfDay: string) {
  const campaigns = sampleCampaigns(42, account, "google_ads", campaignsPerAccount)
  const fieldMask =
    "customer.resourceName,customer.id,customer.descriptiveName,customer.currencyCode,customer.timeZone,campaign.resourceName,campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType,segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,metrics.conversionsValue"
  let results: Array<unknown> = []
  let batches = 0
  const encode = () => {
    const text = `${batches === 0 ? "" : ","}${JSON.stringify({ results, fieldMask, requestId: `bench-${account.id}-${batches}` })}`
    batches++
    results = []
    return Buffer.from(text)
  }
  yield Buffer.from("[")
  let started = performance.now()
  for (const day of eachDay(from, to)) {
    for (const campaign of campaigns) {
      const stats = dailyStats(42, account, campaign, day, asOfDay)
      if (stats === undefined) continue
      results.push(googleAdsRow(account, campaign, day, stats, asOfDay))
      if (results.length === GOOGLE_BATCH) {
        const bytes = encode()
        generation.ms += performance.now() - started
        for (let at = 0; at < bytes.length; at += PIECE_BYTES) yield bytes.subarray(at, at + PIECE_BYTES)
        started = performance.now()
      }
    }
  }
  const last = results.length > 0 ? encode() : Buffer.alloc(0)
  generation.ms += performance.now() - started
  for (let at = 0; at < last.length; at += PIECE_BYTES) yield last.subarray(at, at + PIECE_BYTES)
  yield Buffer.from("]")
}

const program = Effect.gen(function* () {
  const { values } = yield* parse(process.argv.slice(2), { rows: { type: "string" }, accounts: { type: "string" }, out: { type: "string" } })
  if (values.help === true) {
    console.log(help)
    return 0
  }
  const rows = Number(values.rows ?? "100000")
  if (!Number.isInteger(rows) || rows < 1000) return yield* new UsageError({ reason: `--rows takes a whole number of at least 1000, not "${values.rows}"` })
  const accountCount = Number(values.accounts ?? "1")
  if (!Number.isInteger(accountCount) || accountCount < 1 || accountCount > 9) {
    return yield* new UsageError({ reason: `--accounts takes a whole number from 1 to 9, not "${values.accounts}"` })
  }
  const campaignsPerAccount = Math.max(1, Math.round(rows / (accountCount * DAYS * DELIVERY)))
  const accounts: ReadonlyArray<SampleAccount> = Array.from({ length: accountCount }, (_, i) => ({
    ...sampleAccounts.google_ads[i % 2]!,
    index: i + 1,
    id: String(1_000_000_001 + i)
  }))
  const to = addDays(new Date(NOW).toISOString().slice(0, 10), -2)
  const from = addDays(to, -(DAYS - 1))
  const outDir = path.resolve(values.out ?? path.join(repositoryRoot, "data", "bench"))
  const work = path.join(outDir, `work-live-${Date.now()}`)
  mkdirSync(work, { recursive: true })
  console.log(`Live Google Ads bench: about ${rows.toLocaleString("en")} rows (${accountCount} account(s) × ${campaignsPerAccount} campaigns × ${DAYS} days), work folder ${work}`)

  const before = process.memoryUsage()
  // As `npm run ingest` does: the client is loaded only when a Google Ads source is configured.
  const { makeGoogleAdsSource } = yield* Effect.promise(() => import("../ingestion/sources/google_ads/client.ts"))
  const loaded = process.memoryUsage()

  // Google's API answered by a server on 127.0.0.1: a real socket and its backpressure, as in
  // production (nock, which the tests use, hands a body over without one). Only the OAuth token
  // is intercepted by nock.
  let searchStreamRequests = 0
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const account = accounts.find((a) => request.url?.includes(`/customers/${a.id}/googleAds:searchStream`) === true)
      if (account === undefined) {
        response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: 404, message: `no such customer: ${request.url}` } }))
        return
      }
      searchStreamRequests++
      const { query } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { readonly query?: string }
      response.writeHead(200, { "content-type": "application/json" })
      if (/FROM customer\b/.test(query ?? "")) {
        const customer = { resourceName: `customers/${account.id}`, id: account.id, descriptiveName: account.name, currencyCode: account.currency, timeZone: account.timeZone }
        response.end(JSON.stringify([{ results: [{ customer }], fieldMask: "customer.id", requestId: "bench-account" }]))
        return
      }
      Readable.from(searchStreamBody(account, campaignsPerAccount, from, to, new Date(NOW).toISOString().slice(0, 10))).pipe(response)
    })
  })
  yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)))
  const { port } = server.address() as AddressInfo
  // google-ads-api sends its REST calls through the shared axios instance: they go to that server.
  const redirect = axios.interceptors.request.use((config) => {
    if (config.url !== undefined) config.url = config.url.replace(/^https:\/\/googleads\.googleapis\.com\//, `http://127.0.0.1:${port}/`)
    return config
  })
  nock.disableNetConnect()
  nock.enableNetConnect("127.0.0.1")
  nock("https://oauth2.googleapis.com").persist().post("/token").reply(200, { access_token: "ya29.bench", expires_in: 3599, token_type: "Bearer" })
  // A call the redirect missed fails at once, rather than waiting on a connection nock refuses.
  nock("https://googleads.googleapis.com").persist().post(/.*/).reply(404, { error: { code: 404, message: "not redirected to the bench's local server", status: "NOT_FOUND" } })

  const source = makeGoogleAdsSource(
    { customerIds: accounts.map((a) => a.id), lookbackDays: 14 },
    { clientId: "bench", clientSecret: Redacted.make("bench"), developerToken: Redacted.make("bench"), refreshToken: Redacted.make("bench") }
  )
  const cpuBefore = process.cpuUsage()
  const mainThreadBefore = process.threadCpuUsage()
  const started = performance.now()
  const summary = yield* Effect.gen(function* () {
    yield* TestClock.setTime(NOW)
    return yield* ingest({
      from,
      to,
      concurrency: accountCount,
      onAccountEnd: (outcome) =>
        console.log(`    ${outcome.account}: ${outcome.rows.toLocaleString("en")} rows${outcome.status === "succeeded" ? "" : ` (${outcome.status}: ${outcome.error ?? ""})`}`)
    })
  }).pipe(
    Effect.provide(Layer.mergeAll(RawZone.layerLocal(path.join(work, "raw")), SourceRegistry.layerFrom([source]))),
    Effect.provide(TestClock.layer()),
    Effect.ensuring(
      Effect.sync(() => {
        nock.cleanAll()
        nock.enableNetConnect()
        axios.interceptors.request.eject(redirect)
        server.close()
        rmSync(work, { recursive: true, force: true })
      })
    )
  )
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const mainThread = process.threadCpuUsage(mainThreadBefore)
  const peakRss = process.resourceUsage().maxRSS * 1024

  if (searchStreamRequests < accountCount * 2) {
    console.error(`The client's requests did not reach the local server (${searchStreamRequests} of at least ${accountCount * 2}): google-ads-api no longer sends them through the shared axios instance.`)
    return 1
  }
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const result = {
    rows: summary.rows,
    accounts: accountCount,
    failed_accounts: summary.accounts.filter((a) => a.status === "failed").length,
    ingest_rows_per_s: summary.rows / ((wallMs - generation.ms) / 1000),
    ingest_rows_per_cpu_s: summary.rows / (cpuSeconds - generation.ms / 1000),
    main_thread_us_per_row: (mainThread.user + mainThread.system - generation.ms * 1000) / summary.rows,
    generation_s: generation.ms / 1000,
    client_load_heap_mb: mb(loaded.heapUsed - before.heapUsed),
    client_load_rss_mb: mb(loaded.rss - before.rss),
    rss_after_client_load_mb: mb(loaded.rss),
    ingest_peak_rss_mb: mb(peakRss),
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.availableParallelism(),
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`
    },
    measured_at: new Date().toISOString()
  }
  console.log(
    "\n" +
      table(
        ["figure", "measured"],
        [
          [`ingestion through google-ads-api, on ${result.machine.cores} core(s)`, `${fmt(result.ingest_rows_per_s)} rows/s (${fmt(wallMs / 1000, 2)} s; generation ${fmt(result.generation_s, 2)} s apart)`],
          ["   on one core (CPU, all threads)", `${fmt(result.ingest_rows_per_cpu_s)} rows per CPU second`],
          ["   main thread", `${fmt(result.main_thread_us_per_row, 2)} µs CPU per row`],
          ["loading the client", `+${fmt(result.client_load_heap_mb)} MB JS heap, +${fmt(result.client_load_rss_mb)} MB RSS (${fmt(result.rss_after_client_load_mb)} MB then)`],
          ["peak memory (RSS)", `${fmt(result.ingest_peak_rss_mb)} MB`]
        ]
      ) +
      `\n\nMachine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memory_gb} GB, Node ${result.machine.node}`
  )
  mkdirSync(outDir, { recursive: true })
  const out = path.join(outDir, `bench-live-google_ads-${rows}-${result.measured_at.replace(/[:.]/g, "-")}.json`)
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`Saved ${path.relative(process.cwd(), out)}`)
  return result.failed_accounts === 0 ? 0 : 1
})

process.exitCode = await runCommand(program)
