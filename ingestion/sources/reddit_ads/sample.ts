/** Reddit Ads in the sample: one ad account, its report rows as Ads API v3 sends them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { micros, sampleNames } from "../sample/generator.ts"
import { mapRedditRow } from "./mapping.ts"
import { REDDIT_LOOKBACK_DAYS } from "./source.ts"

export const redditSample: SamplePlatform = {
  platform: "reddit_ads",
  accounts: [{ index: 11, id: "t2_acme4x9", name: "Acme US (Reddit)", currency: "USD", timeZone: "America/New_York" }],
  lookbackDays: REDDIT_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    campaign_id: campaign.id,
    date: day,
    impressions: Math.round(stats.impressions / 2),
    clicks: Math.round(stats.linkClicks / 2),
    spend: micros(stats.spend * 0.4),
    conversion_purchase_clicks: Math.round(stats.conversions * 0.3),
    conversion_purchase_total_value: micros(stats.conversionValue * 0.3),
    ...sampleNames(account, campaign, asOfDay)
  }),
  map: mapRedditRow
}
