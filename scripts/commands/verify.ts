/** `mdp verify`: check every run's raw files against its manifest. */
import { Effect } from "effect"
import { rawZoneFor, resolveSettings } from "../../app/ingestion.ts"
import { verifyRawZone } from "../../app/verify.ts"
import { parse, table } from "../cli-support.ts"
import { verifyHelp } from "../help.ts"
import { targetFlag } from "./ingest.ts"

export const verifyCommand = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { values } = yield* parse(args, { config: { type: "string" }, target: { type: "string" } })
    if (values.help === true) return yield* Effect.sync(() => (console.log(verifyHelp), 0))
    const resolved = yield* resolveSettings(values.config, undefined, yield* targetFlag(values.target))
    const { checked, problems } = yield* verifyRawZone().pipe(Effect.provide(yield* rawZoneFor(resolved)))
    if (problems.length === 0) {
      console.log(`${checked} raw file(s) in ${resolved.rawZoneRoot}: all present, each with the CRC32 its run recorded.`)
      return 0
    }
    console.log(table(["problem", "file", "run", "source", "account", "window"], problems.map((p) => [p.problem, p.file, p.runId, p.source, p.account, p.windowStart === undefined ? "" : `${p.windowStart} → ${p.windowEnd}`])))
    console.log(`\n${problems.length} of ${checked} raw file(s) are missing or changed. Fetch each account's window again, e.g.:`)
    for (const p of problems) {
      console.log(`  npm run ingest -- --source ${p.source} --account ${p.account}${p.windowStart === undefined ? "" : ` --from ${p.windowStart} --to ${p.windowEnd}`}`)
    }
    console.log(`(docs/pipelines.md, "When a raw file is set aside")`)
    return 1
  })
