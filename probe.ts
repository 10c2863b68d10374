import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { SourceRegistry } from "./ingestion/core/source.ts"
import { ingest } from "./ingestion/ingest.ts"
import { RawZone } from "./ingestion/raw-zone.ts"
import { makeSampleSources } from "./ingestion/sources/sample/source.ts"
const campaigns = Number(process.argv[2])
const conc = Number(process.argv[3] ?? 4)
const t = performance.now()
const r = await Effect.runPromise(Effect.gen(function* () { yield* TestClock.setTime(Date.parse("2026-11-25T12:00:00Z")); return yield* ingest({ from: "2025-11-23", to: "2026-11-22", concurrency: conc }) }).pipe(Effect.provide(TestClock.layer()), Effect.provide(Layer.mergeAll(RawZone.layerLocal("/tmp/probe-raw"), SourceRegistry.layerFrom(makeSampleSources({ seed: 1, campaignsPerAccount: campaigns }))))))
console.log(campaigns, "rows", r.rows, "ms", Math.round(performance.now() - t), "rows/s", Math.round(r.rows / ((performance.now() - t) / 1000)), "maxRSS MB", Math.round(process.resourceUsage().maxRSS / 1024))
