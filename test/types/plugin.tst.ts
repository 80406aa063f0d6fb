// Type tests of what users install: `fastify-rooms-export` resolves (through the package's
// own "exports") to dist/index.d.ts, so `npm run build` must run first (npm run test:types does).
import { Readable } from 'node:stream'
import Fastify, { type FastifyContextConfig } from 'fastify'
import { Registry } from 'prom-client'
import { expect } from 'tstyche'
import roomsExport, {
  createDirectoryStorage, createMemoryRepository, createS3Storage, errorTable, securitySchemes,
  type Authenticate, type CanAccessRoom, type ExportJob, type ExportJobStore, type ExportRoom, type ExportStorage, type ExportUser,
  type HasPermission, type JobStoreSettings, type OnExportFailed, type OnExportReady, type RoomRepository, type RoomsExportOptions,
  type S3ClientLike
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

// The plugin's request decoration and route flag exist on its own routes only: nothing is declared on the host's.
app.get('/', async (request) => {
  expect(request).type.not.toHaveProperty('exportUser')
})
expect<FastifyContextConfig>().type.not.toHaveProperty('acceptsDownloadToken')

// Each hook may answer at once or with a promise.
const user: ExportUser = { _id: 'u1', username: 'alice' }
expect<Authenticate>().type.toBeAssignableFrom(() => null)
expect<Authenticate>().type.toBeAssignableFrom(() => user)
expect<Authenticate>().type.toBeAssignableFrom(async () => user)
expect<Authenticate>().type.toBeAssignableFrom(async () => null)
expect<Authenticate>().type.toBeAssignableFrom(() => Promise.resolve(user))
expect<Authenticate>().type.not.toBeAssignableFrom(() => ({ username: 'alice' }))
expect<HasPermission>().type.toBeAssignableFrom((_user: ExportUser, permission: 'mail-messages') => permission === 'mail-messages')
expect<HasPermission>().type.toBeAssignableFrom(async () => false)
expect<HasPermission>().type.not.toBeAssignableFrom(async () => 'yes')
expect<CanAccessRoom>().type.toBeAssignableFrom((room: ExportRoom) => room.t === 'c')
expect<CanAccessRoom>().type.toBeAssignableFrom(async () => true)
expect<CanAccessRoom>().type.not.toBeAssignableFrom(() => 1)
expect<OnExportReady>().type.toBeAssignableFrom((job: ExportJob) => { void job })
expect<OnExportReady>().type.toBeAssignableFrom(async () => {})
expect<OnExportFailed>().type.toBeAssignableFrom((_job: ExportJob, _user: ExportUser, error: Error) => { void error })
expect<OnExportFailed>().type.toBeAssignableFrom(async () => {})
expect(app.register(roomsExport, {
  repository,
  authenticate: (request) => request.headers['x-user-id'] === 'u1' ? user : null,
  hasPermission: () => true,
  canAccessRoom: () => true,
  onExportReady: () => {},
  onExportFailed: () => {}
})).type.not.toRaiseError()

// Options of the wrong type are refused, for that reason.
expect(app.register(roomsExport, { ...hooks, repository, basePath: 1 })).type.toRaiseError("Type 'number' is not assignable to type 'string'")
expect(app.register(roomsExport, { ...hooks, repository, renderInWorker: 'no' })).type.toRaiseError("Type 'string' is not assignable to type 'boolean | undefined'")
expect(app.register(roomsExport, { ...hooks, repository, secret: 1234567890123456 })).type.toRaiseError("Type 'number' is not assignable to type 'string'")
expect(app.register(roomsExport, { ...hooks, repository, mailer: { transport: { host: 'smtp.example.com' } } })).type.toRaiseError("Property 'from' is missing")
expect(app.register(roomsExport, { ...hooks, repository, limits: { allowedEmailDomains: 'example.com' } })).type.toRaiseError("Type 'string' is not assignable to type 'string[]'")
expect(app.register(roomsExport, { ...hooks, repository, onRequest: 'rateLimit' })).type.toRaiseError("Type 'string' is not assignable to type 'onRequestHookHandler")
// `translate` answers synchronously.
expect(app.register(roomsExport, { ...hooks, repository, translate: async () => 'übersetzt' })).type.toRaiseError("Type 'Promise<string>' is not assignable to type 'string'")

// The storages the package makes, and a host's own, are all a `storage`.
const client: S3ClientLike = { send: async () => ({}) }
const ownStorage = {
  async write (key: string, source: Readable) { void key; source.resume() },
  async read () { return Readable.from([Buffer.from('zip')]) },
  async remove () {}
}
expect(app.register(roomsExport, { ...hooks, repository, storage: createDirectoryStorage('/var/lib/exports') })).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, storage: createS3Storage({ client, bucket: 'exports' }) })).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, storage: ownStorage })).type.not.toRaiseError()
expect(createS3Storage({ client, bucket: 'exports', prefix: 'chat/' })).type.toBe<ExportStorage>()
expect(ownStorage).type.toBeAssignableTo<ExportStorage>()
expect({ write: ownStorage.write, read: ownStorage.read }).type.not.toBeAssignableTo<ExportStorage>()
expect(app.register(roomsExport, { ...hooks, repository, storage: { ...ownStorage, read: async () => 'zip' } })).type.toRaiseError("Type 'string' is not assignable to type 'Readable'")

// What a storage's job store is told at start.
expect<JobStoreSettings>().type.toBe<{ exportTtlMs: number, instanceTimeoutMs: number, exportAttempts: number }>()
expect<Parameters<NonNullable<ExportStorage['createJobStore']>>>().type.toBe<[settings: JobStoreSettings]>()
expect<ReturnType<NonNullable<ExportStorage['createJobStore']>>>().type.toBe<Promise<ExportJobStore>>()
declare const jobStore: ExportJobStore
expect<ExportStorage>().type.toBeAssignableFrom({
  ...ownStorage,
  async createJobStore ({ exportTtlMs, instanceTimeoutMs, exportAttempts }: JobStoreSettings) {
    void [exportTtlMs, instanceTimeoutMs, exportAttempts]
    return jobStore
  }
})
expect<ExportStorage>().type.not.toBeAssignableFrom({ ...ownStorage, createJobStore: async (exportTtlMs: number) => { void exportTtlMs; return jobStore } })

// Metrics: a prom-client Registry, typed by shape (the host's types need no prom-client otherwise).
expect(app.register(roomsExport, { ...hooks, repository, metrics: { registry: new Registry() } })).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, metrics: { registry: {} } })).type.toRaiseError()
// countMessages: optional, the same query as findMessages; null where the repository does not count.
expect<RoomRepository['countMessages']>().type.toBe<((query: { rid: string, from: Date, to: Date }) => Promise<number | null>) | undefined>()
expect(app.register(roomsExport, { ...hooks, repository, mongo: { countMessages: true } })).type.not.toRaiseError()
expect(app.register(roomsExport, { ...hooks, repository, mongo: { countMessages: 'yes' } })).type.toRaiseError()
expect<ExportJob['status']>().type.toBe<'queued' | 'running' | 'done' | 'failed' | 'cancelled'>()
