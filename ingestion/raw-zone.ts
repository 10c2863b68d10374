/**
 * The raw zone: append-only NDJSON files partitioned by source, stream and ingestion date, one
 * manifest per run, and per-source state (last complete date per account). A file is written
 * under a temporary name and renamed when complete, so a reader never sees half a file; a run's
 * files count only once its manifest exists. This module has the local-folder backend; the Cloud
 * Storage backend lives in `gcp/gcs-raw-zone.ts`.
 */
import { createReadStream, writeSync } from "node:fs"
import { open, type FileHandle } from "node:fs/promises"
import path from "node:path"
import { crc32 } from "node:zlib"
import { Context, Effect, FileSystem, Layer, Schema, Stream } from "effect"
import { RawZoneError, fileErrorMessage } from "./core/errors.ts"
import { isProcessRunning } from "./core/processes.ts"

export const AccountOutcome = Schema.Struct({
  source: Schema.String,
  account: Schema.String,
  status: Schema.Literals(["succeeded", "failed", "up_to_date"]),
  windowStart: Schema.optionalKey(Schema.String),
  windowEnd: Schema.optionalKey(Schema.String),
  rows: Schema.Number,
  quarantined: Schema.Number,
  error: Schema.optionalKey(Schema.String),
  /** Volume warnings: days with no rows, or far fewer than usual. */
  flags: Schema.Array(Schema.String),
  file: Schema.optionalKey(Schema.String),
  quarantineFile: Schema.optionalKey(Schema.String),
  crc32: Schema.optionalKey(Schema.String)
})
export type AccountOutcome = typeof AccountOutcome.Type

export const RunManifest = Schema.Struct({
  runId: Schema.String,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  status: Schema.Literals(["complete", "partial", "failed"]),
  accounts: Schema.Array(AccountOutcome)
})
export type RunManifest = typeof RunManifest.Type

export const AccountState = Schema.Struct({
  lastCompleteDate: Schema.optionalKey(Schema.String),
  lastRunId: Schema.optionalKey(Schema.String),
  lastRunAt: Schema.optionalKey(Schema.String),
  lastStatus: Schema.optionalKey(Schema.String),
  lastError: Schema.optionalKey(Schema.String)
})
export const SourceState = Schema.Record(Schema.String, AccountState)
export type SourceState = typeof SourceState.Type

export interface WrittenFile {
  readonly key: string
  readonly rows: number
  readonly bytes: number
  /** CRC32 of the file's bytes, as hex: an integrity check, as Cloud Storage uses. */
  readonly crc32: string
}

/** Capability: the append-only raw zone. Keys are `/`-separated paths relative to its root. */
export class RawZone extends Context.Service<
  RawZone,
  {
    /** Writes NDJSON batches as one file, visible under `key` only once complete. */
    readonly writeBatches: <E, R>(key: string, batches: Stream.Stream<NdjsonBatch, E, R>) => Effect.Effect<WrittenFile, E | RawZoneError, R>
    readonly writeManifest: (manifest: RunManifest) => Effect.Effect<string, RawZoneError>
    /** Every run's manifest, oldest first; the runs in `except` are passed over unread. */
    readonly manifests: (except?: ReadonlySet<string>) => Effect.Effect<ReadonlyArray<RunManifest>, RawZoneError>
    readonly readState: (source: string) => Effect.Effect<SourceState, RawZoneError>
    readonly writeState: (source: string, state: SourceState) => Effect.Effect<void, RawZoneError>
    /** Removes files left by runs that were killed before finishing. */
    readonly removeIncomplete: () => Effect.Effect<number, RawZoneError>
    /** The CRC32 (hex) of a file's bytes as they are now, read through; undefined when it is missing. */
    readonly checksum: (key: string) => Effect.Effect<string | undefined, RawZoneError>
    /** Where a key lives: a local path, or a gs:// URI. */
    readonly locate: (key: string) => string
    readonly root: string
  }
>()("mdp/RawZone") {
  /** A local folder, on the file system provided (Node's, or a test's that fails on purpose). */
  static readonly layerLocal = (root: string): Layer.Layer<RawZone, never, FileSystem.FileSystem> =>
    Layer.effect(
      RawZone,
      Effect.gen(function* () {
        return makeLocalRawZone(root, yield* FileSystem.FileSystem)
      })
    )
}

