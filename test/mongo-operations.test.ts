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
  const app = await mongoApp(t, server.url)
  const { exportId } = (await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  const done = await settle(app, rcUsers.admin, exportId)
  t.match(done.export, { status: 'done', progress: 1 })
  t.equal(done.export.total, done.export.messages, 'the total is what was exported')
  t.equal(done.export.total, await db.collection('rocketchat_message').countDocuments({ rid: 'GENERAL', _hidden: { $ne: true } }))
  t.ok(await db.collection('rocketchat_message').countDocuments({ rid: 'GENERAL', _hidden: true }) > 0, 'the room has hidden copies to leave out')
})

t.test('cancel from another instance: the running one stops at its next write — nothing stored, no slot left — and both read cancelled', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const held = heldRepository(createMongoRepository(db))
  const running = await mongoApp(t, server.url, { repository: held.repository })
  const other = await mongoApp(t, server.url)
  const { exportId } = (await post(running, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  await held.reading
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
