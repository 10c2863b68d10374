/**
 * `npm run bench:live`: ingestion through a live source's real client (google-ads-api and REST
 * `googleAds:searchStream`, or facebook-nodejs-business-sdk and the Graph API's async insights
 * reports), with the platform's servers answered by a local process. The sample bench measures
 * our own pipeline on rows handed over in the SDK's shape; this one measures the path an agency's
 * `npm run ingest` takes, SDK and its parsing included, and the memory it needs.
 */
import { mkdirSync, rmSync } from "node:fs"
import { fork, type ChildProcess } from "node:child_process"
import { createRequire } from "node:module"
import path from "node:path"
import axios, { type AxiosInstance } from "axios"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import nock from "nock"
import { addDays } from "../ingestion/core/dates.ts"
import { SourceRegistry, type AdsSource } from "../ingestion/core/source.ts"
import { IngestProgress } from "../ingestion/progress.ts"
import { ingest } from "../ingestion/ingest.ts"
import { RawZone } from "../ingestion/raw-zone.ts"
import { SAMPLE_DELIVERY, sampleAccounts, type SampleAccount } from "../ingestion/sources/sample/generator.ts"
import type { PlatformConfig, PlatformMessage } from "./bench-live-platform.ts"
import { UsageError, benchMachine, commandNowMs, parse, reportBench, repositoryRoot, runCommand, usableCores } from "./cli-support.ts"

const help = `Usage: npm run bench:live -- [--source google_ads|meta_ads] [--rows N] [--accounts K] [--out DIR]

Ingests about N rows (default 100,000) of campaign daily statistics from K accounts (default 1,
fetched at once) of one source (default google_ads) through its real client into a local raw
zone: google-ads-api (REST searchStream, a few days per request) or facebook-nodejs-business-sdk
(an async insights report, paged 500 rows at a time). No network and no credentials: a server on 127.0.0.1, in a
process of its own, answers in the platform's place (the client's calls are redirected to it),
with the sample's rows in the API's documented response shape, generated as they are sent.

Prints rows/s (wall, end to end, and per CPU second of all the ingesting process's threads), the
memory that loading the client costs before any row, and the ingesting process's peak memory
(RSS). Runs with Node's default heap limit, as \`npm run ingest\` does. The result is saved as
JSON in data/bench/ or in --out DIR.`

// The command clock (MDP_NOW pins it), read once: the sample's dates follow it.
const NOW = commandNowMs()
const AS_OF_DAY = new Date(NOW).toISOString().slice(0, 10)
const SEED = 42
const DAYS = 365

const mb = (bytes: number) => bytes / 2 ** 20
const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The stand-in platform's next message of one kind; fails if it exits first. */
const platformAnswer = <K extends "port" | "requestsServed">(platform: ChildProcess, kind: K) =>
  Effect.callback<Extract<PlatformMessage, Record<K, number>>, Error>((resume) => {
    const onMessage = (message: PlatformMessage) => {
      if (!(kind in message)) return
      platform.off("exit", onExit)
      platform.off("message", onMessage)
      resume(Effect.succeed(message as Extract<PlatformMessage, Record<K, number>>))
    }
    const onExit = (code: number | null) => resume(Effect.fail(new Error(`the stand-in platform stopped (exit code ${code}) before it answered`)))
    platform.on("message", onMessage)
    platform.once("exit", onExit)
  })

