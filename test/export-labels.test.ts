import t from 'tap'
import { createMemoryRepository } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip } from './helpers/exports.ts'
import { carol, fixtureData } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

/** Rooms and people with the least data a host may have: no names, no edits by others, empty file names. */
t.test('labels fall back when names are missing', async (t) => {
  const data = fixtureData()
  const bare = { _id: 'room-bare', t: 'c' }
  const named = { _id: 'room-named', t: 'c', name: 'only-name' }
  const punctuation = { _id: 'room-punctuation', t: 'c', name: '...!!!' }
  const messages = [
    {
      _id: 'm1',
      rid: bare._id,
      ts: new Date('2024-01-01T10:00:00Z'),
      msg: 'edited by its author',
      u: { _id: carol._id, username: 'carol' },
      editedAt: new Date('2024-01-01T10:01:00Z'),
      attachments: [{ description: 'no title, no link' }],
      files: [{ _id: 'f1', name: '###', size: 12 }, { _id: 'f2', name: '' }]
    },
    { _id: 'm2', rid: named._id, ts: new Date('2024-01-01T10:00:00Z'), msg: 'hi', u: { _id: carol._id, username: 'carol' } }
  ]
  const app = await buildApp(t, { repository: createMemoryRepository({ ...data, rooms: [bare, named, punctuation], messages, files: { f1: { rid: bare._id, content: 'twelve bytes' } } }) })

  const bareEntries = await readZip(await exportToZip(app, carol, { rid: bare._id, type: 'file', format: 'html' }))
  t.same([...bareEntries.keys()], ['room-bare.html', 'assets/f1-___.txt', 'manifest.json'])
  const html = bareEntries.get('room-bare.html')!.toString()
  t.match(html, '<h1>room-bare</h1>')
  t.match(html, 'Exported by @carol at')
  t.notMatch(html, 'class="topic"')
  t.match(html, '<span class="author" dir="auto">carol</span>')
  t.match(html, 'edited by <bdi>carol</bdi> at <time datetime="2024-01-01T10:01:00.000Z">Jan 1, 2024, 10:01 AM</time>')
  t.match(html, '<div class="attachment" dir="auto"><p class="md-p">no title, no link</p></div>')
  t.match(html, '<li><a href="assets/f1-___.txt" download="###" dir="auto">###</a> (12 B)</li>')
  t.match(html, '<li><bdi>unnamed file</bdi> <span class="missing">(not in this export)</span></li>', 'an upload without a name or content is still listed')
  t.same(JSON.parse(bareEntries.get('manifest.json')!.toString()).exportedBy, { _id: carol._id, username: 'carol' })

  const namedEntries = await readZip(await exportToZip(app, carol, { rid: named._id, type: 'file', format: 'html' }))
  t.match(namedEntries.get('only-name.html')!.toString(), '<h1>only-name</h1>')
  const punctuationEntries = await readZip(await exportToZip(app, carol, { rid: punctuation._id, type: 'file', format: 'json' }))
  t.same([...punctuationEntries.keys()], ['room.json', 'schema.json', 'manifest.json'], 'a name of nothing but punctuation becomes "room"')
})
