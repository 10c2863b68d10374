/**
 * The bench's "limit": `campaign_performance_daily` computed by one hand-written DuckDB query
 * straight from the raw tables, as someone would write it for DuckDB alone (each payload's fields
 * read once, Meta's actions with list functions, no intermediate tables, no assertions). The
 * runner's full transform is measured against it (`transform_vs_limit_ratio`), and its rows are
 * checked against the mart's first, so the two compute the same thing.
 *
 * Written for the project's default vars (includes/platform_registry.json's three platforms, no
 * pass-through metrics): a change to the models' meaning shows up as a failed check, not as a
 * flattering ratio.
 */

const statuses = (column: string, mapping: Readonly<Record<string, string>>) =>
  `CASE upper(${column}) ${Object.entries(mapping).map(([raw, status]) => `WHEN '${raw}' THEN '${status}'`).join(" ")} ELSE 'unknown' END`

// The newest ingestion run of each (account, campaign, day) wins, all of its rows (segments) summed.
const newest = (table: string) =>
  `SELECT * FROM raw.${table} QUALIFY dense_rank() OVER (PARTITION BY account_id, campaign_id, date ORDER BY _ingested_at DESC, _run_id DESC) = 1`

const summed = (platform: string, fields: string) => `
  SELECT date, '${platform}' AS platform, account_id, max(account_name) AS account_name, campaign_id,
    max(campaign_name) AS campaign_name, max(campaign_status) AS campaign_status, max(currency) AS currency,
    sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend) AS spend,
    sum(conversions) AS conversions, sum(conversion_value) AS conversion_value
  FROM (${fields})
  GROUP BY date, account_id, campaign_id`

