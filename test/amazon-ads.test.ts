import { readFileSync } from "node:fs"
import path from "node:path"
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import type { FetchedRecord, SourceRecord } from "../ingestion/core/model.ts"
import { makeAmazonAdsSource } from "../ingestion/sources/amazon_ads/client.ts"
import type { AdProduct } from "../ingestion/sources/amazon_ads/schema.ts"
import { withLocalApi, type Answer, type ReceivedRequest } from "./support/local-api.ts"

const REFRESH = "Atzr|amazon-secret-refresh-token"
const SECRET = "amzn1-client-secret-9f8e7d"
const CLIENT = "amzn1.application-oa2-client.0123456789abcdef"
const PROFILE = "3521475201212345"
const SIGNATURE = "X-Amz-Signature=0a1b2c3d4e5f"
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", "amazon_ads", name), "utf8")
const account = { id: PROFILE, name: "Acme Retail DE", currency: "EUR", timeZone: "Europe/Paris" }
const window = { start: "2024-05-01", end: "2024-05-02" }
const good = (records: ReadonlyArray<FetchedRecord>) => records.filter((r): r is SourceRecord => r._tag === "SourceRecord")

/** The documented API: LWA token, profiles, report creation (ids by product), one PENDING poll, then the gzipped rows. */
const amazonApi = (overrides: { readonly create?: (request: ReceivedRequest, n: number) => Answer | undefined; readonly token?: () => Answer | undefined } = {}) => {
  const counts = new Map<string, number>()
  const reports = new Map<string, string>()
  return (request: ReceivedRequest, base: string): Answer => {
    const n = (counts.get(request.path) ?? 0) + 1
    counts.set(request.path, n)
    if (request.path === "/auth/o2/token") return overrides.token?.() ?? { body: { access_token: `Atza|access-${n}`, refresh_token: REFRESH, token_type: "bearer", expires_in: 3600 } }
    if (request.path === "/v2/profiles") return { body: JSON.parse(fixture("profiles.json")) }
    if (request.path === "/reporting/reports" && request.method === "POST") {
      const own = overrides.create?.(request, n)
      if (own !== undefined) return own
      const product = (JSON.parse(request.body) as { configuration: { adProduct: string } }).configuration.adProduct
      const id = `0000000${reports.size + 1}-aaaa-bbbb-cccc-dddddddddddd`
      reports.set(id, product)
      return { body: { reportId: id, status: "PENDING", name: "x" } }
    }
    const polled = /^\/reporting\/reports\/(.+)$/.exec(request.path)
    if (polled !== null) {
      const id = polled[1]!
      const times = (counts.get(`poll ${id}`) ?? 0) + 1
      counts.set(`poll ${id}`, times)
      return times === 1 ? { body: { reportId: id, status: "PENDING" } } : { body: { reportId: id, status: "COMPLETED", url: `${base}/download/${id}.json.gz?${SIGNATURE}`, fileSize: 300 } }
    }
    const download = /^\/download\/(.+)\.json\.gz$/.exec(request.path)
    if (download !== null) return { body: gzipSync(fixture(reports.get(download[1]!) === "SPONSORED_BRANDS" ? "sb-rows.json" : "sp-rows.json")) }
    return { status: 404, body: { code: "NOT_FOUND", details: "no such path" } }
  }
}

const withApi = <A, E>(answer: (request: ReceivedRequest, base: string) => Answer, products: ReadonlyArray<AdProduct>, use: (source: ReturnType<typeof makeAmazonAdsSource>, requests: ReadonlyArray<ReceivedRequest>) => Effect.Effect<A, E>) =>
  withLocalApi(answer, ({ baseUrl, requests, client }) =>
    use(
      makeAmazonAdsSource(
        { profileIds: [PROFILE], adProducts: products, lookbackDays: 14, baseUrl, tokenUrl: `${baseUrl}/auth/o2/token`, pollInterval: "5 millis", retryBase: "10 millis" },
        { clientId: CLIENT, clientSecret: Redacted.make(SECRET), refreshToken: Redacted.make(REFRESH) },
        client
      ),
      requests
    )
  )

const collect = <E>(stream: Stream.Stream<FetchedRecord, E>) => Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

