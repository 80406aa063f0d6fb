import { MongoNetworkError, type Db } from 'mongodb'
import t, { type Test } from 'tap'
import type { ExportJob } from '../lib/export/jobs.ts'
import { createMongoJobStore } from '../lib/export/mongo-jobs.ts'
import { capturingLogger } from './helpers/app.ts'
import { eventually } from './helpers/exports.ts'
import { connect, insertStoppedJob, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { startCuttingProxy, type CuttingProxy } from './helpers/proxy.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'

/**
 * The MongoDB job store when the database fails it: a write that meets a
 * dropped connection is thrown on (never taken for the duplicate key an
 * insert race expects), and a job another instance changes between the
 * store's read and its write keeps that instance's change.
 */

const settings = { exportTtlMs: 60_000, instanceTimeoutMs: 30_000, exportAttempts: 3 }

/** What a job keeps to be run again (`ExportJob.request`). */
const stoppedRequest = { from: '2024-01-01T00:00:00.000Z', to: '2024-12-31T23:59:59.999Z', timezone: 'UTC', requester: { _id: rcUsers.admin._id, username: 'admin' }, reqId: 'req-1' }

/** A command message `command` on `collection` that holds every one of `values` (as BSON strings hold them). */
const sends = (command: string, collection: string, ...values: string[]) => (message: Buffer) =>
  message.includes(Buffer.from(`\x02${command}\x00`)) && [collection, ...values].every((value) => message.includes(value))

/**
 * A database and a job store on it whose connection goes through a cutting
 * proxy, with retryable writes off (as a host may run it): the one write the
 * proxy cuts reaches the store as the driver's error, not hidden by a retry.
 */
async function storeBehindProxy (t: Test, storeSettings = settings) {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  const proxy = await startCuttingProxy(t, Number(new URL(server.url).port))
  const proxiedUrl = `${server.url.replace(/:\d+\//, `:${proxy.port}/`)}?retryWrites=false`
  const store = await createMongoJobStore(await connect(t, proxiedUrl), storeSettings)
  return { server, db, proxy, proxiedUrl, store }
}

/** The driver's error for a connection the proxy cut while a command waited on it. */
const cutConnection = (proxy: CuttingProxy) => ({ name: 'MongoNetworkError', message: new RegExp(`^connection \\d+ to 127\\.0\\.0\\.1:${proxy.port} closed$`) })

/** What `promise` rejects with (it must reject). */
async function rejection (promise: Promise<unknown>): Promise<unknown> {
  return await promise.then((value) => { throw new Error(`resolved with ${JSON.stringify(value)} instead of rejecting`) }, (err: unknown) => err)
}

const slotsWithoutTimes = async (db: Db) => await db.collection('rooms_export_slots').find({}, { sort: { _id: 1 }, projection: { heartbeatAt: 0 } }).toArray()

const newJob = (id: string, userId: string): ExportJob => ({
  _id: id, rid: 'GENERAL', userId, format: 'json', status: 'queued', messages: 0, bytes: 0, createdAt: new Date('2024-06-01T00:00:00.000Z'), fileName: 'general.zip', attempt: 1, request: stoppedRequest
})

t.test('a slot claim whose insert meets a dropped connection throws the driver\'s error: no slot held, no job recorded, the next claim succeeds', async (t) => {
  const { db, proxy, store } = await storeBehindProxy(t)
  proxy.cutAt(sends('insert', 'rooms_export_slots', 'user:cut-user:0'))
  const error = await rejection(store.insertIfSlotFree(newJob('cut-job', 'cut-user'), { perUser: 1, overall: 1 }))
  t.equal(proxy.cuts, 1, 'the user slot\'s insert was cut')
  t.type(error, MongoNetworkError)
  t.match(error, cutConnection(proxy), 'thrown on, not taken for a slot someone else holds')
  t.same(await slotsWithoutTimes(db), [], 'no slot held')
  t.same(await db.collection('rooms_export_jobs').find().toArray(), [], 'no job recorded')

  t.equal(await store.insertIfSlotFree(newJob('cut-job', 'cut-user'), { perUser: 1, overall: 1 }), true, 'the connection back, the same job gets both slots')
  t.same(await slotsWithoutTimes(db), [{ _id: 'all:0', jobId: 'cut-job' }, { _id: 'user:cut-user:0', jobId: 'cut-job' }])
})

t.test('an overall slot claim that meets a dropped connection throws the driver\'s error, and records no job', async (t) => {
  const { db, proxy, store } = await storeBehindProxy(t, { ...settings, instanceTimeoutMs: 1000 })
  proxy.cutAt(sends('insert', 'rooms_export_slots', 'all:0'))
  const error = await rejection(store.insertIfSlotFree(newJob('cut-job', 'cut-user'), { perUser: 1, overall: 1 }))
  t.equal(proxy.cuts, 1, 'the overall slot\'s insert was cut')
  t.type(error, MongoNetworkError)
  t.match(error, cutConnection(proxy))
  t.same(await db.collection('rooms_export_jobs').find().toArray(), [], 'no job recorded')
  t.same(await slotsWithoutTimes(db), [], 'the user slot claimed first is given back: the user is not locked out until it goes stale')
  t.equal(await store.insertIfSlotFree(newJob('next-job', 'cut-user'), { perUser: 1, overall: 1 }), true, 'the next export of that user is taken at once')
  t.same(await slotsWithoutTimes(db), [{ _id: 'all:0', jobId: 'next-job' }, { _id: 'user:cut-user:0', jobId: 'next-job' }])
})

t.test('a job record whose insert meets a dropped connection throws the driver\'s error and gives both slots back', async (t) => {
  const { db, proxy, store } = await storeBehindProxy(t)
  proxy.cutAt(sends('insert', 'rooms_export_jobs', 'cut-job'))
  const error = await rejection(store.insertIfSlotFree(newJob('cut-job', 'cut-user'), { perUser: 1, overall: 1 }))
  t.equal(proxy.cuts, 1, 'the job\'s insert was cut')
  t.match(error, cutConnection(proxy))
  t.same(await db.collection('rooms_export_jobs').find().toArray(), [], 'no job recorded')
  t.same(await slotsWithoutTimes(db), [], 'no slot held by a job that does not exist')
})

t.test('taking over a stale slot: a marker insert that meets a dropped connection throws the driver\'s error, the slot is left as it was, and the next claim takes it', async (t) => {
  const { db, proxy, store } = await storeBehindProxy(t)
  const longAgo = new Date(Date.now() - 120_000)
  await db.collection('rooms_export_slots').insertOne({ _id: 'user:racer:0' as never, jobId: 'dead-holder', heartbeatAt: longAgo })
  const marker = `takeover:user:racer:0:dead-holder:${longAgo.getTime()}`
  proxy.cutAt(sends('insert', 'rooms_export_slots', marker))
  const error = await rejection(store.claimSlot('newcomer', 'racer', { perUser: 1, overall: 1 }))
  t.equal(proxy.cuts, 1, 'the take-over marker\'s insert was cut')
  t.type(error, MongoNetworkError)
  t.match(error, cutConnection(proxy), 'thrown on, not taken for another instance\'s marker')
  t.same(await db.collection('rooms_export_slots').find().toArray(), [{ _id: 'user:racer:0', jobId: 'dead-holder', heartbeatAt: longAgo }], 'the slot as it was: no marker, not rewritten, no overall slot')

  t.equal(await store.claimSlot('newcomer', 'racer', { perUser: 1, overall: 1 }), true, 'the connection back, the stale slot is taken over')
  t.same(await slotsWithoutTimes(db), [{ _id: 'all:0', jobId: 'newcomer' }, { _id: marker, jobId: 'newcomer' }, { _id: 'user:racer:0', jobId: 'newcomer' }])
  await store.releaseSlot('newcomer')
  t.same(await slotsWithoutTimes(db), [], 'released, marker and all')
})

t.test('a stopped job whose instance writes again between the store\'s read and its update is not failed: that instance\'s write wins', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  const longAgo = await insertStoppedJob(db, 'comeback', rcUsers.admin, 'running', { attempt: 3, request: stoppedRequest })
  await db.collection('rooms_export_slots').insertMany([
    { _id: `user:${rcUsers.admin._id}:0` as never, jobId: 'comeback', heartbeatAt: longAgo },
    { _id: 'all:0' as never, jobId: 'comeback', heartbeatAt: longAgo }
  ])
  // The instance running the job, back from a long pause, with a store of its own.
  const running = await createMongoJobStore(await connect(t, server.url), settings)
  // The reader's store: its update of the job waits until the running instance has written its progress.
  const writes: string[] = []
  const racingDb = new Proxy(db, {
    get (target, property) {
      if (property !== 'collection') return Reflect.get(target, property)
      return (name: string, options: object) => {
        const collection = target.collection(name, options)
        if (name !== 'rooms_export_jobs') return collection
        return new Proxy(collection, {
          get (inner, method) {
            if (method !== 'updateOne') return Reflect.get(inner, method)
            return async (...args: Parameters<typeof inner.updateOne>) => {
              if (writes.length === 0) {
                writes.push('the running instance\'s progress')
                t.equal(await running.updateActive({ _id: 'comeback', attempt: 3 }, { messages: 20, bytes: 200 }), true, 'the running instance\'s write applies')
              }
              writes.push('the reader\'s update')
              return await inner.updateOne(...args)
            }
          }
        })
      }
    }
  })
  const reader = await createMongoJobStore(racingDb, settings)
  const seen = await reader.findById('comeback')
  t.same(writes, ['the running instance\'s progress', 'the reader\'s update'], 'the reader read it stopped and went to fail it')
  const expected = { _id: 'comeback', rid: 'GENERAL', userId: rcUsers.admin._id, format: 'json', status: 'running', messages: 20, bytes: 200, createdAt: longAgo, fileName: 'general.zip', attempt: 3, request: stoppedRequest }
  t.same(seen, expected, 'the reader returns the job as the running instance left it')
  const stored = await db.collection('rooms_export_jobs').findOne({ _id: 'comeback' as never })
  const { heartbeatAt, ...rest } = stored!
  t.same(rest, expected, 'not failed: no error, no finishedAt, expiresAt or leftovers')
  t.ok(heartbeatAt > longAgo, 'the heartbeat is the running instance\'s')
  t.same(await db.collection('rooms_export_slots').find({}, { sort: { _id: 1 } }).toArray(), [
    { _id: 'all:0', jobId: 'comeback', heartbeatAt },
    { _id: `user:${rcUsers.admin._id}:0`, jobId: 'comeback', heartbeatAt }
  ], 'its slots still the job\'s, refreshed by the running instance')
})

