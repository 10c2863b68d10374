// One stg_<platform>__loads per platform: the ledger of ingestion loads its staging models work
// from (includes/changes.js). Generated from the platform list, as each platform's raw table is.
platforms.platforms.forEach((platform) => {
  publish(`stg_${platform}__loads`, {
    type: "incremental",
    schema: "staging",
    tags: ["staging", platform],
    description: `Every ingestion run and account found in raw.${platform}__campaign_daily, in whatever order they were ingested or loaded, stamped with the start of the transform that first saw it (changed_at): the ${platform} staging models process the loads newer than their own newest stamp.`,
    columns: platforms.loadColumns,
    assertions: {
      uniqueKey: ["run_id", "account_id"],
      nonNull: ["run_id", "account_id", "changed_at"]
    }
  }).query((ctx) => changes.newLoads(ctx.ref(`${platform}__campaign_daily`), ctx.incremental() ? ctx.self() : undefined));
});
