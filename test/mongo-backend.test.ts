import Fastify from 'fastify'
import { randomBytes } from 'node:crypto'
import { Long, MongoClient, type Db } from 'mongodb'
import t from 'tap'
import roomsExport, { createDirectoryStorage, createMongoRepository } from '../index.ts'
import { capturingLogger, heldRepository, temporaryDirectory } from './helpers/app.ts'
import { eventually } from './helpers/exports.ts'
import { connect, insertMayMessages, insertStoppedJob, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { rcHeaders, rcUsers, richDocuments, seedRocketChat } from './helpers/rocketchat.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { readZip } from './helpers/zip.ts'

const invalid = (errorType: string, details: string) => ({ success: false, error: `[${errorType}]`, errorType, details })

t.test('SPEC §3 through the Rocket.Chat hooks, and the archive with its uploads', async (t) => {
  const server = await startMongo(t)
  await seedRocketChat(await connect(t, server.url))
  // Counting asked for: FerretDB is not asked by default (it reads every document to count).
  const app = await mongoApp(t, server.url, { mongo: { countMessages: true } })
  const payload = { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' }

  for (const headers of [{}, { 'x-user-id': rcUsers.admin._id, 'x-auth-token': 'old-token-not-mine' }, rcHeaders(rcUsers.inactive), { 'x-user-id': rcUsers.admin._id, 'x-auth-token': rcUsers.member.token }, { 'x-user-id': '', 'x-auth-token': '' }]) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload })
    t.equal(response.statusCode, 401)
    t.same(response.json(), { success: false, error: 'unauthorized' })
  }
  const noPermission = await post(app, rcUsers.member, payload)
  t.equal(noPermission.statusCode, 403)
  t.same(noPermission.json(), invalid('error-action-not-allowed', 'the mail-messages permission is required'))
  t.same((await post(app, rcUsers.owner, payload)).json(), invalid('error-action-not-allowed', 'the mail-messages permission is required'), 'a room role counts only in its room')
  t.same((await post(app, rcUsers.admin, { ...payload, rid: 'NOPE' })).json(), invalid('error-invalid-room', 'no such room'))
  t.same((await post(app, rcUsers.outsider, { ...payload, rid: 'PRIVATE' })).json(), invalid('error-not-allowed', 'you have no access to this room'))
  t.same((await post(app, rcUsers.outsider, { ...payload, rid: 'DIRECT' })).json(), invalid('error-not-allowed', 'you have no access to this room'))

  const ownerExport = await post(app, rcUsers.owner, { ...payload, rid: 'PRIVATE' })
  t.equal(ownerExport.statusCode, 200, 'the owner role in the subscription grants mail-messages there')
  t.equal((await settle(app, rcUsers.owner, ownerExport.json().exportId)).export.messages, 1)

  const started = await post(app, rcUsers.admin, payload)
  t.equal(started.statusCode, 200)
  const { exportId } = started.json()
  const status = await settle(app, rcUsers.admin, exportId)
  t.same(status.export, { _id: exportId, rid: 'GENERAL', format: 'json', status: 'done', messages: 6, total: 6, progress: 1, bytes: status.export.bytes, createdAt: status.export.createdAt, finishedAt: status.export.finishedAt })
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  t.equal(download.statusCode, 200)
  t.equal(download.rawPayload.length, status.export.bytes)
  t.equal((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.outsider) })).statusCode, 404, 'owner only')
  t.equal((await app.inject({ url: '/api/v1/rooms.export.status?exportId=unknown', headers: rcHeaders(rcUsers.admin) })).statusCode, 404)

  const entries = await readZip(download.rawPayload)
  t.same([...entries.keys()], ['general.json', 'schema.json', 'assets/upload-1-notes.txt', 'manifest.json'])
  t.equal(entries.get('assets/upload-1-notes.txt')!.toString(), 'hello notes')
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  // A message of #general names the direct room's upload: it exists, but is not this room's.
  t.same(manifest.assets.missing, [{ fileId: 'upload-gone', name: 'gone.png', reason: 'not found' }, { fileId: 'upload-unnamed', name: 'upload-unnamed', reason: 'not found' }, { fileId: 'upload-dm', name: 'private.txt', reason: 'not found' }])
  const document = JSON.parse(entries.get('general.json')!.toString())
  const admin = { _id: rcUsers.admin._id, username: 'admin', name: 'Ada Admin' }
  const member = { _id: rcUsers.member._id, username: 'member', name: 'Mel Member' }
  t.same(document.room, { _id: 'GENERAL', t: 'c', name: 'general', fname: 'General', topic: 'Everything' })
  t.same(document.exportedBy, admin)
  t.same(document.messages, [
    { _id: 'rc1', rid: 'GENERAL', ts: '2024-03-21T09:00:00.000Z', msg: '', u: member, t: 'uj', sentence: 'Mel Member joined the channel' },
    { _id: 'rc2', rid: 'GENERAL', ts: '2024-03-21T10:00:00.000Z', msg: 'thread <b>start</b>\nsecond line', u: admin, tcount: 1, reactions: { ':tada:': { usernames: ['member', 'owner'] }, ':broken:': { usernames: [] } }, mentions: [], channels: [] },
    { _id: 'rc3', rid: 'GENERAL', ts: '2024-03-21T10:05:00.000Z', msg: 'a reply', u: member, tmid: 'rc2', pinned: true, attachments: [{ title: 'spec', title_link: 'https://example.com/spec', type: 'file', description: 'the spec', descriptionMd: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'the spec' }] }], ts: '2024-03-21T10:05:00.000Z' }] },
    { _id: 'rc4', rid: 'GENERAL', ts: '2024-03-21T11:00:00.000Z', msg: 'second version', u: admin, editedAt: '2024-03-21T11:02:00.000Z', editedBy: { _id: rcUsers.admin._id, username: 'admin' } },
    { _id: 'rc5', rid: 'GENERAL', ts: '2024-03-22T08:00:00.000Z', msg: '', u: { _id: rcUsers.owner._id, username: 'owner' }, files: [{ _id: 'upload-1', name: 'notes.txt', type: 'text/plain', size: 11, path: 'assets/upload-1-notes.txt' }, { _id: 'upload-gone', name: 'gone.png', type: 'image/png', path: 'assets/upload-gone-gone.png' }, { _id: 'upload-unnamed', name: 'upload-unnamed', path: 'assets/upload-unnamed-upload-unnamed.txt' }, { _id: 'upload-dm', name: 'private.txt', type: 'text/plain', path: 'assets/upload-dm-private.txt' }] },
    { _id: 'rc6', rid: 'GENERAL', ts: '2024-03-22T09:00:00.000Z', msg: '', u: { _id: 'rc-ghost', username: 'ghost' } }
  ])
})