describe("Amazon Ads source (Reporting v3, Effect HttpClient, the API on 127.0.0.1)", () => {
  it.live("creates a daily campaign report per ad product, polls each to COMPLETED, reads the gzipped JSON and quarantines a negative cost", () =>
    withApi(amazonApi(), ["SPONSORED_PRODUCTS", "SPONSORED_BRANDS"], (source, requests) =>
      Effect.gen(function* () {
        const records = yield* collect(source.fetch(account, window))
        const token = new URLSearchParams(requests.find((r) => r.path === "/auth/o2/token")!.body)
        assert.deepStrictEqual([token.get("grant_type"), token.get("refresh_token"), token.get("client_id"), token.get("client_secret")], ["refresh_token", REFRESH, CLIENT, SECRET])
        const created = requests.filter((r) => r.path === "/reporting/reports" && r.method === "POST")
        const bodies = created.map((r) => JSON.parse(r.body) as { startDate: string; endDate: string; configuration: Record<string, unknown> })
        assert.deepStrictEqual(bodies.map((b) => [b.configuration["adProduct"], b.configuration["reportTypeId"], b.configuration["timeUnit"], b.configuration["format"]]), [
          ["SPONSORED_PRODUCTS", "spCampaigns", "DAILY", "GZIP_JSON"],
          ["SPONSORED_BRANDS", "sbCampaigns", "DAILY", "GZIP_JSON"]
        ])
        assert.includeMembers(bodies[0]!.configuration["columns"] as Array<string>, ["purchases7d", "sales7d", "cost"])
        assert.includeMembers(bodies[1]!.configuration["columns"] as Array<string>, ["purchases", "sales"])
        assert.deepStrictEqual([bodies[0]!.startDate, bodies[0]!.endDate], ["2024-05-01", "2024-05-02"])
        assert.strictEqual(created[0]!.headers["content-type"], "application/vnd.createasyncreportrequest.v3+json")
        assert.deepStrictEqual([created[0]!.headers["amazon-advertising-api-scope"], created[0]!.headers["amazon-advertising-api-clientid"], created[0]!.headers["authorization"]], [PROFILE, CLIENT, "Bearer Atza|access-1"])
        assert.deepStrictEqual(
          good(records).map((r) => [r.campaignId, r.date, r.metrics.impressions, r.metrics.clicks, r.metrics.spend, r.payload["adProduct"]]),
          [
            ["283011234567890", "2024-05-01", 8120, 61, 42.17, "SPONSORED_PRODUCTS"],
            ["283011234567890", "2024-05-02", 7904, 58, 40.02, "SPONSORED_PRODUCTS"],
            ["144455566677788", "2024-05-01", 15020, 40, 30.5, "SPONSORED_BRANDS"]
          ]
        )
        assert.deepStrictEqual([good(records)[0]!.payload["currency"], good(records)[0]!.payload["profile_name"]], ["EUR", "Acme Retail DE"])
        const rejected = records.filter((r) => r._tag === "RejectedRecord")
        assert.strictEqual(rejected.length, 1)
        assert.include(rejected[0]!._tag === "RejectedRecord" ? rejected[0]!.reason : "", "cost")
      })
    ))

  it.live("retries a 429, reads a 425 as the report already created, and renews the access token once on a 401", () =>
    withApi(
      amazonApi({
        create: (_, n) =>
          n === 1
            ? { status: 429, body: { code: "TOO_MANY_REQUESTS", details: "Too Many Requests" }, headers: { "retry-after": "0" } }
            : n === 2
              ? { status: 401, body: { code: "UNAUTHORIZED", details: "Not authorized to access this advertiser" } }
              : { status: 425, body: { code: "425", detail: "The Request is a duplicate of : 00000009-aaaa-bbbb-cccc-dddddddddddd" } }
      }),
      ["SPONSORED_PRODUCTS"],
      (source, requests) =>
        Effect.gen(function* () {
          assert.strictEqual(good(yield* collect(source.fetch(account, window))).length, 2)
          assert.strictEqual(requests.filter((r) => r.path === "/auth/o2/token").length, 2)
          assert.isTrue(requests.some((r) => r.path === "/reporting/reports/00000009-aaaa-bbbb-cccc-dddddddddddd"))
        })
    ))

  it.live("lists the profile's currency and time zone; an unknown profile and a revoked refresh token are named, without secrets", () =>
    withApi(amazonApi(), ["SPONSORED_PRODUCTS"], (source) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* source.accounts, [account])
      })
    ).pipe(
      Effect.andThen(
        withApi(amazonApi({ token: () => ({ status: 400, body: { error: "invalid_grant", error_description: `The request has an invalid grant parameter : refresh_token ${REFRESH}` } }) }), ["SPONSORED_PRODUCTS"], (source) =>
          Effect.gen(function* () {
            const failure = yield* Effect.flip(source.accounts)
            assert.strictEqual(failure.reason, "auth")
            assert.notInclude(failure.message, REFRESH)
            assert.notInclude(failure.message, SECRET)
          })
        )
      )
    ))
})