/** Complete NDJSON lines as UTF-8 bytes, and how many lines they are. */
export interface NdjsonBatch {
  readonly bytes: Buffer
  readonly rows: number
  /**
   * For a writer that is done with the bytes once written: hands the memory back to the producer
   * for its next batch. Reusing it spares the kernel mapping and zeroing fresh pages for every
   * batch, which cost about as much as encoding the rows.
   */
  readonly release?: () => void
}

/**
 * One NDJSON batch, written piece by piece into one growing buffer. Measured on 1 KB rows, the
 * alternatives cost several microseconds a row: `Buffer.from(lines.join("\n"))` makes V8 flatten
 * and re-scan a string of megabytes, and building each line as a string before encoding it copies
 * it once more (and once again when a part of it is hashed as a string).
 */
export class NdjsonBuilder {
  private buffer: Buffer
  private offset = 0
  private rows = 0

  /** A capacity to allocate, or a buffer to reuse (its contents are overwritten). */
  constructor(capacityOrBuffer: number | Buffer) {
    this.buffer = typeof capacityOrBuffer === "number" ? Buffer.allocUnsafe(Math.max(capacityOrBuffer, 64)) : capacityOrBuffer
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes))
    this.buffer.copy(grown, 0, 0, this.offset)
    this.buffer = grown
  }

  /** Bytes written so far: where the next piece starts. */
  get position(): number {
    return this.offset
  }

  /** Any text, as UTF-8 (room for the worst case, three bytes per UTF-16 unit). */
  text(value: string): void {
    this.ensure(value.length * 3)
    this.offset += this.buffer.write(value, this.offset, "utf8")
  }

  /** Bytes already encoded, copied as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buffer.set(bytes, this.offset)
    this.offset += bytes.length
  }

  /** The bytes between two positions already written; valid until the next write. */
  bytesBetween(start: number, end: number): Buffer {
    return this.buffer.subarray(start, end)
  }

  /** ASCII text over bytes already written, exactly as long as they are. */
  asciiAt(position: number, value: string): void {
    this.buffer.write(value, position, value.length, "latin1")
  }

  endLine(): void {
    this.ensure(1)
    this.buffer[this.offset++] = 10
    this.rows++
  }

  /** A line whose newline came with its last piece. */
  countLine(): void {
    this.rows++
  }

  /** The batch; `release` receives the whole underlying buffer, for reuse. */
  finish(release?: (buffer: Buffer) => void): NdjsonBatch {
    const buffer = this.buffer
    return { bytes: buffer.subarray(0, this.offset), rows: this.rows, ...(release === undefined ? {} : { release: () => release(buffer) }) }
  }
}

/** Lines as one NDJSON batch: the same bytes as `Buffer.from(lines.join("\n") + "\n")`. */
export const ndjsonLines = (lines: ReadonlyArray<string>): NdjsonBatch => {
  // Room for ASCII text, plus the slack `text` asks for (three bytes a unit) for the longest
  // line: without it the last lines made the buffer double and be copied.
  let capacity = lines.length
  let longest = 0
  for (const line of lines) {
    capacity += line.length
    if (line.length > longest) longest = line.length
  }
  const builder = new NdjsonBuilder(capacity + 2 * longest)
  for (const line of lines) {
    builder.text(line)
    builder.endLine()
  }
  return builder.finish()
}

/**
 * NDJSON batches counted on the way (rows, bytes, running CRC32): what every backend writes, and
 * what it reports once the file is complete.
 */
/** A raw file a load set aside, and why. */
export interface RejectedFile {
  /** Its key in the raw zone, and where that is. */
  readonly key: string
  readonly file: string
  readonly source: string
  readonly account: string
  readonly windowStart?: string
  readonly windowEnd?: string
  readonly reason: string
}

/**
 * Why a raw file cannot be loaded as its run wrote it (missing, or its CRC32 not the one its
 * manifest recorded), or undefined when it can. Both loaders check each new file this way first.
 */
export const rawFileProblem = (rawZone: RawZone["Service"], key: string, recordedCrc32: string | undefined) =>
  rawZone.checksum(key).pipe(
    Effect.map((actual) =>
      actual === undefined
        ? "the file is missing"
        : recordedCrc32 !== undefined && actual !== recordedCrc32
          ? `its CRC32 is ${actual}, not the ${recordedCrc32} its run recorded: it changed after it was written`
          : undefined
    )
  )

