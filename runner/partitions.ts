/**
 * INFORMATION_SCHEMA.PARTITIONS, which BigQuery answers from each table's partitioning: DuckDB has
 * no partitions, so the answer is counted from the tables themselves, by the `partitionBy` of the
 * project's graph. The translation (text only) writes a placeholder that fails by name; planning,
 * which knows the graph and which tables exist when the action runs, puts the counting query in
 * its place (`plan.ts`).
 */
import { quoteIdentifier } from "./target.ts"

/** A table of the graph, with the partitioning its config gives BigQuery (`bigquery.partitionBy`). */
export interface PartitionedTable {
  readonly schema: string
  readonly name: string
  readonly partitionBy: string | undefined
  /** `bigquery.clusterBy`: INFORMATION_SCHEMA.COLUMNS' clustering_ordinal_position. */
  readonly clusterBy?: ReadonlyArray<string>
}

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

// No quote in it: the placeholder holds it as an SQL string, and it is looked for as written.
const UNANSWERED = "INFORMATION_SCHEMA.PARTITIONS is answered in a transform or a dry run, from the partitionBy settings of the project"

/** Text every placeholder holds, for a quick test of a statement. */
export const PARTITIONS_PLACEHOLDER_TEXT = UNANSWERED

const COLUMNS =
  "table_catalog, table_schema, table_name, partition_id, total_rows, total_logical_bytes, total_billable_bytes, last_modified_time, storage_tier"

const emptyRow = (catalog: string, schema: string, table: string, partitionId: string, rows: string, from: string) =>
  `SELECT ${catalog} AS table_catalog, ${schema} AS table_schema, ${table} AS table_name, ${partitionId} AS partition_id, ${rows} AS total_rows, ` +
  `CAST(NULL AS BIGINT) AS total_logical_bytes, CAST(NULL AS BIGINT) AS total_billable_bytes, CAST(NULL AS TIMESTAMPTZ) AS last_modified_time, 'ACTIVE' AS storage_tier${from}`

/**
 * What the translation writes for `dataset.INFORMATION_SCHEMA.PARTITIONS` (dataset "" for every
 * dataset): the view's columns over a filter that fails with the reason, until planning replaces it.
 */
export const partitionsPlaceholder = (dataset: string): string =>
  `(${emptyRow("CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS BIGINT)", ` WHERE error(${sqlString(`${UNANSWERED}: ${dataset}`)}) IS NULL`)})`

/** BigQuery's partition id of a row, from the partitioning expression: `YYYYMMDD`, `YYYYMMDDHH`, `YYYYMM`, `YYYY`, a range's start; undefined for an expression not read. */
export const partitionIdExpression = (partitionBy: string): string | undefined => {
  const text = partitionBy.trim()
  const name = String.raw`(\`[^\`]+\`|[A-Za-z_][A-Za-z0-9_]*)`
  const column = (raw: string) => quoteIdentifier(raw.replace(/^`|`$/g, ""))
  const formatted = (value: string, format: string) => `COALESCE(strftime(${value}, ${sqlString(format)}), '__NULL__')`
  const bare = new RegExp(`^${name}$`).exec(text)
  // A DATE column, or a TIMESTAMP/DATETIME one partitioned by day (times are UTC locally).
  if (bare !== null) return formatted(column(bare[1]!), "%Y%m%d")
  const date = new RegExp(`^DATE\\s*\\(\\s*${name}\\s*\\)$`, "i").exec(text)
  if (date !== null) return formatted(column(date[1]!), "%Y%m%d")
  const truncated = new RegExp(`^(TIMESTAMP|DATETIME|DATE)_TRUNC\\s*\\(\\s*${name}\\s*,\\s*(HOUR|DAY|MONTH|YEAR)\\s*\\)$`, "i").exec(text)
  if (truncated !== null) {
    const format = { HOUR: "%Y%m%d%H", DAY: "%Y%m%d", MONTH: "%Y%m", YEAR: "%Y" }[truncated[3]!.toUpperCase() as "HOUR" | "DAY" | "MONTH" | "YEAR"]
    return formatted(column(truncated[2]!), format)
  }
  const range = new RegExp(`^RANGE_BUCKET\\s*\\(\\s*${name}\\s*,\\s*GENERATE_ARRAY\\s*\\(\\s*(-?\\d+)\\s*,\\s*(-?\\d+)\\s*,\\s*(\\d+)\\s*\\)\\s*\\)$`, "i").exec(text)
  if (range !== null) {
    const [value, start, end, step] = [column(range[1]!), range[2]!, range[3]!, range[4]!]
    // Values outside [start, end) are in no range: BigQuery's __UNPARTITIONED__ partition.
    return `CASE WHEN ${value} IS NULL THEN '__NULL__' WHEN ${value} < ${start} OR ${value} >= ${end} THEN '__UNPARTITIONED__' ELSE CAST(${start} + (${value} - ${start}) // ${step} * ${step} AS VARCHAR) END`
  }
  return undefined
}

