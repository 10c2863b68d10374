/**
 * Every command's --help text. Kept apart from the commands so that `mdp <command> --help` prints
 * without loading a command, its SDKs or Effect.
 */
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"

export const ingestHelp = `Usage: mdp ingest [options]

Fetches campaign daily statistics into the raw zone (each account from its last complete day,
re-fetching the source's look-back), then loads new raw files into the warehouse.
With no config/settings.yaml the sample sources are used: no credentials, no network.

Options:
  --from YYYY-MM-DD --to YYYY-MM-DD   backfill this window instead (days up to yesterday)
  --source NAME                        only this source (repeat or comma-separate): ${KNOWN_PLATFORMS.join(", ")}
  --account ID                         only this account of those sources (repeatable): to fetch again
                                       the window of a raw file that was set aside
  --config FILE                        settings file (default: config/settings.yaml)
  --warehouse FILE                     DuckDB file (default: from settings, else data/warehouse.duckdb)
  --target local|gcp                   local (DuckDB, data/raw) or gcp (Cloud Storage + BigQuery; default: settings)
  --no-load                            write the raw zone only
  --concurrency N                      accounts fetched at once (default 4)
  --no-wait                            fail at once when another run is writing the raw zone or warehouse
                                       (by default this run waits for it, and says for whom)

Exit code 1 when any account failed; the others' data is kept.`

export const pipelineHelp = `Usage: mdp pipeline [options]

The whole job: ingest (the sample sources unless config/settings.yaml says otherwise) → load the
raw zone into the warehouse → run the Dataform models and their assertions → write the HTML report.
Running it again on the same or an overlapping window leaves the marts identical where the data
did not change.

Options:
  --from YYYY-MM-DD --to YYYY-MM-DD   backfill this window (default: each account from its last
                                       complete day with its look-back; 90 days the first time)
  --source NAME                        only this source (repeatable): ${KNOWN_PLATFORMS.join(", ")}
  --full-refresh                       rebuild incremental marts from scratch
  --no-wait                            fail at once when another run is writing the raw zone or warehouse
                                       (by default this run waits for it, and says for whom)
  --warehouse FILE                     DuckDB file (default: data/warehouse.duckdb)
  --config FILE                        settings file (default: config/settings.yaml)

Prints where the warehouse and the report are. Exit code 1 when a step failed.
Runs locally whatever the settings' target; on Google Cloud the steps are
"mdp ingest --target gcp" then "mdp transform --target gcp" (docs/deployment.md).`

export const reportHelp = `Usage: mdp report [--warehouse FILE]

Writes data/report/index.html from the marts in the warehouse and the latest transform run.`

export const statusHelp = `Usage: mdp status [--config FILE]

Shows each source and account's last complete day, last run and failure, the latest ingestion
runs, each platform's freshness (fresh, a warning past warn_after_days, an error past
error_after_days: settings' models.freshness) and the latest transform's assertion results, for
the local raw zone and warehouse. Exit code 1 when a source failed, the latest transform failed
or a platform is past its freshness error threshold.`

export const queryHelp = `Usage: mdp query [options] "<BigQuery SQL>"

Runs BigQuery SQL against the local warehouse through the same translation as the runner.
Tables are named as in BigQuery: marts.campaign_performance_daily.
  --format table|json       table (default) for people; json prints one JSON array of row
                            objects on stdout and nothing else (DATE as YYYY-MM-DD, NULL as null)
  --write                   allow statements that change the warehouse (read-only without it);
                            waits for a run that is writing it, or fails at once with --no-wait
  --warehouse FILE          DuckDB file (default: data/warehouse.duckdb)

Example: npm run --silent query -- --format json "select * from marts.campaign_performance_daily limit 5"`

const projectHelp = `
Project options:
  --project-dir DIR         the Dataform project (default: this repository)
  --config FILE             settings file whose models section sets vars (default: config/settings.yaml)
  --vars k=v,k2=v2          override workflow_settings.yaml vars (and the settings' ones)
  --schema-suffix SUFFIX    append _SUFFIX to every dataset, as dataform run does
  --table-prefix PREFIX     prefix every table name
  --default-database NAME   override defaultProject`

export const compileHelp = `Usage: mdp compile [options]

Compiles the Dataform project with the pinned @dataform/core and lists its actions and problems.
  --json                    print the compiled graph as JSON
${projectHelp}`

