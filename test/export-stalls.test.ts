import { createWriteStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage, type ExportStorage, type MemoryRepositoryData, type RoomRepository } from '../index.ts'
import { buildApp, capturingLogger, hostHooks, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, fixtureData, general, message } from './helpers/fixtures.ts'

/**
 * A repository whose range read yields `after` messages and then never
 * answers again — a database that stopped talking. `returned` tells whether
 * the export closed the read (the iterator's `return()`).
 */
function stallingRepository (after: number): { repository: RoomRepository, read: { returned: boolean } } {
  const memory = createMemoryRepository(fixtureData())
  const read = { returned: false }
  return {
    read,
    repository: {
      ...memory,
      findMessages (query) {
        const messages = memory.findMessages(query)[Symbol.asyncIterator]()
        let yielded = 0
        return {
          [Symbol.asyncIterator] () {
            return {
              next: async () => yielded++ < after ? await messages.next() : await new Promise<IteratorResult<ExportMessage>>(() => {}),
              return: async () => {
                read.returned = true
                return { done: true as const, value: undefined }
              }
            }
          }
        }
      }
    }
  }
}

/** A repository that never runs out of messages. */
function endlessRepository (): RoomRepository {
  const memory = createMemoryRepository(fixtureData())
  return {
    ...memory,
    async * findMessages (query) {
      for (let index = 0; ; index++) {
        yield { _id: `endless-${index}`, rid: query.rid, ts: new Date(query.from.getTime() + index), msg: 'x'.repeat(200), u: { _id: alice._id, username: alice.username } }
      }
    }
  }
}

const openDescriptors = async () => (await readdir('/proc/self/fd')).length

/** A failed export's whole status; `total` as counted at its start, and `progress` as far as it got. */
const failedStatus = (status: { export: { createdAt: string, finishedAt: string, messages: number, total?: number } }, exportId: string, format: string, error: string) => ({
  success: true,
  export: {
    _id: exportId,
    rid: general._id,
    format,
    status: 'failed',
    messages: status.export.messages,
    ...(status.export.total === undefined ? {} : { total: status.export.total, progress: Math.min(0.9999, Math.floor(status.export.messages / status.export.total * 10_000) / 10_000) }),
    bytes: 0,
    createdAt: status.export.createdAt,
    finishedAt: status.export.finishedAt,
    error
  }
})

/** An app storing in `directory` whose exports fail a stage that makes no progress for `stallTimeoutMs`. */
async function stallWatchedApp (t: Test, directory: string, stallTimeoutMs: number, renderInWorker: boolean, repository: RoomRepository, data?: MemoryRepositoryData) {
  return await buildApp(t, { storage: createDirectoryStorage(directory), limits: { stallTimeoutMs }, renderInWorker, repository }, data)
}

async function assertSlotFree (t: Test, app: Awaited<ReturnType<typeof buildApp>>) {
  const next = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })
  t.equal(next.statusCode, 200, 'the slot is free again: the next export is taken')
  await waitForExport(app, alice, next.json().exportId)
}

for (const [when, after] of [['before the first message', 0], ['mid-stream', 3]] as const) {
  t.test(`a repository that stalls ${when}: the export fails naming it, the read is closed, nothing stored, slot freed`, async (t) => {
    const directory = await temporaryDirectory(t)
    const { repository, read } = stallingRepository(after)
    const memory = createMemoryRepository(fixtureData())
    let stalls = true
    const app = await buildApp(t, {
      storage: createDirectoryStorage(directory),
      limits: { stallTimeoutMs: 200 },
      repository: { ...memory, findMessages: (query) => stalls ? repository.findMessages(query) : memory.findMessages(query) }
    })
    const descriptors = await openDescriptors()
    const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
    const status = await waitForExport(app, alice, exportId)
    t.same(status, failedStatus(status, exportId, 'html', 'stalled: the repository made no progress for 200 ms'))
    // The job record is written just after the status changes in memory: wait for that write to close.
    t.ok(await eventually(async () => await openDescriptors() <= descriptors), 'no file descriptor left open (the .partial was closed)')
    t.equal(status.export.messages, after)
    t.ok(read.returned, 'the repository iterator was told to close')
    t.same(await storedFiles(directory), [], 'no zip and no .partial left')
    stalls = false
    await assertSlotFree(t, app)
  })
}