t.test('Rocket.Chat\'s richer documents: stored md, mentions, previews, quotes, roles and omnichannel events reach the export', async (t) => {
  const server = await startMongo(t)
  await seedRocketChat(await connect(t, server.url))
  const app = await mongoApp(t, server.url)
  const exportToZip = async (format: string) => {
    const { exportId } = (await post(app, rcUsers.admin, { rid: 'RICH', type: 'file', format })).json()
    await settle(app, rcUsers.admin, exportId)
    return (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).rawPayload
  }
  const json = await readZip(await exportToZip('json'))
  const document = JSON.parse(json.get('rich.json')!.toString())
  const admin = { _id: rcUsers.admin._id, username: 'admin', name: 'Ada Admin' }
  const member = { _id: rcUsers.member._id, username: 'member', name: 'Mel Member' }
  t.same(document.messages, [
    {
      _id: 'md1',
      rid: 'RICH',
      ts: '2024-03-21T09:00:00.000Z',
      msg: 'hi @member see #general',
      md: richDocuments[0].md,
      u: admin,
      mentions: [{ _id: rcUsers.member._id, username: 'member', name: 'Mel Member' }],
      channels: [{ _id: 'GENERAL', name: 'general', fname: 'General' }],
      urls: [
        { url: 'https://news.example.com/a', title: 'OG title', description: 'OG description' },
        { url: 'https://news.example.com/b', title: 'Page title', description: 'Page description' },
        { url: 'https://news.example.com/c' }
      ]
    },
    {
      _id: 'md2',
      rid: 'RICH',
      ts: '2024-03-21T09:01:00.000Z',
      msg: '[ ](https://chat.example/channel/rich?msg=md1) quoting',
      u: member,
      attachments: [{
        text: 'stored *tree*',
        md: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'stored tree' }] }],
        author_name: 'Ada Admin',
        message_link: 'https://chat.example/channel/rich?msg=md1',
        ts: '2024-03-21T09:00:00.000Z',
        attachments: [{ text: 'deeper', author_name: 'Someone', message_link: 'https://chat.example/x' }]
      }]
    },
    { _id: 'md3', rid: 'RICH', ts: '2024-03-21T09:02:00.000Z', msg: 'member', u: admin, t: 'subscription-role-added', sentence: 'Ada Admin set Mel Member as moderator', role: 'moderator' },
    { _id: 'md4', rid: 'RICH', ts: '2024-03-21T09:03:00.000Z', msg: '', u: member, t: 'livechat_navigation_history', sentence: 'Mel Member visited Pricing - https://shop.example/pricing' },
    { _id: 'md5', rid: 'RICH', ts: '2024-03-21T09:04:00.000Z', msg: '', u: member, t: 'livechat_navigation_history', sentence: 'Mel Member visited https://shop.example/' },
    { _id: 'md6', rid: 'RICH', ts: '2024-03-21T09:05:00.000Z', msg: '', u: admin, t: 'livechat_transfer_history', sentence: 'Ada Admin transferred the chat: to agent7' },
    { _id: 'md7', rid: 'RICH', ts: '2024-03-21T09:06:00.000Z', msg: '', u: admin, t: 'livechat_transfer_history', sentence: 'Ada Admin transferred the chat: to the queue' },
    { _id: 'md8', rid: 'RICH', ts: '2024-03-21T09:07:00.000Z', msg: '', u: admin, t: 'omnichannel_priority_change_history', sentence: 'Ada Admin changed the priority to Urgent' },
    { _id: 'md9', rid: 'RICH', ts: '2024-03-21T09:08:00.000Z', msg: '', u: admin, t: 'omnichannel_sla_change_history', sentence: 'Ada Admin changed the SLA policy to Gold' },
    { _id: 'md10', rid: 'RICH', ts: '2024-03-21T09:09:00.000Z', msg: '', u: admin, t: 'omnichannel_placed_chat_on_hold', sentence: 'Ada Admin placed the chat on hold: lunch' }
  ])
  const html = (await readZip(await exportToZip('html'))).get('rich.html')!.toString()
  t.match(html, '<div class="text" dir="auto"><p class="md-p">stored <strong class="md-bold">tree</strong></p></div>', 'the stored tree is rendered, not msg')
  t.match(html, '<div class="text" dir="auto"><p class="md-p">quoting</p></div>')
  t.match(html, '<blockquote class="quote"><div class="quote-meta"><b dir="auto">Ada Admin</b>')
})

