/** Pinterest Ads in the sample: one ad account, its analytics rows as API v5 sends them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { micros, sampleNames } from "../sample/generator.ts"
import { mapPinterestRow } from "./mapping.ts"
import { PINTEREST_LOOKBACK_DAYS } from "./source.ts"

export const pinterestSample: SamplePlatform = {
  platform: "pinterest_ads",
  accounts: [{ index: 7, id: "549755885175", name: "Acme US (Pinterest)", currency: "USD", timeZone: "UTC" }],
  lookbackDays: PINTEREST_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    CAMPAIGN_ID: campaign.id,
    DATE: day,
    IMPRESSION_1: stats.impressions,
    CLICKTHROUGH_1: stats.linkClicks,
    SPEND_IN_MICRO_DOLLAR: micros(stats.spend * 0.8),
    TOTAL_CHECKOUT: Math.round(stats.conversions * 0.7),
    TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR: micros(stats.conversionValue * 0.7),
    ...sampleNames(account, campaign, asOfDay)
  }),
  map: mapPinterestRow
}
