import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import t from 'tap'
import { createGridFsStorage, createMongoRepository } from '../index.ts'
import { createMongoJobStore } from '../lib/export/mongo-jobs.ts'
import { capturingLogger, heldRepository } from './helpers/app.ts'
import { eventually } from './helpers/exports.ts'
import { connect, insertMayMessages, insertStoppedJob, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { startPausableProxy } from './helpers/proxy.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'
import { readZip } from './helpers/zip.ts'

/** Jobs whose instance stops: run again elsewhere (at most once at a time, a bounded number of times), or failed. */

const settings = { exportTtlMs: 60_000, instanceTimeoutMs: 30_000, exportAttempts: 3 }

/** What a job keeps to be run again (`ExportJob.request`), for jobs the tests write as a stopped instance left them. */
const stoppedRequest = { from: '2024-01-01T00:00:00.000Z', to: '2024-12-31T23:59:59.999Z', timezone: 'UTC', requester: { _id: rcUsers.admin._id, username: 'admin' }, reqId: 'req-1' }

const status = async (app: Parameters<typeof settle>[0], exportId: string) =>
  (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).json()

t.test('a stopped instance\'s job that cannot run again (no request kept: an earlier version\'s record) reads failed; its slot is taken over', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const longAgo = await insertStoppedJob(db, 'orphan', rcUsers.admin, 'running')
  // The job's slot goes with the start-up sweep; the other belongs to an email export whose
  // instance died while sending (no job record): only its stale heartbeat frees it.
  await db.collection('rooms_export_slots').insertMany([
    { _id: `user:${rcUsers.admin._id}:0` as never, jobId: 'email-of-a-dead-instance', heartbeatAt: longAgo },
    { _id: 'all:0' as never, jobId: 'orphan', heartbeatAt: longAgo }
  ])
  const app = await mongoApp(t, server.url, { limits: { concurrentExports: 1 } })
  const started = await post(app, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })
  t.equal(started.statusCode, 200, 'stale slots are taken over')
  await settle(app, rcUsers.admin, started.json().exportId)
  const orphan = (await app.inject({ url: '/api/v1/rooms.export.status?exportId=orphan', headers: rcHeaders(rcUsers.admin) })).json()
  t.same(orphan, { success: true, export: { _id: 'orphan', rid: 'GENERAL', format: 'json', status: 'failed', messages: 10, bytes: 100, createdAt: longAgo.toISOString(), finishedAt: orphan.export.finishedAt, error: 'the server running this export stopped' } })
  // `done` is written before the slots are deleted: the status can read done a moment before they are gone.
  t.ok(await eventually(async () => (await db.collection('rooms_export_slots').countDocuments()) === 0), 'the export\'s slots are released once it is done')
  t.same(await db.collection('rooms_export_slots').find().toArray(), [])
})

t.test('racing instances: a stale slot is taken over by exactly one of sixteen, round after round', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  const { createMongoJobStore } = await import('../lib/export/mongo-jobs.ts')
  // Sixteen instances, each with its own connection and job store.
  const instances = await Promise.all(Array.from({ length: 16 }, async () => await createMongoJobStore(await connect(t, server.url), settings)))
  const winners: number[] = []
  for (let round = 0; round < 30; round++) {
    const longAgo = new Date(Date.now() - 120_000)
    await db.collection('rooms_export_slots').deleteMany({})
    await db.collection('rooms_export_slots').insertOne({ _id: 'user:racer:0' as never, jobId: `dead-${round}`, heartbeatAt: longAgo })
    const claimed = await Promise.all(instances.map(async (store, index) => await store.claimSlot(`holder-${round}-${index}`, 'racer', { perUser: 1, overall: 100 })))
    winners.push(claimed.filter(Boolean).length)
  }
  t.same(winners, Array.from({ length: 30 }, () => 1), 'one winner each round (a conditional update let 6–12 win)')
})

