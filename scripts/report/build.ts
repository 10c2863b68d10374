/**
 * The HTML report: one self-contained file (Chart.js inlined, data embedded) that opens offline.
 * KPI tiles for the last 28 days against the 28 before, spend and ROAS by platform over time,
 * top and bottom campaigns by ROAS, data freshness, quarantine counts and the latest assertion
 * results. Reads the marts with BigQuery SQL through the runner's translation.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { Effect } from "effect"
import kpiDefinitions from "../../includes/kpis.json" with { type: "json" }
import { KNOWN_PLATFORMS, platformEntry } from "../../ingestion/core/platforms.ts"
import type { RunSummary } from "../../runner/transform.ts"
import { translate } from "../../runner/translate.ts"
import { Warehouse, type Row } from "../../runner/warehouse.ts"

const PERIOD_DAYS = 28
const MIN_SPEND_FOR_RANKING = 50

type Measure = "impressions" | "clicks" | "spend" | "conversions" | "conversion_value"
type Kpi = keyof typeof kpiDefinitions.kpis

// The KPIs as the marts define them (includes/kpis.json): a ratio of sums, NULL without a denominator.
const kpiSql = (kpi: Kpi, measures: Readonly<Partial<Record<Measure, string>>>): string => {
  const { numerator, denominator, scale } = kpiDefinitions.kpis[kpi]
  return `safe_divide(${scale === 1 ? "" : `${scale} * `}${measures[numerator as Measure]}, ${measures[denominator as Measure]}) as ${kpi}`
}

const kpiValue = (kpi: Kpi, measures: Readonly<Partial<Record<Measure, number>>>): number | null => {
  const { numerator, denominator, scale } = kpiDefinitions.kpis[kpi]
  const below = measures[denominator as Measure] ?? 0
  return below === 0 ? null : (scale * (measures[numerator as Measure] ?? 0)) / below
}

const queries = {
  bounds: "select max(date) as last_day, min(date) as first_day, max(reporting_currency) as currency from marts.platform_performance_daily",
  periods: `with bounds as (select max(date) as last_day from marts.platform_performance_daily)
    select
      case when date > date_sub(last_day, interval ${PERIOD_DAYS} day) then 'current' else 'previous' end as period,
      sum(spend_reporting) as spend, sum(conversions) as conversions, sum(conversion_value_reporting) as conversion_value,
      sum(impressions) as impressions, sum(clicks) as clicks
    from marts.platform_performance_daily cross join bounds
    where date > date_sub(last_day, interval ${2 * PERIOD_DAYS} day)
    group by 1`,
  series: `select date, platform, spend_reporting, roas from marts.platform_performance_daily
    where date > date_sub((select max(date) from marts.platform_performance_daily), interval 90 day)
    order by date, platform`,
  campaigns: `with bounds as (select max(date) as last_day from marts.campaign_performance_daily)
    select platform, account_name, campaign_name, sum(spend_reporting) as spend, sum(conversions) as conversions,
      ${kpiSql("roas", { spend: "sum(spend_reporting)", conversion_value: "sum(conversion_value_reporting)" })}
    from marts.campaign_performance_daily cross join bounds
    where date > date_sub(last_day, interval ${PERIOD_DAYS} day)
    group by platform, account_name, campaign_name
    having sum(spend_reporting) >= ${MIN_SPEND_FOR_RANKING}`,
  freshness: "select platform, newest_day, accounts, as_of, days_old, warn_after_days, error_after_days, status from marts.platform_freshness order by platform",
  quarantine: "select _source as source, count(*) as records from raw.quarantine group by _source order by _source"
} as const

const run = (sql: string) =>
  Effect.gen(function* () {
    const statements = yield* translate(sql, { fileName: "report" })
    return yield* (yield* Warehouse).query(statements.join(";\n"))
  })

/** Each platform's freshness (marts.platform_freshness): newest day, age, thresholds, ok/warn/error. */
export const readFreshness = run(queries.freshness)

/** One line per platform, for the terminal: how stale it is and against which threshold. */
export const freshnessLines = (rows: ReadonlyArray<Row>): ReadonlyArray<string> =>
  rows.map((row) => {
    const age = `newest day ${String(row["newest_day"])}, ${String(row["days_old"])} day${row["days_old"] === 1 ? "" : "s"} before ${String(row["as_of"])}`
    const verdict =
      row["status"] === "error"
        ? `ERROR: older than ${String(row["error_after_days"])} days`
        : row["status"] === "warn"
          ? `warning: older than ${String(row["warn_after_days"])} days${row["error_after_days"] === null ? "" : ` (an error after ${String(row["error_after_days"])})`}`
          : "fresh"
    return `${String(row["platform"])}: ${age}: ${verdict}`
  })