t.test('an upload stream that never ends: the export fails naming the upload, the stream is destroyed', async (t) => {
  const directory = await temporaryDirectory(t)
  const memory = createMemoryRepository(fixtureData())
  const streams: Readable[] = []
  const app = await buildApp(t, {
    storage: createDirectoryStorage(directory),
    limits: { stallTimeoutMs: 200 },
    repository: {
      ...memory,
      async openFile () {
        const stream = new Readable({ read () {} })
        stream.push('first bytes, then silence')
        streams.push(stream)
        return stream
      }
    }
  })
  const descriptors = await openDescriptors()
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, failedStatus(status, exportId, 'json', 'stalled: the upload "file-1" made no progress for 200 ms'))
  t.ok(await eventually(async () => await openDescriptors() <= descriptors), 'no file descriptor left open')
  t.equal(streams.length, 1)
  t.ok(streams[0].destroyed, 'the upload stream was destroyed')
  t.same(await storedFiles(directory), [])
})

// A lookup made while rendering — an upload's size, the names a system message shows, a thread
// parent before the range — that never answers: given up when the watchdog fails the export.
const neverAnswering: Array<[string, (memory: RoomRepository) => Partial<RoomRepository>]> = [
  ['an upload size', () => ({ fileSize: async () => await new Promise<never>(() => {}) })],
  ['a name', () => ({ findUsersByUsernames: async () => await new Promise<never>(() => {}) })],
  ['a thread parent', () => ({ async * findMessagesByIds () { yield await new Promise<never>(() => {}) } })]
]
for (const [lookup, override] of neverAnswering) {
  t.test(`${lookup} that never comes: the HTML export fails naming the repository, on the main thread and in the render worker; nothing stored, slot freed`, async (t) => {
    // In the worker (slower to start from source: a longer timeout) an upload's size is asked for
    // before its batch goes over, the other lookups across threads as the worker renders.
    for (const [renderInWorker, stallTimeoutMs] of [[false, 200], [true, 3000]] as const) {
      const directory = await temporaryDirectory(t)
      const data = fixtureData()
      data.messages.push(
        message(general._id, '2024-03-21T12:00:00.000Z', 'erin', { t: 'au' }),
        message(general._id, '2024-03-21T12:01:00.000Z', 'a reply to an old thread', { tmid: 'long-ago' })
      )
      const memory = createMemoryRepository(data)
      let stalls = true
      const stalling = override(memory)
      const app = await stallWatchedApp(t, directory, stallTimeoutMs, renderInWorker, {
        ...memory,
        fileSize: async (file, rid) => await (stalls && stalling.fileSize !== undefined ? stalling.fileSize(file, rid) : memory.fileSize!(file, rid)),
        findUsersByUsernames: async (usernames) => await (stalls && stalling.findUsersByUsernames !== undefined ? stalling.findUsersByUsernames(usernames) : memory.findUsersByUsernames(usernames)),
        findMessagesByIds: (rid, ids) => stalls && stalling.findMessagesByIds !== undefined ? stalling.findMessagesByIds(rid, ids) : memory.findMessagesByIds(rid, ids)
      }, data)
      const descriptors = await openDescriptors()
      const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
      const status = await waitForExport(app, alice, exportId)
      t.same(status, failedStatus(status, exportId, 'html', `stalled: the repository made no progress for ${stallTimeoutMs} ms`), renderInWorker ? 'in the worker' : 'on the main thread')
      t.ok(await eventually(async () => await openDescriptors() <= descriptors), 'no file descriptor left open')
      t.same(await storedFiles(directory), [], 'no zip and no .partial left')
      stalls = false
      await assertSlotFree(t, app)
    }
  })
}

t.test('an avatar that never opens, a custom emoji whose stream never ends: the export fails naming the picture, the stream is destroyed', async (t) => {
  // On the main thread with a short timeout; in the render worker (which takes longer than that to
  // start, from source) with a longer one: there the picture is asked for across threads.
  for (const [stalled, renderInWorker, stallTimeoutMs] of [['avatar', false, 200], ['emoji', false, 200], ['avatar', true, 3000]] as const) {
    const directory = await temporaryDirectory(t)
    const data = fixtureData()
    const memory = createMemoryRepository({ ...data, messages: data.messages.map((message) => message._id === 'start' ? { ...message, msg: 'first :party_parrot:' } : message) })
    const streams: Readable[] = []
    const app = await stallWatchedApp(t, directory, stallTimeoutMs, renderInWorker, {
      ...memory,
      openAvatar: async () => stalled === 'avatar' ? await new Promise<never>(() => {}) : null,
      async openCustomEmoji () {
        const stream = new Readable({ read () {} })
        stream.push('GIF89a, then silence')
        streams.push(stream)
        return stream
      }
    })
    const descriptors = await openDescriptors()
    const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })).json()
    const status = await waitForExport(app, alice, exportId)
    t.same(status, failedStatus(status, exportId, 'html', `stalled: ${stalled === 'avatar' ? 'the avatar of "alice"' : 'the emoji "party_parrot"'} made no progress for ${stallTimeoutMs} ms`))
    t.ok(await eventually(async () => await openDescriptors() <= descriptors), 'no file descriptor left open')
    t.same(streams.map((stream) => stream.destroyed), stalled === 'avatar' ? [] : [true], 'the picture stream was destroyed')
    t.same(await storedFiles(directory), [], 'no zip and no .partial left')
    await assertSlotFree(t, app)
  }
})

