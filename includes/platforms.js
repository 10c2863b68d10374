// The platforms of includes/platform_registry.json, as the models see them: which are enabled,
// how each one's raw payload spells the campaign attributes, the metrics a project passes through
// to the marts, and the unions over every enabled platform.
const registry = require("./platform_registry.json");

const platforms = Object.keys(registry.platforms);
const campaignStatuses = ["active", "paused", "removed", "unknown"];

const varOf = (name) => dataform.projectConfig.vars[name];

// A platform is on unless the project sets ad_reporting__<platform>_enabled to false (Fivetran's
// switch): its raw table stays declared, so its staging model still compiles, disabled.
function isEnabled(platform) {
  const value = varOf(`ad_reporting__${platform}_enabled`);
  return value === undefined || !/^(false|0|no|off)$/i.test(String(value).trim());
}

function enabledPlatforms() {
  return platforms.filter(isEnabled);
}

const sqlString = (text) => `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

// Statuses are matched upper-cased: platforms and their exports differ in case ('BudgetPaused').
const attributes = Object.fromEntries(
  platforms.map((platform) => {
    const { payload, statuses } = registry.platforms[platform];
    const status = Object.entries(statuses)
      .map(([raw, normalised]) => `when ${sqlString(raw.toUpperCase())} then ${sqlString(normalised)}`)
      .join("\n      ");
    return [
      platform,
      {
        accountName: `json_value(payload, ${sqlString(payload.account_name)})`,
        campaignName: `json_value(payload, ${sqlString(payload.campaign_name)})`,
        campaignStatus: `case upper(json_value(payload, ${sqlString(payload.campaign_status)}))
      ${status}
      else 'unknown'
    end`
      }
    ];
  })
);

// A staging model's rows: its segments (rows of one key within the winning run, e.g. one per
// device) summed per natural key. `segments` has the key, the attributes and metrics of each raw
// row, and _segment_rows, _ingested_at, _run_id, changed_at (includes/changes.js newestVersions).
// A key the run reported in one row (most keys) passes through as it is, and only the others are
// summed: a hash table of every key beside the join that found the newest runs ran out of DuckDB's
// 600 MB in a 10M-row full refresh of Meta's (one run in two, on two threads). The summed keys are
// grouped by their attributes rather than aggregating them (as are the lineage columns, one per
// winning run): DuckDB keeps a string MAX's state outside the memory it can spill. Segments that
// disagreed on an attribute would stay apart, and the staging key assertion would name the key.
// `segments` is read twice: DuckDB computes it once; BigQuery runs it twice (it bills a table's
// columns by what the query reads, so the bytes should not double, but its slot time does).
function summedSegments(platform, segments) {
  const metrics = ["impressions", "clicks", "spend", "conversions", "conversion_value", ...passthroughMetrics(platform).map(({ name }) => name)];
  // BigQuery's SUM of INT64 is an INT64; DuckDB's is a 128-bit HUGEINT unless cast, and every
  // table downstream would then store, compare and sum 128-bit counts.
  const summed = (metric) => (metric === "impressions" || metric === "clicks" ? `cast(sum(${metric}) as int64) as ${metric}` : `sum(${metric}) as ${metric}`);
  const select = (metric, segmentsCount) => `select
    date,
    '${platform}' as platform,
    account_id,
    account_name,
    campaign_id,
    campaign_name,
    campaign_status,
    channel,
    currency,
    ${metrics.map((name) => `${metric(name)},`).join("\n    ")}
    ${segmentsCount} as segments,
    _ingested_at as ingested_at,
    _run_id as run_id,
    changed_at
  from ${segments}`;
  return `${select((name) => name, "1")}
  where _segment_rows = 1
  union all
  ${select(summed, "count(*)")}
  where _segment_rows > 1
  group by date, account_id, campaign_id, account_name, campaign_name, campaign_status, channel, currency, _ingested_at, _run_id, changed_at`;
}

// The key of a staging model's statistics, and the columns that hold its values (not the key, the
// lineage or the stamp): includes/changes.js comparedWithStaged compares them.
const stagingKey = ["account_id", "campaign_id", "date"];
function stagingValueColumns(platform) {
  const notValues = new Set([...stagingKey, "platform", "ingested_at", "run_id", "changed_at"]);
  return [...Object.keys(stagingColumns).filter((column) => !notValues.has(column)), ...passthroughMetrics(platform).map(({ name }) => name)];
}

// Every ingestion run's view of a campaign's attributes: the raw zone is historised, so renames
// and status changes can be dated. Within one run the latest day's values stand for the run.
// `rows` are raw rows with their loads' changed_at (includes/changes.js pendingLoadRows).
function observations(platform, rows) {
  const a = attributes[platform];
  // The latest day of each run is picked before the payload is read: one row per campaign and
  // run instead of every raw row (reading JSON is most of a staging model's work). MAX_BY(payload,
  // date and run) instead of the window was twice as fast at 1M rows but ran out of DuckDB's 600MB
  // at 10M; picking the key first and joining the payload back took 1.5 times the window's time.
  return `select
    '${platform}' as platform,
    account_id,
    campaign_id,
    ${a.campaignName} as campaign_name,
    ${a.campaignStatus} as campaign_status,
    _ingested_at as observed_at,
    changed_at
  from (
    select * from (${rows})
    where true
    qualify row_number() over (partition by account_id, campaign_id, _ingested_at order by date desc, _run_id desc) = 1
  )`;
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

// Extra metrics a project passes through to the marts without editing a model (Fivetran's
// *_passthrough_metrics): var ad_reporting__<platform>_passthrough_metrics lists name:json_path
// pairs separated by "|", e.g. "video_views:$.metrics.videoViews". Each becomes a FLOAT64 column
// of the platform's staging model (0 where the payload lacks it), summed into the marts; platforms
// without it give NULL there. Adding one to a built project needs a --full-refresh of the marts.
const standardColumns = new Set(["date", "platform", "account_id", "account_name", "campaign_id", "campaign_name", "campaign_status", "channel", "currency", "impressions", "clicks", "spend", "conversions", "conversion_value", "segments", "ingested_at", "run_id", "changed_at", "spend_reporting", "conversion_value_reporting", "reporting_currency", "statistics_changed_at", "campaigns", "ctr", "cpc", "cpm", "cpa", "roas"]);

function passthroughMetrics(platform) {
  const setting = varOf(`ad_reporting__${platform}_passthrough_metrics`);
  if (setting === undefined || String(setting).trim() === "") return [];
  return String(setting)
    .split("|")
    .filter((entry) => entry.trim() !== "")
    .map((entry) => {
      const at = entry.indexOf(":");
      const name = entry.slice(0, at).trim();
      const path = entry.slice(at + 1).trim();
      if (at <= 0 || !/^[a-z][a-z0-9_]*$/.test(name) || standardColumns.has(name) || !/^\$[^']*$/.test(path)) {
        throw new Error(`ad_reporting__${platform}_passthrough_metrics: "${entry}" is not name:$.json.path (a new lower-case column name, a JSON path without quotes)`);
      }
      return { name, path };
    });
}

// Every enabled platform's pass-through metric names, in a stable order: the unions' and marts' extra columns.
function allPassthroughMetrics() {
  return [...new Set(enabledPlatforms().flatMap((platform) => passthroughMetrics(platform).map(({ name }) => name)))].sort();
}

// A staging model's pass-through metrics read from its payload, each followed by a comma.
function passthroughSelect(platform) {
  return passthroughMetrics(platform)
    .map(({ name, path }) => `coalesce(safe_cast(json_value(payload, ${sqlString(path)}) as float64), 0) as ${name},`)
    .join("\n    ");
}

// The pass-through metrics for a mart's select list, each followed by a comma: as they are, or summed.
function passthroughSums(aggregate) {
  return allPassthroughMetrics()
    .map((name) => (aggregate ? `sum(${name}) as ${name},` : `${name},`))
    .join("\n    ");
}

// Column docs of the pass-through metrics: one platform's, or every enabled platform's.
function passthroughColumns(platform) {
  const names = platform === undefined ? allPassthroughMetrics() : passthroughMetrics(platform).map(({ name }) => name);
  return Object.fromEntries(names.map((name) => [name, `Pass-through metric ${name} (var ad_reporting__<platform>_passthrough_metrics); NULL for platforms that do not pass it.`]));
}

// One select of every enabled platform's stg_<platform>__<entity>, unioned: the daily statistics
// with each pass-through metric in one place (NULL where a platform lacks it).
function unionAll(ref, entity) {
  const branches = enabledPlatforms().map((platform) => {
    if (entity !== "campaign_daily") return `select * from ${ref(`stg_${platform}__${entity}`)}`;
    const own = new Set(passthroughMetrics(platform).map(({ name }) => name));
    const extra = allPassthroughMetrics().map((name) => (own.has(name) ? name : `cast(null as float64) as ${name}`));
    return `select ${[...Object.keys(stagingColumns), ...extra].join(", ")} from ${ref(`stg_${platform}__${entity}`)}`;
  });
  if (branches.length === 0) throw new Error("every platform is disabled (vars ad_reporting__<platform>_enabled): the marts need at least one");
  return branches.join("\nunion all\n");
}

const stagingColumns = {
  date: "Day of the statistics, in the ad account's own time zone.",
  platform: `Ad platform: ${platforms.join(", ")}.`,
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
  changed_at: "Start of the transform that last changed this row's values; a re-derivation that finds the same values keeps it (includes/changes.js). Not a business date."
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

const rawColumns = Object.fromEntries(registry.raw_columns.map(({ name, description }) => [name, description]));

module.exports = {
  registry,
  platforms,
  isEnabled,
  enabledPlatforms,
  campaignStatuses,
  attributes,
  summedSegments,
  observations,
  conversionActionTypes,
  passthroughMetrics,
  stagingKey,
  stagingValueColumns,
  passthroughSelect,
  passthroughSums,
  passthroughColumns,
  unionAll,
  stagingColumns,
  observationColumns,
  loadColumns,
  rawColumns
};
