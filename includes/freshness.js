// Source freshness, as dbt's warn_after/error_after: each platform's newest day is compared with
// the run's date. Past warn_after_days it is a warning (shown by the report and `mdp status`);
// past error_after_days, when one is set, the freshness assertion fails the run. Vars:
//   as_of                                  the date to measure against (mdp passes its clock's
//                                          date); empty means current_date()
//   freshness_warn_after_days              default for every platform (3)
//   freshness_error_after_days             default for every platform (empty: never an error)
//   freshness_{warn,error}_after_days__<platform>   per platform, over the defaults
const vars = () => dataform.projectConfig.vars;

function days(name, fallback) {
  const value = String(vars()[name] === undefined ? fallback : vars()[name]).trim();
  if (value === "") return null;
  if (!/^\d+$/.test(value)) throw new Error(`var ${name} must be a whole number of days, not "${value}"`);
  return Number(value);
}

function asOf() {
  const value = String(vars().as_of || "").trim();
  if (value === "") return "current_date()";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`var as_of must be a date as YYYY-MM-DD, not "${value}"`);
  return `date '${value}'`;
}

const literal = (n) => (n === null ? "cast(null as int64)" : String(n));
const asText = (n) => (n === null ? "" : String(n));

// The thresholds in force for a platform (null: none), as SQL literals; "default" for any other.
function warnAfterDays(platform) {
  const fallback = days("freshness_warn_after_days", "3");
  return literal(platform === "default" ? fallback : days(`freshness_warn_after_days__${platform}`, asText(fallback)));
}

function errorAfterDays(platform) {
  const fallback = days("freshness_error_after_days", "");
  return literal(platform === "default" ? fallback : days(`freshness_error_after_days__${platform}`, asText(fallback)));
}

function thresholds(platformNames) {
  return platformNames
    .map((platform) => `select '${platform}' as platform, ${warnAfterDays(platform)} as warn_after_days, ${errorAfterDays(platform)} as error_after_days`)
    .join("\n  union all\n  ");
}

module.exports = { asOf, thresholds, warnAfterDays, errorAfterDays };
