import { BigQuery } from "@google-cloud/bigquery"
import { v1 } from "@google-cloud/dataform"
import { CRC32C, Storage } from "@google-cloud/storage"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { createHash, generateKeyPairSync } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { crc32 } from "node:zlib"
import nock from "nock"
import { afterEach, beforeEach } from "vitest"
import { MAX_LOAD_ATTEMPTS, ensureBigQueryRawTables, loadJobId, loadRawZoneIntoBigQuery } from "../ingestion/gcp/bigquery-load.ts"
import { BigQueryClient, StorageClient } from "../ingestion/gcp/clients.ts"
import { SourceRegistry } from "../ingestion/core/source.ts"
import { layerGcs, makeGcsLoadLedger, makeGcsRawZone } from "../ingestion/gcp/gcs-raw-zone.ts"
import { ingest } from "../ingestion/ingest.ts"
import { ndjsonLines, type RunManifest } from "../ingestion/raw-zone.ts"
import { makeSampleSources } from "../ingestion/sources/sample/source.ts"
import { BigQueryJobs, DataformApi, MAX_FAILED_POLLS, dataformRunArguments, estimateCosts, runWithDataformCli, runWorkflow } from "../runner/gcp.ts"
import { toProjectGraph } from "../runner/graph.ts"
import { resolveSettings, runIngestion } from "../app/ingestion.ts"

// Each call goes through the client a test points at its intercepted endpoint, provided as the
// composition root provides the real one.
const loadThrough = (client: BigQuery, ...args: Parameters<typeof loadRawZoneIntoBigQuery>) =>
  loadRawZoneIntoBigQuery(...args).pipe(Effect.provideService(BigQueryClient, client))
const ensureThrough = (client: BigQuery, ...args: Parameters<typeof ensureBigQueryRawTables>) =>
  ensureBigQueryRawTables(...args).pipe(Effect.provideService(BigQueryClient, client))
const runThrough = (client: v1.DataformClient, ...args: Parameters<typeof runWorkflow>) => runWorkflow(...args).pipe(Effect.provideService(DataformApi, client))
const estimateThrough = (client: BigQuery, ...args: Parameters<typeof estimateCosts>) => estimateCosts(...args).pipe(Effect.provideService(BigQueryJobs, client))

// A throwaway service account: the clients sign a JWT with it and exchange it at Google's token
// endpoint, which is intercepted like everything else.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } })
const credentials = { client_email: "mdp-ingest@mdp-prod.iam.gserviceaccount.com", private_key: privateKey }
const storage = () => new Storage({ projectId: "mdp-prod", credentials })
const bigquery = () => new BigQuery({ projectId: "mdp-prod", credentials, location: "EU" })

const gcs = () => nock("https://storage.googleapis.com")
const bq = () => nock("https://bigquery.googleapis.com")

beforeEach(() => {
  nock.disableNetConnect()
  nock("https://oauth2.googleapis.com").post("/token").times(20).reply(200, { access_token: "test-access-token", expires_in: 3600, token_type: "Bearer" })
})
afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

const manifest: RunManifest = {
  runId: "20261125T070000Z-abc123",
  startedAt: "2026-11-25T07:00:00.000Z",
  finishedAt: "2026-11-25T07:01:00.000Z",
  status: "complete",
  accounts: [
    {
      source: "google_ads",
      account: "1234567890",
      status: "succeeded",
      rows: 2,
      quarantined: 0,
      flags: [],
      file: "source=google_ads/stream=campaign_daily/ingest_date=2026-11-25/run=20261125T070000Z-abc123/account=1234567890.ndjson"
    }
  ]
}

/** The media part of a multipart upload (the JSON API's `uploadType=multipart`): metadata first, then the object's bytes. */
const uploadedMedia = async (request: Request): Promise<Buffer> => {
  const body = Buffer.from(await request.arrayBuffer())
  const boundary = /boundary=("?)([^";]+)\1/.exec(request.headers.get("content-type") ?? "")?.[2]
  if (boundary === undefined) throw new Error("not a multipart upload")
  const parts: Array<Buffer> = []
  let from = body.indexOf(`--${boundary}`)
  while (from !== -1) {
    const next = body.indexOf(`\r\n--${boundary}`, from + 1)
    if (next === -1) break
    const part = body.subarray(from, next)
    parts.push(part.subarray(part.indexOf("\r\n\r\n") + 4))
    from = next + 2
  }
  return parts[1]!
}

/** The object resource Cloud Storage answers an upload with, its digests those of `bytes` (base64, big-endian). */
const objectResource = (name: string, bytes: Buffer) => {
  const crc32c = new CRC32C()
  crc32c.update(bytes)
  return { bucket: "mdp-raw", name, size: String(bytes.length), md5Hash: createHash("md5").update(bytes).digest("base64"), crc32c: crc32c.toString() }
}

/** Answers uploads as Cloud Storage does, keeping what each stored: object name → bytes. */
const storeUploads = (stored: Map<string, Buffer>, accept: (name: string) => boolean = () => true) =>
  gcs()
    .post("/upload/storage/v1/b/mdp-raw/o")
    .query((q) => q["uploadType"] === "multipart" && accept(String(q["name"])))
    .times(20)
    .reply(200, async (request: Request) => {
      const name = new URL(request.url).searchParams.get("name") ?? ""
      const bytes = await uploadedMedia(request)
      stored.set(name, bytes)
      return objectResource(name, bytes)
    })