/** The CREATE TABLE statement of the limit, as `main.limit_campaign_performance_daily`. */
export const limitStatement = (reportingCurrency: string, metaActionTypes: ReadonlyArray<string>): string => {
  const wanted = `[${metaActionTypes.map((type) => `'${type}'`).join(", ")}]`
  const metaSum = (field: string) =>
    `coalesce(list_sum(list_transform(list_filter(CAST(payload->'$.${field}' AS JSON[]), lambda a: list_contains(${wanted}, a->>'$.action_type')), lambda a: TRY_CAST(a->>'$.value' AS DOUBLE))), 0)`
  const google = summed(
    "google_ads",
    `SELECT date, account_id, campaign_id, payload->>'$.customer.descriptiveName' AS account_name, payload->>'$.campaign.name' AS campaign_name,
       ${statuses("payload->>'$.campaign.status'", { ENABLED: "active", PAUSED: "paused", REMOVED: "removed" })} AS campaign_status,
       payload->>'$.customer.currencyCode' AS currency,
       coalesce(TRY_CAST(payload->>'$.metrics.impressions' AS BIGINT), 0) AS impressions,
       coalesce(TRY_CAST(payload->>'$.metrics.clicks' AS BIGINT), 0) AS clicks,
       coalesce(TRY_CAST(payload->>'$.metrics.costMicros' AS BIGINT), 0) / 1000000 AS spend,
       coalesce(TRY_CAST(payload->>'$.metrics.conversions' AS DOUBLE), 0) AS conversions,
       coalesce(TRY_CAST(payload->>'$.metrics.conversionsValue' AS DOUBLE), 0) AS conversion_value
     FROM (${newest("google_ads__campaign_daily")})`
  )
  const meta = summed(
    "meta_ads",
    `SELECT date, account_id, campaign_id, payload->>'$.account_name' AS account_name, payload->>'$.campaign_name' AS campaign_name,
       ${statuses("payload->>'$.campaign_effective_status'", { ACTIVE: "active", PAUSED: "paused", CAMPAIGN_PAUSED: "paused", DELETED: "removed", ARCHIVED: "removed" })} AS campaign_status,
       payload->>'$.account_currency' AS currency,
       coalesce(TRY_CAST(payload->>'$.impressions' AS BIGINT), 0) AS impressions,
       coalesce(TRY_CAST(payload->>'$.inline_link_clicks' AS BIGINT), 0) AS clicks,
       coalesce(TRY_CAST(payload->>'$.spend' AS DOUBLE), 0) AS spend,
       ${metaSum("actions")} AS conversions,
       ${metaSum("action_values")} AS conversion_value
     FROM (${newest("meta_ads__campaign_daily")})`
  )
  const microsoft = summed(
    "microsoft_ads",
    `SELECT date, account_id, campaign_id, payload->>'$.AccountName' AS account_name, payload->>'$.CampaignName' AS campaign_name,
       ${statuses("payload->>'$.CampaignStatus'", { ACTIVE: "active", PAUSED: "paused", BUDGETPAUSED: "paused", DELETED: "removed" })} AS campaign_status,
       payload->>'$.CurrencyCode' AS currency,
       coalesce(TRY_CAST(payload->>'$.Impressions' AS BIGINT), 0) AS impressions,
       coalesce(TRY_CAST(payload->>'$.Clicks' AS BIGINT), 0) AS clicks,
       coalesce(TRY_CAST(payload->>'$.Spend' AS DOUBLE), 0) AS spend,
       coalesce(TRY_CAST(payload->>'$.Conversions' AS DOUBLE), 0) AS conversions,
       coalesce(TRY_CAST(payload->>'$.Revenue' AS DOUBLE), 0) AS conversion_value
     FROM (${newest("microsoft_ads__campaign_daily")})`
  )
  const ratio = (numerator: string, denominator: string) => `CASE WHEN ${denominator} = 0 THEN NULL ELSE ${numerator} / ${denominator} END`
  // A month without a rate takes the currency's latest one before it, as the models do.
  const rate = (currency: string, alias: string) => `
    LEFT JOIN reference.fx_rates AS ${alias} ON ${alias}.currency = ${currency} AND ${alias}.month = date_trunc('month', s.date)
    LEFT JOIN latest AS ${alias}_latest ON ${alias}_latest.currency = ${currency} AND ${alias}_latest.month < date_trunc('month', s.date)`
  return `CREATE OR REPLACE TABLE main.limit_campaign_performance_daily AS
WITH latest AS (SELECT * FROM reference.fx_rates QUALIFY row_number() OVER (PARTITION BY currency ORDER BY month DESC) = 1),
statistics AS (${google} UNION ALL ${meta} UNION ALL ${microsoft})
SELECT s.*,
  s.spend / coalesce(account.units_per_eur, account_latest.units_per_eur) * coalesce(reporting.units_per_eur, reporting_latest.units_per_eur) AS spend_reporting,
  s.conversion_value / coalesce(account.units_per_eur, account_latest.units_per_eur) * coalesce(reporting.units_per_eur, reporting_latest.units_per_eur) AS conversion_value_reporting,
  '${reportingCurrency}' AS reporting_currency,
  ${ratio("s.clicks", "s.impressions")} AS ctr,
  ${ratio("s.spend", "s.clicks")} AS cpc,
  ${ratio("1000 * s.spend", "s.impressions")} AS cpm,
  ${ratio("s.spend", "s.conversions")} AS cpa,
  ${ratio("s.conversion_value", "s.spend")} AS roas
FROM statistics AS s ${rate("s.currency", "account")} ${rate(`'${reportingCurrency}'`, "reporting")}`
}

const MEASURES = ["impressions", "clicks", "spend", "conversions", "conversion_value", "spend_reporting", "conversion_value_reporting", "ctr", "cpc", "cpm", "cpa", "roas"]
const ATTRIBUTES = ["account_name", "campaign_name", "campaign_status", "currency", "reporting_currency"]

/**
 * Rows of the mart and of the limit that do not match: a key on one side only, an attribute that
 * differs, or a measure more than a relative 1e-9 apart (sums of doubles in another order).
 */
export const limitMismatchQuery = (mart: string): string => {
  const same = (column: string) => `(m.${column} IS NOT DISTINCT FROM l.${column} OR abs(m.${column} - l.${column}) <= 1e-9 * greatest(1, abs(m.${column})))`
  return `SELECT count(*) AS differing, (SELECT count(*) FROM ${mart}) AS mart_rows, (SELECT count(*) FROM main.limit_campaign_performance_daily) AS limit_rows
FROM ${mart} AS m FULL JOIN main.limit_campaign_performance_daily AS l USING (date, platform, account_id, campaign_id)
WHERE m.date IS NULL OR l.date IS NULL
  OR NOT (${[...ATTRIBUTES.map((c) => `m.${c} IS NOT DISTINCT FROM l.${c}`), ...MEASURES.map(same)].join("\n  AND ")})`
}
