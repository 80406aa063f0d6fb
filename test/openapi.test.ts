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

/** What the document says of an operation: its tags, summary, description and the description of each reply, by status. */
function documentationOf (operation: Operation) {
  const { tags, summary, description, responses } = operation as Operation & { tags: string[], summary: string, description: string, responses: Record<string, { description: string }> }
  return { tags, summary, description, responses: Object.fromEntries(Object.entries(responses).map(([status, reply]) => [status, reply.description])) }
}

t.test('the export request and the download, as documented: what each does and every reply it gives', async (t) => {
  const document = await documentOf(t, { openapi: { info } })
  t.same(documentationOf(document.paths['/api/v1/rooms.export'].post), {
    tags: ['rooms.export'],
    summary: 'Export a room\'s messages to a file (zip) or by email',
    description: '`type: "file"` answers at once with an `exportId` (follow it with rooms.export.status and rooms.export.download); `type: "email"` answers once the mail server accepted the mail.',
    responses: {
      200: 'Default Response',
      400: 'error-invalid-params, error-invalid-format, error-invalid-room, error-invalid-dates, error-email-not-configured, error-invalid-email, error-invalid-recipient, error-too-many-messages',
      401: 'no or wrong credentials',
      403: 'error-action-not-allowed, error-not-allowed',
      413: 'error-invalid-params',
      415: 'error-invalid-params',
      429: 'error-too-many-requests',
      500: 'error-internal',
      502: 'error-email-send-failed'
    }
  })
  const started = (document.paths['/api/v1/rooms.export'].post as unknown as { responses: Record<string, { content: unknown }> }).responses['200'].content
  t.same(started, {
    'application/json': {
      schema: {
        anyOf: [
          { type: 'object', required: ['success', 'exportId'], properties: { success: { type: 'boolean', enum: [true] }, exportId: { type: 'string' } } },
          { type: 'object', required: ['success', 'missing'], properties: { success: { type: 'boolean', enum: [true] }, missing: { type: 'array', items: { type: 'string' } } } }
        ]
      }
    }
  }, 'a file export\'s id, or the recipients an email export missed')
  const download = document.paths['/api/v1/rooms.export.download']
  const downloadDocumentation = {
    tags: ['rooms.export'],
    summary: 'Download a finished file export (zip)',
    description: 'Owner only (credentials), or anyone with the signed `token` of the "export ready" mail. Supports `Range`, `If-Range`, `If-None-Match` and `HEAD`.',
    responses: {
      200: 'the whole zip',
      206: 'one byte range of the zip (`Content-Range`)',
      304: 'not modified: `If-None-Match` matched the ETag',
      400: 'error-invalid-params',
      401: 'no or wrong credentials',
      404: 'error-not-found',
      409: 'error-export-not-ready, error-export-failed, error-export-cancelled',
      416: 'error-range-not-satisfiable',
      429: 'error-too-many-requests'
    }
  }
  t.same(documentationOf(download.get), downloadDocumentation)
  t.same(documentationOf(download.head), downloadDocumentation, 'HEAD, a route of its own, documented as GET')
})
