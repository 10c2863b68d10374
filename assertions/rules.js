// Reusable data-quality rules. Each returns a BigQuery SELECT of the rows that break the rule;
// wire them into the graph from definitions/ with assert(name).query(ctx => rules.x(ctx.ref(...))).

function acceptedValues(relation, column, values) {
  const list = values.map((value) => `'${value}'`).join(", ");
  return `select ${column}, count(*) as rows_with_value
from ${relation}
where ${column} is null or ${column} not in (${list})
group by ${column}`;
}

function currencyCodes(relation, columns) {
  return `select *
from ${relation}
where ${columns.map((column) => `not regexp_contains(coalesce(${column}, ''), r'^[A-Z]{3}$')`).join(" or ")}`;
}

// Keys held by more than one row of `relation`, among the keys of `changedRows` (its rows written
// since the last check, includes/changes.js uncheckedRows): a duplicate written since has a row
// there. NULL keys join nothing; assert them non-NULL beside this.
function uniqueKeyOfChangedRows(relation, changedRows, keys) {
  const list = keys.join(", ");
  return `with changed_keys as (
  select distinct ${list} from ${changedRows}
)
select ${list}, count(*) as index_row_count
from ${relation}
join changed_keys using (${list})
group by ${list}
having count(*) > 1`;
}

// Totals of the mart equal those of its source for every key and every measure (full outer
// join: a key missing on either side is a difference too). A measure's tolerance is absolute.
// With `changedSince` (a stamp), only the keys where either side has a row with a newer changed_at
// are compared: the others agreed when last checked and have not changed since.
function reconciliation({ mart, source, keys, measures, tolerance, changedSince }) {
  const on = keys.map((key) => `m.${key} = s.${key}`).join(" and ");
  const scope =
    changedSince === undefined
      ? ""
      : `join (
    select distinct ${keys.join(", ")} from ${mart} where changed_at > ${changedSince}
    union distinct
    select distinct ${keys.join(", ")} from ${source} where changed_at > ${changedSince}
  ) as changed_keys using (${keys.join(", ")})`;
  const selectKeys = keys.map((key) => `coalesce(m.${key}, s.${key}) as ${key}`).join(", ");
  const sums = measures.map((measure) => `sum(${measure}) as ${measure}`).join(", ");
  const sides = measures.map((measure) => `m.${measure} as mart_${measure}, s.${measure} as source_${measure}`).join(",\n  ");
  const differs = measures.map((measure) => `abs(m.${measure} - s.${measure}) > ${tolerance}`).join(" or ");
  return `with m as (
  select ${keys.join(", ")}, ${sums} from ${mart} ${scope} group by ${keys.join(", ")}
),
s as (
  select ${keys.join(", ")}, ${sums} from ${source} ${scope} group by ${keys.join(", ")}
)
select ${selectKeys},
  ${sides}
from m full outer join s on ${on}
where m.${keys[0]} is null or s.${keys[0]} is null or ${differs}`;
}

module.exports = { acceptedValues, currencyCodes, uniqueKeyOfChangedRows, reconciliation };
