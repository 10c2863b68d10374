/**
 * TikTok report row → raw record, for the live client and the sample alike. The payload is the
 * row as the API sent it (with the campaign's status added); the advertiser is the account.
 */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { TikTokReportRow } from "./schema.ts"

export const mapTikTokReportRow = (advertiserId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(TikTokReportRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const { dimensions, metrics } = decoded.success
  return checkedRecord(
    {
      accountId: advertiserId,
      campaignId: dimensions.campaign_id,
      date: dimensions.stat_time_day.slice(0, 10),
      metrics: { impressions: Number(metrics.impressions), clicks: Number(metrics.clicks), spend: Number(metrics.spend), currency: metrics.currency }
    },
    row as Readonly<Record<string, unknown>>
  )
}
