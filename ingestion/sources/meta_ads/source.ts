/** Meta Ads in the settings (`sources.meta_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const MetaAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^(act_)?\d+$/))),
  lookback_days: Schema.optionalKey(PositiveInt),
  async_after_days: Schema.optionalKey(PositiveInt)
})

export const platformSource: PlatformSource<typeof MetaAdsSettingsSection.Type> = {
  settings: MetaAdsSettingsSection,
  environment: ["META_ACCESS_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { makeMetaAdsSource, metaAdsCredentials } = yield* Effect.promise(() => import("./client.ts"))
      const credentials = yield* metaAdsCredentials.pipe(Effect.mapError(missingCredentials("meta_ads")))
      return makeMetaAdsSource(
        { accountIds: section.account_ids, lookbackDays: section.lookback_days ?? 28, ...(section.async_after_days === undefined ? {} : { asyncAfterDays: section.async_after_days }) },
        credentials
      )
    })
}
