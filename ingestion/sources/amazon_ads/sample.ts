/** Amazon Ads in the sample: one profile, its Sponsored Products report rows as Reporting v3 writes them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { isPausedAsOf, nameAsOf } from "../sample/generator.ts"
import { mapAmazonRow } from "./mapping.ts"
import { AMAZON_LOOKBACK_DAYS } from "./source.ts"

export const amazonSample: SamplePlatform = {
  platform: "amazon_ads",
  accounts: [{ index: 10, id: "3521475201212345", name: "Acme DE (Amazon)", currency: "EUR", timeZone: "Europe/Berlin" }],
  lookbackDays: AMAZON_LOOKBACK_DAYS,
  pageSize: 1000,
  // Retail media: few impressions, high conversion rates.
  row: (account, campaign, day, stats, asOfDay) => ({
    date: day,
    campaignId: Number(campaign.id.slice(-12)),
    campaignName: nameAsOf(campaign, asOfDay),
    campaignStatus: isPausedAsOf(campaign, asOfDay) ? "PAUSED" : "ENABLED",
    impressions: Math.round(stats.impressions / 3),
    clicks: Math.round(stats.linkClicks / 2),
    cost: Math.round(stats.spend * 50) / 100,
    purchases7d: Math.round(stats.conversions * 1.5),
    sales7d: Math.round(stats.conversionValue * 120) / 100,
    adProduct: "SPONSORED_PRODUCTS",
    profile_name: account.name,
    currency: account.currency
  }),
  map: mapAmazonRow
}
