// A project that reads tables it does not build runs locally once its declarations have data:
// files in its sources folder, created as tables before the run; `mdp sources init` writes the stubs.
import { execFile } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { compileProject } from "../runner/compile.ts"
import { writeSourceStubs } from "../runner/sources.ts"
import { transform } from "../runner/transform.ts"
import { Warehouse } from "../runner/warehouse.ts"
import { makeTempProject } from "./support/dataform-project.ts"
import { localWarehouse } from "./support/local-layers.ts"

const project = makeTempProject({
  "definitions/sources.js": `
declare({ schema: "shop", name: "orders", columns: { order_id: "Order.", customer_id: "Who ordered.", amount: "Paid." } })
declare({ schema: "shop", name: "customers", columns: { customer_id: "Id.", country: "Where." } })
declare({ schema: "ref", name: "vat_rates" })
declare({ schema: "ref", name: "holidays" })
declare({ schema: "ref", name: "calendar" })
declare({ schema: "crm", name: "contacts" })
declare({ schema: "analytics_123", name: "events_*", description: "GA4's daily export, one table per day." })`,
  // GA4's date-sharded export read through its wildcard, filtered on _TABLE_SUFFIX.
  "definitions/page_views.sqlx": `
config { type: "table", schema: "marts", description: "Page views per day and page, from GA4." }
select
  parse_date('%Y%m%d', event_date) as day,
  (select value.string_value from unnest(event_params) where key = 'page_location') as page,
  count(*) as views
from \${ref("events_*")}
where _table_suffix between '20240101' and '20240102' and event_name = 'page_view'
group by 1, 2`,
  // An undocumented declaration read by bare names, as the only table of its SELECT (\`numeric\`, a
  // type's name, is a column unless it heads a literal).
  "definitions/holidays_2024.sqlx": `
config { type: "view", schema: "marts", description: "The year's holidays." }
select day, upper(name) as holiday, numeric as code, numeric '1.5' as weight, meta.source as source, safe.parse_date('%F', name) as parsed, date_trunc(day, month) as month_start from \${ref("ref", "holidays")} where extract(year from day) = 2024 order by holiday`,
  // An undocumented declaration passed on by a staging view's SELECT *: what the view's readers
  // read of it, beyond what the view makes itself, is read of the declaration.
  "definitions/stg_calendar.sqlx": `
config { type: "view", schema: "staging", description: "The calendar, as loaded." }
select *, current_timestamp() as loaded_at from \${ref("ref", "calendar")}`,
  "definitions/calendar_days.sqlx": `
config { type: "table", schema: "marts", description: "Days of the calendar." }
select parse_date('%Y%m%d', day_text) as day, day_name, loaded_at from \${ref("stg_calendar")}`,
  // The same through a CTE (\`source AS (SELECT * FROM …)\`), as dbt-style staging models read sources,
  // joined by a comma too.
  "definitions/stg_contacts.sqlx": `
config { type: "view", schema: "staging", description: "Contacts, renamed." }
with source as (select * from \${ref("crm", "contacts")}),
renamed as (select id as contact_id, lower(email) as email, source.created_at from source),
tiers as (select c.tier from (select 1 as n) as one, source c)
select renamed.*, (select max(tier) from tiers) as top_tier from renamed`,
  "definitions/events_copy.sqlx": `
config { type: "table", schema: "marts", description: "Every event, as the wildcard's SELECT * gives it." }
select * from \${ref("events_*")}`,
  "definitions/revenue_by_country.sqlx": `
config { type: "table", schema: "marts", description: "Revenue per country, with VAT." }
select c.country, sum(o.amount) as revenue, sum(o.amount * (1 + v.rate)) as revenue_with_vat, count(*) as orders
from \${ref("shop", "orders")} as o
join \${ref("shop", "customers")} as c using (customer_id)
join \${ref("ref", "vat_rates")} as v using (country)
group by c.country`,
  // BigQuery scripting in an operation and in a table's pre_operations: run by the interpreter.
  "definitions/order_sizes.sqlx": `
config { type: "operations", schema: "marts", hasOutput: true, description: "Orders sized by a script." }
declare threshold numeric default 50;
create or replace table \${self()} (order_id int64, size string);
for o in (select order_id, amount from \${ref("shop", "orders")} order by order_id) do
  if o.amount >= threshold then
    insert into \${self()} values (o.order_id, 'large');
  elseif o.amount >= 10 then
    insert into \${self()} values (o.order_id, 'medium');
  else
    insert into \${self()} values (o.order_id, 'small');
  end if;
end for;
begin
  select error(format('%d orders sized', @@row_count));
exception when error then
  insert into \${self()} values (-1, @@error.message);
end;`,
  // @@project_id is the action's project (defaultProject), also in a script's dynamic SQL.
  "definitions/project_tables.sqlx": `
config { type: "operations", schema: "marts", hasOutput: true, description: "The project's orders, counted by dynamic SQL." }
execute immediate format("create or replace table \${self()} as select '%s' as project, @@project_id as also, count(*) as orders from \`%s.shop.orders\`", @@project_id, @@project_id);`,
  // A JavaScript UDF declared in pre_operations, called by the query.
  "definitions/order_labels.sqlx": `
config { type: "table", schema: "marts", description: "Orders labelled by a JavaScript UDF." }
pre_operations {
  create temp function label(amount float64, id string) returns string language js as r"""
    return 'order ' + id + (amount >= 50 ? ' (large)' : '');
  """;
}
select order_id, label(amount, cast(order_id as string)) as label from \${ref("shop", "orders")}`,
  "definitions/large_orders.sqlx": `
config { type: "table", schema: "marts", description: "Orders at or over a threshold found by a loop." }
pre_operations {
  declare threshold numeric default 1;
  while (select count(*) from \${ref("order_sizes")} where size = 'large') > 0 and threshold < 1000 do
    set threshold = threshold * 10;
    if threshold > (select max(amount) from \${ref("shop", "orders")}) then break; end if;
  end while;
}
select order_id, amount, threshold from \${ref("shop", "orders")} where amount * 10 >= threshold`
})
afterAll(() => project.cleanup())

const PLACEHOLDER_EVENT = '{"event_date": "20240101", "event_name": "page_view", "event_params": [{"key": "page_location", "value": {"string_value": "/", "int_value": null}}]}\n'

/** Every declaration given rows (a CSV, a JSONL, a SQL file, a wildcard's shard), whatever the tests before left in the folder. */
const writeShopSources = () => {
  project.write("test/sources/shop/orders.csv", "order_id,customer_id,amount\n1,10,20.5\n2,10,4.5\n3,11,100\n")
  project.remove("test/sources/shop/customers.csv")
  project.write("test/sources/shop/customers.jsonl", '{"customer_id": 10, "country": "DE"}\n{"customer_id": 11, "country": "FR"}\n')
  project.remove("test/sources/ref/vat_rates.csv")
  project.write("test/sources/ref/vat_rates.sql", "select 'DE' as country, numeric '0.19' as rate union all select 'FR', numeric '0.2'")
  project.write("test/sources/analytics_123/events_20240101.jsonl", PLACEHOLDER_EVENT)
  project.write("test/sources/ref/holidays.csv", 'day,name,numeric,meta:STRUCT<source STRING>\n2024-12-25,Christmas,7,"{""source"": ""gov""}"\n')
  project.write("test/sources/ref/calendar.csv", "day_text,day_name\n20240101,Monday\n")
  project.write("test/sources/crm/contacts.csv", "id,email,created_at,tier\n7,Ann@Example.com,2024-01-01,gold\n")
}

const mdp = path.resolve(import.meta.dirname, "..", "scripts", "mdp.ts")

