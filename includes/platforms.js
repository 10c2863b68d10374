// Vocabulary shared by the models: platform names, normalised statuses, and how each platform's
// raw payload spells the campaign attributes (used by its daily and its observations views).
const platforms = ["google_ads", "meta_ads", "microsoft_ads"];
const campaignStatuses = ["active", "paused", "removed", "unknown"];

const attributes = {
  google_ads: {
    accountName: "json_value(payload, '$.customer.descriptiveName')",
    campaignName: "json_value(payload, '$.campaign.name')",
    campaignStatus: `case json_value(payload, '$.campaign.status')
      when 'ENABLED' then 'active'
      when 'PAUSED' then 'paused'
      when 'REMOVED' then 'removed'
      else 'unknown'
    end`
  },
  meta_ads: {
    accountName: "json_value(payload, '$.account_name')",
    campaignName: "json_value(payload, '$.campaign_name')",
    campaignStatus: `case json_value(payload, '$.campaign_effective_status')
      when 'ACTIVE' then 'active'
      when 'PAUSED' then 'paused'
      when 'CAMPAIGN_PAUSED' then 'paused'
      when 'DELETED' then 'removed'
      when 'ARCHIVED' then 'removed'
      else 'unknown'
    end`
  },
  microsoft_ads: {
    accountName: "json_value(payload, '$.AccountName')",
    campaignName: "json_value(payload, '$.CampaignName')",
    campaignStatus: `case lower(json_value(payload, '$.CampaignStatus'))
      when 'active' then 'active'
      when 'paused' then 'paused'
      when 'budgetpaused' then 'paused'
      when 'deleted' then 'removed'
      else 'unknown'
    end`
  }
};

// A staging model's rows: its segments (rows of one key within the winning run, e.g. one per
// device) summed per natural key. `segments` has the key, the attributes and metrics of each raw
// row, and _ingested_at, _run_id, changed_at.
function summedSegments(platform, segments) {
  return `select
    date,
    '${platform}' as platform,
    account_id,
    max(account_name) as account_name,
    campaign_id,
    max(campaign_name) as campaign_name,
    max(campaign_status) as campaign_status,
    max(channel) as channel,
    max(currency) as currency,
    sum(impressions) as impressions,
    sum(clicks) as clicks,
    sum(spend) as spend,
    sum(conversions) as conversions,
    sum(conversion_value) as conversion_value,
    count(*) as segments,
    max(_ingested_at) as ingested_at,
    max(_run_id) as run_id,
    max(changed_at) as changed_at
  from ${segments}
  group by date, account_id, campaign_id`;
}

// Every ingestion run's view of a campaign's attributes: the raw zone is historised, so renames
// and status changes can be dated. Within one run the latest day's values stand for the run.
// `rows` are raw rows with their loads' changed_at (includes/changes.js pendingLoadRows).
function observations(platform, rows) {
  const a = attributes[platform];
  return `select
    '${platform}' as platform,
    account_id,
    campaign_id,
    ${a.campaignName} as campaign_name,
    ${a.campaignStatus} as campaign_status,
    _ingested_at as observed_at,
    changed_at
  from (${rows})
  where true
  qualify row_number() over (partition by account_id, campaign_id, _ingested_at order by date desc, _run_id desc) = 1`;
}

// The Meta action types that count as conversions (var meta_conversion_action_types, separated by
// "|" or ","; mdp passes "|" because `dataform --vars` splits on commas), as a SQL list literal: a
// constant IN list, rather than splitting the var for every action of every row.
function conversionActionTypes() {
  const types = String(dataform.projectConfig.vars.meta_conversion_action_types || "")
    .split(/[|,]/)
    .map((type) => type.trim())
    .filter((type) => type !== "");
  return types.length === 0 ? "cast(null as string)" : types.map((type) => `'${type.replace(/'/g, "\\'")}'`).join(", ");
}

const stagingColumns = {
  date: "Day of the statistics, in the ad account's own time zone.",
  platform: "Ad platform: google_ads, meta_ads or microsoft_ads.",
  account_id: "Ad account id on the platform.",
  account_name: "Ad account name as the platform reported it.",
  campaign_id: "Campaign id on the platform.",
  campaign_name: "Campaign name as of the latest ingestion of this day.",
  campaign_status: "Normalised status: active, paused, removed or unknown.",
  channel: "Platform-specific campaign type (Google Ads channel type; empty elsewhere).",
  currency: "ISO 4217 currency of the ad account; spend and conversion_value are in it.",
  impressions: "Times the ads were shown.",
  clicks: "Clicks to the advertiser's destination (Meta: link clicks).",
  spend: "Cost in the account currency.",
  conversions: "Conversions as the platform counts them (Meta: the configured action types).",
  conversion_value: "Value of those conversions in the account currency.",
  segments: "Raw rows of the winning ingestion run summed into this row (several when the platform reports segments, such as devices).",
  ingested_at: "When the ingestion run whose numbers this row holds started: the newest run that reported the key wins.",
  run_id: "That ingestion run.",
  changed_at: "Start of the transform that last re-derived this row because its inputs changed (includes/changes.js); not a business date."
};

const observationColumns = {
  platform: "Ad platform.",
  account_id: "Ad account id on the platform.",
  campaign_id: "Campaign id on the platform.",
  campaign_name: "Campaign name as that ingestion run saw it.",
  campaign_status: "Normalised status as that ingestion run saw it.",
  observed_at: "When the ingestion run started.",
  changed_at: "Start of the transform that first saw that run (includes/changes.js)."
};

const loadColumns = {
  run_id: "Ingestion run found in the raw table.",
  account_id: "Ad account that run fetched.",
  ingested_at: "When the run started.",
  first_date: "First day among the run's rows for the account.",
  last_date: "Last day among them.",
  raw_rows: "Raw rows of the run for the account.",
  changed_at: "Start of the transform that first saw this load: what the staging models process in order."
};

module.exports = { platforms, campaignStatuses, attributes, summedSegments, observations, conversionActionTypes, stagingColumns, observationColumns, loadColumns };
