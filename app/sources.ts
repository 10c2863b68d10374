/**
 * The sources a run ingests from, made from the settings: the sample (the embedded default) and
 * every platform whose section is present and not disabled, each by its folder's
 * `ingestion/sources/<platform>/source.ts`, found through the platform registry.
 */
import path from "node:path"
import { Config, Effect, Option } from "effect"
import { ConfigError } from "../ingestion/core/errors.ts"
import { isEnabledSection } from "../ingestion/core/platform-source.ts"
import { KNOWN_PLATFORMS } from "../ingestion/core/platforms.ts"
import type { AdsSource } from "../ingestion/core/source.ts"
import { SAMPLE_PLATFORMS, makeSampleSources } from "../ingestion/sources/sample/source.ts"
import { platformSection, type Settings } from "./settings.ts"

/** The sources the settings enable. Live sources need their secrets in the environment. */
export const sourcesFrom = Effect.fn("Sources.fromSettings")(function* (settings: Settings, baseDir: string) {
  // Beside the project's other local state rather than in /tmp, which can be memory.
  const context = { baseDir, scratchFolder: path.resolve(baseDir, "data", "tmp") }
  const sections: Readonly<Record<string, unknown>> = settings.sources ?? {}
  const configured = KNOWN_PLATFORMS.filter((platform) => sections[platform] !== undefined && isEnabledSection(sections[platform]))
  const sources: Array<AdsSource> = []
  const sample = settings.sources?.sample
  const sampled = sample?.platforms ?? SAMPLE_PLATFORMS
  if (sample === undefined ? !configured.some((platform) => sampled.includes(platform)) : sample.enabled !== false) {
    const overlap = configured.filter((platform) => sampled.includes(platform))
    if (overlap.length > 0) {
      return yield* new ConfigError({
        key: "sources.sample",
        reason: `the sample produces ${sampled.join(", ")} data; disable it (enabled: false), or leave ${overlap.join(" and ")} out of its platforms, when a live source of ${overlap.join(" or ")} is on`
      })
    }
    sources.push(
      ...makeSampleSources({
        seed: sample?.seed ?? 42,
        platforms: sampled,
        ...(sample?.campaigns_per_account === undefined ? {} : { campaignsPerAccount: sample.campaigns_per_account })
      })
    )
  }
  const made = yield* Effect.forEach(configured, (platform) => platformSection(platform, sections[platform]).pipe(Effect.map((made) => ({ platform, ...made }))))
  // Every live source's missing secrets named at once, not one variable of the first source per try.
  const missing: Array<string> = []
  for (const { platform, platformSource, section } of made) {
    const absent: Array<string> = []
    for (const name of platformSource.environmentFor?.(section) ?? platformSource.environment ?? []) {
      const value = yield* Config.option(Config.String(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      if (Option.isNone(value) || value.value.trim() === "") absent.push(name)
    }
    if (absent.length > 0) missing.push(`${absent.join(", ")} (sources.${platform})`)
  }
  if (missing.length > 0) {
    return yield* new ConfigError({ key: "sources", reason: `credentials missing from the environment: ${missing.join("; ")}; see docs/pipelines.md` })
  }
  for (const { platformSource, section } of made) sources.push(yield* platformSource.make(section, context))
  return sources
})
