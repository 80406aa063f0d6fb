import t, { type Test } from 'tap'
import { parseBound } from '../lib/export/range.ts'
import { wallClockToInstant } from '../lib/time/zones.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, fixtureData, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

async function exportedIds (t: Test, range: object, data = fixtureData()) {
  const app = await buildApp(t, {}, data)
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json', ...range }))
  const document = JSON.parse(entries.get('general.json')!.toString())
  return { ids: document.messages.map((message: { _id: string }) => message._id), range: document.range }
}

t.test('dateTo as a date includes that whole day, to the last millisecond', async (t) => {
  const { ids, range } = await exportedIds(t, { dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  t.same(ids, ['start', 'join', 'parent', 'reply', 'edited', 'links', 'end'], 'exactly-midnight messages on both edges, hidden excluded, ascending by ts then _id')
  t.same(range, { from: '2024-03-21T00:00:00.000Z', to: '2024-03-22T23:59:59.999Z', timezone: 'UTC' })
})

t.test('a one-day range', async (t) => {
  const { ids } = await exportedIds(t, { dateFrom: '2024-03-22', dateTo: '2024-03-22' })
  t.same(ids, ['links', 'end'])
})

t.test('date-times are exact, inclusive bounds', async (t) => {
  const { ids, range } = await exportedIds(t, { dateFrom: '2024-03-21T10:00:00.000Z', dateTo: '2024-03-21T11:00Z' })
  t.same(ids, ['parent', 'reply', 'edited'])
  t.same(range, { from: '2024-03-21T10:00:00.000Z', to: '2024-03-21T11:00:00.000Z', timezone: 'UTC' })
})

t.test('bounds are read in the request timezone', async (t) => {
  const { ids, range } = await exportedIds(t, { dateFrom: '2024-03-21', dateTo: '2024-03-21', timezone: 'America/New_York' })
  t.same(range, { from: '2024-03-21T04:00:00.000Z', to: '2024-03-22T03:59:59.999Z', timezone: 'America/New_York' })
  t.same(ids, ['join', 'parent', 'reply', 'edited'])
  const withOffset = await exportedIds(t, { dateFrom: '2024-03-21T05:00:00+05:00', dateTo: '2024-03-21T09:00:00', timezone: 'Asia/Tokyo' })
  t.same(withOffset.range, { from: '2024-03-21T00:00:00.000Z', to: '2024-03-21T00:00:00.000Z', timezone: 'Asia/Tokyo' })
  t.same(withOffset.ids, ['start'])
})

t.test('missing bounds: from the beginning, to now', async (t) => {
  const before = Date.now()
  const { ids, range } = await exportedIds(t, {})
  t.same(ids, ['before', 'start', 'join', 'parent', 'reply', 'edited', 'links', 'end', 'after'])
  t.equal(range.from, '1970-01-01T00:00:00.000Z')
  t.ok(Date.parse(range.to) >= before && Date.parse(range.to) <= Date.now())
})

t.test('DST days have 23 and 25 hours', async (t) => {
  t.equal(parseBound('2024-03-31', 'Europe/Berlin', false).toISOString(), '2024-03-30T23:00:00.000Z')
  t.equal(parseBound('2024-03-31', 'Europe/Berlin', true).toISOString(), '2024-03-31T21:59:59.999Z')
  t.equal(parseBound('2024-10-27', 'Europe/Berlin', false).toISOString(), '2024-10-26T22:00:00.000Z')
  t.equal(parseBound('2024-10-27', 'Europe/Berlin', true).toISOString(), '2024-10-27T22:59:59.999Z')
  t.equal(parseBound('2024-03-10T02:30', 'America/New_York', false).toISOString(), '2024-03-10T07:30:00.000Z', 'a skipped wall-clock time takes the later offset')
  t.equal(parseBound('2024-03-21T10:00:00.5', 'UTC', false).toISOString(), '2024-03-21T10:00:00.500Z')
  t.equal(parseBound('2024-03-21T10:00:00-02:30', 'UTC', false).toISOString(), '2024-03-21T12:30:00.000Z')
  t.equal(new Date(wallClockToInstant(Date.UTC(2024, 0, 1), 'Asia/Kathmandu')).toISOString(), '2023-12-31T18:15:00.000Z')
})

t.test('a room with more messages on one instant than a batch: each exactly once, by _id', async (t) => {
  const ts = new Date('2024-05-01T00:00:00.000Z')
  const messages = Array.from({ length: 1500 }, (_, index) => ({
    _id: `same-${String(1499 - index).padStart(4, '0')}`,
    rid: general._id,
    ts,
    msg: `n${index}`,
    u: { _id: alice._id, username: 'alice' }
  }))
  const { ids } = await exportedIds(t, { dateFrom: '2024-05-01', dateTo: '2024-05-01' }, { ...fixtureData(), messages })
  t.equal(ids.length, 1500)
  t.same(ids, [...ids].sort())
  t.equal(new Set(ids).size, 1500)
})

t.test('a wall-clock time shown twice is its earlier instant', async (t) => {
  t.equal(parseBound('2024-10-27T02:30', 'Europe/Berlin', false).toISOString(), '2024-10-27T00:30:00.000Z')
  t.equal(parseBound('2024-11-03T01:30', 'America/New_York', false).toISOString(), '2024-11-03T05:30:00.000Z')
})

t.test('parseBound refuses what is neither a date nor a date-time', async (t) => {
  t.throws(() => parseBound('2024-03-21 10:00', 'UTC', false), { message: 'must be YYYY-MM-DD or an ISO 8601 date-time' })
})
