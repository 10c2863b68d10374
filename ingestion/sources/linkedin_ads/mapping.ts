/** LinkedIn analytics element → raw record, for the live client and the sample alike. */
import { recordFromRow } from "../../core/checks.ts"
import type { FetchedRecord } from "../../core/model.ts"
import { CAMPAIGN_URN, LinkedInAnalyticsElement } from "./schema.ts"

const two = (n: number) => String(n).padStart(2, "0")

export const mapLinkedInElement = (accountId: string, row: unknown): FetchedRecord =>
  recordFromRow(LinkedInAnalyticsElement, row, (element) => ({
    accountId,
    campaignId: CAMPAIGN_URN.exec(element.pivotValues[0])![1]!,
    date: `${element.dateRange.start.year}-${two(element.dateRange.start.month)}-${two(element.dateRange.start.day)}`,
    metrics: { impressions: element.impressions, clicks: element.clicks, spend: Number(element.costInLocalCurrency), currency: element.currency }
  }))