t.test('email exports resolve recipients from the users collection', async (t) => {
  const server = await startMongo(t)
  await seedRocketChat(await connect(t, server.url))
  const smtp = await startSmtpServer(t)
  const app = await mongoApp(t, server.url, { mailer: { transport: smtp.transport, from: 'chat@chat.example' } })
  const response = await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'email', toUsers: ['member', 'owner', 'nobody'], messages: ['rc3', 'rc2', 'rc4-history', 'p1'] })
  t.same(response.json(), { success: true, missing: ['owner', 'nobody'] })
  t.same(smtp.envelopes[0], ['member@chat.example'])
  t.equal(smtp.mails[0].text!.replace(/\u202f/g, ' ').replace(/ to .* \(UTC\)/, ' to … (UTC)'), 'General: 2 messages from 01.01.1970, 00:00 to … (UTC)\n\n— Donnerstag, 21. März 2024 —\n[10:00] \u2068Ada Admin\u2069: thread <b>start</b>\nsecond line\n' +
    '    reactions: 🎉 2 (\u2068Mel Member\u2069, \u2068owner\u2069)\n[10:05] \u2068Mel Member\u2069: a reply\n    reply in thread: Ada Admin: thread <b>start</b>\n    [spec — https://example.com/spec — the spec]\n    pinned\n', 'dates in the requester\'s language (Ada\'s is German)')
})

