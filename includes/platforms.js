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

// Keeps the latest ingestion of each natural key: re-ingested windows never double count.
// `newerThan` (an incremental run's filter) limits the scan to ingestions the table has not seen;
// merging on the natural key then replaces the older versions.
function latestIngestion(relation, newerThan) {
  return `select * from ${relation}
  where true ${newerThan || ""}
  qualify row_number() over (partition by account_id, campaign_id, date order by _ingested_at desc, _run_id desc) = 1`;
}

// An incremental run's input: the newest version of each natural key among the ingestions the
// table has not seen, minus re-fetched rows whose payload is unchanged (the same record hash as
// the staged version). Each run re-fetches weeks of settled days; parsing their JSON again was
// most of an incremental run's work. An unchanged row keeps the ingestion that first supplied it.
function newVersions(relation, self) {
  return `select latest.* from (
    ${latestIngestion(relation, `and _ingested_at > coalesce((select max(ingested_at) from ${self}), timestamp "1970-01-01")`)}
  ) as latest
  left join ${self} as staged
    on staged.account_id = latest.account_id
    and staged.campaign_id = latest.campaign_id
    and staged.date = latest.date
  where staged.record_hash is null or staged.record_hash != latest._record_hash`;
}

// Every ingestion run's view of a campaign's attributes: the raw zone is historised, so renames
// and status changes can be dated. Within one run the latest day's values stand for the run.
function observations(platform, relation, newerThan) {
  const a = attributes[platform];
  return `select
    '${platform}' as platform,
    account_id,
    campaign_id,
    ${a.campaignName} as campaign_name,
    ${a.campaignStatus} as campaign_status,
    _ingested_at as observed_at
  from ${relation}
  where true ${newerThan || ""}
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
  ingested_at: "When the ingestion run that first supplied this version of the row started (a re-fetch with an unchanged payload keeps it).",
  run_id: "That ingestion run.",
  record_hash: "SHA-256 of the raw payload this row was staged from."
};

const observationColumns = {
  platform: "Ad platform.",
  account_id: "Ad account id on the platform.",
  campaign_id: "Campaign id on the platform.",
  campaign_name: "Campaign name as that ingestion run saw it.",
  campaign_status: "Normalised status as that ingestion run saw it.",
  observed_at: "When the ingestion run started."
};

module.exports = { platforms, campaignStatuses, attributes, latestIngestion, newVersions, observations, conversionActionTypes, stagingColumns, observationColumns };
