import type { FileExports } from '../export/file-export.ts'
import type { ExportJob, ExportJobStore } from '../export/jobs.ts'
import type { ExportSlots } from '../export/slots.ts'
import type { FastifyRequest } from 'fastify'
import type { ExportUser } from '../model.ts'
import type { ResolvedOptions } from '../options.ts'
import { exportError } from '../errors.ts'
import { documentSecuritySchemes } from '../schemas.ts'

/** What every route file is registered with. */
export interface RouteContext {
  options: ResolvedOptions
  fileExports: FileExports
  jobs: ExportJobStore
  slots: ExportSlots
}

/**
 * A route's `config`: the host's `routeConfig` over the plugin's own
 * `swaggerTransform`, which adds the routes' security schemes to the host's
 * OpenAPI document (a `swaggerTransform` in `routeConfig`, `false` too,
 * replaces it — the host's document must then define the schemes).
 */
export function routeConfigOf (options: ResolvedOptions): Record<string, unknown> {
  return { swaggerTransform: documentSecuritySchemes, ...options.routeConfig }
}

/**
 * Route `config` flags of how a route opens: the download also with a signed
 * link's `token` instead of credentials; the signing keys for anyone. Typed here, not on Fastify's
 * `FastifyContextConfig`, which would offer it on every route of the host.
 */
export interface RouteAccessConfig {
  acceptsDownloadToken?: boolean
  /** the route answers anyone: `authenticate` is not called (the signing keys) */
  opensWithoutCredentials?: boolean
}

/** Whether `request`'s route opens with a signed link's token (the download, see `RouteAccessConfig`). */
export function acceptsDownloadToken (request: FastifyRequest): boolean {
  return (request.routeOptions.config as RouteAccessConfig).acceptsDownloadToken === true
}

/** Whether `request`'s route answers without credentials (see `RouteAccessConfig`). */
export function opensWithoutCredentials (request: FastifyRequest): boolean {
  return (request.routeOptions.config as RouteAccessConfig).opensWithoutCredentials === true
}

/**
 * The export only for the user who asked for it, and only until it expires:
 * anything else is "not found", so ids of other users' exports reveal nothing.
 */
export async function findOwnExport (jobs: ExportJobStore, exportId: string, caller: ExportUser | 'signed-link'): Promise<ExportJob> {
  const job = await jobs.findById(exportId)
  if (job === null || (caller !== 'signed-link' && job.userId !== caller._id) || isExpired(job, new Date())) {
    throw exportError('error-not-found', 'no such export')
  }
  return job
}

export function isExpired (job: ExportJob, now: Date): boolean {
  // Stryker disable next-line ConditionalExpression: equivalent — `undefined <= now` is false too; the check says what is meant
  return job.expiresAt !== undefined && job.expiresAt <= now
}

/**
 * The request as the plugin's routes log it: Fastify's usual fields, with a
 * mailed link's `token` redacted — anyone reading the logs could otherwise
 * download the export.
 */
export const logSerializers = {
  req (request: FastifyRequest) {
    return {
      method: request.method,
      url: redactTokens(request.url),
      host: request.host,
      remoteAddress: request.ip,
      // Stryker disable next-line OptionalChaining: equivalent for every request Fastify serves (inject's too), which has a socket; kept as Fastify's own serializer guards it
      remotePort: request.socket?.remotePort
    }
  }
}

/**
 * `url` with the value of every query parameter that Fastify's parser reads as
 * `token` replaced — however its name is encoded (`%74oken`, `tok%65n`).
 */
export function redactTokens (url: string): string {
  const queryStart = url.indexOf('?')
  // Stryker disable next-line ConditionalExpression,UnaryOperator: equivalent — without a query the whole URL is one "pair" whose name, a path starting with "/", is never `token`; the early return says so
  if (queryStart === -1) return url
  const pairs = url.slice(queryStart + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=')
    const name = equals === -1 ? pair : pair.slice(0, equals)
    return decodedName(name) === 'token' ? `${name}=[redacted]` : pair
  })
  return `${url.slice(0, queryStart + 1)}${pairs.join('&')}`
}

/** A name as Fastify's query parser reads it: decoded, or as written when it does not decode. */
function decodedName (name: string): string {
  let decoded = name
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '))
  } catch {} // malformed: kept as written
  return decoded
}
