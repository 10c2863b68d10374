/**
 * The Google Cloud clients ingestion uses, as services: the composition root (`app/google-cloud.ts`)
 * makes them for the settings' project; tests provide clients pointed at a local endpoint.
 */
import type { BigQuery } from "@google-cloud/bigquery"
import type { Storage } from "@google-cloud/storage"
import { Context } from "effect"

export class BigQueryClient extends Context.Service<BigQueryClient, BigQuery>()("mdp/ingestion/BigQueryClient") {}

export class StorageClient extends Context.Service<StorageClient, Storage>()("mdp/ingestion/StorageClient") {}
