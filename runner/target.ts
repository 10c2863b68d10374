/**
 * Targets as Dataform addresses them (`{ database, schema, name }`), and how one maps onto the
 * local warehouse: the BigQuery project is dropped and each dataset becomes a DuckDB schema.
 * Two projects holding the same dataset name therefore share a schema locally; the local
 * warehouse is one project's sandbox, so that is accepted.
 */
import { Schema } from "effect"

export const Target = Schema.Struct({
  database: Schema.optionalKey(Schema.String),
  schema: Schema.optionalKey(Schema.String),
  name: Schema.String
})
export type Target = typeof Target.Type

/** The one key a target is known by in maps and selections: `database.schema.name`. */
export const targetKey = (target: Target): string =>
  [target.database ?? "", target.schema ?? "", target.name].join(".")

/** `schema.name`, the way people and `--actions` name an action. */
export const targetLabel = (target: Target): string =>
  target.schema === undefined ? target.name : `${target.schema}.${target.name}`

export const quoteIdentifier = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`

/** The DuckDB relation for a target: `"schema"."name"` (or `"main"."name"` without a schema). */
export const duckdbRelation = (target: Target): string =>
  `${quoteIdentifier(target.schema ?? "main")}.${quoteIdentifier(target.name)}`

/** Every way the compiled SQL can spell a target in BigQuery, longest first. */
export const bigQuerySpellings = (target: Target): ReadonlyArray<string> => {
  const spellings: Array<string> = []
  if (target.database !== undefined && target.schema !== undefined) {
    spellings.push(`\`${target.database}.${target.schema}.${target.name}\``)
    spellings.push(`\`${target.database}\`.\`${target.schema}\`.\`${target.name}\``)
  }
  if (target.schema !== undefined) {
    spellings.push(`\`${target.schema}.${target.name}\``)
    spellings.push(`\`${target.schema}\`.\`${target.name}\``)
  }
  return spellings
}
