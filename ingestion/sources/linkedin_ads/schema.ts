/**
 * LinkedIn Marketing API (versioned REST, Rest.li 2.0) `adAnalytics` with `pivot=CAMPAIGN`,
 * `timeGranularity=DAILY`: one element per campaign and day, the campaign as a URN in
 * `pivotValues`, the day as `dateRange.start` {year, month, day} in UTC, counts as numbers and
 * money (`costInLocalCurrency`, `conversionValueInLocalCurrency`) as decimal strings in the
 * account's currency.
 */
import { Schema } from "effect"

const Decimal = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?([eE]-?\d+)?$/))
const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
const Day = Schema.Struct({ year: Schema.Int, month: Schema.Int, day: Schema.Int })

export const CAMPAIGN_URN = /^urn:li:sponsoredCampaign:(\d+)$/

export const LinkedInAnalyticsElement = Schema.Struct({
  pivotValues: Schema.Tuple([Schema.String.check(Schema.isPattern(CAMPAIGN_URN))]),
  dateRange: Schema.Struct({ start: Day, end: Schema.optionalKey(Day) }),
  impressions: Count,
  clicks: Count,
  costInLocalCurrency: Decimal,
  externalWebsiteConversions: Schema.optionalKey(Count),
  conversionValueInLocalCurrency: Schema.optionalKey(Decimal),
  /** Added by the connector from the account and its campaigns: analytics carry none of them. */
  account_name: Schema.optionalKey(Schema.String),
  currency: Schema.String,
  campaign_name: Schema.optionalKey(Schema.String),
  campaign_status: Schema.optionalKey(Schema.String)
})
export type LinkedInAnalyticsElement = typeof LinkedInAnalyticsElement.Type

/** The analytics fields asked for (`fields=`): the mart's measures and the keys. */
export const analyticsFields = ["pivotValues", "dateRange", "impressions", "clicks", "costInLocalCurrency", "externalWebsiteConversions", "conversionValueInLocalCurrency"] as const

export const AnalyticsAnswer = Schema.Struct({ elements: Schema.Array(Schema.Unknown) })

export const AdAccount = Schema.Struct({ id: Schema.Number, name: Schema.String, currency: Schema.String })

export const CampaignSearchPage = Schema.Struct({
  elements: Schema.Array(Schema.Struct({ id: Schema.Number, name: Schema.String, status: Schema.String })),
  metadata: Schema.optionalKey(Schema.Struct({ nextPageToken: Schema.optionalKey(Schema.String) }))
})
