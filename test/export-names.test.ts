import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import t from 'tap'
import { createMemoryRepository, type ExportRoom } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, fixtureData, message } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

const openDescriptors = async () => (await readdir('/proc/self/fd')).length

t.test('a room name cut at 80 characters keeps whole code points; its download works, and leaks no descriptor', async (t) => {
  // 79 ASCII characters, then U+20000 (a surrogate pair in UTF-16): a cut by UTF-16 units splits it.
  const room: ExportRoom = { _id: 'room-long', t: 'c', name: `${'a'.repeat(79)}\u{20000}tail` }
  const data = fixtureData()
  const app = await buildApp(t, {}, { ...data, rooms: [...data.rooms, room], messages: [message(room._id, '2024-03-21T10:00:00Z', 'hello')] })
  const { exportId } = (await postExport(app, alice, { rid: room._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  const download = () => app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  const first = await download()
  t.equal(first.statusCode, 200)
  const today = new Date().toISOString().slice(0, 10)
  const name = `${'a'.repeat(79)}\u{20000}-${today}.zip`
  t.equal(first.headers['content-disposition'], `attachment; filename="${'a'.repeat(79)}_-${today}.zip"; filename*=UTF-8''${encodeURIComponent(name)}`)
  t.same([...(await readZip(first.rawPayload)).keys()], [`${'a'.repeat(79)}\u{20000}.json`, 'schema.json', 'manifest.json'])

  const before = await openDescriptors()
  const refusals = { 404: 0, 200: 0 }
  for (let attempt = 0; attempt < 1000; attempt++) {
    // Alternately the owner (streamed whole) and someone else (refused before anything is opened).
    const response = attempt % 2 === 0
      ? await download()
      : await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(bob) })
    refusals[response.statusCode as 404 | 200]++
  }
  t.same(refusals, { 200: 500, 404: 500 })
  const after = await openDescriptors()
  t.ok(after - before <= 2, `open descriptors ${before} → ${after} over 1,000 downloads`)
})

t.test('uploads whose ids differ only in unsafe characters get distinct entries, each linked from the page', async (t) => {
  const data = fixtureData()
  const general = data.rooms[0]
  const twins = [
    message(general._id, '2024-03-21T10:00:00Z', 'one', { file: { _id: 'a/b', name: 'same.txt' } }),
    message(general._id, '2024-03-21T10:01:00Z', 'two', { file: { _id: 'a_b', name: 'same.txt' } }),
    message(general._id, '2024-03-21T10:02:00Z', 'three', { file: { _id: 'a~2f~b', name: 'same.txt' } }),
    message(general._id, '2024-03-21T10:03:00Z', 'long', { file: { _id: `${'/'.repeat(30)}x`, name: 'long.txt' } })
  ]
  const repository = createMemoryRepository({ ...data, messages: twins, files: Object.fromEntries(Object.entries({ 'a/b': 'first', a_b: 'second', 'a~2f~b': 'third', [`${'/'.repeat(30)}x`]: 'long' }).map(([id, content]) => [id, { rid: general._id, content }])) })
  const app = await buildApp(t, { repository })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  // An id too long once escaped keeps 40 characters and a hash of the whole id.
  const longEntry = `assets/${'~2f~'.repeat(10)}~${createHash('sha256').update(`${'/'.repeat(30)}x`).digest('hex').slice(0, 20)}-long.txt`
  t.same([...entries.keys()], ['general.html', 'assets/a~2f~b-same.txt', 'assets/a_b-same.txt', 'assets/a~7e~2f~7e~b-same.txt', longEntry, 'manifest.json'])
  t.equal(entries.get(longEntry)!.toString(), 'long')
  t.same(['assets/a~2f~b-same.txt', 'assets/a_b-same.txt', 'assets/a~7e~2f~7e~b-same.txt'].map((name) => entries.get(name)!.toString()), ['first', 'second', 'third'])
  const html = entries.get('general.html')!.toString()
  for (const name of ['assets/a~2f~b-same.txt', 'assets/a_b-same.txt', 'assets/a~7e~2f~7e~b-same.txt']) t.match(html, `href="${name}"`)
})

t.test('a room named like the archive\'s own entries, in any case, leaves them theirs', async (t) => {
  const names = ['schema', 'manifest', 'index', 'SCHEMA', 'Manifest', 'INDEX', 'Schema.json']
  const rooms: ExportRoom[] = names.map((name, index) => ({ _id: `room-reserved-${index}`, t: 'c', name }))
  const data = fixtureData()
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 1 } }, {
    ...data,
    rooms: [...data.rooms, ...rooms],
    messages: rooms.flatMap((room) => [message(room._id, '2024-03-21T10:00:00Z', 'one'), message(room._id, '2024-03-21T11:00:00Z', 'two')])
  })
  const entries: Record<string, string[][]> = {}
  for (const room of rooms) {
    entries[room.name!] = []
    for (const format of ['json', 'html']) {
      const zip = await exportToZip(app, alice, { rid: room._id, type: 'file', format })
      const keys = [...(await readZip(zip)).keys()]
      t.equal(new Set(keys.map((key) => key.toLowerCase())).size, keys.length, `${room.name} ${format}: no two entries differ only in case`)
      entries[room.name!].push(keys)
    }
  }
  t.same(entries, {
    schema: [['schema_room.json', 'schema.json', 'manifest.json'], ['schema_room.html', 'schema_room-2.html', 'index.html', 'manifest.json']],
    manifest: [['manifest_room.json', 'schema.json', 'manifest.json'], ['manifest_room.html', 'manifest_room-2.html', 'index.html', 'manifest.json']],
    index: [['index_room.json', 'schema.json', 'manifest.json'], ['index_room.html', 'index_room-2.html', 'index.html', 'manifest.json']],
    SCHEMA: [['SCHEMA_room.json', 'schema.json', 'manifest.json'], ['SCHEMA_room.html', 'SCHEMA_room-2.html', 'index.html', 'manifest.json']],
    Manifest: [['Manifest_room.json', 'schema.json', 'manifest.json'], ['Manifest_room.html', 'Manifest_room-2.html', 'index.html', 'manifest.json']],
    INDEX: [['INDEX_room.json', 'schema.json', 'manifest.json'], ['INDEX_room.html', 'INDEX_room-2.html', 'index.html', 'manifest.json']],
    'Schema.json': [['Schema.json.json', 'schema.json', 'manifest.json'], ['Schema.json.html', 'Schema.json-2.html', 'index.html', 'manifest.json']]
  })
})