t.test('a job failed by another instance while it still ran (its attempts used) stops: it keeps that status and leaves nothing stored', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  // The running instance reaches the database through a proxy the test can pause: a partition.
  const proxy = await startPausableProxy(t, Number(new URL(server.url).port))
  const held = heldRepository(createMongoRepository(db))
  const running = await mongoApp(t, server.url.replace(/:\d+\//, `:${proxy.port}/`), { repository: held.repository })
  const other = await mongoApp(t, server.url, { limits: { exportAttempts: 1 } })
  const { exportId } = (await post(running, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  t.ok(await eventually(async () => (await db.collection('rooms_export_jobs').findOne({ _id: exportId as never }))?.status === 'running'), 'the job runs')
  await held.reading
  // Cut off, its heartbeat grows old and the other instance fails the job. (Were its progress writes to
  // go on meanwhile, FerretDB v1, which writes an update as the whole document, could put back the
  // status it read: conditional updates are not atomic there.)
  proxy.pause()
  await db.collection('rooms_export_jobs').updateOne({ _id: exportId as never }, { $set: { heartbeatAt: new Date(Date.now() - 120_000) } })
  const seen = (await other.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).json()
  t.match(seen.export, { status: 'failed', error: 'the server running this export stopped' })
  t.equal(await db.collection('rooms_export_slots').countDocuments({ jobId: exportId }), 0, 'the instance that failed it freed its slots')
  proxy.resume()
  // Its next progress write (every 250 ms, even while the read waits) finds the job no longer running.
  await new Promise((resolve) => setTimeout(resolve, 600))
  held.release()
  // Its next write of its own (progress or done) finds the job no longer running: it stops and removes what it stored.
  t.ok(await eventually(async () => await db.collection('rooms_export_slots').countDocuments({}) === 0 &&
    await db.collection('rooms_export.chunks').countDocuments({}) === 0), 'no chunks, no slots')
  await new Promise((resolve) => setTimeout(resolve, 500))
  const after = (await running.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })).json()
  t.match(after.export, { status: 'failed', error: 'the server running this export stopped' }, 'its own end did not overwrite the status')
  t.equal(await db.collection('rooms_export.files').countDocuments({ _id: exportId as never }), 0)
})

t.test('an instance killed mid-export: another runs the job again from the start, and the same exportId downloads it whole', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  // Big, badly compressible messages: the zip has chunks in GridFS long before the export ends.
  await insertMayMessages(db, 'big', 1500, () => randomBytes(512).toString('hex'))
  const doomed = spawn(process.execPath, [...process.execArgv, new URL('./helpers/instance-to-kill.ts', import.meta.url).pathname, server.url, '1000', 'html'], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { doomed.kill('SIGKILL') })
  const [line] = await once(createInterface({ input: doomed.stdout }), 'line') as [string]
  const { exportId } = JSON.parse(line) as { exportId: string }
  t.ok(await eventually(async () => await db.collection('rooms_export.chunks').countDocuments({ files_id: exportId }) >= 1, 20_000), 'the doomed attempt has stored part of its zip')
  const slotsBefore = await db.collection('rooms_export_slots').find({}, { sort: { _id: 1 } }).toArray()
  t.same(slotsBefore.map((slot) => slot._id), ['all:0', `user:${rcUsers.admin._id}:0`])

  doomed.kill('SIGKILL')
  await once(doomed, 'exit')
  const survivor = await mongoApp(t, server.url, { limits: { instanceTimeoutMs: 1000 }, mongo: { countMessages: true } })
  const done = await settle(survivor, rcUsers.admin, exportId)
  t.same(done, {
    success: true,
    export: { _id: exportId, rid: 'GENERAL', format: 'html', status: 'done', messages: 1506, total: 1506, progress: 1, bytes: done.export.bytes, createdAt: done.export.createdAt, finishedAt: done.export.finishedAt, attempt: 2 }
  })
  const download = await survivor.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  t.equal(download.statusCode, 200)
  t.equal(download.rawPayload.length, done.export.bytes)
  const zip = await readZip(download.rawPayload)
  const manifest = JSON.parse(zip.get('manifest.json')!.toString()) as { messageCount: number }
  t.equal(manifest.messageCount, 1506, 'every message, once')
  t.same(await db.collection('rooms_export.files').find({}, { projection: { _id: 1 } }).toArray(), [{ _id: `${exportId}-2` }], 'one stored zip: the second attempt\'s')
  t.equal(await db.collection('rooms_export.chunks').countDocuments({ files_id: { $ne: `${exportId}-2` } }), 0, 'the killed attempt\'s chunks are gone')
  t.same(await db.collection('rooms_export_slots').find().toArray(), [], 'the slots went with the finished job, the take-over marker too')
})