t.test('two instances on one database share jobs, downloads and limits', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const { repository, release } = heldRepository(createMongoRepository(db))
  const first = await mongoApp(t, server.url, { repository })
  const second = await mongoApp(t, server.url)
  const payload = { rid: 'GENERAL', type: 'file', format: 'html' }

  const started = await post(first, rcUsers.admin, payload)
  t.equal(started.statusCode, 200)
  const { exportId } = started.json()
  const limited = await post(second, rcUsers.admin, payload)
  t.equal(limited.statusCode, 429, 'the per-user slot is taken on the other instance')
  t.same(limited.json(), invalid('error-too-many-requests', 'too many exports are running; try again when one has finished'))
  const running = (await second.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).json()
  t.match(running, { success: true, export: { _id: exportId, status: /^(queued|running)$/ } })
  t.equal((await second.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).statusCode, 409)

  release()
  const done = await settle(second, rcUsers.admin, exportId)
  t.equal(done.export.status, 'done')
  const fromSecond = await second.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  const fromFirst = await first.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  t.equal(fromSecond.statusCode, 200)
  t.same(fromSecond.rawPayload, fromFirst.rawPayload)
  t.same([...(await readZip(fromSecond.rawPayload)).keys()], ['general.html', 'assets/upload-1-notes.txt', 'manifest.json'])
  t.equal((await post(second, rcUsers.admin, payload)).statusCode, 200, 'the slot was released')
})

t.test('a room larger than several batches, many messages on one instant: each exactly once', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const shared = new Date('2024-04-01T12:00:00.000Z')
  const documents = Array.from({ length: 2600 }, (_, index) => ({
    _id: `bulk-${String((index * 7919) % 2600).padStart(4, '0')}`,
    rid: 'GENERAL',
    ts: index < 1500 ? shared : new Date(shared.getTime() + index * 1000),
    msg: `bulk ${index}`,
    u: { _id: rcUsers.admin._id, username: 'admin' },
    ...(index % 10 === 0 ? { _hidden: true } : {})
  }))
  await db.collection('rocketchat_message').insertMany(documents as never[])
  const app = await mongoApp(t, server.url)
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-04-01' })).json()
  const status = await settle(app, rcUsers.admin, exportId)
  t.equal(status.export.messages, 2340)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  const exported = JSON.parse((await readZip(download.rawPayload)).get('general.json')!.toString()).messages as { _id: string, ts: string }[]
  const expected = documents.filter((document) => document._hidden !== true)
    .sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : 1))
    .map((document) => document._id)
  t.same(exported.map((message) => message._id), expected)
})

