// Data-quality rules on campaign_performance_daily beyond its config's grain and row checks.
const rules = require("../../assertions/rules.js");

const mart = "campaign_performance_daily";
const tags = ["marts", "assertions"];

assert("campaign_performance_daily_platforms", { tags, description: "Platform is one we know." })
  .query((ctx) => rules.acceptedValues(ctx.ref(mart), "platform", platforms.platforms));

assert("campaign_performance_daily_statuses", { tags, description: "Campaign status is a normalised one." })
  .query((ctx) => rules.acceptedValues(ctx.ref(mart), "campaign_status", platforms.campaignStatuses));

assert("campaign_performance_daily_currencies", { tags, description: "Currencies are ISO 4217 codes." })
  .query((ctx) => rules.currencyCodes(ctx.ref(mart), ["currency", "reporting_currency"]));

assert("campaign_performance_daily_reconciles_with_staging", { tags, description: "Impressions, clicks, spend, conversions and conversion value per platform and day equal the staged (newest-run) statistics." })
  .query((ctx) => rules.reconciliation({
    mart: ctx.ref(mart),
    source: ctx.ref("int_campaign_daily_unioned"),
    keys: ["platform", "date"],
    measures: ["impressions", "clicks", "spend", "conversions", "conversion_value"],
    tolerance: 0.005
  }));

// Stale data is only a warning (marts.platform_freshness, shown by the report and `mdp status`)
// until a platform is older than its error_after_days: then the run fails loudly.
assert("campaign_performance_daily_freshness", { tags, description: "No platform's newest day is older than its freshness error threshold (vars freshness_error_after_days[__<platform>])." })
  .query((ctx) => `select platform, newest_day, as_of, days_old, error_after_days
from ${ctx.ref("platform_freshness")}
where status = 'error'`);
