/**
 * The source abstraction: an `AdsSource` lists its accounts and, for an account and a date window,
 * streams records of one stream (campaign daily statistics), validated and mapped, with bad rows
 * as `RejectedRecord`s. `SourceRegistry` is the service holding the configured sources.
 */
import { Cause, Channel, Context, Effect, Layer, Option, Stream } from "effect"
import type { AccountInfo, DateWindow, FetchedRecord } from "./model.ts"
import type { SourceError } from "./errors.ts"

/** One column of a source's raw table, as the warehouse and BigQuery see it. */
export interface RawColumn {
  readonly name: string
  readonly type: "STRING" | "DATE" | "TIMESTAMP" | "INT64" | "JSON"
  readonly description: string
}

export interface AdsSource {
  /** The platform, as it appears in the marts' `platform` column: `google_ads`, `meta_ads`, … */
  readonly name: string
  readonly stream: "campaign_daily"
  /** Days re-fetched before the last complete date, because the platform keeps revising them. */
  readonly lookbackDays: number
  readonly accounts: Effect.Effect<ReadonlyArray<AccountInfo>, SourceError>
  readonly fetch: (account: AccountInfo, window: DateWindow) => Stream.Stream<FetchedRecord, SourceError>
}

/**
 * Rows handled together: ingestion encodes and writes records in batches of this size, whatever
 * chunks a source emits, and paged sources hand rows on in chunks of it, which pass through that
 * grouping as they are. A write per record was twice as slow through google-ads-api, and batches
 * of 10,000 lived long enough for V8 to move them to the old generation (1,000 measured about a
 * tenth faster, `docs/performance-history.md`).
 */
export const BATCH_ROWS = 1000

/** The sources this run may ingest from. */
export class SourceRegistry extends Context.Service<SourceRegistry, { readonly sources: ReadonlyArray<AdsSource> }>()(
  "mdp/SourceRegistry"
) {
  static readonly layerFrom = (sources: ReadonlyArray<AdsSource>): Layer.Layer<SourceRegistry> =>
    Layer.succeed(SourceRegistry, SourceRegistry.of({ sources }))
}

/**
 * An async iterable of rows (a CSV parser's) as a stream, taken from it up to `size` rows at a
 * time: each stream pull costs several promise and fiber steps, and `Stream.fromAsyncIterable`
 * pulls one row at a time. Held to one vCPU, a 300,000-row CSV export ingested with about 29 %
 * more rows per CPU second (`docs/performance-history.md`).
 */
export const fromAsyncIterableInBatches = <A, E>(rows: AsyncIterable<A>, onError: (error: unknown) => E, size = BATCH_ROWS): Stream.Stream<A, E> => {
  async function* batches(): AsyncGenerator<readonly [A, ...Array<A>]> {
    let batch: Array<A> = []
    for await (const row of rows) {
      batch.push(row)
      if (batch.length === size) {
        yield batch as unknown as readonly [A, ...Array<A>]
        batch = []
      }
    }
    if (batch.length > 0) yield batch as unknown as readonly [A, ...Array<A>]
  }
  return Stream.fromChannel(Channel.fromAsyncIterable(batches(), onError))
}

/**
 * Rows that arrive a page at a time (an API's answers, one after another): `fetchPage` answers a
 * page and the state to fetch the next one from, if any. Each page's rows are handed on in chunks
 * of at most `size`, taken out of the page, so that rows already written can be collected while
 * the rest wait; only the state is kept between pages. A page kept whole until the next one (by a
 * suspended generator, or `Stream.paginate`'s state) stayed reachable while its account waited on
 * a file write or a request, so more rows outlived young collections (`docs/performance-history.md`).
 */
export const pagedRows = <A, S, E>(
  first: S,
  fetchPage: (state: S) => Effect.Effect<readonly [Array<A>, Option.Option<S>], E>,
  size = BATCH_ROWS
): Stream.Stream<A, E> =>
  Stream.fromPull(
    Effect.sync(() => {
      let next: Option.Option<S> = Option.some(first)
      let page: Array<A> = []
      const pull: Effect.Effect<readonly [A, ...Array<A>], E | Cause.Done> = Effect.suspend(() => {
        if (page.length > 0) return Effect.succeed(page.splice(0, size) as unknown as readonly [A, ...Array<A>])
        if (Option.isNone(next)) return Cause.done()
        return Effect.flatMap(fetchPage(next.value), ([rows, following]) => {
          page = rows
          next = following
          return pull
        })
      })
      return pull
    })
  )

/**
 * A report row with what most platforms' reports lack and the connector adds: the account's name
 * and currency, and the campaign's name and status when the campaign list had it.
 */
export const withAccountAndCampaign = (
  row: object,
  account: AccountInfo,
  campaign: { readonly name: string; readonly status?: string | undefined } | undefined
): Readonly<Record<string, unknown>> => ({
  ...row,
  account_name: account.name,
  currency: account.currency,
  ...(campaign === undefined ? {} : { campaign_name: campaign.name, ...(campaign.status === undefined ? {} : { campaign_status: campaign.status }) })
})