t.test('one cursor per export: killed twice mid-export it resumes after the last complete instant, every message once, in order', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const base = Date.parse('2024-04-01T00:00:00.000Z')
  // 1,000 single messages, an instant shared by 2,500 (across cursor batches of 500), 1,000 more, an
  // instant shared by 3,500 (over largestTsRun: read alone, paged by _id), then 1,000 more — ids out of order.
  const documents = Array.from({ length: 9000 }, (_, index) => {
    const ts = index < 1000 ? base + index : index < 3500 ? base + 5000 : index < 4500 ? base + 10_000 + index : index < 8000 ? base + 20_000 : base + 30_000 + index
    return { _id: `c-${String((index * 7919) % 9000).padStart(4, '0')}`, rid: 'GENERAL', ts: new Date(ts), msg: `m ${index}`, u: { _id: rcUsers.admin._id, username: 'admin' } }
  })
  await db.collection('rocketchat_message').insertMany(documents as never[])

  // The repository's own client reports its cursors, so the test can kill the live one.
  const reader = await MongoClient.connect(server.url, { monitorCommands: true })
  t.teardown(() => reader.close())
  let liveCursor: unknown
  reader.on('commandSucceeded', (event) => {
    const cursor = (event.reply as { cursor?: { id?: unknown, ns?: string } }).cursor
    if (cursor?.ns?.endsWith('rocketchat_message') === true) liveCursor = cursor.id
  })
  const finds: unknown[] = []
  reader.on('commandStarted', (event) => { if (event.commandName === 'find' && event.command.find === 'rocketchat_message') finds.push(event.command.filter) })
  const repository = createMongoRepository(reader.db(), { batchSize: 500, largestTsRun: 3000 })
  const killed: number[] = []
  const app = await mongoApp(t, server.url, {
    repository: {
      ...repository,
      async * findMessages (query) {
        let yielded = 0
        for await (const message of repository.findMessages(query)) {
          yield message
          // While the first long instant is handed out, and among the last singles.
          if (++yielded === 1200 || yielded === 8500) {
            const id = typeof liveCursor === 'number' ? Long.fromNumber(liveCursor) : liveCursor
            const reply = await reader.db().command({ killCursors: 'rocketchat_message', cursors: [id] })
            killed.push((reply.cursorsKilled as unknown[]).length)
          }
        }
      }
    }
  })
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-04-01' })).json()
  const status = await settle(app, rcUsers.admin, exportId)
  t.equal(status.export.status, 'done', JSON.stringify(status))
  t.same(killed, [1, 1], 'two live cursors were killed')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  const exported = JSON.parse((await readZip(download.rawPayload)).get('general.json')!.toString()).messages as { _id: string }[]
  const expected = [...documents].sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : 1)).map((document) => document._id)
  t.equal(exported.length, 9000)
  t.same(exported.map((message) => message._id), expected, 'every message once, in (ts, _id) order')
  const described = finds.map((filter) => {
    const { ts, _id: id } = filter as { ts: Date | { $gte?: Date, $gt?: Date }, _id?: unknown }
    if (ts instanceof Date) return `the instant ${ts.toISOString()} alone${id === undefined ? '' : ', after an _id'}`
    return ts.$gt === undefined ? `from ${ts.$gte!.toISOString()}` : `after ${ts.$gt.toISOString()}`
  })
  const instant = (offset: number) => new Date(base + offset).toISOString()
  t.equal(described[0], `from ${instant(0)}`)
  t.match(described[1], /^after 2024-04-01T00:00:1\d\.\d{3}Z$/, 'reopened after the last complete instant before the kill (among the singles after the 2,500)')
  t.same(described.slice(2, 10), [`the instant ${instant(20_000)} alone`, ...Array.from({ length: 7 }, () => `the instant ${instant(20_000)} alone, after an _id`)], 'the 3,500 on one instant, read alone in _id pages of 500')
  t.equal(described[10], `after ${instant(20_000)}`)
  t.match(described[11], /^after 2024-04-01T00:00:3\d\.\d{3}Z$/, 'reopened among the last singles after the second kill')
  t.equal(described.length, 12)
})

const stoppable = process.env.MONGODB_URL === undefined ? false : 'needs FerretDB, which the test stops and restarts (MONGODB_URL is set)'

