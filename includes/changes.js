// Change-driven processing: the models re-process what arrived, not a window of dates.
//
// Every input is stamped with `changed_at`, the start of the transform that first saw it: each
// platform's loads (stg_<platform>__loads: one row per ingestion run and account found in the raw
// table, in whatever order runs were ingested or loaded) and each FX rate that is new or changed
// (stg_reference__fx_rates). A staging model re-derives the keys that the runs of its loads newer
// than its checkpoint report, a newer version replacing the staged one; the marts
// re-process the (platform, account, day) slices whose staging rows or FX rates carry a stamp newer
// than their own. A transform that fails part-way leaves the stamps where they were, so the next
// one picks the work up again. Stamps come from one writer's transforms, one after another, so
// they only grow; ingestion and load times play no part.

const epoch = `timestamp '1970-01-01 00:00:00+00'`;

// The newest stamp in a ledger (stg_<platform>__loads, stg_reference__fx_rates: small tables).
function newestStamp(ledger) {
  return `(select coalesce(max(changed_at), ${epoch}) from ${ledger})`;
}

// This transform's stamp for a ledger's new rows: its start, or just past the ledger's newest.
function stamp(self) {
  return self === undefined
    ? "current_timestamp()"
    : `greatest(current_timestamp(), timestamp_add(${newestStamp(self)}, interval 1 microsecond))`;
}

// The newest stamp a model has processed, from its checkpoint (none before its first record).
function checkpoint(checkpoints, model) {
  return `(select coalesce(max(processed_stamp), ${epoch}) from ${checkpoints} where model = '${model}')`;
}

// A post_operation: records how far the model's run processed (nothing when it processed nothing).
function recordCheckpoint(checkpoints, model, processedUntil) {
  return `insert into ${checkpoints} (model, processed_stamp, recorded_at)
select '${model}', run.newest_processed, current_timestamp()
from (select ${processedUntil} as newest_processed) as run
where run.newest_processed is not null`;
}

// Each (run, account) in a raw table not seen before, stamped with this transform's start.
function newLoads(raw, self) {
  return `select
    raw._run_id as run_id,
    raw._account_id as account_id,
    min(raw._ingested_at) as ingested_at,
    min(raw.date) as first_date,
    max(raw.date) as last_date,
    count(*) as raw_rows,
    ${stamp(self)} as changed_at
  from ${raw} as raw
  ${self === undefined ? "" : `where not exists (
    select 1 from ${self} as seen
    where seen.run_id = raw._run_id and seen.account_id = raw._account_id
  )`}
  group by raw._run_id, raw._account_id`;
}

// A staging model's pre_operations on an incremental run: its checkpoint, and the days its
// pending loads cover, as script variables. BigQuery prunes the raw table's date partitions on a
// variable (not on a subquery), so a daily run reads the look-back's days, not the history.
function declarePending(loads, checkpoints, model) {
  return `declare processed_until timestamp default ${checkpoint(checkpoints, model)};
declare pending_from date default (select min(first_date) from ${loads} where changed_at > processed_until);
declare pending_to date default (select max(last_date) from ${loads} where changed_at > processed_until)`;
}

// The raw rows a staging model derives from: for each natural key, every row of the newest
// ingestion run that reported it (rows of one key within a run are segments, summed later), with
// the stamp of the work. Incremental (after declarePending): only the rows of the runs with loads
// newer than the checkpoint, ranked among themselves; comparedWithStaged then keeps a key's
// version only where it is at least as new as the staged one. The staged row already holds the
// newest version among the loads processed before, so older raw versions need not be read again
// (a daily look-back re-fetch leaves one more version of each day in the raw table every day),
// and a late load of an old run can neither be missed nor overwrite a newer run's numbers. All of
// a pending run's rows are read, not only its pending loads', so that a run whose rows of one key
// arrived in two loads is summed whole again.
// The newest run of each key is found on the narrow columns and its rows are then read whole:
// ranking the rows themselves made the window carry every payload (at 10M rows, a sixth of Meta's
// staging time). Keys are matched NULL to NULL, as the window's partitions group them. Each row
// carries _segment_rows, how many rows its run has for its key, so that platforms.summedSegments
// sums only the keys reported in several segments.
function newestVersions(raw, loads, incremental) {
  const where = incremental
    ? `raw.date between pending_from and pending_to
      and raw._run_id in (select run_id from ${loads} where changed_at > processed_until)`
    : "true";
  const stamp = incremental
    ? `(select max(changed_at) from ${loads} where changed_at > processed_until)`
    : `(select max(changed_at) from ${loads})`;
  return `select raw.*, newest._segment_rows, ${stamp} as changed_at
    from ${raw} as raw
    join (
      select raw.account_id, raw.campaign_id, raw.date, raw._ingested_at, raw._run_id, count(*) as _segment_rows
      from ${raw} as raw
      where ${where}
      group by raw.account_id, raw.campaign_id, raw.date, raw._ingested_at, raw._run_id
      qualify dense_rank() over (
        partition by raw.account_id, raw.campaign_id, raw.date
        order by raw._ingested_at desc, raw._run_id desc
      ) = 1
    ) as newest
      on raw._run_id = newest._run_id
      and raw._ingested_at = newest._ingested_at
      and raw.date is not distinct from newest.date
      and raw.account_id is not distinct from newest.account_id
      and raw.campaign_id is not distinct from newest.campaign_id
    where ${where}`;
}

