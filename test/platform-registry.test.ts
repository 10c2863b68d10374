// Adding an ad platform, as docs/pipelines.md ("Adding a platform") tells it: in a copy of the
// project, write only the platform's folder, its staging model and its registry entry, then run
// the pipeline. The new platform must reach the marts and the report; a platform turned off in the
// settings must leave them; a pass-through metric must reach the marts without editing a model.
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { SAMPLE_PLATFORMS } from "../ingestion/sources/sample/source.ts"
import { onWarehouse } from "./support/warehouse-file.ts"
import { afterAll, assert, describe, it } from "vitest"

const repository = path.resolve(import.meta.dirname, "..")
const copy = mkdtempSync(path.join(os.tmpdir(), "mdp-new-platform-"))
afterAll(() => rmSync(copy, { recursive: true, force: true }))

/** The project's files, without its local state; node_modules shared, but for the Dataform core it compiles with. */
const copyProject = () => {
  for (const entry of ["app", "assertions", "definitions", "includes", "ingestion", "runner", "scripts", "workflow_settings.yaml", "package.json"]) {
    cpSync(path.join(repository, entry), path.join(copy, entry), { recursive: true })
  }
  mkdirSync(path.join(copy, "node_modules", "@dataform"), { recursive: true })
  for (const entry of readdirSync(path.join(repository, "node_modules"))) {
    if (entry !== "@dataform") symlinkSync(path.join(repository, "node_modules", entry), path.join(copy, "node_modules", entry))
  }
  symlinkSync(path.join(repository, "node_modules", "@dataform", "cli"), path.join(copy, "node_modules", "@dataform", "cli"))
  // The compile worker loads core from the project's own node_modules, as `dataform install` leaves it.
  cpSync(path.join(repository, "node_modules", "@dataform", "core"), path.join(copy, "node_modules", "@dataform", "core"), { recursive: true })
}

const write = (file: string, content: string) => {
  mkdirSync(path.dirname(path.join(copy, file)), { recursive: true })
  writeFileSync(path.join(copy, file), content)
}

// 1. The platform's folder: the export's row schema, and its mapping onto the file connector.
const platformFolder = {
  "ingestion/sources/acme_ads/schema.ts": `import { Schema } from "effect"
import { IsoDate } from "../../core/model.ts"

const Digits = Schema.String.check(Schema.isPattern(/^\\d+$/))
const Decimal = Schema.String.check(Schema.isPattern(/^\\d+(\\.\\d+)?$/))

export const AcmeAdsRow = Schema.Struct({
  account: Digits,
  account_name: Schema.String,
  campaign: Digits,
  campaign_name: Schema.String,
  state: Schema.String,
  day: IsoDate,
  views: Digits,
  taps: Digits,
  cost: Decimal,
  currency: Schema.String,
  sales: Decimal,
  sales_value: Decimal,
  video_views: Digits
})
export type AcmeAdsRow = typeof AcmeAdsRow.Type
`,
  "ingestion/sources/acme_ads/source.ts": `import { fileExportPlatform, type FileSourceDefinition } from "../files/source.ts"
import { AcmeAdsRow } from "./schema.ts"

const definition: FileSourceDefinition<AcmeAdsRow> = {
  name: "acme_ads",
  schema: AcmeAdsRow,
  accountIdOf: (row) => (typeof row["account"] === "string" ? row["account"] : undefined),
  keyOf: (row) => \`\${String(row["campaign"])}\\u0000\${String(row["day"])}\`,
  toRecord: (row) => ({
    account: { id: row.account, name: row.account_name, currency: row.currency },
    campaignId: row.campaign,
    date: row.day,
    metrics: { impressions: Number(row.views), clicks: Number(row.taps), spend: Number(row.cost), currency: row.currency }
  })
}

export const platformSource = fileExportPlatform(definition, 3)
`
}

// 2. Its staging model: the payload's fields in the models' vocabulary.
const stagingModel = `config {
  type: "incremental",
  schema: "staging",
  uniqueKey: ["account_id", "campaign_id", "date"],
  dependOnDependencyAssertions: true,
  tags: ["staging", "acme_ads"],
  disabled: !platforms.isEnabled("acme_ads"),
  description: "Acme Ads statistics per campaign and day from its exports.",
  columns: Object.assign({}, platforms.stagingColumns, platforms.passthroughColumns("acme_ads")),
  assertions: {
    nonNull: ["date", "account_id", "campaign_id", "currency"]
  }
}

pre_operations {
  \${when(incremental(), changes.declarePending(ref("stg_acme_ads__loads"), ref("mdp_checkpoints"), name()))}
}

post_operations {
  \${when(!incremental(), changes.forgetChecks(ref("mdp_checkpoints"), name()) + ";")}
  \${changes.recordCheckpoint(ref("mdp_checkpoints"), name(), \`(select max(changed_at) from \${ref("stg_acme_ads__loads")})\`)}
}

with latest as (
  \${changes.newestVersions(ref("acme_ads__campaign_daily"), ref("stg_acme_ads__loads"), incremental())}
),

segments as (
  select
    date,
    account_id,
    \${platforms.attributes.acme_ads.accountName} as account_name,
    campaign_id,
    \${platforms.attributes.acme_ads.campaignName} as campaign_name,
    \${platforms.attributes.acme_ads.campaignStatus} as campaign_status,
    cast(null as string) as channel,
    json_value(payload, '$.currency') as currency,
    coalesce(safe_cast(json_value(payload, '$.views') as int64), 0) as impressions,
    coalesce(safe_cast(json_value(payload, '$.taps') as int64), 0) as clicks,
    coalesce(safe_cast(json_value(payload, '$.cost') as float64), 0) as spend,
    coalesce(safe_cast(json_value(payload, '$.sales') as float64), 0) as conversions,
    coalesce(safe_cast(json_value(payload, '$.sales_value') as float64), 0) as conversion_value,
    \${platforms.passthroughSelect("acme_ads")}
    _segment_rows,
    _ingested_at,
    _run_id,
    changed_at
  from latest
),

final as (
  \${platforms.summedSegments("acme_ads", "segments")}
)

select * from final
`

