import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { createDirectoryStorage, createMemoryRepository, type ExportStorage, type ExportUser, type RoomRepository } from '../index.ts'
import { buildApp, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, dave, fixtureDataWithMore, general } from './helpers/fixtures.ts'

/** #general on the 21st–22nd: the fixture's 7 messages and 300 more. */
const roomMessages = 307
const range = { dateFrom: '2024-03-21', dateTo: '2024-03-22' }

/**
 * The memory repository, each message `delayMs` after the one before; `closed`
 * counts the range reads whose iterator was closed early (`return()`).
 */
function slowRepository (delayMs: number): { repository: RoomRepository, reads: { started: number, closed: number } } {
  const memory = createMemoryRepository(fixtureDataWithMore(300))
  const reads = { started: 0, closed: 0 }
  return {
    reads,
    repository: {
      ...memory,
      findMessages (query) {
        const inner = memory.findMessages(query)[Symbol.asyncIterator]()
        reads.started++
        return {
          [Symbol.asyncIterator] () {
            return {
              async next () {
                await new Promise((resolve) => setTimeout(resolve, delayMs))
                return await inner.next()
              },
              async return () {
                reads.closed++
                return await inner.return!()
              }
            }
          }
        }
      }
    }
  }
}

const statusOf = async (app: FastifyInstance, user: ExportUser, exportId: string) =>
  await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(user) })
const cancel = async (app: FastifyInstance, user: ExportUser, payload: unknown) =>
  await app.inject({ method: 'POST', url: '/api/v1/rooms.export.cancel', headers: authHeaders(user), payload: payload as object })
const list = async (app: FastifyInstance, user: ExportUser, query = '') =>
  await app.inject({ url: `/api/v1/rooms.export.list${query}`, headers: authHeaders(user) })
const notFound = { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'no such export' }

t.test('progress: the status counts the room once at the start (total) and rises to 1 at done', async (t) => {
  const { repository } = slowRepository(5)
  const app = await buildApp(t, { repository })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', ...range })).json()
  const seen: number[] = []
  let status
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 100))) {
    status = (await statusOf(app, alice, exportId)).json()
    if (status.export.progress !== undefined) seen.push(status.export.progress)
    if (status.export.status === 'done') break
  }
  t.ok(seen.length >= 4, `progress read ${seen.length} times`)
  t.same(seen, [...seen].sort((a, b) => a - b), 'it only rises')
  t.ok(seen.some((progress) => progress > 0 && progress < 1), 'a value between 0 and 1 on the way')
  t.ok(seen.slice(0, -1).every((progress) => progress < 1), '1 only when done')
  t.same(status, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'done', messages: roomMessages, total: roomMessages, progress: 1, bytes: status.export.bytes, createdAt: status.export.createdAt, finishedAt: status.export.finishedAt }
  })
})

t.test('progress without countMessages: no total; progress 1 once done', async (t) => {
  const { countMessages, ...uncounted } = createMemoryRepository(fixtureDataWithMore(0))
  t.type(countMessages, 'function', 'the memory repository counts')
  const app = await buildApp(t, { repository: uncounted })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', ...range })).json()
  const done = await waitForExport(app, alice, exportId)
  t.same(done.export, { _id: exportId, rid: general._id, format: 'json', status: 'done', messages: 7, progress: 1, bytes: done.export.bytes, createdAt: done.export.createdAt, finishedAt: done.export.finishedAt })
})

t.test('a repository whose count fails: the export runs without a total, and the log says why', async (t) => {
  const memory = createMemoryRepository(fixtureDataWithMore(0))
  const app = await buildApp(t, { repository: { ...memory, countMessages: async () => { throw new Error('count refused') } } })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', ...range })).json()
  const done = await waitForExport(app, alice, exportId)
  t.match(done.export, { status: 'done', messages: 7, progress: 1 })
  t.equal(done.export.total, undefined)
})

t.test('cancel while running: stops within a batch, the read is closed, nothing stored, the slot free at once; twice changes nothing', async (t) => {
  const directory = await temporaryDirectory(t)
  const { repository, reads } = slowRepository(20)
  const app = await buildApp(t, { repository, storage: createDirectoryStorage(directory) })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', ...range })).json()
  t.ok(await eventually(async () => (await statusOf(app, alice, exportId)).json().export.messages > 0))
  t.equal((await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).statusCode, 429, 'one export per user: the slot is taken')

  const cancelled = await cancel(app, alice, { exportId })
  t.equal(cancelled.statusCode, 200)
  t.same(cancelled.json(), { success: true })
  const status = (await statusOf(app, alice, exportId)).json()
  t.same(status, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'cancelled', messages: status.export.messages, total: roomMessages, progress: status.export.progress, bytes: 0, createdAt: status.export.createdAt, finishedAt: status.export.finishedAt }
  })
  t.ok(status.export.progress < 1)
  const next = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-23' })
  t.equal(next.statusCode, 200, 'a new export by the same user is accepted at once')
  t.ok(await eventually(async () => reads.closed === 1), 'the repository\'s iterator was closed (return())')
  await waitForExport(app, alice, next.json().exportId)
  t.ok(await eventually(async () => !(await storedFiles(directory)).some((name) => name.startsWith(exportId))), 'nothing of it stored')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 409)
  t.same(download.json(), { success: false, error: '[error-export-cancelled]', errorType: 'error-export-cancelled', details: 'the export was cancelled' })

  const again = await cancel(app, alice, { exportId })
  t.equal(again.statusCode, 200)
  t.same((await statusOf(app, alice, exportId)).json(), status, 'cancelling twice changes nothing')
})

