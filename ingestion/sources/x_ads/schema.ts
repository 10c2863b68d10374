/**
 * X Ads API v12 analytics for campaigns by day, from asynchronous stats jobs: per campaign and
 * placement, each metric an array with one value per day of the job's range (null when there was
 * nothing). The raw row is one day of one campaign and placement, the arrays' values at that day
 * taken out (and what the connector adds from the account and campaigns); money in micro-units
 * of the account's currency.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Count = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

export const XDayRow = Schema.Struct({
  campaign_id: Schema.String,
  date: IsoDate,
  placement: Schema.String,
  impressions: Count,
  clicks: Count,
  billed_charge_local_micro: Count,
  conversion_purchases: Schema.optionalKey(Count),
  conversion_purchases_sale_amount_local_micro: Schema.optionalKey(Count),
  account_name: Schema.optionalKey(Schema.String),
  currency: Schema.String,
  campaign_name: Schema.optionalKey(Schema.String),
  campaign_status: Schema.optionalKey(Schema.String)
})

const DayValues = Schema.NullOr(Schema.Array(Schema.NullOr(Schema.Number)))

export const StatsFile = Schema.Struct({
  data: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      id_data: Schema.Array(
        Schema.Struct({
          metrics: Schema.Struct({
            impressions: Schema.optionalKey(DayValues),
            clicks: Schema.optionalKey(DayValues),
            billed_charge_local_micro: Schema.optionalKey(DayValues),
            conversion_purchases: Schema.optionalKey(Schema.NullOr(Schema.Struct({ metric: Schema.optionalKey(DayValues), sale_amount: Schema.optionalKey(DayValues) })))
          })
        })
      )
    })
  )
})

export const Account = Schema.Struct({ data: Schema.Struct({ id: Schema.String, name: Schema.String, timezone: Schema.String }) })
export const FundingInstruments = Schema.Struct({ data: Schema.Array(Schema.Struct({ currency: Schema.String, entity_status: Schema.optionalKey(Schema.String) })) })
export const CampaignPage = Schema.Struct({
  data: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String, entity_status: Schema.optionalKey(Schema.String) })),
  next_cursor: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export const JobCreated = Schema.Struct({ data: Schema.Struct({ id_str: Schema.String }) })
export const JobStatus = Schema.Struct({ data: Schema.Array(Schema.Struct({ id_str: Schema.String, status: Schema.String, url: Schema.optionalKey(Schema.NullOr(Schema.String)) })) })