export interface ReportData {
  readonly generatedAt: string
  readonly currency: string
  readonly firstDay: string | null
  readonly lastDay: string | null
  readonly periods: ReadonlyArray<Row>
  readonly series: ReadonlyArray<Row>
  readonly top: ReadonlyArray<Row>
  readonly bottom: ReadonlyArray<Row>
  readonly freshness: ReadonlyArray<Row>
  readonly quarantine: ReadonlyArray<Row>
  readonly assertions: { readonly passed: number; readonly failed: ReadonlyArray<string>; readonly runAt: string | null }
}

export const collectReportData = (latestTransform: RunSummary | undefined, nowIso: string) =>
  Effect.gen(function* () {
    const [bounds] = yield* run(queries.bounds)
    const campaigns = [...(yield* run(queries.campaigns))].sort((a, b) => Number(b["roas"] ?? 0) - Number(a["roas"] ?? 0))
    const assertionResults = latestTransform?.results.filter((r) => r.kind === "assertion") ?? []
    return {
      generatedAt: nowIso,
      currency: String(bounds?.["currency"] ?? ""),
      firstDay: (bounds?.["first_day"] as string | null) ?? null,
      lastDay: (bounds?.["last_day"] as string | null) ?? null,
      periods: yield* run(queries.periods),
      series: yield* run(queries.series),
      top: campaigns.slice(0, 5),
      bottom: campaigns.slice(-5).reverse(),
      freshness: yield* run(queries.freshness),
      quarantine: yield* run(queries.quarantine),
      assertions: {
        passed: assertionResults.filter((r) => r.status === "succeeded").length,
        failed: assertionResults.filter((r) => r.status === "failed").map((r) => r.action),
        runAt: latestTransform?.finishedAt ?? null
      }
    } satisfies ReportData
  })

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

// The UMD build sits beside the package's entry point; the package does not export it by name.
const chartJs = (): string => readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8")

