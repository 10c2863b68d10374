/**
 * One ingestion run: for every selected source and account, work out the date window (from the
 * state's last complete date minus the source's look-back, or an explicit backfill window), stream
 * the records into the raw zone with the ingestion metadata, quarantine malformed ones, flag thin
 * days, then write the run manifest and advance the state of the accounts that succeeded. The
 * accounts of all sources share one bounded pool; a failing account never loses the others' data.
 */
import { hash } from "node:crypto"
import { Cause, Clock, Effect, Exit, Option, Queue, Schema, Stream } from "effect"
import type { RawZoneError, SourceError } from "./core/errors.ts"
import { addDays, dayInZone, eachDay, isIsoDate } from "./core/dates.ts"
import { RAW_SCHEMA_VERSION, type AccountInfo, type DateWindow, type RejectedRecord, type SourceRecord } from "./core/model.ts"
import { BATCH_ROWS, SourceRegistry, type AdsSource } from "./core/source.ts"
import { NdjsonBuilder, RawZone, ndjsonLines, type AccountOutcome, type NdjsonBatch, type RunManifest, type SourceState } from "./raw-zone.ts"
import { IngestProgress } from "./progress.ts"

export interface IngestOptions {
  /** Platform names to ingest; all configured ones when empty. */
  readonly sources?: ReadonlyArray<string>
  /** Account ids to ingest (of the sources selected); all when empty. */
  readonly accounts?: ReadonlyArray<string>
  /** A backfill window; otherwise each account's window comes from its state. */
  readonly from?: string
  readonly to?: string
  /** Days fetched for an account seen for the first time. */
  readonly initialDays?: number
  readonly concurrency?: number
}

export interface IngestSummary extends RunManifest {
  readonly manifestFile: string
  readonly rows: number
  readonly quarantined: number
}

/** The run was asked for something that cannot be done (unknown source, bad window). */
export class IngestRequestError extends Schema.TaggedError<IngestRequestError>()("IngestRequestError", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

const MAX_QUARANTINED_PER_ACCOUNT = 100_000

/** An account's run rejected more records than it may quarantine: the source's format has probably changed. */
export class TooManyMalformedError extends Schema.TaggedError<TooManyMalformedError>()("TooManyMalformedError", {
  limit: Schema.Number,
  firstReason: Schema.String
}) {
  override get message(): string {
    return `more than ${this.limit} malformed records (the first: ${this.firstReason}); the source's format has probably changed, so nothing of this run counts`
  }
}

export const runIdAt = (epochMs: number): string =>
  `${new Date(epochMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${Math.random().toString(36).slice(2, 8)}`

/** Days with no rows, and days with under a third of the window's median row count. */
export const volumeFlags = (window: DateWindow, rowsPerDay: ReadonlyMap<string, number>): ReadonlyArray<string> => {
  const days = [...eachDay(window.start, window.end)]
  const counts = days.map((day) => rowsPerDay.get(day) ?? 0).sort((a, b) => a - b)
  const median = counts[Math.floor(counts.length / 2)] ?? 0
  const flags: Array<string> = []
  for (const day of days) {
    const count = rowsPerDay.get(day) ?? 0
    if (count === 0) flags.push(`${day}: no rows`)
    else if (median >= 3 && count < median / 3) flags.push(`${day}: ${count} rows, far fewer than the usual ${median}`)
  }
  return flags
}

/** The window an account needs: from its last complete date minus the look-back, to yesterday in its zone. */
export const windowFor = (
  lastCompleteDate: string | undefined,
  lookbackDays: number,
  yesterday: string,
  initialDays: number
): DateWindow => ({
  start: lastCompleteDate === undefined ? addDays(yesterday, -(initialDays - 1)) : addDays(lastCompleteDate, 1 - lookbackDays),
  end: yesterday
})

const validateRequest = (options: IngestOptions, known: ReadonlyArray<string>) => {
  for (const name of options.sources ?? []) {
    if (!known.includes(name)) return new IngestRequestError({ reason: `unknown source "${name}"; configured sources: ${known.join(", ") || "none"}` })
  }
  for (const [flag, value] of [["--from", options.from], ["--to", options.to]] as const) {
    if (value !== undefined && !isIsoDate(value)) return new IngestRequestError({ reason: `${flag} must be a date as YYYY-MM-DD, not "${value}"` })
  }
  if ((options.from === undefined) !== (options.to === undefined)) return new IngestRequestError({ reason: "--from and --to go together" })
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
    return new IngestRequestError({ reason: `--from ${options.from} is after --to ${options.to}` })
  }
  return undefined
}

