import type { Row } from "../../runner/warehouse.ts"

/**
 * One documented BigQuery behaviour: the SQL (BigQuery's dialect; several statements run as one
 * script, the last one's rows compared), the rows BigQuery returns, and the page that says so.
 * A case whose `expected` is `{ error }` must fail with a message matching it, as BigQuery does.
 */
export interface QueryCase {
  readonly name: string
  readonly doc: string
  readonly sql: string
  readonly expected: ReadonlyArray<Row> | { readonly error: RegExp }
}
