/** An Amazon Ads report row → raw record, for the live client and the sample alike. The account is the profile. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { AmazonReportRow } from "./schema.ts"

export const mapAmazonRow = (profileId: string, row: unknown): FetchedRecord =>
  recordFromRow(AmazonReportRow, row, (report) => ({
    accountId: profileId,
    campaignId: String(report.campaignId),
    date: report.date,
    metrics: { impressions: report.impressions, clicks: report.clicks, spend: report.cost, currency: report.currency }
  }))
