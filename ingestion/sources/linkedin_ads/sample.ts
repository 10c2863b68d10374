/** LinkedIn Ads in the sample: one ad account, its analytics elements as `adAnalytics` sends them. */
import type { SamplePlatform } from "../sample/platform.ts"
import { sampleNames } from "../sample/generator.ts"
import { mapLinkedInElement } from "./mapping.ts"
import { LINKEDIN_LOOKBACK_DAYS } from "./source.ts"

const dayParts = (day: string) => {
  const [year, month, date] = day.split("-").map(Number)
  return { year: year!, month: month!, day: date! }
}

export const linkedinSample: SamplePlatform = {
  platform: "linkedin_ads",
  accounts: [{ index: 6, id: "508123456", name: "Acme Europe (LinkedIn)", currency: "EUR", timeZone: "UTC" }],
  lookbackDays: LINKEDIN_LOOKBACK_DAYS,
  pageSize: 1000,
  row: (account, campaign, day, stats, asOfDay) => ({
    pivotValues: [`urn:li:sponsoredCampaign:${campaign.id}`],
    dateRange: { start: dayParts(day), end: dayParts(day) },
    // B2B: fewer, dearer clicks than the social platforms'.
    impressions: Math.round(stats.impressions / 4),
    clicks: Math.round(stats.linkClicks / 4),
    costInLocalCurrency: (stats.spend / 2).toFixed(2),
    externalWebsiteConversions: Math.round(stats.conversions / 4),
    conversionValueInLocalCurrency: (stats.conversionValue / 3).toFixed(2),
    ...sampleNames(account, campaign, asOfDay)
  }),
  map: mapLinkedInElement
}
