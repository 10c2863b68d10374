/**
 * Deterministic, realistic advertising statistics for the embedded default and the benchmarks.
 * Every value is a pure function of (seed, account, campaign, day, as-of day): re-fetching a day
 * gives the same row, except that conversions keep maturing over the platform's look-back (Meta's
 * 28 days), as real conversions do and as the platforms restate them. Weekday seasonality,
 * plausible CTR/CPC/CVR per channel, campaigns that get paused or renamed on fixed dates (so
 * attribute history exists), two currencies. Rows are emitted in each API's own
 * response shape: Google Ads REST searchStream batches and Meta Graph API insights pages.
 */
import { addDays, daysBetween } from "../../core/dates.ts"
import type { AccountInfo } from "../../core/model.ts"

const mix = (h: number, part: number): number => {
  h = Math.imul(h ^ (part | 0), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** splitmix32-style integer hash → [0, 1). */
const unit = (...parts: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const part of parts) h = mix(h, part)
  return (h >>> 0) / 4294967296
}

const between = (low: number, high: number, ...parts: ReadonlyArray<number>): number => low + (high - low) * unit(...parts)

/**
 * `unit(seed, account, campaign, day, salt)` without the rest-parameter array: every row draws
 * several, and the arrays were a sixth of the benchmark's garbage, which a real API's JSON does
 * not make and whose collection was charged to ingestion.
 */
const dayUnit = (seed: number, account: number, campaign: number, day: number, salt: number): number =>
  (mix(mix(mix(mix(mix(0x9e3779b9, seed), account), campaign), day), salt) >>> 0) / 4294967296

const EPOCH = "2020-01-01"
// Every row needs its day's number; parsing the date each time was a tenth of the generator's cost.
const dayNumbers = new Map<string, number>()
const dayNumber = (day: string): number => {
  let n = dayNumbers.get(day)
  if (n === undefined) {
    n = daysBetween(EPOCH, day)
    dayNumbers.set(day, n)
  }
  return n
}

export interface SampleAccount extends AccountInfo {
  readonly index: number
}

export const sampleAccounts: Readonly<Record<"google_ads" | "meta_ads", ReadonlyArray<SampleAccount>>> = {
  google_ads: [
    { index: 1, id: "1234567890", name: "Acme Europe (Google)", currency: "EUR", timeZone: "Europe/Paris" },
    { index: 2, id: "2345678901", name: "Acme US (Google)", currency: "USD", timeZone: "America/New_York" }
  ],
  meta_ads: [
    { index: 3, id: "3456789012", name: "Acme Europe (Meta)", currency: "EUR", timeZone: "Europe/Paris" },
    { index: 4, id: "4567890123", name: "Acme US (Meta)", currency: "USD", timeZone: "America/Los_Angeles" }
  ]
}

interface Channel {
  readonly name: string
  readonly impressions: readonly [number, number]
  readonly ctr: readonly [number, number]
  readonly cpc: readonly [number, number]
  readonly cvr: readonly [number, number]
  readonly orderValue: readonly [number, number]
}

const googleChannels: ReadonlyArray<Channel> = [
  { name: "SEARCH", impressions: [800, 6000], ctr: [0.03, 0.08], cpc: [0.6, 2.5], cvr: [0.03, 0.09], orderValue: [50, 140] },
  { name: "PERFORMANCE_MAX", impressions: [5000, 40000], ctr: [0.008, 0.02], cpc: [0.3, 0.9], cvr: [0.02, 0.05], orderValue: [45, 120] },
  { name: "DISPLAY", impressions: [10000, 80000], ctr: [0.002, 0.006], cpc: [0.2, 0.6], cvr: [0.005, 0.015], orderValue: [40, 100] },
  { name: "VIDEO", impressions: [8000, 50000], ctr: [0.002, 0.005], cpc: [0.1, 0.4], cvr: [0.003, 0.01], orderValue: [40, 100] }
]

const metaObjectives: ReadonlyArray<Channel> = [
  { name: "Prospecting", impressions: [10000, 60000], ctr: [0.006, 0.012], cpc: [0.4, 1.2], cvr: [0.01, 0.03], orderValue: [40, 110] },
  { name: "Retargeting", impressions: [2000, 12000], ctr: [0.01, 0.02], cpc: [0.5, 1.5], cvr: [0.03, 0.07], orderValue: [50, 130] },
  { name: "Catalog sales", impressions: [6000, 30000], ctr: [0.008, 0.015], cpc: [0.3, 0.9], cvr: [0.02, 0.05], orderValue: [45, 120] }
]

const themes = ["Brand", "Shoes", "Summer Sale", "Outdoor", "Running", "Gifts", "Kids", "Clearance", "New Arrivals", "Loyalty"]

export interface SampleCampaign {
  readonly index: number
  readonly id: string
  readonly channel: Channel
  readonly baseImpressions: number
  readonly ctr: number
  readonly cpc: number
  readonly cvr: number
  readonly orderValue: number
  /** Delivers until the day before, then PAUSED (when the as-of day has reached it). */
  readonly pauseDay?: string
  /** Renamed from this day on. */
  readonly renameDay?: string
  readonly name: string
  readonly newName: string
}

/** Share of campaign-days with delivery over a year (paused campaigns stop delivering): sizes a sample to a row count. */
export const SAMPLE_DELIVERY = 0.93

/**
 * An account's campaigns: the search platforms' by channel, every other platform's by objective
 * (the social platforms' shape). Ids are the platform's own kind of number (`campaignIdBase`, digits).
 */
export const sampleCampaigns = (seed: number, account: SampleAccount, platform: string, count: number): ReadonlyArray<SampleCampaign> =>
  Array.from({ length: count }, (_, index) => {
    const search = platform === "google_ads" || platform === "microsoft_ads"
    const channels = search ? googleChannels : metaObjectives
    const channel = channels[Math.floor(unit(seed, account.index, index, 1) * channels.length)]!
    const theme = themes[Math.floor(unit(seed, account.index, index, 2) * themes.length)]!
    const draw = (range: readonly [number, number], salt: number) => between(range[0], range[1], seed, account.index, index, salt)
    // About one campaign in six is paused on a fixed day, one in eight renamed.
    const pauseDay = unit(seed, account.index, index, 9) < 0.17 ? addDays("2026-09-01", Math.floor(unit(seed, account.index, index, 10) * 80)) : undefined
    const renameDay = unit(seed, account.index, index, 11) < 0.125 ? addDays("2026-09-15", Math.floor(unit(seed, account.index, index, 12) * 60)) : undefined
    const name = search ? `${theme} | ${channel.name.toLowerCase().replace("_", " ")} | ${index + 1}` : `${channel.name} - ${theme} ${index + 1}`
    return {
      index,
      id: campaignId(platform, account.index * 100_000 + index),
      channel,
      baseImpressions: draw(channel.impressions, 3),
      ctr: draw(channel.ctr, 4),
      cpc: draw(channel.cpc, 5),
      cvr: draw(channel.cvr, 6),
      orderValue: draw(channel.orderValue, 7),
      ...(pauseDay === undefined ? {} : { pauseDay }),
      ...(renameDay === undefined ? {} : { renameDay }),
      name,
      newName: `${name} (2026)`
    }
  })

/** Campaign ids as each platform writes them (TikTok's and Snapchat's overflow a double: kept as digits). */
const campaignId = (platform: string, n: number): string => {
  switch (platform) {
    case "google_ads":
      return String(20_000_000_000 + n)
    case "meta_ads":
      return String(23_850_000_000_000 + n)
    case "microsoft_ads":
      return String(500_000_000 + n)
    default:
      return `17${String(n).padStart(17, "0")}`
  }
}

// Monday-based weekday multipliers: weekends are quieter.
const weekday = [1.05, 1.08, 1.06, 1.02, 0.95, 0.78, 0.74]

export interface DailyStats {
  readonly impressions: number
  readonly clicks: number
  readonly linkClicks: number
  readonly spend: number
  readonly conversions: number
  readonly conversionValue: number
}

/** One campaign's day, or undefined when it did not deliver. */
/** `settleDays`: how long the platform keeps revising a day's conversions (its look-back). */
export const dailyStats = (seed: number, account: SampleAccount, campaign: SampleCampaign, day: string, asOfDay: string, settleDays = 7): DailyStats | undefined => {
  if (campaign.pauseDay !== undefined && day >= campaign.pauseDay) return undefined
  const n = dayNumber(day)
  const dow = (((n + 2) % 7) + 7) % 7 // 2020-01-01 was a Wednesday
  const noise = (salt: number) => 0.85 + (1.15 - 0.85) * dayUnit(seed, account.index, campaign.index, n, salt)
  const growth = 1 + 0.0004 * Math.min(n, 3000)
  const impressions = Math.max(0, Math.round(campaign.baseImpressions * weekday[dow]! * growth * noise(1)))
  if (impressions === 0) return undefined
  const linkClicks = Math.min(impressions, Math.round(impressions * campaign.ctr * noise(2)))
  const clicks = Math.min(impressions, Math.round(linkClicks * (1.1 + (1.5 - 1.1) * dayUnit(seed, account.index, campaign.index, n, 3))))
  const spend = Math.round(linkClicks * campaign.cpc * noise(4) * 100) / 100
  // Conversions keep arriving after the click, and the platform restates them, for settleDays.
  const age = dayNumber(asOfDay) - n
  const settling = Math.max(settleDays, 1)
  const maturity = age >= settling ? 1 : 0.55 + (0.45 * Math.max(age, 0)) / settling
  const conversions = Math.round(linkClicks * campaign.cvr * noise(5) * maturity * 100) / 100
  const conversionValue = Math.round(conversions * campaign.orderValue * noise(6) * 100) / 100
  return { impressions, clicks, linkClicks, spend, conversions, conversionValue }
}

/** Paused once the as-of day has reached its pause day. */
export const isPausedAsOf = (campaign: SampleCampaign, asOfDay: string): boolean => campaign.pauseDay !== undefined && asOfDay >= campaign.pauseDay
const status = (campaign: SampleCampaign, asOfDay: string): string => (isPausedAsOf(campaign, asOfDay) ? "PAUSED" : "ENABLED")
/** Money in micro-units, as most ad APIs write it. */
export const micros = (amount: number): number => Math.round(amount * 1_000_000)

/** What the connectors add to a report row from the account and the campaign list, as of a day. */
export const sampleNames = (account: SampleAccount, campaign: SampleCampaign, asOfDay: string) => ({
  account_name: account.name,
  currency: account.currency,
  campaign_name: nameAsOf(campaign, asOfDay),
  campaign_status: isPausedAsOf(campaign, asOfDay) ? "PAUSED" : "ACTIVE"
})

export const nameAsOf = (campaign: SampleCampaign, asOfDay: string): string => (campaign.renameDay !== undefined && asOfDay >= campaign.renameDay ? campaign.newName : campaign.name)

/** REST searchStream rows (camelCase, int64 as strings, zero metrics omitted as proto3 JSON does). */
export const googleAdsRow = (account: SampleAccount, campaign: SampleCampaign, day: string, stats: DailyStats, asOfDay: string) => {
  const metrics: Record<string, string | number> = { impressions: String(stats.impressions) }
  if (stats.linkClicks > 0) metrics["clicks"] = String(stats.linkClicks)
  if (stats.spend > 0) metrics["costMicros"] = String(Math.round(stats.spend * 1_000_000))
  if (stats.conversions > 0) metrics["conversions"] = stats.conversions
  if (stats.conversionValue > 0) metrics["conversionsValue"] = stats.conversionValue
  return {
    customer: { resourceName: `customers/${account.id}`, id: account.id, descriptiveName: account.name, currencyCode: account.currency, timeZone: account.timeZone },
    campaign: {
      resourceName: `customers/${account.id}/campaigns/${campaign.id}`,
      id: campaign.id,
      name: nameAsOf(campaign, asOfDay),
      status: status(campaign, asOfDay),
      advertisingChannelType: campaign.channel.name
    },
    segments: { date: day },
    metrics
  }
}

const metaStatus = (campaign: SampleCampaign, asOfDay: string): string => (status(campaign, asOfDay) === "PAUSED" ? "PAUSED" : "ACTIVE")

/** Graph API insights rows; purchases reported under both pixel and omni action types, as Meta does. */
export const metaInsightsRow = (account: SampleAccount, campaign: SampleCampaign, day: string, stats: DailyStats, asOfDay: string) => {
  const purchases = String(Math.round(stats.conversions))
  const value = (Math.round(stats.conversions) * (stats.conversionValue / Math.max(stats.conversions, 0.01))).toFixed(2)
  const hasPurchases = Math.round(stats.conversions) > 0
  return {
    account_id: account.id,
    account_name: account.name,
    account_currency: account.currency,
    campaign_id: campaign.id,
    campaign_name: nameAsOf(campaign, asOfDay),
    impressions: String(stats.impressions),
    clicks: String(stats.clicks),
    inline_link_clicks: String(stats.linkClicks),
    spend: stats.spend.toFixed(2),
    actions: [
      { action_type: "link_click", value: String(stats.linkClicks) },
      { action_type: "landing_page_view", value: String(Math.round(stats.linkClicks * 0.8)) },
      ...(hasPurchases
        ? [
            { action_type: "offsite_conversion.fb_pixel_purchase", value: purchases },
            { action_type: "omni_purchase", value: purchases }
          ]
        : [])
    ],
    ...(hasPurchases
      ? {
          action_values: [
            { action_type: "offsite_conversion.fb_pixel_purchase", value },
            { action_type: "omni_purchase", value }
          ]
        }
      : {}),
    date_start: day,
    date_stop: day,
    campaign_effective_status: metaStatus(campaign, asOfDay)
  }
}
