import { readFileSync } from "node:fs"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import nock from "nock"
import { afterEach, beforeEach } from "vitest"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeMetaAdsSource, throttleDelayMs, usageFromHeaders } from "../ingestion/sources/meta_ads/client.ts"

const TOKEN = "EAAB-secret-token"
const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, "fixtures", "meta_ads", name), "utf8")
const graph = () => nock("https://graph.facebook.com")
const source = (options: { asyncAfterDays?: number } = {}) =>
  makeMetaAdsSource({ accountIds: ["1234"], lookbackDays: 28, pageSize: 2, retryBase: "10 millis", pollInterval: "10 millis", ...options }, { accessToken: Redacted.make(TOKEN) })
const account = { id: "1234", name: "Acme Social", currency: "GBP", timeZone: "Europe/London" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const lowUsage = { "x-business-use-case-usage": JSON.stringify({ "1234": [{ type: "ads_insights", call_count: 3, total_cputime: 2, total_time: 4, estimated_time_to_regain_access: 0 }] }) }
const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

beforeEach(() => nock.disableNetConnect())
afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

describe("Meta Ads source (real facebook-nodejs-business-sdk, HTTP intercepted)", () => {
  it.live("pages through daily campaign insights, adds campaign status, quarantines malformed rows", () =>
    Effect.gen(function* () {
      let insightsQuery: Record<string, unknown> = {}
      let campaignsQuery: Record<string, unknown> = {}
      graph().get("/v24.0/act_1234/campaigns").query((query) => ((campaignsQuery = query), true)).reply(200, fixture("campaigns.json"), lowUsage)
      graph()
        .get("/v24.0/act_1234/insights")
        .query((query) => ((insightsQuery = query), query["access_token"] === TOKEN && query["after"] === undefined))
        .reply(200, fixture("insights-page-1.json"), lowUsage)
      graph().get("/v24.0/act_1234/insights").query((query) => query["after"] === "MQZDZD").reply(200, fixture("insights-page-2.json"), lowUsage)
      const records = yield* collect(source().fetch(account, window))
      assert.strictEqual(insightsQuery["level"], "campaign")
      assert.strictEqual(insightsQuery["time_increment"], "1")
      assert.deepStrictEqual(JSON.parse(String(insightsQuery["time_range"])), { since: "2024-05-01", until: "2024-05-02" })
      // Deleted and archived campaigns' spend and statuses are asked for too (Meta leaves them out by default).
      assert.includeMembers(JSON.parse(String(campaignsQuery["effective_status"])) as Array<string>, ["DELETED", "ARCHIVED"])
      assert.deepStrictEqual(JSON.parse(String(insightsQuery["filtering"])), [
        { field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"] }
      ])
      assert.deepStrictEqual(good(records).map((r) => [r.campaignId, r.date, r.metrics.clicks, r.metrics.spend]), [
        ["2385001", "2024-05-01", 210, 154.32],
        ["2385002", "2024-05-01", 7, 12],
        ["2385001", "2024-05-02", 190, 140.1]
      ])
      assert.strictEqual(good(records)[1]!.payload["campaign_effective_status"], "PAUSED")
      // The payload is the row as the API sent it (actions included: staging applies the
      // allow-list), with the campaign's status added.
      const [sent] = (JSON.parse(fixture("insights-page-1.json")) as { data: ReadonlyArray<Record<string, unknown>> }).data
      assert.deepStrictEqual(good(records)[0]!.payload, { ...sent, campaign_effective_status: "ACTIVE" })
      assert.deepStrictEqual((good(records)[0]!.payload["actions"] as ReadonlyArray<unknown>).length, 3)
      const rejected = records.filter((r) => r._tag === "RejectedRecord")
      assert.strictEqual(rejected.length, 1)
      assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "spend")
    }))

  it.live("a throttling error (#80000) is retried and the run then succeeds", () =>
    Effect.gen(function* () {
      graph().get("/v24.0/act_1234/campaigns").query(true).reply(200, fixture("campaigns.json"))
      const throttled = graph().get("/v24.0/act_1234/insights").query((q) => q["after"] === undefined).reply(400, fixture("throttled.json"), lowUsage)
      graph().get("/v24.0/act_1234/insights").query((q) => q["after"] === undefined).reply(200, fixture("insights-page-1.json"))
      graph().get("/v24.0/act_1234/insights").query((q) => q["after"] === "MQZDZD").reply(200, fixture("insights-page-2.json"))
      const records = yield* collect(source().fetch(account, window))
      assert.isTrue(throttled.isDone())
      assert.strictEqual(records.length, 4)
    }))

  it.live("long windows run as an async report job polled to completion", () =>
    Effect.gen(function* () {
      graph().get("/v24.0/act_1234/campaigns").query(true).reply(200, fixture("campaigns.json"))
      const created = graph().post("/v24.0/act_1234/insights").query((q) => q["access_token"] === TOKEN).reply(200, { report_run_id: "6001" })
      graph().get("/v24.0/6001").query(true).reply(200, { id: "6001", async_status: "Job Running", async_percent_completion: 40 })
      graph().get("/v24.0/6001").query(true).reply(200, { id: "6001", async_status: "Job Completed", async_percent_completion: 100 })
      graph().get("/v24.0/6001/insights").query(true).reply(200, fixture("insights-page-2.json"))
      const records = yield* collect(source({ asyncAfterDays: 1 }).fetch(account, window))
      assert.isTrue(created.isDone())
      assert.deepStrictEqual(good(records).map((r) => r.date), ["2024-05-02"])
    }))

  it.live("an expired token fails as auth, unretried, and the token is nowhere in the error", () =>
    Effect.gen(function* () {
      const expired = graph().get("/v24.0/act_1234/campaigns").query(true).once().reply(400, fixture("expired-token.json"))
      const error = yield* Effect.flip(collect(source().fetch(account, window)))
      assert.isTrue(expired.isDone())
      assert.strictEqual(error.reason, "auth")
      assert.include(error.message, "(#190/463)")
      assert.notInclude(JSON.stringify(error), TOKEN)
      assert.notInclude(error.message, TOKEN)
    }))

  it.live("reads the ad account's currency and time zone", () =>
    Effect.gen(function* () {
      graph().get("/v24.0/act_1234").query(true).reply(200, { name: "Acme Social", currency: "GBP", timezone_name: "Europe/London", id: "act_1234" })
      assert.deepStrictEqual(yield* source().accounts, [account])
    }))
})

describe("Meta usage headers", () => {
  it("reads the business use case usage and the time to regain access", () => {
    const headers = { "x-business-use-case-usage": JSON.stringify({ "1234": [{ type: "ads_insights", call_count: 96, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 3 }] }) }
    assert.deepStrictEqual(usageFromHeaders(headers), { regainMs: 180_000, maxUsagePercent: 96 })
    assert.strictEqual(throttleDelayMs(headers), 180_000)
    assert.strictEqual(throttleDelayMs(lowUsage), 0)
    assert.strictEqual(throttleDelayMs({ "x-app-usage": JSON.stringify({ call_count: 85, total_cputime: 10, total_time: 10 }) }), 10_000)
  })
})
