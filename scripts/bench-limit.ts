/**
 * The bench's "limit": the four marts computed by hand-written DuckDB queries straight from the
 * raw tables, one per mart, as someone would write them for DuckDB alone (Meta's actions with list
 * functions, no staging or intermediate tables, no change tracking, no assertions; a later mart
 * reads an earlier one, as the models do). The runner's full transform is measured against them
 * (`transform_vs_limit_ratio`), and their rows are checked against the marts first, so the two
 * compute the same thing.
 *
 * Written for the project's default vars (Google's, Meta's and Microsoft's fields; the bench ingests only Google and Meta, so the other
 * platforms' staging tables are empty; no
 * pass-through metrics): a change to the models' meaning shows up as a failed check, not as a
 * flattering ratio.
 *
 * Counts are summed back to BIGINT, as the models do (DuckDB's SUM of a BIGINT is a 128-bit
 * HUGEINT, slower to store and to sum again): the limit is what DuckDB does at its best.
 */

const GOOGLE_STATUSES = { ENABLED: "active", PAUSED: "paused", REMOVED: "removed" }
const META_STATUSES = { ACTIVE: "active", PAUSED: "paused", CAMPAIGN_PAUSED: "paused", DELETED: "removed", ARCHIVED: "removed" }
const MICROSOFT_STATUSES = { ACTIVE: "active", PAUSED: "paused", BUDGETPAUSED: "paused", DELETED: "removed" }

const statuses = (column: string, mapping: Readonly<Record<string, string>>) =>
  `CASE upper(${column}) ${Object.entries(mapping).map(([raw, status]) => `WHEN '${raw}' THEN '${status}'`).join(" ")} ELSE 'unknown' END`

// The newest ingestion run of each (account, campaign, day) wins, all of its rows (segments)
// summed, grouped by the campaign's attributes: no string MAX then holds memory DuckDB cannot
// spill (what the staging models do too). Their narrow-column search for the newest run, here in
// the one query beside the other platforms', ran out of DuckDB's memory at 10M rows.
const newest = (table: string) =>
  `SELECT * FROM raw.${table} QUALIFY dense_rank() OVER (PARTITION BY account_id, campaign_id, date ORDER BY _ingested_at DESC, _run_id DESC) = 1`

const summed = (platform: string, fields: string) => `
  SELECT date, '${platform}' AS platform, account_id, account_name, campaign_id, campaign_name, campaign_status, currency,
    sum(impressions)::BIGINT AS impressions, sum(clicks)::BIGINT AS clicks, sum(spend) AS spend,
    sum(conversions) AS conversions, sum(conversion_value) AS conversion_value
  FROM (${fields})
  GROUP BY date, account_id, campaign_id, account_name, campaign_name, campaign_status, currency`

