import { Effect, Stream } from "effect"
import { makeSampleSources } from "./ingestion/sources/sample/source.ts"
import { TestClock } from "effect/testing"
const [g] = makeSampleSources({ seed: 1, campaignsPerAccount: 300 })
const n = await Effect.runPromise(Effect.gen(function*(){ yield* TestClock.setTime(Date.parse("2026-11-25T12:00:00Z")); return yield* Stream.runCount(g!.fetch({ id: "1234567890", name: "", currency: "EUR", timeZone: "Europe/Paris" }, { start: "2025-11-23", end: "2026-11-22" })) }).pipe(Effect.provide(TestClock.layer())))
console.log("rows", n, "maxRSS", Math.round(process.resourceUsage().maxRSS / 1024))
