/** Reddit report metrics row → raw record, for the live client and the sample alike. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { RedditMetricsRow } from "./schema.ts"

export const mapRedditRow = (accountId: string, row: unknown): FetchedRecord =>
  recordFromRow(RedditMetricsRow, row, (metrics) => ({
    accountId,
    campaignId: metrics.campaign_id,
    date: metrics.date,
    metrics: { impressions: metrics.impressions, clicks: metrics.clicks, spend: metrics.spend / 1_000_000, currency: metrics.currency }
  }))
