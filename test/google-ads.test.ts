import { readFileSync } from "node:fs"
import path from "node:path"
import { Readable } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import nock from "nock"
import { afterEach, beforeEach } from "vitest"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeGoogleAdsSource, nextRequestDays } from "../ingestion/sources/google_ads/client.ts"

const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, "fixtures", "google_ads", name), "utf8")

const secrets = { clientSecret: "client-secret-XYZ", developerToken: "dev-token-XYZ", refreshToken: "refresh-token-XYZ" }
const source = (refreshToken = secrets.refreshToken, rowsPerRequest?: number) =>
  makeGoogleAdsSource(
    { customerIds: ["123-456-7890"], loginCustomerId: "999-000-1111", lookbackDays: 14, retryBase: "10 millis", ...(rowsPerRequest === undefined ? {} : { rowsPerRequest }) },
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

const SEARCH_STREAM = "/v25/customers/1234567890/googleAds:searchStream"
interface Batch {
  readonly results: ReadonlyArray<{ readonly segments: { readonly date: string }; readonly campaign: { readonly id: string } }>
  readonly fieldMask: string
  readonly requestId: string
}
const fixtureBatches = (): ReadonlyArray<Batch> => JSON.parse(fixture("search-stream-page.json")) as ReadonlyArray<Batch>
const datesAsked = (body: unknown): readonly [string, string] => {
  const match = /segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'/.exec(String((body as { query?: unknown }).query))
  if (match === null) throw new Error(`no date range in ${JSON.stringify(body)}`)
  return [match[1]!, match[2]!]
}
const asks = (from: string, to: string) => (body: unknown) => datesAsked(body).join("..") === `${from}..${to}`

/**
 * Answers every searchStream call as Google would: the batches' rows of the dates the query asks
 * for (a batch with no results when there are none). Returns the date ranges asked, in order.
 */
const answerByDates = (batches: ReadonlyArray<Batch> = fixtureBatches(), scope = ads()): Array<string> => {
  const asked: Array<string> = []
  scope
    .persist()
    .post(SEARCH_STREAM)
    .reply(async (request: Request) => {
      const [from, to] = datesAsked(JSON.parse(await request.text()))
      asked.push(`${from}..${to}`)
      const answer = batches.map((batch) => ({ ...batch, results: batch.results.filter((row) => row.segments.date >= from && row.segments.date <= to) }))
      const withRows = answer.filter((batch) => batch.results.length > 0)
      return [200, withRows.length > 0 ? withRows : [{ fieldMask: answer[0]!.fieldMask, requestId: "empty" }]]
    })
  return asked
}

const window = { start: "2024-05-01", end: "2024-05-02" }
const account = { id: "1234567890", name: "Acme EU", currency: "EUR", timeZone: "Europe/Paris" }
const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Google Ads source (real google-ads-api, HTTP intercepted)", () => {
  it.live("fetches the window with searchStream, maps rows and quarantines malformed ones", () =>
    Effect.gen(function* () {
      oauth()
      // The SDK must send the developer token and the manager account; otherwise nothing answers.
      const asked = answerByDates(fixtureBatches(), nock("https://googleads.googleapis.com", { reqheaders: { "developer-token": secrets.developerToken, "login-customer-id": "9990001111" } }))
      const records = yield* collect(source().fetch(account, window))
      assert.deepStrictEqual(asked, ["2024-05-01..2024-05-01", "2024-05-02..2024-05-02"])
      const good = records.filter((r): r is SourceRecord => r._tag === "SourceRecord")
      assert.strictEqual(records.length, 5, JSON.stringify(records.filter((r) => r._tag === "RejectedRecord"), null, 1))
      assert.deepStrictEqual(good.map((r) => [r.campaignId, r.date, r.metrics.spend, r.metrics.clicks]), [
        ["111", "2024-05-01", 12.5, 50],
        ["222", "2024-05-01", 0, 0],
        ["111", "2024-05-02", 11, 45],
        // More clicks than impressions: legitimate on Google Ads, so kept.
        ["333", "2024-05-02", 1, 25]
      ])
      // The payload is the SDK's row, kept verbatim for the raw zone.
      assert.deepStrictEqual((good[0]!.payload as { metrics: unknown }).metrics, { impressions: "1000", clicks: "50", costMicros: "12500000", conversions: 2.5, conversionsValue: 130.75 })
      const quarantined = records.filter((r) => r._tag === "RejectedRecord")
      assert.strictEqual(quarantined.length, 1)
      assert.include(quarantined.map((r) => (r._tag === "RejectedRecord" ? r.reason : "")).join("\n"), "name")
    }))

  it.live("asks for as many days at a time as fit the row target, each day exactly once", () =>
    Effect.gen(function* () {
      oauth()
      // Three campaigns a day for 30 days, against a target of 10 rows a request.
      const [{ results: [row] }] = fixtureBatches() as [Batch]
      const days = Array.from({ length: 30 }, (_, i) => `2024-06-${String(i + 1).padStart(2, "0")}`)
      const results = days.flatMap((date) => ["1", "2", "3"].map((id) => ({ ...row!, campaign: { ...row!.campaign, id }, segments: { date } })))
      const asked = answerByDates([{ results, fieldMask: "segments.date", requestId: "june" }])
      const records = yield* collect(source(undefined, 10).fetch(account, { start: "2024-06-01", end: "2024-06-30" }))
      // One day first; then the 3 rows a day it showed allow three days a request.
      assert.deepStrictEqual(asked, [
        "2024-06-01..2024-06-01",
        "2024-06-02..2024-06-04",
        "2024-06-05..2024-06-07",
        "2024-06-08..2024-06-10",
        "2024-06-11..2024-06-13",
        "2024-06-14..2024-06-16",
        "2024-06-17..2024-06-19",
        "2024-06-20..2024-06-22",
        "2024-06-23..2024-06-25",
        "2024-06-26..2024-06-28",
        "2024-06-29..2024-06-30"
      ])
      const keys = records.map((r) => (r._tag === "SourceRecord" ? `${r.campaignId} ${r.date}` : r.reason))
      assert.strictEqual(keys.length, 90)
      assert.strictEqual(new Set(keys).size, 90)
    }))

  it("a request grows at most fourfold, and a day busier than the target is still asked for alone", () => {
    assert.strictEqual(nextRequestDays(1, 0, 10_000), 4)
    assert.strictEqual(nextRequestDays(4, 0, 10_000), 16)
    assert.strictEqual(nextRequestDays(16, 100, 10_000), 64)
    assert.strictEqual(nextRequestDays(64, 2_000, 10_000), 5)
    assert.strictEqual(nextRequestDays(5, 50_000, 10_000), 1)
  })

  it.live("a quota error is retried after Google's retry delay, then succeeds", () =>
    Effect.gen(function* () {
      oauth()
      const quota = ads().post(SEARCH_STREAM).reply(429, fixture("quota-exhausted.json"))
      answerByDates()
      const started = Date.now()
      const records = yield* collect(source().fetch(account, window))
      assert.isTrue(quota.isDone())
      assert.strictEqual(records.length, 5)
      // retryDelay "1s" is honoured although the back-off would have waited 10 ms.
      assert.isAtLeast(Date.now() - started, 900)
    }))

  it.live("a quota whose retry delay is hours away fails the account at once with Google's message, instead of sleeping", () =>
    Effect.gen(function* () {
      oauth()
      // As Google answers when the developer token's daily operations are spent.
      const spent = fixture("quota-exhausted.json").replace('"retryDelay": "1s"', '"retryDelay": "40591s"').replace("Retry in 1 seconds.", "Retry in 40591 seconds.")
      assert.include(spent, '"40591s"')
      const quota = ads().post(SEARCH_STREAM).reply(429, spent)
      const started = Date.now()
      const error = yield* Effect.flip(collect(source().fetch(account, window)))
      assert.isTrue(quota.isDone())
      assert.strictEqual(error.reason, "rate_limited", error.message)
      assert.include(error.message, "Retry in 40591 seconds")
      assert.isBelow(Date.now() - started, 30_000, "no retry was waited for")
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
      assert.strictEqual(error.message, "google_ads account 1234567890: auth: invalid_grant")
      for (const secret of [...Object.values(secrets), "revoked-refresh-token"]) assert.notInclude(error.message, secret)
      nock("https://oauth2.googleapis.com").post("/token").reply(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." })
      assert.strictEqual((yield* Effect.flip(source("revoked-refresh-token").accounts)).message, "google_ads account 1234567890: auth: invalid_grant")
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

  // searchStream answers one whole batch of `rows` rows for the second day, then loses the connection.
  const brokenSecondDay = (rows: number) => {
    const [{ results: [row] }] = fixtureBatches() as [Batch]
    const results = Array.from({ length: rows }, (_, i) => ({ ...row!, campaign: { ...row!.campaign, id: String(1000 + i) }, segments: { date: "2024-05-02" } }))
    const broken = () => {
      const body = new Readable({ read() {} })
      body.push(`[${JSON.stringify({ results, requestId: "first" })},`)
      setTimeout(() => body.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })), 20)
      return body
    }
    return ads().post(SEARCH_STREAM, asks("2024-05-02", "2024-05-02")).reply(200, broken)
  }

  it.live("a connection lost mid-answer is retried for that request alone, without duplicates", () =>
    Effect.gen(function* () {
      oauth()
      const broken = brokenSecondDay(2500)
      const asked = answerByDates()
      const records = yield* collect(source().fetch(account, window))
      assert.isTrue(broken.isDone())
      assert.deepStrictEqual(asked, ["2024-05-01..2024-05-01", "2024-05-02..2024-05-02"])
      // The fixture's five records only: none of the lost answer's 2,500 rows was handed on.
      assert.strictEqual(records.length, 5)
      assert.notInclude(records.map((r) => (r._tag === "SourceRecord" ? r.campaignId : "")), "1000")
    }))

  it.live("a request that fails for good fails the account after the days already fetched, and is not repeated", () =>
    Effect.gen(function* () {
      oauth()
      const refused = ads()
        .post(SEARCH_STREAM, asks("2024-05-02", "2024-05-02"))
        .reply(400, JSON.stringify([{ error: { code: 400, message: "Request contains an invalid argument.", status: "INVALID_ARGUMENT" } }]))
      const asked = answerByDates()
      let handedOn = 0
      const error = yield* Effect.flip(Stream.runForEach(source().fetch(account, window), () => Effect.sync(() => void handedOn++)))
      assert.isTrue(refused.isDone())
      assert.strictEqual(error.reason, "bad_response")
      assert.isFalse(error.retryable)
      assert.strictEqual(handedOn, 2)
      assert.deepStrictEqual(asked, ["2024-05-01..2024-05-01"])
    }))
})
