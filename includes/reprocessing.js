// The window an incremental mart re-processes: reprocess_days before its newest day (platforms
// revise recent conversions), or from reprocess_from when a backfill asks for more.
function reprocessStart(self) {
  const days = Number(dataform.projectConfig.vars.reprocess_days || 28);
  const from = dataform.projectConfig.vars.reprocess_from || "";
  const usual = `date_sub((select max(date) from ${self}), interval ${days} day)`;
  return from === "" ? usual : `least(${usual}, date '${from}')`;
}

module.exports = { reprocessStart };
