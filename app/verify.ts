/**
 * `mdp verify`: every complete run's files checked against its manifest, in the raw zone where
 * they are (a folder, or a bucket): present, and with the CRC32 the run recorded. What a load
 * would set aside, and what changed after it was loaded.
 */
import { Effect } from "effect"
import { RawZone } from "../ingestion/raw-zone.ts"

export interface FileProblem {
  readonly file: string
  readonly runId: string
  readonly source: string
  readonly account: string
  readonly windowStart?: string
  readonly windowEnd?: string
  readonly problem: string
}

export const verifyRawZone = Effect.fn("App.verifyRawZone")(function* () {
  const rawZone = yield* RawZone
  const problems: Array<FileProblem> = []
  let checked = 0
  for (const manifest of yield* rawZone.manifests()) {
    for (const outcome of manifest.accounts) {
      const about = {
        runId: manifest.runId,
        source: outcome.source,
        account: outcome.account,
        ...(outcome.windowStart === undefined ? {} : { windowStart: outcome.windowStart }),
        ...(outcome.windowEnd === undefined ? {} : { windowEnd: outcome.windowEnd })
      }
      for (const [key, expected] of [
        [outcome.file, outcome.crc32],
        [outcome.quarantineFile, undefined]
      ] as const) {
        if (key === undefined) continue
        checked++
        const actual = yield* rawZone.checksum(key)
        if (actual === undefined) problems.push({ file: rawZone.locate(key), ...about, problem: "missing" })
        else if (expected !== undefined && actual !== expected) problems.push({ file: rawZone.locate(key), ...about, problem: `CRC32 ${actual}, recorded ${expected}` })
      }
    }
  }
  return { checked, problems }
})
