/**
 * The sample sources (the embedded default): an account or two of every platform that has a
 * sample (`<platform>/sample.ts`), whose data comes from the generator in each API's own row
 * shape, in pages as large as the live clients' (a Google Ads request of the default
 * `rows_per_request`, a Meta insights page of 500 rows, a TikTok report page of 1,000) and mapped
 * by the very functions that map live responses. No network.
 */
import { Clock, Effect, Option, Stream } from "effect"
import { dayInZone, eachDay } from "../../core/dates.ts"
import type { AccountInfo, DateWindow } from "../../core/model.ts"
import { pagedRows, type AdsSource } from "../../core/source.ts"
import { amazonSample } from "../amazon_ads/sample.ts"
import { mapGoogleAdsRow } from "../google_ads/mapping.ts"
import { DEFAULT_ROWS_PER_REQUEST } from "../google_ads/schema.ts"
import { mapMetaInsightsRow } from "../meta_ads/mapping.ts"
import { linkedinSample } from "../linkedin_ads/sample.ts"
import { microsoftSample } from "../microsoft_ads/sample.ts"
import { pinterestSample } from "../pinterest_ads/sample.ts"
import { redditSample } from "../reddit_ads/sample.ts"
import { snapchatSample } from "../snapchat_ads/sample.ts"
import { xSample } from "../x_ads/sample.ts"
import { tiktokSample } from "../tiktok_ads/sample.ts"
import { dailyStats, googleAdsRow, metaInsightsRow, sampleAccounts, sampleCampaigns, type SampleAccount } from "./generator.ts"
import type { SamplePlatform } from "./platform.ts"

/** Time spent generating pages: the benchmark separates the stand-in API's work from ingestion's. */
export interface GenerationMeter {
  ms: number
}

export interface SampleOptions {
  readonly seed: number
  readonly meter?: GenerationMeter
  readonly campaignsPerAccount?: number
  readonly lookbackDays?: Readonly<Record<string, number>>
  /** Only these platforms (default: every platform with a sample). */
  readonly platforms?: ReadonlyArray<string>
}

export const googleSample: SamplePlatform = {
  platform: "google_ads",
  accounts: sampleAccounts.google_ads,
  lookbackDays: 14,
  pageSize: DEFAULT_ROWS_PER_REQUEST,
  row: googleAdsRow,
  map: (_, row) => mapGoogleAdsRow(row)
}

export const metaSample: SamplePlatform = {
  platform: "meta_ads",
  accounts: sampleAccounts.meta_ads,
  lookbackDays: 28,
  pageSize: 500,
  row: metaInsightsRow,
  map: (_, row) => mapMetaInsightsRow(row)
}

/** Every platform the sample stands in for. */
export const samplePlatforms: ReadonlyArray<SamplePlatform> = [googleSample, metaSample, microsoftSample, tiktokSample, linkedinSample, pinterestSample, snapchatSample, amazonSample, redditSample, xSample]

/** A window's rows for one account, day by day, in the API's row shape; also served by the live bench's stand-in platform. */
export function* sampleRows(sample: SamplePlatform, options: SampleOptions, account: SampleAccount, window: DateWindow, asOfDay: string) {
  const campaigns = sampleCampaigns(options.seed, account, sample.platform, options.campaignsPerAccount ?? 6)
  for (const day of eachDay(window.start, window.end)) {
    for (const campaign of campaigns) {
      const stats = dailyStats(options.seed, account, campaign, day, asOfDay, sample.lookbackDays)
      if (stats === undefined) continue
      yield sample.row(account, campaign, day, stats, asOfDay)
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

const makeSource = (sample: SamplePlatform, options: SampleOptions): AdsSource => ({
  name: sample.platform,
  stream: "campaign_daily",
  lookbackDays: options.lookbackDays?.[sample.platform] ?? sample.lookbackDays,
  accounts: Effect.succeed(sample.accounts.map(({ index: _index, ...info }) => info)),
  fetch: (account: AccountInfo, window: DateWindow) =>
    Stream.unwrap(
      Clock.currentTimeMillis.pipe(
        Effect.map((now) => {
          const found = sample.accounts.find((a) => a.id === account.id)
          if (found === undefined) return Stream.empty
          // "As of" is the day the data is fetched: conversions within the look-back are still maturing.
          const asOfDay = dayInZone(now, account.timeZone)
          const rows = sampleRows(sample, options, found, window, asOfDay)
          return pagedRows(undefined, () =>
            Effect.sync(() => {
              const page = nextPage(rows, sample.pageSize, options.meter)
              return [page, page.length < sample.pageSize ? Option.none() : Option.some(undefined)] as const
            })
          ).pipe(Stream.map((row) => sample.map(account.id, row)))
        })
      )
    )
})

/** The platforms the sample stands in for. */
export const SAMPLE_PLATFORMS: ReadonlyArray<string> = samplePlatforms.map((sample) => sample.platform)

export const makeSampleSources = (options: SampleOptions): ReadonlyArray<AdsSource> =>
  samplePlatforms.filter((sample) => options.platforms?.includes(sample.platform) ?? true).map((sample) => makeSource(sample, options))
