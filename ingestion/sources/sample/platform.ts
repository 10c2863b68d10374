/**
 * What the sample needs of a platform to stand in for it: its sample accounts, how one campaign's
 * day looks in the platform's own response, and the mapping the live client uses. A platform's
 * folder keeps its own (`<platform>/sample.ts`); `source.ts` lists them.
 */
import type { FetchedRecord } from "../../core/model.ts"
import type { DailyStats, SampleAccount, SampleCampaign } from "./generator.ts"

export interface SamplePlatform {
  readonly platform: string
  /** Indexes unique across every platform's sample accounts: they seed the numbers. */
  readonly accounts: ReadonlyArray<SampleAccount>
  readonly lookbackDays: number
  /** Rows per page, as the API pages them. */
  readonly pageSize: number
  readonly row: (account: SampleAccount, campaign: SampleCampaign, day: string, stats: DailyStats, asOfDay: string) => unknown
  readonly map: (accountId: string, row: unknown) => FetchedRecord
}
