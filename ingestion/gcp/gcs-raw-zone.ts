/**
 * The raw zone on Cloud Storage: the same keys, manifests and state as the local folder, as
 * objects in one bucket (optionally under a prefix). An upload becomes visible only when it
 * completes, so a killed run leaves no partial object and nothing needs cleaning up.
 */
import type { Bucket, Storage } from "@google-cloud/storage"
import { Effect, Layer, Schema, Stream } from "effect"
import { RawZoneError } from "../core/errors.ts"
import { describeCause } from "../core/redact.ts"
import { RawZone, RunManifest, SourceState, ndjsonChunks, type NdjsonBatch } from "../raw-zone.ts"

const fail = (key: string, cause: unknown) => new RawZoneError({ path: key, reason: describeCause(cause) })

const isNotFound = (cause: unknown): boolean => typeof cause === "object" && cause !== null && "code" in cause && cause.code === 404

export const makeGcsRawZone = (storage: Storage, bucketName: string, prefix = ""): RawZone["Service"] => {
  const bucket: Bucket = storage.bucket(bucketName)
  const objectName = (key: string) => (prefix === "" ? key : `${prefix.replace(/\/$/, "")}/${key}`)
  const locate = (key: string) => `gs://${bucketName}/${objectName(key)}`

  const writeBatches = <E, R>(key: string, batches: Stream.Stream<NdjsonBatch, E, R>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => bucket.file(objectName(key)).createWriteStream({ resumable: false, contentType: "application/x-ndjson", validation: false })),
      (upload) =>
        Effect.gen(function* () {
          const { chunks, written } = ndjsonChunks(key, batches)
          yield* chunks.pipe(
            // Batches are never released: the upload stream may keep a reference to the bytes.
            Stream.runForEach((batch) =>
              Effect.callback<void, RawZoneError>((resume) => {
                if (upload.write(batch.bytes)) resume(Effect.void)
                else upload.once("drain", () => resume(Effect.void))
              })
            )
          )
          yield* Effect.callback<void, RawZoneError>((resume) => {
            upload.once("error", (cause) => resume(Effect.fail(fail(key, cause))))
            upload.end(() => resume(Effect.void))
          })
          return written()
        }),
      // Destroying an unfinished single-request upload abandons it: no object is created.
      (upload, exit) => Effect.sync(() => (exit._tag === "Failure" ? upload.destroy() : undefined))
    )

  const save = (key: string, content: string) =>
    Effect.tryPromise({
      try: () => bucket.file(objectName(key)).save(content, { resumable: false, contentType: "application/json" }),
      catch: (cause) => fail(key, cause)
    })

  const readJson = (key: string) =>
    Effect.tryPromise({
      try: async () => JSON.parse((await bucket.file(objectName(key)).download())[0].toString("utf8")) as unknown,
      catch: (cause) => (isNotFound(cause) ? undefined : fail(key, cause))
    })

  const manifests = () =>
    Effect.gen(function* () {
      const [files] = yield* Effect.tryPromise({ try: () => bucket.getFiles({ prefix: objectName("_manifests/") }), catch: (cause) => fail("_manifests/", cause) })
      const result: Array<RunManifest> = []
      for (const file of files.filter((f) => f.name.endsWith(".json")).sort((a, b) => a.name.localeCompare(b.name))) {
        const raw = yield* Effect.tryPromise({ try: async () => JSON.parse((await file.download())[0].toString("utf8")) as unknown, catch: (cause) => fail(file.name, cause) })
        result.push(yield* Schema.decodeUnknownEffect(RunManifest)(raw).pipe(Effect.mapError((cause) => fail(file.name, cause))))
      }
      return result
    })

  const readState = (source: string) =>
    readJson(`_state/${source}.json`).pipe(
      Effect.catch((error) => (error === undefined ? Effect.succeed({}) : Effect.fail(error))),
      Effect.flatMap((raw) => Schema.decodeUnknownEffect(SourceState)(raw).pipe(Effect.mapError((cause) => fail(`_state/${source}.json`, cause))))
    )

  return RawZone.of({
    writeBatches,
    writeManifest: (manifest) => save(`_manifests/run=${manifest.runId}.json`, `${JSON.stringify(manifest, null, 2)}\n`).pipe(Effect.as(locate(`_manifests/run=${manifest.runId}.json`))),
    manifests,
    readState,
    writeState: (source, state) => save(`_state/${source}.json`, `${JSON.stringify(state, null, 2)}\n`),
    removeIncomplete: () => Effect.succeed(0),
    locate,
    root: locate("")
  })
}

export const layerGcs = (storage: Storage, bucket: string, prefix?: string): Layer.Layer<RawZone> =>
  Layer.succeed(RawZone, makeGcsRawZone(storage, bucket, prefix))