/** `main.limit_campaign_performance_daily`. */
const campaignPerformanceDaily = (reportingCurrency: string, metaActionTypes: ReadonlyArray<string>): string => {
  const wanted = `[${metaActionTypes.map((type) => `'${type}'`).join(", ")}]`
  const metaSum = (field: string) =>
    `coalesce(list_sum(list_transform(list_filter(CAST(payload->'$.${field}' AS JSON[]), lambda a: list_contains(${wanted}, a->>'$.action_type')), lambda a: TRY_CAST(a->>'$.value' AS DOUBLE))), 0)`
  const number = (path: string, type: "BIGINT" | "DOUBLE") => `coalesce(TRY_CAST(payload->>'${path}' AS ${type}), 0)`
  // Each platform's fields, as its staging model reads them.
  const fields = (platform: string, names: { readonly account: string; readonly campaign: string; readonly status: string; readonly currency: string }, statusMap: Readonly<Record<string, string>>, measures: Readonly<Record<"impressions" | "clicks" | "spend" | "conversions" | "conversion_value", string>>) =>
    summed(
      platform,
      `SELECT date, account_id, campaign_id, payload->>'${names.account}' AS account_name, payload->>'${names.campaign}' AS campaign_name,
         ${statuses(`payload->>'${names.status}'`, statusMap)} AS campaign_status, payload->>'${names.currency}' AS currency,
         ${Object.entries(measures).map(([name, expression]) => `${expression} AS ${name}`).join(", ")}
       FROM (${newest(`${platform}__campaign_daily`)})`
    )
  const google = fields("google_ads", { account: "$.customer.descriptiveName", campaign: "$.campaign.name", status: "$.campaign.status", currency: "$.customer.currencyCode" }, GOOGLE_STATUSES, {
    impressions: number("$.metrics.impressions", "BIGINT"),
    clicks: number("$.metrics.clicks", "BIGINT"),
    spend: `${number("$.metrics.costMicros", "BIGINT")} / 1000000`,
    conversions: number("$.metrics.conversions", "DOUBLE"),
    conversion_value: number("$.metrics.conversionsValue", "DOUBLE")
  })
  const meta = fields("meta_ads", { account: "$.account_name", campaign: "$.campaign_name", status: "$.campaign_effective_status", currency: "$.account_currency" }, META_STATUSES, {
    impressions: number("$.impressions", "BIGINT"),
    clicks: number("$.inline_link_clicks", "BIGINT"),
    spend: number("$.spend", "DOUBLE"),
    conversions: metaSum("actions"),
    conversion_value: metaSum("action_values")
  })
  const microsoft = fields("microsoft_ads", { account: "$.AccountName", campaign: "$.CampaignName", status: "$.CampaignStatus", currency: "$.CurrencyCode" }, MICROSOFT_STATUSES, {
    impressions: number("$.Impressions", "BIGINT"),
    clicks: number("$.Clicks", "BIGINT"),
    spend: number("$.Spend", "DOUBLE"),
    conversions: number("$.Conversions", "DOUBLE"),
    conversion_value: number("$.Revenue", "DOUBLE")
  })
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
  ${kpis("s.impressions", "s.clicks", "s.spend", "s.conversions", "s.conversion_value")}
FROM statistics AS s ${rate("s.currency", "account")} ${rate(`'${reportingCurrency}'`, "reporting")}`
}

const kpis = (impressions: string, clicks: string, spend: string, conversions: string, value: string) => {
  const ratio = (numerator: string, denominator: string) => `CASE WHEN ${denominator} = 0 THEN NULL ELSE ${numerator} / ${denominator} END`
  return `${ratio(clicks, impressions)} AS ctr, ${ratio(spend, clicks)} AS cpc, ${ratio(`1000 * ${spend}`, impressions)} AS cpm, ${ratio(spend, conversions)} AS cpa, ${ratio(value, spend)} AS roas`
}

/** `main.limit_platform_performance_daily`, from the limit's campaign days. */
const platformPerformanceDaily = `CREATE OR REPLACE TABLE main.limit_platform_performance_daily AS
SELECT *, ${kpis("impressions", "clicks", "spend_reporting", "conversions", "conversion_value_reporting")}
FROM (
  SELECT date, platform, reporting_currency, count(DISTINCT campaign_id) AS campaigns, sum(impressions)::BIGINT AS impressions, sum(clicks)::BIGINT AS clicks,
    sum(spend_reporting) AS spend_reporting, sum(conversions) AS conversions, sum(conversion_value_reporting) AS conversion_value_reporting
  FROM main.limit_campaign_performance_daily
  GROUP BY date, platform, reporting_currency
)`

// Each ingestion run's view of a campaign: its name and status on the latest day the run fetched.
const observed = (platform: string, table: string, name: string, status: string) =>
  `SELECT '${platform}' AS platform, account_id, campaign_id, ${name} AS campaign_name, ${status} AS campaign_status, _ingested_at AS observed_at
   FROM (SELECT * FROM raw.${table} QUALIFY row_number() OVER (PARTITION BY account_id, campaign_id, _ingested_at ORDER BY date DESC, _run_id DESC) = 1)`

/** `main.limit_campaign_history`: a version per change of name or status, valid until the next. */
const campaignHistory = `CREATE OR REPLACE TABLE main.limit_campaign_history AS
WITH observations AS (
  ${observed("google_ads", "google_ads__campaign_daily", "payload->>'$.campaign.name'", statuses("payload->>'$.campaign.status'", GOOGLE_STATUSES))}
  UNION ALL ${observed("meta_ads", "meta_ads__campaign_daily", "payload->>'$.campaign_name'", statuses("payload->>'$.campaign_effective_status'", META_STATUSES))}
  UNION ALL ${observed("microsoft_ads", "microsoft_ads__campaign_daily", "payload->>'$.CampaignName'", statuses("payload->>'$.CampaignStatus'", MICROSOFT_STATUSES))}
),
changes AS (
  SELECT * FROM observations
  WINDOW w AS (PARTITION BY platform, account_id, campaign_id ORDER BY observed_at)
  QUALIFY lag(observed_at) OVER w IS NULL
    OR lag(campaign_name) OVER w IS DISTINCT FROM campaign_name
    OR lag(campaign_status) OVER w IS DISTINCT FROM campaign_status
)
SELECT platform, account_id, campaign_id, campaign_name, campaign_status, observed_at AS valid_from,
  lead(observed_at) OVER w AS valid_to, lead(observed_at) OVER w IS NULL AS is_current
FROM changes
WINDOW w AS (PARTITION BY platform, account_id, campaign_id ORDER BY observed_at)`

/** `main.limit_campaigns`: each campaign's totals and latest attributes. */
const campaigns = (reportingCurrency: string) => `CREATE OR REPLACE TABLE main.limit_campaigns AS
WITH activity AS (
  SELECT platform, account_id, campaign_id,
    min(date) FILTER (WHERE impressions > 0) AS first_active_date, max(date) FILTER (WHERE impressions > 0) AS last_active_date,
    sum(impressions)::BIGINT AS impressions, sum(clicks)::BIGINT AS clicks, sum(spend_reporting) AS spend_reporting, sum(conversions) AS conversions,
    sum(conversion_value_reporting) AS conversion_value_reporting, max(reporting_currency) AS reporting_currency,
    arg_max(account_name, date) AS account_name, arg_max(currency, date) AS currency
  FROM main.limit_campaign_performance_daily
  GROUP BY ALL
),
versions AS (
  SELECT platform, account_id, campaign_id, count(*) AS attribute_versions,
    max(campaign_name) FILTER (WHERE is_current) AS campaign_name, max(campaign_status) FILTER (WHERE is_current) AS campaign_status
  FROM main.limit_campaign_history
  GROUP BY ALL
)
SELECT v.platform, v.account_id, a.account_name, v.campaign_id, v.campaign_name, v.campaign_status, a.currency, a.first_active_date, a.last_active_date,
  v.attribute_versions, coalesce(a.impressions, 0) AS impressions, coalesce(a.clicks, 0) AS clicks, coalesce(a.spend_reporting, 0) AS spend_reporting,
  coalesce(a.conversions, 0) AS conversions, coalesce(a.conversion_value_reporting, 0) AS conversion_value_reporting,
  coalesce(a.reporting_currency, '${reportingCurrency}') AS reporting_currency
FROM versions AS v LEFT JOIN activity AS a USING (platform, account_id, campaign_id)`

/** The limit's statements, in order: each mart as `main.limit_<mart>`. */
export const limitStatements = (reportingCurrency: string, metaActionTypes: ReadonlyArray<string>): ReadonlyArray<string> => [
  campaignPerformanceDaily(reportingCurrency, metaActionTypes),
  platformPerformanceDaily,
  campaignHistory,
  campaigns(reportingCurrency)
]

interface Comparison {
  readonly mart: string
  readonly keys: ReadonlyArray<string>
  readonly attributes: ReadonlyArray<string>
  readonly measures: ReadonlyArray<string>
}

const KPIS = ["ctr", "cpc", "cpm", "cpa", "roas"]
/** What is compared, per mart; changed_at, a stamp of the run, is left out. */
export const LIMIT_COMPARISONS: ReadonlyArray<Comparison> = [
  {
    mart: "campaign_performance_daily",
    keys: ["date", "platform", "account_id", "campaign_id"],
    attributes: ["account_name", "campaign_name", "campaign_status", "currency", "reporting_currency"],
    measures: ["impressions", "clicks", "spend", "conversions", "conversion_value", "spend_reporting", "conversion_value_reporting", ...KPIS]
  },
  {
    mart: "platform_performance_daily",
    keys: ["date", "platform", "reporting_currency"],
    attributes: ["campaigns"],
    measures: ["impressions", "clicks", "spend_reporting", "conversions", "conversion_value_reporting", ...KPIS]
  },
  { mart: "campaign_history", keys: ["platform", "account_id", "campaign_id", "valid_from"], attributes: ["campaign_name", "campaign_status", "valid_to", "is_current"], measures: [] },
  {
    mart: "campaigns",
    keys: ["platform", "account_id", "campaign_id"],
    attributes: ["account_name", "campaign_name", "campaign_status", "currency", "first_active_date", "last_active_date", "attribute_versions", "reporting_currency"],
    measures: ["impressions", "clicks", "spend_reporting", "conversions", "conversion_value_reporting"]
  }
]

/**
 * Rows of a mart (in `schema`, e.g. an attached database's marts) and of its limit that do not
 * match: a key on one side only, an attribute that differs, or a measure more than a relative
 * 1e-9 apart (sums of doubles in another order).
 */
export const limitMismatchQuery = (comparison: Comparison, schema: string): string => {
  const mart = `${schema}.${comparison.mart}`
  const limit = `main.limit_${comparison.mart}`
  const same = (column: string) => `(m.${column} IS NOT DISTINCT FROM l.${column} OR abs(m.${column} - l.${column}) <= 1e-9 * greatest(1, abs(m.${column})))`
  const present = comparison.keys[0]!
  return `SELECT count(*) AS differing, (SELECT count(*) FROM ${mart}) AS mart_rows, (SELECT count(*) FROM ${limit}) AS limit_rows
FROM ${mart} AS m FULL JOIN ${limit} AS l ON ${comparison.keys.map((k) => `m.${k} = l.${k}`).join(" AND ")}
WHERE m.${present} IS NULL OR l.${present} IS NULL
  OR NOT (${[...comparison.attributes.map((c) => `m.${c} IS NOT DISTINCT FROM l.${c}`), ...comparison.measures.map(same)].join("\n  AND ")})`
}
