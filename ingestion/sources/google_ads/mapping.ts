/** Google Ads row → raw record. Used by the live client and by the sample source alike. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { GoogleAdsCampaignRow } from "./schema.ts"

const numberOf = (value: string | number | undefined): number => (value === undefined ? 0 : Number(value))

export const mapGoogleAdsRow = (row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(GoogleAdsCampaignRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const { customer, campaign, segments, metrics } = decoded.success
  return checkedRecord(
    {
      accountId: String(customer.id),
      campaignId: String(campaign.id),
      date: segments.date,
      metrics: {
        impressions: numberOf(metrics.impressions),
        clicks: numberOf(metrics.clicks),
        spend: numberOf(metrics.costMicros) / 1_000_000,
        currency: customer.currencyCode
      }
    },
    row as Readonly<Record<string, unknown>>
  )
}