export const transformHelp = `Usage: mdp transform [options]

Runs the Dataform project on the local DuckDB warehouse: every BigQuery statement is translated
to DuckDB and the graph runs in dependency order, assertions included.

Options:
  --warehouse FILE          DuckDB file (default: data/warehouse.duckdb)
  --actions a,b             run only these actions (name or schema.name)
  --tags t1,t2              run only actions with these tags
  --include-deps            also run the dependencies of the selected actions
  --include-dependents      also run everything downstream of them
  --full-refresh            rebuild incremental tables from scratch (protected ones excepted)
  --no-wait                 fail at once when another run is writing the warehouse (default: wait for it)
  --dry-run                 print the translated SQL, run nothing
  --concurrency N           actions run at once (default: half the cores, as many as the cores when
                            every table exists and the run is incremental, or when no table has a
                            DuckDB row group (122,880 rows) per core; DuckDB parallelises each query)
  --json                    print the run summary as JSON instead of a table
  --sources DIR             data for the tables the project reads but does not build (declared or read by name),
                            loaded before the run: DIR/<schema>/<table>.csv, .jsonl or .sql (default: the
                            project's test/sources, when it has one; see mdp sources);
                            DIR/udf_libraries/<file> is the local copy of a JavaScript UDF's OPTIONS(library=…) file;
                            DIR/gs/<bucket>/<path> the local copy of a file LOAD DATA reads from gs://bucket/path
  --exports DIR             where EXPORT DATA writes its files, gs://bucket/path as DIR/bucket/path
                            (default: exports/ beside the warehouse file, data/exports); LOAD DATA
                            reads there what the sources folder's gs/ lacks
  --target local|gcp        local runs on DuckDB (default, unless the settings say gcp); gcp runs on BigQuery: a Dataform workflow
                            invocation that mdp waits for, or the stock \`dataform run\` when the
                            settings say gcp.run_with: cli;
                            with --dry-run, BigQuery dry runs report the bytes each action would process
${projectHelp}

A summary is written to data/runs/. The exit code is 1 when any action failed.`

export const sourcesHelp = `Usage: mdp sources init [options]

Writes a stub for each table the project declares but does not build, for each external table an
operation creates (CREATE EXTERNAL TABLE), and for each table its SQL reads by name in backticks
(\`project.dataset.table\`) that no action builds or declares, for local runs: a CSV with a header
row of the columns its config documents (the external table's column list) or, where it documents
none, of the columns the project's SQL reads of it (alias.column, USING (…), bare names where it
is a SELECT's only table, and what is read of a model passing its rows on with SELECT *; check
them), at <sources>/<schema>/<table>.csv. A header cell name:TYPE gives the column a BigQuery type
(created_at:TIMESTAMP; "tags:ARRAY<STRING>" holds JSON): the stub types the columns whose type the
SQL shows (a date function's argument, a comparison with a literal or with a typed column of the
same table, SUM(x), COALESCE(x, 0); a STRUCT of the fields read, column.field; what a model's
readers show of a column it passes on as it is) or the column list gives; untyped columns are
sniffed from the rows (STRING in a header-only file). Existing files are kept. Fill them with
rows; a .jsonl file (one JSON object per line) or a .sql file (one BigQuery SELECT) may take a
.csv's place. mdp transform creates each declared or external table from its file before every
run, and any other file of the folder as the table it names (for tables the project reads by name
without declaring them), unless the project builds that table. For each LOAD DATA of a literal
gs://bucket/path CSV or JSON file it writes an empty <sources>/gs/bucket/path (a CSV's header row
from the statement's column list), which mdp transform's LOAD DATA reads.
  --sources DIR             the folder (default: the project's test/sources)
${projectHelp}`

export const testHelp = `Usage: mdp test [options]

Runs the model unit tests on scratch in-memory warehouses: Dataform's own type: "test" actions,
and incremental-table tests (YAML specs in test/models/, which Dataform cannot run).
  --specs DIR               folder of incremental test specs (default: test/models)
${projectHelp}`

export const verifyHelp = `Usage: mdp verify [--config FILE] [--target local|gcp]

Checks every complete run's raw files against its manifest, in the raw zone of the target (the
local folder, or the Cloud Storage bucket): each must be present with the CRC32 its run recorded.
A missing or changed file is listed with the command that fetches its account's window again.
Exit code 1 when one is.`