t.test('the database going away mid-export: the job fails, nothing is left, the slot comes back', { skip: stoppable }, async (t) => {
  const server = await startMongo(t)
  const url = `${server.url}?serverSelectionTimeoutMS=1000&retryReads=false&retryWrites=false`
  const db = await connect(t, url)
  await seedRocketChat(db)
  // big, badly compressible messages: GridFS has stored chunks of the zip before the database goes
  await insertMayMessages(db, 'big', 2500, () => randomBytes(1024).toString('hex'))
  // No second cursor: the read fails with the outage, as it would after its retries in a longer one.
  const mongoRepository = createMongoRepository(db, { cursorRetries: 0 })
  let yielded = 0
  let chunksBeforeOutage = 0
  let outage: Promise<void> | undefined
  const app = await mongoApp(t, url, {
    repository: {
      ...mongoRepository,
      async * findMessages (query) {
        for await (const message of mongoRepository.findMessages(query)) {
          yield message
          if (++yielded === 1000) {
            // let the zip writer catch up with the 1000 messages before pulling the plug
            await new Promise((resolve) => setTimeout(resolve, 300))
            chunksBeforeOutage = await db.collection('rooms_export.chunks').countDocuments({})
            await server.stop()
            // back after the next batch read has failed and the first clean-up tries have too
            outage = new Promise((resolve) => setTimeout(resolve, 2500)).then(async () => { await server.start() })
          }
        }
      }
    }
  })
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-05-01' })).json()
  // eslint-disable-next-line no-unmodified-loop-condition -- set by the repository, concurrently
  while (outage === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
  await outage
  const status = await settle(app, rcUsers.admin, exportId)
  // The outage reaches the driver as a refused or reset connection (a system code the status names), or, on
  // a loaded machine, as a server-selection timeout first (the driver's MongoServerSelectionError, no code).
  t.match(status.export, { _id: exportId, status: 'failed', messages: Number, bytes: 0, error: /^export failed: the (repository|storage) failed( \((ECONNREFUSED|ECONNRESET)\))?$/ })
  t.ok(status.export.messages >= 1000, `${status.export.messages} messages read before it failed`)
  t.ok(chunksBeforeOutage > 0, `GridFS held ${chunksBeforeOutage} chunks of the partial export when the database went`)
  t.equal(await db.collection('rooms_export.files').countDocuments({ _id: exportId as never }), 0, 'no file document')
  t.equal(await db.collection('rooms_export.chunks').countDocuments({ files_id: exportId }), 0, 'no partial chunks')
  t.equal(await db.collection('rooms_export_slots').countDocuments({}), 0, 'no slot held')
  const again = await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateTo: '2024-03-31' })
  t.equal(again.statusCode, 200)
  t.equal((await settle(app, rcUsers.admin, again.json().exportId)).export.status, 'done')
})

t.test('the database killed mid-export: close() still returns within closeTimeoutMs, and says what it left', { skip: stoppable }, async (t) => {
  const server = await startMongo(t)
  const url = `${server.url}?serverSelectionTimeoutMS=1000&retryReads=false&retryWrites=false`
  const db = await connect(t, url)
  await seedRocketChat(db)
  await insertMayMessages(db, 'many', 3000, (index) => `message ${index}`)
  const mongoRepository = createMongoRepository(db)
  let killed: Promise<void> | undefined
  const { logger, lines } = capturingLogger('warn')
  const app = await mongoApp(t, url, {
    limits: { closeTimeoutMs: 2000 },
    repository: {
      ...mongoRepository,
      async * findMessages (query) {
        let yielded = 0
        for await (const message of mongoRepository.findMessages(query)) {
          yield message
          if (++yielded === 1500) killed ??= server.stop()
        }
      }
    }
  }, logger)
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateFrom: '2024-05-01' })).json()
  // eslint-disable-next-line no-unmodified-loop-condition -- set by the repository, concurrently
  while (killed === undefined) await new Promise((resolve) => setTimeout(resolve, 10))
  await killed
  const started = Date.now()
  await app.close()
  const closeMs = Date.now() - started
  t.ok(closeMs < 4000, `close() returned after ${closeMs} ms with the database gone (closeTimeoutMs 2000; before: not after 418 s)`)
  // Progress writes that meet the dead database may warn too, depending on timing.
  t.same(lines.map(({ msg }) => msg).filter((msg) => msg.startsWith('rooms.export:') && msg !== 'rooms.export: progress update failed'), [
    'rooms.export: export aborted by shutdown',
    'rooms.export: exports still cleaning up at close; the sweep at the next start removes what they leave'
  ])
  await server.start()
  const job = await db.collection('rooms_export_jobs').findOne({ _id: exportId as never })
  t.match(job, { _id: exportId, status: /^(queued|running)$/ }, 'left for the sweep: a job whose heartbeat stops is failed and expires')
})

