/**
 * A row of the Google Ads campaign query exactly as REST `googleAds:searchStream` returns it
 * (google-ads-api with `disable_parsing`): camelCase keys, int64 values as decimal strings, enums
 * as names, and proto3 JSON's habit of leaving out fields whose value is zero.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Int64 = Schema.Union([Schema.String.check(Schema.isPattern(/^-?\d+$/)), Schema.Int])
const Double = Schema.Finite

export const GoogleAdsCampaignRow = Schema.Struct({
  customer: Schema.Struct({
    id: Int64,
    descriptiveName: Schema.optionalKey(Schema.String),
    currencyCode: Schema.String,
    timeZone: Schema.String
  }),
  campaign: Schema.Struct({
    id: Int64,
    name: Schema.String,
    status: Schema.String,
    advertisingChannelType: Schema.optionalKey(Schema.String)
  }),
  segments: Schema.Struct({ date: IsoDate }),
  metrics: Schema.Struct({
    impressions: Schema.optionalKey(Int64),
    clicks: Schema.optionalKey(Int64),
    costMicros: Schema.optionalKey(Int64),
    conversions: Schema.optionalKey(Double),
    conversionsValue: Schema.optionalKey(Double)
  })
})
export type GoogleAdsCampaignRow = typeof GoogleAdsCampaignRow.Type

/**
 * Rows one request of the campaign query should hold at most, unless configured. An answer is
 * parsed whole and held until written: 5,000 saved about 35 MB at four accounts, but its twice as
 * many requests cost more CPU (`docs/performance-history.md`). The sample's Google pages are this size, so
 * that the benchmark's pages are the live client's.
 */
export const DEFAULT_ROWS_PER_REQUEST = 10_000

/** Campaign × day, in the account's time zone; Performance Max campaigns included. Not segmented further, so no re-aggregation is needed. */
export const campaignDailyQuery = (start: string, end: string): string =>
  [
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone,",
    "  campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type,",
    "  segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros,",
    "  metrics.conversions, metrics.conversions_value",
    "FROM campaign",
    `WHERE segments.date BETWEEN '${start}' AND '${end}'`
  ].join("\n")

export const accountQuery = "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone FROM customer LIMIT 1"
