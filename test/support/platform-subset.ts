/**
 * Tests whose subject is not the platforms themselves (dates, freshness, safety, the models'
 * arithmetic) run with a few of them: every platform more is a tenth more of every transform.
 */
import { KNOWN_PLATFORMS } from "../../ingestion/core/platforms.ts"

/** The vars that turn every other platform's models off. */
export const onlyPlatformsVars = (platforms: ReadonlyArray<string>): Readonly<Record<string, string>> =>
  Object.fromEntries(KNOWN_PLATFORMS.filter((platform) => !platforms.includes(platform)).map((platform) => [`ad_reporting__${platform}_enabled`, "false"]))

/** Settings lines (YAML) for a run of only these platforms: their sample accounts and their models. */
export const onlyPlatformsSettings = (platforms: ReadonlyArray<string>): string =>
  [
    "sources:",
    `  sample: { platforms: [${platforms.join(", ")}] }`,
    "models:",
    "  platforms:",
    ...KNOWN_PLATFORMS.filter((platform) => !platforms.includes(platform)).map((platform) => `    ${platform}: { enabled: false }`),
    ""
  ].join("\n")
