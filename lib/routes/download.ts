import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { verifyDownloadToken } from '../export/download-link.ts'
import { exportError } from '../errors.ts'
import { DownloadQuerySchema } from '../schemas.ts'
import { findOwnExport, logSerializers, type RouteContext } from './route-context.ts'

/**
 * `GET …/rooms.export.download?exportId=`: the zip, streamed, to its owner —
 * or to whoever holds the signed link from the "export ready" mail.
 */
export const downloadRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs }) => {
  fastify.get(`${options.basePath}/rooms.export.download`, {
    schema: { querystring: DownloadQuerySchema },
    config: { acceptsDownloadToken: true },
    logSerializers
  }, async (request, reply) => {
    const { exportId, token } = request.query
    if (token !== undefined && !verifyDownloadToken(options.secret, exportId, token, new Date())) {
      throw exportError('error-not-found', 'no such export, or the link has expired')
    }
    // A valid token stands in for the owner's credentials; without one, the caller must be the owner.
    const job = await findOwnExport(jobs, exportId, token === undefined ? request.exportUser! : 'signed-link')
    if (job.status === 'failed') throw exportError('error-export-failed', job.error)
    if (job.status !== 'done') throw exportError('error-export-not-ready', `the export is ${job.status}`)
    // Everything that can fail is done before the stored file is opened, so a failure never holds it open.
    reply
      .header('content-type', 'application/zip')
      .header('content-length', job.bytes)
      .header('content-disposition', contentDisposition(job.fileName))
      .header('cache-control', 'private, no-store')
    const stream = await options.storage.read(job._id)
    if (stream === null) throw exportError('error-not-found', 'the export is no longer stored')
    return reply.send(stream)
  })
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name (a lone surrogate, which UTF-8 cannot carry, as U+FFFD). */
function contentDisposition (fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/gu, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName.toWellFormed())}`
}
