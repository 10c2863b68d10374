/**
 * Pinterest API v5 campaign analytics (`ad_accounts/{id}/campaigns/analytics`, `granularity=DAY`):
 * one object per campaign and day, the columns asked for as keys, counts as numbers and money in
 * micro-units of the account's currency (`…_IN_MICRO_DOLLAR`, whatever the currency), days as
 * `YYYY-MM-DD` in UTC.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

export const PinterestAnalyticsRow = Schema.Struct({
  CAMPAIGN_ID: Schema.String.check(Schema.isPattern(/^\d+$/)),
  DATE: IsoDate,
  IMPRESSION_1: Count,
  CLICKTHROUGH_1: Count,
  SPEND_IN_MICRO_DOLLAR: Count,
  TOTAL_CHECKOUT: Schema.optionalKey(Count),
  TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR: Schema.optionalKey(Count),
  /** Added by the connector from the account and its campaign list. */
  account_name: Schema.optionalKey(Schema.String),
  currency: Schema.String,
  campaign_name: Schema.optionalKey(Schema.String),
  campaign_status: Schema.optionalKey(Schema.String)
})

export const analyticsColumns = ["CAMPAIGN_ID", "IMPRESSION_1", "CLICKTHROUGH_1", "SPEND_IN_MICRO_DOLLAR", "TOTAL_CHECKOUT", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR"] as const

export const AdAccount = Schema.Struct({ id: Schema.String, name: Schema.String, currency: Schema.String })

export const CampaignPage = Schema.Struct({
  items: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String, status: Schema.String })),
  bookmark: Schema.optionalKey(Schema.NullOr(Schema.String))
})

export const AnalyticsAnswer = Schema.Array(Schema.Unknown)
