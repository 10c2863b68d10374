/** Raw rows as ingestion writes them, for tests that load the raw tables directly with SQL. */
import { createHash } from "node:crypto"

/** An INSERT of one raw row: the envelope (the record hash is the SHA-256 of the payload's JSON) and the payload. */
export const rawRow = (platform: string, run: string, ingestedAt: string, accountId: string, campaignId: string | null, date: string, payload: unknown): string =>
  `INSERT INTO raw.${platform}__campaign_daily VALUES ('${run}', TIMESTAMPTZ '${ingestedAt}', '${platform}', 'campaign_daily', '${accountId}', DATE '${date}', DATE '${date}', '${createHash("sha256").update(JSON.stringify(payload)).digest("hex")}', 1, '${accountId}', ${campaignId === null ? "NULL" : `'${campaignId}'`}, DATE '${date}', '${JSON.stringify(payload).replaceAll("'", "''")}')`

/** A Google Ads searchStream row (campaign 1 "Brand" unless given). */
export const googlePayload = (date: string, currency: string, metrics: Record<string, unknown>, campaign: { readonly id: string; readonly name: string } = { id: "1", name: "Brand" }) => ({
  customer: { id: "111", descriptiveName: "Acme EU", currencyCode: currency, timeZone: "Europe/Paris" },
  campaign: { id: campaign.id, name: campaign.name, status: "ENABLED", advertisingChannelType: "SEARCH" },
  segments: { date },
  metrics
})

/** A Meta insights row of the USD account 222 (campaign 9 "Prospecting" unless the fields say otherwise). */
export const metaPayload = (date: string, fields: Record<string, unknown>) => ({
  account_id: "222",
  account_name: "Acme US",
  account_currency: "USD",
  campaign_id: "9",
  campaign_name: "Prospecting",
  date_start: date,
  date_stop: date,
  campaign_effective_status: "ACTIVE",
  ...fields
})
