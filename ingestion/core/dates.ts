/** Calendar days as `YYYY-MM-DD` strings: arithmetic in UTC, "today" in an account's time zone. */

export const addDays = (day: string, days: number): string => {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

export const daysBetween = (start: string, end: string): number =>
  Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000)

export const eachDay = function* (start: string, end: string): Generator<string> {
  for (let day = start; day <= end; day = addDays(day, 1)) yield day
}

// Building an Intl.DateTimeFormat costs tens of µs, far more than formatting with it: one per zone.
const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** The calendar day it is at `epochMs` in the IANA time zone. */
export const dayInZone = (epochMs: number, timeZone: string): string => {
  let format = dayFormats.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    dayFormats.set(timeZone, format)
  }
  return format.format(new Date(epochMs))
}

export const isValidTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone })
    return true
  } catch {
    return false
  }
}

export const isIsoDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)

// One per zone too: sample sources ask for two day boundaries per row.
const offsetFormats = new Map<string, Intl.DateTimeFormat>()

/** The UTC offset (`+02:00`, `-07:00`) of the IANA zone at `epochMs`. */
const offsetAt = (epochMs: number, timeZone: string): string => {
  let format = offsetFormats.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    offsetFormats.set(timeZone, format)
  }
  const name = format.formatToParts(new Date(epochMs)).find((part) => part.type === "timeZoneName")?.value ?? "GMT"
  return name === "GMT" ? "+00:00" : name.replace("GMT", "")
}

const offsetMinutes = (offset: string): number => (offset.startsWith("-") ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)))

/**
 * Midnight starting `day` in the IANA zone, as ISO 8601 with the zone's offset then
 * (`2024-05-01T00:00:00.000-07:00`): what APIs that take local day boundaries expect.
 */
export const midnightInZone = (day: string, timeZone: string): string => {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`)
  // The offset at local midnight: guessed from UTC midnight, then read again where that puts it
  // (they differ only when a change of offset falls between the two).
  const offset = offsetAt(utcMidnight - offsetMinutes(offsetAt(utcMidnight, timeZone)) * 60_000, timeZone)
  return `${day}T00:00:00.000${offset}`
}
