/**
 * The sample sources (the embedded default): `google_ads` and `meta_ads` accounts whose data comes
 * from the generator, paged in each API's response shape (searchStream batches of 10,000 rows,
 * insights pages of 500) and mapped by the very functions that map live responses. No network.
 */
import { Clock, Effect, Stream } from "effect"
import { dayInZone, eachDay } from "../../core/dates.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import type { AdsSource } from "../../core/source.ts"
import { mapGoogleAdsRow } from "../google_ads/mapping.ts"
import { mapMetaInsightsRow } from "../meta_ads/mapping.ts"
import { dailyStats, googleAdsRow, metaInsightsRow, sampleAccounts, sampleCampaigns, type SampleAccount } from "./generator.ts"

/** Time spent generating pages: the benchmark separates the stand-in API's work from ingestion's. */
export interface GenerationMeter {
  ms: number
}

export interface SampleOptions {
  readonly seed: number
  readonly meter?: GenerationMeter
  readonly campaignsPerAccount?: number
  readonly lookbackDays?: { readonly google_ads: number; readonly meta_ads: number }
}

const GOOGLE_BATCH = 10_000
const META_PAGE = 500

/** A window's rows for one account, day by day, in the API's row shape; also served by the live bench's stand-in platform. */
export function* sampleRows(platform: "google_ads" | "meta_ads", options: SampleOptions, account: SampleAccount, window: DateWindow, asOfDay: string) {
  const campaigns = sampleCampaigns(options.seed, account, platform, options.campaignsPerAccount ?? 6)
  for (const day of eachDay(window.start, window.end)) {
    for (const campaign of campaigns) {
      const stats = dailyStats(options.seed, account, campaign, day, asOfDay)
      if (stats === undefined) continue
      yield platform === "google_ads" ? googleAdsRow(account, campaign, day, stats, asOfDay) : metaInsightsRow(account, campaign, day, stats, asOfDay)
    }
  }
}

/** Groups rows into the API's pages: `[{ results }]` batches for Google, `{ data, paging }` for Meta. */
function* pagesOf(platform: "google_ads" | "meta_ads", rows: Iterable<unknown>) {
  const size = platform === "google_ads" ? GOOGLE_BATCH : META_PAGE
  let page: Array<unknown> = []
  let number = 0
  for (const row of rows) {
    page.push(row)
    if (page.length === size) {
      yield platform === "google_ads" ? { results: page, requestId: `sample-${number++}` } : { data: page, paging: { cursors: { after: `page-${++number}` }, next: `sample://next/${number}` } }
      page = []
    }
  }
  if (page.length > 0) yield platform === "google_ads" ? { results: page, requestId: `sample-${number}` } : { data: page, paging: { cursors: { after: "end" } } }
}

function* metered<A>(pages: Iterator<A>, meter: GenerationMeter | undefined) {
  while (true) {
    const started = meter === undefined ? 0 : performance.now()
    const next = pages.next()
    if (meter !== undefined) meter.ms += performance.now() - started
    if (next.done === true) return
    yield next.value
  }
}

const rowsFromPage = (page: unknown): ReadonlyArray<unknown> => {
  if (typeof page !== "object" || page === null) return []
  const rows = "results" in page ? page.results : "data" in page ? page.data : []
  return Array.isArray(rows) ? rows : []
}

const makeSource = (platform: "google_ads" | "meta_ads", options: SampleOptions): AdsSource => {
  const accounts = sampleAccounts[platform]
  const map = platform === "google_ads" ? mapGoogleAdsRow : mapMetaInsightsRow
  return {
    name: platform,
    stream: "campaign_daily",
    lookbackDays: options.lookbackDays?.[platform] ?? (platform === "google_ads" ? 14 : 28),
    accounts: Effect.succeed(accounts.map(({ index: _index, ...info }) => info)),
    fetch: (account: AccountInfo, window: DateWindow) =>
      Stream.unwrap(
        Clock.currentTimeMillis.pipe(
          Effect.map((now) => {
            const sample = accounts.find((a) => a.id === account.id)
            if (sample === undefined) return Stream.empty
            // "As of" is the day the data is fetched: recent conversions are still maturing.
            const asOfDay = dayInZone(now, account.timeZone)
            // One page at a time: a chunk of pages would hold a whole window in memory.
            return Stream.fromIterable(metered(pagesOf(platform, sampleRows(platform, options, sample, window, asOfDay)), options.meter), { chunkSize: 1 }).pipe(
              Stream.flatMap((page) => Stream.fromIterable(rowsFromPage(page))),
              Stream.map(map)
            )
          })
        )
      )
  }
}

export const makeSampleSources = (options: SampleOptions): ReadonlyArray<AdsSource> => [makeSource("google_ads", options), makeSource("meta_ads", options)]