/** The CRC32 of a stream of bytes, as the manifests record it (eight hex digits). */
export const crc32Of = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
  let checksum = 0
  for await (const chunk of chunks) checksum = crc32(chunk, checksum)
  return checksum.toString(16).padStart(8, "0")
}

export const ndjsonChunks = <E, R>(key: string, batches: Stream.Stream<NdjsonBatch, E, R>) => {
  let checksum = 0
  let rows = 0
  let bytes = 0
  const chunks = batches.pipe(
    Stream.filter((batch) => batch.rows > 0),
    Stream.tap((batch) =>
      Effect.sync(() => {
        checksum = crc32(batch.bytes, checksum)
        rows += batch.rows
        bytes += batch.bytes.length
      })
    )
  )
  const written = (): WrittenFile => ({ key, rows, bytes, crc32: checksum.toString(16).padStart(8, "0") })
  return { chunks, written }
}

const TEMP_MARKER = ".incomplete-"
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024
const MANIFESTS = "_manifests"
const STATE = "_state"

/** The run id in a manifest's file or object name (`…/run=<id>.json`). */
export const runIdOfManifest = (name: string): string => /run=([^/]+)\.json$/.exec(name)?.[1] ?? ""

const fail = (file: string, cause: unknown) => new RawZoneError({ path: file, reason: fileErrorMessage(cause) })

/**
 * The raw zone in a local folder. Manifests, state and clean-up go through `fs`; the data files
 * are written with Node's own synchronous writes, for the reason given in `writeBatches`.
 */
