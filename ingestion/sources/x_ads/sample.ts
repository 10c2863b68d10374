/** X Ads in the sample: one ad account, its campaign days as the stats job's arrays give them, on X itself. */
import type { SamplePlatform } from "../sample/platform.ts"
import { micros, sampleNames } from "../sample/generator.ts"
import { mapXDay } from "./mapping.ts"
import { X_LOOKBACK_DAYS } from "./source.ts"

export const xSample: SamplePlatform = {
  platform: "x_ads",
  accounts: [{ index: 12, id: "18ce54d4x5t", name: "Acme US (X)", currency: "USD", timeZone: "America/New_York" }],
  lookbackDays: X_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    campaign_id: campaign.id.slice(-6),
    date: day,
    placement: "ALL_ON_TWITTER",
    impressions: Math.round(stats.impressions / 2),
    clicks: Math.round(stats.linkClicks / 3),
    billed_charge_local_micro: micros(stats.spend * 0.3),
    conversion_purchases: Math.round(stats.conversions * 0.2),
    conversion_purchases_sale_amount_local_micro: micros(stats.conversionValue * 0.2),
    ...sampleNames(account, campaign, asOfDay)
  }),
  map: mapXDay
}
