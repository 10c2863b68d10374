import type { QueryCase } from "../case.ts"

const DDL = "https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language"
const KEYS = "https://cloud.google.com/bigquery/docs/primary-foreign-keys"
const TABLE_CONSTRAINTS = "https://cloud.google.com/bigquery/docs/information-schema-table-constraints"
const KEY_COLUMN_USAGE = "https://cloud.google.com/bigquery/docs/information-schema-key-column-usage"
const CONSTRAINT_COLUMN_USAGE = "https://cloud.google.com/bigquery/docs/information-schema-constraint-column-usage"

// Each case has tables of its own in a dataset of its own, since the views list a whole dataset.
const orders = (dataset: string): string =>
  `CREATE SCHEMA ${dataset}; CREATE TABLE ${dataset}.customers (id INT64, name STRING); CREATE TABLE ${dataset}.orders (id INT64, customer_id INT64, amount FLOAT64); `

export const cases: ReadonlyArray<QueryCase> = [
  {
    name: "a primary key added by ALTER TABLE is listed, named table.pk$, and not enforced",
    doc: TABLE_CONSTRAINTS,
    sql: `${orders("k1")}ALTER TABLE k1.customers ADD PRIMARY KEY (id) NOT ENFORCED; INSERT INTO k1.customers VALUES (1, 'a'), (1, 'b'); SELECT constraint_schema, constraint_name, table_name, constraint_type, is_deferrable, initially_deferred, enforced, (SELECT COUNT(*) FROM k1.customers) AS customer_rows FROM k1.INFORMATION_SCHEMA.TABLE_CONSTRAINTS`,
    expected: [{ constraint_schema: "k1", constraint_name: "customers.pk$", table_name: "customers", constraint_type: "PRIMARY KEY", is_deferrable: "NO", initially_deferred: "NO", enforced: "NO", customer_rows: 2 }]
  },
  {
    name: "foreign keys: a named one keeps its name, an unnamed one is fk$1",
    doc: `${DDL}#alter_table_add_foreign_key_statement`,
    sql: `${orders("k2")}ALTER TABLE k2.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k2.orders ADD CONSTRAINT customer_relationship FOREIGN KEY (customer_id) REFERENCES k2.customers(id) NOT ENFORCED, ADD FOREIGN KEY (id) REFERENCES k2.customers(id) NOT ENFORCED; SELECT constraint_name, constraint_type FROM k2.INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE table_name = 'orders' ORDER BY constraint_name`,
    expected: [{ constraint_name: "orders.customer_relationship", constraint_type: "FOREIGN KEY" }, { constraint_name: "orders.fk$1", constraint_type: "FOREIGN KEY" }]
  },
  {
    name: "KEY_COLUMN_USAGE: a composite primary key's columns in key order",
    doc: KEY_COLUMN_USAGE,
    sql: "CREATE SCHEMA k3; CREATE TABLE k3.daily (campaign_id STRING, day DATE, clicks INT64); ALTER TABLE k3.daily ADD PRIMARY KEY (day, campaign_id) NOT ENFORCED; SELECT constraint_name, column_name, ordinal_position, position_in_unique_constraint FROM k3.INFORMATION_SCHEMA.KEY_COLUMN_USAGE ORDER BY ordinal_position",
    expected: [
      { constraint_name: "daily.pk$", column_name: "day", ordinal_position: 1, position_in_unique_constraint: null },
      { constraint_name: "daily.pk$", column_name: "campaign_id", ordinal_position: 2, position_in_unique_constraint: null }
    ]
  },
  {
    name: "KEY_COLUMN_USAGE: a foreign key's column and its position in the referenced key",
    doc: KEY_COLUMN_USAGE,
    sql: `${orders("k4")}ALTER TABLE k4.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k4.orders ADD CONSTRAINT c FOREIGN KEY (customer_id) REFERENCES k4.customers(id) NOT ENFORCED; SELECT column_name, ordinal_position, position_in_unique_constraint FROM k4.INFORMATION_SCHEMA.KEY_COLUMN_USAGE WHERE constraint_name = 'orders.c'`,
    expected: [{ column_name: "customer_id", ordinal_position: 1, position_in_unique_constraint: 1 }]
  },
  {
    name: "CONSTRAINT_COLUMN_USAGE: a foreign key uses the referenced table's columns",
    doc: CONSTRAINT_COLUMN_USAGE,
    sql: `${orders("k5")}ALTER TABLE k5.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k5.orders ADD CONSTRAINT c FOREIGN KEY (customer_id) REFERENCES k5.customers(id) NOT ENFORCED; SELECT table_name, column_name, constraint_name FROM k5.INFORMATION_SCHEMA.CONSTRAINT_COLUMN_USAGE ORDER BY constraint_name`,
    expected: [{ table_name: "customers", column_name: "id", constraint_name: "customers.pk$" }, { table_name: "customers", column_name: "id", constraint_name: "orders.c" }]
  },
  {
    name: "keys declared in CREATE TABLE, on a column and as a table element",
    doc: `${DDL}#create_table_statement`,
    sql: "CREATE SCHEMA k6; CREATE TABLE k6.customers (id INT64 PRIMARY KEY NOT ENFORCED, name STRING); CREATE TABLE k6.orders (id INT64, customer_id INT64 REFERENCES k6.customers(id) NOT ENFORCED, tags STRUCT<a INT64, b STRING>, PRIMARY KEY (id) NOT ENFORCED); INSERT INTO k6.orders VALUES (1, 9, NULL), (1, 9, NULL); SELECT STRING_AGG(CONCAT(constraint_name, ':', constraint_type), ',' ORDER BY constraint_name) AS v, (SELECT COUNT(*) FROM k6.orders) AS order_rows FROM k6.INFORMATION_SCHEMA.TABLE_CONSTRAINTS",
    expected: [{ v: "customers.pk$:PRIMARY KEY,orders.fk$1:FOREIGN KEY,orders.pk$:PRIMARY KEY", order_rows: 2 }]
  },
  {
    name: "a second primary key is refused",
    doc: `${DDL}#alter_table_add_primary_key_statement`,
    sql: `${orders("k7")}ALTER TABLE k7.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k7.customers ADD PRIMARY KEY (name) NOT ENFORCED; SELECT 1 AS v`,
    expected: { error: /already has a primary key/ }
  },
  {
    name: "DROP PRIMARY KEY IF EXISTS, then ADD: the script BigQuery users write to change a key",
    doc: `${DDL}#alter_table_drop_primary_key_statement`,
    sql: `${orders("k8")}ALTER TABLE k8.customers DROP PRIMARY KEY IF EXISTS; ALTER TABLE k8.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k8.customers DROP PRIMARY KEY IF EXISTS; ALTER TABLE k8.customers ADD PRIMARY KEY (name) NOT ENFORCED; SELECT column_name FROM k8.INFORMATION_SCHEMA.KEY_COLUMN_USAGE`,
    expected: [{ column_name: "name" }]
  },
  {
    name: "DROP PRIMARY KEY without IF EXISTS on a table that has none fails",
    doc: `${DDL}#alter_table_drop_primary_key_statement`,
    sql: `${orders("k9")}ALTER TABLE k9.customers DROP PRIMARY KEY; SELECT 1 AS v`,
    expected: { error: /has no primary key/ }
  },
  {
    name: "DROP CONSTRAINT by its name, with or without the table's prefix",
    doc: `${DDL}#alter_table_drop_constraint_statement`,
    sql: `${orders("k10")}ALTER TABLE k10.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k10.orders ADD CONSTRAINT a FOREIGN KEY (customer_id) REFERENCES k10.customers(id) NOT ENFORCED, ADD CONSTRAINT b FOREIGN KEY (id) REFERENCES k10.customers(id) NOT ENFORCED; ALTER TABLE k10.orders DROP CONSTRAINT a; ALTER TABLE k10.orders DROP CONSTRAINT \`orders.b\`; ALTER TABLE k10.customers DROP CONSTRAINT \`pk$\`; SELECT COUNT(*) AS v FROM k10.INFORMATION_SCHEMA.TABLE_CONSTRAINTS`,
    expected: [{ v: 0 }]
  },
  {
    name: "DROP CONSTRAINT IF EXISTS of a name that is not there changes nothing; without IF EXISTS it fails",
    doc: `${DDL}#alter_table_drop_constraint_statement`,
    sql: `${orders("k11")}ALTER TABLE k11.customers ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE k11.customers DROP CONSTRAINT IF EXISTS nothing_here; SELECT COUNT(*) AS v FROM k11.INFORMATION_SCHEMA.TABLE_CONSTRAINTS`,
    expected: [{ v: 1 }]
  },
  {
    name: "DROP CONSTRAINT of a name that is not there fails",
    doc: `${DDL}#alter_table_drop_constraint_statement`,
    sql: `${orders("k12")}ALTER TABLE k12.customers DROP CONSTRAINT nothing_here; SELECT 1 AS v`,
    expected: { error: /Constraint nothing_here not found/ }
  },
  {
    name: "a key on a column the table does not have fails",
    doc: `${DDL}#alter_table_add_primary_key_statement`,
    sql: `${orders("k13")}ALTER TABLE k13.customers ADD PRIMARY KEY (email) NOT ENFORCED; SELECT 1 AS v`,
    expected: { error: /Column email not found/ }
  },
  {
    name: "a key on a FLOAT64 column is refused: keys have the listed types only",
    doc: KEYS,
    sql: `${orders("k14")}ALTER TABLE k14.orders ADD PRIMARY KEY (amount) NOT ENFORCED; SELECT 1 AS v`,
    expected: { error: /cannot be part of a key/ }
  },
  {
    name: "a foreign key to a table of another dataset is refused",
    doc: TABLE_CONSTRAINTS,
    sql: `${orders("k15")}CREATE TABLE conformance.people (id INT64); ALTER TABLE k15.orders ADD FOREIGN KEY (customer_id) REFERENCES conformance.people(id) NOT ENFORCED; SELECT 1 AS v`,
    expected: { error: /own dataset/ }
  },
  {
    name: "CREATE OR REPLACE TABLE makes a new table, without the old one's keys",
    doc: `${DDL}#create_table_statement`,
    sql: `${orders("k16")}ALTER TABLE k16.customers ADD PRIMARY KEY (id) NOT ENFORCED; CREATE OR REPLACE TABLE k16.customers AS SELECT 1 AS id; SELECT COUNT(*) AS v FROM k16.INFORMATION_SCHEMA.TABLE_CONSTRAINTS`,
    expected: [{ v: 0 }]
  },
  {
    name: "keys survive inserts and an added column",
    doc: TABLE_CONSTRAINTS,
    sql: `${orders("k17")}ALTER TABLE k17.customers ADD PRIMARY KEY (id) NOT ENFORCED; INSERT INTO k17.customers VALUES (1, 'a'); ALTER TABLE k17.customers ADD COLUMN email STRING; SELECT constraint_name FROM k17.INFORMATION_SCHEMA.TABLE_CONSTRAINTS`,
    expected: [{ constraint_name: "customers.pk$" }]
  },
  {
    name: "ADD CONSTRAINT IF NOT EXISTS of an existing name changes nothing",
    doc: `${DDL}#alter_table_add_foreign_key_statement`,
    sql: `${orders("k18")}ALTER TABLE k18.orders ADD CONSTRAINT c FOREIGN KEY (customer_id) REFERENCES k18.customers(id) NOT ENFORCED; ALTER TABLE k18.orders ADD CONSTRAINT IF NOT EXISTS c FOREIGN KEY (id) REFERENCES k18.customers(id) NOT ENFORCED; SELECT column_name FROM k18.INFORMATION_SCHEMA.KEY_COLUMN_USAGE`,
    expected: [{ column_name: "customer_id" }]
  },
  {
    name: "ALTER TABLE IF EXISTS on a missing table does nothing; without IF EXISTS it fails",
    doc: `${DDL}#alter_table_add_primary_key_statement`,
    sql: "ALTER TABLE IF EXISTS conformance.nowhere ADD PRIMARY KEY (id) NOT ENFORCED; ALTER TABLE conformance.nowhere ADD PRIMARY KEY (id) NOT ENFORCED; SELECT 1 AS v",
    expected: { error: /Not found: Table conformance\.nowhere/ }
  },
  {
    name: "a primary key without NOT ENFORCED is refused",
    doc: `${DDL}#alter_table_add_primary_key_statement`,
    sql: `${orders("k19")}ALTER TABLE k19.customers ADD PRIMARY KEY (id); SELECT 1 AS v`,
    expected: { error: /must be declared NOT ENFORCED/ }
  },
  {
    name: "a column's primary key without NOT ENFORCED is refused in CREATE TABLE too",
    doc: `${DDL}#create_table_statement`,
    sql: "CREATE SCHEMA k20; CREATE TABLE k20.customers (id INT64 PRIMARY KEY, name STRING); SELECT 1 AS v",
    expected: { error: /NOT ENFORCED/ }
  }
]
