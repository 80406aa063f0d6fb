import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { createMongoHooks, createMongoRepository, hasMessageRangeIndex } from './lib/backends/mongo.ts'
import type { MongoDatabase } from './lib/backends/mongo-database.ts'
import { asDb } from './lib/backends/mongo-driver.ts'
import { handleError } from './lib/error-handler.ts'
import { ExportApiError } from './lib/errors.ts'
import { FileExports } from './lib/export/file-export.ts'
import { createMemoryJobStore } from './lib/export/jobs.ts'
import { createMongoJobStore } from './lib/export/mongo-jobs.ts'
import { createExportSlots } from './lib/export/slots.ts'
import { resolveDatabase, resolveOptions, type RoomsExportOptions } from './lib/options.ts'
import { htmlWorkerAvailable } from './lib/render/html-worker.ts'
import { cancelRoute } from './lib/routes/cancel.ts'
import { downloadRoute } from './lib/routes/download.ts'
import { exportRoute } from './lib/routes/export.ts'
import { listRoute } from './lib/routes/list.ts'
import { decorateExportUser, setExportUser } from './lib/routes/export-user.ts'
import { keysRoute } from './lib/routes/keys.ts'
import { acceptsDownloadToken, opensWithoutCredentials, type RouteContext } from './lib/routes/route-context.ts'
import { statusRoute } from './lib/routes/status.ts'
import { createGridFsStorage } from './lib/storage/gridfs.ts'

/** `fastify.mongo.db` when the host registered @fastify/mongodb (with a database) before this plugin. */
function hostDatabase (fastify: FastifyInstance): MongoDatabase | undefined {
  return (fastify as unknown as { mongo?: { db?: MongoDatabase } }).mongo?.db
}

const roomsExport: FastifyPluginAsync<RoomsExportOptions> = async (fastify: FastifyInstance, opts) => {
  const db = resolveDatabase(opts.mongo, hostDatabase(fastify))
  // With a database, every hook the host leaves out comes from the Rocket.Chat layout,
  // and exports and jobs live in it, shared by every instance on that database.
  const backend = db === undefined
    ? undefined
    : { ...createMongoHooks(db), repository: createMongoRepository(db, opts.mongo === false ? {} : { uploads: opts.mongo?.uploads, countMessages: opts.mongo?.countMessages }), storage: createGridFsStorage(db) }
  const options = await resolveOptions(opts, backend)
  const { limits } = options
  if (db !== undefined && opts.repository === undefined && !await hasMessageRangeIndex(db)) {
    fastify.log.warn('rooms.export: rocketchat_message has no index starting with { rid: 1, ts: 1 } (Rocket.Chat creates { rid: 1, ts: 1, _updatedAt: 1 }); every export will scan and sort the whole collection')
  }
  if (options.renderInWorker && !htmlWorkerAvailable) {
    options.renderInWorker = false
    fastify.log.warn('rooms.export: the HTML render worker (html-worker-thread.js) is not beside the plugin\'s code — bundled into one file? HTML exports render on the main thread; see the README, "Bundling"')
  }
  await options.storage.prepare?.({ abandonedAfterMs: limits.stallTimeoutMs, expiredAfterMs: limits.exportTtlMs })
  const jobs = db !== undefined
    ? await createMongoJobStore(asDb(db), limits)
    : await options.storage.createJobStore?.(limits) ?? createMemoryJobStore()
  if (options.mailer !== null && options.publicUrl !== null && opts.secret === undefined) {
    fastify.log.warn('rooms.export: no "secret" option: mailed download links are signed with a random key, so they stop working when the server restarts and differ between instances')
  }
  const fileExports = new FileExports({
    options,
    jobs,
    log: fastify.log,
    downloadPath: `${fastify.prefix}${options.basePath}/rooms.export.download`,
    keysPath: `${fastify.prefix}${options.basePath}/rooms.export.keys`
  })
  // The start-up sweep: what expired while no server ran goes before the first request,
  // and exports whose server stopped run again here.
  await fileExports.sweep()

  // Strict, non-coercing validation and the Rocket.Chat error shape hold in this plugin's scope only.
  fastify.setValidatorCompiler(TypeBoxValidatorCompiler)
  fastify.setErrorHandler(handleError)
  decorateExportUser(fastify)
  // The API takes JSON only; Fastify's text/plain parser would turn a wrong Content-Type into a confusing schema error.
  fastify.removeContentTypeParser('text/plain')

  // The host's own hooks first, then (as route hooks) those of plugins such as @fastify/rate-limit,
  // then credentials — in preParsing, so still before the body is even parsed.
  for (const hook of options.onRequest) fastify.addHook('onRequest', hook)
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const query = request.query as { token?: unknown }
    if ((acceptsDownloadToken(request) && query.token !== undefined) || opensWithoutCredentials(request)) return payload
    const user = await options.authenticate(request)
    if (user === null || user === undefined) throw new ExportApiError('unauthorized')
    setExportUser(request, user)
    return payload
  })

  fastify.addHook('onClose', async () => {
    await fileExports.close()
    if (options.mailer?.ownsTransport === true) options.mailer.transporter.close()
  })

  const slots = createExportSlots(jobs, limits)
  const context: RouteContext = { options, fileExports, jobs, slots }
  await fastify.register(exportRoute, context)
  await fastify.register(statusRoute, context)
  await fastify.register(downloadRoute, context)
  await fastify.register(cancelRoute, context)
  await fastify.register(listRoute, context)
  await fastify.register(keysRoute, context)
}