// The line's fixed pieces, copied as bytes: joining them into strings first was 3 % of ingestion.
const SHA256_HEX_LENGTH = 64
const HASH_KEY = ',"_record_hash":"'
// Everything after the payload, with room for its digest: copied as it is, the digest written over it later.
const LINE_TAIL = Buffer.from(`${HASH_KEY}${"0".repeat(SHA256_HEX_LENGTH)}"}\n`)
const DIGEST_IN_TAIL = HASH_KEY.length

/**
 * Envelope lines for one account's run. The envelope's constant part is serialised once, the
 * payload once per record and written straight into the batch's buffer, where its bytes are
 * hashed: `_record_hash` is the SHA-256 of exactly the payload bytes in the file, and it follows
 * the payload because it can only be computed once those are written. The digests are taken when
 * the batch is finished, one after another, into room left for them in each line: hashing between
 * serialising rows cost about 4 % more of ingestion (median of 22 pairs, `docs/performance-history.md`).
 */
const envelopeEncoder = (meta: { readonly runId: string; readonly ingestedAt: string; readonly source: string; readonly window: DateWindow }) => {
  const constant = JSON.stringify({
    _run_id: meta.runId,
    _ingested_at: meta.ingestedAt,
    _source: meta.source,
    _stream: "campaign_daily",
    _window_start: meta.window.start,
    _window_end: meta.window.end,
    _schema_version: RAW_SCHEMA_VERSION
  }).slice(0, -1)
  // Sizes the next batch's buffer from the last one, so that it rarely has to grow; a buffer the
  // writer has released (the local raw zone, once it has written it) is reused when large enough.
  let bytesPerRow = 1024
  // Per line of the batch: where its payload starts and ends, and where its digest goes.
  const toHash: Array<number> = []
  let released: Buffer | undefined
  let prefixAccount: string | undefined
  let prefix = Buffer.alloc(0)
  const release = (buffer: Buffer) => {
    released = buffer
  }
  return {
    start: (records: number): NdjsonBuilder => {
      const capacity = Math.ceil(records * bytesPerRow * 1.25)
      const reusable = released !== undefined && released.length >= capacity ? released : undefined
      released = undefined
      return new NdjsonBuilder(reusable ?? capacity)
    },
    write: (batch: NdjsonBuilder, record: SourceRecord): void => {
      // Everything up to the campaign is the same for all of an account's rows: encoded once.
      if (record.accountId !== prefixAccount) {
        const account = JSON.stringify(record.accountId)
        prefix = Buffer.from(`${constant},"_account_id":${account},"account_id":${account},"campaign_id":`)
        prefixAccount = record.accountId
      }
      // Few, larger copies: each write into the buffer has a fixed cost of its own.
      batch.raw(prefix)
      batch.text(`${JSON.stringify(record.campaignId)},"date":${JSON.stringify(record.date)},"payload":`)
      const payloadStart = batch.position
      batch.text(JSON.stringify(record.payload))
      const payloadEnd = batch.position
      batch.raw(LINE_TAIL)
      batch.countLine()
      toHash.push(payloadStart, payloadEnd, payloadEnd + DIGEST_IN_TAIL)
    },
    finish: (batch: NdjsonBuilder): NdjsonBatch => {
      for (let i = 0; i < toHash.length; i += 3) {
        batch.asciiAt(toHash[i + 2]!, hash("sha256", batch.bytesBetween(toHash[i]!, toHash[i + 1]!), "hex"))
      }
      toHash.length = 0
      const result = batch.finish(release)
      if (result.rows > 0) bytesPerRow = result.bytes.length / result.rows
      return result
    }
  }
}

