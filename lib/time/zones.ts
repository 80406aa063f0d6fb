import { zoneAliases } from './zone-aliases.ts'

/**
 * Time-zone math for the whole plugin: recognising a zone name, the offset
 * of a zone at an instant, wall-clock time ↔ instant. Both the request's
 * range (`export/range.ts`) and the renderers (`render/`) use it.
 *
 * Every `Intl.DateTimeFormat` construction costs native memory that garbage
 * collection does not give back, so a name from a request is never handed to
 * `Intl` directly: it is looked up (case-insensitively) among the names known
 * when this module loads, and formatters exist once per ICU zone — a set as
 * finite as the zone list.
 */

export interface KnownZone {
  /** the zone's name as the tz database spells it (what the request meant, case corrected) */
  name: string
  /** the ICU zone it stands for (an alias and its target share one) */
  icuZone: string
}

const knownZones = new Map<string, KnownZone>()
for (const name of Intl.supportedValuesOf('timeZone')) knownZones.set(name.toLowerCase(), { name, icuZone: name })
for (const [name, icuZone] of zoneAliases) {
  if (!knownZones.has(name.toLowerCase())) knownZones.set(name.toLowerCase(), { name, icuZone })
}

/** The zone a request names, in any letter case, or `null` when it is not a zone this server knows. */
export function findZone (name: string): KnownZone | null {
  const zone = knownZones.get(name.toLowerCase())
  return zone !== undefined && zoneFormatter(zone.icuZone) !== null ? zone : null
}

/** One formatter per ICU zone (`null`: this Node's ICU lacks it), created on first use. */
const formatters = new Map<string, Intl.DateTimeFormat | null>()

function zoneFormatter (icuZone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(icuZone)
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: icuZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit'
      })
    /* c8 ignore next 3 -- only an older ICU than the one zone-aliases.ts was generated with lacks a zone */
    } catch {
      formatter = null
    }
    formatters.set(icuZone, formatter)
  }
  return formatter
}

/** Resolves a zone name the caller has already checked with `findZone` (or a literal like 'UTC'). */
function formatterFor (zoneName: string): Intl.DateTimeFormat {
  const zone = findZone(zoneName)
  if (zone === null) throw new RangeError(`unknown time zone ${JSON.stringify(zoneName)}`)
  return zoneFormatter(zone.icuZone)!
}

/** Milliseconds to add to a UTC instant (whole seconds count) to get the wall-clock time in the zone. */
function offsetAt (formatter: Intl.DateTimeFormat, instant: number): number {
  const parts: Record<string, number> = {}
  for (const part of formatter.formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  return wallClock - Math.floor(instant / 1000) * 1000
}

/**
 * The UTC instant at which the wall clock in the zone shows `wallClock`
 * (given as if it were UTC). Zones change offset at most once within a day,
 * so the offsets a day before and a day after are the only candidates. As in
 * Temporal's "compatible" mode, a time shown twice (clocks set back) is its
 * earlier instant, and a time skipped (clocks set forward) is read with the
 * offset from before the jump.
 */
export function wallClockToInstant (wallClock: number, zoneName: string): number {
  const formatter = formatterFor(zoneName)
  const offsetBefore = offsetAt(formatter, wallClock - 86_400_000)
  const offsetAfter = offsetAt(formatter, wallClock + 86_400_000)
  const valid = [wallClock - offsetBefore, wallClock - offsetAfter]
    .filter((instant) => instant + offsetAt(formatter, instant) === wallClock)
  return valid.length > 0 ? Math.min(...valid) : wallClock - offsetBefore
}

const hour = 3_600_000

/**
 * The offset of one zone at any instant, for rendering many. `formatToParts` is the slow
 * part, so offsets are remembered per UTC hour: when the offsets at both ends
 * of an hour agree, no change happens inside it (zones never change twice in
 * an hour); when they differ, the change is found to the second by bisection,
 * wherever it falls — St John's changed at hh:31 UTC, Casey at odd minutes.
 */
export function createZoneOffsets (zoneName: string): (ms: number) => number {
  const formatter = formatterFor(zoneName)
  let spanStart = Number.NaN
  let spanEnd = Number.NaN
  let spanOffset = 0
  const remember = (start: number, end: number, offset: number) => {
    spanStart = start
    spanEnd = end
    spanOffset = offset
  }
  const offsetFor = (ms: number): number => {
    if (ms >= spanStart && ms < spanEnd) return spanOffset
    const hourStart = Math.floor(ms / hour) * hour
    const startOffset = offsetAt(formatter, hourStart)
    const endOffset = offsetAt(formatter, hourStart + hour)
    if (startOffset === endOffset) {
      remember(hourStart, hourStart + hour, startOffset)
    } else {
      // The first whole second showing the new offset lies in (low, high].
      let low = hourStart / 1000
      let high = (hourStart + hour) / 1000
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2)
        if (offsetAt(formatter, middle * 1000) === startOffset) low = middle
        else high = middle
      }
      const change = high * 1000
      if (ms < change) remember(hourStart, change, startOffset)
      else remember(change, hourStart + hour, endOffset)
    }
    return spanOffset
  }
  return offsetFor
}
