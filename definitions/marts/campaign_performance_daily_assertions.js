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

assert("campaign_performance_daily_reconciles_with_staging", { tags, description: "Spend per platform and day equals the staged spend." })
  .query((ctx) => rules.reconciliation({
    mart: ctx.ref(mart),
    source: ctx.ref("int_campaign_daily_unioned"),
    keys: ["platform", "date"],
    measure: "spend",
    tolerance: 0.005
  }));

assert("campaign_performance_daily_freshness", { tags, description: "Each platform's newest day is recent." })
  .query((ctx) => rules.freshness({
    relation: ctx.ref(mart),
    dateColumn: "date",
    groupColumn: "platform",
    maxDays: Number(dataform.projectConfig.vars.freshness_max_days || 3)
  }));
