// Data-quality rules on campaign_performance_daily beyond its config's row checks. The grain and
// the rules below check the rows changed since they last all passed (includes/changes.js
// uncheckedRows), not ten million rows every run; campaign_performance_daily_assertions_passed
// records how far that is.
const rules = require("../../assertions/rules.js");

const mart = "campaign_performance_daily";
const tags = ["marts", "assertions"];
const unchecked = (ctx) => changes.uncheckedRows(ctx.ref(mart), ctx.resolve("mdp_checkpoints"), mart);

const checks = [
  assert("campaign_performance_daily_unique_key", { tags, description: "One row per date, platform, account and campaign (the grain), among the keys of the rows changed since the last check." })
    .query((ctx) => rules.uniqueKeyOfChangedRows(ctx.ref(mart), unchecked(ctx), ["date", "platform", "account_id", "campaign_id"])),

  assert("campaign_performance_daily_platforms", { tags, description: "Platform is one we know." })
    .query((ctx) => rules.acceptedValues(unchecked(ctx), "platform", platforms.platforms)),

  assert("campaign_performance_daily_statuses", { tags, description: "Campaign status is a normalised one." })
    .query((ctx) => rules.acceptedValues(unchecked(ctx), "campaign_status", platforms.campaignStatuses)),

  assert("campaign_performance_daily_currencies", { tags, description: "Currencies are ISO 4217 codes." })
    .query((ctx) => rules.currencyCodes(unchecked(ctx), ["currency", "reporting_currency"])),

  assert("campaign_performance_daily_reconciles_with_staging", { tags, description: "Impressions, clicks, spend, conversions and conversion value per platform and day equal the staged (newest-run) statistics, on the days where either side changed since the last check." })
    .query((ctx) => rules.reconciliation({
      mart: ctx.ref(mart),
      source: ctx.ref("int_campaign_daily_unioned"),
      keys: ["platform", "date"],
      measures: ["impressions", "clicks", "spend", "conversions", "conversion_value"],
      tolerance: 0.005,
      changedSince: changes.checkedUntil(ctx.resolve("mdp_checkpoints"), mart)
    }))
];

operate("campaign_performance_daily_assertions_passed", { dataset: "staging", tags, description: "Records in mdp_checkpoints that every row of campaign_performance_daily passed the checks above; runs only when all of them passed." })
  .dependencies(checks.map((check) => check.getTarget().name))
  .queries((ctx) => changes.recordChecks(ctx.ref("mdp_checkpoints"), mart, ctx.ref(mart)));

// Stale data is only a warning (marts.platform_freshness, shown by the report and `mdp status`)
// until a platform is older than its error_after_days: then the run fails loudly.
assert("campaign_performance_daily_freshness", { tags, description: "No platform's newest day is older than its freshness error threshold (vars freshness_error_after_days[__<platform>])." })
  .query((ctx) => `select platform, newest_day, as_of, days_old, error_after_days
from ${ctx.ref("platform_freshness")}
where status = 'error'`);