/** `mdp sources init` on a project, as a user runs it. */
const sourcesInit = (projectDir: string) => promisify(execFile)(process.execPath, [mdp, "sources", "init", "--project-dir", projectDir], { cwd: projectDir })
// What `mdp sources init` writes, in this process (the CLI's own output is the first test's).
const writeStubs = (projectDir: string) => Effect.flatMap(compileProject({ projectDir }), (graph) => writeSourceStubs(graph, path.join(projectDir, "test", "sources")))

describe("local data for declarations", () => {
  it("mdp sources init writes a header-only CSV per declaration from its documented columns, or else the columns the SQL reads of it, and keeps existing files", async () => {
    const run = () => sourcesInit(project.dir)
    const first = await run()
    const folder = path.join(project.dir, "test", "sources")
    // amount is summed (SUM(o.amount)): a number, typed in its header cell.
    assert.strictEqual(readFileSync(path.join(folder, "shop", "orders.csv"), "utf8"), "order_id,customer_id,amount:FLOAT64\n")
    assert.strictEqual(readFileSync(path.join(folder, "shop", "customers.csv"), "utf8"), "customer_id,country\n")
    // No documented columns: the ones the project's SQL reads of it (v.rate, then USING (country)).
    assert.strictEqual(readFileSync(path.join(folder, "ref", "vat_rates.csv"), "utf8"), "rate,country\n")
    assert.include(first.stdout, "rate, country (read by the project's SQL, none documented: check them)")
    // Bare names where it is the SELECT's only table; `holiday`, an output's name, read again by
    // ORDER BY, is none; `meta.source` a STRUCT's field (`safe.parse_date(…)` a call, no column).
    assert.strictEqual(readFileSync(path.join(folder, "ref", "holidays.csv"), "utf8"), "day:DATE,name,numeric,meta:STRUCT<source STRING>\n")
    // Read through the staging view's SELECT *; loaded_at is the view's own.
    assert.strictEqual(readFileSync(path.join(folder, "ref", "calendar.csv"), "utf8"), "day_text,day_name\n")
    assert.strictEqual(readFileSync(path.join(folder, "crm", "contacts.csv"), "utf8"), "id,email,created_at,tier\n")
    // A wildcard: one empty shard under a placeholder suffix, typed as GA4's export documents its
    // columns (event_params read through UNNEST in a subquery; _TABLE_SUFFIX is the view's).
    assert.strictEqual(
      readFileSync(path.join(folder, "analytics_123", "events_19700101.csv"), "utf8"),
      'event_date:STRING,"event_params:ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value INT64, float_value FLOAT64, double_value FLOAT64>>>",event_name:STRING\n'
    )
    assert.include(first.stdout, "a wildcard's empty shard: rename it to a real suffix")
    assert.include(first.stdout, "7 file(s) written")
    project.write("test/sources/shop/orders.csv", "order_id,customer_id,amount\n1,10,20.5\n2,10,4.5\n3,11,100\n")
    const second = await run()
    assert.include(second.stdout, "0 file(s) written")
    assert.include(readFileSync(path.join(folder, "shop", "orders.csv"), "utf8"), "1,10,20.5", "a filled file is kept")
    // As the analyst would, once real shards are there (the tests below write their own).
    project.remove("test/sources/analytics_123/events_19700101.csv")
  }, 60_000)

  it.effect("a CSV, a JSONL and a BigQuery SQL source become the declared tables; the run reads them", () =>
    Effect.gen(function* () {
      writeShopSources()
      const summary = yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
      assert.sameDeepMembers(
        summary.sources!.map(({ table, rows }) => ({ table, rows })),
        [{ table: "shop.orders", rows: 3 }, { table: "shop.customers", rows: 2 }, { table: "ref.vat_rates", rows: 2 }, { table: "ref.holidays", rows: 1 }, { table: "ref.calendar", rows: 1 }, { table: "crm.contacts", rows: 1 }, { table: "analytics_123.events_20240101", rows: 1 }]
      )
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT CAST(day AS VARCHAR) AS day, day_name FROM marts.calendar_days"), [{ day: "2024-01-01", day_name: "Monday" }])
      const rows = yield* (yield* Warehouse).query("SELECT country, revenue, round(revenue_with_vat, 4) AS with_vat, orders FROM marts.revenue_by_country ORDER BY country")
      assert.deepStrictEqual(rows, [
        { country: "DE", revenue: 25, with_vat: 29.75, orders: 2 },
        { country: "FR", revenue: 100, with_vat: 120, orders: 1 }
      ])
      // The folder is the data: a row removed from the file is gone at the next run.
      project.write("test/sources/shop/orders.csv", "order_id,customer_id,amount\n3,11,100\n")
      assert.isTrue((yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") })).ok)
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT country, orders FROM marts.revenue_by_country"), [{ country: "FR", orders: 1 }])
      assert.isFalse(existsSync(path.join(project.dir, "test", "sources", "shop", "customers.csv")))
      // A file saved on Windows, then a row added with Unix line endings: read as one file.
      project.write("test/sources/shop/orders.csv", "order_id,customer_id,amount\r\n3,11,100\r\n4,11,50\n")
      assert.isTrue((yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") })).ok)
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT country, revenue, orders FROM marts.revenue_by_country"), [{ country: "FR", revenue: 150, orders: 2 }])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a wildcard declaration reads its date shards from files, filtered on _TABLE_SUFFIX, which SELECT * leaves out", () =>
    Effect.gen(function* () {
      writeShopSources()
      const event = (date: string, name: string, page: string) =>
        JSON.stringify({ event_date: date, event_name: name, event_params: [{ key: "page_location", value: { string_value: page, int_value: null } }, { key: "engaged", value: { string_value: null, int_value: 1 } }] })
      project.write("test/sources/analytics_123/events_20240101.jsonl", [event("20240101", "page_view", "/a"), event("20240101", "page_view", "/a"), event("20240101", "scroll", "/a")].join("\n") + "\n")
      project.write("test/sources/analytics_123/events_20240102.jsonl", [event("20240102", "page_view", "/b")].join("\n") + "\n")
      // Outside the filtered range: read by the wildcard, left out by _TABLE_SUFFIX.
      project.write("test/sources/analytics_123/events_20240103.jsonl", [event("20240103", "page_view", "/c")].join("\n") + "\n")
      const summary = yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
      assert.includeMembers(summary.sources!.map(({ table, rows }) => `${table}:${rows}`), ["analytics_123.events_20240101:3", "analytics_123.events_20240102:1", "analytics_123.events_20240103:1"])
      const warehouse = yield* Warehouse
      assert.deepStrictEqual(yield* warehouse.query("SELECT CAST(day AS VARCHAR) AS day, page, views FROM marts.page_views ORDER BY day"), [
        { day: "2024-01-01", page: "/a", views: 2 },
        { day: "2024-01-02", page: "/b", views: 1 }
      ])
      assert.deepStrictEqual(yield* warehouse.columns("marts", "events_copy"), ["event_date", "event_name", "event_params"])
      assert.deepStrictEqual(yield* warehouse.query("SELECT COUNT(*) AS n FROM marts.events_copy"), [{ n: 5 }])
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a source row without an ARRAY has an empty one, as BigQuery loads it; a NULL element is refused, naming the file", () =>
    Effect.gen(function* () {
      writeShopSources()
      const shard = "test/sources/analytics_123/events_20240101.jsonl"
      project.write(shard, '{"event_date": "20240101", "event_name": "session_start", "event_params": null}\n' + PLACEHOLDER_EVENT)
      const options = { projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") }
      const summary = yield* transform(options)
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
      assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT event_name, len(event_params) AS n FROM analytics_123.events_20240101 ORDER BY event_name"), [
        { event_name: "page_view", n: 1 },
        { event_name: "session_start", n: 0 }
      ])
      project.write(shard, '{"event_date": "20240101", "event_name": "page_view", "event_params": [null]}\n' + PLACEHOLDER_EVENT)
      const refused = yield* Effect.flip(transform(options))
      assert.include(refused.message, "events_20240101.jsonl: the column event_params has an ARRAY with a NULL element in 1 row(s)")
      writeShopSources()
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("a table the project reads by name without declaring it (in backticks, or unquoted after FROM or JOIN) takes its rows from its file, and sources init writes its stub; a file named like a table the project builds is left alone", () =>
    Effect.gen(function* () {
      // As a Google Ads transfer is read: the table's name is built from a var, never declared.
      const undeclared = makeTempProject(
        {
          "definitions/campaigns.sqlx": `
config { type: "table", schema: "ads", description: "Campaigns of the newest transfer day." }
select campaign_id, campaign_name from \`transfer_data.ads_Campaign_\${dataform.projectConfig.vars.customer}\`
where _DATA_DATE = _LATEST_DATE`,
          "definitions/campaign_count.sqlx": `
config { type: "table", schema: "ads", description: "How many campaigns." }
select count(*) as n from \${ref("campaigns")}`,
          // Read by name too, beside a script variable and CURRENT_DATE, neither of them its column.
          "definitions/recent_rates.sqlx": `
config { type: "table", schema: "ads", description: "Rates over a floor." }
pre_operations { declare min_rate float64 default 0.5; }
select day, rate, current_date as today from \`fx.daily_rates\` where day >= date '2024-01-01' and rate > min_rate`,
          // Read by name unquoted; a path from an alias (a.items, an array of the row) and a
          // name in a comment are no tables.
          "definitions/agent_tools.sqlx": `
config { type: "table", schema: "ads", description: "Agents and their tools." }
-- the columns are copied from legacy_ds.agents_backup
select a.agent_id, t.tool_name, item from agent_structure.agents a
join agent_structure.tools as t on t.agent_id = a.agent_id
cross join a.items as item`,
          // A table an operation creates is the project's own: no stub.
          "definitions/scratch.sqlx": `
config { type: "operations", description: "A scratch table." }
create or replace table \`fx.scratch\` as select 1 as x;
create table if not exists fx.scratch_log (x int64);
insert into \`fx.scratch_log\` select x from \`fx.scratch\``
        },
        { customer: "'123'" }
      )
      try {
        // Without its file, the failure says where the rows go.
        const without = yield* transform({ projectDir: undeclared.dir, sourcesDir: path.join(undeclared.dir, "test", "sources") })
        assert.include(without.results.find((r) => r.action === "ads.campaigns")?.error ?? "", "give it local rows in test/sources/transfer_data/ads_Campaign_123.csv")
        // sources init writes stubs for the tables read by name, from what the SQL reads of them.
        yield* Effect.promise(() => sourcesInit(undeclared.dir))
        const sourcesDir = path.join(undeclared.dir, "test", "sources")
        // A Google Ads transfer table: its id and dates typed as the transfer documents them.
        assert.strictEqual(readFileSync(path.join(sourcesDir, "transfer_data", "ads_Campaign_123.csv"), "utf8"), "campaign_id:INT64,campaign_name,_DATA_DATE:DATE,_LATEST_DATE:DATE\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "fx", "daily_rates.csv"), "utf8"), "day:DATE,rate\n")
        assert.isFalse(existsSync(path.join(sourcesDir, "fx", "scratch.csv")))
        assert.isFalse(existsSync(path.join(sourcesDir, "fx", "scratch_log.csv")))
        assert.isFalse(existsSync(path.join(sourcesDir, "ads")))
        assert.strictEqual(readFileSync(path.join(sourcesDir, "agent_structure", "agents.csv"), "utf8"), "agent_id,items\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "agent_structure", "tools.csv"), "utf8"), "tool_name,agent_id\n")
        assert.isFalse(existsSync(path.join(sourcesDir, "legacy_ds")))
        assert.isFalse(existsSync(path.join(sourcesDir, "a")))
        undeclared.write("test/sources/agent_structure/agents.csv", 'agent_id,items:ARRAY<STRING>\n7,"[""search"", ""mail""]"\n')
        undeclared.write("test/sources/agent_structure/tools.csv", "tool_name,agent_id\nbrowser,7\n")
        undeclared.write("test/sources/transfer_data/ads_Campaign_123.csv", "campaign_id,campaign_name,_DATA_DATE,_LATEST_DATE\n1,Brand,2024-01-02,2024-01-02\n2,Old,2024-01-01,2024-01-02\n")
        undeclared.write("test/sources/fx/daily_rates.csv", "day:DATE,rate:FLOAT64\n2024-02-01,0.7\n2024-02-02,0.2\n")
        // The project builds ads.campaign_count: a file of that name must not replace it.
        undeclared.write("test/sources/ads/campaign_count.csv", "n\n99\n")
        const summary = yield* transform({ projectDir: undeclared.dir, sourcesDir: path.join(undeclared.dir, "test", "sources") })
        assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(summary.sources!.map(({ table, rows }) => ({ table, rows })), [
          { table: "agent_structure.agents", rows: 1 },
          { table: "agent_structure.tools", rows: 1 },
          { table: "fx.daily_rates", rows: 2 },
          { table: "transfer_data.ads_Campaign_123", rows: 2 }
        ])
        const warehouse = yield* Warehouse
        assert.deepStrictEqual(yield* warehouse.query("SELECT campaign_id, campaign_name FROM ads.campaigns"), [{ campaign_id: 1, campaign_name: "Brand" }])
        assert.deepStrictEqual(yield* warehouse.query("SELECT n FROM ads.campaign_count"), [{ n: 1 }])
        assert.deepStrictEqual(yield* warehouse.query("SELECT CAST(day AS VARCHAR) AS day, rate FROM ads.recent_rates"), [{ day: "2024-02-01", rate: 0.7 }])
        assert.deepStrictEqual(yield* warehouse.query("SELECT agent_id, tool_name, item FROM ads.agent_tools ORDER BY item"), [
          { agent_id: 7, tool_name: "browser", item: "mail" },
          { agent_id: 7, tool_name: "browser", item: "search" }
        ])
      } finally {
        undeclared.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))))

  it.effect("an operation's CREATE EXTERNAL TABLE takes its rows from the sources folder; sources init writes its columns; without a file the run names where the rows go", () =>
    Effect.gen(function* () {
      const external = makeTempProject({
        "definitions/country_lookup.sqlx": `
config { type: "operations", schema: "config_business", hasOutput: true, description: "Countries, from a CSV in Cloud Storage." }
create or replace external table \${self()} (
  iso_code string, -- ISO 3166
  country_name string,
  population int64 not null options (description = "People."),
)
options (format = 'CSV', uris = ['gs://config_business/countries.csv'], skip_leading_rows = 1)`,
        "definitions/countries.sqlx": `
config { type: "table", schema: "marts", description: "Countries by name." }
select country_name, population from \${ref("country_lookup")} order by country_name`,
        // No column list (Parquet carries its schema): the stub is headed by the columns read of it.
        "definitions/region_lookup.sqlx": `
config { type: "operations", schema: "config_business", hasOutput: true, description: "Regions, from Parquet in Cloud Storage." }
create or replace external table \${self()}
options (format = 'PARQUET', uris = ['gs://config_business/regions.parquet'])`,
        "definitions/regions.sqlx": `
config { type: "table", schema: "marts", description: "Regions." }
select Region_Code as region_code, Region_Name as region_name from \${ref("region_lookup")}`
      })
      try {
        const sourcesDir = path.join(external.dir, "test", "sources")
        const without = yield* transform({ projectDir: external.dir, sourcesDir })
        assert.include(without.results.find((r) => r.action === "config_business.country_lookup")?.error ?? "", "give it local rows in the sources folder, config_business/country_lookup.csv")
        const init = yield* Effect.promise(() => sourcesInit(external.dir))
        assert.include(init.stdout, "2 file(s) written")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "config_business", "country_lookup.csv"), "utf8"), "iso_code:STRING,country_name:STRING,population:INT64\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "config_business", "region_lookup.csv"), "utf8"), "Region_Code,Region_Name\n")
        external.write("test/sources/config_business/country_lookup.csv", "iso_code:STRING,country_name:STRING,population:INT64\nFR,France,068\nBR,Brazil,211\n")
        external.write("test/sources/config_business/region_lookup.csv", "Region_Code,Region_Name\nEU,Europe\n")
        const summary = yield* transform({ projectDir: external.dir, sourcesDir })
        assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT country_name, population, typeof(population) AS type FROM marts.countries ORDER BY country_name"), [{ country_name: "Brazil", population: 211, type: "BIGINT" }, { country_name: "France", population: 68, type: "BIGINT" }])
      } finally {
        external.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("a declared table that an operation creates when missing needs no file, and sources init writes none, listing that CREATE's columns; a name quoted in a comment is no table; the log the project keeps survives the next run", () =>
    Effect.gen(function* () {
      // As Google's cloud-cost-management-toolkit declares its process log and creates it if missing.
      const logged = makeTempProject({
        "definitions/process_log.sqlx": `config { type: "declaration", schema: "ops", name: "process_log" }`,
        "definitions/create_process_log.sqlx": `
config { type: "operations", description: "Creates the log once." }
CREATE TABLE IF NOT EXISTS \${ref("process_log")} (
  process_id INT64, -- one per run
  started_at TIMESTAMP OPTIONS(description = "When it started."),
  dates ARRAY<DATE>
)`,
        // A Universal Analytics export read by name, its dataset the view's digits, unquoted.
        "definitions/ua_visits.sqlx": `
config { type: "table", schema: "ops", description: "Visits of the old export." }
SELECT SUM(visits) AS visits FROM my-project.181871398.ga_sessions_20240101`,
        "definitions/next_process.sqlx": `
config { type: "table", schema: "ops", description: "The next run's id.", dependencies: ["create_process_log"] }
SELECT COALESCE(MAX(process_id), 0) + 1 AS next_id, COUNT(started_at) AS started
FROM \${ref("process_log")}
-- UNION ALL SELECT … FROM \`my-project.legacy_ops.process_log_v1\`, the old log`
      })
      try {
        const sourcesDir = path.join(logged.dir, "test", "sources")
        // Without a file, the declaration checks nothing, as on BigQuery: the operation creates the table.
        logged.write("test/sources/181871398/ga_sessions_20240101.csv", "visits:INT64\n3\n4\n")
        const created = yield* transform({ projectDir: logged.dir, sourcesDir })
        assert.isTrue(created.ok, JSON.stringify(created.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT visits FROM ops.ua_visits"), [{ visits: 7 }])
        assert.include(created.results.find((r) => r.action === "ops.process_log")?.warnings?.[0] ?? "", "not in the warehouse yet: a statement of the project creates it")
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT next_id FROM ops.next_process"), [{ next_id: 1 }])
        const init = yield* Effect.promise(() => sourcesInit(logged.dir))
        // The unquoted path with a digits dataset is that dataset's table (its file kept).
        assert.include(init.stdout, "181871398.ga_sessions_20240101")
        // No file for it (loaded before every run, it would empty the log the project keeps): its
        // columns are those of the CREATE that makes it.
        assert.isFalse(existsSync(path.join(sourcesDir, "ops", "process_log.csv")))
        assert.include(init.stdout, "definitions/create_process_log.sqlx creates it: no file needed")
        assert.include(init.stdout, "process_id:INT64, started_at:TIMESTAMP, dates:ARRAY<DATE>")
        assert.isFalse(existsSync(path.join(sourcesDir, "legacy_ops")))
        // What the project writes into its log (here by hand) is there on the next run.
        yield* (yield* Warehouse).run(["INSERT INTO ops.process_log VALUES (1, TIMESTAMP '2024-01-01 00:00:00+00', [])"])
        const summary = yield* transform({ projectDir: logged.dir, sourcesDir })
        assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT next_id, started FROM ops.next_process"), [{ next_id: 2, started: 1 }])
      } finally {
        logged.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("a header cell's BigQuery type (name:TYPE) types its column, with rows or none; sources init writes the types the SQL shows; a cell its type cannot read fails naming the file", () =>
    Effect.gen(function* () {
      const typed = makeTempProject({
        "definitions/sources.js": `declare({ schema: "raw", name: "visits" })`,
        "definitions/monthly_visits.sqlx": `
config { type: "table", schema: "marts", description: "Visits per month." }
select date_trunc(v.visit_date, month) as month, sum(v.revenue) as revenue, countif(v.is_bounce) as bounces, max(array_length(v.pages)) as most_pages,
  max(v.device.category) as device, max(v.device.screen.width * 2) as double_width
from \${ref("raw", "visits")} as v
where v.visited_at >= timestamp('2024-01-01') and v.duration_s > 0 and not v.is_test
group by 1`
      })
      try {
        const sourcesDir = path.join(typed.dir, "test", "sources")
        yield* Effect.promise(() => sourcesInit(typed.dir))
        // pages is an array (ARRAY_LENGTH takes any; its elements a STRING, as nothing shows theirs);
        // device's fields read make it a STRUCT (a field's type STRING unless its use shows one).
        assert.strictEqual(readFileSync(path.join(sourcesDir, "raw", "visits.csv"), "utf8"), "visit_date:DATE,revenue:FLOAT64,is_bounce:BOOL,pages:ARRAY<STRING>,\"device:STRUCT<category STRING, screen STRUCT<width FLOAT64>>\",visited_at:TIMESTAMP,duration_s:INT64,is_test:BOOL\n")
        // Header-only: the run binds and gives no rows (untyped, DATE_TRUNC of a STRING fails).
        const empty = yield* transform({ projectDir: typed.dir, sourcesDir })
        assert.isTrue(empty.ok, JSON.stringify(empty.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT count(*) AS n FROM marts.monthly_visits"), [{ n: 0 }])
        assert.deepStrictEqual(
          (yield* (yield* Warehouse).query("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'visits' ORDER BY ordinal_position")).map((row) => `${row["column_name"]} ${row["data_type"]}`),
          ["visit_date DATE", "revenue DOUBLE", "is_bounce BOOLEAN", "pages VARCHAR[]", "device STRUCT(category VARCHAR, screen STRUCT(width DOUBLE))", "visited_at TIMESTAMP WITH TIME ZONE", "duration_s BIGINT", "is_test BOOLEAN"]
        )
        // Rows, read as BigQuery's CAST reads text (a zone in a timestamp, a nested cell as JSON
        // naming each field, null for none).
        typed.write(
          "test/sources/raw/visits.csv",
          'visit_date:DATE,revenue:FLOAT64,is_bounce:BOOL,"pages:ARRAY<STRING>","device:STRUCT<category STRING, screen STRUCT<width FLOAT64>>",visited_at:TIMESTAMP,duration_s:INT64,is_test:BOOL\n' +
            '2024-03-05,10.5,true,"[""/"",""/cart""]","{""category"": ""mobile"", ""screen"": {""width"": 390}}",2024-03-05 23:30:00-02,30,false\n' +
            '2024-03-09,2,false,[],,2024-03-09 10:00:00 UTC,0,false\n' +
            '2024-03-10,1,false,"[""/""]","{""category"": ""desktop"", ""screen"": null}",2023-12-31 23:00:00-02,5,false\n'
        )
        assert.isTrue((yield* transform({ projectDir: typed.dir, sourcesDir })).ok)
        // 2023-12-31 23:00-02 is 2024-01-01 01:00 UTC: kept; the second row has no duration.
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT CAST(month AS VARCHAR) AS month, revenue, bounces, most_pages, device, double_width FROM marts.monthly_visits"), [{ month: "2024-03-01", revenue: 11.5, bounces: 1, most_pages: 2, device: "mobile", double_width: 780 }])
        typed.write("test/sources/raw/visits.csv", "visit_date:DATE,revenue:FLOAT64,is_bounce:BOOL,pages,device,visited_at:TIMESTAMP,duration_s:INT64,is_test:BOOL\n2024-03-05,ten,true,,,2024-03-05,1,false\n")
        const bad = yield* Effect.result(transform({ projectDir: typed.dir, sourcesDir }))
        assert.strictEqual(bad._tag, "Failure")
        if (bad._tag === "Failure") {
          assert.include(bad.failure.message, path.join(sourcesDir, "raw", "visits.csv"))
          assert.include(bad.failure.message, "ten")
        }
      } finally {
        typed.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init types an array column by its use (UNNEST, ARRAY_LENGTH, [OFFSET]) and its elements by what is read of them, through the UNNEST's alias or bare in a subquery, also past a CTE's IF(…) of it; the stubs bind", () =>
    Effect.gen(function* () {
      const ga4 = makeTempProject({
        "definitions/sources.js": `declare({ schema: "analytics", name: "events" })\ndeclare({ schema: "analytics", name: "requests" })`,
        // Through a CTE whose IF(…) passes the column on, an array of STRUCTs holding an array.
        "definitions/request_keys.sqlx": `
config { type: "view", schema: "marts", description: "Query keys of the requests that have some." }
with queried as (select r.path, if(array_length(r.query) > 0, r.query, null) as query from \${ref("analytics", "requests")} as r)
select queried.path, q.key, v from queried, unnest(queried.query) as q, unnest(q.value) as v`,
        "definitions/page_views.sqlx": `
config { type: "table", schema: "marts", description: "GA4-shaped events, flattened." }
select e.event_name,
  (select value.int_value from unnest(e.event_params) where key = 'ga_session_id') as session_id,
  (select p.value.string_value from unnest(e.event_params) as p where p.key = 'page_location') as page,
  item.item_name, item.price * 2 as double_price, array_length(e.tags) as tag_count, e.user_ids[safe_offset(0)] as first_user,
  (select string_agg(v, ',' order by v) from unnest(e.labels), unnest(value) as v where key = 'campaign') as campaigns
from \${ref("analytics", "events")} as e, unnest(e.items) as item
where 'promo' in unnest(e.tags)`
      })
      try {
        const sourcesDir = path.join(ga4.dir, "test", "sources")
        yield* writeStubs(ga4.dir)
        const header = readFileSync(path.join(sourcesDir, "analytics", "events.csv"), "utf8")
        assert.strictEqual(
          header,
          'event_name,"event_params:ARRAY<STRUCT<value STRUCT<int_value STRING, string_value STRING>, key STRING>>",tags:ARRAY<STRING>,user_ids:ARRAY<STRING>,"labels:ARRAY<STRUCT<value ARRAY<STRING>, key STRING>>","items:ARRAY<STRUCT<item_name STRING, price FLOAT64>>"\n'
        )
        assert.strictEqual(readFileSync(path.join(sourcesDir, "analytics", "requests.csv"), "utf8"), 'path,"query:ARRAY<STRUCT<key STRING, value ARRAY<STRING>>>"\n')
        const empty = yield* transform({ projectDir: ga4.dir, sourcesDir })
        assert.isTrue(empty.ok, JSON.stringify(empty.results.filter((r) => r.status !== "succeeded")))
        ga4.write(
          "test/sources/analytics/events.csv",
          header +
            '"page_view","[{""key"": ""ga_session_id"", ""value"": {""int_value"": ""7"", ""string_value"": null}}, {""key"": ""page_location"", ""value"": {""int_value"": null, ""string_value"": ""/home""}}]",' +
            '"[""promo""]","[""u1"", ""u2""]","[{""key"": ""campaign"", ""value"": [""spring"", ""sale""]}]","[{""item_name"": ""hat"", ""price"": 2.5}]"\n'
        )
        assert.isTrue((yield* transform({ projectDir: ga4.dir, sourcesDir })).ok)
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT event_name, session_id, page, item_name, double_price, tag_count, first_user, campaigns FROM marts.page_views"), [
          { event_name: "page_view", session_id: "7", page: "/home", item_name: "hat", double_price: 5, tag_count: 1, first_user: "u1", campaigns: "sale,spring" }
        ])
      } finally {
        ga4.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init reads a path through an array (BigQuery's implicit `UNNEST(t.marks.code)`) as a field of its elements", () =>
    Effect.gen(function* () {
      const implicit = makeTempProject({
        "definitions/sources.js": `declare({ schema: "raw", name: "sessions" })`,
        "definitions/marked.sqlx": `
config { type: "view", schema: "marts", description: "Sessions with an x mark." }
select s.id from \${ref("raw", "sessions")} as s where array_length(s.marks) > 0 and 'x' in unnest(s.marks.code)`
      })
      try {
        yield* writeStubs(implicit.dir)
        assert.strictEqual(readFileSync(path.join(implicit.dir, "test", "sources", "raw", "sessions.csv"), "utf8"), 'id,marks:ARRAY<STRUCT<code STRING>>\n')
      } finally {
        implicit.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init types a STRUCT's arrays (FHIR's nested UNNESTs, a[SAFE_OFFSET(0)].field, a subquery's FROM UNNEST(s.f)) and what a model passing the STRUCT on with * has read of it, in a table named by an unquoted project id with dashes and digits (`ehr-prod-42.ehr.patient`: `42.e` reads like a number); the stubs bind and read rows", () =>
    Effect.gen(function* () {
      const fhir = makeTempProject({
        "definitions/patients.sqlx": `
config { type: "view", schema: "omop", description: "Patients' extension codes." }
select user.name as patient_id, ext.url, codeable.code, inner_ext.valueString as inner_value,
  (select d.name from unnest(fhir.deviceName) as d where d.type = 'model-name') as model
from ehr-prod-42.ehr.patient, unnest(fhir.extension) as ext
left join unnest(ext.valueCodeableConcept.coding) as codeable
left join unnest(ext.extension) as inner_ext`,
        "definitions/conditions_valid.sqlx": `
config { type: "view", schema: "omop", description: "Conditions with a record." }
select * from ehr-prod-42.ehr.condition where fhir.id is not null`,
        "definitions/conditions.sqlx": `
config { type: "view", schema: "omop", description: "Condition codes, first and all." }
select fhir.code.coding[safe_offset(0)].display as first_display, fhir.code.coding[safe_offset(0)].code as first_code, coding.system
from \${ref("omop", "conditions_valid")}, unnest(fhir.code.coding) as coding`
      })
      try {
        const sourcesDir = path.join(fhir.dir, "test", "sources")
        yield* writeStubs(fhir.dir)
        const patient = readFileSync(path.join(sourcesDir, "ehr", "patient.csv"), "utf8")
        assert.strictEqual(
          patient,
          'user:STRUCT<name STRING>,"fhir:STRUCT<deviceName ARRAY<STRUCT<name STRING, type STRING>>, extension ARRAY<STRUCT<url STRING, valueCodeableConcept STRUCT<coding ARRAY<STRUCT<code STRING>>>, extension ARRAY<STRUCT<valueString STRING>>>>>"\n'
        )
        // `fhir.id` read by conditions_valid, `fhir.code.coding` by the model reading its *: merged.
        assert.strictEqual(readFileSync(path.join(sourcesDir, "ehr", "condition.csv"), "utf8"), '"fhir:STRUCT<id STRING, code STRUCT<coding ARRAY<STRUCT<display STRING, code STRING, system STRING>>>>"\n')
        const empty = yield* transform({ projectDir: fhir.dir, sourcesDir })
        assert.isTrue(empty.ok, JSON.stringify(empty.results.filter((r) => r.status !== "succeeded")))
        fhir.write(
          "test/sources/ehr/patient.csv",
          patient +
            '"{""name"": ""p1""}","{""deviceName"": [{""name"": ""X-1"", ""type"": ""model-name""}], ""extension"": [{""url"": ""race"", ""valueCodeableConcept"": {""coding"": [{""code"": ""2106-3""}]}, ""extension"": [{""valueString"": ""White""}]}]}"\n'
        )
        assert.isTrue((yield* transform({ projectDir: fhir.dir, sourcesDir })).ok)
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT patient_id, url, code, inner_value, model FROM omop.patients"), [
          { patient_id: "p1", url: "race", code: "2106-3", inner_value: "White", model: "X-1" }
        ])
      } finally {
        fhir.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init stubs a Google Ads transfer table read by a name quoted in parts and GA4's user export read beside an UNNEST, with the types Google documents; the stubs bind", () =>
    Effect.gen(function* () {
      const exportsProject = makeTempProject({
        "definitions/sources.js": `declare({ schema: "analytics_1", name: "pseudonymous_users_*" })`,
        // As a project's JS builds the names: `project`.dataset.`table`, one per account, in a UNION.
        "definitions/campaign_stats.sqlx": `
config { type: "view", schema: "marts", description: "Campaign clicks and cost per day, both accounts." }
select cast(campaign_id as string) as campaign_id, cast(cast(segments_date as string format 'YYYYMMDD') as int64) as date_id,
  sum(metrics_clicks) as clicks, sum(metrics_cost_micros) / 1e6 as cost, sum(metrics_conversions) as conversions
from (
  select campaign_id, segments_date, metrics_clicks, metrics_cost_micros, metrics_conversions from \`my-project\`.ads_data.\`ads_CampaignBasicStats_123\` where _DATA_DATE = _LATEST_DATE
  union all
  select campaign_id, segments_date, metrics_clicks, metrics_cost_micros, metrics_conversions from \`my-project\`.ads_data.\`ads_CampaignBasicStats_456\` where _DATA_DATE = _LATEST_DATE
)
group by 1, 2`,
        "definitions/user_audiences.sqlx": `
config { type: "table", schema: "marts", description: "Users per audience." }
select pseudo_user_id, timestamp_micros(user_info.last_active_timestamp_micros) as last_active, audiences.name as audience, occurrence_date, npa
from \${ref("analytics_1", "pseudonymous_users_*")}, unnest(audiences) as audiences`
      })
      try {
        const sourcesDir = path.join(exportsProject.dir, "test", "sources")
        yield* writeStubs(exportsProject.dir)
        // The other branch's table is no column of this one; ids, counts and micros are INT64, other metrics FLOAT64.
        assert.strictEqual(
          readFileSync(path.join(sourcesDir, "ads_data", "ads_CampaignBasicStats_123.csv"), "utf8"),
          "campaign_id:INT64,segments_date:DATE,metrics_clicks:INT64,metrics_cost_micros:INT64,metrics_conversions:FLOAT64,_DATA_DATE:DATE,_LATEST_DATE:DATE\n"
        )
        assert.isTrue(existsSync(path.join(sourcesDir, "ads_data", "ads_CampaignBasicStats_456.csv")))
        // Read beside `UNNEST(audiences) AS audiences`: the bare names are the table's, the UNNEST's
        // argument too, but `npa`, a documented field of the audiences, is the element's.
        assert.strictEqual(
          readFileSync(path.join(sourcesDir, "analytics_1", "pseudonymous_users_19700101.csv"), "utf8"),
          'pseudo_user_id:STRING,"user_info:STRUCT<last_active_timestamp_micros INT64, user_first_touch_timestamp_micros INT64, first_purchase_date STRING>",occurrence_date:STRING,' +
            '"audiences:ARRAY<STRUCT<id INT64, name STRING, membership_start_timestamp_micros INT64, membership_expiry_timestamp_micros INT64, npa BOOL>>"\n'
        )
        const empty = yield* transform({ projectDir: exportsProject.dir, sourcesDir })
        assert.isTrue(empty.ok, JSON.stringify(empty.results.filter((r) => r.status !== "succeeded")))
      } finally {
        exportsProject.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init reads the outer row's columns in a subquery without FROM (GA4 Dataform's SELECT AS STRUCT traffic_source.source …), and no column in CAST(… FORMAT '…'); the stub binds", () =>
    Effect.gen(function* () {
      const ga4 = makeTempProject({
        "definitions/sources.js": `declare({ schema: "analytics_1", name: "events" })`,
        "definitions/stg_events.sqlx": `
config { type: "table", schema: "staging", description: "Events, cast." }
select
  cast(event_date as date format 'yyyymmdd') as event_date,
  (select as struct traffic_source.source as source, traffic_source.medium as medium) as traffic_source,
  (select max(n) from unnest([1, 2]) as n) as top
from \${ref("analytics_1", "events")}`
      })
      try {
        const sourcesDir = path.join(ga4.dir, "test", "sources")
        yield* writeStubs(ga4.dir)
        assert.strictEqual(readFileSync(path.join(sourcesDir, "analytics_1", "events.csv"), "utf8"), 'event_date,"traffic_source:STRUCT<source STRING, medium STRING>"\n')
        const run = yield* transform({ projectDir: ga4.dir, sourcesDir })
        assert.isTrue(run.ok, JSON.stringify(run.results.filter((r) => r.status !== "succeeded")))
      } finally {
        ga4.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init types a column a model passes on as it is (t.x, t.x AS y, a final CTE's) by what the model's readers show of it, COALESCE(x, 0) by its literal, and a column compared with a typed one of its table alike; the stubs bind", () =>
    Effect.gen(function* () {
      const layered = makeTempProject({
        "definitions/sources.js": `declare({ schema: "raw", name: "readings" })\ndeclare({ schema: "raw", name: "stations" })`,
        "definitions/stg_readings.sqlx": `
config { type: "view", schema: "staging", description: "Readings, renamed." }
select r.reading_day as read_on, r.value, r.station, upper(r.label) as label, coalesce(r.fallback, 0) as fallback, cast(r.code as int64) as code
from \${ref("raw", "readings")} as r
-- Compared with columns typed above: the same types.
where r.checked_on >= r.reading_day and r.limit_value < r.value`,
        // dbt's layout: an import CTE, a final CTE, SELECT * FROM final.
        "definitions/stg_stations.sqlx": `
config { type: "view", schema: "staging", description: "Stations, as loaded." }
with source as (select * from \${ref("raw", "stations")}),
final as (select station_id, opened_on from source)
select * from final`,
        "definitions/monthly_readings.sqlx": `
config { type: "table", schema: "marts", description: "Readings per month and station." }
select date_trunc(r.read_on, month) as month, s.station_id, sum(r.value) as total, max(r.label) as label, sum(r.code) as codes,
  max(date_diff(r.read_on, s.opened_on, day)) as station_age_days
from \${ref("stg_readings")} as r join \${ref("stg_stations")} as s on s.station_id = r.station
group by 1, 2`
      })
      try {
        const sourcesDir = path.join(layered.dir, "test", "sources")
        yield* Effect.promise(() => sourcesInit(layered.dir))
        // label and code reach the mart through expressions (UPPER, CAST): their types are the
        // expressions', not the column's, and stay unwritten.
        assert.strictEqual(readFileSync(path.join(sourcesDir, "raw", "readings.csv"), "utf8"), "reading_day:DATE,value:FLOAT64,station,label,fallback:INT64,code,checked_on:DATE,limit_value:FLOAT64\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "raw", "stations.csv"), "utf8"), "station_id,opened_on:DATE\n")
        const run = yield* transform({ projectDir: layered.dir, sourcesDir })
        assert.isTrue(run.ok, JSON.stringify(run.results.filter((r) => r.status !== "succeeded")))
        layered.write("test/sources/raw/readings.csv", "reading_day:DATE,value:FLOAT64,station,label,fallback:INT64,code,checked_on:DATE,limit_value:FLOAT64\n2024-03-05,1.5,s1,a,,7,2024-03-05,0\n2024-03-20,2,s1,b,3,8,2024-03-21,1\n2024-03-21,9,s1,c,1,1,2024-03-20,0\n")
        layered.write("test/sources/raw/stations.csv", "station_id,opened_on:DATE\ns1,2024-03-01\n")
        assert.isTrue((yield* transform({ projectDir: layered.dir, sourcesDir })).ok)
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT CAST(month AS VARCHAR) AS month, station_id, total, label, codes, station_age_days FROM marts.monthly_readings"), [
          { month: "2024-03-01", station_id: "s1", total: 3.5, label: "B", codes: 15, station_age_days: 19 }
        ])
      } finally {
        layered.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init gives a bare name beside a join to the one source whose partners cannot have it (models and CTEs that never name it, no *; another source that the project never reads it of by alias); beside a SELECT * it stays out", () =>
    Effect.gen(function* () {
      const joined = makeTempProject({
        "definitions/sources.js": `declare({ schema: "shop", name: "order_items" })\ndeclare({ schema: "shop", name: "returns" })\ndeclare({ schema: "shop", name: "stock" })`,
        "definitions/products.sqlx": `config { type: "table", schema: "core" }\nselect 'p1' as product_id, 'Shoes' as brand`,
        "definitions/anything.sqlx": `config { type: "table", schema: "core" }\nselect * from \${ref("products")}`,
        // inventory_item_id is bare: products never names it, nor does the CTE.
        "definitions/sales.sqlx": `config { type: "table", schema: "marts" }
with brands as (select product_id as brand_product, brand from \${ref("products")})
select items.order_id, inventory_item_id, products.brand, brands.brand as brand_again
from \${ref("shop", "order_items")} items
join \${ref("products")} products on items.product_id = products.product_id
join brands on brands.brand_product = items.product_id`,
        // Beside another source: reason is the FROM item's (order_items is never read for it by
        // alias), quantity order_items' (read as i.quantity in another model). Beside a model
        // selecting *, a bare name could be either's.
        "definitions/returned.sqlx": `config { type: "table", schema: "marts" }
select r.order_id, reason, quantity from \${ref("shop", "returns")} r join \${ref("shop", "order_items")} i on i.order_id = r.order_id`,
        "definitions/quantities.sqlx": `config { type: "table", schema: "marts" }
select i.order_id, i.quantity from \${ref("shop", "order_items")} i`,
        // The same through CTEs passing each source's rows on with *: refund_total is order_items'.
        "definitions/refunds.sqlx": `config { type: "table", schema: "marts" }
with items as (select * from \${ref("shop", "order_items")}), returned as (select * from \${ref("shop", "returns")} where reason is not null)
select items.order_id, refund_total from items join returned on returned.order_id = items.order_id`,
        "definitions/stocked.sqlx": `config { type: "table", schema: "marts" }
select s.product_id, warehouse from \${ref("shop", "stock")} s join \${ref("anything")} a on a.product_id = s.product_id`
      })
      try {
        const sourcesDir = path.join(joined.dir, "test", "sources")
        yield* Effect.promise(() => sourcesInit(joined.dir))
        assert.strictEqual(readFileSync(path.join(sourcesDir, "shop", "order_items.csv"), "utf8"), "order_id,quantity,refund_total,inventory_item_id,product_id\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "shop", "returns.csv"), "utf8"), "reason,order_id\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "shop", "stock.csv"), "utf8"), "product_id\n")
        const run = yield* transform({ projectDir: joined.dir, sourcesDir })
        for (const name of ["marts.sales", "marts.returned", "marts.refunds"]) {
          const result = run.results.find((candidate) => candidate.action === name)
          assert.strictEqual(result?.status, "succeeded", result?.error)
        }
      } finally {
        joined.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init types a column through CTEs that list it on (bare, alias.column, renamed), by its use at the end of the chain; a CTE computing from it passes no type; a CTE or subquery passing rows on with * is read through", () =>
    Effect.gen(function* () {
      const chained = makeTempProject({
        "definitions/sources.js": `declare({ schema: "bikes", name: "trips" })\ndeclare({ schema: "bikes", name: "orders" })`,
        // A subquery passing the rows on with * (a deduplication): the outer SELECT reads the table's columns.
        "definitions/latest_orders.sqlx": `config { type: "table", schema: "marts" }
select id, amount, t.region from (
  select *, row_number() over (partition by id order by updated_at desc) as rn from \${ref("bikes", "orders")}
) t
where rn = 1 and amount > 0`,
        "definitions/monthly.sqlx": `config { type: "table", schema: "marts" }
with base as (
  select tripduration, starttime, gender, duration_text from \${ref("bikes", "trips")} where usertype = 'Subscriber'
),
enriched as (
  select b.tripduration as seconds, b.starttime, upper(b.gender) as gender, b.duration_text from base b
),
numbered as (select *, 1 as one from enriched)
select date_trunc(date(starttime), month) as month, gender, sum(seconds) as total_seconds, sum(one) as trips, max(duration_text) as longest
from numbered
group by 1, 2`
      })
      try {
        const sourcesDir = path.join(chained.dir, "test", "sources")
        yield* Effect.promise(() => sourcesInit(chained.dir))
        assert.strictEqual(readFileSync(path.join(sourcesDir, "bikes", "trips.csv"), "utf8"), "tripduration:FLOAT64,starttime:TIMESTAMP,gender,duration_text,usertype\n")
        assert.strictEqual(readFileSync(path.join(sourcesDir, "bikes", "orders.csv"), "utf8"), "id,amount:INT64,region,updated_at\n")
        const run = yield* transform({ projectDir: chained.dir, sourcesDir })
        assert.isTrue(run.ok, JSON.stringify(run.results.filter((r) => r.status !== "succeeded")))
      } finally {
        chained.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("sources init reads through a CTE passing one joined table's rows on as alias.* (DfE's allocations): the CTE's columns the SQL reads are that table's, except what the SELECT makes beside it; another table's * mixes them", () =>
    Effect.gen(function* () {
      const starred = makeTempProject({
        "definitions/sources.js": `declare({ schema: "static", name: "allocations" })\ndeclare({ schema: "static", name: "providers" })\ndeclare({ schema: "static", name: "mixed" })\ndeclare({ schema: "static", name: "enrolments" })`,
        "definitions/contracts.sqlx": `config { type: "table", schema: "marts" }
with targets as (
  select alloc.*, lp.name as provider_name, lp.region
  from \${ref("static", "allocations")} as alloc
  left join \${ref("static", "providers")} as lp on lp.id = cast(alloc.lead_provider_id as string)
),
blended as (select m.*, p.* from \${ref("static", "mixed")} m join \${ref("static", "providers")} p on p.id = m.provider_id),
courses as (select distinct course from \${ref("static", "enrolments")}),
caps as (select course, max(cap) as cap from targets group by course)
select courses.course, targets.provider_name, targets.region, ifnull(targets.participants, 0) as participants, ifnull(caps.cap, 0.5) as cap, blended.blend
from courses
left join targets using (course)
left join caps using (course)
left join blended on blended.provider_id = targets.provider_name`
      })
      try {
        const sourcesDir = path.join(starred.dir, "test", "sources")
        yield* Effect.promise(() => sourcesInit(starred.dir))
        // participants and course (in USING) come through alloc.*, cap through MAX(cap) AS cap too, typed where
        // IFNULL reads it; provider_name and region are the SELECT's own.
        assert.strictEqual(readFileSync(path.join(sourcesDir, "static", "allocations.csv"), "utf8"), "lead_provider_id,course,cap:FLOAT64,participants:INT64\n")
        // m.* beside p.*: blend could be either's, so neither stub takes it.
        assert.strictEqual(readFileSync(path.join(sourcesDir, "static", "mixed.csv"), "utf8"), "provider_id\n")
        const run = yield* transform({ projectDir: starred.dir, sourcesDir })
        const contracts = run.results.find((result) => result.action === "marts.contracts")
        assert.match(contracts?.error ?? "", /blend/)
      } finally {
        starred.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("GA4's events_* and events_intraday_* side by side: each intraday shard is the intraday declaration's, and events_* reads it too, as BigQuery's wildcard does; an undeclared events_* read by name is a wildcard too", () =>
    Effect.gen(function* () {
      const ga4 = makeTempProject({
        "definitions/sources.js": `declare({ schema: "analytics_1", name: "events_*" })
declare({ schema: "analytics_1", name: "events_intraday_*" })`,
        "definitions/suffixes.sqlx": `
config { type: "table", schema: "marts", description: "Rows per table suffix, from each wildcard." }
select 'all' as wildcard, _table_suffix as suffix, count(*) as n from \${ref("analytics_1", "events_*")} group by 1, 2
union all
select 'intraday', _table_suffix, count(*) from \${ref("analytics_1", "events_intraday_*")} group by 1, 2`,
        // A GA4 export read by name, declared nowhere: its shards' files make its wildcard too.
        "definitions/undeclared.sqlx": `
config { type: "table", schema: "marts", description: "Events of a property the project does not declare." }
select _table_suffix as suffix, event_name from \`my-project.analytics_9.events_*\` where _table_suffix >= '20240105'`
      })
      try {
        ga4.write("test/sources/analytics_1/events_20240101.jsonl", '{"event_name": "page_view"}\n{"event_name": "scroll"}\n')
        ga4.write("test/sources/analytics_1/events_intraday_20240102.jsonl", '{"event_name": "page_view"}\n')
        // Without its shards, the undeclared wildcard's failure says how to name them.
        const without = yield* transform({ projectDir: ga4.dir, sourcesDir: path.join(ga4.dir, "test", "sources") })
        assert.include(without.results.find((r) => r.action === "marts.undeclared")?.error ?? "", "test/sources/analytics_9/events_<suffix>.csv")
        ga4.write("test/sources/analytics_9/events_20240104.jsonl", '{"event_name": "old"}\n')
        ga4.write("test/sources/analytics_9/events_20240105.jsonl", '{"event_name": "purchase"}\n')
        const summary = yield* transform({ projectDir: ga4.dir, sourcesDir: path.join(ga4.dir, "test", "sources") })
        assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT wildcard, suffix, n FROM marts.suffixes ORDER BY wildcard, suffix"), [
          { wildcard: "all", suffix: "20240101", n: 2 },
          { wildcard: "all", suffix: "intraday_20240102", n: 1 },
          { wildcard: "intraday", suffix: "20240102", n: 1 }
        ])
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT suffix, event_name FROM marts.undeclared"), [{ suffix: "20240105", event_name: "purchase" }])
      } finally {
        ga4.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("a transfer table's _PARTITIONTIME is a column of its source file, which a * over the table leaves out as BigQuery's does; without it the error says so", () =>
    Effect.gen(function* () {
      const transfer = makeTempProject({
        "definitions/latest_events.sqlx": `
config { type: "table", schema: "ga4", description: "Events of the newest partition." }
select event_name from \`analytics.p_ga4_Events_123\`
qualify cast(_PARTITIONTIME as date) = max(cast(_PARTITIONTIME as date)) over ()`,
        // As Google's billing export view: the pseudo-column named, the rest by *.
        "definitions/events_with_partition.sqlx": `
config { type: "view", schema: "ga4", description: "Events with their partition." }
select *, _PARTITIONTIME as partition_time from \`analytics.p_ga4_Events_123\` as events`,
        "definitions/events_copy.sqlx": `
config { type: "table", schema: "ga4", description: "The events as they are." }
select * from \${ref("events_with_partition")}`,
        "definitions/events_but_n.sqlx": `
config { type: "table", schema: "ga4", description: "The events without their count." }
select * except (n) from \`analytics.p_ga4_Events_123\``
      })
      try {
        const sourcesDir = path.join(transfer.dir, "test", "sources")
        transfer.write("test/sources/analytics/p_ga4_Events_123.csv", "event_name\npage_view\n")
        const without = yield* transform({ projectDir: transfer.dir, sourcesDir })
        assert.include(without.results.find((r) => r.action === "ga4.latest_events")?.error ?? "", "add a _PARTITIONTIME column to it (a TIMESTAMP)")
        transfer.write("test/sources/analytics/p_ga4_Events_123.csv", "event_name,n:INT64,_PARTITIONTIME\nold,1,2024-01-01 00:00:00+00\npage_view,2,2024-01-02 00:00:00+00\n")
        const summary = yield* transform({ projectDir: transfer.dir, sourcesDir })
        assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
        assert.deepStrictEqual(yield* (yield* Warehouse).query("SELECT event_name FROM ga4.latest_events"), [{ event_name: "page_view" }])
        assert.deepStrictEqual(
          yield* (yield* Warehouse).query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'events_copy' ORDER BY column_index"),
          [{ column_name: "event_name" }, { column_name: "n" }, { column_name: "partition_time" }]
        )
        assert.deepStrictEqual(
          yield* (yield* Warehouse).query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'events_but_n' ORDER BY column_index"),
          [{ column_name: "event_name" }]
        )
      } finally {
        transfer.cleanup()
      }
    }).pipe(Effect.provide(localWarehouse(":memory:"))), 60_000)

  it.effect("BigQuery scripts (FOR, IF, WHILE, BEGIN … EXCEPTION, @@ variables) and JavaScript UDFs in operations and pre_operations run as BigQuery runs them", () =>
    Effect.gen(function* () {
      writeShopSources()
      const summary = yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources") })
      assert.isTrue(summary.ok, JSON.stringify(summary.results.filter((r) => r.status !== "succeeded")))
      const warehouse = yield* Warehouse
      assert.deepStrictEqual(yield* warehouse.query("SELECT order_id, size FROM marts.order_sizes ORDER BY order_id"), [
        { order_id: -1, size: "1 orders sized" },
        { order_id: 1, size: "medium" },
        { order_id: 2, size: "small" },
        { order_id: 3, size: "large" }
      ])
      assert.deepStrictEqual(yield* warehouse.query("SELECT project, also, orders FROM marts.project_tables"), [{ project: "test-project", also: "test-project", orders: 3 }])
      // 1 → 10 → 100 → 1000 > max(amount) = 100: the loop breaks with threshold 1000.
      assert.deepStrictEqual(yield* warehouse.query("SELECT order_id, CAST(threshold AS INTEGER) AS threshold FROM marts.large_orders ORDER BY order_id"), [{ order_id: 3, threshold: 1000 }])
      assert.deepStrictEqual(yield* warehouse.query("SELECT label FROM marts.order_labels ORDER BY order_id"), [
        { label: "order 1" },
        { label: "order 2" },
        { label: "order 3 (large)" }
      ])
      const dry = yield* transform({ projectDir: project.dir, sourcesDir: path.join(project.dir, "test", "sources"), dryRun: true })
      const planned = dry.results.find((result) => result.action.endsWith("order_sizes"))!
      assert.include(planned.statements.join("\n"), "-- FOR o IN (")
    }).pipe(Effect.provide(localWarehouse(":memory:"))))
})
