/** Reddit Ads in the settings (`sources.reddit_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const RedditAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]+$/))),
  lookback_days: Schema.optionalKey(PositiveInt)
})

/** Reddit's default click attribution window is 28 days. */
export const REDDIT_LOOKBACK_DAYS = 28

export const platformSource: PlatformSource<typeof RedditAdsSettingsSection.Type> = {
  settings: RedditAdsSettingsSection,
  environment: ["REDDIT_ADS_CLIENT_ID", "REDDIT_ADS_CLIENT_SECRET", "REDDIT_ADS_REFRESH_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { makeRedditAdsSource, redditAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* redditAdsCredentials.pipe(Effect.mapError(missingCredentials("reddit_ads")))
      return makeRedditAdsSource({ accountIds: section.account_ids, lookbackDays: section.lookback_days ?? REDDIT_LOOKBACK_DAYS }, credentials, yield* nodeHttpClient)
    })
}
