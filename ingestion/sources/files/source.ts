/**
 * A source made of exported files (CSV with a header row, or NDJSON) dropped in a folder, for
 * platforms without an API connector here. A platform declares its row schema and how a row maps
 * to the natural key and checked metrics (see `microsoft_ads/`); this module reads the folder,
 * streams rows file by file, and keeps those of the requested account and window. Rows without a
 * readable account are quarantined in the first account's run, so they are counted once.
 *
 * An export usually holds every account of a manager. Listing the accounts parses it once and
 * sets each account's rows aside, as NDJSON in a temporary folder, so that each account's fetch
 * reads back only its own rows instead of parsing the whole export again.
 *
 * Files are read in name order, and a later file restates an earlier one: for each (account,
 * campaign, day) only the rows of the last file that has it are kept (name exports so that a
 * newer version sorts after, as a timestamp in the name does). Several rows of one key within a
 * file are segments (a device or network column) and are all kept; staging sums them.
 */
import { appendFileSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { parse as parseCsv } from "csv-parse"
import { Array as Arr, Effect, Result, Schema, Stream } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { isValidTimeZone } from "../../core/dates.ts"
import { isProcessRunning } from "../../core/processes.ts"
import type { PlatformSource } from "../../core/platform-source.ts"
import { SourceError } from "../../core/errors.ts"
import { rejected, type AccountInfo, type CheckedMetrics, type DateWindow, type FetchedRecord } from "../../core/model.ts"
import { fromAsyncIterableInBatches, type AdsSource } from "../../core/source.ts"
import { ndjsonLines } from "../../raw-zone.ts"

export interface FileSourceDefinition<A> {
  /** The platform, as it appears in the marts. */
  readonly name: string
  readonly schema: Schema.Codec<A, unknown>
  /**
   * The account a raw row claims to belong to, read before validation: for a valid row, the id
   * `toRecord` gives it (rows are set aside, and fetched, by this id).
   */
  readonly accountIdOf: (row: Readonly<Record<string, unknown>>) => string | undefined
  /** The (campaign, day) a raw row claims, read before validation: which rows a later file restates. */
  readonly keyOf: (row: Readonly<Record<string, unknown>>) => string
  readonly toRecord: (row: A) => {
    readonly account: { readonly id: string; readonly name: string; readonly currency: string }
    readonly campaignId: string
    readonly date: string
    readonly metrics: CheckedMetrics
  }
}

export interface FileSourceSettings {
  readonly folder: string
  readonly format: "csv" | "ndjson"
  /** The zone the export's days are in. */
  readonly timeZone: string
  readonly lookbackDays: number
  /**
   * Where the rows set aside per account go, in a folder of their own inside it (created if
   * missing); the system's temporary folder unless set. They take about the exports' size.
   */
  readonly spillFolder?: string
}

const listFiles = (folder: string, format: "csv" | "ndjson"): ReadonlyArray<string> => {
  try {
    return readdirSync(folder)
      .filter((file) => file.toLowerCase().endsWith(format === "csv" ? ".csv" : ".ndjson"))
      .sort()
      .map((file) => path.join(folder, file))
  } catch {
    return []
  }
}

// Rows set aside live in folders named after the process: removed when it exits, and by the next
// listing of any process if it was killed.
const SPILL_PREFIX = "mdp-export-rows-"
const spillFolders = new Set<string>()
let removeAtExit = false

const removeSpillFolder = (folder: string): void => {
  rmSync(folder, { recursive: true, force: true })
  spillFolders.delete(folder)
}

const newSpillFolder = (parent: string): string => {
  mkdirSync(parent, { recursive: true })
  for (const entry of readdirSync(parent)) {
    const pid = entry.startsWith(SPILL_PREFIX) ? Number.parseInt(entry.slice(SPILL_PREFIX.length), 10) : Number.NaN
    if (Number.isInteger(pid) && pid !== process.pid && !isProcessRunning(pid)) rmSync(path.join(parent, entry), { recursive: true, force: true })
  }
  const folder = mkdtempSync(path.join(parent, `${SPILL_PREFIX}${process.pid}-`))
  spillFolders.add(folder)
  if (!removeAtExit) {
    removeAtExit = true
    process.once("exit", () => {
      for (const leftover of [...spillFolders]) removeSpillFolder(leftover)
    })
  }
  return folder
}

/** One listing's result: the accounts found, and the file holding each one's rows. */
interface SetAside {
  readonly signature: string
  readonly accounts: ReadonlyArray<AccountInfo>
  /** NDJSON of each account's rows, by the account the row names; `""` holds rows that name none. */
  readonly files: ReadonlyMap<string, string>
  /** For keys found in more than one export file: the last file's index, by account and key. */
  readonly restated: ReadonlyMap<string, number>
}

// Each set-aside line starts with the index of the export file it came from.
const taggedLine = (fileIndex: number, line: string): string => `${fileIndex}\t${line}`

// Rows wait in memory until they make a megabyte, then go to their accounts' files all at once:
// memory stays bounded whatever the number of accounts, and no file is kept open. Waiting for
// 4 MB let the rows' strings outlive young collections: about 75 MB more RSS, and slower.
const APPEND_EVERY_CHARS = 1 << 20

export const makeFileSource = <A>(definition: FileSourceDefinition<A>, settings: FileSourceSettings): AdsSource => {
  const fileError = (detail: string) => new SourceError({ source: definition.name, reason: "bad_response", detail })

  const rowsOfFile = (file: string): Stream.Stream<Readonly<Record<string, unknown>>, SourceError> =>
    settings.format === "csv"
      ? fromAsyncIterableInBatches(createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, trim: true })), (error) =>
          fileError(`${path.basename(file)}: ${error instanceof Error ? error.message : String(error)}`)
        )
      : Stream.fromAsyncIterable(createReadStream(file, "utf8"), (error) => fileError(String(error))).pipe(
          Stream.splitLines,
          Stream.filter((line) => line.trim() !== ""),
          Stream.map((line): Readonly<Record<string, unknown>> => {
            const parsed = Result.try(() => JSON.parse(line) as unknown)
            return Result.isSuccess(parsed) && typeof parsed.success === "object" && parsed.success !== null
              ? (parsed.success as Readonly<Record<string, unknown>>)
              : { _unparsable: line }
          })
        )

  const allRows = () =>
    Stream.fromIterable(listFiles(settings.folder, settings.format).map((file, index) => [file, index] as const)).pipe(
      Stream.flatMap(([file, index]) => rowsOfFile(file).pipe(Stream.map((row) => [row, index] as const)))
    )

  const setAsideError = (folder: string, cause: unknown) =>
    fileError(`could not set the export's rows aside in ${folder}: ${cause instanceof Error ? cause.message : String(cause)}`)

  // One pass over every file: finds the accounts, and appends each row to its account's file.
  const setAside = (signature: string, spillFolder: string) =>
    Effect.gen(function* () {
      const found = new Map<string, AccountInfo>()
      const files = new Map<string, string>()
      // The last export file of each account's key, and the keys a later file restated: tracked
      // only when there are several files (one key per row held in memory).
      const severalFiles = listFiles(settings.folder, settings.format).length > 1
      const lastFile = new Map<string, number>()
      const restated = new Map<string, number>()
      const pending = new Map<string, Array<string>>()
      let pendingChars = 0
      const appendPending = () => {
        for (const [key, lines] of pending) {
          if (lines.length === 0) continue
          appendFileSync(files.get(key)!, ndjsonLines(lines).bytes)
          lines.length = 0
        }
        pendingChars = 0
      }
      yield* allRows().pipe(
        Stream.runForEachArray((rows) =>
          Effect.try({
            try: () => {
              for (const [row, fileIndex] of rows) {
                const key = definition.accountIdOf(row) ?? ""
                if (severalFiles) {
                  const rowKey = `${key}\u0000${definition.keyOf(row)}`
                  const previous = lastFile.get(rowKey)
                  if (previous !== fileIndex) {
                    lastFile.set(rowKey, fileIndex)
                    if (previous !== undefined) restated.set(rowKey, fileIndex)
                  }
                }
                let lines = pending.get(key)
                if (lines === undefined) {
                  files.set(key, path.join(spillFolder, `${files.size}.ndjson`))
                  lines = []
                  pending.set(key, lines)
                }
                const line = taggedLine(fileIndex, JSON.stringify(row))
                lines.push(line)
                pendingChars += line.length + 1
                if (pendingChars >= APPEND_EVERY_CHARS) appendPending()
                // The account's first valid row names it; its fetch validates every row anyway.
                if (found.has(key)) continue
                const decoded = decodeOrReject(definition.schema, row)
                if (Result.isSuccess(decoded)) {
                  const { account } = definition.toRecord(decoded.success)
                  if (!found.has(account.id)) found.set(account.id, { ...account, timeZone: settings.timeZone })
                }
              }
            },
            catch: (cause) => setAsideError(spillFolder, cause)
          })
        )
      )
      yield* Effect.try({ try: appendPending, catch: (cause) => setAsideError(spillFolder, cause) })
      // An account none of whose rows is valid is listed by its id alone, so that its rows are
      // quarantined with their reasons instead of never being read.
      for (const key of files.keys()) if (key !== "" && !found.has(key)) found.set(key, { id: key, name: key, currency: "", timeZone: settings.timeZone })
      const accounts = [...found.values()].sort((a, b) => a.id.localeCompare(b.id))
      return { signature, accounts, files, restated } satisfies SetAside
    }).pipe(Effect.onError(() => Effect.sync(() => removeSpillFolder(spillFolder))))

  // Remembered while the folder's files keep their names, sizes and modification times. A
  // listing replaced by a newer one keeps its files until the process exits, in case an account
  // of the older one is still reading them.
  let current: SetAside | undefined
  const filesNow = () =>
    listFiles(settings.folder, settings.format)
      .map((file) => {
        const stat = statSync(file)
        return `${file} ${stat.size} ${stat.mtimeMs}`
      })
      .join("\n")
  const listing = Effect.suspend(() => {
    const signature = filesNow()
    if (current?.signature === signature) return Effect.succeed(current)
    const parent = settings.spillFolder ?? os.tmpdir()
    return Effect.try({ try: () => newSpillFolder(parent), catch: (cause) => setAsideError(parent, cause) }).pipe(
      Effect.flatMap((spillFolder) => setAside(signature, spillFolder)),
      Effect.tap((done) => Effect.sync(() => void (current = done)))
    )
  })
  const accounts = Effect.map(listing, (done) => done.accounts)

  const setAsideRows = (file: string): Stream.Stream<readonly [Readonly<Record<string, unknown>>, number], SourceError> =>
    Stream.fromAsyncIterable(createReadStream(file, "utf8"), (error) => setAsideError(path.dirname(file), error)).pipe(
      Stream.splitLines,
      Stream.mapArrayEffect((lines) =>
        Effect.try({
          try: () =>
            Arr.map(lines, (line) => {
              const tab = line.indexOf("\t")
              return [JSON.parse(line.slice(tab + 1)) as Readonly<Record<string, unknown>>, Number(line.slice(0, tab))] as const
            }),
          catch: (cause) => setAsideError(path.dirname(file), cause)
        })
      )
    )

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.map(listing, (done) => {
        const first = done.accounts[0]?.id === account.id
        const own = [done.files.get(account.id), first ? done.files.get("") : undefined].filter((file): file is string => file !== undefined)
        return Stream.fromIterable(own).pipe(
          Stream.flatMap(setAsideRows),
          Stream.map(([row, fileIndex]): FetchedRecord | undefined => {
            // The account's own rows, then (for the first account only) those that name none.
            const claimed = definition.accountIdOf(row)
            if (claimed === undefined || claimed === "") return rejected("the row names no account", row)
            // A later export restated this key: its rows stand, this file's do not.
            const latest = done.restated.get(`${claimed}\u0000${definition.keyOf(row)}`)
            if (latest !== undefined && latest !== fileIndex) return undefined
            const decoded = decodeOrReject(definition.schema, row)
            if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
            const mapped = definition.toRecord(decoded.success)
            if (mapped.date < window.start || mapped.date > window.end) return undefined
            return checkedRecord({ accountId: account.id, campaignId: mapped.campaignId, date: mapped.date, metrics: mapped.metrics }, row)
          }),
          Stream.filter((record): record is FetchedRecord => record !== undefined)
        )
      })
    )

  return { name: definition.name, stream: "campaign_daily", lookbackDays: settings.lookbackDays, accounts, fetch }
}

export const FileExportSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  folder: Schema.String,
  format: Schema.optionalKey(Schema.Literals(["csv", "ndjson"])),
  time_zone: Schema.optionalKey(Schema.String.check(Schema.makeFilter((zone) => isValidTimeZone(zone) || `"${zone}" is not an IANA time zone`))),
  lookback_days: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * A platform read from exported files, in the settings as `sources.<platform>`: `folder`,
 * `format` (csv or ndjson), `time_zone` of the export's days, `lookback_days`.
 */
export const fileExportPlatform = <A>(definition: FileSourceDefinition<A>, defaultLookbackDays: number): PlatformSource<typeof FileExportSettingsSection.Type> => ({
  settings: FileExportSettingsSection,
  make: (section, context) =>
    Effect.succeed(
      makeFileSource(definition, {
        folder: path.resolve(context.baseDir, section.folder),
        format: section.format ?? "csv",
        timeZone: section.time_zone ?? "UTC",
        lookbackDays: section.lookback_days ?? defaultLookbackDays,
        spillFolder: context.scratchFolder
      })
    )
})
