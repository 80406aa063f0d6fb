import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { createMemoryRepository, ExportDocumentSchema, type ExportMessage } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip, postExport } from './helpers/exports.ts'
import { alice, bob, fixtureData, general, message } from './helpers/fixtures.ts'
import { connect, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'
import { readZip } from './helpers/zip.ts'

const aliceRef = { _id: alice._id, username: 'alice' }
const bobRef = { _id: bob._id, username: 'bob' }

/** The fixture room with an edited message (two earlier versions), one deleted showing its status (t: 'rm', one version), and two deletions. */
function historyData () {
  const data = fixtureData()
  const edited = message(general._id, '2024-03-21T12:00:00.000Z', 'third **version**', { _id: 'h-edited', editedAt: new Date('2024-03-21T12:10:00.000Z'), editedBy: aliceRef })
  const removed = message(general._id, '2024-03-21T12:30:00.000Z', '', { _id: 'h-removed', t: 'rm', editedAt: new Date('2024-03-21T12:40:00.000Z'), editedBy: bobRef })
  const copy = (parent: ExportMessage, msg: string, editedAt: string, editedBy = aliceRef): ExportMessage => ({ ...parent, _id: `${parent._id}-${editedAt}`, msg, t: undefined, _hidden: true, parent: parent._id, editedAt: new Date(editedAt), editedBy })
  data.messages.push(
    edited,
    copy(edited, 'second <version>', '2024-03-21T12:10:00.000Z'),
    copy(edited, 'first version', '2024-03-21T12:05:00.000Z'),
    removed,
    copy(removed, 'what bob took back', '2024-03-21T12:40:00.000Z', bobRef),
    // A copy of another room's message naming this one as parent: never shown.
    { ...copy(edited, 'from elsewhere', '2024-03-21T12:06:00.000Z'), rid: 'room-secret' }
  )
  data.deletions = [
    { _id: 'gone-2', rid: general._id, ts: new Date('2024-03-22T09:00:00.000Z'), deletedAt: new Date('2024-03-22T10:00:00.000Z') },
    { _id: 'gone-1', rid: general._id, ts: new Date('2024-03-21T09:30:00.000Z'), deletedAt: new Date('2024-03-21T09:31:00.000Z'), deletedBy: bobRef },
    { _id: 'gone-elsewhere', rid: 'room-secret', ts: new Date('2024-03-21T09:30:00.000Z'), deletedAt: new Date('2024-03-21T09:31:00.000Z') },
    { _id: 'gone-later', rid: general._id, ts: new Date('2024-03-25T09:30:00.000Z'), deletedAt: new Date('2024-03-25T09:31:00.000Z') }
  ]
  return data
}

const range = { rid: general._id, type: 'file', dateFrom: '2024-03-21', dateTo: '2024-03-22' }

t.test('includeHistory is refused unless the host allows it, for email exports, and with a repository that cannot read history', async (t) => {
  const plain = await buildApp(t, {}, historyData())
  const refused = await postExport(plain, alice, { ...range, format: 'json', includeHistory: true })
  t.equal(refused.statusCode, 400)
  t.same(refused.json(), { success: false, error: '[error-invalid-params]', errorType: 'error-invalid-params', details: 'includeHistory: this server does not export edit history (option allowHistory)' })
  t.equal((await postExport(plain, alice, { ...range, format: 'json', includeHistory: false })).statusCode, 200, 'false asks for nothing')
  t.same((await postExport(plain, alice, { ...range, format: 'json', includeHistory: 'yes' })).json().details, 'includeHistory: Expected boolean')

  const allowing = await buildApp(t, { allowHistory: true, mailer: { transport: { jsonTransport: true }, from: 'chat@example.com' } }, historyData())
  t.same((await postExport(allowing, alice, { rid: general._id, type: 'email', includeHistory: true })).json(), { success: false, error: '[error-invalid-params]', errorType: 'error-invalid-params', details: 'includeHistory: only for type "file"' })

  const { findHistory, findDeletions, ...withoutHistory } = createMemoryRepository(historyData())
  t.ok(findHistory !== undefined && findDeletions !== undefined)
  await t.rejects(buildApp(t, { allowHistory: true, repository: withoutHistory }), { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: 'fastify-rooms-export: option "allowHistory" needs a repository that implements findHistory() and findDeletions()' })
  await t.rejects(buildApp(t, { allowHistory: 'yes' as unknown as boolean }), { message: 'fastify-rooms-export: option "allowHistory" must be a boolean' })
})

t.test('JSON with history: each version with who replaced it when, the deletions, and a manifest that says so', async (t) => {
  const app = await buildApp(t, { allowHistory: true }, historyData())
  const entries = await readZip(await exportToZip(app, alice, { ...range, format: 'json', includeHistory: true }))
  const document = JSON.parse(entries.get('general.json')!.toString())
  t.ok(Value.Check(ExportDocumentSchema, document), 'the document follows its schema')
  const byId = (id: string) => document.messages.find((candidate: { _id: string }) => candidate._id === id)
  t.same(byId('h-edited').history, [
    { msg: 'first version', editedAt: '2024-03-21T12:05:00.000Z', editedBy: aliceRef },
    { msg: 'second <version>', editedAt: '2024-03-21T12:10:00.000Z', editedBy: aliceRef }
  ])
  t.same(byId('h-removed'), {
    _id: 'h-removed',
    rid: general._id,
    ts: '2024-03-21T12:30:00.000Z',
    msg: '',
    u: { _id: alice._id, username: 'alice', name: 'Alice Archer' },
    t: 'rm',
    editedAt: '2024-03-21T12:40:00.000Z',
    editedBy: bobRef,
    sentence: 'Alice Archer deleted a message',
    history: [{ msg: 'what bob took back', editedAt: '2024-03-21T12:40:00.000Z', editedBy: bobRef }]
  })
  t.equal(document.messages.filter((candidate: { history?: unknown }) => candidate.history !== undefined).length, 2, 'no other message has a history')
  t.same(document.deleted, [
    { _id: 'gone-1', deletedAt: '2024-03-21T09:31:00.000Z', deletedBy: bobRef },
    { _id: 'gone-2', deletedAt: '2024-03-22T10:00:00.000Z' }
  ])
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  t.equal(manifest.query.includeHistory, true)
  t.same(manifest.counts, { messages: document.messageCount, parts: 1, assets: 1, missingAssets: 0, fallbackMessages: 0, earlierVersions: 3, deletions: 2 })
  t.same(manifest.leftOut, ['the ciphertext of end-to-end encrypted messages (each is shown as a notice)', 'email addresses of the requester and of authors'])

  // The same export without includeHistory: no history, no deletions, the manifest says they are left out.
  const plain = await readZip(await exportToZip(app, alice, { ...range, format: 'json' }))
  const plainDocument = JSON.parse(plain.get('general.json')!.toString())
  t.same([plainDocument.deleted, plainDocument.messages.find((candidate: { _id: string }) => candidate._id === 'h-edited').history], [undefined, undefined])
  t.same(JSON.parse(plain.get('manifest.json')!.toString()).counts, { messages: plainDocument.messageCount, parts: 1, assets: 1, missingAssets: 0, fallbackMessages: 0 })
})

t.test('HTML with history: "edited — N earlier versions" with each text, editor and time; the deleted messages listed', async (t) => {
  const app = await buildApp(t, { allowHistory: true }, historyData())
  const page = (await readZip(await exportToZip(app, alice, { ...range, format: 'html', includeHistory: true }))).get('general.html')!.toString()
  const edited = page.slice(page.indexOf('id="m-h-edited"'), page.indexOf('</article>', page.indexOf('id="m-h-edited"')))
  t.match(edited, '<details class="history"><summary>edited — 2 earlier versions</summary><ol>' +
    '<li><div class="version-meta">replaced by <bdi>Alice Archer</bdi> at <time datetime="2024-03-21T12:05:00.000Z">Mar 21, 2024, 12:05 PM</time></div><div class="text" dir="auto"><p class="md-p">first version</p></div></li>' +
    '<li><div class="version-meta">replaced by <bdi>Alice Archer</bdi> at <time datetime="2024-03-21T12:10:00.000Z">Mar 21, 2024, 12:10 PM</time></div><div class="text" dir="auto"><p class="md-p">second &lt;version&gt;</p></div></li>' +
    '</ol></details>')
  const removed = page.slice(page.indexOf('id="m-h-removed"'), page.indexOf('</article>', page.indexOf('id="m-h-removed"')))
  t.match(removed, '<span class="sentence" dir="auto">Alice Archer deleted a message</span>')
  t.match(removed, '<summary>edited — 1 earlier version</summary>')
  t.match(removed, '<p class="md-p">what bob took back</p>')
  t.match(page, '<section class="deleted" aria-labelledby="deleted-messages"><h2 class="day" id="deleted-messages">Deleted messages</h2><ul>' +
    '<li>message <code>gone-1</code> deleted by <bdi>bob</bdi> at <time datetime="2024-03-21T09:31:00.000Z">Mar 21, 2024, 9:31 AM</time></li>' +
    '<li>message <code>gone-2</code> deleted at <time datetime="2024-03-22T10:00:00.000Z">Mar 22, 2024, 10:00 AM</time></li></ul></section>')
  t.notMatch(page, 'from elsewhere', 'another room\'s copy is never shown')
})

t.test('Mongo backend (FerretDB): history copies and deletions as Rocket.Chat stores them', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const admin = { _id: rcUsers.admin._id, username: 'admin' }
  await db.collection('rocketchat_message').insertMany([
    // Kept history without deleted status: the message itself hidden, no parent.
    { _id: 'hidden-deleted', rid: 'GENERAL', ts: new Date('2024-03-21T12:00:00.000Z'), msg: 'gone quietly', u: admin, _hidden: true, _updatedAt: new Date('2024-03-21T12:01:00.000Z') } as never,
    // A second earlier version of rc4, on its instant.
    { _id: 'rc4-history-0', rid: 'GENERAL', ts: new Date('2024-03-21T11:00:00.000Z'), msg: 'zeroth version', u: admin, _hidden: true, parent: 'rc4', editedAt: new Date('2024-03-21T11:01:00.000Z'), editedBy: admin } as never
  ])
  await db.collection('rocketchat__trash').insertMany([
    { _id: 'trashed', __collection__: 'rocketchat_message', rid: 'GENERAL', ts: new Date('2024-03-21T13:00:00.000Z'), msg: 'gone', _deletedAt: new Date('2024-03-21T13:05:00.000Z') } as never,
    { _id: 'trashed-room', __collection__: 'rocketchat_room', _deletedAt: new Date('2024-03-21T13:05:00.000Z') } as never,
    { _id: 'trashed-elsewhere', __collection__: 'rocketchat_message', rid: 'OTHER', ts: new Date('2024-03-21T13:00:00.000Z'), _deletedAt: new Date('2024-03-21T13:05:00.000Z') } as never
  ])
  const app = await mongoApp(t, server.url, { allowHistory: true })
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22', includeHistory: true })).json()
  t.match((await settle(app, rcUsers.admin, exportId)).export, { status: 'done' })
  const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).rawPayload
  const document = JSON.parse((await readZip(zip)).get('general.json')!.toString())
  t.same(document.messages.find((candidate: { _id: string }) => candidate._id === 'rc4').history, [
    { msg: 'zeroth version', editedAt: '2024-03-21T11:01:00.000Z', editedBy: admin },
    { msg: 'first version', editedAt: '2024-03-21T11:02:00.000Z', editedBy: admin }
  ])
  t.same(document.deleted, [
    { _id: 'hidden-deleted', deletedAt: '2024-03-21T12:01:00.000Z' },
    { _id: 'trashed', deletedAt: '2024-03-21T13:05:00.000Z' }
  ])
  t.notOk(document.messages.some((candidate: { _id: string }) => candidate._id === 'hidden-deleted'), 'a hidden message is no message')

  const html = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-22', includeHistory: true })).json()
  t.match((await settle(app, rcUsers.admin, html.exportId)).export, { status: 'done' })
  const page = (await readZip((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${html.exportId}`, headers: rcHeaders(rcUsers.admin) })).rawPayload)).get('general.html')!.toString()
  t.match(page, /<details class="history"><summary>edited — 2 earlier versions<\/summary><ol><li><div class="version-meta">replaced by <bdi>[^<]+<\/bdi> at <time datetime="2024-03-21T11:01:00.000Z">[^<]+<\/time><\/div><div class="text" dir="auto"><p class="md-p">zeroth version<\/p><\/div><\/li>/)
  t.match(page, '<li>message <code>hidden-deleted</code> deleted at <time datetime="2024-03-21T12:01:00.000Z">')
  t.match(page, '<li>message <code>trashed</code> deleted at <time datetime="2024-03-21T13:05:00.000Z">')
})
