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

// Totals of the mart equal those of its source for every key (full outer join: a key missing
// on either side is a difference too).
function reconciliation({ mart, source, keys, measure, tolerance }) {
  const on = keys.map((key) => `m.${key} = s.${key}`).join(" and ");
  const selectKeys = keys.map((key) => `coalesce(m.${key}, s.${key}) as ${key}`).join(", ");
  return `with m as (
  select ${keys.join(", ")}, sum(${measure}) as total from ${mart} group by ${keys.join(", ")}
),
s as (
  select ${keys.join(", ")}, sum(${measure}) as total from ${source} group by ${keys.join(", ")}
)
select ${selectKeys}, m.total as mart_total, s.total as source_total
from m full outer join s on ${on}
where m.total is null or s.total is null or abs(m.total - s.total) > ${tolerance}`;
}

module.exports = { acceptedValues, currencyCodes, reconciliation };
