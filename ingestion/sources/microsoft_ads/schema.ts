/**
 * A Microsoft Advertising campaign performance report (daily aggregation), exported as CSV or
 * NDJSON with the report's own column names. Money is in the account currency.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Decimal = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?$/))
const Digits = Schema.String.check(Schema.isPattern(/^\d+$/))

export const MicrosoftAdsReportRow = Schema.Struct({
  AccountId: Digits,
  AccountName: Schema.String,
  CampaignId: Digits,
  CampaignName: Schema.String,
  CampaignStatus: Schema.String,
  TimePeriod: IsoDate,
  Impressions: Digits,
  Clicks: Digits,
  Spend: Decimal,
  Conversions: Decimal,
  Revenue: Decimal,
  CurrencyCode: Schema.String
})
export type MicrosoftAdsReportRow = typeof MicrosoftAdsReportRow.Type
