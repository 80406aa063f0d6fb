import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { handleError } from './lib/error-handler.ts'
import { ExportApiError } from './lib/errors.ts'
import { FileExports } from './lib/export/file-export.ts'
import { createMemoryJobStore } from './lib/export/jobs.ts'
import type { ExportUser } from './lib/model.ts'
import { resolveOptions, type RoomsExportOptions } from './lib/options.ts'
import { compileTemplates } from './lib/render/templates.ts'
import { downloadRoute } from './lib/routes/download.ts'
import { exportRoute } from './lib/routes/export.ts'
import type { RouteContext } from './lib/routes/route-context.ts'
import { statusRoute } from './lib/routes/status.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** the user `authenticate` returned for this request (routes of this plugin only) */
    exportUser: ExportUser | null
  }
  interface FastifyContextConfig {
    /** the download route also opens with a signed link's token instead of credentials */
    acceptsDownloadToken?: boolean
  }
}

const roomsExport: FastifyPluginAsync<RoomsExportOptions> = async (fastify: FastifyInstance, opts) => {
  const options = resolveOptions(opts, undefined)
  const templates = compileTemplates()
  const jobs = createMemoryJobStore()
  const fileExports = new FileExports({
    options,
    templates,
    jobs,
    log: fastify.log,
    downloadPath: `${fastify.prefix}${options.basePath}/rooms.export.download`
  })

  // Strict, non-coercing validation and the Rocket.Chat error shape hold in this plugin's scope only.
  fastify.setValidatorCompiler(TypeBoxValidatorCompiler)
  fastify.setErrorHandler(handleError)
  fastify.decorateRequest('exportUser', null)
  // The API takes JSON only; Fastify's text/plain parser would turn a wrong Content-Type into a confusing schema error.
  fastify.removeContentTypeParser('text/plain')

  // onRequest: credentials are checked before the body is even parsed.
  fastify.addHook('onRequest', async (request) => {
    const query = request.query as { token?: unknown }
    if (request.routeOptions.config.acceptsDownloadToken === true && query.token !== undefined) return
    const user = await options.authenticate(request)
    if (user === null || user === undefined) throw new ExportApiError('unauthorized')
    request.exportUser = user
  })

  fastify.addHook('onClose', async () => {
    await fileExports.close()
    if (options.mailer?.ownsTransport === true) options.mailer.transporter.close()
  })

  const context: RouteContext = { options, templates, fileExports, jobs }
  await fastify.register(exportRoute, context)
  await fastify.register(statusRoute, context)
  await fastify.register(downloadRoute, context)
}

export default fp(roomsExport, { name: 'fastify-rooms-export', fastify: '5.x', encapsulate: true })
export { roomsExport }

export { createMemoryRepository, type MemoryRepositoryData } from './lib/backends/memory.ts'
export { createDirectoryStorage } from './lib/storage/directory.ts'
export type { ExportStorage } from './lib/storage/storage.ts'
export type { ExportJob, JobStatus, ExportFormat } from './lib/export/jobs.ts'
export type { Manifest } from './lib/export/file-export.ts'
export type {
  RoomsExportOptions, ExportLimits, MailerOptions, Authenticate, HasPermission, CanAccessRoom, OnExportReady
} from './lib/options.ts'
export type {
  ExportUser, ExportRoom, ExportMessage, FileRef, MessageAttachment, MessageRangeQuery, RoomRepository
} from './lib/model.ts'
export {
  ExportDocumentSchema, JsonMessageSchema, ExportRequestBodySchema, ExportStatusSchema,
  type ExportDocument, type JsonMessage, type ExportRequestBody, type ExportStatus
} from './lib/schemas.ts'
export { errorTable, type ErrorType } from './lib/errors.ts'
