/**
 * Record-level checks at ingestion: the payload decodes against the source's schema, and its
 * metrics are consistent (no negative counts or spend, an ISO currency). More clicks than
 * impressions is not a fault: Google documents it (clicks are counted on the day they happen, and
 * some click types have no impression), so such rows are kept. A record failing
 * either is quarantined with the reason. Volume checks (a day with no or few rows) are per run,
 * in `ingest.ts` (`volumeFlags`).
 */
import { Result, Schema, SchemaAST } from "effect"
import { SchemaJITCompiler } from "effect/schema"
import { rejected, type CheckedMetrics, type FetchedRecord } from "./model.ts"

export const consistencyProblem = (metrics: CheckedMetrics): string | undefined => {
  const { impressions, clicks, spend, currency } = metrics
  if (!Number.isFinite(impressions) || impressions < 0) return `impressions must be a non-negative number, got ${impressions}`
  if (!Number.isFinite(clicks) || clicks < 0) return `clicks must be a non-negative number, got ${clicks}`
  if (!Number.isFinite(spend) || spend < 0) return `spend must be a non-negative number, got ${spend}`
  if (!/^[A-Z]{3}$/.test(currency)) return `currency must be an ISO 4217 code, got ${JSON.stringify(currency)}`
  return undefined
}

// Building a decoder is far costlier than running it: one per schema, reused for every record.
// Effect's JIT compiler turns it into straight-line checks (3–4× faster on these rows); a record
// that fails them is decoded again by the interpreter, which writes the detailed reason.
// A schema that only checks (no transformation or default anywhere, as the ad platforms' row
// schemas) decodes a valid payload to an equal copy of it: there the compiled type guard answers
// and the payload itself is the value, which spares a copy of every valid row (8 % of ingestion).
interface Decoder {
  readonly guard: ((input: unknown) => boolean) | undefined
  readonly decode: (input: unknown) => Result.Result<unknown, Schema.SchemaError>
}
const decoders = new WeakMap<object, Decoder>()

const onlyChecks = (ast: SchemaAST.AST): boolean => SchemaAST.toType(ast) === ast && SchemaAST.toEncoded(ast) === ast

const decoderOf = <A, I>(schema: Schema.Codec<A, I>): Decoder => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    SchemaJITCompiler.enable(schema.ast)
    decoder = {
      guard: onlyChecks(schema.ast) ? Schema.is(schema) : undefined,
      decode: Schema.decodeUnknownResult(schema) as Decoder["decode"]
    }
    decoders.set(schema, decoder)
  }
  return decoder
}

/** Decodes a payload; the failure is a one-line reason naming the offending field. */
export const decodeOrReject = <A, I>(schema: Schema.Codec<A, I>, payload: unknown): Result.Result<A, string> => {
  const { guard, decode } = decoderOf(schema)
  if (guard?.(payload) === true) return Result.succeed(payload as A)
  const result = decode(payload) as Result.Result<A, Schema.SchemaError>
  return Result.isSuccess(result)
    ? Result.succeed(result.success)
    : Result.fail(`does not match the schema: ${result.failure.message.replace(/\s+/g, " ").trim()}`)
}

export const checkedRecord = (
  fields: { readonly accountId: string; readonly campaignId: string; readonly date: string; readonly metrics: CheckedMetrics },
  payload: Readonly<Record<string, unknown>>
): FetchedRecord => {
  const problem = consistencyProblem(fields.metrics)
  if (problem !== undefined) return rejected(problem, payload)
  // Spelled out rather than spread: a spread copies through a slow generic path, on every row.
  return { _tag: "SourceRecord", accountId: fields.accountId, campaignId: fields.campaignId, date: fields.date, metrics: fields.metrics, payload }
}

/**
 * A platform's row as a record: decoded with its schema (a row that does not decode is
 * quarantined with the reason), then its key and metrics checked.
 */
export const recordFromRow = <A, I>(schema: Schema.Codec<A, I>, row: unknown, fields: (decoded: A) => Parameters<typeof checkedRecord>[0]): FetchedRecord => {
  const decoded = decodeOrReject(schema, row)
  return Result.isFailure(decoded) ? rejected(decoded.failure, row) : checkedRecord(fields(decoded.success), row as Readonly<Record<string, unknown>>)
}
