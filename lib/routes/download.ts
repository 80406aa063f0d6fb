import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { verifyDownloadToken } from '../export/download-link.ts'
import { storageKeyOf } from '../export/jobs.ts'
import { exportError } from '../errors.ts'
import { downloadSecurity, DownloadQuerySchema, errorReplies, ZipReplySchema } from '../schemas.ts'
import type { ByteRange } from '../storage/storage.ts'
import { exportUserOf } from './export-user.ts'
import { findOwnExport, logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

/**
 * `GET|HEAD …/rooms.export.download?exportId=`: the zip, streamed, to its
 * owner — or to whoever holds the signed link from the "export ready" mail.
 * Resumable: a strong ETag (the zip's sha256), single byte ranges (206/416),
 * `If-None-Match` (304) and `If-Range`.
 */
export const downloadRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, jobs }) => {
  // HEAD is a route of its own: Fastify's automatic one would read the whole zip to discard it.
  fastify.route({
    method: ['GET', 'HEAD'],
    url: `${options.basePath}/rooms.export.download`,
    schema: {
      tags: ['rooms.export'],
      summary: 'Download a finished file export (zip)',
      description: 'Owner only (credentials), or anyone with the signed `token` of the "export ready" mail. Supports `Range`, `If-Range`, `If-None-Match` and `HEAD`.',
      security: downloadSecurity,
      querystring: DownloadQuerySchema,
      response: {
        200: ZipReplySchema('the whole zip'),
        206: ZipReplySchema('one byte range of the zip (`Content-Range`)'),
        304: { description: 'not modified: `If-None-Match` matched the ETag', type: 'null' },
        ...errorReplies(['unauthorized', 'error-invalid-params', 'error-not-found', 'error-export-not-ready', 'error-export-failed', 'error-export-cancelled', 'error-range-not-satisfiable', 'error-too-many-requests'])
      }
    },
    config: { ...routeConfigOf(options), acceptsDownloadToken: true },
    logSerializers,
    handler: async (request, reply) => {
      const { exportId, token } = request.query
      if (token !== undefined && !verifyDownloadToken(options.secret, exportId, token, new Date())) {
        throw exportError('error-not-found', 'no such export, or the link has expired')
      }
      // A valid token stands in for the owner's credentials; without one, the caller must be the owner.
      const job = await findOwnExport(jobs, exportId, token === undefined ? exportUserOf(request) : 'signed-link')
      if (job.status === 'failed') throw exportError('error-export-failed', job.error)
      if (job.status === 'cancelled') throw exportError('error-export-cancelled', 'the export was cancelled')
      if (job.status !== 'done') throw exportError('error-export-not-ready', `the export is ${job.status}`)

      // Everything that can fail is decided before the stored file is opened, so a failure never holds it open;
      // the zip's headers are set only once nothing can fail, so an error answer carries none of them.
      // Records written before exports were hashed: an export never changes, so its id is a strong validator too.
      const etag = `"${job.sha256 ?? job._id}"`
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).header('etag', etag).header('cache-control', 'private, no-store').send()
      const ifRange = request.headers['if-range']
      const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, job.bytes) : undefined
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${job.bytes}`)
        throw exportError('error-range-not-satisfiable', `the export has ${job.bytes} bytes`)
      }
      const stream = request.method === 'HEAD' ? null : await options.storage.read(storageKeyOf(job), range)
      if (request.method !== 'HEAD' && stream === null) throw exportError('error-not-found', 'the export is no longer stored')
      reply
        .header('content-type', 'application/zip')
        .header('content-disposition', contentDisposition(job.fileName))
        .header('cache-control', 'private, no-store')
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('content-length', range === undefined ? job.bytes : range.end - range.start + 1)
      if (range !== undefined) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${job.bytes}`)
      // Stryker disable next-line ConditionalExpression: equivalent — for HEAD, `reply.send(null)` is `reply.send()`: Fastify sends no body for either with a non-JSON content type
      if (stream === null) return reply.send()
      return reply.send(stream)
    }
  })
}

function matchesEtag (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((candidate) => { const value = candidate.trim(); return value === '*' || value === etag || value === `W/${etag}` })
}

/**
 * One `bytes=` range of a `size`-byte file, clipped to it; `undefined` (send
 * it all) for no header, several ranges or a syntax HTTP says to ignore.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  // Stryker disable next-line StringLiteral: equivalent — without a header any text that is not a `bytes=` range (as the mutant's is not) gives `undefined` too
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '')
  if (match === null || (match[1] === '' && match[2] === '')) return undefined
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  if (match[2] !== '' && Number(match[2]) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) }
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name (a lone surrogate, which UTF-8 cannot carry, as U+FFFD). */
function contentDisposition (fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/gu, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName.toWellFormed())}`
}