t.test('progress writes that fail while the database is away are logged, and the export goes on when it is back', { skip: stoppable }, async (t) => {
  const server = await startMongo(t)
  const url = `${server.url}?serverSelectionTimeoutMS=500&retryReads=false&retryWrites=false`
  const db = await connect(t, url)
  await seedRocketChat(db)
  // The messages are read, after the outage, through a client connected after it: this test is about
  // the app's own writes (progress, storage, status), not about a reader whose pool holds dead connections.
  let source = createMongoRepository(db)
  const held = heldRepository({ ...source, findMessages: (query) => source.findMessages(query) })
  const { logger, lines } = capturingLogger('warn')
  // The zip goes to a directory: a GridFS upload stream opened before the outage is not what this test is about.
  const app = await mongoApp(t, url, { repository: held.repository, storage: createDirectoryStorage(await temporaryDirectory(t)) }, logger)
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateTo: '2024-03-31' })).json()
  // Reading: its "running" write is done (status and slot heartbeats): an outage now meets only progress writes.
  await held.reading
  await server.stop()
  t.ok(await eventually(async () => lines.some(({ msg }) => msg === 'rooms.export: progress update failed')), 'a progress write met the stopped database')
  await server.start()
  // Until the clients reconnect, a next write or read could still meet a dropped connection:
  // the app's own (jobs) and the test's, which the held repository reads through.
  const appDb = (app as unknown as { mongo: { db: Db } }).mongo.db
  // Several at once, until all succeed: a ping that meets a dead pooled connection clears the pool,
  // so no later write of the export (retries are off in this URL) meets one.
  const pings = async () => await Promise.all(Array.from({ length: 8 }, async () => await appDb.command({ ping: 1 }))).then(() => true, () => false)
  t.ok(await eventually(pings), 'the app reconnected')
  source = createMongoRepository(await connect(t, url))
  held.release()
  const status = await settle(app, rcUsers.admin, exportId)
  t.equal(status.export.status, 'done', `not fatal: the export finished (${JSON.stringify(status.export)})`)
})

t.test('the overall limit across users, and expired exports leave GridFS', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  await insertStoppedJob(db, 'crashed', rcUsers.member, 'queued')
  const { repository, release } = heldRepository(createMongoRepository(db))
  const app = await mongoApp(t, server.url, { limits: { concurrentExports: 1, exportTtlMs: 1000 }, repository })
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  t.equal((await post(app, rcUsers.owner, { rid: 'PRIVATE', type: 'file', format: 'json' })).statusCode, 429)
  t.same(await db.collection('rooms_export_slots').countDocuments({ _id: { $regex: '^user:rc-owner' } as never }), 0, 'a refused claim gives its user slot back')
  release()
  await settle(app, rcUsers.admin, exportId)
  t.equal(await db.collection('rooms_export.files').countDocuments({ _id: exportId as never }), 1)
  // The sweep removes the zip, then the job record: once the record is gone, so is every part of the zip.
  t.ok(await eventually(async () => await db.collection('rooms_export_jobs').countDocuments({ _id: exportId as never }) === 0), 'the expired job is gone')
  t.equal(await db.collection('rooms_export.files').countDocuments({ _id: exportId as never }), 0, 'the expired zip left GridFS')
  t.equal(await db.collection('rooms_export.chunks').countDocuments({ files_id: exportId }), 0, 'and its chunks')
  t.ok(await eventually(async () => await db.collection('rooms_export_jobs').countDocuments({ _id: 'crashed' as never }) === 0), 'the sweep fails a stopped job nobody asked about, and it expires')
})

