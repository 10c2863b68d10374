/** One X campaign-day-placement → raw record, for the live client and the sample alike. Placements are segments. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { XDayRow } from "./schema.ts"

export const mapXDay = (accountId: string, row: unknown): FetchedRecord =>
  recordFromRow(XDayRow, row, (day) => ({
    accountId,
    campaignId: day.campaign_id,
    date: day.date,
    metrics: { impressions: day.impressions, clicks: day.clicks, spend: day.billed_charge_local_micro / 1_000_000, currency: day.currency }
  }))
