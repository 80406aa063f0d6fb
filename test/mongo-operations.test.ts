import t from 'tap'
import { createMongoRepository } from '../index.ts'
import { heldRepository } from './helpers/app.ts'
import { eventually } from './helpers/exports.ts'
import { connect, insertMayMessages, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'

/** Progress, cancel and the list on the Mongo backend: shared by every instance on the database. */

const status = async (app: Parameters<typeof settle>[0], exportId: string) =>
  (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).json()

t.test('total: counted by the database with the export\'s own filter (edit-history copies left out)', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  await insertMayMessages(db, 'counted', 500, (index) => `message ${index}`)
  const app = await mongoApp(t, server.url, { mongo: { countMessages: true } })
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  const done = await settle(app, rcUsers.admin, exportId)
  t.match(done.export, { status: 'done', progress: 1 })
  t.equal(done.export.total, done.export.messages, 'the total is what was exported')
  t.equal(done.export.total, await db.collection('rocketchat_message').countDocuments({ rid: 'GENERAL', _hidden: { $ne: true } }))
  t.ok(await db.collection('rocketchat_message').countDocuments({ rid: 'GENERAL', _hidden: true }) > 0, 'the room has hidden copies to leave out')
})

t.test('by default the server is asked once whether it counts on an index: FerretDB is not asked to count, MongoDB is', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const onFerretDb = 'ferretdbVersion' in await db.command({ buildInfo: 1 })
  t.equal(onFerretDb, process.env.MONGODB_URL === undefined, 'the tests run on FerretDB unless MONGODB_URL names a server')
  const app = await mongoApp(t, server.url)
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  const done = await settle(app, rcUsers.admin, exportId)
  t.same(done.export, { _id: exportId, rid: 'GENERAL', format: 'json', status: 'done', messages: done.export.messages, ...(onFerretDb ? {} : { total: done.export.messages }), progress: 1, bytes: done.export.bytes, createdAt: done.export.createdAt, finishedAt: done.export.finishedAt })
  t.ok(done.export.messages > 0)
})

t.test('what the server says of itself decides the count: buildInfo asked once; without ferretdbVersion, or unanswered, it counts', async (t) => {
  const query = { rid: 'GENERAL', from: new Date(0), to: new Date() }
  for (const [said, expected] of [[{ version: '7.0.14', ok: 1 }, 42], [{ version: '7.0.42', ferretdbVersion: 'v1.24.2', ok: 1 }, null], [new Error('not authorized on admin'), 42]] as const) {
    const calls = { buildInfo: 0, countDocuments: 0 }
    const fakeDb = {
      databaseName: 'fake',
      async command () {
        calls.buildInfo++
        if (said instanceof Error) throw said
        return said
      },
      collection: () => ({ async countDocuments () { calls.countDocuments++; return 42 } })
    }
    const repository = createMongoRepository(fakeDb)
    t.equal(await repository.countMessages!(query), expected)
    t.equal(await repository.countMessages!(query), expected)
    t.same(calls, { buildInfo: 1, countDocuments: expected === null ? 0 : 2 })
  }
  const unasked = { databaseName: 'fake', command: async () => { throw new Error('not asked') }, collection: () => ({ countDocuments: async () => 7 }) }
  const forced = createMongoRepository(unasked, { countMessages: true })
  t.equal(await forced.countMessages!(query), 7, 'countMessages: true counts without asking')
  const refused = createMongoRepository(unasked, { countMessages: false })
  t.equal(await refused.countMessages!(query), null, 'countMessages: false never counts')
})

t.test('cancel from another instance: the running one stops at its next write — nothing stored, no slot left — and both read cancelled', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const held = heldRepository(createMongoRepository(db, { countMessages: true }))
  const running = await mongoApp(t, server.url, { repository: held.repository })
  const other = await mongoApp(t, server.url)
  const { exportId } = (await post(running, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  await held.reading
  // The count runs beside the read: its total is written once it answers.
  t.ok(await eventually(async () => (await status(other, exportId)).export.total === 6), 'the total written')
  t.equal((await post(other, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).statusCode, 429, 'one export per user, across instances')

  const cancelled = await other.inject({ method: 'POST', url: '/api/v1/rooms.export.cancel', headers: rcHeaders(rcUsers.admin), payload: { exportId } })
  t.same(cancelled.json(), { success: true })
  t.same(await db.collection('rooms_export_slots').find().toArray(), [], 'its slots freed at once')
  const fromOther = await status(other, exportId)
  t.same(fromOther, { success: true, export: { _id: exportId, rid: 'GENERAL', format: 'json', status: 'cancelled', messages: 0, total: 6, progress: 0, bytes: 0, createdAt: fromOther.export.createdAt, finishedAt: fromOther.export.finishedAt } })
  held.release()
  t.ok(await eventually(async () => await db.collection('rooms_export.files').countDocuments({}) === 0 && await db.collection('rooms_export.chunks').countDocuments({}) === 0, 10_000), 'nothing stored')
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.same(await status(running, exportId), fromOther, 'the running instance stopped without writing over it')
  t.equal((await post(other, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).statusCode, 200, 'a new export is accepted')
})

t.test('list: newest first, paged, across instances', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const first = await mongoApp(t, server.url)
  const second = await mongoApp(t, server.url)
  const ids: string[] = []
  for (const app of [first, second, first]) {
    const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
    await settle(app, rcUsers.admin, exportId)
    ids.unshift(exportId)
  }
  const list = async (query: string) => (await second.inject({ url: `/api/v1/rooms.export.list${query}`, headers: rcHeaders(rcUsers.admin) })).json()
  const all = await list('')
  t.same({ ...all, exports: all.exports.map((entry: { _id: string }) => entry._id) }, { success: true, exports: ids, offset: 0, count: 3, total: 3 })
  t.same(all.exports[1], (await status(first, ids[1]!)).export)
  const middle = await list('?offset=1&count=1')
  t.same({ ...middle, exports: middle.exports.map((entry: { _id: string }) => entry._id) }, { success: true, exports: [ids[1]], offset: 1, count: 1, total: 3 })
  const owner = (await second.inject({ url: '/api/v1/rooms.export.list', headers: rcHeaders(rcUsers.owner) })).json()
  t.same(owner, { success: true, exports: [], offset: 0, count: 0, total: 0 }, 'another user sees none of them')
})
