/**
 * Reddit Ads API v3 reports (`POST ad_accounts/{id}/reports`, breakdowns CAMPAIGN_ID and DATE):
 * `data.metrics` holds one object per campaign and day, field names in lower case, counts as
 * numbers and money in micro-units of the account's currency; more pages through
 * `pagination.next_url`.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

export const RedditMetricsRow = Schema.Struct({
  campaign_id: Schema.String,
  date: IsoDate,
  impressions: Count,
  clicks: Count,
  spend: Count,
  conversion_purchase_clicks: Schema.optionalKey(Count),
  conversion_purchase_total_value: Schema.optionalKey(Count),
  /** Added by the connector from the account and its campaigns. */
  account_name: Schema.optionalKey(Schema.String),
  currency: Schema.String,
  campaign_name: Schema.optionalKey(Schema.String),
  campaign_status: Schema.optionalKey(Schema.String)
})

export const reportFields = ["IMPRESSIONS", "CLICKS", "SPEND", "CONVERSION_PURCHASE_CLICKS", "CONVERSION_PURCHASE_TOTAL_VALUE"] as const

const Pagination = Schema.optionalKey(Schema.NullOr(Schema.Struct({ next_url: Schema.optionalKey(Schema.NullOr(Schema.String)) })))

export const ReportPage = Schema.Struct({ data: Schema.Struct({ metrics: Schema.Array(Schema.Unknown) }), pagination: Pagination })
export const AdAccount = Schema.Struct({ data: Schema.Struct({ id: Schema.String, name: Schema.String, currency: Schema.String, time_zone_id: Schema.String }) })
export const CampaignPage = Schema.Struct({
  data: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String, configured_status: Schema.optionalKey(Schema.String) })),
  pagination: Pagination
})
