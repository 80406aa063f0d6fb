import Fastify from 'fastify'
import t from 'tap'
import roomsExport, { createMemoryRepository, type ExportStorage, type RoomRepository, type RoomsExportOptions } from '../index.ts'
import { buildApp, capturingLogger, hostHooks, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, fixtureData, general, message } from './helpers/fixtures.ts'
import { createDirectoryStorage } from '../index.ts'
import { asError } from '../lib/host-code.ts'

// Host code may throw anything, any way: none of it may become an unhandled rejection or an uncaught exception.
const escaped: unknown[] = []
process.on('unhandledRejection', (reason) => { escaped.push(reason) })

const htmlExport = { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-22' }

/** The fixture room with what makes an HTML export ask the repository: an unknown person a system message names, a reply whose parent is before the range, an upload. */
function askingData () {
  const data = fixtureData()
  data.messages.push(
    message(general._id, '2024-03-21T12:00:00.000Z', 'erin', { t: 'au' }),
    message(general._id, '2024-03-21T12:01:00.000Z', 'a reply to an old thread', { tmid: 'long-ago' })
  )
  return data
}

const failures: Array<[string, (repository: RoomRepository) => Partial<RoomRepository>]> = [
  ['findUsersByUsernames rejects with undefined', () => ({ findUsersByUsernames: async () => await Promise.reject() })], // eslint-disable-line prefer-promise-reject-errors
  ['findUsersByUsernames throws a string synchronously', () => ({ findUsersByUsernames: (() => { throw 'no users' }) as RoomRepository['findUsersByUsernames'] })], // eslint-disable-line no-throw-literal
  ['fileSize rejects with undefined', () => ({ fileSize: async () => await Promise.reject(undefined) })], // eslint-disable-line prefer-promise-reject-errors
  ['findMessagesByIds throws undefined while iterated', () => ({ findMessagesByIds: async function * () { throw undefined } })], // eslint-disable-line no-throw-literal
  ['findMessagesByIds throws an object when called', () => ({ findMessagesByIds: (() => { throw { code: 7 } }) as RoomRepository['findMessagesByIds'] })] // eslint-disable-line no-throw-literal
]

for (const renderInWorker of [true, false]) {
  for (const [name, override] of failures) {
    t.test(`${renderInWorker ? 'worker' : 'main thread'}: ${name} → the export settles, the process lives on`, async (t) => {
      const data = askingData()
      const memory = createMemoryRepository(data)
      const app = await buildApp(t, { renderInWorker, repository: { ...memory, fileSize: async () => 9, ...override(memory) } }, data)
      const { exportId } = (await postExport(app, alice, htmlExport)).json()
      const status = (await waitForExport(app, alice, exportId)).export
      // A name is only cosmetic (the username is shown); a thread parent or an upload's size the page needs.
      if (name.startsWith('findUsersByUsernames')) {
        t.equal(status.status, 'done')
      } else {
        t.equal(status.status, 'failed')
        t.equal(status.error, 'export failed: the repository failed')
      }
    })
  }
}

t.test('a storage whose write throws synchronously: the export fails, the process lives on', async (t) => {
  const directory = await temporaryDirectory(t)
  const files = createDirectoryStorage(directory)
  const storage: ExportStorage = { ...files, write: () => { throw new Error('write refused') } }
  const app = await buildApp(t, { storage })
  const started = await postExport(app, alice, htmlExport)
  t.equal(started.statusCode, 200)
  const status = (await waitForExport(app, alice, started.json().exportId)).export
  t.same([status.status, status.error], ['failed', 'export failed: the storage failed'])
  t.same(await storedFiles(directory), [])
})

t.test('onExportReady that throws synchronously: logged, the export stays done and downloadable', async (t) => {
  const { logger, lines } = capturingLogger('error')
  const directory = await temporaryDirectory(t)
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    repository: createMemoryRepository(fixtureData()),
    storage: createDirectoryStorage(directory),
    onExportReady: (() => { throw new Error('notifier down') }) as RoomsExportOptions['onExportReady']
  })
  const { exportId } = (await postExport(app, alice, htmlExport)).json()
  t.equal((await waitForExport(app, alice, exportId)).export.status, 'done')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: { 'x-user-id': alice._id, 'x-auth-token': 'token-alice' } })
  t.equal(download.statusCode, 200)
  // The hook runs once the status says done: its failure is logged a moment later.
  t.ok(await eventually(async () => lines.some((line) => line.msg === 'rooms.export: onExportReady failed')))
  t.match(lines.filter((line) => line.msg === 'rooms.export: onExportReady failed'), [{ exportId, err: { message: 'notifier down' } }])
})

