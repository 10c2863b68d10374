/**
 * One writer at a time. A run that writes the raw zone or the warehouse holds a lock file beside
 * it (`<raw zone>/.mdp-writer.lock`, `<warehouse>.mdp-writer.lock`) for as long as it writes: a
 * JSON record of its pid, command and start. A second writer waits for it (saying for whom) or,
 * with `--no-wait`, fails at once naming it. A lock whose process is gone (killed) is stale and
 * taken over. Readers take no lock.
 */
import os from "node:os"
import path from "node:path"
import { Clock, Duration, Effect, FileSystem, Option, Schema } from "effect"
import { fileErrorMessage } from "../ingestion/core/errors.ts"
import { isProcessRunning } from "../ingestion/core/processes.ts"

/** Another run holds the lock and the caller chose not to wait (or waited too long). */
export class WriterLockError extends Schema.TaggedError<WriterLockError>()("WriterLockError", {
  resource: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.resource}: ${this.reason}`
  }
}

const LockOwner = Schema.Struct({
  pid: Schema.Int,
  host: Schema.String,
  command: Schema.String,
  since: Schema.String
})
type LockOwner = typeof LockOwner.Type

export interface WriterLockOptions {
  /** What holds it, for the others' messages: "mdp pipeline". */
  readonly command: string
  /** Wait for the holder (the default), or fail at once. */
  readonly wait: boolean
  /** How long to wait before giving up. */
  readonly timeout?: Duration.Input
  /** Told once, when the lock is held by another run and this one starts waiting. */
  readonly onWait?: (holder: string) => void
}

/** The lock of a raw zone folder or a warehouse file: beside it, named after it. */
export const lockFileFor = (resource: string): string => `${path.resolve(resource)}.mdp-writer.lock`

/** Whether the process that wrote a lock still runs (on this host; a lock from another host is trusted). */
const isAlive = (owner: LockOwner): boolean => owner.host !== os.hostname() || isProcessRunning(owner.pid)

const describeOwner = (owner: LockOwner): string => `${owner.command} (pid ${owner.pid}, since ${owner.since})`

const POLL = Duration.millis(200)
const UNREADABLE_STALE_AFTER_MS = 5_000

/**
 * Runs `use` while holding the writer lock of `resource` (a folder or a file). The lock goes when
 * `use` ends, however it ends (failure or interrupt included).
 */
export const withWriterLock = <A, E, R>(resource: string, options: WriterLockOptions, use: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const file = lockFileFor(resource)
    const fail = (reason: string) => new WriterLockError({ resource, reason })
    const me: LockOwner = { pid: process.pid, host: os.hostname(), command: options.command, since: new Date(yield* Clock.currentTimeMillis).toISOString() }
    const mine = JSON.stringify(me)

    // Creates the lock file if there is none; the holder's record when there is one.
    const tryCreate = Effect.scoped(
      Effect.gen(function* () {
        const handle = yield* fs.open(file, { flag: "wx" })
        yield* handle.writeAll(new TextEncoder().encode(mine))
        return undefined
      })
    ).pipe(
      Effect.catchTag("PlatformError", (error) =>
        error.reason._tag === "AlreadyExists"
          ? fs.readFileString(file).pipe(
              Effect.map((text): LockOwner | "gone" | { readonly unreadable: string } => {
                try {
                  return Schema.decodeUnknownSync(LockOwner)(JSON.parse(text))
                } catch {
                  // Half written by a holder creating it right now, or left so by one killed then.
                  return { unreadable: text }
                }
              }),
              // Released between the attempt and the read: try again.
              Effect.catchTag("PlatformError", (readError) => (readError.reason._tag === "NotFound" ? Effect.succeed("gone" as const) : Effect.fail(fail(fileErrorMessage(readError)))))
            )
          : Effect.fail(fail(`cannot create ${file}: ${fileErrorMessage(error)}`))
      )
    )

    // A dead holder's lock is removed if it is still that one (a live process may have just taken over).
    const removeStale = (stale: LockOwner) =>
      fs.readFileString(file).pipe(
        Effect.flatMap((text) => (text === JSON.stringify(stale) ? fs.remove(file) : Effect.void)),
        Effect.ignore
      )

    yield* fs.makeDirectory(path.dirname(file), { recursive: true }).pipe(Effect.mapError((error) => fail(`cannot create the folder of ${file}: ${fileErrorMessage(error)}`)))
    const started = yield* Clock.currentTimeMillis
    const timeoutMs = Duration.toMillis(Duration.fromInputUnsafe(options.timeout ?? "6 hours"))
    let told = false
    while (true) {
      const holder = yield* tryCreate
      if (holder === undefined) break
      if (holder === "gone") continue
      if ("unreadable" in holder) {
        // A record still unreadable after a few seconds was left by a writer killed as it created it.
        const info = yield* fs.stat(file).pipe(Effect.option)
        // The file's age in real time (the command clock may be pinned elsewhere: MDP_NOW).
        const age = info._tag === "Some" ? Date.now() - (Option.getOrUndefined(info.value.mtime)?.getTime() ?? Date.now()) : 0
        if (age > UNREADABLE_STALE_AFTER_MS) {
          yield* fs.readFileString(file).pipe(
            Effect.flatMap((text) => (text === holder.unreadable ? fs.remove(file) : Effect.void)),
            Effect.ignore
          )
        } else {
          yield* Effect.sleep(POLL)
        }
        continue
      }
      if (!isAlive(holder)) {
        yield* removeStale(holder)
        continue
      }
      if (!options.wait) {
        return yield* fail(`another run writes here: ${describeOwner(holder)}. Wait for it to end, or run again without --no-wait to wait`)
      }
      if ((yield* Clock.currentTimeMillis) - started > timeoutMs) {
        return yield* fail(`still held by ${describeOwner(holder)} after waiting ${Duration.format(Duration.millis(timeoutMs))}`)
      }
      if (!told) {
        told = true
        options.onWait?.(`waiting for ${describeOwner(holder)} to finish writing ${resource}`)
      }
      yield* Effect.sleep(POLL)
    }
    const release = fs.readFileString(file).pipe(
      Effect.flatMap((text) => (text === mine ? fs.remove(file) : Effect.void)),
      Effect.ignore
    )
    return yield* use.pipe(Effect.ensuring(release))
  })
