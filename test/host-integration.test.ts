import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, securitySchemes, type ExportJob, type RoomsExportOptions } from '../index.ts'
import { hostHooks, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, general } from './helpers/fixtures.ts'

async function host (t: Test, options: RoomsExportOptions, before: (app: ReturnType<typeof Fastify>) => Promise<void> = async () => {}) {
  const directory = await temporaryDirectory(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await before(app)
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory), ...options })
  await app.ready()
  return app
}

const tooMany = (details: string) => ({ success: false, error: '[error-too-many-requests]', errorType: 'error-too-many-requests', details })

t.test('@fastify/rate-limit: its 429 in the API shape, failed logins throttled, per-route settings through routeConfig', async (t) => {
  // Registered globally by the host: its hook runs before the plugin's authenticate.
  const global = await host(t, {}, async (app) => { await app.register(rateLimit, { max: 2, timeWindow: '1 minute' }) })
  const wrongLogin = { 'x-user-id': alice._id, 'x-auth-token': 'guess' }
  const attempts = []
  for (let attempt = 0; attempt < 3; attempt++) {
    attempts.push(await global.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: wrongLogin, payload: { rid: general._id, type: 'file', format: 'json' } }))
  }
  t.same(attempts.map((response) => response.statusCode), [401, 401, 429], 'the third wrong password is throttled')
  t.same(attempts[2].json(), tooMany('Rate limit exceeded, retry in 1 minute'))

  // Per route, from the plugin's routeConfig.
  const perRoute = await host(t, { routeConfig: { rateLimit: { max: 1, timeWindow: '1 minute' } } }, async (app) => {
    await app.register(rateLimit, { global: false })
    app.get('/elsewhere', async () => ({ ok: true }))
  })
  const status = () => perRoute.inject({ url: '/api/v1/rooms.export.status?exportId=none', headers: authHeaders(alice) })
  t.equal((await status()).statusCode, 404)
  t.same((await status()).json(), tooMany('Rate limit exceeded, retry in 1 minute'))
  t.equal((await perRoute.inject({ url: '/elsewhere' })).statusCode, 200, 'the host\'s other routes are not limited')
  t.equal((await perRoute.inject({ url: '/elsewhere' })).statusCode, 200)
})

t.test('the host\'s onRequest hooks run before authenticate, on the plugin\'s routes only', async (t) => {
  const calls: string[] = []
  const hooks = hostHooks()
  const app = await host(t, {
    onRequest: [async (request) => { calls.push(`host ${request.url.split('?')[0]}`) }],
    authenticate: async (request) => { calls.push('authenticate'); return await hooks.authenticate!(request) }
  }, async (app) => { app.get('/elsewhere', async () => ({ ok: true })) })
  await app.inject({ url: '/api/v1/rooms.export.status?exportId=none', headers: authHeaders(alice) })
  await app.inject({ url: '/elsewhere' })
  t.same(calls, ['host /api/v1/rooms.export.status', 'authenticate'])
})

t.test('onExportFailed gets the failed job, the user and the reason; not called for done exports', async (t) => {
  const failures: [ExportJob, string, string, string][] = []
  const memory = createMemoryRepository(fixtureData())
  let fail = true
  const app = await host(t, {
    repository: { ...memory, async * findMessages (query) { if (fail) throw new Error('replica set lost'); yield * memory.findMessages(query) } },
    // The hook is host code: its error carries the cause, whose message the status never shows.
    onExportFailed: async (job, user, error) => { failures.push([job, user.username, error.message, (error.cause as Error).message]) }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.equal(status.export.status, 'failed')
  // Called once the failure is recorded, so just after the status reads failed.
  t.ok(await eventually(async () => failures.length === 1), 'called once')
  t.match(failures[0], [{ _id: exportId, status: 'failed', error: 'export failed: the repository failed', bytes: 0 }, 'alice', 'export failed: the repository failed', 'replica set lost'])
  fail = false
  const done = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId
  t.equal((await waitForExport(app, alice, done)).export.status, 'done')
  t.equal(failures.length, 1)
})

t.test('mongo: false never touches a host database; configuration errors carry a code', async (t) => {
  const untouchable = new Proxy({}, { get () { throw new Error('the host database was used') } })
  const app = await host(t, { mongo: false }, async (app) => { app.decorate('mongo', { db: untouchable }) })
  t.equal((await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).statusCode, 200)

  for (const [options, message] of [
    [{ mongo: { db: {} } }, 'option "mongo.db" must be a MongoDB Db'],
    [{ mongo: true }, 'option "mongo" must be false or { db?, uploads?, countMessages? }'],
    [{ routeConfig: [] }, 'option "routeConfig" must be an object'],
    [{ onRequest: ['x'] }, 'option "onRequest" must be a function or an array of functions'],
    [{ onExportFailed: 'x' }, 'option "onExportFailed" must be a function']
  ] as const) {
    const broken = Fastify()
    t.teardown(() => broken.close())
    broken.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), ...options as unknown as RoomsExportOptions })
    await t.rejects(async () => { await broken.ready() }, { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: `fastify-rooms-export: ${message}` })
  }
})

t.test('OpenAPI: every route with tags, summary, security, its request and every reply it gives', async (t) => {
  const app = await host(t, {}, async (app) => {
    await app.register(swagger, { openapi: { info: { title: 'chat', version: '1' }, components: { securitySchemes } } })
  })
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, { tags: string[], summary: string, security: unknown, responses: Record<string, { content?: Record<string, unknown> }>, requestBody?: unknown, parameters?: { name: string }[] }>>, components: { securitySchemes: unknown } }
  t.same(document.components.securitySchemes, securitySchemes)
  const exportRoute = document.paths['/api/v1/rooms.export'].post
  const statusRoute = document.paths['/api/v1/rooms.export.status'].get
  const download = document.paths['/api/v1/rooms.export.download']
  for (const route of [exportRoute, statusRoute, download.get, download.head]) {
    t.same(route.tags, ['rooms.export'])
    t.type(route.summary, 'string')
  }
  // The security of each route, and the schemes in a document that does not list them: test/openapi.test.ts.
  t.same(Object.keys(exportRoute.responses).sort(), ['200', '400', '401', '403', '413', '415', '429', '500', '502'])
  t.ok(exportRoute.requestBody !== undefined, 'the request body schema')
  t.same(Object.keys(statusRoute.responses).sort(), ['200', '400', '401', '404', '429'])
  t.same(statusRoute.parameters?.map((parameter) => parameter.name), ['exportId'])
  t.same(Object.keys(download.get.responses).sort(), ['200', '206', '304', '400', '401', '404', '409', '416', '429'])
  t.same(Object.keys(download.get.responses['200'].content!), ['application/zip'])
  t.same(Object.keys(download.get.responses['206'].content!), ['application/zip'])
  // `token` is documented as the downloadLinkToken security scheme (an apiKey in the query), not again as a parameter.
  t.same(download.get.parameters?.map((parameter) => parameter.name), ['exportId'])
})
