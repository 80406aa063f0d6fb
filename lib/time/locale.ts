import { createZoneOffsets } from './zones.ts'

/**
 * Dates and times as a reader of one language expects them, in the export's
 * zone. Formatters are built in UTC and fed the zone's wall-clock time (from
 * `createZoneOffsets`), so there is one set per language, not per language and zone.
 * A language from a user record is reduced to language and region before it
 * reaches `Intl` — extensions would make the set of formatters unbounded.
 */
export interface DateLabels {
  language: string
  zone: string
  /** e.g. "Thursday, March 21, 2024" */
  day: (instant: Date) => string
  /** e.g. "9:01 AM" */
  time: (instant: Date) => string
  /** e.g. "Mar 21, 2024, 9:01 AM" */
  dateTime: (instant: Date) => string
  /** a Rocket.Chat `<t:…:f>` timestamp in one of its formats (t T d D f F R) */
  timestamp: (instant: Date, format: string) => string
  /** the wall-clock time (ms read as UTC) and day (YYYY-MM-DD) of an instant: the per-message fast path */
  wallDay: (instant: Date) => { wall: number, day: string }
  /** `time` of a wall-clock time from `wallDay` */
  timeAt: (wall: number) => string
}

interface LanguageFormatters {
  day: Intl.DateTimeFormat
  time: Intl.DateTimeFormat
  timeWithSeconds: Intl.DateTimeFormat
  shortDate: Intl.DateTimeFormat
  dateTime: Intl.DateTimeFormat
  fullDateTime: Intl.DateTimeFormat
}

const formattersByLanguage = new Map<string, LanguageFormatters>()

/** The language a user record asks for, as `Intl` supports it (`en` otherwise). */
export function resolveLanguage (requested: string | undefined): string {
  if (requested === undefined || requested === '') return 'en'
  try {
    const locale = new Intl.Locale(requested.replace(/_/g, '-'))
    const base = locale.region === undefined ? locale.language : `${locale.language}-${locale.region}`
    return Intl.DateTimeFormat.supportedLocalesOf([base])[0] ?? 'en'
  } catch {
    return 'en'
  }
}

function formattersFor (language: string): LanguageFormatters {
  let formatters = formattersByLanguage.get(language)
  if (formatters === undefined) {
    const format = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(language, { ...options, timeZone: 'UTC' })
    formatters = {
      day: format({ dateStyle: 'full' }),
      time: format({ timeStyle: 'short' }),
      timeWithSeconds: format({ timeStyle: 'medium' }),
      shortDate: format({ dateStyle: 'short' }),
      dateTime: format({ dateStyle: 'medium', timeStyle: 'short' }),
      fullDateTime: format({ dateStyle: 'full', timeStyle: 'short' })
    }
    formattersByLanguage.set(language, formatters)
  }
  return formatters
}

/** Labels for one export: `language` as `resolveLanguage` returned it, `zone` a name `findZone` accepted. */
export function createDateLabels (language: string, zone: string): DateLabels {
  const offsetAt = createZoneOffsets(zone)
  const formatters = formattersFor(language)
  const wall = (instant: Date) => {
    const ms = instant.getTime()
    return ms + offsetAt(ms)
  }
  // A short time depends on the wall clock's minute of day alone (the formatter runs in UTC, fed wall time):
  // 1,440 labels at most, each formatted once. Messages come in time order: the last day's label is reused.
  const timesOfDay: string[] = []
  let lastDayNumber = Number.NaN
  let lastDay = ''
  const timeAt = (shifted: number) => {
    const minuteOfDay = ((Math.floor(shifted / 60_000) % 1440) + 1440) % 1440
    timesOfDay[minuteOfDay] ??= formatters.time.format(shifted)
    return timesOfDay[minuteOfDay]
  }
  return {
    language,
    zone,
    wallDay: (instant) => {
      const shifted = wall(instant)
      const dayNumber = Math.floor(shifted / 86_400_000)
      if (dayNumber !== lastDayNumber) {
        lastDayNumber = dayNumber
        lastDay = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10)
      }
      return { wall: shifted, day: lastDay }
    },
    timeAt,
    day: (instant) => formatters.day.format(wall(instant)),
    time: (instant) => timeAt(wall(instant)),
    dateTime: (instant) => formatters.dateTime.format(wall(instant)),
    timestamp: (instant, format) => {
      const shifted = wall(instant)
      switch (format) {
        case 't': return formatters.time.format(shifted)
        case 'T': return formatters.timeWithSeconds.format(shifted)
        case 'd': return formatters.shortDate.format(shifted)
        case 'D': return formatters.day.format(shifted)
        case 'F': return formatters.fullDateTime.format(shifted)
        // 'f', and 'R' (relative to the moment of reading in Rocket.Chat; an archive is read later, so it shows the date)
        default: return formatters.dateTime.format(shifted)
      }
    }
  }
}