t.test('a job taken over while its instance still ran (a long pause): the paused attempt stops and removes only what it stored', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const proxy = await startPausableProxy(t, Number(new URL(server.url).port))
  const pausedUrl = server.url.replace(/:\d+\//, `:${proxy.port}/`)
  const held = heldRepository(createMongoRepository(await connect(t, server.url)))
  const paused = await mongoApp(t, pausedUrl, { repository: held.repository })
  const other = await mongoApp(t, server.url, { limits: { instanceTimeoutMs: 1000 } })
  const { exportId } = (await post(paused, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  await held.reading

  proxy.pause()
  const done = await settle(other, rcUsers.admin, exportId)
  t.match(done.export, { status: 'done', attempt: 2, messages: 6 })
  proxy.resume()
  held.release()
  // The paused attempt's next write of its own finds another attempt in the record: it stops, removes its own key.
  t.ok(await eventually(async () => (await db.collection('rooms_export.chunks').distinct('files_id')).join() === `${exportId}-2`), 'only the second attempt\'s chunks')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(await status(paused, exportId), done, 'the paused attempt did not overwrite the record')
  const fromPaused = await paused.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  const fromOther = await other.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: rcHeaders(rcUsers.admin) })
  t.equal(fromPaused.statusCode, 200)
  t.same(fromPaused.rawPayload, fromOther.rawPayload)
  t.same(await db.collection('rooms_export_slots').find().toArray(), [])
})

t.test('closing an instance hands its running export over: another instance runs it at once', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const held = heldRepository(createMongoRepository(db))
  const closing = await mongoApp(t, server.url, { repository: held.repository })
  const other = await mongoApp(t, server.url, { limits: { instanceTimeoutMs: 6000 } })
  const { exportId } = (await post(closing, rcUsers.admin, { rid: 'GENERAL', type: 'file', format: 'json' })).json()
  await held.reading
  await closing.close()
  t.match((await status(other, exportId)).export, { status: 'running' }, 'not failed: handed over')
  const handedOver = await db.collection('rooms_export_jobs').findOne({ _id: exportId as never })
  t.equal(handedOver?.heartbeatAt.getTime(), 0, 'stale at once: the next sweep takes it without waiting for the timeout')
  const done = await settle(other, rcUsers.admin, exportId)
  t.match(done.export, { status: 'done', attempt: 2, messages: 6 })
  t.same(await db.collection('rooms_export.files').find({}, { projection: { _id: 1 } }).toArray(), [{ _id: `${exportId}-2` }])
})

t.test('three instances killed in turn, each in the attempt it took over: the job fails once its attempts are used, and nothing any attempt stored is left', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  await insertMayMessages(db, 'big', 1500, () => randomBytes(512).toString('hex'))
  const killable = async (mode: string) => {
    const instance = spawn(process.execPath, [...process.execArgv, new URL('./helpers/instance-to-kill.ts', import.meta.url).pathname, server.url, '1000', mode], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.teardown(() => { instance.kill('SIGKILL') })
    const [line] = await once(createInterface({ input: instance.stdout }), 'line') as [string]
    return { instance, said: JSON.parse(line) as { exportId?: string } }
  }
  const chunksOf = async (exportId: string, attempt: number) => await db.collection('rooms_export.chunks').countDocuments({ files_id: attempt === 1 ? exportId : `${exportId}-${attempt}` })
  const first = await killable('json')
  const exportId = first.said.exportId!
  let running = first.instance
  for (let attempt = 1; attempt <= 3; attempt++) {
    t.ok(await eventually(async () => await chunksOf(exportId, attempt) >= 1, 30_000), `attempt ${attempt} has stored part of its zip`)
    running.kill('SIGKILL')
    await once(running, 'exit')
    if (attempt < 3) running = (await killable('takeover')).instance
  }
  const survivor = await mongoApp(t, server.url, { limits: { instanceTimeoutMs: 1000 }, mongo: { countMessages: true } })
  const failed = await settle(survivor, rcUsers.admin, exportId)
  t.same(failed, { success: true, export: { _id: exportId, rid: 'GENERAL', format: 'json', status: 'failed', messages: failed.export.messages, total: 1506, progress: failed.export.progress, bytes: failed.export.bytes, createdAt: failed.export.createdAt, finishedAt: failed.export.finishedAt, error: 'the server running this export stopped', attempt: 3 } })
  t.ok(await eventually(async () => await db.collection('rooms_export.chunks').countDocuments({}) === 0 && await db.collection('rooms_export.files').countDocuments({}) === 0, 10_000), 'no file and no chunk of any attempt')
  t.same(await db.collection('rooms_export_slots').find().toArray(), [], 'its slots are free')
  t.notOk((await db.collection('rooms_export_jobs').findOne({ _id: exportId as never }))?.leftovers, 'marked clean')
})

