/** TikTok Ads in the sample: one advertiser, its report rows as the integrated report sends them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { isPausedAsOf, nameAsOf } from "../sample/generator.ts"
import { mapTikTokReportRow } from "./mapping.ts"
import { TIKTOK_LOOKBACK_DAYS } from "./source.ts"

export const tiktokSample: SamplePlatform = {
  platform: "tiktok_ads",
  accounts: [{ index: 5, id: "7012345678901234567", name: "Acme Europe (TikTok)", currency: "EUR", timeZone: "Europe/Berlin" }],
  lookbackDays: TIKTOK_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    dimensions: { campaign_id: campaign.id, stat_time_day: `${day} 00:00:00` },
    metrics: {
      campaign_name: nameAsOf(campaign, asOfDay),
      currency: account.currency,
      spend: stats.spend.toFixed(2),
      impressions: String(stats.impressions),
      clicks: String(stats.linkClicks),
      complete_payment: String(Math.round(stats.conversions)),
      total_complete_payment_rate: stats.conversionValue.toFixed(2)
    },
    advertiser_name: account.name,
    campaign_operation_status: isPausedAsOf(campaign, asOfDay) ? "DISABLE" : "ENABLE"
  }),
  map: mapTikTokReportRow
}
