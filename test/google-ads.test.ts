import { readFileSync } from "node:fs"
import path from "node:path"
import { Readable } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import nock from "nock"
import { afterEach, beforeEach } from "vitest"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeGoogleAdsSource } from "../ingestion/sources/google_ads/client.ts"

const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, "fixtures", "google_ads", name), "utf8")

const secrets = { clientSecret: "client-secret-XYZ", developerToken: "dev-token-XYZ", refreshToken: "refresh-token-XYZ" }
const source = (refreshToken = secrets.refreshToken) =>
  makeGoogleAdsSource(
    { customerIds: ["123-456-7890"], loginCustomerId: "999-000-1111", lookbackDays: 14, retryBase: "10 millis" },
    {
      clientId: "client-id",
      clientSecret: Redacted.make(secrets.clientSecret),
      developerToken: Redacted.make(secrets.developerToken),
      refreshToken: Redacted.make(refreshToken)
    }
  )

const ads = () => nock("https://googleads.googleapis.com")
const oauth = () => nock("https://oauth2.googleapis.com").post("/token").reply(200, { access_token: "ya29.access-XYZ", expires_in: 3599, token_type: "Bearer" })

beforeEach(() => {
  nock.disableNetConnect()
})
afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

const window = { start: "2024-05-01", end: "2024-05-02" }
const account = { id: "1234567890", name: "Acme EU", currency: "EUR", timeZone: "Europe/Paris" }
const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Google Ads source (real google-ads-api, HTTP intercepted)", () => {
  it.live("streams every batch of searchStream, maps rows and quarantines malformed ones", () =>
    Effect.gen(function* () {
      oauth()
      let requestBody: unknown
      // The SDK must send the developer token and the manager account; otherwise nothing answers.
      nock("https://googleads.googleapis.com", { reqheaders: { "developer-token": secrets.developerToken, "login-customer-id": "9990001111" } })
        .post("/v25/customers/1234567890/googleAds:searchStream", (body) => ((requestBody = body), true))
        .reply(200, fixture("search-stream-page.json"))
      const records = yield* collect(source().fetch(account, window))
      assert.include(String((requestBody as { query: string }).query), "WHERE segments.date BETWEEN '2024-05-01' AND '2024-05-02'")
      const good = records.filter((r): r is SourceRecord => r._tag === "SourceRecord")
      assert.strictEqual(records.length, 5, JSON.stringify(records.filter((r) => r._tag === "RejectedRecord"), null, 1))
      assert.deepStrictEqual(good.map((r) => [r.campaignId, r.date, r.metrics.spend, r.metrics.clicks]), [
        ["111", "2024-05-01", 12.5, 50],
        ["222", "2024-05-01", 0, 0],
        ["111", "2024-05-02", 11, 45]
      ])
      // The payload is the SDK's row, kept verbatim for the raw zone.
      assert.deepStrictEqual((good[0]!.payload as { metrics: unknown }).metrics, { impressions: "1000", clicks: "50", costMicros: "12500000", conversions: 2.5, conversionsValue: 130.75 })
      const quarantined = records.filter((r) => r._tag === "RejectedRecord")
      assert.strictEqual(quarantined.length, 2)
      assert.include(quarantined.map((r) => (r._tag === "RejectedRecord" ? r.reason : "")).join("\n"), "clicks (25) exceed impressions (10)")
      assert.include(quarantined.map((r) => (r._tag === "RejectedRecord" ? r.reason : "")).join("\n"), "name")
    }))

  it.live("a quota error is retried after Google's retry delay, then succeeds", () =>
    Effect.gen(function* () {
      oauth()
      const scope = ads()
        .post("/v25/customers/1234567890/googleAds:searchStream")
        .reply(429, fixture("quota-exhausted.json"))
        .post("/v25/customers/1234567890/googleAds:searchStream")
        .reply(200, fixture("search-stream-page.json"))
      const started = Date.now()
      const records = yield* collect(source().fetch(account, window))
      assert.isTrue(scope.isDone())
      assert.strictEqual(records.length, 5)
      // retryDelay "1s" is honoured although the back-off would have waited 10 ms.
      assert.isAtLeast(Date.now() - started, 900)
    }))

  it.live("reads the account's currency and time zone", () =>
    Effect.gen(function* () {
      oauth()
      ads().post("/v25/customers/1234567890/googleAds:searchStream").reply(200, fixture("customer.json"))
      assert.deepStrictEqual(yield* source().accounts, [account])
    }))

  it.live("bad credentials fail as auth without retrying and without secrets in the message", () =>
    Effect.gen(function* () {
      nock("https://oauth2.googleapis.com").post("/token").reply(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." })
      const error = yield* Effect.flip(collect(source("revoked-refresh-token").fetch(account, window)))
      assert.strictEqual(error.reason, "auth")
      for (const secret of [...Object.values(secrets), "revoked-refresh-token"]) assert.notInclude(error.message, secret)
    }))

  it.live("an API message that echoes a secret is scrubbed before it reaches the error", () =>
    Effect.gen(function* () {
      oauth()
      ads()
        .post("/v25/customers/1234567890/googleAds:searchStream")
        .reply(400, JSON.stringify([{ error: { code: 400, message: `Developer token ${secrets.developerToken} is not approved.`, status: "INVALID_ARGUMENT" } }]))
      const error = yield* Effect.flip(collect(source("another-refresh-token").fetch(account, window)))
      assert.include(error.message, "is not approved")
      assert.notInclude(error.message, secrets.developerToken)
    }))

  // searchStream answers one whole batch of `rows` rows and loses the connection; a second call
  // would get the whole fixture.
  const brokenThenWhole = (rows: number) => {
    oauth()
    const [row] = (JSON.parse(fixture("search-stream-page.json")) as Array<{ results: Array<{ campaign: { id: string } }> }>)[0]!.results
    const results = Array.from({ length: rows }, (_, i) => ({ ...row!, campaign: { ...row!.campaign, id: String(1000 + i) } }))
    const broken = () => {
      const body = new Readable({ read() {} })
      body.push(`[${JSON.stringify({ results, requestId: "first" })},`)
      setTimeout(() => body.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })), 20)
      return body
    }
    return ads()
      .post("/v25/customers/1234567890/googleAds:searchStream")
      .reply(200, broken)
      .post("/v25/customers/1234567890/googleAds:searchStream")
      .reply(200, fixture("search-stream-page.json"))
  }

  it.live("a connection lost after rows were handed on fails the account without a retry (searchStream cannot resume)", () =>
    Effect.gen(function* () {
      const scope = brokenThenWhole(2500)
      let handedOn = 0
      const error = yield* Effect.flip(Stream.runForEach(source().fetch(account, window), () => Effect.sync(() => void handedOn++)))
      assert.strictEqual(error.midStream, true)
      assert.isFalse(error.retryable)
      assert.isAtLeast(handedOn, 1000)
      assert.isFalse(scope.isDone(), "the stream was not started again")
    }))

  it.live("a connection lost before any row was handed on is retried from the start, without duplicates", () =>
    Effect.gen(function* () {
      const scope = brokenThenWhole(3)
      const records = yield* collect(source().fetch(account, window))
      assert.isTrue(scope.isDone())
      // Only the second answer's five records: the first answer's three rows never left the source.
      assert.strictEqual(records.length, 5)
      assert.notInclude(records.map((r) => (r._tag === "SourceRecord" ? r.campaignId : "")), "1000")
    }))
})
