/** Snapchat Ads in the settings (`sources.snapchat_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const SnapchatAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^[0-9a-f-]{36}$/))),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** Snapchat's default attribution is 28 days after a swipe. */
export const SNAPCHAT_LOOKBACK_DAYS = 28

export const platformSource: PlatformSource<typeof SnapchatAdsSettingsSection.Type> = {
  settings: SnapchatAdsSettingsSection,
  environment: ["SNAPCHAT_ACCESS_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { makeSnapchatAdsSource, snapchatAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* snapchatAdsCredentials.pipe(Effect.mapError(missingCredentials("snapchat_ads")))
      return makeSnapchatAdsSource({ accountIds: section.account_ids, lookbackDays: section.lookback_days ?? SNAPCHAT_LOOKBACK_DAYS }, credentials, yield* nodeHttpClient)
    })
}
