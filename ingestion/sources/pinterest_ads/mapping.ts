/** Pinterest campaign analytics row → raw record, for the live client and the sample alike. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { PinterestAnalyticsRow } from "./schema.ts"

export const mapPinterestRow = (accountId: string, row: unknown): FetchedRecord =>
  recordFromRow(PinterestAnalyticsRow, row, (stats) => ({
    accountId,
    campaignId: stats.CAMPAIGN_ID,
    date: stats.DATE,
    metrics: { impressions: stats.IMPRESSION_1, clicks: stats.CLICKTHROUGH_1, spend: stats.SPEND_IN_MICRO_DOLLAR / 1_000_000, currency: stats.currency }
  }))
