/**
 * Amazon Ads Reporting v3: one asynchronous report per ad product (Sponsored Products, Brands,
 * Display) by campaign and day, delivered as gzipped JSON: an array of rows keyed by the columns
 * asked for, numbers as numbers, money in the profile's currency. Sponsored Products name their
 * attributed purchases and sales by window (`purchases7d`, `sales7d`), Brands and Display do not
 * (`purchases`, `sales`: 14 days).
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

export const AD_PRODUCTS = {
  SPONSORED_PRODUCTS: { reportTypeId: "spCampaigns", conversions: ["purchases7d", "sales7d"] },
  SPONSORED_BRANDS: { reportTypeId: "sbCampaigns", conversions: ["purchases", "sales"] },
  SPONSORED_DISPLAY: { reportTypeId: "sdCampaigns", conversions: ["purchases", "sales"] }
} as const
export type AdProduct = keyof typeof AD_PRODUCTS

export const BASE_COLUMNS = ["date", "campaignId", "campaignName", "campaignStatus", "impressions", "clicks", "cost"] as const

export const AmazonReportRow = Schema.Struct({
  date: IsoDate,
  campaignId: Schema.Union([Schema.Number, Schema.String.check(Schema.isPattern(/^\d+$/))]),
  campaignName: Schema.String,
  campaignStatus: Schema.optionalKey(Schema.String),
  impressions: Count,
  clicks: Count,
  cost: Count,
  purchases7d: Schema.optionalKey(Count),
  sales7d: Schema.optionalKey(Count),
  purchases: Schema.optionalKey(Count),
  sales: Schema.optionalKey(Count),
  /** Added by the connector: the report it came from, and the profile's name and currency. */
  adProduct: Schema.Literals(["SPONSORED_PRODUCTS", "SPONSORED_BRANDS", "SPONSORED_DISPLAY"]),
  profile_name: Schema.optionalKey(Schema.String),
  currency: Schema.String
})

export const Profile = Schema.Struct({
  profileId: Schema.Union([Schema.Number, Schema.String]),
  currencyCode: Schema.String,
  timezone: Schema.String,
  accountInfo: Schema.Struct({ name: Schema.optionalKey(Schema.String), type: Schema.optionalKey(Schema.String) })
})
export const Profiles = Schema.Array(Profile)

export const ReportStatus = Schema.Struct({
  reportId: Schema.String,
  status: Schema.String,
  url: Schema.optionalKey(Schema.NullOr(Schema.String)),
  failureReason: Schema.optionalKey(Schema.NullOr(Schema.String))
})
