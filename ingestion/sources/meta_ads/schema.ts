/**
 * Meta Marketing API (Graph API v24) insights at `level=campaign`, `time_increment=1`: numbers as
 * decimal strings in the account currency, `actions`/`action_values` as lists of
 * `{ action_type, value }`. Fields with no activity may be absent.
 */
import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Decimal = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?$/))

const ActionStat = Schema.Struct({ action_type: Schema.String, value: Decimal })

export const MetaInsightsRow = Schema.Struct({
  account_id: Schema.String,
  account_name: Schema.optionalKey(Schema.String),
  account_currency: Schema.String,
  campaign_id: Schema.String,
  campaign_name: Schema.String,
  date_start: IsoDate,
  date_stop: IsoDate,
  impressions: Schema.optionalKey(Decimal),
  clicks: Schema.optionalKey(Decimal),
  inline_link_clicks: Schema.optionalKey(Decimal),
  spend: Schema.optionalKey(Decimal),
  actions: Schema.optionalKey(Schema.Array(ActionStat)),
  action_values: Schema.optionalKey(Schema.Array(ActionStat)),
  /** Added by the connector from the campaigns edge: insights carry no status. */
  campaign_effective_status: Schema.optionalKey(Schema.String)
})
export type MetaInsightsRow = typeof MetaInsightsRow.Type

export const insightsFields = [
  "account_id",
  "account_name",
  "account_currency",
  "campaign_id",
  "campaign_name",
  "date_start",
  "date_stop",
  "impressions",
  "clicks",
  "inline_link_clicks",
  "spend",
  "actions",
  "action_values"
] as const

export const AdAccountFields = Schema.Struct({
  name: Schema.String,
  currency: Schema.String,
  timezone_name: Schema.String
})

export const CampaignFields = Schema.Struct({
  id: Schema.String,
  name: Schema.optionalKey(Schema.String),
  effective_status: Schema.optionalKey(Schema.String)
})

export const ReportRunStatus = Schema.Struct({
  async_status: Schema.String,
  async_percent_completion: Schema.optionalKey(Schema.Number)
})
