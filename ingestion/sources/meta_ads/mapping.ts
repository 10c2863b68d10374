/**
 * Meta insights row → raw record. Used by the live client and the sample source alike. Clicks
 * checked (and reported downstream) are link clicks (`inline_link_clicks`): comparable with Google
 * Ads clicks, whereas Meta's `clicks` counts every click on the ad, likes and expansions included.
 */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { MetaInsightsRow } from "./schema.ts"

const numberOf = (value: string | undefined): number => (value === undefined ? 0 : Number(value))

export const mapMetaInsightsRow = (row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(MetaInsightsRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const insights = decoded.success
  if (insights.date_start !== insights.date_stop) {
    return rejected(`not a daily row: ${insights.date_start} to ${insights.date_stop} (time_increment must be 1)`, row)
  }
  return checkedRecord(
    {
      accountId: insights.account_id,
      campaignId: insights.campaign_id,
      date: insights.date_start,
      metrics: {
        impressions: numberOf(insights.impressions),
        clicks: numberOf(insights.inline_link_clicks),
        spend: numberOf(insights.spend),
        currency: insights.account_currency
      }
    },
    row as Readonly<Record<string, unknown>>
  )
}
