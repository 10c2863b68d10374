/**
 * Columns Google's exports to BigQuery document, for `mdp sources init`. The Google Ads transfer's
 * tables (`ads_Campaign_<customer id>`, `p_ads_…`) have the DATE pseudo columns `_DATA_DATE` and
 * `_LATEST_DATE` (https://cloud.google.com/bigquery/docs/google-ads-transfer), `segments_date`, and
 * numeric ids and metrics (https://cloud.google.com/bigquery/docs/google-ads-transformation).
 *
 * The columns of a GA4 BigQuery export table (`events_YYYYMMDD`, `events_intraday_YYYYMMDD`, the
 * `events_*` wildcard, and the user-data export's `pseudonymous_users_*` and `users_*`), as Google documents them
 * (https://developers.google.com/analytics/bigquery/event-schema), for `mdp sources init`: a stub
 * of such a table types the columns the project reads with the export's types, where the SQL alone
 * would leave `event_params`' `int_value` a STRING or not show that `items` is an array. Fields the
 * project reads that this list lacks (the export grows) are kept, typed by their use.
 */
import { ELEMENTS, type FieldRead } from "./source-types.ts"

/** A column: a scalar type, a STRUCT of fields, or an ARRAY of STRUCTs of fields (each a path and its type). */
export type Ga4Column =
  | { readonly kind: "scalar"; readonly type: string }
  | { readonly kind: "struct" | "array"; readonly fields: ReadonlyArray<FieldRead> }

const fields = (spec: string): ReadonlyArray<FieldRead> =>
  spec.split(",").map((entry) => {
    const [name, type] = entry.trim().split(/\s+/)
    return { path: name!.split("."), type: type! }
  })

// event_params, user_properties and items' item_params: a key and a value of four kinds.
const PARAMETER = "key STRING, value.string_value STRING, value.int_value INT64, value.float_value FLOAT64, value.double_value FLOAT64"

const COLUMNS: ReadonlyMap<string, Ga4Column> = new Map<string, Ga4Column>([
  ["event_date", { kind: "scalar", type: "STRING" }],
  ["event_timestamp", { kind: "scalar", type: "INT64" }],
  ["event_name", { kind: "scalar", type: "STRING" }],
  ["event_params", { kind: "array", fields: fields(PARAMETER) }],
  ["event_previous_timestamp", { kind: "scalar", type: "INT64" }],
  ["event_value_in_usd", { kind: "scalar", type: "FLOAT64" }],
  ["event_bundle_sequence_id", { kind: "scalar", type: "INT64" }],
  ["event_server_timestamp_offset", { kind: "scalar", type: "INT64" }],
  ["user_id", { kind: "scalar", type: "STRING" }],
  ["user_pseudo_id", { kind: "scalar", type: "STRING" }],
  ["privacy_info", { kind: "struct", fields: fields("analytics_storage STRING, ads_storage STRING, uses_transient_token STRING") }],
  ["user_properties", { kind: "array", fields: fields(`${PARAMETER}, value.set_timestamp_micros INT64`) }],
  ["user_first_touch_timestamp", { kind: "scalar", type: "INT64" }],
  ["user_ltv", { kind: "struct", fields: fields("revenue FLOAT64, currency STRING") }],
  [
    "device",
    {
      kind: "struct",
      fields: fields(
        "category STRING, mobile_brand_name STRING, mobile_model_name STRING, mobile_marketing_name STRING, mobile_os_hardware_model STRING, operating_system STRING, " +
          "operating_system_version STRING, vendor_id STRING, advertising_id STRING, language STRING, is_limited_ad_tracking STRING, time_zone_offset_seconds INT64, " +
          "browser STRING, browser_version STRING, web_info.browser STRING, web_info.browser_version STRING, web_info.hostname STRING"
      )
    }
  ],
  ["geo", { kind: "struct", fields: fields("city STRING, country STRING, continent STRING, region STRING, sub_continent STRING, metro STRING") }],
  ["app_info", { kind: "struct", fields: fields("id STRING, version STRING, install_store STRING, firebase_app_id STRING, install_source STRING") }],
  ["traffic_source", { kind: "struct", fields: fields("name STRING, medium STRING, source STRING") }],
  ["stream_id", { kind: "scalar", type: "STRING" }],
  ["platform", { kind: "scalar", type: "STRING" }],
  ["event_dimensions", { kind: "struct", fields: fields("hostname STRING") }],
  [
    "ecommerce",
    {
      kind: "struct",
      fields: fields(
        "total_item_quantity INT64, purchase_revenue_in_usd FLOAT64, purchase_revenue FLOAT64, refund_value_in_usd FLOAT64, refund_value FLOAT64, " +
          "shipping_value_in_usd FLOAT64, shipping_value FLOAT64, tax_value_in_usd FLOAT64, tax_value FLOAT64, unique_items INT64, transaction_id STRING"
      )
    }
  ],
  [
    "items",
    {
      kind: "array",
      fields: fields(
        "item_id STRING, item_name STRING, item_brand STRING, item_variant STRING, item_category STRING, item_category2 STRING, item_category3 STRING, " +
          "item_category4 STRING, item_category5 STRING, price_in_usd FLOAT64, price FLOAT64, quantity INT64, item_revenue_in_usd FLOAT64, item_revenue FLOAT64, " +
          "item_refund_in_usd FLOAT64, item_refund FLOAT64, coupon STRING, affiliation STRING, location_id STRING, item_list_id STRING, item_list_name STRING, " +
          "item_list_index STRING, promotion_id STRING, promotion_name STRING, creative_name STRING, creative_slot STRING, " +
          PARAMETER.split(", ").map((field) => `item_params.${ELEMENTS}.${field}`).join(", ")
      )
    }
  ],
  [
    "collected_traffic_source",
    {
      kind: "struct",
      fields: fields(
        "manual_campaign_id STRING, manual_campaign_name STRING, manual_source STRING, manual_medium STRING, manual_term STRING, manual_content STRING, " +
          "manual_source_platform STRING, manual_creative_format STRING, manual_marketing_tactic STRING, gclid STRING, dclid STRING, srsltid STRING"
      )
    }
  ],
  [
    "session_traffic_source_last_click",
    {
      kind: "struct",
      fields: fields(
        "manual_campaign.campaign_id STRING, manual_campaign.campaign_name STRING, manual_campaign.source STRING, manual_campaign.medium STRING, " +
          "manual_campaign.term STRING, manual_campaign.content STRING, manual_campaign.source_platform STRING, manual_campaign.creative_format STRING, " +
          "manual_campaign.marketing_tactic STRING, google_ads_campaign.customer_id STRING, google_ads_campaign.account_name STRING, " +
          "google_ads_campaign.campaign_id STRING, google_ads_campaign.campaign_name STRING, google_ads_campaign.ad_group_id STRING, " +
          "google_ads_campaign.ad_group_name STRING, cross_channel_campaign.campaign_id STRING, cross_channel_campaign.campaign_name STRING, " +
          "cross_channel_campaign.source STRING, cross_channel_campaign.medium STRING, cross_channel_campaign.source_platform STRING, " +
          "cross_channel_campaign.default_channel_group STRING, cross_channel_campaign.primary_channel_group STRING"
      )
    }
  ],
  ["is_active_user", { kind: "scalar", type: "BOOL" }],
  ["batch_event_index", { kind: "scalar", type: "INT64" }],
  ["batch_page_id", { kind: "scalar", type: "INT64" }],
  ["batch_ordering_id", { kind: "scalar", type: "INT64" }],
  ["publisher", { kind: "struct", fields: fields("ad_revenue_in_usd FLOAT64, ad_format STRING, ad_source_name STRING, ad_unit_id STRING") }]
])