t.test('cancel a finished export: removed — status and download 404, its zip gone', async (t) => {
  const directory = await temporaryDirectory(t)
  const app = await buildApp(t, { storage: createDirectoryStorage(directory) })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  await waitForExport(app, alice, exportId)
  t.same(await storedFiles(directory), [`${exportId}.zip`])
  t.same((await cancel(app, alice, { exportId })).json(), { success: true })
  t.same((await statusOf(app, alice, exportId)).json(), notFound)
  t.equal((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).statusCode, 404)
  t.same(await storedFiles(directory), [])
})

t.test('cancel a failed export: removed too', async (t) => {
  const failing: ExportStorage = { write: async () => { throw new Error('disk full') }, read: async () => null, remove: async () => {} }
  const app = await buildApp(t, { storage: failing })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  t.equal((await waitForExport(app, alice, exportId)).export.status, 'failed')
  t.same((await cancel(app, alice, { exportId })).json(), { success: true })
  t.same((await statusOf(app, alice, exportId)).json(), notFound)
})

t.test('cancel: only the owner; an unknown id is not found; the body is checked', async (t) => {
  const { repository } = slowRepository(20)
  const app = await buildApp(t, { repository })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', ...range })).json()
  for (const [user, id] of [[bob, exportId], [alice, 'unknown-id']] as const) {
    const response = await cancel(app, user, { exportId: id })
    t.equal(response.statusCode, 404)
    t.same(response.json(), notFound)
  }
  t.match((await statusOf(app, alice, exportId)).json().export, { status: 'running' }, 'another user\'s cancel changed nothing')
  const invalid = await cancel(app, alice, { exportId, other: 1 })
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().errorType, 'error-invalid-params')
  const anonymous = await app.inject({ method: 'POST', url: '/api/v1/rooms.export.cancel', payload: { exportId } })
  t.same(anonymous.json(), { success: false, error: 'unauthorized' })
  t.equal((await cancel(app, alice, { exportId })).statusCode, 200)
})

t.test('cancel a queued export of another process (a record on the shared directory): it reads cancelled', async (t) => {
  const directory = await temporaryDirectory(t)
  const createdAt = new Date()
  // Queued by a live instance elsewhere: its heartbeat is fresh.
  await writeFile(join(directory, 'queued-elsewhere.job.json'), JSON.stringify({
    _id: 'queued-elsewhere',
    rid: general._id,
    userId: alice._id,
    format: 'json',
    status: 'queued',
    messages: 0,
    bytes: 0,
    createdAt,
    fileName: 'general.zip',
    attempt: 1,
    owner: { instance: 'elsewhere', pid: 1, host: 'another-host' },
    heartbeatAt: new Date(Date.now() + 60_000)
  }))
  const app = await buildApp(t, { storage: createDirectoryStorage(directory) })
  t.same((await cancel(app, alice, { exportId: 'queued-elsewhere' })).json(), { success: true })
  const status = (await statusOf(app, alice, 'queued-elsewhere')).json()
  t.same(status, { success: true, export: { _id: 'queued-elsewhere', rid: general._id, format: 'json', status: 'cancelled', messages: 0, bytes: 0, createdAt: createdAt.toISOString(), finishedAt: status.export.finishedAt } })
})

t.test('list: the caller\'s exports only, newest first, paged with offset, count and total', async (t) => {
  const app = await buildApp(t, { limits: { concurrentExportsPerUser: 40, concurrentExports: 40 } })
  const ids: Record<string, string[]> = { [alice._id]: [], [dave._id]: [] }
  for (let index = 0; index < 30; index++) {
    const user = index % 3 === 0 ? dave : alice
    const started = await postExport(app, user, { rid: general._id, type: 'file', format: index % 2 === 0 ? 'json' : 'html' })
    t.equal(started.statusCode, 200, started.body)
    ids[user._id]!.unshift(started.json().exportId)
    // Distinct creation times: newest first is then one order.
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  for (const user of [alice, dave]) for (const id of ids[user._id]!) await waitForExport(app, user, id)

  const first = (await list(app, alice, '?offset=0&count=15')).json()
  t.same(Object.keys(first), ['success', 'exports', 'offset', 'count', 'total'])
  t.same({ ...first, exports: first.exports.map((status: { _id: string }) => status._id) }, { success: true, exports: ids[alice._id]!.slice(0, 15), offset: 0, count: 15, total: 20 })
  t.same(first.exports[0], (await statusOf(app, alice, ids[alice._id]![0]!)).json().export, 'each is the status object')
  const second = (await list(app, alice, '?offset=15&count=15')).json()
  t.same({ ...second, exports: second.exports.map((status: { _id: string }) => status._id) }, { success: true, exports: ids[alice._id]!.slice(15), offset: 15, count: 5, total: 20 })
  const daves = (await list(app, dave)).json()
  t.same({ ...daves, exports: daves.exports.map((status: { _id: string }) => status._id) }, { success: true, exports: ids[dave._id], offset: 0, count: 10, total: 10 }, 'the defaults: offset 0, count 25')
  const past = (await list(app, dave, '?offset=50')).json()
  t.same(past, { success: true, exports: [], offset: 50, count: 0, total: 10 })
  for (const query of ['?count=101', '?count=0', '?offset=-1', '?count=ten', '?page=2']) {
    const refused = await list(app, alice, query)
    t.equal(refused.statusCode, 400, query)
    t.equal(refused.json().errorType, 'error-invalid-params', query)
  }
  t.same((await list(app, alice, '?count=101')).json().details, 'querystring.count: must be 1 to 100')
  t.same((await app.inject({ url: '/api/v1/rooms.export.list' })).json(), { success: false, error: 'unauthorized' })
})