describe("Cloud Storage raw zone (real @google-cloud/storage, HTTP intercepted)", () => {
  it.live("uploads a raw file in one multipart request under its key, and counts rows and bytes", () =>
    Effect.gen(function* () {
      const stored = new Map<string, Buffer>()
      storeUploads(stored)
      const zone = makeGcsRawZone(storage(), "mdp-raw", "prod")
      const written = yield* zone.writeBatches("source=x/a.ndjson", Stream.make(ndjsonLines(['{"a":1}', '{"a":2}']), ndjsonLines(['{"a":3}'])))
      assert.deepStrictEqual([...stored.keys()], ["prod/source=x/a.ndjson"])
      assert.strictEqual(stored.get("prod/source=x/a.ndjson")?.toString("utf8"), '{"a":1}\n{"a":2}\n{"a":3}\n')
      assert.deepStrictEqual([written.rows, written.bytes], [3, 24])
      assert.strictEqual(zone.locate("source=x/a.ndjson"), "gs://mdp-raw/prod/source=x/a.ndjson")
    }))

  it.live("an object stored with other bytes than were sent is deleted, and the write fails", () =>
    Effect.gen(function* () {
      gcs()
        .post("/upload/storage/v1/b/mdp-raw/o")
        .query(true)
        .reply(200, async (request: Request) => {
          const bytes = await uploadedMedia(request)
          // One byte changed on the way: what the server reports is the digest of what it stored.
          return objectResource("source=x/a.ndjson", Buffer.concat([bytes.subarray(0, -1), Buffer.from("!")]))
        })
      const deleted = gcs().delete("/storage/v1/b/mdp-raw/o/source%3Dx%2Fa.ndjson").query(true).reply(204)
      const failure = yield* Effect.flip(makeGcsRawZone(storage(), "mdp-raw").writeBatches("source=x/a.ndjson", Stream.make(ndjsonLines(['{"a":1}']))))
      assert.strictEqual(failure._tag, "RawZoneError")
      assert.include(failure.message, "MD5 differs from those sent; the object was deleted")
      assert.isTrue(deleted.isDone())
    }))

  it.live("a refused upload fails the write with the service's reason", () =>
    Effect.gen(function* () {
      gcs().post("/upload/storage/v1/b/mdp-raw/o").query(true).reply(403, { error: { code: 403, message: "mdp-ingest does not have storage.objects.create access" } })
      const failure = yield* Effect.flip(makeGcsRawZone(storage(), "mdp-raw").writeBatches("source=x/a.ndjson", Stream.make(ndjsonLines(['{"a":1}']))))
      assert.include(failure.message, "does not have storage.objects.create access")
    }))

  it.live("an ingest run whose upload is refused names no file for that account and keeps its days to fetch again", () =>
    Effect.gen(function* () {
      gcs().get("/storage/v1/b/mdp-raw/o/_state%2Fgoogle_ads.json").query(true).reply(404, { error: { code: 404, message: "No such object" } })
      gcs()
        .post("/upload/storage/v1/b/mdp-raw/o")
        .query((q) => String(q["name"]).endsWith("account=1234567890.ndjson"))
        .reply(403, { error: { code: 403, message: "mdp-ingest does not have storage.objects.create access" } })
      const stored = new Map<string, Buffer>()
      storeUploads(stored, (name) => !name.endsWith("account=1234567890.ndjson"))
      const summary = yield* ingest({ sources: ["google_ads"], initialDays: 3 }).pipe(
        Effect.provide(Layer.mergeAll(layerGcs("mdp-raw").pipe(Layer.provide(Layer.succeed(StorageClient, storage()))), SourceRegistry.layerFrom(makeSampleSources({ seed: 1 }))))
      )
      assert.strictEqual(summary.status, "partial")
      const refused = summary.accounts.find((a) => a.account === "1234567890")!
      assert.strictEqual(refused.status, "failed")
      assert.include(refused.error, "storage.objects.create")
      // Manifest and state went through the same client (its default CRC32C check on each).
      const json = (prefix: string): unknown => JSON.parse([...stored].find(([name]) => name.startsWith(prefix))![1].toString("utf8"))
      const written = json("_manifests/") as RunManifest
      assert.deepStrictEqual(
        written.accounts.map((a) => [a.account, a.status, a.file === undefined ? "no file" : "file"]),
        [["1234567890", "failed", "no file"], ["2345678901", "succeeded", "file"]]
      )
      assert.isTrue(stored.has(written.accounts[1]!.file!))
      assert.isAbove(stored.get(written.accounts[1]!.file!)!.length, 0)
      const state = json("_state/google_ads.json") as Record<string, { lastCompleteDate?: string; lastStatus: string }>
      assert.deepStrictEqual([state["1234567890"]?.lastCompleteDate, state["1234567890"]?.lastStatus], [undefined, "failed"])
      assert.isDefined(state["2345678901"]?.lastCompleteDate)
    }))

  it.live("reads state (absent means empty) and manifests back", () =>
    Effect.gen(function* () {
      gcs().get("/storage/v1/b/mdp-raw/o/_state%2Fgoogle_ads.json").query(true).reply(404, { error: { code: 404, message: "No such object" } })
      gcs().get("/storage/v1/b/mdp-raw/o").query((q) => q["prefix"] === "_manifests/").reply(200, { items: [{ name: "_manifests/run=1.json", bucket: "mdp-raw" }] })
      gcs().get("/storage/v1/b/mdp-raw/o/_manifests%2Frun%3D1.json").query(true).reply(200, JSON.stringify(manifest))
      const zone = makeGcsRawZone(storage(), "mdp-raw")
      assert.deepStrictEqual(yield* zone.readState("google_ads"), {})
      const [read] = yield* zone.manifests()
      assert.strictEqual(read?.runId, manifest.runId)
    }))
})

