import { wallClockToInstant } from '../time/zones.ts'

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