t.test('taking over a stopped job: a marker insert that meets a dropped connection throws the driver\'s error, the job and its slots are left as they were, and the next sweep takes it', async (t) => {
  const { db, proxy, store } = await storeBehindProxy(t)
  const longAgo = await insertStoppedJob(db, 'stopped', rcUsers.admin, 'running', { attempt: 1, request: stoppedRequest })
  const slots = [
    { _id: 'all:0', jobId: 'stopped', heartbeatAt: longAgo },
    { _id: `user:${rcUsers.admin._id}:0`, jobId: 'stopped', heartbeatAt: longAgo }
  ]
  await db.collection('rooms_export_slots').insertMany(slots as never[])
  const before = await db.collection('rooms_export_jobs').findOne({ _id: 'stopped' as never })
  proxy.cutAt(sends('insert', 'rooms_export_slots', 'rerun:stopped:1'))
  const error = await rejection(store.takeOverStopped!())
  t.equal(proxy.cuts, 1, 'the rerun marker\'s insert was cut')
  t.type(error, MongoNetworkError)
  t.match(error, cutConnection(proxy), 'thrown on, not taken for another instance\'s take-over')
  t.same(await db.collection('rooms_export_jobs').findOne({ _id: 'stopped' as never }), before, 'the job as it was: running, attempt 1, its old heartbeat')
  t.same(await db.collection('rooms_export_slots').find({}, { sort: { _id: 1 } }).toArray(), slots, 'its slots as they were, no marker')

  const taken = await store.takeOverStopped!()
  const { heartbeatAt } = (await db.collection('rooms_export_jobs').findOne({ _id: 'stopped' as never }))!
  t.same(taken, [{ _id: 'stopped', rid: 'GENERAL', userId: rcUsers.admin._id, format: 'json', status: 'queued', messages: 0, bytes: 0, createdAt: longAgo, fileName: 'general.zip', attempt: 2, request: stoppedRequest }], 'the connection back, it is taken over')
  t.same(await db.collection('rooms_export_slots').find({}, { sort: { _id: 1 } }).toArray(), [
    { _id: 'all:0', jobId: 'stopped', heartbeatAt },
    { _id: 'rerun:stopped:1', jobId: 'stopped', heartbeatAt },
    { _id: `user:${rcUsers.admin._id}:0`, jobId: 'stopped', heartbeatAt }
  ], 'its slots kept and refreshed, with the marker')
})

