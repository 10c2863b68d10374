// Public Dataform projects, vendored under test/projects/ with their licences (test/projects/README.md),
// run end to end by the local runner from a copy, with small source rows: every action succeeds,
// the tables hold what this file computes from those rows itself, and a second run over new
// source rows (their incremental tables incremental) adds what the new rows bring.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import type { RunSummary } from "../runner/transform.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { installCore, pinnedCoreCache } from "./support/dataform-project.ts"
import { localWarehouse } from "./support/local-layers.ts"

const vendored = path.join(import.meta.dirname, "projects")
const copies: Array<string> = []
// zurich_air_quality pins dataformCoreVersion 3.0.0: it compiles with that core from a cache
// seeded from this repository's own copy, never from npm, whose registry is a closed port here.
const coreCache = pinnedCoreCache("dataform-core-3-0-0", "3.0.0")
copies.push(coreCache)
Object.assign(process.env, { MDP_DATAFORM_CORE_CACHE: coreCache, npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" })
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true })
})

/** A copy of a vendored project; a core 2.x project gets @dataform/core 2.6.0 (installed as dataform-core-2) as `npm install` would leave it. */
const copyProject = (name: string, core2 = false): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mdp-${name}-`))
  copies.push(dir)
  cpSync(path.join(vendored, name), dir, { recursive: true })
  if (core2) installCore(dir, "dataform-core-2")
  return dir
}

const run = (dir: string) => transform({ projectDir: dir, sourcesDir: path.join(dir, "test", "sources") })

/** The actions that did not succeed, with their errors: none is expected. */
const failures = (summary: RunSummary) => summary.results.filter((result) => result.status !== "succeeded").map((result) => `${result.action} ${result.status} ${result.error ?? ""}`)
const modeOf = (summary: RunSummary, action: string) => summary.results.find((result) => result.action === action)?.mode

const query = (sql: string) => Warehouse.use((warehouse) => warehouse.query(sql))

/** The rows of a small CSV file (quoted fields may hold commas), as records of strings. */
const csvRows = (file: string): ReadonlyArray<Record<string, string>> => {
  const lines = readFileSync(file, "utf8").trim().split("\n")
  const fields = (line: string) => [...line.matchAll(/("([^"]*)"|[^,]*)(,|$)/g)].slice(0, -1).map((match) => match[2] ?? match[1]!)
  const header = fields(lines[0]!)
  return lines.slice(1).map((line) => Object.fromEntries(fields(line).map((value, i) => [header[i]!, value])))
}

describe("public Dataform projects, vendored, on the local runner", () => {
  // dataform-co/dataform-scd (MIT, core 2.x): a type-2 slowly changing dimension, an incremental
  // table of updates and a view that dates each version. Its source is a view of literal rows
  // dated from CURRENT_DATE(); the copy dates them, so that nothing depends on today.
  it.effect("dataform-scd: a changed source row is appended and closes the version before it; an unchanged source adds nothing", () =>
    Effect.gen(function* () {
      const dir = copyProject("dataform-scd", true)
      const source = (rows: string) =>
        writeFileSync(
          path.join(dir, "definitions", "source_data.sqlx"),
          `config { type: "view" }\n\nSELECT *, md5(concat(field_a, cast(field_b AS string))) AS hash_value\nFROM (${rows})\n`
        )
      source("SELECT 1 AS user_id, 'b' AS field_a, 12.3 AS field_b, DATE '2024-01-02' AS updated_at UNION ALL SELECT 2, 'c', 23.4, DATE '2024-01-01'")
      const first = yield* run(dir)
      assert.deepStrictEqual(failures(first), [])
      const versions = () =>
        query("SELECT user_id, field_a, CAST(scd_valid_from AS VARCHAR) AS valid_from, CAST(scd_valid_to AS VARCHAR) AS valid_to FROM dataform_scd_example.source_data_scd ORDER BY user_id, scd_valid_from")
      assert.deepStrictEqual(yield* versions(), [
        { user_id: 1, field_a: "b", valid_from: "2024-01-02", valid_to: null },
        { user_id: 2, field_a: "c", valid_from: "2024-01-01", valid_to: null }
      ])

      // User 1 changes on 2024-01-05; user 2 is unchanged.
      source("SELECT 1 AS user_id, 'x' AS field_a, 12.3 AS field_b, DATE '2024-01-05' AS updated_at UNION ALL SELECT 2, 'c', 23.4, DATE '2024-01-01'")
      const second = yield* run(dir)
      assert.deepStrictEqual(failures(second), [])
      assert.strictEqual(modeOf(second, "dataform_scd_example.source_data_scd_updates"), "incremental")
      const expected = [
        { user_id: 1, field_a: "b", valid_from: "2024-01-02", valid_to: "2024-01-05" },
        { user_id: 1, field_a: "x", valid_from: "2024-01-05", valid_to: null },
        { user_id: 2, field_a: "c", valid_from: "2024-01-01", valid_to: null }
      ]
      assert.deepStrictEqual(yield* versions(), expected)

      // The same source again: no newer row, nothing appended.
      const third = yield* run(dir)
      assert.deepStrictEqual(failures(third), [])
      assert.deepStrictEqual(yield* versions(), expected)
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  // dataform-co/dataform-segment (MIT, core 2.x): Segment's page, track and identify calls made into
  // users and 30-minute sessions (tables) and views. Core 2.6 requires a defaultLocation, which
  // the project's dataform.json predates: the copy adds one.
  it.effect("dataform-segment: sessions and users as computed here from the calls, again after new calls arrive", () =>
    Effect.gen(function* () {
      const dir = copyProject("dataform-segment", true)
      const settings = path.join(dir, "dataform.json")
      writeFileSync(settings, JSON.stringify({ ...(JSON.parse(readFileSync(settings, "utf8")) as object), defaultLocation: "US" }))
      const calls = path.join(dir, "test", "sources", "javascript")
      // Sessions as the package defines them: each call's person is its user_id, else the user its
      // anonymous_id was last seen with, else the anonymous_id; a gap of more than 30 minutes ends one.
      const expectedSessions = () => {
        const events: ReadonlyArray<Record<string, string>> = [...csvRows(path.join(calls, "pages.csv")).map((row) => ({ ...row, kind: "page" })), ...csvRows(path.join(calls, "tracks.csv")).map((row) => ({ ...row, kind: "track" }))]
        const seen = [...events, ...csvRows(path.join(calls, "identifies.csv"))].sort((a, b) => Date.parse(a["timestamp"]!) - Date.parse(b["timestamp"]!))
        const userOf = new Map<string, string>()
        for (const call of seen) if (call["user_id"] !== "") userOf.set(call["anonymous_id"]!, call["user_id"]!)
        const byPerson = new Map<string, Array<{ readonly at: number; readonly kind: string }>>()
        for (const event of events) {
          const person = event["user_id"] !== "" ? event["user_id"]! : (userOf.get(event["anonymous_id"]!) ?? event["anonymous_id"]!)
          byPerson.set(person, [...(byPerson.get(person) ?? []), { at: Date.parse(event["timestamp"]!), kind: event["kind"]! }])
        }
        const sessions: Array<{ user_id: string; start: string; pages: number; tracks: number }> = []
        for (const [person, list] of byPerson) {
          let current: { user_id: string; start: string; pages: number; tracks: number; last: number } | undefined
          for (const event of list.sort((a, b) => a.at - b.at)) {
            if (current === undefined || event.at - current.last > 30 * 60 * 1000) {
              if (current !== undefined) sessions.push({ user_id: current.user_id, start: current.start, pages: current.pages, tracks: current.tracks })
              current = { user_id: person, start: new Date(event.at).toISOString(), pages: 0, tracks: 0, last: event.at }
            }
            current.last = event.at
            if (event.kind === "page") current.pages++
            else current.tracks++
          }
          if (current !== undefined) sessions.push({ user_id: current.user_id, start: current.start, pages: current.pages, tracks: current.tracks })
        }
        return sessions.sort((a, b) => a.user_id.localeCompare(b.user_id) || a.start.localeCompare(b.start))
      }
      const sessions = () =>
        query(
          "SELECT user_id, strftime(session_start_timestamp AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.000Z') AS start, CAST(stats.total_pages AS INTEGER) AS pages, CAST(stats.total_tracks AS INTEGER) AS tracks FROM segment_package_example.segment_sessions ORDER BY user_id, start"
        )
      const first = yield* run(dir)
      assert.deepStrictEqual(failures(first), [])
      assert.deepStrictEqual(yield* sessions(), expectedSessions())
      assert.deepStrictEqual(yield* query("SELECT user_id, email FROM segment_package_example.segment_users ORDER BY user_id"), [
        { user_id: "anon-b", email: null },
        { user_id: "u1", email: "ada@example.com" }
      ])

      // anon-b comes back within its session's half hour, and a new visitor arrives.
      appendFileSync(path.join(calls, "pages.csv"), "p6,2024-03-01 10:20:00+00,,anon-b,https://shop.example/,,Home,Home,,/,,,,,,h1,home\np7,2024-03-02 08:00:00+00,,anon-c,https://shop.example/,,Home,Home,,/,,,,,,h1,home\n")
      const second = yield* run(dir)
      assert.deepStrictEqual(failures(second), [])
      const expected = expectedSessions()
      assert.strictEqual(expected.length, 4)
      assert.deepStrictEqual(yield* sessions(), expected)
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  // Alessine/zurich_air_quality (MIT, core 3.x, dataformCoreVersion): the city of Zurich's daily air
  // quality (its open data, a few rows of the project's own data/ files) in incremental staging
  // and reporting tables, and the days above each emission limit.
  it.effect("zurich_air_quality: days above the limits as computed here from the measurements; a new day is added incrementally", () =>
    Effect.gen(function* () {
      const dir = copyProject("zurich_air_quality")
      const sources = path.join(dir, "test", "sources", "air_quality_data")
      // The limits of the days' statistics (not the yearly ones); the hourly ozone limit is the one for O3_max_h1.
      const expectedDaysAbove = () => {
        const limits = new Map(csvRows(path.join(sources, "limits_metadata.csv")).filter((row) => row["granularity"] !== "y1").map((row) => [row["id"] === "O3" ? "O3_max_h1" : row["id"]!, Number(row["emission_limit"])]))
        const locations = new Map(csvRows(path.join(sources, "locations_metadata.csv")).map((row) => [row["id"]!, row["short_name"]!]))
        const counts = new Map<string, number>()
        for (const row of csvRows(path.join(sources, "daily_air_quality.csv"))) {
          if (row["parameter"] === "O3_nb_h1>120") continue
          const key = `${row["date"]!.slice(0, 4)}-01-01|${locations.get(row["location"]!)!}|${row["parameter"]!}`
          const limit = limits.get(row["parameter"]!)
          counts.set(key, (counts.get(key) ?? 0) + (limit !== undefined && Number(row["value"]) > limit ? 1 : 0))
        }
        return [...counts].map(([key, days]) => `${key}|${days}`).sort()
      }
      const daysAbove = () =>
        query("SELECT CAST(year AS VARCHAR) || '|' || location_short_name || '|' || parameter || '|' || CAST(num_days_exceeded AS VARCHAR) AS v FROM dataform.days_above_limit").pipe(
          Effect.map((rows) => rows.map((row) => String(row["v"])).sort())
        )
      const first = yield* run(dir)
      assert.deepStrictEqual(failures(first), [])
      assert.deepStrictEqual(yield* daysAbove(), expectedDaysAbove())
      // Zurich's days all stayed under the daily limits; each parameter carries its own limit.
      assert.deepStrictEqual(yield* query("SELECT DISTINCT parameter, emission_limit FROM dataform.air_quality_daily ORDER BY parameter"), [
        { parameter: "NO2", emission_limit: 80 },
        { parameter: "O3_max_h1", emission_limit: 120 },
        { parameter: "PM10", emission_limit: 50 }
      ])

      // 2025-01-05 arrives: staging and the daily table take only the newer day's rows.
      appendFileSync(
        path.join(sources, "daily_air_quality.csv"),
        [
          "2025-01-05,Zch_Stampfenbachstrasse,NO2,µg/m3,19.27",
          "2025-01-05,Zch_Stampfenbachstrasse,PM10,µg/m3,6.56",
          "2025-01-05,Zch_Stampfenbachstrasse,O3_max_h1,µg/m3,63.76",
          "2025-01-05,Zch_Stampfenbachstrasse,O3_nb_h1>120,1,0",
          "2025-01-05,Zch_Schimmelstrasse,NO2,µg/m3,19.6",
          "2025-01-05,Zch_Schimmelstrasse,PM10,µg/m3,6.93",
          "2025-01-05,Zch_Schimmelstrasse,O3_max_h1,µg/m3,65.95",
          "2025-01-05,Zch_Schimmelstrasse,O3_nb_h1>120,1,0"
        ].join("\n") + "\n"
      )
      const second = yield* run(dir)
      assert.deepStrictEqual(failures(second), [])
      assert.strictEqual(modeOf(second, "dataform.air_quality_staging"), "incremental")
      assert.strictEqual(modeOf(second, "dataform.air_quality_daily"), "incremental")
      assert.deepStrictEqual(yield* query("SELECT CAST(date AS VARCHAR) AS date, COUNT(*) AS n FROM dataform.air_quality_daily GROUP BY date ORDER BY date"), [
        { date: "2025-01-01", n: 6 },
        { date: "2025-01-02", n: 6 },
        { date: "2025-01-03", n: 6 },
        { date: "2025-01-04", n: 6 },
        { date: "2025-01-05", n: 6 }
      ])
      assert.deepStrictEqual(yield* daysAbove(), expectedDaysAbove())
      // max_date is each run's own (its window sees the rows that run selects), as on BigQuery: the
      // first run's newest day stays "yesterday" for its rows.
      assert.deepStrictEqual(yield* query("SELECT CAST(date AS VARCHAR) AS date, COUNT(*) AS n FROM dataform.air_quality_yesterday GROUP BY date ORDER BY date"), [
        { date: "2025-01-04", n: 6 },
        { date: "2025-01-05", n: 6 }
      ])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  // google-marketing-solutions/ga4_dataform (Apache-2.0, core 3.x, dataformCoreVersion): Google's
  // GA4 export made into events and sessions, each session's traffic source and default channel
  // group read through a seed of source categories (a UNION DISTINCT of 800 constant SELECTs). Its
  // staging declares variables named like export columns (is_active_user, collected_traffic_source)
  // for exports that predate them: the columns must be read. The test writes the export's shards.
  it.effect("ga4_dataform: sessions and their channel groups as classified here from the events; a new day's shard is added incrementally", () =>
    Effect.gen(function* () {
      const dir = copyProject("ga4_dataform")
      // The project pins 3.0.0-beta.4, which the registry no longer has, and its helpers assign an
      // undeclared loop variable, which core 3.0.0's strict sandbox refuses.
      writeFileSync(path.join(dir, "workflow_settings.yaml"), readFileSync(path.join(dir, "workflow_settings.yaml"), "utf8").replace("3.0.0-beta.4", "3.0.0"))
      const helpers = path.join(dir, "includes", "helpers.js")
      writeFileSync(helpers, readFileSync(helpers, "utf8").replaceAll("for (row of", "for (const row of"))
      const categories = new Map(
        (createRequire(import.meta.url)(path.join(dir, "includes", "source_categories.js")) as { sourceCategories: ReadonlyArray<{ source: string; sourceCategory: string }> }).sourceCategories.map((row) => [row.source, row.sourceCategory])
      )
      // Sessions of three visitors a day: from a Google Ads click (gclid), from Facebook, from a newsletter, and direct.
      const visits = [
        { user: "1001.1", source: "google", medium: "cpc", gclid: "gclid-1" },
        { user: "1002.2", source: "facebook", medium: "referral", gclid: null },
        { user: "1003.3", source: "newsletter", medium: "email", gclid: null },
        { user: "1004.4", source: null, medium: null, gclid: null }
      ]
      const shard = (day: number) => {
        const date = `202401${String(day).padStart(2, "0")}`
        const events = visits.flatMap((visit, v) => {
          const session = 1704067200 + day * 86400 + v * 600
          return ["session_start", "page_view", "page_view", ...(v === 0 ? ["purchase"] : [])].map((name, n) => ({
            event_date: date,
            event_timestamp: (session + n * 30) * 1_000_000,
            event_name: name,
            event_params: [
              { key: "ga_session_id", value: { string_value: null, int_value: session, float_value: null, double_value: null } },
              { key: "ga_session_number", value: { string_value: null, int_value: day, float_value: null, double_value: null } },
              { key: "page_location", value: { string_value: `https://shop.example.com/page-${n}`, int_value: null, float_value: null, double_value: null } },
              { key: "engagement_time_msec", value: { string_value: null, int_value: 1000, float_value: null, double_value: null } },
              { key: "session_engaged", value: { string_value: "1", int_value: null, float_value: 0.5, double_value: 0.5 } }
            ],
            event_previous_timestamp: null,
            event_value_in_usd: name === "purchase" ? 21.5 : null,
            event_bundle_sequence_id: n,
            event_server_timestamp_offset: 12,
            user_id: v === 0 ? "customer-1" : null,
            user_pseudo_id: visit.user,
            user_properties: [{ key: "tier", value: { string_value: "gold", int_value: null, float_value: null, double_value: null, set_timestamp_micros: session * 1_000_000 } }],
            user_first_touch_timestamp: 1704067200 * 1_000_000,
            device: { category: "desktop", operating_system: "Linux", language: "en-us", web_info: { browser: "Chrome", browser_version: "120.0", hostname: "shop.example.com" } },
            geo: { city: "Paris", country: "France", continent: "Europe", region: "Ile-de-France", sub_continent: "Western Europe", metro: "(not set)" },
            app_info: { id: "web", version: "1.0", install_store: "none", firebase_app_id: "none", install_source: "none" },
            is_active_user: true,
            traffic_source: { name: "(direct)", medium: "(none)", source: "(direct)" },
            collected_traffic_source: { manual_campaign_id: null, manual_campaign_name: visit.source === null ? null : "winter", manual_source: visit.source, manual_medium: visit.medium, manual_term: null, manual_content: null, gclid: visit.gclid, dclid: null, srsltid: null },
            stream_id: "123",
            platform: "WEB",
            ecommerce: { total_item_quantity: name === "purchase" ? 1 : null, purchase_revenue_in_usd: name === "purchase" ? 21.5 : null, purchase_revenue: name === "purchase" ? 20.0 : null, refund_value_in_usd: null, refund_value: 0.0, transaction_id: name === "purchase" ? `T${date}` : null },
            items: name === "purchase" ? [{ item_id: "SKU1", item_name: "Shoe", price: 20.0, quantity: 1 }] : []
          }))
        })
        const folder = path.join(dir, "test", "sources", "ga4_source")
        mkdirSync(folder, { recursive: true })
        writeFileSync(path.join(folder, `events_${date}.jsonl`), events.map((event) => JSON.stringify(event)).join("\n") + "\n")
        return events.length
      }
      // GA4's default channel group for the few sources and media above (its documented rules).
      const channelOf = (source: string | null, medium: string | null): string =>
        source === null && medium === null
          ? "Direct"
          : categories.get(source ?? "") === "SOURCE_CATEGORY_SEARCH" && /^(.*cp.*|ppc|retargeting|paid.*)$/.test(medium ?? "")
            ? "Paid Search"
            : /^(facebook|instagram|pinterest|reddit|twitter|linkedin)/.test(source ?? "")
              ? "Organic Social"
              : /email/.test(medium ?? "")
                ? "Email"
                : "(Other)"
      const expectedSessions = (days: number) =>
        Array.from({ length: days }, (_, d) =>
          visits.map((visit, v) => ({ user_pseudo_id: visit.user, ga_session_id: 1704067200 + (d + 1) * 86400 + v * 600, channel_group: channelOf(visit.source, visit.medium), source_category: categories.get(visit.source ?? "") ?? null }))
        ).flat().sort((a, b) => a.ga_session_id - b.ga_session_id)
      const sessions = () =>
        query(
          "SELECT user_pseudo_id, ga_session_id, first_traffic_source.channel_group AS channel_group, first_traffic_source.source_category AS source_category FROM ga4_dataform_output.session ORDER BY ga_session_id"
        )
      const notRun = (summary: RunSummary) => failures(summary).filter((failure) => !failure.startsWith("ga4_dataform_output.user_transaction_daily disabled"))

      const events = shard(1) + shard(2) + shard(3)
      const first = yield* run(dir)
      assert.deepStrictEqual(notRun(first), [])
      assert.deepStrictEqual(yield* sessions(), expectedSessions(3))
      assert.deepStrictEqual(yield* query("SELECT count(*) AS n FROM ga4_dataform_output.event"), [{ n: events }])
      // The export's is_active_user, not the NULL of the variable the staging declares for older exports.
      assert.deepStrictEqual(yield* query("SELECT is_active_user, count(*) AS n FROM ga4_dataform_staging.stg_events GROUP BY ALL"), [{ is_active_user: true, n: events }])

      const more = shard(4)
      const second = yield* run(dir)
      assert.deepStrictEqual(notRun(second), [])
      assert.strictEqual(modeOf(second, "ga4_dataform_staging.stg_events"), "incremental")
      assert.strictEqual(modeOf(second, "ga4_dataform_intermediate.int_event"), "incremental")
      assert.deepStrictEqual(yield* sessions(), expectedSessions(4))
      assert.deepStrictEqual(yield* query("SELECT count(*) AS n FROM ga4_dataform_output.event"), [{ n: events + more }])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  // GoogleCloudPlatform/cloud-cost-management-toolkit (Apache-2.0, core 3.x pinned in package.json):
  // the billing export repartitioned by usage day, a process log its operations create and
  // update in BigQuery scripts (BEGIN … EXCEPTION, EXECUTE IMMEDIATE, @@row_count), daily
  // aggregates re-derived for the days a run touched, and the newest recommendation per resource.
  it.effect("cloud-cost-management-toolkit: the billing export repartitioned and aggregated per day, the run logged; a second run reads the new partition (and, as the project does, the last one again) and re-derives only its days", () =>
    Effect.gen(function* () {
      const dir = copyProject("cloud-cost-management-toolkit")
      // The settings are a template whose placeholders a user fills in (its Terraform writes them).
      const template = readFileSync(path.join(dir, "workflow_settings_template.yaml"), "utf8")
      writeFileSync(path.join(dir, "workflow_settings.yaml"), template
        .replace('"<project_id>"', '"my-project"').replace('"<dataset_id>"', '"billing"').replace('"<same_dataset_id>"', '"billing_assertions"')
        .replace('"<raw billing export table>"', '"gcp_billing_export_v1_0123"').replace('"<raw billing export dataset>"', '"billing_export"')
        .replace('"<raw billing export gcp project>"', '"my-project"').replace('"<recommendations_export_table_name>"', '"recommendations_export"')
        .replace('"<raw Azure billing export table>"', '"azure_costs"').replace('"<raw Azure billing export dataset>"', '"azure_export"'))
      const first = yield* run(dir)
      // Every action but the one the project disables (its GCP product hierarchy).
      assert.deepStrictEqual(failures(first), ["billing.gcp_product_categories disabled "])
      assert.strictEqual(first.results.filter((result) => result.status === "succeeded").length, 20)
      // It pins @dataform/core 3.0.26 in package.json, which npm cannot install here.
      assert.include(first.coreNote ?? "", "pins @dataform/core 3.0.26")
      // The two partitions before today, each usage day in America/Los_Angeles; BigQuery's * leaves
      // the export's pseudo-columns out, the view names them PARTITIONTIME and PARTITIONDATE.
      assert.deepStrictEqual(yield* query("SELECT project.id AS project, CAST(usage_start_date AS VARCHAR) AS day, cost FROM billing.usage_partitioned_billing_export ORDER BY 2"), [
        { project: "proj-a", day: "2024-09-01", cost: 12.5 },
        { project: "proj-b", day: "2024-09-02", cost: 3.25 }
      ])
      assert.deepStrictEqual(yield* query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'usage_partitioned_billing_export' AND column_name ILIKE '%PARTITION%' ORDER BY 1"), [{ column_name: "PARTITIONDATE" }, { column_name: "PARTITIONTIME" }])
      const summary = () => query("SELECT project_id, CAST(usage_start_date AS VARCHAR) AS day, total_cost, total_credits, total_sud, total_usage_amount, all_labels FROM billing.gcp_billing_export_daily_summary ORDER BY 2")
      assert.deepStrictEqual(yield* summary(), [
        { project_id: "proj-a", day: "2024-09-01", total_cost: 12.5, total_credits: -1.5, total_sud: -1.5, total_usage_amount: 3600, all_labels: "team:::data" },
        { project_id: "proj-b", day: "2024-09-02", total_cost: 3.25, total_credits: 0, total_sud: 0, total_usage_amount: 1e9, all_labels: "" }
      ])
      const log = () => query("SELECT process_id, records_added, CAST(max_source_date AS VARCHAR) AS max_source_date, CAST(usage_dates_processed AS VARCHAR[]) AS days, process_end_time IS NOT NULL AS ended FROM billing.billing_process ORDER BY process_id")
      // A full refresh logs no usage days; the last partition read is the run's bookmark. The daily
      // aggregate's post-operations log @@row_count last, which a CREATE TABLE (no DML) leaves NULL.
      assert.deepStrictEqual(yield* log(), [{ process_id: 1, records_added: null, max_source_date: "2024-09-03", days: null, ended: true }])
      // The newest of a resource's recommendations, its fields parsed out.
      assert.deepStrictEqual(yield* query("SELECT recommendation_type, action, link, project, resource_name, service, impact_cost_unit FROM billing.gcp_billing_recommendations"), [
        { recommendation_type: "GCE Idle VM", action: "Save cost by stopping Idle VM", link: "https://cloud.google.com/x", project: "p1", resource_name: "vm1", service: "Compute Engine", impact_cost_unit: 12 }
      ])
      // The region lookup create_process_log makes when missing: the rows its CREATE TABLE … AS lists.
      const regions = readFileSync(path.join(dir, "definitions", "init", "create_process_log.sqlx"), "utf8").split("\n").filter((line) => /^\s*\('/.test(line)).length
      assert.deepStrictEqual(yield* query("SELECT count(*) AS n, max(geo_name) FILTER (WHERE gcp_region = 'europe-west1') AS belgium FROM billing.geo_region_mapping"), [{ n: regions, belgium: "Belgium" }])

      // A new partition: a third day of proj-a's usage.
      const export_ = path.join(dir, "test", "sources", "billing_export", "gcp_billing_export_v1_0123.sql")
      writeFileSync(export_, readFileSync(export_, "utf8").replace(/\n\]\)\s*$/, `,
  STRUCT(
    TIMESTAMP '2024-09-04 00:00:00+00', DATE '2024-09-04', '01ABCD-000000-111111',
    STRUCT('6F81-5844-456A', 'Compute Engine'), STRUCT('2E27-4F75-95CD', 'N1 Predefined Instance Core running in Americas'),
    TIMESTAMP '2024-09-03 08:00:00+00', TIMESTAMP '2024-09-03 09:00:00+00',
    STRUCT('proj-a', '111', 'Project A', [STRUCT('env' AS key, 'prod' AS value)], '/1/2/', [STRUCT('projects/111' AS resource_name, 'Project A' AS display_name)]),
    [STRUCT('team' AS key, 'data' AS value)], CAST([] AS ARRAY<STRUCT<key STRING, value STRING>>),
    STRUCT('us-central1' AS location, 'US' AS country, 'us-central1' AS region, 'us-central1-a' AS zone),
    CAST([] AS ARRAY<STRUCT<key STRING, value STRING, inherited BOOL, namespace STRING>>),
    TIMESTAMP '2024-09-03 12:00:00+00', 2.0, 'USD', 1.0,
    STRUCT(600.0 AS amount, 'seconds' AS unit, 0.2 AS amount_in_pricing_units, 'hour' AS pricing_unit),
    CAST([] AS ARRAY<STRUCT<name STRING, amount FLOAT64, type STRING, id STRING, full_name STRING>>),
    STRUCT('202409'), 'regular', 2.0, 2.0, 2.0, STRUCT('C7BE-6B28-B9DB', 'Default'), 'GOOGLE'
  )
])
`))
      const second = yield* run(dir)
      assert.deepStrictEqual(failures(second), ["billing.gcp_product_categories disabled "])
      assert.strictEqual(modeOf(second, "billing.usage_partitioned_billing_export"), "incremental")
      assert.strictEqual(modeOf(second, "billing.gcp_billing_export_daily_summary"), "incremental")
      // From the last run's bookmark on (>=): the 2024-09-03 partition again, as on BigQuery, and the new one.
      assert.deepStrictEqual(yield* query("SELECT project.id AS project, CAST(usage_start_date AS VARCHAR) AS day, cost FROM billing.usage_partitioned_billing_export ORDER BY 2, 1"), [
        { project: "proj-a", day: "2024-09-01", cost: 12.5 },
        { project: "proj-b", day: "2024-09-02", cost: 3.25 },
        { project: "proj-b", day: "2024-09-02", cost: 3.25 },
        { project: "proj-a", day: "2024-09-03", cost: 2 }
      ])
      // The log lists the usage days of what came after the bookmark (>), the ones to re-derive; the
      // aggregate's INSERT of that day's one row is its @@row_count.
      assert.deepStrictEqual(yield* log(), [
        { process_id: 1, records_added: null, max_source_date: "2024-09-03", days: null, ended: true },
        { process_id: 2, records_added: 1, max_source_date: "2024-09-04", days: ["2024-09-03"], ended: true }
      ])
      // Only that day is deleted and aggregated again; the days before keep their sums.
      assert.deepStrictEqual(yield* summary(), [
        { project_id: "proj-a", day: "2024-09-01", total_cost: 12.5, total_credits: -1.5, total_sud: -1.5, total_usage_amount: 3600, all_labels: "team:::data" },
        { project_id: "proj-b", day: "2024-09-02", total_cost: 3.25, total_credits: 0, total_sud: 0, total_usage_amount: 1e9, all_labels: "" },
        { project_id: "proj-a", day: "2024-09-03", total_cost: 2, total_credits: 0, total_sud: 0, total_usage_amount: 600, all_labels: "team:::data" }
      ])
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)
})
