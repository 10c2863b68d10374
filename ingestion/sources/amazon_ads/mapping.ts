/** An Amazon Ads report row → raw record, for the live client and the sample alike. The account is the profile. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { AmazonReportRow } from "./schema.ts"

export const mapAmazonRow = (profileId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(AmazonReportRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const report = decoded.success
  return checkedRecord(
    {
      accountId: profileId,
      campaignId: String(report.campaignId),
      date: report.date,
      metrics: { impressions: report.impressions, clicks: report.clicks, spend: report.cost, currency: report.currency }
    },
    row as Readonly<Record<string, unknown>>
  )
}