t.test('what a failed job stored is removed at the next sweep when its removal fails now; the failure is logged', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  await insertStoppedJob(db, 'used-up', rcUsers.admin, 'running', { attempt: 3, request: stoppedRequest })
  const gridFs = createGridFsStorage(db)
  let refusals = 1
  const { logger, lines } = capturingLogger('info')
  const app = await mongoApp(t, server.url, { storage: { ...gridFs, async remove (key) { if (refusals-- > 0) throw new Error('storage away'); await gridFs.remove(key) } }, limits: { instanceTimeoutMs: 1000 } }, logger)
  t.match(lines.find((line) => line.msg === 'rooms.export: removing what a failed export stored failed'), { err: { message: 'the storage failed: storage away' } })
  t.ok(await eventually(async () => (await db.collection('rooms_export_jobs').findOne({ _id: 'used-up' as never }))?.leftovers === undefined), 'the next sweep removed it')
  t.match(lines.find((line) => line.msg === 'rooms.export: removed what the attempts of a failed export stored'), { exportId: 'used-up', attempts: 3 })
  t.equal((await status(app, 'used-up')).export.status, 'failed')
})

t.test('a stopped job keeps its slots for its next attempt; a room deleted since fails it; attempts are bounded', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const longAgo = await insertStoppedJob(db, 'gone-room', rcUsers.admin, 'running', { rid: 'DELETED', attempt: 1, request: stoppedRequest })
  const lastAttemptAt = await insertStoppedJob(db, 'last-attempt', rcUsers.admin, 'running', { attempt: 3, request: stoppedRequest })
  await db.collection('rooms_export_slots').insertMany([
    { _id: 'all:0' as never, jobId: 'gone-room', heartbeatAt: longAgo },
    { _id: 'all:1' as never, jobId: 'last-attempt', heartbeatAt: longAgo }
  ])
  const store = await createMongoJobStore(db, { ...settings, instanceTimeoutMs: 1000 })
  t.notOk(await store.claimSlot('newcomer', rcUsers.owner._id, { perUser: 1, overall: 1 }), 'all:0 stays the stopped job\'s: it will run again')
  t.ok(await store.claimSlot('newcomer', rcUsers.owner._id, { perUser: 1, overall: 2 }), 'all:1 is taken over: its job has used its attempts')
  await store.releaseSlot('newcomer')

  const app = await mongoApp(t, server.url, { limits: { instanceTimeoutMs: 1000 } })
  t.same(await status(app, 'last-attempt'), { success: true, export: { _id: 'last-attempt', rid: 'GENERAL', format: 'json', status: 'failed', messages: 10, bytes: 100, createdAt: lastAttemptAt.toISOString(), finishedAt: (await status(app, 'last-attempt')).export.finishedAt, error: 'the server running this export stopped', attempt: 3 } })
  const gone = await settle(app, rcUsers.admin, 'gone-room')
  t.same(gone, { success: true, export: { _id: 'gone-room', rid: 'DELETED', format: 'json', status: 'failed', messages: 0, bytes: 0, createdAt: longAgo.toISOString(), finishedAt: gone.export.finishedAt, error: 'the room no longer exists', attempt: 2 } })
  t.same(await db.collection('rooms_export_slots').find().toArray(), [], 'both jobs\' slots are free')
})

t.test('racing instances: a stopped job is run again by exactly one of sixteen, round after round', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  const instances = await Promise.all(Array.from({ length: 16 }, async () => await createMongoJobStore(await connect(t, server.url), settings)))
  const request = { ...stoppedRequest, requester: { _id: 'racer', username: 'racer' } }
  const winners: number[] = []
  for (let round = 0; round < 30; round++) {
    await insertStoppedJob(db, `stopped-${round}`, rcUsers.admin, 'running', { attempt: 1, request })
    const taken = await Promise.all(instances.map(async (store) => await store.takeOverStopped!()))
    winners.push(taken.flat().length)
    await db.collection('rooms_export_jobs').deleteMany({})
  }
  t.same(winners, Array.from({ length: 30 }, () => 1), 'one winner each round')
})