export default fp(roomsExport, { name: 'fastify-rooms-export', fastify: '5.x', encapsulate: true })
export { roomsExport }

export { createMemoryRepository, type MemoryRepositoryData } from './lib/backends/memory.ts'
export { createDirectoryStorage } from './lib/storage/directory.ts'
export { createGridFsStorage } from './lib/storage/gridfs.ts'
export { createS3Storage, type S3StorageOptions } from './lib/storage/s3.ts'
export { createMongoHooks, createMongoRepository, hashLoginToken, type MongoRepositoryOptions } from './lib/backends/mongo.ts'
export type { ExportStorage, StoragePreparation, ByteRange } from './lib/storage/storage.ts'
export type { MongoDatabase } from './lib/backends/mongo-database.ts'
export type { MongoUploadsOptions, S3ClientLike } from './lib/backends/upload-stores.ts'
export type { ExportJob, ExportJobStore, JobStoreSettings, JobAttempt, JobRequest, SlotLimits, JobStatus, ExportFormat } from './lib/export/jobs.ts'
export type { Manifest } from './lib/export/file-export.ts'
export { verifyExport, type Verification, type VerificationCheck, type VerificationKeys } from './lib/signing/verify-export.ts'
export type { SigningOptions, Jwks, PublicJwk } from './lib/signing/manifest-signature.ts'
export type {
  RoomsExportOptions, ExportLimits, MailerOptions, Authenticate, HasPermission, CanAccessRoom, OnExportReady, OnExportFailed, Timestamp
} from './lib/options.ts'
export type {
  ExportUser, ExportRoom, ExportMessage, FileRef, MessageAttachment, MessageUrl, MarkdownTree, MessageRangeQuery, RoomRepository, UnavailableUpload, MessageVersion, MessageDeletion
} from './lib/model.ts'
export { englishSentences, type Translate } from './lib/render/system-messages.ts'
export {
  ExportDocumentSchema, JsonMessageSchema, ExportRequestBodySchema, ExportStatusSchema, securitySchemes,
  type ExportDocument, type JsonMessage, type ExportRequestBody, type ExportStatus
} from './lib/schemas.ts'
export { errorTable, type ErrorType } from './lib/errors.ts'
