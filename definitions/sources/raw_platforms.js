// One raw table per registered platform (includes/platform_registry.json), written by mdp ingest.
// Declared even for a disabled platform, so that its staging model compiles (disabled).
platforms.platforms.forEach((platform) => {
  declare({
    schema: "raw",
    name: `${platform}__campaign_daily`,
    description: `Raw ${platforms.registry.platforms[platform].label} (${platform}) campaign daily statistics: append-only, one row per record per ingestion run, the platform's payload kept verbatim as JSON beside the ingestion metadata (written by mdp ingest).`,
    columns: platforms.rawColumns
  });
});
