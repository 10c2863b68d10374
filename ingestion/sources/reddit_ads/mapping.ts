/** Reddit report metrics row → raw record, for the live client and the sample alike. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { RedditMetricsRow } from "./schema.ts"

export const mapRedditRow = (accountId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(RedditMetricsRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const metrics = decoded.success
  return checkedRecord(
    {
      accountId,
      campaignId: metrics.campaign_id,
      date: metrics.date,
      metrics: { impressions: metrics.impressions, clicks: metrics.clicks, spend: metrics.spend / 1_000_000, currency: metrics.currency }
    },
    row as Readonly<Record<string, unknown>>
  )
}
