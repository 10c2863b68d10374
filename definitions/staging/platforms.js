// The staging actions every platform has alike, generated from includes/platform_registry.json:
// the ledger of its ingestion loads (stg_<platform>__loads, includes/changes.js) and each run's
// view of its campaigns' attributes (stg_<platform>__campaign_observations). Its statistics are
// platform-specific: stg_<platform>__campaign_daily.sqlx. A disabled platform's actions are
// compiled but disabled (var ad_reporting__<platform>_enabled). The grain of its statistics is
// asserted here, on the rows changed since the last check (includes/changes.js uncheckedRows).
const rules = require("../../assertions/rules.js");

const dailyModel = (platform) => `stg_${platform}__campaign_daily`;

platforms.platforms.forEach((platform) => {
  const disabled = !platforms.isEnabled(platform);
  const loads = `stg_${platform}__loads`;

  publish(loads, {
    type: "incremental",
    schema: "staging",
    tags: ["staging", platform],
    disabled,
    description: `Every ingestion run and account found in raw.${platform}__campaign_daily, in whatever order they were ingested or loaded, stamped with the start of the transform that first saw it (changed_at): the ${platform} staging models process the loads newer than their own newest stamp.`,
    columns: platforms.loadColumns,
    assertions: {
      uniqueKey: ["run_id", "account_id"],
      nonNull: ["run_id", "account_id", "changed_at"]
    }
  }).query((ctx) => changes.newLoads(ctx.ref(`${platform}__campaign_daily`), ctx.incremental() ? ctx.self() : undefined));

  publish(`stg_${platform}__campaign_observations`, {
    type: "incremental",
    schema: "staging",
    uniqueKey: ["account_id", "campaign_id", "observed_at"],
    dependOnDependencyAssertions: true,
    tags: ["staging", platform],
    disabled,
    description: `Each ingestion run's view of the ${platform} campaign attributes (name, status): one row per campaign and run, from the historised raw zone; each transform adds the runs of the loads it has not processed (${loads}), in whatever order they arrived.`,
    columns: platforms.observationColumns,
    assertions: {
      uniqueKey: ["account_id", "campaign_id", "observed_at"],
      nonNull: ["account_id", "campaign_id", "observed_at"]
    }
  })
    .preOps((ctx) => ctx.when(ctx.incremental(), changes.declarePending(ctx.ref(loads), ctx.ref("mdp_checkpoints"), ctx.name())))
    .postOps((ctx) => changes.recordCheckpoint(ctx.ref("mdp_checkpoints"), ctx.name(), `(select max(changed_at) from ${ctx.ref(loads)})`))
    .query(
      (ctx) => `with final as (
  ${platforms.observations(platform, changes.pendingLoadRows(ctx.ref(`${platform}__campaign_daily`), ctx.ref(loads), ctx.incremental()))}
)

select * from final`
    );

  const daily = dailyModel(platform);
  assert(`${daily}_unique_key`, {
    tags: ["staging", platform],
    disabled,
    description: `One row per account, campaign and day in ${daily}, among the keys of the rows changed since the last check.`
  }).query((ctx) =>
    rules.uniqueKeyOfChangedRows(ctx.ref(daily), changes.uncheckedRows(ctx.ref(daily), ctx.resolve("mdp_checkpoints"), daily), ["account_id", "campaign_id", "date"])
  );
});

// One action records every enabled platform's check at once, and runs only when all of them
// passed: one failure leaves them all to be checked again, which costs a little and is safe; one
// action per platform cost ten actions' overhead on every run.
const checked = platforms.enabledPlatforms().map(dailyModel);
operate("stg_campaign_daily_assertions_passed", {
  dataset: "staging",
  tags: ["staging"],
  disabled: checked.length === 0,
  description: "Records in mdp_checkpoints that every row of each enabled platform's stg_<platform>__campaign_daily passed its _unique_key check; runs only when all of them passed."
})
  .dependencies(checked.map((daily) => `${daily}_unique_key`))
  .queries((ctx) => checked.map((daily) => changes.recordChecks(ctx.ref("mdp_checkpoints"), daily, ctx.ref(daily))));
