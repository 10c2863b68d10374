import { Effect, Stream } from "effect"
import { makeLocalRawZone } from "./ingestion/raw-zone.ts"
const mode = process.argv[2]
const lines = Stream.range(1, 400_000).pipe(Stream.map((i) => JSON.stringify({ i, payload: { a: "x".repeat(300), i } })))
const zone = makeLocalRawZone("/tmp/probe-raw3")
const run = mode === "drain" ? Stream.runDrain(lines) : mode === "grouped" ? Stream.runDrain(Stream.grouped(lines, 2000)) : zone.writeLines("a/b.ndjson", lines)
await Effect.runPromise(run)
console.log(mode, "maxRSS", Math.round(process.resourceUsage().maxRSS / 1024))
