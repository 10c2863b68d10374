import { createHmac } from "node:crypto"
import { readFileSync } from "node:fs"
import path from "node:path"
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeXAdsSource } from "../ingestion/sources/x_ads/client.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const CONSUMER = { key: "x-consumer-key", secret: "x-consumer-secret-4242" }
const TOKEN = { key: "1234-x-access-token", secret: "x-token-secret-7777" }
const ACCOUNT = "18ce54d4x5t"
const account = { id: ACCOUNT, name: "Acme on X", currency: "USD", timeZone: "America/Los_Angeles" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, "fixtures", "x_ads", name), "utf8")
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

/** RFC 5849's signature, computed here on its own: the request's method, address and every parameter, sorted. */
const expectedSignature = (request: ReceivedRequest, base: string): string => {
  const header = String(request.headers["authorization"])
  const oauth = Object.fromEntries([...header.replace(/^OAuth /, "").matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, decodeURIComponent(v!)]))
  const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const parameters = [...request.query.entries(), ...Object.entries(oauth).filter(([k]) => k !== "oauth_signature")]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&")
  const baseString = [request.method, encode(`${base}${request.path}`), encode(parameters)].join("&")
  return createHmac("sha1", `${encode(CONSUMER.secret)}&${encode(TOKEN.secret)}`).update(baseString).digest("base64")
}

const xApi = (overrides: { readonly create?: (n: number) => Answer | undefined } = {}) => {
  let created = 0
  const polls = new Map<string, number>()
  return (request: ReceivedRequest, base: string): Answer => {
    if (request.path === `/12/accounts/${ACCOUNT}`) return { body: fixture("account.json") }
    if (request.path === `/12/accounts/${ACCOUNT}/funding_instruments`) return { body: fixture("funding.json") }
    if (request.path === `/12/accounts/${ACCOUNT}/campaigns`) return { body: fixture(request.query.get("cursor") === null ? "campaigns-page-1.json" : "campaigns-page-2.json") }
    if (request.path === `/12/stats/jobs/accounts/${ACCOUNT}` && request.method === "POST") {
      const own = overrides.create?.(++created)
      if (own !== undefined) return own
      const id = `${request.query.get("placement") === "PUBLISHER_NETWORK" ? "2" : "1"}0000000000000${created}`
      return { body: { request: { params: {} }, data: { id: "x", id_str: id, status: "QUEUED", url: null } } }
    }
    if (request.path === `/12/stats/jobs/accounts/${ACCOUNT}`) {
      const id = request.query.get("job_ids")!
      const n = (polls.get(id) ?? 0) + 1
      polls.set(id, n)
      return { body: { data: [{ id_str: id, status: n === 1 ? "PROCESSING" : "SUCCESS", url: n === 1 ? null : `${base}/ton/${id}.json.gz` }] } }
    }
    const file = /^\/ton\/(\d)\d+\.json\.gz$/.exec(request.path)
    if (file !== null) return { body: gzipSync(fixture(file[1] === "2" ? "stats-publisher.json" : "stats-on-x.json")) }
    return { status: 404, body: { errors: [{ code: "NOT_FOUND", message: "not found" }] } }
  }
}

