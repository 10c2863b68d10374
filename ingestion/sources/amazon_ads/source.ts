/** Amazon Ads in the settings (`sources.amazon_ads`): advertising profiles, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const AmazonAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  profile_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^\d+$/))),
  ad_products: Schema.optionalKey(Schema.Array(Schema.Literals(["SPONSORED_PRODUCTS", "SPONSORED_BRANDS", "SPONSORED_DISPLAY"]))),
  region: Schema.optionalKey(Schema.Literals(["na", "eu", "fe"])),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** Sponsored Brands and Display attribute over 14 days, and Amazon restates sales for a while after. */
export const AMAZON_LOOKBACK_DAYS = 14

const REGIONS = { na: "https://advertising-api.amazon.com", eu: "https://advertising-api-eu.amazon.com", fe: "https://advertising-api-fe.amazon.com" } as const

export const platformSource: PlatformSource<typeof AmazonAdsSettingsSection.Type> = {
  settings: AmazonAdsSettingsSection,
  environment: ["AMAZON_ADS_CLIENT_ID", "AMAZON_ADS_CLIENT_SECRET", "AMAZON_ADS_REFRESH_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { amazonAdsCredentials, makeAmazonAdsSource } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* amazonAdsCredentials.pipe(Effect.mapError(missingCredentials("amazon_ads")))
      return makeAmazonAdsSource(
        {
          profileIds: section.profile_ids,
          adProducts: section.ad_products ?? ["SPONSORED_PRODUCTS", "SPONSORED_BRANDS", "SPONSORED_DISPLAY"],
          baseUrl: REGIONS[section.region ?? "na"],
          lookbackDays: section.lookback_days ?? AMAZON_LOOKBACK_DAYS
        },
        credentials,
        yield* nodeHttpClient
      )
    })
}
