/**
 * The platform a live bench ingests from, in its own process: an HTTP server on 127.0.0.1
 * answering the calls google-ads-api or facebook-nodejs-business-sdk make, with the sample's rows
 * in the API's documented response shape, generated as the client reads them. Started by
 * `scripts/bench-live.ts` (never on its own): its configuration comes as JSON in the first
 * argument, its port goes back over the IPC channel, and it reports how many requests it served
 * and the CPU time it spent answering when asked. In a process of its own, neither its work nor its memory counts as
 * the client's.
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import type { DateWindow } from "../ingestion/core/model.ts"
import { sampleCampaigns, type SampleAccount } from "../ingestion/sources/sample/generator.ts"
import { googleSample, metaSample, sampleRows } from "../ingestion/sources/sample/source.ts"

export interface PlatformConfig {
  readonly platform: "google_ads" | "meta_ads"
  readonly accounts: ReadonlyArray<SampleAccount>
  readonly campaignsPerAccount: number
  /** The days an insights report covers (a searchStream request names its own). */
  readonly window: DateWindow
  readonly asOfDay: string
  readonly seed: number
}

/** What the platform tells the bench: its port once listening, then its work when asked. */
export type PlatformMessage = { readonly port: number } | { readonly requestsServed: number; readonly cpuSeconds: number }

const GOOGLE_BATCH = 10_000
const PIECE_BYTES = 64 * 1024

/**
 * A searchStream response body: a JSON array of batches of up to 10,000 rows, as Google sends.
 * Generated batch by batch as the client reads, so the server side never holds the whole answer.
 */
function* searchStreamBody(config: PlatformConfig, account: SampleAccount, window: DateWindow) {
  const fieldMask =
    "customer.resourceName,customer.id,customer.descriptiveName,customer.currencyCode,customer.timeZone,campaign.resourceName,campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType,segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,metrics.conversionsValue"
  const rows = sampleRows(googleSample, { seed: config.seed, campaignsPerAccount: config.campaignsPerAccount }, account, window, config.asOfDay)
  yield Buffer.from("[")
  for (let batch = 0; ; batch++) {
    const results: Array<unknown> = []
    for (let next = rows.next(); next.done !== true; next = rows.next()) {
      results.push(next.value)
      if (results.length === GOOGLE_BATCH) break
    }
    const bytes = results.length === 0 ? undefined : Buffer.from(`${batch === 0 ? "" : ","}${JSON.stringify({ results, fieldMask, requestId: `bench-${account.id}-${batch}` })}`)
    if (bytes === undefined) break
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) yield bytes.subarray(at, at + PIECE_BYTES)
  }
  yield Buffer.from("]")
}

const META_PAGE = 500

/** A Graph API list page, with the `next` URL the client follows (redirected like every call). */
const graphPage = (data: ReadonlyArray<unknown>, path: string, after: number, more: boolean) => ({
  data,
  paging: {
    cursors: { before: String(after), after: String(after + 1) },
    ...(more ? { next: `https://graph.facebook.com${path}?access_token=bench-access-token&limit=${META_PAGE}&after=${after + 1}` } : {})
  }
})

const sendJson = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))

