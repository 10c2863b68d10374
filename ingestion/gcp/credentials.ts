/**
 * Whether Google Cloud credentials are available, decided from local evidence only (no call to
 * the metadata server): a credentials file named by GOOGLE_APPLICATION_CREDENTIALS (workload
 * identity federation in CI writes one), gcloud's application-default file, or a Cloud Run
 * environment, where the attached service account answers.
 */
import { existsSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import { ConfigError } from "../core/errors.ts"

export const googleCredentialsAvailable = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const file = env["GOOGLE_APPLICATION_CREDENTIALS"]
  if (file !== undefined && file !== "") return existsSync(file)
  const configDir = env["CLOUDSDK_CONFIG"] ?? path.join(env["HOME"] ?? os.homedir(), ".config", "gcloud")
  if (existsSync(path.join(configDir, "application_default_credentials.json"))) return true
  return env["K_SERVICE"] !== undefined || env["CLOUD_RUN_JOB"] !== undefined
}

export const requireGoogleCredentials = (env: NodeJS.ProcessEnv = process.env) =>
  (googleCredentialsAvailable(env)
    ? Effect.void
    : Effect.fail(
        new ConfigError({
          key: "target gcp",
          reason:
            env["GOOGLE_APPLICATION_CREDENTIALS"] !== undefined && env["GOOGLE_APPLICATION_CREDENTIALS"] !== ""
              ? `GOOGLE_APPLICATION_CREDENTIALS names ${env["GOOGLE_APPLICATION_CREDENTIALS"]}, which does not exist`
              : "no Google Cloud credentials found: run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or run with workload identity (docs/deployment.md)"
        })
      )).pipe(Effect.withSpan("GoogleCloud.requireCredentials"))