/** The rows of `dataset`'s INFORMATION_SCHEMA.PARTITIONS, counted from the given tables (those that exist); an error naming a partitioning not read. */
export const partitionsQuery = (dataset: string, tables: ReadonlyArray<PartitionedTable>): string | Error => {
  const selects: Array<string> = []
  for (const table of tables.filter((candidate) => dataset === "" || candidate.schema === dataset)) {
    const relation = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`
    // A table without partitioning has one partition, whose id is NULL.
    const partitionId = table.partitionBy === undefined ? "CAST(NULL AS VARCHAR)" : partitionIdExpression(table.partitionBy)
    if (partitionId === undefined) return new Error(`INFORMATION_SCHEMA.PARTITIONS cannot read the partitioning of ${table.schema}.${table.name} (${table.partitionBy}); a column, DATE(column), TIMESTAMP_/DATETIME_/DATE_TRUNC(column, HOUR|DAY|MONTH|YEAR) and RANGE_BUCKET(column, GENERATE_ARRAY(start, end, step)) are read`)
    selects.push(`${emptyRow("current_database()", sqlString(table.schema), sqlString(table.name), partitionId, "count(*)", ` FROM ${relation} GROUP BY ALL`)}`)
  }
  if (selects.length === 0) return `(SELECT ${COLUMNS} FROM (${emptyRow("current_database()", "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(0 AS BIGINT)", "")}) WHERE false)`
  return `(${selects.join(" UNION ALL ")})`
}

const UNANSWERED_DATASET = new RegExp(`error\\('${UNANSWERED.replace(/[.()]/g, "\\$&")}: ((?:[^']|'')*)'\\)`, "g")

/** The statement with each placeholder replaced by its dataset's partitions; an error when a partitioning is not read. */
export const withPartitionsAnswered = (statement: string, tables: ReadonlyArray<PartitionedTable>): string | Error => {
  if (!statement.includes(UNANSWERED)) return statement
  let answered = statement
  for (const [, quoted] of statement.matchAll(UNANSWERED_DATASET)) {
    const dataset = quoted!.replaceAll("''", "'")
    const query = partitionsQuery(dataset, tables)
    if (query instanceof Error) return query
    answered = answered.replaceAll(partitionsPlaceholder(dataset), query)
  }
  return answered
}

// INFORMATION_SCHEMA.COLUMNS' is_partitioning_column and clustering_ordinal_position, which the
// translation cannot know either: a placeholder each that fails if read before planning fills it.
const UNANSWERED_ROLES = "INFORMATION_SCHEMA.COLUMNS is_partitioning_column and clustering_ordinal_position are answered in a transform or a dry run, from the partitionBy and clusterBy settings of the project"

/** Text every COLUMNS placeholder holds, for a quick test of a statement. */
export const COLUMN_ROLES_PLACEHOLDER_TEXT = UNANSWERED_ROLES

/** What the translation writes for the two columns (a query that does not read them never fails). */
export const COLUMN_ROLES_PLACEHOLDER =
  `CASE WHEN error(${sqlString(UNANSWERED_ROLES)}) IS NULL THEN 'NO' END AS is_partitioning_column, ` +
  `CASE WHEN error(${sqlString(UNANSWERED_ROLES)}) IS NULL THEN CAST(NULL AS BIGINT) END AS clustering_ordinal_position`

/** The column a partitioning expression partitions by (`day`, `DATE(ts)`, `TIMESTAMP_TRUNC(ts, HOUR)`, `RANGE_BUCKET(n, …)`). */
const partitioningColumn = (partitionBy: string | undefined): string | undefined => {
  const match = /^\s*(?:(?:DATE|(?:TIMESTAMP|DATETIME|DATE)_TRUNC|RANGE_BUCKET)\s*\(\s*)?(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)/i.exec(partitionBy ?? "")
  return match === null ? undefined : match[1]!.replace(/^`|`$/g, "")
}

const columnOf = (table: PartitionedTable, column: string) =>
  `table_schema = ${sqlString(table.schema)} AND table_name = ${sqlString(table.name)} AND lower(column_name) = ${sqlString(column.toLowerCase())}`

/** The statement with the COLUMNS placeholders answered from the graph's tables. */
export const withColumnRolesAnswered = (statement: string, tables: ReadonlyArray<PartitionedTable>): string => {
  if (!statement.includes(UNANSWERED_ROLES)) return statement
  const partitioning = tables.flatMap((table) => {
    const column = partitioningColumn(table.partitionBy)
    return column === undefined ? [] : [`WHEN ${columnOf(table, column)} THEN 'YES'`]
  })
  const clustering = tables.flatMap((table) => (table.clusterBy ?? []).map((column, index) => `WHEN ${columnOf(table, column)} THEN ${index + 1}`))
  const answered =
    `${partitioning.length === 0 ? "'NO'" : `CASE ${partitioning.join(" ")} ELSE 'NO' END`} AS is_partitioning_column, ` +
    `${clustering.length === 0 ? "CAST(NULL AS BIGINT)" : `CAST(CASE ${clustering.join(" ")} END AS BIGINT)`} AS clustering_ordinal_position`
  return statement.replaceAll(COLUMN_ROLES_PLACEHOLDER, answered)
}
