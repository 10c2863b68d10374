/** Google Ads in the settings (`sources.google_ads`): customer accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const CustomerId = Schema.String.check(Schema.isPattern(/^\d{3}-?\d{3}-?\d{4}$/))

const GoogleAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  customer_ids: Schema.Array(CustomerId),
  login_customer_id: Schema.optionalKey(CustomerId),
  lookback_days: Schema.optionalKey(PositiveInt),
  rows_per_request: Schema.optionalKey(PositiveInt)
})

export const platformSource: PlatformSource<typeof GoogleAdsSettingsSection.Type> = {
  settings: GoogleAdsSettingsSection,
  environment: ["GOOGLE_ADS_CLIENT_ID", "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_REFRESH_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      // google-ads-api takes about 2 s to load: only a run that reads Google Ads pays for it.
      const { googleAdsCredentials, makeGoogleAdsSource } = yield* Effect.promise(() => import("./client.ts"))
      const credentials = yield* googleAdsCredentials.pipe(Effect.mapError(missingCredentials("google_ads")))
      return makeGoogleAdsSource(
        {
          customerIds: section.customer_ids,
          lookbackDays: section.lookback_days ?? 14,
          ...(section.login_customer_id === undefined ? {} : { loginCustomerId: section.login_customer_id }),
          ...(section.rows_per_request === undefined ? {} : { rowsPerRequest: section.rows_per_request })
        },
        credentials
      )
    })
}