t.test('through the plugin: an export whose slot claim meets a dropped connection answers 500 and logs the driver\'s error; the next export runs', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const proxy = await startCuttingProxy(t, Number(new URL(server.url).port))
  const { logger, lines } = capturingLogger('error')
  const app = await mongoApp(t, `${server.url.replace(/:\d+\//, `:${proxy.port}/`)}?retryWrites=false`, {}, logger)
  proxy.cutAt(sends('insert', 'rooms_export_slots', `user:${rcUsers.admin._id}:0`))
  const refused = await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })
  t.equal(proxy.cuts, 1)
  t.same({ statusCode: refused.statusCode, body: refused.json() }, { statusCode: 500, body: { success: false, error: '[error-internal]', errorType: 'error-internal' } })
  t.same(lines.map(({ msg }) => msg), ['rooms.export: unexpected error'])
  t.match(lines[0], { err: { type: 'MongoNetworkError', message: cutConnection(proxy).message } })
  t.same(await slotsWithoutTimes(db), [], 'no slot held')
  t.same(await db.collection('rooms_export_jobs').find().toArray(), [], 'no job recorded')

  const started = await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })
  t.equal(started.statusCode, 200)
  t.match((await settle(app, rcUsers.admin, started.json().exportId)).export, { status: 'done', messages: 6 })
})

