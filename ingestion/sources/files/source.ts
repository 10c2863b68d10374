/**
 * A source made of exported files (CSV with a header row, or NDJSON) dropped in a folder, for
 * platforms without an API connector here. A platform declares its row schema and how a row maps
 * to the natural key and checked metrics (see `microsoft_ads/`); this module reads the folder,
 * streams rows file by file, and keeps those of the requested account and window. Rows without a
 * readable account are quarantined in the first account's run, so they are counted once.
 */
import { createReadStream, readdirSync, statSync } from "node:fs"
import path from "node:path"
import { parse as parseCsv } from "csv-parse"
import { Effect, Result, Schema, Stream } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { SourceError } from "../../core/errors.ts"
import { rejected, type AccountInfo, type CheckedMetrics, type DateWindow, type FetchedRecord } from "../../core/model.ts"
import { fromAsyncIterableInBatches, type AdsSource } from "../../core/source.ts"

export interface FileSourceDefinition<A> {
  /** The platform, as it appears in the marts. */
  readonly name: string
  readonly schema: Schema.Codec<A, unknown>
  /** The account a raw row claims to belong to, read before validation. */
  readonly accountIdOf: (row: Readonly<Record<string, unknown>>) => string | undefined
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

  const allRows = () => Stream.fromIterable(listFiles(settings.folder, settings.format)).pipe(Stream.flatMap(rowsOfFile))

  const scanAccounts = Stream.runFold(allRows(), () => new Map<string, AccountInfo>(), (found, row) => {
    const decoded = decodeOrReject(definition.schema, row)
    if (Result.isSuccess(decoded)) {
      const { account } = definition.toRecord(decoded.success)
      if (!found.has(account.id)) found.set(account.id, { ...account, timeZone: settings.timeZone })
    }
    return found
  }).pipe(Effect.map((found) => [...found.values()].sort((a, b) => a.id.localeCompare(b.id))))

  // Finding the accounts reads every file; each account's fetch needs them again (which one is
  // first). Remembered while the folder's files stay the same, so a run reads the exports once
  // for the list and once per account, not twice per account more.
  let scanned: { readonly files: string; readonly accounts: ReadonlyArray<AccountInfo> } | undefined
  const filesNow = () =>
    listFiles(settings.folder, settings.format)
      .map((file) => {
        const stat = statSync(file)
        return `${file} ${stat.size} ${stat.mtimeMs}`
      })
      .join("\n")
  const accounts = Effect.suspend(() => {
    const files = filesNow()
    return scanned?.files === files
      ? Effect.succeed(scanned.accounts)
      : scanAccounts.pipe(Effect.tap((found) => Effect.sync(() => void (scanned = { files, accounts: found }))))
  })

  const fetch = (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Effect.map(accounts, (all) => {
        const first = all[0]?.id === account.id
        return allRows().pipe(
          Stream.map((row): FetchedRecord | undefined => {
            const claimed = definition.accountIdOf(row)
            if (claimed === undefined || claimed === "") return first ? rejected("the row names no account", row) : undefined
            if (claimed !== account.id) return undefined
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
