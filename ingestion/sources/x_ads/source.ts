/** X Ads in the settings (`sources.x_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const XAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^[a-z0-9]+$/))),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** X's default attribution after an engagement is 14 days. */
export const X_LOOKBACK_DAYS = 14

export const platformSource: PlatformSource<typeof XAdsSettingsSection.Type> = {
  settings: XAdsSettingsSection,
  environment: ["X_ADS_CONSUMER_KEY", "X_ADS_CONSUMER_SECRET", "X_ADS_ACCESS_TOKEN", "X_ADS_ACCESS_TOKEN_SECRET"],
  make: (section) =>
    Effect.gen(function* () {
      const { makeXAdsSource, xAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* xAdsCredentials.pipe(Effect.mapError(missingCredentials("x_ads")))
      return makeXAdsSource({ accountIds: section.account_ids, lookbackDays: section.lookback_days ?? X_LOOKBACK_DAYS }, credentials, yield* nodeHttpClient)
    })
}