const withApi = <A, E>(answer: (request: ReceivedRequest, base: string) => Answer, use: (source: ReturnType<typeof makeXAdsSource>, requests: ReadonlyArray<ReceivedRequest>, base: string) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(
      makeXAdsSource(
        { accountIds: [ACCOUNT], lookbackDays: 14, baseUrl, pollInterval: "5 millis", retryBase: "10 millis" },
        { consumerKey: CONSUMER.key, consumerSecret: Redacted.make(CONSUMER.secret), accessToken: TOKEN.key, accessTokenSecret: Redacted.make(TOKEN.secret) },
        client
      ),
      requests,
      baseUrl
    )
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("X Ads source (Ads API v12 stats jobs, OAuth 1.0a, Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("signs every request, runs a stats job per placement between the account's midnights, takes the days' arrays apart into rows and quarantines a malformed day", () =>
    withApi(xApi(), (source, requests, base) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, window))
        for (const request of requests.filter((r) => r.path.startsWith("/12/"))) {
          const header = String(request.headers["authorization"])
          assert.include(header, `oauth_consumer_key="${CONSUMER.key}"`)
          assert.include(header, `oauth_token="${TOKEN.key}"`)
          assert.include(header, 'oauth_signature_method="HMAC-SHA1"')
          assert.strictEqual(decodeURIComponent(/oauth_signature="([^"]+)"/.exec(header)![1]!), expectedSignature(request, base), `${request.method} ${request.path}`)
        }
        const jobs = requests.filter((r) => r.path.startsWith("/12/stats/jobs") && r.method === "POST")
        assert.deepStrictEqual(jobs.map((r) => r.query.get("placement")), ["ALL_ON_TWITTER", "PUBLISHER_NETWORK"])
        assert.deepStrictEqual([jobs[0]!.query.get("entity"), jobs[0]!.query.get("entity_ids"), jobs[0]!.query.get("granularity")], ["CAMPAIGN", "8wku2,8wku3", "DAY"])
        assert.deepStrictEqual([jobs[0]!.query.get("start_time"), jobs[0]!.query.get("end_time")], ["2024-05-01T00:00:00.000-07:00", "2024-05-03T00:00:00.000-07:00"])
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.payload["placement"], r.metrics.impressions, r.metrics.clicks, r.metrics.spend]),
          [
            ["8wku2", "2024-05-01", "ALL_ON_TWITTER", 21040, 310, 88.12],
            ["8wku2", "2024-05-02", "ALL_ON_TWITTER", 19870, 288, 80.5],
            ["8wku3", "2024-05-01", "ALL_ON_TWITTER", 1200, 9, 3.1],
            ["8wku2", "2024-05-01", "PUBLISHER_NETWORK", 400, 2, 0.9]
          ]
        )
        // A negative count is not X's shape: that day is quarantined, with the field named.
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "clicks")
        assert.deepStrictEqual([good(records)[0]!.payload["conversion_purchases"], good(records)[0]!.payload["conversion_purchases_sale_amount_local_micro"]], [4, 260000000])
        assert.deepStrictEqual([good(records)[2]!.payload["campaign_name"], good(records)[2]!.payload["campaign_status"]], ["Retargeting | Website", "PAUSED"])
        assert.strictEqual(records.length, 5, "days without any activity make no row")
      })
    ))

  it.live("reads the account's zone and its funding instrument's currency; waits out a 429 until X's reset; a 401 is an auth error without secrets", () => {
    const throttled = xApi({ create: (n) => (n === 1 ? { status: 429, body: { errors: [{ code: "TOO_MANY_REQUESTS", message: "Rate limit exceeded" }] }, headers: { "x-rate-limit-reset": String(Math.floor(Date.now() / 1000)) } } : undefined) })
    return withApi(throttled, (source, requests) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* source.accounts, [account])
        assert.strictEqual(good(yield* collect(source.fetch(account, window))).length, 4)
        assert.strictEqual(requests.filter((r) => r.path.startsWith("/12/stats/jobs") && r.method === "POST").length, 3)
      })
    ).pipe(
      Effect.andThen(
        withApi(
          () => ({ status: 401, body: { errors: [{ code: "UNAUTHORIZED_ACCESS", message: `This request is not properly authenticated (${TOKEN.secret})` }] } }),
          (source, requests) =>
            Effect.gen(function* () {
              const failure = yield* Effect.flip(source.accounts)
              assert.strictEqual(failure.reason, "auth")
              assert.notInclude(failure.message, TOKEN.secret)
              assert.isAtMost(requests.length, 2)
            })
        )
      )
    )
  })
})