t.test('a job that wrote again while it was being taken over stays with its instance, and can still be taken over later', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await insertStoppedJob(db, 'alive', rcUsers.admin, 'running', { attempt: 1, request: stoppedRequest })
  // Its instance writes a heartbeat right after the take-over marker is inserted, before the job is moved on.
  let revive = true
  const slots = db.collection('rooms_export_slots')
  const racingDb = new Proxy(db, {
    get (target, property) {
      if (property !== 'collection') return Reflect.get(target, property)
      return (name: string, options: object) => {
        const collection = target.collection(name, options)
        if (name !== 'rooms_export_slots') return collection
        return new Proxy(collection, {
          get (inner, method) {
            if (method !== 'insertOne') return Reflect.get(inner, method)
            return async (document: { _id: string }) => {
              const inserted = await inner.insertOne(document as never)
              if (revive && document._id.startsWith('rerun:')) await target.collection('rooms_export_jobs').updateOne({ _id: 'alive' as never }, { $set: { heartbeatAt: new Date() } })
              return inserted
            }
          }
        })
      }
    }
  })
  const store = await createMongoJobStore(racingDb, settings)
  t.same(await store.takeOverStopped!(), [], 'alive: not taken')
  t.same(await slots.find().toArray(), [], 'its take-over marker is gone')
  revive = false
  await db.collection('rooms_export_jobs').updateOne({ _id: 'alive' as never }, { $set: { heartbeatAt: new Date(Date.now() - 60_000) } })
  t.match(await store.takeOverStopped!(), [{ _id: 'alive', attempt: 2, status: 'queued', messages: 0, bytes: 0 }], 'stopped for real later: taken')
})

t.test('a taken-over job that cannot start (its room unreadable) is logged, times out again, and fails once its attempts are used', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const createdAt = await insertStoppedJob(db, 'unreadable', rcUsers.admin, 'running', { attempt: 1, request: stoppedRequest })
  const { logger, lines } = capturingLogger('error')
  const app = await mongoApp(t, server.url, {
    repository: { ...createMongoRepository(db), findRoomById: async () => { throw new Error('rooms unreadable') } },
    limits: { instanceTimeoutMs: 1000 }
  }, logger)
  t.match(lines[0], { msg: 'rooms.export: running again an export of a stopped server failed', exportId: 'unreadable', err: { message: 'rooms unreadable' } })
  const failed = await settle(app, rcUsers.admin, 'unreadable')
  t.same(failed, { success: true, export: { _id: 'unreadable', rid: 'GENERAL', format: 'json', status: 'failed', messages: 0, bytes: 0, createdAt: createdAt.toISOString(), finishedAt: failed.export.finishedAt, error: 'the server running this export stopped', attempt: 3 } })
  // The record says `failed` first, then its slots (and take-over markers) go: a reader can be in between.
  t.ok(await eventually(async () => await db.collection('rooms_export_slots').countDocuments() === 0), 'its slots and markers are gone')
})

t.test('closing while a sweep is taking a job over hands the job back instead of starting it', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedRocketChat(db)
  const repository = createMongoRepository(db)
  let reachedRoom!: () => void
  const roomAsked = new Promise<void>((resolve) => { reachedRoom = resolve })
  let releaseRoom!: () => void
  const roomGate = new Promise<void>((resolve) => { releaseRoom = resolve })
  const app = await mongoApp(t, server.url, {
    repository: { ...repository, findRoomById: async (rid) => { reachedRoom(); await roomGate; return await repository.findRoomById(rid) } },
    limits: { instanceTimeoutMs: 1000 }
  })
  await insertStoppedJob(db, 'taken-while-closing', rcUsers.admin, 'running', { attempt: 1, request: stoppedRequest })
  await roomAsked
  const closed = app.close()
  await new Promise((resolve) => setTimeout(resolve, 100))
  releaseRoom()
  await closed
  const job = await db.collection('rooms_export_jobs').findOne({ _id: 'taken-while-closing' as never })
  t.match(job, { status: 'queued', attempt: 2 }, 'taken, not started')
  t.equal(job?.heartbeatAt.getTime(), 0, 'handed back: stale at once for the next instance')
  t.equal(await db.collection('rooms_export.files').countDocuments(), 0)
})
