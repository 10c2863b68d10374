/** LinkedIn analytics element → raw record, for the live client and the sample alike. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { CAMPAIGN_URN, LinkedInAnalyticsElement } from "./schema.ts"

const two = (n: number) => String(n).padStart(2, "0")

export const mapLinkedInElement = (accountId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(LinkedInAnalyticsElement, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const element = decoded.success
  const { year, month, day } = element.dateRange.start
  return checkedRecord(
    {
      accountId,
      campaignId: CAMPAIGN_URN.exec(element.pivotValues[0])![1]!,
      date: `${year}-${two(month)}-${two(day)}`,
      metrics: { impressions: element.impressions, clicks: element.clicks, spend: Number(element.costInLocalCurrency), currency: element.currency }
    },
    row as Readonly<Record<string, unknown>>
  )
}
