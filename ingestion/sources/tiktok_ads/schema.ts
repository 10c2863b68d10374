/**
 * TikTok Marketing API v1.3, synchronous integrated report (`report/integrated/get`, BASIC,
 * `AUCTION_CAMPAIGN`, dimensions `campaign_id` and `stat_time_day`): one row per campaign and day
 * as `{ dimensions, metrics }`, every metric a string (numbers as decimal strings), the day as
 * `YYYY-MM-DD 00:00:00` in the advertiser's time zone.
 */
import { Schema } from "effect"

const Decimal = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?$/))
const Digits = Schema.String.check(Schema.isPattern(/^\d+$/))

export const TikTokReportRow = Schema.Struct({
  dimensions: Schema.Struct({
    campaign_id: Digits,
    stat_time_day: Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}( 00:00:00)?$/))
  }),
  metrics: Schema.Struct({
    campaign_name: Schema.String,
    currency: Schema.String,
    spend: Decimal,
    impressions: Decimal,
    clicks: Decimal,
    complete_payment: Schema.optionalKey(Decimal),
    total_complete_payment_rate: Schema.optionalKey(Decimal)
  }),
  /** Added by the connector from advertiser/info and the campaign list: reports carry neither. */
  advertiser_name: Schema.optionalKey(Schema.String),
  campaign_operation_status: Schema.optionalKey(Schema.String)
})
export type TikTokReportRow = typeof TikTokReportRow.Type

/** The metrics asked for: the mart's measures, and the campaign's name and currency. */
export const reportMetrics = ["campaign_name", "currency", "spend", "impressions", "clicks", "complete_payment", "total_complete_payment_rate"] as const

/** Every answer's envelope: `code` 0 is success; anything else is an error, whatever the HTTP status. */
export const TikTokEnvelope = Schema.Struct({
  code: Schema.Number,
  message: Schema.optionalKey(Schema.String),
  request_id: Schema.optionalKey(Schema.String),
  data: Schema.optionalKey(Schema.Unknown)
})

export const ReportPage = Schema.Struct({
  list: Schema.Array(Schema.Unknown),
  page_info: Schema.Struct({ page: Schema.Number, total_page: Schema.Number })
})

export const AdvertiserInfo = Schema.Struct({
  list: Schema.Array(
    Schema.Struct({
      advertiser_id: Schema.String,
      name: Schema.String,
      currency: Schema.String,
      timezone: Schema.optionalKey(Schema.String),
      display_timezone: Schema.optionalKey(Schema.String)
    })
  )
})

export const CampaignPage = Schema.Struct({
  list: Schema.Array(Schema.Struct({ campaign_id: Schema.String, operation_status: Schema.optionalKey(Schema.String) })),
  page_info: Schema.Struct({ page: Schema.Number, total_page: Schema.Number })
})
