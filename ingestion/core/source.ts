/**
 * The source abstraction: an `AdsSource` lists its accounts and, for an account and a date window,
 * streams records of one stream (campaign daily statistics), validated and mapped, with bad rows
 * as `RejectedRecord`s. `SourceRegistry` is the service holding the configured sources.
 */
import { Channel, Context, Effect, Layer, Stream } from "effect"
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
 * more rows per CPU second (`docs/performance.md`).
 */
export const fromAsyncIterableInBatches = <A, E>(rows: AsyncIterable<A>, onError: (error: unknown) => E, size = 1000): Stream.Stream<A, E> => {
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
