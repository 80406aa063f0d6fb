// Type tests of what users install: `fastify-rooms-export` resolves (through the package's
// own "exports") to dist/index.d.ts, so `npm run build` must run first (npm run test:types does).
import Fastify from 'fastify'
import { expect } from 'tstyche'
import roomsExport, {
  createDirectoryStorage, createMemoryRepository, errorTable, securitySchemes,
  type ExportJob, type ExportStorage, type ExportUser, type RoomRepository, type RoomsExportOptions
} from 'fastify-rooms-export'

const repository = createMemoryRepository({ rooms: [], messages: [], users: [] })
const hooks = {
  authenticate: async (): Promise<ExportUser | null> => null,
  hasPermission: async () => true,
  canAccessRoom: async () => true
}

const app = Fastify()
expect(app.register(roomsExport, { ...hooks, repository })).type.not.toRaiseError()
expect(app.register(roomsExport, {})).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, prefix: '/chat', limits: { stallTimeoutMs: 1000, allowedEmailDomains: ['example.com'] } })).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, limits: { stallTimeoutMs: '1000' } })).type.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, mongo: true })).type.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, unknownOption: 1 })).type.toRaiseError()

expect<RoomsExportOptions>().type.toBeAssignableFrom({ mongo: false as const, routeConfig: { rateLimit: { max: 5 } }, onRequest: async () => {} })
expect<RoomsExportOptions['onExportFailed']>().type.toBeAssignableFrom(async (job: ExportJob, user: ExportUser, error: Error) => { void job; void user; void error })
// A hook may answer at once or with a promise.
expect<RoomsExportOptions>().type.toBeAssignableFrom({ authenticate: () => null, hasPermission: () => true, canAccessRoom: async () => true, onExportReady: () => {} })
expect<RoomsExportOptions>().type.not.toBeAssignableFrom({ hasPermission: () => 'yes' })
expect(createDirectoryStorage('/tmp/x')).type.toBeAssignableTo<ExportStorage>()
expect(repository).type.toBeAssignableTo<RoomRepository>()
expect(errorTable['error-too-many-requests']).type.toBe<429>()
expect(securitySchemes.rocketChatUserId.name).type.toBe<'X-User-Id'>()

// The request decoration the plugin declares.
app.get('/', async (request) => {
  expect(request.exportUser).type.toBe<ExportUser | null>()
})