const invalid: Array<[string, Record<string, unknown>, string]> = [
  ['a storage that is a path', { storage: '/tmp/x' }, 'option "storage" must be an object with write(), read() and remove() functions'],
  ['a storage without methods', { storage: {} }, 'option "storage" must implement write()'],
  ['a storage without remove()', { storage: { write: async () => {}, read: async () => null } }, 'option "storage" must implement remove()'],
  ['a storage whose createJobStore is no function', { storage: { write: async () => {}, read: async () => null, remove: async () => {}, createJobStore: 5 } }, 'option "storage.createJobStore" must be a function when given'],
  ['a mailer that is no object', { mailer: 'smtp://localhost' }, 'option "mailer" must be an object { transport, from }'],
  ['a storage whose prepare is no function', { storage: { write: async () => {}, read: async () => null, remove: async () => {}, prepare: true } }, 'option "storage.prepare" must be a function when given'],
  ['an unknown option', { renderInWorkers: false }, 'unknown option "renderInWorkers"'],
  ['an unknown limit', { limits: { maxEmailMessage: 10 } }, 'unknown option "limits.maxEmailMessage"'],
  ['limits that are no object', { limits: 5 }, 'option "limits" must be an object'],
  ['an unknown mailer key', { mailer: { transport: { jsonTransport: true }, from: 'a@example.com', replyTo: 'b@example.com' } }, 'unknown option "mailer.replyTo"'],
  ['a sender that is no address', { mailer: { transport: { jsonTransport: true }, from: 'not an address' } }, 'option "mailer.from" must be an address or "Name <address>": "not an address"'],
  ['a sender with a second mailbox', { mailer: { transport: { jsonTransport: true }, from: 'A <a@example.com>, b@example.com' } }, 'option "mailer.from" must be an address or "Name <address>": "A <a@example.com>, b@example.com"'],
  ['a sender with a line break', { mailer: { transport: { jsonTransport: true }, from: 'A\r\nBcc: x@example.com <a@example.com>' } }, 'option "mailer.from" must be an address or "Name <address>": "A\\r\\nBcc: x@example.com <a@example.com>"']
]
for (const [name, options, message] of invalid) {
  t.test(`registration refuses ${name}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), ...options } as RoomsExportOptions)
    await t.rejects(async () => { await app.ready() }, { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: `fastify-rooms-export: ${message}` })
  })
}

t.test('registration takes a sender with a name, and what Fastify\'s register adds', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    repository: createMemoryRepository(fixtureData()),
    storage: createDirectoryStorage(await temporaryDirectory(t)),
    mailer: { transport: { jsonTransport: true }, from: 'Chat exports <exports@chat.example>' },
    prefix: '/chat',
    logLevel: 'warn'
  } as RoomsExportOptions)
  t.equal((await postExport(app, alice, { rid: general._id, type: 'email', toEmails: ['boss@example.com'], dateFrom: '2024-03-21', dateTo: '2024-03-21' }, '/chat/api/v1/rooms.export')).statusCode, 200)
})

t.test('nothing any of them did escaped as an unhandled rejection', async (t) => {
  t.same(escaped, [])
})

t.test('what host code failed with, said in the Error', async (t) => {
  t.equal(asError(undefined).message, 'host code failed with undefined instead of an Error')
  t.equal(asError(null).message, 'host code failed with null instead of an Error')
  t.equal(asError('x'.repeat(300)).message, 'x'.repeat(200), 'a thrown string is the message (cut at 200 characters)')
  t.equal(asError({ code: 7 }).message, 'host code failed with an object instead of an Error')
  t.equal(asError(42).message, 'host code failed with the number 42 instead of an Error')
  const error = new TypeError('kept')
  t.equal(asError(error), error, 'an Error is itself')
})

t.test('findMessages throwing when called, or while iterated: the export fails, the process lives on', async (t) => {
  const throwing: Array<RoomRepository['findMessages']> = [
    () => { throw 'no cursor' }, // eslint-disable-line no-throw-literal
    async function * () { throw 5 } // eslint-disable-line no-throw-literal
  ]
  const reasons = []
  const logged = []
  for (const findMessages of throwing) {
    const memory = createMemoryRepository(fixtureData())
    const { logger, lines } = capturingLogger('error')
    const app = Fastify({ logger })
    t.teardown(() => app.close())
    await app.register(roomsExport, { ...hostHooks(), repository: { ...memory, findMessages }, storage: createDirectoryStorage(await temporaryDirectory(t)) })
    const { exportId } = (await postExport(app, alice, htmlExport)).json()
    reasons.push((await waitForExport(app, alice, exportId)).export.error)
    const failed = lines.find((line) => line.msg === 'rooms.export: export failed')!
    logged.push([failed.reason, (failed.err as { message: string }).message])
  }
  // The status names the stage; what the repository said is in the log only (it may hold a connection string, a query).
  t.same(reasons, ['export failed: the repository failed', 'export failed: the repository failed'])
  t.same(logged, [
    ['export failed: the repository failed', 'the repository failed: no cursor'],
    ['export failed: the repository failed', 'the repository failed: host code failed with the number 5 instead of an Error']
  ])
})

t.test('hooks may answer synchronously: the plugin awaits a value as it awaits a promise', async (t) => {
  const users = [alice]
  const readyFor: string[] = []
  const app = await buildApp(t, {
    authenticate: (request) => users.find((user) => user._id === request.headers['x-user-id']) ?? null,
    hasPermission: (user) => user.username === 'alice',
    canAccessRoom: (room) => room.t === 'c',
    onExportReady: (job) => { readyFor.push(job._id) }
  })
  const { exportId } = (await postExport(app, alice, htmlExport)).json()
  t.equal((await waitForExport(app, alice, exportId)).export.status, 'done')
  t.ok(await eventually(async () => readyFor.length === 1), 'onExportReady ran')
  t.same(readyFor, [exportId])
  const refused = await postExport(app, alice, { ...htmlExport, rid: 'room-secret' })
  t.same(refused.json(), { success: false, error: '[error-not-allowed]', errorType: 'error-not-allowed', details: 'you have no access to this room' })
})