const program = Effect.gen(function* () {
  const { values } = yield* parse(process.argv.slice(2), { source: { type: "string" }, rows: { type: "string" }, accounts: { type: "string" }, out: { type: "string" } })
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
  const platform = values.source ?? "google_ads"
  if (platform !== "google_ads" && platform !== "meta_ads") return yield* new UsageError({ reason: `--source takes google_ads or meta_ads, not "${platform}"` })
  const campaignsPerAccount = Math.max(1, Math.round(rows / (accountCount * DAYS * SAMPLE_DELIVERY)))
  const accounts: ReadonlyArray<SampleAccount> = Array.from({ length: accountCount }, (_, i) => ({
    ...sampleAccounts[platform][i % 2]!,
    index: i + 1,
    id: String(1_000_000_001 + i)
  }))
  const to = addDays(new Date(NOW).toISOString().slice(0, 10), -2)
  const from = addDays(to, -(DAYS - 1))
  const outDir = path.resolve(values.out ?? path.join(repositoryRoot, "data", "bench"))
  const work = path.join(outDir, `work-live-${Date.now()}`)
  mkdirSync(work, { recursive: true })
  console.log(`Live ${platform} bench: about ${rows.toLocaleString("en")} rows (${accountCount} account(s) × ${campaignsPerAccount} campaigns × ${DAYS} days), work folder ${work}`)

  const before = process.memoryUsage()
  // As `npm run ingest` does: a client is loaded only when its source is configured.
  const makeSource: () => AdsSource =
    platform === "google_ads"
      ? yield* Effect.promise(async () => {
          const { makeGoogleAdsSource } = await import("../ingestion/sources/google_ads/client.ts")
          return () =>
            makeGoogleAdsSource(
              { customerIds: accounts.map((a) => a.id), lookbackDays: 14 },
              { clientId: "bench-client", clientSecret: Redacted.make("bench-client-secret"), developerToken: Redacted.make("bench-developer-token"), refreshToken: Redacted.make("bench-refresh-token") }
            )
        })
      : yield* Effect.promise(async () => {
          const { makeMetaAdsSource } = await import("../ingestion/sources/meta_ads/client.ts")
          return () => makeMetaAdsSource({ accountIds: accounts.map((a) => a.id), lookbackDays: 28, pollInterval: "10 millis" }, { accessToken: Redacted.make("bench-access-token") })
        })
  const loaded = process.memoryUsage()

  // The platform's API answered by a server on 127.0.0.1, in a process of its own: a real socket
  // and its backpressure, as in production (nock, which the tests use, hands a body over without
  // one), and neither its work nor its memory counted as the client's.
  const config: PlatformConfig = { platform, accounts, campaignsPerAccount, window: { start: from, end: to }, asOfDay: AS_OF_DAY, seed: SEED }
  const standIn = yield* Effect.acquireRelease(
    Effect.sync(() => fork(path.join(import.meta.dirname, "bench-live-platform.ts"), [JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"] })),
    (child) => Effect.sync(() => child.kill())
  )
  const { port } = yield* platformAnswer(standIn, "port")
  // Both SDKs send their REST calls through axios, google-ads-api through its ES module and the
  // Meta SDK through its CommonJS one (two instances): the calls to the platform go to that server.
  const host = platform === "google_ads" ? /^https:\/\/googleads\.googleapis\.com\// : /^https:\/\/graph\.facebook\.com\//
  const instances: ReadonlyArray<AxiosInstance> = [axios, createRequire(import.meta.url)("axios") as AxiosInstance]
  const redirects = instances.map((instance) =>
    instance.interceptors.request.use((config) => {
      // Both SDKs send absolute URLs.
      if (config.url !== undefined) config.url = config.url.replace(host, `http://127.0.0.1:${port}/`)
      return config
    })
  )
  nock.disableNetConnect()
  nock.enableNetConnect("127.0.0.1")
  nock("https://oauth2.googleapis.com").persist().post("/token").reply(200, { access_token: "ya29.bench", expires_in: 3599, token_type: "Bearer" })
  // A call the redirect missed fails at once, rather than waiting on a connection nock refuses.
  for (const origin of ["https://googleads.googleapis.com", "https://graph.facebook.com"]) {
    const missed = { error: { code: 404, message: "not redirected to the bench's local server" } }
    nock(origin).persist().get(/.*/).reply(404, missed).post(/.*/).reply(404, missed)
  }
  const source = makeSource()
  const cpuBefore = process.cpuUsage()
  const mainThreadBefore = process.threadCpuUsage()
  const started = performance.now()
  const summary = yield* Effect.gen(function* () {
    yield* TestClock.setTime(NOW)
    return yield* ingest({
      from,
      to,
      concurrency: accountCount
    }).pipe(Effect.provideService(IngestProgress, { accountStarted: () => Effect.void, accountEnded: (outcome) => Effect.sync(() => console.log(`    ${outcome.account}: ${outcome.rows.toLocaleString("en")} rows${outcome.status === "succeeded" ? "" : ` (${outcome.status}: ${outcome.error ?? ""})`}`)) }))
  }).pipe(
    Effect.provide(Layer.mergeAll(RawZone.layerLocal(path.join(work, "raw")), SourceRegistry.layerFrom([source]))),
    Effect.provide(TestClock.layer()),
    Effect.ensuring(
      Effect.sync(() => {
        nock.cleanAll()
        nock.enableNetConnect()
        instances.forEach((instance, i) => instance.interceptors.request.eject(redirects[i]!))
        rmSync(work, { recursive: true, force: true })
      })
    )
  )
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const mainThread = process.threadCpuUsage(mainThreadBefore)
  const peakRss = process.resourceUsage().maxRSS * 1024
  standIn.send("report")
  const { requestsServed, cpuSeconds: platformCpuSeconds } = yield* platformAnswer(standIn, "requestsServed")

  if (requestsServed < accountCount * 2) {
    console.error(`The client's requests did not reach the local server (${requestsServed} of at least ${accountCount * 2}): the SDK no longer sends them through axios.`)
    return 1
  }
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const result = {
    source: platform,
    rows: summary.rows,
    accounts: accountCount,
    failed_accounts: summary.accounts.filter((a) => a.status === "failed").length,
    ingest_rows_per_s: summary.rows / (wallMs / 1000),
    ingest_rows_per_cpu_s: summary.rows / cpuSeconds,
    main_thread_us_per_row: (mainThread.user + mainThread.system) / summary.rows,
    platform_cpu_s: platformCpuSeconds,
    client_load_heap_mb: mb(loaded.heapUsed - before.heapUsed),
    client_load_rss_mb: mb(loaded.rss - before.rss),
    rss_after_client_load_mb: mb(loaded.rss),
    ingest_peak_rss_mb: mb(peakRss),
    machine: benchMachine(),
    measured_at: new Date().toISOString()
  }
  reportBench(
    [
      [`ingestion through ${platform === "google_ads" ? "google-ads-api" : "facebook-nodejs-business-sdk"}, on ${usableCores()}`, `${fmt(result.ingest_rows_per_s)} rows/s (${fmt(wallMs / 1000, 2)} s; the stand-in platform answered in ${fmt(platformCpuSeconds, 2)} s of CPU)`],
      ["   on one core (the ingesting process's CPU, all threads)", `${fmt(result.ingest_rows_per_cpu_s)} rows per CPU second`],
      ["   main thread", `${fmt(result.main_thread_us_per_row, 2)} µs CPU per row`],
      ["loading the client", `+${fmt(result.client_load_heap_mb)} MB JS heap, +${fmt(result.client_load_rss_mb)} MB RSS (${fmt(result.rss_after_client_load_mb)} MB then)`],
      ["peak memory (RSS)", `${fmt(result.ingest_peak_rss_mb)} MB`]
    ],
    result,
    path.join(outDir, `bench-live-${platform}-${rows}-${result.measured_at.replace(/[:.]/g, "-")}.json`)
  )
  return result.failed_accounts === 0 ? 0 : 1
})

runCommand(Effect.scoped(program))
