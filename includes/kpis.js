// The KPI columns of the marts, from includes/kpis.json (which the report reads too).
const { kpis } = require("./kpis.json");

// Each KPI as a column of the given measures' expressions (a mart passes its own column names).
function ratios(impressions, clicks, spend, conversions, conversionValue) {
  const measures = { impressions, clicks, spend, conversions, conversion_value: conversionValue };
  return Object.entries(kpis)
    .map(([name, kpi]) => {
      const numerator = kpi.scale === 1 ? measures[kpi.numerator] : `${kpi.scale} * ${measures[kpi.numerator]}`;
      return `safe_divide(${numerator}, ${measures[kpi.denominator]}) as ${name}`;
    })
    .join(",\n    ");
}

const ratioColumns = Object.fromEntries(Object.entries(kpis).map(([name, kpi]) => [name, kpi.description]));

module.exports = { ratios, ratioColumns };