describe("BigQuery raw tables and load jobs (real @google-cloud/bigquery, HTTP intercepted)", () => {
  it.live("creates missing raw tables with explicit schemas, partitioned by date and clustered", () =>
    Effect.gen(function* () {
      const created: Array<Record<string, unknown>> = []
      bq().get("/bigquery/v2/projects/mdp-prod/datasets/raw").query(true).reply(404, { error: { code: 404, message: "Not found: Dataset mdp-prod:raw" } })
      bq().post("/bigquery/v2/projects/mdp-prod/datasets", (body) => body.location === "EU").query(true).reply(200, { datasetReference: { projectId: "mdp-prod", datasetId: "raw" } })
      bq().get(/\/bigquery\/v2\/projects\/mdp-prod\/datasets\/raw\/tables\/.+/).query(true).times(2).reply(404, { error: { code: 404, message: "Not found" } })
      bq()
        .post("/bigquery/v2/projects/mdp-prod/datasets/raw/tables", (body) => (created.push(body), true))
        .query(true)
        .times(2)
        .reply(200, { tableReference: { projectId: "mdp-prod", datasetId: "raw", tableId: "created" } })
      yield* ensureThrough(bigquery(), { project: "mdp-prod", dataset: "raw", location: "EU" }, ["google_ads"])
      const raw = created.find((t) => (t["tableReference"] as { tableId: string }).tableId === "google_ads__campaign_daily")!
      assert.deepStrictEqual(raw["timePartitioning"], { type: "DAY", field: "date" })
      assert.deepStrictEqual(raw["clustering"], { fields: ["account_id", "campaign_id"] })
      const fields = (raw["schema"] as { fields: Array<{ name: string; type: string; mode: string; description: string }> }).fields
      assert.deepInclude(fields, { name: "payload", type: "JSON", mode: "NULLABLE", description: "The row exactly as the platform's API returned it." })
      assert.includeMembers(fields.map((f) => f.name), ["_run_id", "_ingested_at", "_record_hash", "account_id", "campaign_id", "date"])
      const quarantine = created.find((t) => (t["tableReference"] as { tableId: string }).tableId === "quarantine")!
      assert.deepStrictEqual(quarantine["timePartitioning"], { type: "DAY", field: "_ingested_at", expirationMs: String(180 * 86_400_000) })
    }))

  const target = { project: "mdp-prod", dataset: "raw", location: "EU" }
  const ledger = () => makeGcsLoadLedger(storage(), "mdp-raw", "", "mdp-prod.raw")
  const LEDGER_OBJECT = "_loaded/bigquery/mdp-prod.raw.json"
  const manifestObject = (m: RunManifest) => `_manifests/run=${m.runId}.json`
  /** The bucket's manifests, and its ledger holding `loadedRuns` (none when undefined): the run ids whose manifest was read. */
  const rawZoneHolds = (manifests: ReadonlyArray<RunManifest>, loadedRuns?: ReadonlyArray<string>, objects: ReadonlyMap<string, Buffer> = dataObjects(manifests)) => {
    const ledgerRead = gcs().get(`/storage/v1/b/mdp-raw/o/${encodeURIComponent(LEDGER_OBJECT)}`).query(true)
    if (loadedRuns === undefined) ledgerRead.reply(404, { error: { code: 404, message: "No such object" } })
    else ledgerRead.reply(200, JSON.stringify({ runs: loadedRuns }))
    gcs().get("/storage/v1/b/mdp-raw/o").query((q) => q["prefix"] === "_manifests/").reply(200, { items: manifests.map((m) => ({ name: manifestObject(m), bucket: "mdp-raw" })) })
    // The runs' files, read through by the load's check (metadata, then the bytes); a key the map lacks is missing.
    for (const m of manifests) {
      for (const key of m.accounts.flatMap((a) => [a.file, a.quarantineFile]).filter((k) => k !== undefined)) {
        const bytes = objects.get(key)
        const object = gcs().get(`/storage/v1/b/mdp-raw/o/${encodeURIComponent(key)}`)
        if (bytes === undefined) object.query(true).reply(404, { error: { code: 404, message: "No such object" } })
        else {
          object.query((q) => q["alt"] !== "media").reply(200, objectResource(key, bytes))
          gcs().get(`/storage/v1/b/mdp-raw/o/${encodeURIComponent(key)}`).query((q) => q["alt"] === "media").reply(200, bytes)
        }
      }
    }
    const read: Array<string> = []
    for (const m of manifests) {
      gcs()
        .get(`/storage/v1/b/mdp-raw/o/${encodeURIComponent(manifestObject(m))}`)
        .query(true)
        .reply(200, () => (read.push(m.runId), JSON.stringify(m)))
    }
    return read
  }
  /** Each file of the runs, as written: some NDJSON. */
  const dataObjects = (manifests: ReadonlyArray<RunManifest>) =>
    new Map(manifests.flatMap((m) => m.accounts.flatMap((a) => [a.file, a.quarantineFile])).filter((k) => k !== undefined).map((key) => [key, Buffer.from(`{"key":"${key}"}\n`)]))
  const ledgerWritten = (stored: Map<string, Buffer>) => (JSON.parse(stored.get(LEDGER_OBJECT)?.toString("utf8") ?? "null") as { runs: Array<string> } | null)?.runs
  const jobResource = (jobId: string, status: Record<string, unknown>) => ({ jobReference: { projectId: "mdp-prod", location: "EU", jobId }, status })
  const rateLimited = { state: "DONE", errorResult: { reason: "rateLimitExceeded", message: "Exceeded rate limits: too many table update operations for this table" } }
  /** `times` job insertions, each answered by `answer` for the job id it asks for; the ids asked for, in order. */
  const insertJobs = (times: number, answer: (jobId: string) => [number, unknown]) => {
    const asked: Array<string> = []
    bq()
      .post("/bigquery/v2/projects/mdp-prod/jobs")
      .query(true)
      .times(times)
      .reply(async (request: Request) => {
        const jobId = ((await request.json()) as { jobReference: { jobId: string } }).jobReference.jobId
        asked.push(jobId)
        return answer(jobId)
      })
    return asked
  }
  const exists = (jobId: string): [number, unknown] => [409, { error: { code: 409, message: `Already Exists: Job mdp-prod:EU.${jobId}`, status: "ALREADY_EXISTS" } }]

  it.live("loads each raw file with an append job whose id makes the load idempotent, retrying a 5xx, and records the run", () =>
    Effect.gen(function* () {
      rawZoneHolds([manifest])
      const stored = new Map<string, Buffer>()
      storeUploads(stored)
      const jobId = loadJobId(manifest.runId, manifest.accounts[0]!.file!)
      let request: Record<string, unknown> = {}
      bq().post("/bigquery/v2/projects/mdp-prod/jobs").query(true).reply(503, { error: { code: 503, message: "Backend error" } })
      bq()
        .post("/bigquery/v2/projects/mdp-prod/jobs", (body) => ((request = body), true))
        .query(true)
        .reply(200, jobResource(jobId, { state: "DONE" }))
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${jobId}`).query(true).reply(200, jobResource(jobId, { state: "DONE" }))
      const zone = makeGcsRawZone(storage(), "mdp-raw")
      const first = yield* loadThrough(bigquery(), zone, target, ledger())
      assert.deepStrictEqual(first, { loaded: 1, alreadyLoaded: 0, rejected: [] })
      assert.deepStrictEqual(request["jobReference"], { projectId: "mdp-prod", jobId, location: "EU" })
      const load = (request["configuration"] as { load: Record<string, unknown> }).load
      assert.deepStrictEqual(load["sourceUris"], [`gs://mdp-raw/${manifest.accounts[0]!.file}`])
      assert.strictEqual(load["sourceFormat"], "NEWLINE_DELIMITED_JSON")
      assert.strictEqual(load["writeDisposition"], "WRITE_APPEND")
      assert.strictEqual(load["createDisposition"], "CREATE_NEVER")
      assert.deepStrictEqual(load["destinationTable"], { projectId: "mdp-prod", datasetId: "raw", tableId: "google_ads__campaign_daily" })
      assert.deepStrictEqual(ledgerWritten(stored), [manifest.runId])

      // The same run with the ledger lost: BigQuery answers that the job exists, and it succeeded.
      rawZoneHolds([manifest])
      bq().post("/bigquery/v2/projects/mdp-prod/jobs").query(true).reply(...exists(jobId))
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${jobId}`).query(true).reply(200, jobResource(jobId, { state: "DONE" }))
      const second = yield* loadThrough(bigquery(), zone, target, ledger())
      assert.deepStrictEqual(second, { loaded: 0, alreadyLoaded: 1, rejected: [] })

      // With the run in the ledger, neither its manifest nor BigQuery is asked, and nothing is written.
      stored.clear()
      const read = rawZoneHolds([manifest], [manifest.runId])
      const third = yield* loadThrough(bigquery(), zone, target, ledger())
      assert.deepStrictEqual(third, { loaded: 0, alreadyLoaded: 0, rejected: [] })
      assert.deepStrictEqual([read, stored.size], [[], 0])
    }))

  it.live("a file missing from the bucket or changed since its run wrote it is set aside with its reason; the others load", () =>
    Effect.gen(function* () {
      const fileOf = (account: string) => manifest.accounts[0]!.file!.replace("1234567890", account)
      const bytes = (account: string) => Buffer.from(`{"account":"${account}"}\n`)
      const checksum = (data: Buffer) => crc32(data).toString(16).padStart(8, "0")
      const run: RunManifest = {
        ...manifest,
        accounts: ["1111111111", "2222222222", "3333333333"].map((account) => ({
          ...manifest.accounts[0]!,
          account,
          windowStart: "2026-11-20",
          windowEnd: "2026-11-24",
          file: fileOf(account),
          crc32: checksum(bytes(account))
        }))
      }
      // 1111111111 as written, 2222222222 replaced by other bytes, 3333333333 gone.
      rawZoneHolds([run], undefined, new Map([[fileOf("1111111111"), bytes("1111111111")], [fileOf("2222222222"), Buffer.from('{"x": bad\n')]]))
      const stored = new Map<string, Buffer>()
      storeUploads(stored)
      const asked = insertJobs(1, (jobId) => [200, jobResource(jobId, { state: "DONE" })])
      bq().get(/^\/bigquery\/v2\/projects\/mdp-prod\/jobs\/mdp_load_/).query(true).reply(200, jobResource(loadJobId(run.runId, fileOf("1111111111")), { state: "DONE" }))
      const result = yield* loadThrough(bigquery(), makeGcsRawZone(storage(), "mdp-raw"), target, ledger())
      assert.strictEqual(result.loaded, 1)
      assert.deepStrictEqual(asked, [loadJobId(run.runId, fileOf("1111111111"))], "only the intact file is loaded")
      const reasons = new Map(result.rejected.map((file) => [file.account, file]))
      assert.match(reasons.get("2222222222")!.reason, /^its CRC32 is [0-9a-f]{8}, not the [0-9a-f]{8} its run recorded: it changed after it was written$/)
      assert.strictEqual(reasons.get("3333333333")!.reason, "the file is missing")
      assert.deepInclude(reasons.get("3333333333"), { source: "google_ads", windowStart: "2026-11-20", windowEnd: "2026-11-24", file: `gs://mdp-raw/${fileOf("3333333333")}` })
      // The run is loaded as far as it can be: the next load neither asks again nor reports it again.
      assert.deepStrictEqual(ledgerWritten(stored), [run.runId])
    }))

  it.live("a file whose load job failed is loaded under the next job id, and only once", () =>
    Effect.gen(function* () {
      const base = loadJobId(manifest.runId, manifest.accounts[0]!.file!)
      const zone = makeGcsRawZone(storage(), "mdp-raw")
      storeUploads(new Map())
      // An earlier run's job for the file failed: its id is taken.
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${base}`).query(true).times(4).reply(200, jobResource(base, rateLimited))
      rawZoneHolds([manifest])
      const firstAsked = insertJobs(2, (jobId) => (jobId === base ? exists(jobId) : [200, jobResource(jobId, { state: "RUNNING" })]))
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${base}_2`).query(true).reply(200, jobResource(`${base}_2`, { state: "RUNNING" }))
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${base}_2`).query(true).times(3).reply(200, jobResource(`${base}_2`, { state: "DONE" }))
      const first = yield* loadThrough(bigquery(), zone, target, ledger())
      assert.deepStrictEqual(first, { loaded: 1, alreadyLoaded: 0, rejected: [] })
      assert.deepStrictEqual(firstAsked, [base, `${base}_2`])

      // Once more, without the ledger: both ids exist, the second succeeded, so nothing is loaded again.
      rawZoneHolds([manifest])
      const secondAsked = insertJobs(2, exists)
      const second = yield* loadThrough(bigquery(), zone, target, ledger())
      assert.deepStrictEqual(second, { loaded: 0, alreadyLoaded: 1, rejected: [] })
      assert.deepStrictEqual(secondAsked, [base, `${base}_2`])
    }))

  it.live("a file whose every load job failed stops the load, naming the last reason", () =>
    Effect.gen(function* () {
      rawZoneHolds([manifest])
      const asked = insertJobs(MAX_LOAD_ATTEMPTS, exists)
      bq()
        .get(/^\/bigquery\/v2\/projects\/mdp-prod\/jobs\/mdp_load_/)
        .query(true)
        .times(2 * MAX_LOAD_ATTEMPTS)
        .reply(200, async (request: Request) => jobResource(new URL(request.url).pathname.split("/").at(-1)!, rateLimited))
      const failure = yield* Effect.flip(loadThrough(bigquery(), makeGcsRawZone(storage(), "mdp-raw"), target, ledger()))
      assert.include(failure.message, `all ${MAX_LOAD_ATTEMPTS} load jobs failed, the last: Exceeded rate limits`)
      assert.strictEqual(asked.length, MAX_LOAD_ATTEMPTS)
    }))

  it.live("a load job that fails stops the load with BigQuery's reason; the runs loaded before it are recorded", () =>
    Effect.gen(function* () {
      const earlier: RunManifest = {
        ...manifest,
        runId: "20261124T070000Z-xyz789",
        accounts: [{ ...manifest.accounts[0]!, file: manifest.accounts[0]!.file!.replaceAll("20261125T070000Z-abc123", "20261124T070000Z-xyz789") }]
      }
      const earlierJob = loadJobId(earlier.runId, earlier.accounts[0]!.file!)
      const base = loadJobId(manifest.runId, manifest.accounts[0]!.file!)
      rawZoneHolds([earlier, manifest])
      const stored = new Map<string, Buffer>()
      storeUploads(stored)
      const asked = insertJobs(2, (jobId) => [200, jobResource(jobId, { state: "RUNNING" })])
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${earlierJob}`).query(true).reply(200, jobResource(earlierJob, { state: "DONE" }))
      bq().get(`/bigquery/v2/projects/mdp-prod/jobs/${base}`).query(true).times(2).reply(200, jobResource(base, rateLimited))
      const failure = yield* Effect.flip(loadThrough(bigquery(), makeGcsRawZone(storage(), "mdp-raw"), target, ledger()))
      assert.strictEqual(failure._tag, "BigQueryLoadError")
      assert.include(failure.message, `load job ${base}: Exceeded rate limits`)
      // The next run loads the file under the next id; this one makes no other job.
      assert.deepStrictEqual(asked, [earlierJob, base])
      assert.deepStrictEqual(ledgerWritten(stored), [earlier.runId])
    }))
})

