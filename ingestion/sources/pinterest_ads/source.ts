/** Pinterest Ads in the settings (`sources.pinterest_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const PinterestAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^\d+$/))),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** Pinterest's default click attribution window is 30 days. */
export const PINTEREST_LOOKBACK_DAYS = 30

export const platformSource: PlatformSource<typeof PinterestAdsSettingsSection.Type> = {
  settings: PinterestAdsSettingsSection,
  environment: ["PINTEREST_ACCESS_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { makePinterestAdsSource, pinterestAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* pinterestAdsCredentials.pipe(Effect.mapError(missingCredentials("pinterest_ads")))
      return makePinterestAdsSource({ accountIds: section.account_ids, lookbackDays: section.lookback_days ?? PINTEREST_LOOKBACK_DAYS }, credentials, yield* nodeHttpClient)
    })
}
