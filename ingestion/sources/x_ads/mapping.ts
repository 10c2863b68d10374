/** One X campaign-day-placement → raw record, for the live client and the sample alike. Placements are segments. */
import { Result } from "effect"
import { checkedRecord, decodeOrReject } from "../../core/checks.ts"
import { rejected, type FetchedRecord } from "../../core/model.ts"
import { XDayRow } from "./schema.ts"

export const mapXDay = (accountId: string, row: unknown): FetchedRecord => {
  const decoded = decodeOrReject(XDayRow, row)
  if (Result.isFailure(decoded)) return rejected(decoded.failure, row)
  const day = decoded.success
  return checkedRecord(
    {
      accountId,
      campaignId: day.campaign_id,
      date: day.date,
      metrics: { impressions: day.impressions, clicks: day.clicks, spend: day.billed_charge_local_micro / 1_000_000, currency: day.currency }
    },
    row as Readonly<Record<string, unknown>>
  )
}