describe("Dataform workflow trigger and cost guard (real @google-cloud/dataform and bigquery, HTTP intercepted)", () => {
  const repository = "projects/mdp-prod/locations/europe-west1/repositories/marketing"
  const dataform = () => new v1.DataformClient({ fallback: true, projectId: "mdp-prod", credentials })
  const api = () => nock("https://dataform.googleapis.com")

  it.live("compiles with the settings' vars, invokes the workflow and waits for its outcome", () =>
    Effect.gen(function* () {
      let compilationRequest: Record<string, unknown> = {}
      let invocationRequest: Record<string, unknown> = {}
      api().post(`/v1/${repository}/compilationResults`, (body) => ((compilationRequest = body), true)).query(true).reply(200, { name: `${repository}/compilationResults/c1` })
      api().post(`/v1/${repository}/workflowInvocations`, (body) => ((invocationRequest = body), true)).query(true).reply(200, { name: `${repository}/workflowInvocations/w1`, state: 1 })
      api().get(`/v1/${repository}/workflowInvocations/w1`).query(true).reply(200, { name: `${repository}/workflowInvocations/w1`, state: 1 })
      api().get(`/v1/${repository}/workflowInvocations/w1`).query(true).reply(200, { name: `${repository}/workflowInvocations/w1`, state: 2 })
      const outcome = yield* runThrough(dataform(), { repository, gitCommitish: "main", vars: { reporting_currency: "USD" }, schemaSuffix: "prod", tags: ["daily"], pollInterval: "10 millis" })
      assert.strictEqual(outcome.state, "SUCCEEDED")
      assert.deepStrictEqual(compilationRequest, { gitCommitish: "main", codeCompilationConfig: { vars: { reporting_currency: "USD" }, schemaSuffix: "prod" } })
      assert.strictEqual(invocationRequest["compilationResult"], `${repository}/compilationResults/c1`)
      assert.deepStrictEqual((invocationRequest["invocationConfig"] as Record<string, unknown>)["includedTags"], ["daily"])
    }))

  it.live("waiting goes on through passing failures of a poll, and stops at one that is not", () =>
    Effect.gen(function* () {
      const unavailable = { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } }
      api().post(`/v1/${repository}/compilationResults`).query(true).times(2).reply(200, { name: `${repository}/compilationResults/c4` })
      api().post(`/v1/${repository}/workflowInvocations`).query(true).reply(200, { name: `${repository}/workflowInvocations/w4`, state: 1 })
      // As many failures in a row as are tolerated, a poll that gets through, and as many again.
      const w4 = () => api().get(`/v1/${repository}/workflowInvocations/w4`).query(true)
      const polls = [w4().times(MAX_FAILED_POLLS).reply(503, unavailable), w4().reply(200, { name: `${repository}/workflowInvocations/w4`, state: 1 })]
      polls.push(w4().times(MAX_FAILED_POLLS).reply(503, unavailable), w4().reply(200, { name: `${repository}/workflowInvocations/w4`, state: 2 }))
      const outcome = yield* runThrough(dataform(), { repository, pollInterval: "10 millis" })
      assert.isTrue(polls.every((poll) => poll.isDone()))
      assert.strictEqual(outcome.state, "SUCCEEDED")

      api().post(`/v1/${repository}/workflowInvocations`).query(true).reply(200, { name: `${repository}/workflowInvocations/w5`, state: 1 })
      api().get(`/v1/${repository}/workflowInvocations/w5`).query(true).reply(503, unavailable)
      api().get(`/v1/${repository}/workflowInvocations/w5`).query(true).reply(403, { error: { code: 403, message: "Permission denied on the workflow invocation", status: "PERMISSION_DENIED" } })
      const failure = yield* Effect.flip(runThrough(dataform(), { repository, pollInterval: "10 millis" }))
      assert.include(failure.message, `waiting for ${repository}/workflowInvocations/w5 (it may still be running)`)
      assert.include(failure.message, "Permission denied")
    }))

  it.live("waiting gives up after too many passing failures in a row", () =>
    Effect.gen(function* () {
      api().post(`/v1/${repository}/compilationResults`).query(true).reply(200, { name: `${repository}/compilationResults/c6` })
      api().post(`/v1/${repository}/workflowInvocations`).query(true).reply(200, { name: `${repository}/workflowInvocations/w6`, state: 1 })
      const polls = api()
        .get(`/v1/${repository}/workflowInvocations/w6`)
        .query(true)
        .times(MAX_FAILED_POLLS + 1)
        .reply(503, { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } })
      const failure = yield* Effect.flip(runThrough(dataform(), { repository, pollInterval: "10 millis" }))
      assert.isTrue(polls.isDone())
      assert.include(failure.message, "currently unavailable")
    }))

  it.live("a failed workflow reports its failed actions", () =>
    Effect.gen(function* () {
      api().post(`/v1/${repository}/compilationResults`).query(true).reply(200, { name: `${repository}/compilationResults/c2` })
      api().post(`/v1/${repository}/workflowInvocations`).query(true).reply(200, { name: `${repository}/workflowInvocations/w2`, state: 4 })
      api()
        .get(`/v1/${repository}/workflowInvocations/w2:query`)
        .query(true)
        .reply(200, { workflowInvocationActions: [{ target: { schema: "marts", name: "campaign_performance_daily" }, state: 6, failureReason: "Query error: Division by zero" }, { target: { schema: "staging", name: "stg_meta_ads__campaign_daily" }, state: 4 }] })
      const outcome = yield* runThrough(dataform(), { repository, pollInterval: "10 millis" })
      assert.strictEqual(outcome.state, "FAILED")
      assert.deepStrictEqual(outcome.failedActions, ["marts.campaign_performance_daily: Query error: Division by zero"])
    }))

  it.live("compilation errors stop before any invocation", () =>
    Effect.gen(function* () {
      api().post(`/v1/${repository}/compilationResults`).query(true).reply(200, { name: `${repository}/compilationResults/c3`, compilationErrors: [{ path: "definitions/x.sqlx", message: "Unexpected token" }] })
      const error = yield* Effect.flip(runThrough(dataform(), { repository }))
      assert.include(error.message, "definitions/x.sqlx: Unexpected token")
    }))

  it.live("a failing call's error never carries the bearer token", () =>
    Effect.gen(function* () {
      // Nothing answers: the client's error echoes the whole request, Authorization header included.
      const error = yield* Effect.flip(runThrough(dataform(), { repository }))
      assert.notMatch(error.message, /Bearer\s+ey/)
      assert.isAtMost(error.message.length, 400)
    }))

  it.live("the cost guard dry-runs each action's BigQuery query and reports its bytes", () =>
    Effect.gen(function* () {
      const queries: Array<Record<string, unknown>> = []
      bq()
        .post("/bigquery/v2/projects/mdp-prod/jobs", (body) => (queries.push(body), true))
        .query(true)
        .times(2)
        .reply(200, { jobReference: { projectId: "mdp-prod", jobId: "dry", location: "EU" }, status: { state: "DONE" }, statistics: { totalBytesProcessed: "1048576" } })
      const graph = toProjectGraph({
        tables: [{ type: "table", target: { database: "mdp-prod", schema: "marts", name: "m" }, fileName: "definitions/m.sqlx", query: "select 1 as x" }],
        assertions: [{ target: { database: "mdp-prod", schema: "mdp_assertions", name: "a" }, fileName: "definitions/a.sqlx", query: "select * from `mdp-prod.marts.m` where x < 0" }],
        projectConfig: {}
      })
      const costs = yield* estimateThrough(bigquery(), graph, "EU")
      assert.deepStrictEqual(costs, [
        { action: "marts.m", kind: "table", bytes: 1048576 },
        { action: "mdp_assertions.a", kind: "assertion", bytes: 1048576 }
      ])
      const configuration = queries[0]!["configuration"] as { dryRun: boolean; query: { query: string; useLegacySql: boolean } }
      assert.isTrue(configuration.dryRun)
      assert.strictEqual(configuration.query.query, "select 1 as x")
      assert.isFalse(configuration.query.useLegacySql)
    }))
})