const serve = (config: PlatformConfig) => {
  let requestsServed = 0
  const reports = new Map<string, { readonly rows: Iterator<unknown>; page: number }>()
  const answerGoogleAds = (url: URL, body: string, response: ServerResponse) => {
    const account = config.accounts.find((a) => url.pathname.endsWith(`/customers/${a.id}/googleAds:searchStream`))
    if (account === undefined) return sendJson(response, 404, { error: { code: 404, message: `no such customer: ${url.pathname}` } })
    const { query } = JSON.parse(body) as { readonly query?: string }
    if (/FROM customer\b/.test(query ?? "")) {
      const customer = { resourceName: `customers/${account.id}`, id: account.id, descriptiveName: account.name, currencyCode: account.currency, timeZone: account.timeZone }
      return sendJson(response, 200, [{ results: [{ customer }], fieldMask: "customer.id", requestId: "bench-account" }])
    }
    // The client asks for a few days per request: answer the days the query names.
    const dates = /segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'/.exec(query ?? "")
    if (dates === null) return sendJson(response, 400, { error: { code: 400, message: `no date range in the query: ${query ?? ""}` } })
    response.writeHead(200, { "content-type": "application/json" })
    Readable.from(searchStreamBody(config, account, { start: dates[1]!, end: dates[2]! })).pipe(response)
  }
  // The Graph API calls the Meta client makes: the account, its campaigns, an async insights
  // report (created, polled once, then paged).
  const answerMeta = (method: string | undefined, url: URL, response: ServerResponse) => {
    const [, , node, edge] = url.pathname.split("/")
    const after = Number(url.searchParams.get("after") ?? "0")
    const account = config.accounts.find((a) => node === `act_${a.id}` || node === `9${a.id}`)
    if (account === undefined) return sendJson(response, 404, { error: { message: `Unknown path ${url.pathname}`, type: "OAuthException", code: 803 } })
    if (node === `act_${account.id}` && edge === undefined) {
      return sendJson(response, 200, { id: node, name: account.name, currency: account.currency, timezone_name: account.timeZone })
    }
    if (edge === "campaigns") {
      const campaigns = sampleCampaigns(config.seed, account, "meta_ads", config.campaignsPerAccount)
      const page = campaigns.slice(after * META_PAGE, (after + 1) * META_PAGE).map((c) => ({ id: c.id, name: c.name, effective_status: "ACTIVE" }))
      return sendJson(response, 200, graphPage(page, url.pathname, after, (after + 1) * META_PAGE < campaigns.length))
    }
    if (edge === "insights" && method === "POST") {
      reports.set(`9${account.id}`, { rows: sampleRows(metaSample, { seed: config.seed, campaignsPerAccount: config.campaignsPerAccount }, account, config.window, config.asOfDay), page: 0 })
      return sendJson(response, 200, { report_run_id: `9${account.id}` })
    }
    const report = reports.get(node ?? "")
    if (report === undefined) return sendJson(response, 404, { error: { message: `No report ${node}`, type: "GraphMethodException", code: 100 } })
    if (edge === undefined) return sendJson(response, 200, { id: node, async_status: "Job Completed", async_percent_completion: 100 })
    if (after !== report.page) return sendJson(response, 400, { error: { message: `page ${after} asked, ${report.page} next`, type: "GraphMethodException", code: 100 } })
    const page: Array<unknown> = []
    while (page.length < META_PAGE) {
      const next = report.rows.next()
      if (next.done === true) break
      page.push(next.value)
    }
    report.page++
    const text = JSON.stringify(graphPage(page, url.pathname, after, page.length === META_PAGE))
    response.writeHead(200, { "content-type": "application/json" }).end(text)
  }
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      requestsServed++
      const url = new URL(request.url ?? "/", "http://127.0.0.1")
      if (config.platform === "google_ads") answerGoogleAds(url, Buffer.concat(chunks).toString("utf8"), response)
      else answerMeta(request.method, url, response)
    })
  })
  // Its CPU time from the moment it listens: answering, not starting.
  let listening = process.cpuUsage()
  server.listen(0, "127.0.0.1", () => {
    listening = process.cpuUsage()
    process.send?.({ port: (server.address() as AddressInfo).port } satisfies PlatformMessage)
  })
  process.on("message", () => {
    const cpu = process.cpuUsage(listening)
    process.send?.({ requestsServed, cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies PlatformMessage)
  })
  // The bench's end, however it ends, is this process's end.
  process.on("disconnect", () => process.exit(0))
}

if (process.send === undefined || process.argv[2] === undefined) {
  console.error("bench-live-platform.ts is started by npm run bench:live, not on its own.")
  process.exit(2)
}
serve(JSON.parse(process.argv[2]) as PlatformConfig)