// The user-data export (https://developers.google.com/analytics/bigquery/user-data-schema):
// `pseudonymous_users_YYYYMMDD` and `users_YYYYMMDD`.
const USER_COLUMNS: ReadonlyMap<string, Ga4Column> = new Map<string, Ga4Column>([
  ["user_id", { kind: "scalar", type: "STRING" }],
  ["pseudo_user_id", { kind: "scalar", type: "STRING" }],
  ["stream_id", { kind: "scalar", type: "INT64" }],
  ["user_info", { kind: "struct", fields: fields("last_active_timestamp_micros INT64, user_first_touch_timestamp_micros INT64, first_purchase_date STRING") }],
  ["privacy_info", { kind: "struct", fields: fields("is_limited_ad_tracking STRING, is_ads_personalization_allowed STRING") }],
  ["device", { kind: "struct", fields: fields("operating_system STRING, category STRING, mobile_brand_name STRING, mobile_model_name STRING, unified_screen_name STRING") }],
  ["geo", { kind: "struct", fields: fields("city STRING, country STRING, continent STRING, region STRING") }],
  ["audiences", { kind: "array", fields: fields("id INT64, name STRING, membership_start_timestamp_micros INT64, membership_expiry_timestamp_micros INT64, npa BOOL") }],
  ["user_properties", { kind: "array", fields: fields("key STRING, value.string_value STRING, value.set_timestamp_micros INT64, value.user_property_name STRING") }],
  [
    "user_ltv",
    { kind: "struct", fields: fields("revenue_in_usd FLOAT64, sessions INT64, engagement_time_millis INT64, purchases INT64, engaged_sessions INT64, session_duration_micros INT64") }
  ],
  ["predictions", { kind: "struct", fields: fields("in_app_purchase_score_7d FLOAT64, purchase_score_7d FLOAT64, churn_score_7d FLOAT64, revenue_28d_in_usd FLOAT64") }],
  ["occurrence_date", { kind: "scalar", type: "STRING" }],
  ["last_updated_date", { kind: "scalar", type: "STRING" }]
])

/** Whether a table is a GA4 export's: `events_`, `events_intraday_`, `pseudonymous_users_` or `users_` and a day, or that prefix's wildcard. */
export const isGa4ExportTable = (name: string): boolean => /^(events_(intraday_)?|(pseudonymous_)?users_(intraday_)?)(\d{8}|\*)$/i.test(name)

/** The export's column of that name in that table, if it documents one. */
export const ga4Column = (table: string, name: string): Ga4Column | undefined =>
  (/^events_/i.test(table) ? COLUMNS : USER_COLUMNS).get(name.toLowerCase())

/** Whether a table is a Google Ads transfer's: `ads_<Report>_<customer id>`, or its partitioned `p_ads_…`. */
export const isAdsTransferTable = (name: string): boolean => /^(p_)?ads_[A-Za-z]+_\d+$/.test(name)

/**
 * The Ads transfer column's documented type: the dates every report table has, the ids (INTEGER),
 * the counts and micros among the metrics (INTEGER) and the other metrics, conversions, values and
 * rates (FLOAT).
 */
export const adsTransferColumnType = (name: string): string | undefined => {
  if (/^(_DATA_DATE|_LATEST_DATE|segments_date)$/i.test(name)) return "DATE"
  if (/^(customer|campaign|ad_group|ad_group_ad_ad|ad_group_criterion_criterion|campaign_budget|bidding_strategy)_id$/i.test(name)) return "INT64"
  if (/^metrics_(impressions|clicks|interactions|video_views|engagements|view_through_conversions|\w+_micros)$/i.test(name)) return "INT64"
  if (/^metrics_\w+$/i.test(name)) return "FLOAT64"
  return undefined
}
