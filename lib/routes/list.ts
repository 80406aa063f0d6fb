import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toExportStatus } from '../export/jobs.ts'
import { exportError } from '../errors.ts'
import { errorReplies, ListQuerySchema, ListReplySchema, routeSecurity } from '../schemas.ts'
import { exportUserOf } from './export-user.ts'
import { logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

/** The most exports one page holds, as Rocket.Chat's list endpoints cap `count`. */
const largestPage = 100

/**
 * `GET …/rooms.export.list?offset=&count=`: the caller's own file exports
 * (not expired), newest first, paged as Rocket.Chat's list endpoints are:
 * `{ exports, offset, count, total }`.
 */
export const listRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs }) => {
  fastify.get(`${options.basePath}/rooms.export.list`, {
    schema: {
      tags: ['rooms.export'],
      summary: 'The caller\'s file exports, newest first',
      description: `Paged: \`offset\` (default 0) and \`count\` (1 to ${largestPage}, default 25). \`count\` in the reply is the number of exports in this page, \`total\` the number in all.`,
      security: routeSecurity,
      querystring: ListQuerySchema,
      response: {
        200: ListReplySchema,
        ...errorReplies(['unauthorized', 'error-invalid-params', 'error-too-many-requests'])
      }
    },
    config: routeConfigOf(options),
    logSerializers
  }, async (request) => {
    const offset = Number(request.query.offset ?? 0)
    const count = Number(request.query.count ?? 25)
    if (count < 1 || count > largestPage) throw exportError('error-invalid-params', `querystring.count: must be 1 to ${largestPage}`)
    const { jobs: page, total } = await jobs.findByUser(exportUserOf(request)._id, { offset, count }, new Date())
    return { success: true as const, exports: page.map(toExportStatus), offset, count: page.length, total }
  })
}
