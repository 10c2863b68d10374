/** Microsoft Advertising from exported reports: the whole connector is this declaration. */
import { fileExportPlatform, makeFileSource, type FileSourceDefinition, type FileSourceSettings } from "../files/source.ts"
import { MicrosoftAdsReportRow } from "./schema.ts"

export const MICROSOFT_ADS = "microsoft_ads"

export const microsoftAdsDefinition: FileSourceDefinition<MicrosoftAdsReportRow> = {
  name: MICROSOFT_ADS,
  schema: MicrosoftAdsReportRow,
  accountIdOf: (row) => (typeof row["AccountId"] === "string" ? row["AccountId"] : undefined),
  keyOf: (row) => `${String(row["CampaignId"])}\u0000${String(row["TimePeriod"])}`,
  toRecord: (row) => ({
    account: { id: row.AccountId, name: row.AccountName, currency: row.CurrencyCode },
    campaignId: row.CampaignId,
    date: row.TimePeriod,
    metrics: { impressions: Number(row.Impressions), clicks: Number(row.Clicks), spend: Number(row.Spend), currency: row.CurrencyCode }
  })
}

export const makeMicrosoftAdsSource = (settings: FileSourceSettings) => makeFileSource(microsoftAdsDefinition, settings)

export const platformSource = fileExportPlatform(microsoftAdsDefinition, 7)