// The count runs beside the read, and the export waits for it at the end (HTML: at the end of its first part).
for (const [format, renderInWorker, stallTimeoutMs] of [['json', false, 200], ['html', false, 200], ['html', true, 3000]] as const) {
  t.test(`a count that never answers: the ${format} export${format === 'html' ? (renderInWorker ? ' (render worker)' : ' (main thread)') : ''} reads the room, then fails naming the count; nothing stored, slot freed`, async (t) => {
    const directory = await temporaryDirectory(t)
    const memory = createMemoryRepository(fixtureData())
    let stalls = true
    const app = await stallWatchedApp(t, directory, stallTimeoutMs, renderInWorker, { ...memory, countMessages: async (query) => stalls ? await new Promise<never>(() => {}) : await memory.countMessages!(query) })
    const descriptors = await openDescriptors()
    const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format, dateFrom: '2024-03-21', dateTo: '2024-03-21' })).json()
    const status = await waitForExport(app, alice, exportId)
    t.same(status, failedStatus(status, exportId, format, `stalled: counting the messages made no progress for ${stallTimeoutMs} ms`))
    t.ok(status.export.messages > 0, 'the messages were read meanwhile')
    t.ok(await eventually(async () => await openDescriptors() <= descriptors), 'no file descriptor left open')
    t.same(await storedFiles(directory), [], 'no zip and no .partial left')
    stalls = false
    await assertSlotFree(t, app)
  })
}

t.test('a count that never answers, a first part bigger than what is held for it: rendering waits for the count before the part ends', async (t) => {
  const directory = await temporaryDirectory(t)
  const memory = createMemoryRepository({ ...fixtureData(), messages: [] })
  // 600 messages of 10,000 characters: the first part's text passes the 4 MB held for the count at ~420.
  const app = await buildApp(t, {
    storage: createDirectoryStorage(directory),
    limits: { stallTimeoutMs: 200 },
    renderInWorker: false,
    repository: {
      ...memory,
      countMessages: async () => await new Promise<never>(() => {}),
      async * findMessages (query) {
        for (let index = 0; index < 600; index++) yield { _id: `long-${index}`, rid: query.rid, ts: new Date(query.from.getTime() + index), msg: `${index} ${'x'.repeat(10_000)}`, u: { _id: alice._id, username: alice.username } }
      }
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, failedStatus(status, exportId, 'html', 'stalled: counting the messages made no progress for 200 ms'))
  t.ok(status.export.messages < 600, `the read stopped with the rendering (${status.export.messages} of 600 read)`)
  t.same(await storedFiles(directory), [], 'no zip and no .partial left')
})

t.test('a storage that stops taking bytes: the export fails naming the storage', async (t) => {
  const writes: Writable[] = []
  const removed: string[] = []
  const storage: ExportStorage = {
    async write (_key, source) {
      // A disk that accepts the first chunk and then never completes a write.
      let accepted = 0
      const stuck = new Writable({ write (_chunk, _encoding, callback) { if (accepted++ === 0) callback() } })
      writes.push(stuck)
      await pipeline(source, stuck)
    },
    async read () { return null },
    async remove (key) { removed.push(key) }
  }
  const app = await buildApp(t, {
    storage,
    limits: { stallTimeoutMs: 200 },
    repository: endlessRepository()
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, failedStatus(status, exportId, 'json', 'stalled: the storage made no progress for 200 ms'))
  t.ok(writes[0].destroyed, 'the storage write was aborted')
  t.same(removed, [exportId], 'what was stored is removed')
})

t.test('an endless repository stops at maxExportMessages; a growing zip at maxExportBytes', async (t) => {
  const directory = await temporaryDirectory(t)
  const app = await buildApp(t, {
    storage: createDirectoryStorage(directory),
    limits: { maxExportMessages: 5000, maxExportBytes: 256 * 1024 * 1024 },
    repository: endlessRepository()
  })
  const first = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId
  const status = await waitForExport(app, alice, first)
  t.same(status, failedStatus(status, first, 'json', 'the export has more than 5000 messages (limits.maxExportMessages); export a shorter date range'))
  t.same(await storedFiles(directory), [])

  const bytesApp = await buildApp(t, {
    storage: createDirectoryStorage(directory),
    limits: { maxExportBytes: 64 * 1024 },
    repository: endlessRepository()
  })
  const second = (await postExport(bytesApp, alice, { rid: general._id, type: 'file', format: 'html' })).json().exportId
  const bytesStatus = await waitForExport(bytesApp, alice, second)
  t.same(bytesStatus, failedStatus(bytesStatus, second, 'html', 'the export has more than 65536 bytes (limits.maxExportBytes); export a shorter date range'))
  t.same(await storedFiles(directory), [])
  await assertSlotFree(t, bytesApp)
})

t.test('a full disk: the status names ENOSPC, not an abort', async (t) => {
  const storage: ExportStorage = {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    async write (_key, source) { await pipeline(source, createWriteStream('/dev/full')) },
    async read () { return null },
    async remove () {}
  }
  const app = await buildApp(t, { storage })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, failedStatus(status, exportId, 'json', 'export failed: the storage failed (ENOSPC)'))
})

t.test('close() with a stalled repository returns at once; nothing is stored, and the job is handed over: the next start on the directory runs it again', async (t) => {
  const directory = await temporaryDirectory(t)
  const { repository, read } = stallingRepository(2)
  const app = Fastify()
  await app.register(roomsExport, { ...hostHooks(), repository, storage: createDirectoryStorage(directory) })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = Date.now()
  await app.close()
  const closeMs = Date.now() - started
  t.ok(closeMs < 2000, `close() took ${closeMs} ms with the repository stalled (closeTimeoutMs 10000)`)
  t.ok(read.returned, 'the read was closed')
  t.same(await storedFiles(directory), [])
  const record = JSON.parse(await readFile(join(directory, `${exportId}.job.json`), 'utf8'))
  t.match(record, { _id: exportId, status: 'running', attempt: 1, heartbeatAt: new Date(0).toISOString() })
  t.equal(record.owner, undefined, 'no owner to wait for')
  const next = Fastify()
  t.teardown(() => next.close())
  await next.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory) })
  await next.ready()
  const done = await waitForExport(next, alice, exportId)
  t.match(done.export, { status: 'done', attempt: 2 })
  t.same(await storedFiles(directory), [`${exportId}-2.zip`])
})

