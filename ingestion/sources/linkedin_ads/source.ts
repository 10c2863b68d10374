/** LinkedIn Ads in the settings (`sources.linkedin_ads`): ad accounts, read live through `client.ts`. */
import { Effect, Schema } from "effect"
import { missingCredentials, type PlatformSource } from "../../core/platform-source.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const LinkedInAdsSettingsSection = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  account_ids: Schema.Array(Schema.String.check(Schema.isPattern(/^\d+$/))),
  lookback_days: Schema.optionalKey(PositiveInt),
  api_version: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d{6}$/)))
})

/** LinkedIn's default post-click conversion window is 30 days. */
export const LINKEDIN_LOOKBACK_DAYS = 30

export const platformSource: PlatformSource<typeof LinkedInAdsSettingsSection.Type> = {
  settings: LinkedInAdsSettingsSection,
  environment: ["LINKEDIN_ACCESS_TOKEN"],
  make: (section) =>
    Effect.gen(function* () {
      const { linkedinAdsCredentials, makeLinkedInAdsSource } = yield* Effect.promise(() => import("./client.ts"))
      const { nodeHttpClient } = yield* Effect.promise(() => import("../../core/http-api.ts"))
      const credentials = yield* linkedinAdsCredentials.pipe(Effect.mapError(missingCredentials("linkedin_ads")))
      return makeLinkedInAdsSource(
        { accountIds: section.account_ids, lookbackDays: section.lookback_days ?? LINKEDIN_LOOKBACK_DAYS, ...(section.api_version === undefined ? {} : { apiVersion: section.api_version }) },
        credentials,
        yield* nodeHttpClient
      )
    })
}
