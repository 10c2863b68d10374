/** TikTok Ads in the settings (`sources.tiktok_ads`): advertisers, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const TikTokAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  advertiser_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^\d+$/))),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** TikTok's default attribution window is 7 days after a click: those days keep changing. */
export const TIKTOK_LOOKBACK_DAYS = 7

export const platformSource: PlatformSource<typeof TikTokAdsSettingsSection.Type> = {
  settings: TikTokAdsSettingsSection,
  environment: ["TIKTOK_ACCESS_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { makeTikTokAdsSource, tiktokAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* tiktokAdsCredentials.pipe(Effect.mapError(missingCredentials("tiktok_ads")))
      return makeTikTokAdsSource({ advertiserIds: section.advertiser_ids, lookbackDays: section.lookback_days ?? TIKTOK_LOOKBACK_DAYS }, credentials, yield* nodeHttpClient)
    })
}