t.test('close() gives up on clean-up that cannot finish after closeTimeoutMs, and says so', async (t) => {
  const { repository } = stallingRepository(1)
  const { logger, lines: warnings } = capturingLogger('warn')
  const app = Fastify({ logger })
  const storage: ExportStorage = {
    async write (_key, source) { for await (const chunk of source) void chunk },
    async read () { return null },
    // A database that went away: removing never answers.
    remove: async () => await new Promise<void>(() => {})
  }
  await app.register(roomsExport, { ...hostHooks(), repository, storage, limits: { closeTimeoutMs: 300 } })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = Date.now()
  await app.close()
  const closeMs = Date.now() - started
  t.ok(closeMs >= 250 && closeMs < 2000, `close() returned after ${closeMs} ms (closeTimeoutMs 300)`)
  t.same(warnings.map(({ msg, exportIds }) => ({ msg, exportIds })), [
    { msg: 'rooms.export: export aborted by shutdown', exportIds: undefined },
    { msg: 'rooms.export: exports still cleaning up at close; the sweep at the next start removes what they leave', exportIds: [exportId] }
  ])
})

t.test('a storage that cannot remove a failed export: retried for one stall period, then logged; the status still says why', async (t) => {
  const { logger, lines: errors } = capturingLogger('error')
  const memory = createMemoryRepository(fixtureData())
  let removals = 0
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    limits: { stallTimeoutMs: 600 },
    // A repository that throws something that is not an Error still fails the export with a readable reason.
    // eslint-disable-next-line no-throw-literal -- a repository that throws a string is the case under test
    repository: { ...memory, async * findMessages () { yield * []; throw 'socket hang up' } },
    storage: {
      async write (_key, source) { for await (const chunk of source) void chunk },
      async read () { return null },
      async remove () {
        removals++
        throw new Error('storage offline')
      }
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, failedStatus(status, exportId, 'json', 'export failed: the repository failed'))
  t.ok(removals >= 2, `removal tried ${removals} times`)
  t.same(errors.map(({ msg, exportId }) => ({ msg, exportId })), [
    { msg: 'rooms.export: export failed', exportId },
    { msg: 'rooms.export: removing a failed export failed', exportId }
  ])
})
