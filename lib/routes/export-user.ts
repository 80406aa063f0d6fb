import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ExportApiError } from '../errors.ts'
import type { ExportUser } from '../model.ts'

/**
 * The user `authenticate` returned for a request, kept in a request property
 * decorated in the plugin's own (encapsulated) scope: `decorateRequest` gives
 * every request object of that scope the property from the start, so they all
 * keep one shape. The host's routes have no such property, and nothing
 * declares one on Fastify's `FastifyRequest`: the plugin's routes read it
 * through `exportUserOf`, typed here only.
 */
interface AuthenticatedRequest extends FastifyRequest {
  exportUser: ExportUser | null
}

/** Gives the requests of the plugin's scope the property, empty (once, at registration). */
export function decorateExportUser (fastify: FastifyInstance): void {
  fastify.decorateRequest('exportUser', null)
}

/** Records the user `authenticate` returned for `request`. */
export function setExportUser (request: FastifyRequest, user: ExportUser): void {
  (request as AuthenticatedRequest).exportUser = user
}

/**
 * The user `authenticate` returned for `request`. A route reached without
 * credentials (one that opens with a signed link's token) has none: answered
 * `unauthorized`, never read as `null`.
 */
export function exportUserOf (request: FastifyRequest): ExportUser {
  const user = (request as AuthenticatedRequest).exportUser
  if (user === null) throw new ExportApiError('unauthorized')
  return user
}
