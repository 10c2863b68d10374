/** Snapchat Ads in the sample: one ad account, its campaign days as the stats timeseries holds them. */
import { addDays, midnightInZone } from "../../core/dates.ts"
import type { SamplePlatform } from "../sample/platform.ts"
import { micros, sampleNames } from "../sample/generator.ts"
import { mapSnapchatDay } from "./mapping.ts"
import { SNAPCHAT_LOOKBACK_DAYS } from "./source.ts"

export const snapchatSample: SamplePlatform = {
  platform: "snapchat_ads",
  accounts: [{ index: 8, id: "8b2f6c1e-4a7d-4e2b-9c3f-5d6e7f8a9b0c", name: "Acme US (Snapchat)", currency: "USD", timeZone: "America/Los_Angeles" }],
  lookbackDays: SNAPCHAT_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    campaign_id: campaign.id,
    start_time: midnightInZone(day, account.timeZone),
    end_time: midnightInZone(addDays(day, 1), account.timeZone),
    stats: {
      impressions: stats.impressions,
      swipes: stats.linkClicks,
      spend: micros(stats.spend * 0.6),
      conversion_purchases: Math.round(stats.conversions * 0.5),
      conversion_purchases_value: micros(stats.conversionValue * 0.5)
    },
    ...sampleNames(account, campaign, asOfDay)
  }),
  map: mapSnapchatDay
}
