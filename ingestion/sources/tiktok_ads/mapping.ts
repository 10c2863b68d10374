/**
 * TikTok report row → raw record, for the live client and the sample alike. The payload is the
 * row as the API sent it (with the campaign's status added); the advertiser is the account.
 */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { TikTokReportRow } from "./schema.ts"

export const mapTikTokReportRow = (advertiserId: string, row: unknown): FetchedRecord =>
  recordFromRow(TikTokReportRow, row, ({ dimensions, metrics }) => ({
    accountId: advertiserId,
    campaignId: dimensions.campaign_id,
    date: dimensions.stat_time_day.slice(0, 10),
    metrics: { impressions: Number(metrics.impressions), clicks: Number(metrics.clicks), spend: Number(metrics.spend), currency: metrics.currency }
  }))