// A staging model's derived rows (after declarePending and newestVersions) against the rows the
// table holds. A derived row older than the staged one of its key (a late load of an old run) is
// dropped. A derived row that holds the values the table already has keeps its stamp: a look-back
// re-fetch (Meta's 28 days) returns most days as they were, and the marts then re-process only the
// rows whose values changed. The row itself is still replaced, so ingested_at and run_id name the
// newest run. `values`: every column but the key, that lineage and changed_at.
function comparedWithStaged(rows, self, key, values, incremental) {
  if (!incremental) return `select * from ${rows}`;
  return `select derived.* replace (
    if(staged.changed_at is not null
      and ${values.map((column) => `derived.${column} is not distinct from staged.${column}`).join("\n      and ")},
      staged.changed_at, derived.changed_at) as changed_at
  )
  from ${rows} as derived
  left join ${self} as staged
    on ${key.map((column) => `staged.${column} = derived.${column}`).join(" and ")}
    and staged.date between pending_from and pending_to
  where staged.changed_at is null
    or derived.ingested_at > staged.ingested_at
    or (derived.ingested_at = staged.ingested_at and derived.run_id >= staged.run_id)`;
}

// The raw rows of the loads a model has not processed yet (all of them on a first run), with
// their loads' stamps: for models that keep one row per run, such as the observations.
function pendingLoadRows(raw, loads, incremental) {
  return `select raw.*, loads.changed_at
  from ${raw} as raw
  join ${loads} as loads on loads.run_id = raw._run_id and loads.account_id = raw._account_id
  ${incremental ? "where loads.changed_at > processed_until and raw.date between pending_from and pending_to" : ""}`;
}

// A mart's pre_operations over int_campaign_daily_converted: its checkpoint, the days whose FX
// rates changed since (open-ended when a currency's newest rate changed: later months take it),
// and the earliest changed day, for the MERGE's updatePartitionFilter.
function declareChangedRows(converted, rates, checkpoints, model) {
  return `declare processed_until timestamp default ${checkpoint(checkpoints, model)};
declare rates_from date default (select min(month) from ${rates} where changed_at > processed_until);
declare rates_to date default (
  select if(logical_or(is_newest), date '9999-12-31', date_sub(date_add(max(month), interval 1 month), interval 1 day))
  from (
    select month, changed_at, month = max(month) over (partition by currency) as is_newest
    from ${rates}
  ) as ranked
  where changed_at > processed_until
);
declare changed_from date default (
  select min(date) from ${converted} where ${changedRows()}
)`;
}

// The rows of int_campaign_daily_converted changed since the checkpoint. The first condition is on
// staging's own columns, so BigQuery prunes staging's blocks (clustered by changed_at) and date
// partitions with it; the second keeps it exact.
function changedRows() {
  return `(statistics_changed_at > processed_until or date between rates_from and rates_to)
    and changed_at > processed_until`;
}

// Assertions over a change-driven table check the rows changed since they last all passed, not
// its whole history every run: `<model>:assertions` in mdp_checkpoints holds the newest stamp they
// have seen pass. An operation that depends on them records it, and so runs only when every one
// of them passed (campaign_performance_daily_assertions_passed, stg_campaign_daily_assertions_passed):
// a violation stays in scope until a run passes, whatever later runs touch. A rebuild forgets it
// (the model's post_operations), so a rebuilt table is checked whole. Rows written outside the
// transforms with an older stamp are not seen until the table is rebuilt.
function checksOf(model) {
  return `${model}:assertions`;
}

// The newest stamp the model's assertions have passed on. Assertions read mdp_checkpoints through
// resolve(), not ref(): an assertion that refs a table becomes one of its "dependency assertions",
// which every model reading that table waits for (dependOnDependencyAssertions); each model reads
// mdp_checkpoints, so a ref would make the model wait for its own check, a cycle.
function checkedUntil(checkpoints, model) {
  return checkpoint(checkpoints, checksOf(model));
}

// The model's rows its assertions have not yet passed on, as a relation to check.
function uncheckedRows(relation, checkpoints, model) {
  return `(select * from ${relation} where changed_at > ${checkedUntil(checkpoints, model)})`;
}

// A post_operation on a rebuild: the table's assertions check it whole once more.
function forgetChecks(checkpoints, model) {
  return `delete from ${checkpoints} where model = '${checksOf(model)}'`;
}

// The recording operation's query: every row of the table has passed its assertions.
function recordChecks(checkpoints, model, relation) {
  return recordCheckpoint(checkpoints, checksOf(model), `(select max(changed_at) from ${relation})`);
}

module.exports = {
  epoch, newestStamp, stamp, checkpoint, recordCheckpoint, newLoads, declarePending, newestVersions, comparedWithStaged, pendingLoadRows, declareChangedRows, changedRows,
  checkedUntil, uncheckedRows, forgetChecks, recordChecks
};