export const makeLocalRawZone = (root: string, fs: FileSystem.FileSystem): RawZone["Service"] => {
  const absolute = path.resolve(root)
  const locate = (key: string) => path.join(absolute, ...key.split("/"))

  const writeAtomically = (file: string, content: string) =>
    Effect.gen(function* () {
      yield* fs.makeDirectory(path.dirname(file), { recursive: true })
      const temp = `${file}${TEMP_MARKER}${process.pid}`
      // On disk before the rename, as the data files are: else a power cut could leave an empty
      // manifest or state under the final name.
      yield* Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* fs.open(temp, { flag: "w" })
          yield* handle.writeAll(new TextEncoder().encode(content))
          yield* handle.sync
        })
      ).pipe(
        Effect.andThen(fs.rename(temp, file)),
        // A full disk or an interrupt: the part written goes, so nothing half-written stays behind.
        Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(temp, { force: true }))))
      )
      return file
    }).pipe(Effect.mapError((cause) => fail(file, cause)))

  // Every file below a folder (none when it does not exist).
  const walk = (folder: string): Effect.Effect<ReadonlyArray<string>, RawZoneError> =>
    fs.readDirectory(folder, { recursive: true }).pipe(
      Effect.catchTag("PlatformError", (error) => (error.reason._tag === "NotFound" ? Effect.succeed([]) : Effect.fail(fail(folder, error)))),
      Effect.flatMap((entries) =>
        Effect.filter(
          entries.map((entry) => path.join(folder, entry)),
          (file) => fs.stat(file).pipe(Effect.map((info) => info.type === "File"), Effect.orElseSucceed(() => false))
        )
      )
    )

  const writeBatches = <E, R>(key: string, batches: Stream.Stream<NdjsonBatch, E, R>) => {
    const file = locate(key)
    const temp = `${file}${TEMP_MARKER}${process.pid}`
    // The data file goes through a Node file handle rather than `fs`: its batches are written
    // synchronously (below), which Effect's FileSystem does not offer.
    return Effect.acquireUseRelease(
      fs.makeDirectory(path.dirname(file), { recursive: true }).pipe(
        Effect.mapError((cause) => fail(file, cause)),
        Effect.andThen(Effect.tryPromise({ try: () => open(temp, "w"), catch: (cause) => fail(file, cause) }))
      ),
      (handle: FileHandle) =>
        Effect.gen(function* () {
          const { chunks, written } = ndjsonChunks(key, batches)
          // Flushed to disk as the file grows, in the background, rather than all at the end,
          // where nothing else overlaps it (a second of idle time per account at 3M rows).
          let unflushed = 0
          let flushed: Promise<void> = Promise.resolve()
          // Each batch is written synchronously, into the page cache, as soon as it is encoded.
          // Awaiting an asynchronous write let the other accounts run once a batch, so the rest
          // of each page's rows lived through their work: more than twice the bytes survived
          // young collections, and V8 made 16–17 full collections a million rows instead of 7
          // (`docs/performance-history.md`). The bytes are also still in the CPU's cache.
          const write = (batch: NdjsonBatch) =>
            Effect.try({
              try: () => {
                let offset = 0
                while (offset < batch.bytes.length) offset += writeSync(handle.fd, batch.bytes, offset)
                batch.release?.()
                unflushed += batch.bytes.length
                if (unflushed >= FLUSH_EVERY_BYTES) {
                  unflushed = 0
                  flushed = flushed.then(() => handle.datasync())
                  // Its failure is reported by the final sync below, not as an unhandled rejection.
                  flushed.catch(() => undefined)
                }
              },
              catch: (cause) => fail(file, cause)
            })
          yield* chunks.pipe(Stream.runForEach(write))
          yield* Effect.tryPromise({ try: () => flushed.then(() => handle.sync()).then(() => handle.close()), catch: (cause) => fail(file, cause) })
          // Complete: the file appears whole, or the write fails with a RawZoneError. (A rename that
          // failed in the release was a defect that ended the whole run, not just this account.)
          yield* fs.rename(temp, file).pipe(Effect.mapError((cause) => fail(file, cause)))
          return written()
        }),
      // Failed or interrupted: nothing appears. (Closing a closed handle does nothing.)
      (handle, exit) =>
        Effect.tryPromise(() => handle.close()).pipe(
          Effect.ignore,
          Effect.andThen(exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(temp, { force: true })))
        )
    )
  }

  const manifestKey = (runId: string) => `${MANIFESTS}/run=${runId}.json`

  const manifests = (except?: ReadonlySet<string>) =>
    Effect.gen(function* () {
      const files = (yield* walk(locate(MANIFESTS))).filter((file) => file.endsWith(".json") && except?.has(runIdOfManifest(file)) !== true)
      const result: Array<RunManifest> = []
      for (const file of [...files].sort()) {
        const text = yield* fs.readFileString(file).pipe(Effect.mapError((cause) => fail(file, cause)))
        const raw = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: (cause) => fail(file, cause) })
        result.push(yield* Schema.decodeUnknownEffect(RunManifest)(raw).pipe(Effect.mapError((cause) => fail(file, cause))))
      }
      return result
    })

  const readState = (source: string) =>
    Effect.gen(function* () {
      const file = locate(`${STATE}/${source}.json`)
      // No state yet: the source was never ingested here.
      const text = yield* fs.readFileString(file).pipe(
        Effect.map((content): string | undefined => content),
        Effect.catchTag("PlatformError", (error) => (error.reason._tag === "NotFound" ? Effect.succeed(undefined) : Effect.fail(fail(file, error))))
      )
      const raw = text === undefined ? {} : yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: (cause) => fail(file, cause) })
      return yield* Schema.decodeUnknownEffect(SourceState)(raw).pipe(Effect.mapError((cause) => fail(file, cause)))
    })

  // Only the leftovers of processes that are gone: a run writing beside this one keeps its files.
  const removeIncomplete = () =>
    Effect.gen(function* () {
      const leftovers = (yield* walk(absolute)).filter((file) => {
        const at = file.lastIndexOf(TEMP_MARKER)
        if (at < 0) return false
        const owner = Number.parseInt(file.slice(at + TEMP_MARKER.length), 10)
        return !Number.isInteger(owner) || !isProcessRunning(owner)
      })
      yield* Effect.forEach(leftovers, (file) => fs.remove(file, { force: true }).pipe(Effect.mapError((cause) => fail(file, cause))))
      return leftovers.length
    })

  const checksum = (key: string) =>
    Effect.gen(function* () {
      const file = locate(key)
      if (!(yield* fs.exists(file).pipe(Effect.mapError((cause) => fail(file, cause))))) return undefined
      return yield* Effect.tryPromise({ try: () => crc32Of(createReadStream(file)), catch: (cause) => fail(file, cause) })
    })

  return RawZone.of({
    writeBatches,
    checksum,
    writeManifest: (manifest) => writeAtomically(locate(manifestKey(manifest.runId)), `${JSON.stringify(manifest, null, 2)}\n`),
    manifests,
    readState,
    writeState: (source, state) => writeAtomically(locate(`${STATE}/${source}.json`), `${JSON.stringify(state, null, 2)}\n`).pipe(Effect.asVoid),
    removeIncomplete,
    locate,
    root: absolute
  })
}
