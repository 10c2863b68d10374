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
 * An SDK's async iterable of rows as a stream, taken from it up to `size` rows at a time: each
 * stream pull costs several promise and fiber steps, and `Stream.fromAsyncIterable` pulls one row
 * at a time. Through google-ads-api, held to one vCPU, this did 10–30 % more rows per CPU second
 * (`docs/performance.md`). `onError` learns how many rows had already been handed on: a stream
 * that cannot resume may be retried only while that is 0.
 */
export const fromAsyncIterableInBatches = <A, E>(
  rows: AsyncIterable<A>,
  onError: (error: unknown, handedOn: number) => E,
  size = 1000
): Stream.Stream<A, E> => {
  let handedOn = 0
  async function* batches(): AsyncGenerator<readonly [A, ...Array<A>]> {
    let batch: Array<A> = []
    for await (const row of rows) {
      batch.push(row)
      if (batch.length === size) {
        handedOn += batch.length
        yield batch as unknown as readonly [A, ...Array<A>]
        batch = []
      }
    }
    if (batch.length > 0) {
      handedOn += batch.length
      yield batch as unknown as readonly [A, ...Array<A>]
    }
  }
  return Stream.fromChannel(Channel.fromAsyncIterable(batches(), (error) => onError(error, handedOn)))
}
