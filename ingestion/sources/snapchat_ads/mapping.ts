/** One Snapchat campaign-day → raw record, for the live client and the sample alike. Clicks are swipes up. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { SnapchatDayRow } from "./schema.ts"

export const mapSnapchatDay = (accountId: string, row: unknown): FetchedRecord =>
  recordFromRow(SnapchatDayRow, row, (day) => ({
    accountId,
    campaignId: day.campaign_id,
    // The account's own midnight, written with its offset: the date part is the account's day.
    date: day.start_time.slice(0, 10),
    metrics: { impressions: day.stats.impressions, clicks: day.stats.swipes, spend: day.stats.spend / 1_000_000, currency: day.currency }
  }))
