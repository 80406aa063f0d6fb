import swagger, { type SwaggerOptions } from '@fastify/swagger'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type RoomsExportOptions } from '../index.ts'
import { hostHooks, temporaryDirectory } from './helpers/app.ts'
import { fixtureData } from './helpers/fixtures.ts'

/** A host that registers @fastify/swagger with `swaggerOptions`, then the plugin; its document as `app.swagger()` builds it. */
async function documentOf (t: Test, swaggerOptions: SwaggerOptions, options: RoomsExportOptions = {}): Promise<Document> {
  const directory = await temporaryDirectory(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, swaggerOptions)
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory), ...options })
  await app.ready()
  return app.swagger() as unknown as Document
}

interface Operation { security?: unknown, parameters?: Array<{ name: string, in: string }> }
interface Document {
  components?: { securitySchemes?: unknown }
  securityDefinitions?: unknown
  paths: Record<string, Record<string, Operation>>
}

/** Each operation's `security`, by path and method. */
function securityOf (document: Document): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(document.paths).map(([path, operations]) => [
    path,
    Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method, operation.security]))
  ]))
}

const credentials = { rocketChatUserId: [], rocketChatAuthToken: [] }
const routeSecurity = {
  '/api/v1/rooms.export': { post: [credentials] },
  '/api/v1/rooms.export.status': { get: [credentials] },
  // The download also opens with the mailed link's token alone.
  '/api/v1/rooms.export.download': { get: [credentials, { downloadLinkToken: [] }], head: [credentials, { downloadLinkToken: [] }] },
  '/api/v1/rooms.export.cancel': { post: [credentials] },
  '/api/v1/rooms.export.list': { get: [credentials] },
  // The signing keys are for anyone checking an archive: no credentials.
  '/api/v1/rooms.export.keys': { get: [] }
}
const schemes = {
  rocketChatUserId: { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'the user id (Rocket.Chat REST credentials)' },
  rocketChatAuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'the login token (Rocket.Chat REST credentials)' },
  downloadLinkToken: { type: 'apiKey', in: 'query', name: 'token', description: 'the signed token of the download link in the "export ready" mail (rooms.export.download only)' }
} as const
const info = { title: 'chat', version: '1' }

t.test('OpenAPI 3, @fastify/swagger registered plainly: the document holds the schemes every route\'s security names', async (t) => {
  const document = await documentOf(t, { openapi: { info } })
  t.same(document.components?.securitySchemes, schemes)
  t.same(securityOf(document), routeSecurity)
  // A query parameter that is an apiKey is documented by its scheme, not again as a parameter.
  t.same(document.paths['/api/v1/rooms.export.download'].get.parameters?.map(({ name, in: location }) => ({ name, in: location })), [{ name: 'exportId', in: 'query' }])
})

t.test('Swagger 2, registered plainly: the same schemes as securityDefinitions', async (t) => {
  const document = await documentOf(t, { swagger: { info } })
  t.same(document.securityDefinitions, schemes)
  t.same(securityOf(document), routeSecurity)
})

t.test('a host\'s own schemes stay as it defined them, and its options are not modified', async (t) => {
  const ownUserId = { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'our user id' } as const
  const bearer = { type: 'http', scheme: 'bearer' } as const
  const hostSchemes = { rocketChatUserId: ownUserId, bearer }
  const document = await documentOf(t, { openapi: { info, components: { securitySchemes: hostSchemes } } })
  t.same(document.components?.securitySchemes, { ...schemes, rocketChatUserId: ownUserId, bearer })
  t.same(hostSchemes, { rocketChatUserId: ownUserId, bearer }, 'the host\'s object is as it was')
  t.same(securityOf(document), routeSecurity)
})

t.test('routeConfig.swaggerTransform replaces the plugin\'s: the schemes are then the host\'s to define', async (t) => {
  const document = await documentOf(t, { openapi: { info, components: { securitySchemes: schemes } } }, { routeConfig: { swaggerTransform: false } })
  t.same(document.components?.securitySchemes, schemes)
  t.same(securityOf(document), routeSecurity)
  await t.rejects(documentOf(t, { openapi: { info } }, { routeConfig: { swaggerTransform: false } }), TypeError, 'without them, @fastify/swagger cannot resolve the routes\' security')
})
