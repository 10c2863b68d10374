/**
 * The sample sources (the embedded default): `google_ads` and `meta_ads` accounts whose data comes
 * from the generator, in pages as large as the live clients' (a Google Ads request of the default
 * `rows_per_request`, a Meta insights page of 500 rows) and mapped by the very functions that map
 * live responses. No network.
 */
import { Clock, Effect, Option, Stream } from "effect"
import { dayInZone, eachDay } from "../../core/dates.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource } from "../../core/source.ts"
import { mapGoogleAdsRow } from "../google_ads/mapping.ts"
import { DEFAULT_ROWS_PER_REQUEST } from "../google_ads/schema.ts"
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

/** The next page of rows, as many as a page of the API holds; fewer at the end. */
const nextPage = (rows: Iterator<unknown>, size: number, meter: GenerationMeter | undefined): Array<unknown> => {
  const started = meter === undefined ? 0 : performance.now()
  const page: Array<unknown> = []
  while (page.length < size) {
    const row = rows.next()
    if (row.done === true) break
    page.push(row.value)
  }
  if (meter !== undefined) meter.ms += performance.now() - started
  return page
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
            const rows = sampleRows(platform, options, sample, window, asOfDay)
            const size = platform === "google_ads" ? DEFAULT_ROWS_PER_REQUEST : META_PAGE
            return pagedRows(undefined, () =>
              Effect.sync(() => {
                const page = nextPage(rows, size, options.meter)
                return [page, page.length < size ? Option.none() : Option.some(undefined)] as const
              })
            ).pipe(Stream.map(map))
          })
        )
      )
  }
}

/** The platforms the sample stands in for. */
export const SAMPLE_PLATFORMS: ReadonlyArray<string> = ["google_ads", "meta_ads"]

export const makeSampleSources = (options: SampleOptions): ReadonlyArray<AdsSource> => [makeSource("google_ads", options), makeSource("meta_ads", options)]