// 3. Its registry entry.
const addRegistryEntry = () => {
  const file = path.join(copy, "includes", "platform_registry.json")
  const registry = JSON.parse(readFileSync(file, "utf8")) as { platforms: Record<string, unknown> }
  registry.platforms["acme_ads"] = {
    label: "Acme Ads",
    colour: "#ff7f0e",
    payload: { account_name: "$.account_name", campaign_name: "$.campaign_name", campaign_status: "$.state" },
    statuses: { LIVE: "active", STOPPED: "paused" }
  }
  writeFileSync(file, JSON.stringify(registry, null, 2))
}

// An export of two campaigns over three days, in EUR; the expected marts are computed from it here.
const exportRows = [1, 2].flatMap((campaign) =>
  ["2031-02-24", "2031-02-25", "2031-02-26"].map((day, i) => ({
    account: "777",
    account_name: "Acme account",
    campaign: String(campaign),
    campaign_name: `Acme campaign ${campaign}`,
    state: campaign === 1 ? "live" : "stopped",
    day,
    views: String(1000 * campaign + 10 * i),
    taps: String(50 * campaign + i),
    cost: (12.5 * campaign + i).toFixed(2),
    currency: "EUR",
    sales: String(campaign + i),
    sales_value: (40 * campaign + 5 * i).toFixed(2),
    video_views: String(300 * campaign + i)
  }))
)

const csv = (rows: ReadonlyArray<Readonly<Record<string, string>>>) => [Object.keys(rows[0]!).join(","), ...rows.map((row) => Object.values(row).join(","))].join("\n") + "\n"

const query = (file: string, sql: string) => onWarehouse(file, sql)

describe("adding an ad platform", () => {
  it("writing its folder, staging model and registry entry brings it into the marts and the report; a disabled platform leaves them", async () => {
    copyProject()
    for (const [file, content] of Object.entries(platformFolder)) write(file, content)
    write("definitions/staging/stg_acme_ads__campaign_daily.sqlx", stagingModel)
    addRegistryEntry()
    write("exports/acme_2031-02-27.csv", csv(exportRows))
    write(
      "config/settings.yaml",
      [
        "sources:",
        "  acme_ads:",
        "    folder: exports",
        "models:",
        "  platforms:",
        "    microsoft_ads: { enabled: false }",
        "    acme_ads:",
        "      passthrough_metrics: { video_views: '$.video_views' }",
        ""
      ].join("\n")
    )
    const result = await promisify(execFile)(process.execPath, [path.join(copy, "scripts", "mdp.ts"), "pipeline", "--from", "2031-02-20", "--to", "2031-02-27"], {
      cwd: copy,
      env: { ...process.env, MDP_NOW: "2031-02-28" },
      maxBuffer: 16 * 1024 * 1024
    }).catch((error: { stdout: string; stderr: string }) => assert.fail(`the pipeline failed:\n${error.stdout}\n${error.stderr}`))
    assert.include(result.stdout, "Pipeline succeeded")
    assert.match(result.stdout, /disabled\s+staging\.stg_microsoft_ads__campaign_daily/)

    const warehouse = path.join(copy, "data", "warehouse.duckdb")
    const marts = await query(
      warehouse,
      `select campaign_id, date::varchar as date, impressions, clicks, spend, conversions, conversion_value, campaign_status, video_views
       from marts.campaign_performance_daily where platform = 'acme_ads' order by campaign_id, date`
    )
    assert.deepStrictEqual(
      marts.map((row) => ({ ...row, spend: Number(row["spend"]), conversions: Number(row["conversions"]), conversion_value: Number(row["conversion_value"]), video_views: Number(row["video_views"]) })),
      exportRows.map((row) => ({
        campaign_id: row.campaign,
        date: row.day,
        impressions: row.views,
        clicks: row.taps,
        spend: Number(row.cost),
        conversions: Number(row.sales),
        conversion_value: Number(row.sales_value),
        campaign_status: row.state === "live" ? "active" : "paused",
        video_views: Number(row.video_views)
      }))
    )
    // The sample's platforms are there beside it, without the pass-through metric; the disabled one is not.
    const platforms = await query(warehouse, "select platform, count(*) as n, count(video_views) as with_video_views from marts.platform_performance_daily group by platform order by platform")
    const sampled = SAMPLE_PLATFORMS.filter((platform) => platform !== "microsoft_ads").sort()
    assert.deepStrictEqual(platforms.map((row) => row["platform"]), ["acme_ads", ...sampled])
    assert.deepStrictEqual(platforms.map((row) => Number(row["with_video_views"]) > 0), [true, ...sampled.map(() => false)])

    const report = readFileSync(path.join(copy, "data", "report", "index.html"), "utf8")
    assert.include(report, '"acme_ads":"#ff7f0e"')
    assert.match(report, /<td>acme_ads<\/td>/)
  }, 120_000)
})
