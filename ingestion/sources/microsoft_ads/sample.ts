/** Microsoft Advertising in the sample: one account, its rows as the campaign performance report's CSV holds them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { isPausedAsOf, nameAsOf } from "../sample/generator.ts"
import { mapMicrosoftReportRow } from "./mapping.ts"
import { MICROSOFT_API_LOOKBACK_DAYS } from "./source.ts"

export const microsoftSample: SamplePlatform = {
  platform: "microsoft_ads",
  accounts: [{ index: 9, id: "180012345", name: "Acme Europe (Microsoft)", currency: "EUR", timeZone: "Europe/Paris" }],
  lookbackDays: MICROSOFT_API_LOOKBACK_DAYS,
  pageSize: 1000,
  // Search traffic at about a fifth of Google's.
  row: (account, campaign, day, stats, asOfDay) => ({
    AccountId: account.id,
    AccountName: account.name,
    CampaignId: campaign.id,
    CampaignName: nameAsOf(campaign, asOfDay),
    CampaignStatus: isPausedAsOf(campaign, asOfDay) ? "Paused" : "Active",
    TimePeriod: day,
    Impressions: String(Math.round(stats.impressions / 5)),
    Clicks: String(Math.round(stats.linkClicks / 5)),
    Spend: (stats.spend / 5).toFixed(2),
    Conversions: (stats.conversions / 5).toFixed(2),
    Revenue: (stats.conversionValue / 5).toFixed(2),
    CurrencyCode: account.currency
  }),
  map: mapMicrosoftReportRow
}