t.test('through the plugin: a sweep whose take-over meets a dropped connection logs it under its stage, and a later sweep runs the job', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const createdAt = await insertStoppedJob(db, 'stopped', rcUsers.admin, 'running', { attempt: 1, request: stoppedRequest })
  const proxy = await startCuttingProxy(t, Number(new URL(server.url).port))
  proxy.cutAt(sends('insert', 'rooms_export_slots', 'rerun:stopped:1'))
  const { logger, lines } = capturingLogger('error')
  // The start-up sweep meets the cut; the next ones come every 334 ms.
  const app = await mongoApp(t, `${server.url.replace(/:\d+\//, `:${proxy.port}/`)}?retryWrites=false`, { limits: { instanceTimeoutMs: 1000 }, mongo: { countMessages: true } }, logger)
  t.equal(proxy.cuts, 1)
  t.same(lines.map(({ msg }) => msg), ['rooms.export: taking over the exports of a stopped server failed'])
  t.match(lines[0], { err: { type: 'MongoNetworkError', message: cutConnection(proxy).message } })

  const done = await settle(app, rcUsers.admin, 'stopped')
  t.same(done, { success: true, export: { _id: 'stopped', rid: 'GENERAL', format: 'json', status: 'done', messages: 6, total: 6, progress: 1, bytes: done.export.bytes, createdAt: createdAt.toISOString(), finishedAt: done.export.finishedAt, attempt: 2 } })
  t.ok(await eventually(async () => await db.collection('rooms_export_slots').countDocuments() === 0), 'its slots and marker went with it')
  t.same(lines.length, 1, 'nothing else failed')
  t.equal((await app.inject({ url: '/api/v1/rooms.export.download?exportId=stopped', headers: rcHeaders(rcUsers.admin) })).statusCode, 200)
})
