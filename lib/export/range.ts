/**
 * Turns the request's `dateFrom`/`dateTo`/`timezone` into the two inclusive UTC
 * instants passed to `findMessages`. Date-only bounds and date-times without an
 * offset are read as wall-clock time in `timezone`, so an export of "March 22"
 * in Europe/Berlin covers exactly Berlin's March 22, DST days included.
 */

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/

/** Shared with the request schema so the documented pattern and the parser agree. */
export const dateBoundPattern = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$'

export interface ResolvedRange {
  from: Date
  to: Date
  timezone: string
}

export class InvalidBoundError extends Error {}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>()

export function isValidTimezone (timezone: string): boolean {
  try {
    zoneFormatter(timezone)
    return true
  } catch {
    return false
  }
}

function zoneFormatter (timezone: string): Intl.DateTimeFormat {
  let formatter = offsetFormatters.get(timezone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    })
    offsetFormatters.set(timezone, formatter)
  }
  return formatter
}

/** Milliseconds to add to a UTC instant to get the wall-clock time in `timezone`. */
function zoneOffsetAt (instant: number, timezone: string): number {
  const parts: Record<string, number> = {}
  for (const part of zoneFormatter(timezone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  return wallClock - Math.floor(instant / 1000) * 1000
}

/**
 * The UTC instant at which the wall clock in `timezone` shows `wallClock`
 * (given as if it were UTC). Zones change offset at most once within a day,
 * so the offsets a day before and a day after are the only candidates. As in
 * Temporal's "compatible" mode, a time shown twice (clocks set back) is its
 * earlier instant, and a time skipped (clocks set forward) is read with the
 * offset from before the jump.
 */
export function wallClockToInstant (wallClock: number, timezone: string): number {
  const offsetBefore = zoneOffsetAt(wallClock - 86_400_000, timezone)
  const offsetAfter = zoneOffsetAt(wallClock + 86_400_000, timezone)
  const valid = [wallClock - offsetBefore, wallClock - offsetAfter]
    .filter((instant) => instant + zoneOffsetAt(instant, timezone) === wallClock)
  return valid.length > 0 ? Math.min(...valid) : wallClock - offsetBefore
}

function checkedUtc (year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
  const value = Date.UTC(year, month - 1, day, hour, minute, second, millisecond)
  const date = new Date(value)
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day ||
      hour > 23 || minute > 59 || second > 59) {
    throw new InvalidBoundError('is not a real calendar date/time')
  }
  return value
}

/** `end` true: a date-only bound means the last millisecond of that day. */
export function parseBound (value: string, timezone: string, end: boolean): Date {
  const date = datePattern.exec(value)
  if (date !== null) {
    const [year, month, day] = date.slice(1).map(Number)
    const dayStart = checkedUtc(year, month, day)
    if (!end) return new Date(wallClockToInstant(dayStart, timezone))
    const nextDayStart = dayStart + 86_400_000
    return new Date(wallClockToInstant(nextDayStart, timezone) - 1)
  }
  const dateTime = dateTimePattern.exec(value)
  if (dateTime === null) throw new InvalidBoundError('must be YYYY-MM-DD or an ISO 8601 date-time')
  const [year, month, day, hour, minute] = dateTime.slice(1, 6).map(Number)
  const second = Number(dateTime[6] ?? 0)
  const millisecond = Number((dateTime[7] ?? '0').padEnd(3, '0'))
  const wallClock = checkedUtc(year, month, day, hour, minute, second, millisecond)
  const zone = dateTime[8]
  if (zone === undefined) return new Date(wallClockToInstant(wallClock, timezone))
  if (zone === 'Z') return new Date(wallClock)
  const sign = zone.startsWith('-') ? -1 : 1
  const [offsetHours, offsetMinutes] = zone.slice(1).split(':').map(Number)
  if (offsetHours > 23 || offsetMinutes > 59) throw new InvalidBoundError('has an impossible UTC offset')
  return new Date(wallClock - sign * (offsetHours * 60 + offsetMinutes) * 60_000)
}

/** Missing `dateFrom` is the beginning of time for a chat server: the Unix epoch. */
export const beginning = new Date(0)

/**
 * Wall-clock day and time of instants in one zone, for rendering. Zone offsets
 * only change on quarter-hour UTC instants, so the offset is looked up once per
 * quarter hour instead of once per message (formatToParts is the slow part).
 */
export type ZoneClock = (instant: Date) => { day: string, time: string }

export function createZoneClock (timezone: string): ZoneClock {
  const quarterHour = 900_000
  let cachedQuarter = Number.NaN
  let cachedOffset = 0
  return (instant) => {
    const ms = instant.getTime()
    const quarter = Math.floor(ms / quarterHour)
    if (quarter !== cachedQuarter) {
      cachedQuarter = quarter
      cachedOffset = zoneOffsetAt(ms, timezone)
    }
    const iso = new Date(ms + cachedOffset).toISOString()
    return { day: iso.slice(0, 10), time: iso.slice(11, 19) }
  }
}
