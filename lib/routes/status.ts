import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toExportStatus } from '../export/jobs.ts'
import { errorReplies, ExportIdQuerySchema, ExportStatusReplySchema, routeSecurity } from '../schemas.ts'
import { exportUserOf } from './export-user.ts'
import { findOwnExport, logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

/** `GET …/rooms.export.status?exportId=`: the owner's view of a file export's progress. */
export const statusRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs }) => {
  fastify.get(`${options.basePath}/rooms.export.status`, {
    schema: {
      tags: ['rooms.export'],
      summary: 'Progress and outcome of a file export',
      description: 'Owner only. `messages` and `bytes` grow while the export runs; `error` says why one failed.',
      security: routeSecurity,
      querystring: ExportIdQuerySchema,
      response: {
        200: ExportStatusReplySchema,
        ...errorReplies(['unauthorized', 'error-invalid-params', 'error-not-found', 'error-too-many-requests'])
      }
    },
    config: routeConfigOf(options),
    logSerializers
  }, async (request) => {
    const job = await findOwnExport(jobs, request.query.exportId, exportUserOf(request))
    return { success: true as const, export: toExportStatus(job) }
  })
}
