// The window an incremental mart re-processes: reprocess_days before its newest day (platforms
// revise recent conversions), or from reprocess_from when a backfill asks for more.
//
// The first day is a script variable declared in the model's pre_operations (Dataform's documented
// incremental checkpoint) rather than a scalar subquery in the WHERE clause: BigQuery prunes
// partitions on a variable, and DuckDB folds it into the scan filter, whereas a subquery leaves
// the whole history to be read, converted and joined before it is filtered.
const startVariable = "reprocess_start";

function declareReprocessStart(self) {
  const days = Number(dataform.projectConfig.vars.reprocess_days || 28);
  const from = dataform.projectConfig.vars.reprocess_from || "";
  const usual = `(select date_sub(max(date), interval ${days} day) from ${self})`;
  return `declare ${startVariable} date default ${from === "" ? usual : `least(${usual}, date '${from}')`}`;
}

module.exports = { startVariable, declareReprocessStart };
