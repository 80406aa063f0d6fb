import Fastify from 'fastify'
import t from 'tap'
import roomsExport, { createMemoryRepository, type RoomsExportOptions } from '../index.ts'
import { buildApp, hostHooks, temporaryDirectory } from './helpers/app.ts'
import { exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

const complete = (): RoomsExportOptions => ({ ...hostHooks(), repository: createMemoryRepository(fixtureData()) })

async function registrationError (options: RoomsExportOptions): Promise<string> {
  const app = Fastify()
  try {
    await app.register(roomsExport, options)
    await app.ready()
    return 'no error'
  } catch (err) {
    return (err as Error).message
  } finally {
    await app.close()
  }
}

t.test('a missing or malformed option fails ready() naming it', async (t) => {
  const required = '(or register @fastify/mongodb before this plugin to use the Rocket.Chat defaults)'
  for (const name of ['authenticate', 'hasPermission', 'canAccessRoom', 'repository'] as const) {
    const options = complete()
    delete options[name]
    t.equal(await registrationError(options), `fastify-rooms-export: option "${name}" is required ${required}`)
  }
  const cases: [Partial<RoomsExportOptions> | Record<string, unknown>, string][] = [
    [{ authenticate: 'yes' }, 'option "authenticate" must be a function'],
    [{ repository: { findRoomById: async () => null } }, 'option "repository" must implement findMessages()'],
    [{ limits: { concurrentExports: 0 } }, 'option "limits.concurrentExports" must be a positive integer'],
    [{ limits: { exportTtlMs: 1.5 } }, 'option "limits.exportTtlMs" must be a positive integer'],
    [{ limits: { allowedEmailDomains: 'example.com' } }, 'option "limits.allowedEmailDomains" must be an array of domain names'],
    [{ limits: { allowedEmailDomains: [''] } }, 'option "limits.allowedEmailDomains" must be an array of domain names'],
    [{ basePath: 'api' }, 'option "basePath" must start with "/" and not end with "/" (or be "")'],
    [{ basePath: '/api/' }, 'option "basePath" must start with "/" and not end with "/" (or be "")'],
    [{ publicUrl: 'chat.example' }, 'option "publicUrl" must be an absolute http(s) URL'],
    [{ secret: 'short' }, 'option "secret" must be a string of at least 16 characters'],
    [{ onExportReady: true }, 'option "onExportReady" must be a function'],
    [{ renderInWorker: 'yes' }, 'option "renderInWorker" must be a boolean'],
    [{ mailer: { transport: { host: 'localhost' } } }, 'option "mailer.from" is required with "mailer"'],
    [{ mailer: { from: 'a@b.example' } }, 'option "mailer.transport" is required with "mailer"']
  ]
  for (const [override, message] of cases) {
    t.equal(await registrationError({ ...complete(), ...override } as RoomsExportOptions), `fastify-rooms-export: ${message}`)
  }
})

t.test('the caller\'s options object is never changed', async (t) => {
  const limits = Object.freeze({ allowedEmailDomains: Object.freeze(['Example.COM']) as string[] })
  const options = Object.freeze({ ...complete(), limits, basePath: '/api/v1' })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, options)
  await app.ready()
  t.same(options.limits, { allowedEmailDomains: ['Example.COM'] })
})

t.test('Fastify prefix and basePath compose; the plugin can be registered twice', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const directory = await temporaryDirectory(t)
  const { createDirectoryStorage } = await import('../index.ts')
  await app.register(roomsExport, { ...complete(), storage: createDirectoryStorage(directory), basePath: '/api/v2' })
  await app.register(roomsExport, { ...complete(), storage: createDirectoryStorage(directory), basePath: '', prefix: '/chat' } as RoomsExportOptions)
  await app.ready()
  const payload = { rid: general._id, type: 'file', format: 'json' }
  const v2 = await postExport(app, alice, payload, '/api/v2/rooms.export')
  t.equal(v2.statusCode, 200)
  t.equal((await waitForExport(app, alice, v2.json().exportId, '/api/v2')).export.status, 'done', 'its status and export under /api/v2')
  const prefixed = await postExport(app, alice, payload, '/chat/rooms.export')
  t.equal(prefixed.statusCode, 200)
  t.equal((await waitForExport(app, alice, prefixed.json().exportId, '/chat')).export.status, 'done', 'its status and export under /chat')
  const unregistered = await postExport(app, alice, payload, '/api/v1/rooms.export')
  t.equal(unregistered.statusCode, 404)
  t.same(unregistered.json(), { message: 'Route POST:/api/v1/rooms.export not found', error: 'Not Found', statusCode: 404 }, 'the host\'s own 404')
})

