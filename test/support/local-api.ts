/**
 * A platform's API on 127.0.0.1, for the connectors that speak HTTP through Effect's HttpClient:
 * the real client sends real requests, and each test answers them in the API's documented shape.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import { Effect } from "effect"
import type { HttpClient } from "effect/http"
import { nodeHttpClient } from "../../ingestion/core/http-api.ts"
import type { AddressInfo } from "node:net"

export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  /** The query string exactly as sent, without the "?". */
  readonly rawQuery: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface Answer {
  readonly status?: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface LocalApi {
  readonly baseUrl: string
  readonly requests: Array<ReceivedRequest>
  readonly close: () => Promise<void>
}

/** Serves `answer` for every request, in order of arrival; a string or bytes body is sent as it is. */
export const startLocalApi = (answer: (request: ReceivedRequest, index: number) => Answer): Promise<LocalApi> =>
  new Promise((resolve) => {
    const requests: Array<ReceivedRequest> = []
    const server = createServer((incoming, outgoing) => {
      const chunks: Array<Buffer> = []
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
      incoming.on("end", () => {
        const url = new URL(incoming.url ?? "/", "http://127.0.0.1")
        const request = { method: incoming.method ?? "GET", path: url.pathname, query: url.searchParams, rawQuery: url.search.slice(1), headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") }
        requests.push(request)
        const { status = 200, body, headers = {} } = answer(request, requests.length - 1)
        outgoing.writeHead(status, { "content-type": "application/json", ...headers })
        outgoing.end(typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({ baseUrl: `http://127.0.0.1:${port}`, requests, close: () => new Promise((done) => server.close(() => done())) })
    })
  })

/**
 * Runs `use` with an API on 127.0.0.1 answering as `answer` says (given each request and the
 * server's own address, for answers that link back to it) and the production HTTP client, and
 * closes the server afterwards.
 */
export const withLocalApi = <A, E>(
  answer: (request: ReceivedRequest, baseUrl: string) => Answer,
  use: (api: { readonly baseUrl: string; readonly requests: ReadonlyArray<ReceivedRequest>; readonly client: HttpClient.HttpClient }) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.promise(() => {
      let baseUrl = ""
      return startLocalApi((request) => answer(request, baseUrl)).then((api) => ((baseUrl = api.baseUrl), api))
    }),
    (api) => Effect.flatMap(nodeHttpClient, (client) => use({ baseUrl: api.baseUrl, requests: api.requests, client })),
    (api) => Effect.promise(() => api.close())
  )
