import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import { makeSampleSources } from "./ingestion/sources/sample/source.ts"
import { makeLocalRawZone } from "./ingestion/raw-zone.ts"
const mode = process.argv[2]
const [g] = makeSampleSources({ seed: 1, campaignsPerAccount: 300 })
const zone = makeLocalRawZone("/tmp/probe-raw4")
const base = g!.fetch({ id: "1234567890", name: "", currency: "EUR", timeZone: "Europe/Paris" }, { start: "2025-11-23", end: "2026-11-22" })
const mapped = base.pipe(Stream.map((r) => (r._tag === "SourceRecord" ? JSON.stringify(r.payload) : undefined)), Stream.filter((x): x is string => x !== undefined))
const withEffect = mapped.pipe(Stream.mapEffect((l) => Effect.succeed(l)))
const program = mode === "mapped" ? Stream.runDrain(mapped) : mode === "mapEffect" ? Stream.runDrain(withEffect) : zone.writeLines("x/y.ndjson", mapped)
await Effect.runPromise(Effect.gen(function*(){ yield* TestClock.setTime(Date.parse("2026-11-25T12:00:00Z")); return yield* program }).pipe(Effect.provide(TestClock.layer())))
console.log(mode, "maxRSS", Math.round(process.resourceUsage().maxRSS / 1024))