t.test('the host\'s routes keep Fastify\'s defaults: coercion, validation errors, parsers, no auth', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/host/items', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (request) => ({ n: (request.query as { n: number }).n }))
  app.post('/host/echo', async (request) => ({ body: request.body }))
  await app.register(roomsExport, complete())
  app.get('/host/boom', async () => { throw new Error('host failure') })
  await app.ready()

  const coerced = await app.inject({ url: '/host/items?n=5' })
  t.same(coerced.json(), { n: 5 }, 'querystring coercion still on')
  const invalid = await app.inject({ url: '/host/items?n=abc' })
  t.equal(invalid.statusCode, 400)
  t.same(invalid.json(), { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'querystring/n must be integer' })
  const text = await app.inject({ method: 'POST', url: '/host/echo', headers: { 'content-type': 'text/plain' }, payload: 'plain' })
  t.same(text.json(), { body: 'plain' }, 'text/plain parser kept for the host')
  const badJson = await app.inject({ method: 'POST', url: '/host/echo', headers: { 'content-type': 'application/json' }, payload: '{' })
  t.equal(badJson.statusCode, 400)
  t.same(Object.keys(badJson.json()).sort(), ['code', 'error', 'message', 'statusCode'], 'Fastify\'s error shape')
  const boom = await app.inject({ url: '/host/boom' })
  t.same(boom.json(), { statusCode: 500, error: 'Internal Server Error', message: 'host failure' })
})

t.test('the authenticated user is kept on the plugin\'s own requests only', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/host/who', async (request) => ({ decorated: 'exportUser' in request }))
  await app.register(roomsExport, complete())
  await app.ready()
  t.same((await app.inject({ url: '/host/who' })).json(), { decorated: false }, 'no exportUser on the host\'s requests')
  const status = await app.inject({ url: '/api/v1/rooms.export.status?exportId=none', headers: authHeaders(alice) })
  t.equal(status.json().errorType, 'error-not-found', 'the plugin\'s route reads its user')

  // Only the download opens with a signed link's token: set on another route through routeConfig, the token is no credential there.
  const tokenEverywhere = await buildApp(t, { routeConfig: { acceptsDownloadToken: true } })
  const response = await tokenEverywhere.inject({ method: 'POST', url: '/api/v1/rooms.export?token=x', payload: { rid: general._id, type: 'file', format: 'json' } })
  t.equal(response.statusCode, 401)
  t.same(response.json(), { success: false, error: 'unauthorized' })
})

t.test('hook failures answer 500 in the API shape without leaking internals', async (t) => {
  const internal = { success: false, error: '[error-internal]', errorType: 'error-internal' }
  const failing = await buildApp(t, { authenticate: async () => { throw new Error('db password is hunter2') } })
  const response = await postExport(failing, alice, { rid: general._id, type: 'file', format: 'json' })
  t.equal(response.statusCode, 500)
  t.same(response.json(), internal)
  const permission = await buildApp(t, { hasPermission: async () => { throw new Error('permissions down') } })
  t.same((await postExport(permission, alice, { rid: general._id, type: 'file', format: 'json' })).json(), internal)
  const undefinedUser = await buildApp(t, { authenticate: async () => undefined as unknown as null })
  t.same((await postExport(undefinedUser, alice, { rid: general._id, type: 'file', format: 'json' })).json(), { success: false, error: 'unauthorized' })
})

t.test('with no storage option exports land in a private directory of this user under the system temporary directory', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, complete())
  const zip = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' })
  t.same([...(await readZip(zip)).keys()], ['general.json', 'schema.json', 'assets/file-1-report__1_.pdf', 'manifest.json'])
  const { tmpdir } = await import('node:os')
  const { readdir, stat } = await import('node:fs/promises')
  const directory = `${tmpdir()}/fastify-rooms-export-${process.getuid!()}`
  t.equal((await stat(directory)).mode & 0o777, 0o700, 'the directory is the user\'s alone')
  const zips = (await readdir(directory)).filter((name) => name.endsWith('.zip'))
  t.ok(zips.length > 0)
  for (const name of zips) t.equal((await stat(`${directory}/${name}`)).mode & 0o777, 0o600, `${name} is the user's alone`)
})
