/**
 * Snapchat Marketing API v1 ad account stats by day, broken down by campaign
 * (`adaccounts/{id}/stats?granularity=DAY&breakdown=campaign`): per campaign a `timeseries` of
 * days, each with its `stats`, its `start_time` the account's midnight with its offset; money in
 * micro-units of the account's currency. The raw row is one day of one campaign's timeseries,
 * with the campaign's id beside it (and what the connector adds from the account and campaigns).
 */
import { Schema } from "effect"

const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

export const SnapchatDayRow = Schema.Struct({
  campaign_id: Schema.String,
  start_time: Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T/)),
  end_time: Schema.optionalKey(Schema.String),
  stats: Schema.Struct({
    impressions: Count,
    swipes: Count,
    spend: Count,
    conversion_purchases: Schema.optionalKey(Count),
    conversion_purchases_value: Schema.optionalKey(Count)
  }),
  account_name: Schema.optionalKey(Schema.String),
  currency: Schema.String,
  campaign_name: Schema.optionalKey(Schema.String),
  campaign_status: Schema.optionalKey(Schema.String)
})

export const statsFields = ["impressions", "swipes", "spend", "conversion_purchases", "conversion_purchases_value"] as const

/** Snapchat's envelope: `request_status` SUCCESS, or ERROR with a `debug_message`. */
export const Envelope = Schema.Struct({ request_status: Schema.String, debug_message: Schema.optionalKey(Schema.String), display_message: Schema.optionalKey(Schema.String) })

export const AdAccountAnswer = Schema.Struct({
  adaccounts: Schema.Array(Schema.Struct({ adaccount: Schema.Struct({ id: Schema.String, name: Schema.String, currency: Schema.String, timezone: Schema.String }) }))
})

export const CampaignsAnswer = Schema.Struct({
  campaigns: Schema.Array(Schema.Struct({ campaign: Schema.Struct({ id: Schema.String, name: Schema.String, status: Schema.String }) })),
  paging: Schema.optionalKey(Schema.Struct({ next_link: Schema.optionalKey(Schema.String) }))
})

export const StatsAnswer = Schema.Struct({
  timeseries_stats: Schema.Array(
    Schema.Struct({
      timeseries_stat: Schema.Struct({
        breakdown_stats: Schema.Struct({
          campaign: Schema.Array(Schema.Struct({ id: Schema.String, timeseries: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)) }))
        })
      })
    })
  )
})
