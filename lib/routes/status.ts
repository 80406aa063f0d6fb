import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toExportStatus } from '../export/jobs.ts'
import { ExportIdQuerySchema, ExportStatusReplySchema } from '../schemas.ts'
import { findOwnExport, logSerializers, type RouteContext } from './route-context.ts'

/** `GET …/rooms.export.status?exportId=`: the owner's view of a file export's progress. */
export const statusRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs }) => {
  fastify.get(`${options.basePath}/rooms.export.status`, {
    schema: { querystring: ExportIdQuerySchema, response: { 200: ExportStatusReplySchema } },
    logSerializers
  }, async (request) => {
    const job = await findOwnExport(jobs, request.query.exportId, request.exportUser!)
    return { success: true as const, export: toExportStatus(job) }
  })
}