const styles = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
header { background: #1d2330; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .75; font-size: 13px; }
main { padding: 24px 32px; display: grid; gap: 20px; }
.tiles { display: grid; grid-template-columns: repeat(4, minmax(160px, 1fr)); gap: 16px; }
.tile, section { background: #fff; border-radius: 10px; padding: 16px 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.tile .label { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; opacity: .65; }
.tile .value { font-size: 26px; font-weight: 650; margin: 6px 0 2px; }
.up { color: #1b7f3b; } .down { color: #b3261e; } .flat { opacity: .6; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
h2 { font-size: 15px; margin: 0 0 12px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1b7f3b; font-weight: 600; } .warn { color: #8a5a00; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
.rankings { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
`

export const renderReport = (data: ReportData): string => {
  const current = data.periods.find((p) => p["period"] === "current") ?? {}
  const previous = data.periods.find((p) => p["period"] === "previous") ?? {}
  const kpi = (row: Row) => {
    const spend = Number(row["spend"] ?? 0)
    const conversions = Number(row["conversions"] ?? 0)
    const value = Number(row["conversion_value"] ?? 0)
    const measures = { spend, conversions, conversion_value: value }
    return { spend, conversions, cpa: kpiValue("cpa", measures), roas: kpiValue("roas", measures) }
  }
  const now = kpi(current)
  const before = kpi(previous)
  const money = (n: number | null) => (n === null ? "–" : new Intl.NumberFormat("en-GB", { style: "currency", currency: data.currency || "EUR", maximumFractionDigits: 0 }).format(n))
  const number = (n: number | null, digits = 0) => (n === null ? "–" : n.toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits }))
  const change = (a: number | null, b: number | null, higherIsBetter: boolean) => {
    if (a === null || b === null || b === 0) return `<span class="flat">no previous period</span>`
    const pct = ((a - b) / b) * 100
    const good = higherIsBetter ? pct >= 0 : pct <= 0
    return `<span class="${Math.abs(pct) < 0.05 ? "flat" : good ? "up" : "down"}">${pct >= 0 ? "▲" : "▼"} ${Math.abs(pct).toFixed(1)}% vs previous ${PERIOD_DAYS} days</span>`
  }
  const tiles = [
    ["Spend", money(now.spend), change(now.spend, before.spend, true)],
    ["Conversions", number(now.conversions), change(now.conversions, before.conversions, true)],
    ["CPA", now.cpa === null ? "–" : money(now.cpa).replace(/\.00$/, ""), change(now.cpa, before.cpa, false)],
    ["ROAS", now.roas === null ? "–" : `${number(now.roas, 2)}×`, change(now.roas, before.roas, true)]
  ]
    .map(([label, value, delta]) => `<div class="tile"><div class="label">${label}</div><div class="value">${value}</div><div>${delta}</div></div>`)
    .join("")
  const campaignTable = (rows: ReadonlyArray<Row>) =>
    rows.length === 0
      ? `<p>No campaign spent ${MIN_SPEND_FOR_RANKING} ${escapeHtml(data.currency)} or more in the period.</p>`
      : `<table><tr><th>Campaign</th><th>Platform</th><th class="num">Spend</th><th class="num">ROAS</th></tr>${rows
          .map((r) => `<tr><td>${escapeHtml(String(r["campaign_name"] ?? ""))}<br><small>${escapeHtml(String(r["account_name"] ?? ""))}</small></td><td>${escapeHtml(String(r["platform"]))}</td><td class="num">${money(Number(r["spend"]))}</td><td class="num">${r["roas"] === null ? "–" : `${number(Number(r["roas"]), 2)}×`}</td></tr>`)
          .join("")}</table>`
  const freshnessStatus = (r: Row) =>
    r["status"] === "error"
      ? `<span class="bad">error (over ${r["error_after_days"]} days)</span>`
      : r["status"] === "warn"
        ? `<span class="warn">stale (over ${r["warn_after_days"]} days)</span>`
        : `<span class="ok">fresh</span>`
  const freshness = data.freshness
    .map((r) => `<tr><td>${escapeHtml(String(r["platform"]))}</td><td>${escapeHtml(String(r["newest_day"]))}</td><td class="num">${r["days_old"]}</td><td class="num">${r["accounts"]}</td><td>${freshnessStatus(r)}</td></tr>`)
    .join("")
  const quarantine = data.quarantine.length === 0 ? "none" : data.quarantine.map((r) => `${escapeHtml(String(r["source"]))}: ${r["records"]}`).join(", ")
  const assertionStatus =
    data.assertions.runAt === null
      ? "no transform run recorded"
      : data.assertions.failed.length === 0
        ? `<span class="ok">all ${data.assertions.passed} assertions passed</span>`
        : `<span class="bad">${data.assertions.failed.length} failed</span>: ${data.assertions.failed.map(escapeHtml).join(", ")}`
  const payload = JSON.stringify({ series: data.series }).replace(/</g, "\\u003c")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Marketing performance</title><style>${styles}</style></head>
<body>
<header><h1>Marketing performance</h1><p>${escapeHtml(data.firstDay ?? "–")} to ${escapeHtml(data.lastDay ?? "–")} · money in ${escapeHtml(data.currency)} · KPIs for the last ${PERIOD_DAYS} days · generated ${escapeHtml(data.generatedAt)}</p></header>
<main>
<div class="tiles">${tiles}</div>
<div class="charts">
  <section><h2>Spend by platform (${escapeHtml(data.currency)})</h2><canvas id="spend-chart" height="220"></canvas></section>
  <section><h2>ROAS by platform</h2><canvas id="roas-chart" height="220"></canvas><p><small>The last days' conversions are still arriving (platforms attribute them for days after the click), and accounts in western time zones have one day less: recent values firm up over the next runs.</small></p></section>
</div>
<div class="rankings">
  <section><h2>Top campaigns by ROAS</h2>${campaignTable(data.top)}</section>
  <section><h2>Bottom campaigns by ROAS</h2>${campaignTable(data.bottom)}</section>
</div>
<section><h2>Data quality</h2>
  <table id="freshness"><tr><th>Platform</th><th>Newest day</th><th class="num">Days old</th><th class="num">Accounts</th><th>Freshness</th></tr>${freshness}</table>
  <p>Assertions (${escapeHtml(data.assertions.runAt ?? "–")}): ${assertionStatus}</p>
  <p>Quarantined records: ${quarantine}</p>
</section>
</main>
<script>${chartJs()}</script>
<script>
const report = ${payload};
const colours = ${JSON.stringify(Object.fromEntries(KNOWN_PLATFORMS.map((platform) => [platform, platformEntry(platform)?.colour])))};
const days = [...new Set(report.series.map((r) => r.date))];
const platforms = [...new Set(report.series.map((r) => r.platform))];
const dataset = (field) => platforms.map((platform) => ({
  label: platform,
  borderColor: colours[platform] || "#888",
  backgroundColor: colours[platform] || "#888",
  pointRadius: 0,
  tension: 0.25,
  data: days.map((day) => { const row = report.series.find((r) => r.date === day && r.platform === platform); return row ? row[field] : null; })
}));
const options = { animation: false, responsive: true, interaction: { mode: "index", intersect: false }, scales: { x: { ticks: { maxTicksLimit: 8 } } } };
new Chart(document.getElementById("spend-chart"), { type: "line", data: { labels: days, datasets: dataset("spend_reporting") }, options });
new Chart(document.getElementById("roas-chart"), { type: "line", data: { labels: days, datasets: dataset("roas") }, options });
document.body.dataset.chartsRendered = "true";
</script>
</body></html>
`
}
