import { Temporal } from 'temporal-polyfill'
import t from 'tap'
import { createZoneOffsets, findZone } from '../lib/time/zones.ts'

/** The wall-clock time of an instant in a zone, as YYYY-MM-DDTHH:MM:SS. */
const wallClock = (offsetAt: (ms: number) => number, instant: number) => new Date(instant + offsetAt(instant)).toISOString().slice(0, 19)

/**
 * The render clock against an independent reference: at every offset change of
 * every zone from 1970 to 2037, the second before, the change itself and the
 * second after show the wall clock Temporal computes.
 */
t.test('display times are exact at every offset change of every zone, 1970–2037', async (t) => {
  const start = Temporal.Instant.from('1970-01-01T00:00:00Z')
  const end = Temporal.Instant.from('2038-01-01T00:00:00Z').epochMilliseconds
  let transitions = 0
  const wrong: string[] = []
  for (const zoneName of Intl.supportedValuesOf('timeZone')) {
    const offsetAt = createZoneOffsets(zoneName)
    let cursor: Temporal.ZonedDateTime | null = start.toZonedDateTimeISO(zoneName)
    while ((cursor = cursor.getTimeZoneTransition('next')) !== null && cursor.epochMilliseconds < end) {
      transitions++
      for (const delta of [-1000, -1, 0, 1000, 59_000]) {
        const instant = cursor.epochMilliseconds + delta
        const expected = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zoneName).toPlainDateTime().toString({ smallestUnit: 'second' })
        const shown = wallClock(offsetAt, instant)
        if (shown !== expected) wrong.push(`${zoneName} ${new Date(instant).toISOString()}: ${shown}, expected ${expected}`)
      }
    }
  }
  t.ok(transitions > 10_000, `${transitions} transitions checked`)
  t.same(wrong.slice(0, 10), [], `${wrong.length} wrong`)
})

t.test('the St John\'s change at 03:31 UTC', async (t) => {
  t.equal(wallClock(createZoneOffsets('America/St_Johns'), Date.parse('2010-03-14T03:31:01Z')), '2010-03-14T01:01:01')
})

t.test('zone names are recognised in any letter case, aliases included, unknown ones refused', async (t) => {
  t.same(findZone('europe/BERLIN'), { name: 'Europe/Berlin', icuZone: 'Europe/Berlin' })
  t.same(findZone('america/argentina/comodrivadavia'), { name: 'America/Argentina/ComodRivadavia', icuZone: 'America/Catamarca' })
  t.same(findZone('UTC'), { name: 'UTC', icuZone: 'UTC' })
  t.equal(findZone('Mars/Olympus_Mons'), null)
  t.equal(findZone('Factory'), null)
  t.throws(() => createZoneOffsets('Mars/Olympus_Mons'), RangeError)
})
