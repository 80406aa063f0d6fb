import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CancelBodySchema, CancelReplySchema, errorReplies, routeSecurity } from '../schemas.ts'
import { exportUserOf } from './export-user.ts'
import { findOwnExport, logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

/**
 * `POST …/rooms.export.cancel { exportId }`: the owner stops a queued or
 * running export (nothing stays stored, the slot is free, it reads
 * `cancelled`) or removes a finished one. Cancelling a cancelled export
 * changes nothing.
 */
export const cancelRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs, fileExports }) => {
  fastify.post(`${options.basePath}/rooms.export.cancel`, {
    schema: {
      tags: ['rooms.export'],
      summary: 'Cancel a file export, or remove a finished one',
      description: 'Owner only. A queued or running export stops within one batch of messages: nothing stays stored, its slot is free, its status reads `cancelled` (its download answers 409 `error-export-cancelled`). A done or failed export is removed (its status and download then answer 404). Cancelling a cancelled export again changes nothing.',
      security: routeSecurity,
      body: CancelBodySchema,
      response: {
        200: CancelReplySchema,
        ...errorReplies(['unauthorized', 'error-invalid-params', 'error-not-found', 'error-too-many-requests'])
      }
    },
    config: routeConfigOf(options),
    logSerializers
  }, async (request) => {
    const job = await findOwnExport(jobs, request.body.exportId, exportUserOf(request))
    await fileExports.cancel(job)
    return { success: true as const }
  })
}