describe("running with the stock Dataform CLI instead", () => {
  it("passes the settings on as dataform run's own flags", () => {
    assert.deepStrictEqual(
      dataformRunArguments({ projectDir: "/repo", credentialsFile: "/repo/.df-credentials.json", vars: { reporting_currency: "USD", environment: "prod" }, schemaSuffix: "prod", defaultDatabase: "mdp-prod", actions: ["campaign_performance_daily"], fullRefresh: true }),
      ["run", "/repo", "--credentials=/repo/.df-credentials.json", "--vars=reporting_currency=USD,environment=prod", "--schema-suffix=prod", "--default-database=mdp-prod", "--actions=campaign_performance_daily", "--include-deps", "--full-refresh"]
    )
  })

  it.effect("without its credentials file it says how to make one", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runWithDataformCli({ projectDir: "/repo", credentialsFile: "/nonexistent/.df-credentials.json" }))
      assert.include(error.message, "npx dataform init-creds")
    }))
})

describe("mdp ingest --target gcp, end to end offline (real clients, HTTP intercepted)", () => {
  it.live("writes the sample to Cloud Storage and loads BigQuery; the next run loads only its own files", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-gcp-"))
    const previousCredentials = process.env["GOOGLE_APPLICATION_CREDENTIALS"]
    return Effect.gen(function* () {
      const config = path.join(dir, "settings.yaml")
      writeFileSync(config, "target: gcp\ninitial_days: 3\ngcp:\n  project: mdp-prod\n  location: EU\n  raw_bucket: mdp-raw\n  raw_prefix: prod\n  raw_dataset: raw\n")
      const keyFile = path.join(dir, "key.json")
      writeFileSync(keyFile, JSON.stringify({ type: "service_account", project_id: "mdp-prod", ...credentials }))
      process.env["GOOGLE_APPLICATION_CREDENTIALS"] = keyFile
      const resolved = yield* resolveSettings(config, undefined)

      // The bucket: uploads are kept by object name, and reads and listings served from them.
      const stored = new Map<string, Buffer>()
      storeUploads(stored).persist()
      const read: Array<string> = []
      gcs()
        .get(/^\/storage\/v1\/b\/mdp-raw\/o\/.+/)
        .query(true)
        .reply((request: Request): [number, unknown] => {
          const name = decodeURIComponent(new URL(request.url).pathname.split("/o/")[1]!)
          read.push(name)
          const bytes = stored.get(name)
          return bytes === undefined ? [404, { error: { code: 404, message: "No such object" } }] : [200, bytes]
        })
        .persist()
      gcs()
        .get("/storage/v1/b/mdp-raw/o")
        .query(true)
        .reply((request: Request): [number, unknown] => {
          const prefix = new URL(request.url).searchParams.get("prefix") ?? ""
          return [200, { items: [...stored.keys()].filter((name) => name.startsWith(prefix)).map((name) => ({ name, bucket: "mdp-raw" })) }]
        })
        .persist()
      // The dataset and its tables exist; every load job succeeds.
      bq().get(/^\/bigquery\/v2\/projects\/mdp-prod\/datasets\/raw(\/tables\/.+)?$/).query(true).reply(200, { id: "mdp-prod:raw" }).persist()
      const jobs: Array<string> = []
      bq()
        .post("/bigquery/v2/projects/mdp-prod/jobs")
        .query(true)
        .reply(async (request: Request): Promise<[number, unknown]> => {
          const body = (await request.json()) as { jobReference: { jobId: string }; configuration: { load: { sourceUris: Array<string> } } }
          jobs.push(body.configuration.load.sourceUris[0]!)
          return [200, { jobReference: { ...body.jobReference, projectId: "mdp-prod", location: "EU" }, status: { state: "DONE" } }]
        })
        .persist()
      bq()
        .get(/^\/bigquery\/v2\/projects\/mdp-prod\/jobs\/.+/)
        .query(true)
        .reply((request: Request) => [200, { jobReference: { jobId: new URL(request.url).pathname.split("/").at(-1), projectId: "mdp-prod", location: "EU" }, status: { state: "DONE" } }])
        .persist()

      const first = yield* runIngestion(resolved, { sources: ["google_ads"], load: true })
      assert.strictEqual(first.summary.status, "complete")
      const firstFiles = first.summary.accounts.map((a) => `gs://mdp-raw/prod/${a.file}`)
      assert.strictEqual(firstFiles.length, 2)
      assert.deepStrictEqual(first.loaded, { files: 2, rows: first.summary.rows, quarantined: 0, skipped: 0, rejected: [] })
      assert.sameMembers(jobs, firstFiles)
      assert.isTrue(firstFiles.every((file) => stored.has(file.replace("gs://mdp-raw/", ""))))
      const ledger = () => (JSON.parse(stored.get("prod/_loaded/bigquery/mdp-prod.raw.json")!.toString("utf8")) as { runs: Array<string> }).runs
      assert.deepStrictEqual(ledger(), [first.summary.runId])

      // The next run re-fetches the look-back into files of its own; the first run is not asked about.
      jobs.length = 0
      read.length = 0
      const second = yield* runIngestion(resolved, { sources: ["google_ads"], load: true })
      assert.deepStrictEqual(second.loaded?.files, 2)
      assert.sameMembers(jobs, second.summary.accounts.map((a) => `gs://mdp-raw/prod/${a.file}`))
      assert.notInclude(read, `prod/_manifests/run=${first.summary.runId}.json`)
      assert.deepStrictEqual(ledger(), [first.summary.runId, second.summary.runId].sort())
    }).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          if (previousCredentials === undefined) delete process.env["GOOGLE_APPLICATION_CREDENTIALS"]
          else process.env["GOOGLE_APPLICATION_CREDENTIALS"] = previousCredentials
          rmSync(dir, { recursive: true, force: true })
        })
      ),
      Effect.provide(NodeFileSystem.layer)
    )
  })
})
