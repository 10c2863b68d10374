/**
 * Microsoft Advertising in the settings (`sources.microsoft_ads`), two ways: exported campaign
 * performance reports dropped in a `folder` (the generic file connector and this declaration),
 * or the Reporting API for `account_ids` under a `customer_id` (`client.ts`). Both read the same
 * report columns, so one staging model serves both.
 */
import path from "node:path"
import { Effect, Schema } from "effect"
import { isValidTimeZone } from "../../core/dates.ts"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"
import { FileExportSettingsSection, makeFileSource, type FileSourceDefinition, type FileSourceSettings } from "../files/source.ts"
import { MicrosoftAdsReportRow } from "./schema.ts"

export const MICROSOFT_ADS = "microsoft_ads"
/** Microsoft's default click conversion window is 30 days; exports are usually re-dropped weekly. */
export const MICROSOFT_API_LOOKBACK_DAYS = 30
const EXPORT_LOOKBACK_DAYS = 7

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

const Digits = Schema.String.check(Schema.isPattern(/^\d+$/))

const ApiSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  customer_id: Digits,
  account_ids: Schema.Array(Digits),
  time_zone: Schema.optionalKey(Schema.String.check(Schema.makeFilter((zone) => isValidTimeZone(zone) || `"${zone}" is not an IANA time zone`))),
  lookback_days: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

const MicrosoftAdsSettingsSection = Schema.Union([FileExportSettingsSection, ApiSettingsSection])

const API_ENVIRONMENT = ["MICROSOFT_ADS_CLIENT_ID", "MICROSOFT_ADS_REFRESH_TOKEN", "MICROSOFT_ADS_DEVELOPER_TOKEN"]

export const platformSource: PlatformSource<typeof MicrosoftAdsSettingsSection.Type> = {
  settings: MicrosoftAdsSettingsSection,
  environmentFor: (section) => ("folder" in section ? [] : API_ENVIRONMENT),
  make: (section, context) =>
    "folder" in section
      ? Effect.succeed(
          makeFileSource(microsoftAdsDefinition, {
            folder: path.resolve(context.baseDir, section.folder),
            format: section.format ?? "csv",
            timeZone: section.time_zone ?? "UTC",
            lookbackDays: section.lookback_days ?? EXPORT_LOOKBACK_DAYS,
            spillFolder: context.scratchFolder
          })
        )
      : Effect.gen(function* () {
          const { makeMicrosoftAdsSource: makeApiSource, microsoftAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
          const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
          const credentials = yield* microsoftAdsCredentials.pipe(Effect.mapError(missingCredentials(MICROSOFT_ADS)))
          return makeApiSource(
            { customerId: section.customer_id, accountIds: section.account_ids, timeZone: section.time_zone ?? "UTC", lookbackDays: section.lookback_days ?? MICROSOFT_API_LOOKBACK_DAYS },
            credentials,
            yield* nodeHttpClient
          )
        })
}