t.test('hasPermission and the GridFS storage on their own', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const { createMongoHooks, createGridFsStorage } = await import('../index.ts')
  const hooks = createMongoHooks(db)
  const admin = { _id: rcUsers.admin._id, username: 'admin' }
  t.equal(await hooks.hasPermission(admin, 'mail-messages', 'GENERAL'), true)
  t.equal(await hooks.hasPermission(admin, 'other-permission' as 'mail-messages', 'GENERAL'), false, 'a permission nobody holds')
  t.equal(await hooks.hasPermission({ _id: 'not-in-db', username: 'x', roles: ['admin'] }, 'mail-messages', 'GENERAL'), false, 'roles come from the database, not the caller')
  await db.collection('rocketchat_permissions').updateOne({ _id: 'mail-messages' as never }, { $set: { roles: 'admin' } })
  t.equal(await hooks.hasPermission(admin, 'mail-messages', 'GENERAL'), false, 'a malformed permission grants nothing')

  const storage = createGridFsStorage(db, 'storage_test')
  const { Readable } = await import('node:stream')
  await storage.write('one', Readable.from([Buffer.from('zip bytes')]))
  const chunks: Buffer[] = []
  for await (const chunk of (await storage.read('one'))!) chunks.push(chunk as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'zip bytes')
  t.equal(await storage.read('two'), null)
  // Ranges read only the chunks they touch (255 KiB each): a range in the third chunk.
  const big = Buffer.from(Array.from({ length: 700 * 1024 }, (_, index) => index % 251))
  await storage.write('big', Readable.from([big]))
  const ranged: Buffer[] = []
  for await (const chunk of (await storage.read('big', { start: 600_000, end: 600_099 }))!) ranged.push(chunk as Buffer)
  t.same(Buffer.concat(ranged), big.subarray(600_000, 600_100))
  await storage.remove('big')
  const failing = Readable.from((async function * () {
    yield Buffer.alloc(300 * 1024, 1)
    throw new Error('source broke')
  })())
  await t.rejects(storage.write('two', failing), { message: 'source broke' })
  t.equal(await db.collection('storage_test.chunks').countDocuments({ files_id: 'two' }), 0, 'no chunks left of a failed write')
  await storage.remove('one')
  await storage.remove('one')
  t.equal(await storage.read('one'), null)
})

t.test('mongo: { db } — a database without @fastify/mongodb', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const { logger, lines } = capturingLogger('warn')
  const logged = () => {
    const app = Fastify({ logger })
    t.teardown(() => app.close())
    return app
  }
  const app = logged()
  await app.register(roomsExport, { mongo: { db } })
  await app.ready()
  t.same(lines, [], 'Rocket.Chat\'s { rid, ts, _updatedAt } index serves the reads')
  await db.collection('rocketchat_message').dropIndexes()
  const unindexed = logged()
  await unindexed.register(roomsExport, { mongo: { db } })
  await unindexed.ready()
  t.same(lines.map(({ msg }) => msg), ['rooms.export: rocketchat_message has no index starting with { rid: 1, ts: 1 } (Rocket.Chat creates { rid: 1, ts: 1, _updatedAt: 1 }); every export will scan and sort the whole collection'])
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json', dateTo: '2024-03-31' })).json()
  const status = await settle(app, rcUsers.admin, exportId)
  t.equal(status.export.status, 'done')
  t.equal(await db.collection('rooms_export.files').countDocuments({ _id: exportId as never }), 1, 'stored in the given database')
  const range = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: { ...rcHeaders(rcUsers.admin), range: 'bytes=0-3' } })
  t.equal(range.statusCode, 206)
  t.equal(range.rawPayload.toString('latin1'), 'PK\u0003\u0004')
})
