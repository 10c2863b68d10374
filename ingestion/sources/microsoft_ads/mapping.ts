/** A campaign performance report row → raw record: the exports' declaration, for the live client and the sample. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { MicrosoftAdsReportRow } from "./schema.ts"

export const mapMicrosoftReportRow = (accountId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(MicrosoftAdsReportRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const report = decoded.success
  if (report.AccountId !== accountId) return rejected(`the row is of account ${report.AccountId}, not of the account asked for (${accountId})`, row)
  return checkedRecord(
    {
      accountId,
      campaignId: report.CampaignId,
      date: report.TimePeriod,
      metrics: { impressions: Number(report.Impressions), clicks: Number(report.Clicks), spend: Number(report.Spend), currency: report.CurrencyCode }
    },
    row as Readonly<Record<string, unknown>>
  )
}