const ingestAccount = (
  source: AdsSource,
  account: AccountInfo,
  state: SourceState,
  run: { readonly runId: string; readonly ingestedAt: string; readonly nowMs: number },
  options: IngestOptions
) =>
  Effect.gen(function* () {
    const rawZone = yield* RawZone
    const yesterday = addDays(dayInZone(run.nowMs, account.timeZone), -1)
    const window: DateWindow =
      options.from !== undefined && options.to !== undefined
        ? { start: options.from, end: options.to < yesterday ? options.to : yesterday }
        : windowFor(state[account.id]?.lastCompleteDate, source.lookbackDays, yesterday, options.initialDays ?? 90)
    const base = { source: source.name, account: account.id, rows: 0, quarantined: 0, flags: [] as ReadonlyArray<string> }
    if (window.start > window.end) {
      return { ...base, status: "up_to_date" as const }
    }
    yield* (yield* IngestProgress).accountStarted(source.name, account, window)
    const ingestDate = new Date(run.nowMs).toISOString().slice(0, 10)
    const folder = `source=${source.name}/stream=${source.stream}/ingest_date=${ingestDate}/run=${run.runId}`
    const rowsPerDay = new Map<string, number>()
    let quarantined = 0
    // Named in the error if the run has to stop: its records are not kept then.
    let firstReason = ""
    const envelope = envelopeEncoder({ runId: run.runId, ingestedAt: run.ingestedAt, source: source.name, window })
    const quarantineLine = (record: RejectedRecord): string =>
      JSON.stringify({ _run_id: run.runId, _ingested_at: run.ingestedAt, _source: source.name, _account_id: account.id, reason: record.reason, payload: record.payload })

    // Rejected records go to their own file as they come, written beside the data file: holding
    // them until the data file was complete held up to the cap's worth of lines in memory.
    const rejectedBatches = yield* Queue.bounded<NdjsonBatch, Cause.Done | SourceError | TooManyMalformedError | RawZoneError>(2)
    // Records are encoded a batch at a time: per-element stream stages cost more than the work.
    const batches = source.fetch(account, window).pipe(
      Stream.grouped(BATCH_ROWS),
      Stream.mapEffect((records) => {
        const batch = envelope.start(records.length)
        const rejectedLines: Array<string> = []
        for (const record of records) {
          if (record._tag === "RejectedRecord") {
            if (firstReason === "") firstReason = record.reason
            rejectedLines.push(quarantineLine(record))
            continue
          }
          rowsPerDay.set(record.date, (rowsPerDay.get(record.date) ?? 0) + 1)
          envelope.write(batch, record)
        }
        const encoded = envelope.finish(batch)
        if (rejectedLines.length === 0) return Effect.succeed(encoded)
        quarantined += rejectedLines.length
        if (quarantined > MAX_QUARANTINED_PER_ACCOUNT) return Effect.fail(new TooManyMalformedError({ limit: MAX_QUARANTINED_PER_ACCOUNT, firstReason }))
        return Queue.offer(rejectedBatches, ndjsonLines(rejectedLines)).pipe(Effect.as(encoded))
      })
    )
    // The quarantine file is completed only once the data file is: if that fails, for whatever
    // reason, the quarantine fails with it and neither appears.
    const writeData = rawZone
      .writeBatches(`${folder}/account=${account.id}.ndjson`, batches)
      .pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Queue.end(rejectedBatches) : Queue.failCause(rejectedBatches, exit.cause))))
    // No file when nothing was rejected.
    const writeQuarantine = Queue.take(rejectedBatches).pipe(
      Effect.map(Option.some),
      Effect.catchIf(Cause.isDone, () => Effect.succeed(Option.none())),
      Effect.flatMap((first) =>
        Option.isNone(first)
          ? Effect.succeed(undefined)
          : rawZone.writeBatches(`_quarantine/${folder}/account=${account.id}.ndjson`, Stream.make(first.value).pipe(Stream.concat(Stream.fromQueue(rejectedBatches))))
      )
    )
    const written = yield* Effect.result(Effect.all([writeData, writeQuarantine], { concurrency: 2 }))
    if (written._tag === "Failure") {
      return { ...base, status: "failed" as const, windowStart: window.start, windowEnd: window.end, error: written.failure.message }
    }
    const [file, quarantineFile] = written.success
    return {
      ...base,
      status: "succeeded" as const,
      windowStart: window.start,
      windowEnd: window.end,
      rows: file.rows,
      quarantined,
      flags: volumeFlags(window, rowsPerDay),
      file: file.key,
      crc32: file.crc32,
      ...(quarantineFile === undefined ? {} : { quarantineFile: quarantineFile.key })
    }
  }).pipe(
    Effect.map((outcome): AccountOutcome => outcome),
    Effect.tap((outcome) => IngestProgress.use((progress) => progress.accountEnded(outcome)))
  )

export const ingest = Effect.fn("Ingestion.ingest")(function* (options: IngestOptions) {
  const registry = yield* SourceRegistry
  const rawZone = yield* RawZone
  const invalid = validateRequest(options, registry.sources.map((s) => s.name))
  if (invalid !== undefined) return yield* invalid
  yield* rawZone.removeIncomplete()
  const nowMs = yield* Clock.currentTimeMillis
  // No account anywhere has a complete day after yesterday in the earliest time zone (UTC+14).
  const newestComplete = addDays(dayInZone(nowMs, "Pacific/Kiritimati"), -1)
  if (options.from !== undefined && options.from > newestComplete) {
    return yield* new IngestRequestError({ reason: `--from ${options.from} is in the future: no account has a complete day after ${newestComplete}` })
  }
  const run = { runId: runIdAt(nowMs), ingestedAt: new Date(nowMs).toISOString(), nowMs }
  const selected = registry.sources.filter((s) => (options.sources ?? []).length === 0 || options.sources!.includes(s.name))
  const outcomes: Array<AccountOutcome> = []
  const planned: Array<{ readonly source: AdsSource; readonly state: SourceState; readonly accounts: ReadonlyArray<AccountInfo> }> = []
  for (const source of selected) {
    const state = yield* rawZone.readState(source.name)
    const accounts = yield* Effect.result(source.accounts)
    if (accounts._tag === "Failure") {
      const outcome: AccountOutcome = { source: source.name, account: "*", status: "failed", rows: 0, quarantined: 0, flags: [], error: accounts.failure.message }
      yield* (yield* IngestProgress).accountEnded(outcome)
      outcomes.push(outcome)
      continue
    }
    const wanted = options.accounts ?? []
    planned.push({ source, state, accounts: wanted.length === 0 ? accounts.success : accounts.success.filter((account) => wanted.includes(account.id)) })
  }
  const listed = new Set(planned.flatMap((plan) => plan.accounts.map((account) => account.id)))
  const unknown = (options.accounts ?? []).filter((id) => !listed.has(id))
  if (unknown.length > 0) {
    return yield* new IngestRequestError({ reason: `no account ${unknown.join(", ")} among the selected sources' accounts` })
  }
  // One pool for every source's accounts: the platforms are independent, and while one account
  // waits on its server (or its file being flushed to disk) another one's records get encoded.
  const jobs = planned.flatMap((plan) => plan.accounts.map((account) => ({ plan, account })))
  const results = yield* Effect.forEach(jobs, ({ plan, account }) => ingestAccount(plan.source, account, plan.state, run, options), {
    concurrency: options.concurrency ?? 4
  })
  outcomes.push(...results)
  const failed = outcomes.filter((o) => o.status === "failed").length
  const finishedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
  const manifest: RunManifest = {
    runId: run.runId,
    startedAt: run.ingestedAt,
    finishedAt,
    status: failed === 0 ? "complete" : failed === outcomes.length ? "failed" : "partial",
    accounts: outcomes
  }
  // The manifest first: the run's files count from here on. Killed before the states are written,
  // the next run fetches the same window again (loading is idempotent); the other way round, a
  // state could skip days whose files never count.
  const manifestFile = yield* rawZone.writeManifest(manifest)
  for (const { source, state } of planned) {
    const next: Record<string, SourceState[string]> = { ...state }
    for (const outcome of results.filter((o) => o.source === source.name)) {
      const previous = state[outcome.account] ?? {}
      const advanced =
        outcome.status === "succeeded" && outcome.windowEnd !== undefined && (previous.lastCompleteDate === undefined || outcome.windowEnd > previous.lastCompleteDate)
      next[outcome.account] = {
        ...previous,
        ...(advanced ? { lastCompleteDate: outcome.windowEnd! } : {}),
        lastRunId: run.runId,
        lastRunAt: run.ingestedAt,
        lastStatus: outcome.status,
        ...(outcome.error === undefined ? {} : { lastError: outcome.error })
      }
      if (outcome.error === undefined) delete (next[outcome.account] as { lastError?: string }).lastError
    }
    yield* rawZone.writeState(source.name, next)
  }
  return {
    ...manifest,
    manifestFile,
    rows: outcomes.reduce((sum, o) => sum + o.rows, 0),
    quarantined: outcomes.reduce((sum, o) => sum + o.quarantined, 0)
  } satisfies IngestSummary
})
