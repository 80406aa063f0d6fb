import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { exportError } from '../errors.ts'
import { errorReplies, JwksReplySchema } from '../schemas.ts'
import { logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

/** Caches may keep the keys an hour: a new key is published before it signs (see the README, "Verifiable exports"). */
const keysMaxAgeSeconds = 3600

/**
 * `GET …/rooms.export.keys`: the public keys of the `signing` option as a
 * JWKS, for anyone checking an archive — no credentials (`opensWithoutCredentials`).
 * 404 `error-not-found` when the plugin signs nothing.
 */
export const keysRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options }) => {
  fastify.get(`${options.basePath}/rooms.export.keys`, {
    schema: {
      tags: ['rooms.export'],
      summary: 'The public keys that verify signed exports (JWKS)',
      description: 'No authentication. Each archive\'s `manifest.jws` names its key by `kid`; earlier keys stay listed for the archives they signed. 404 `error-not-found` when the server does not sign exports.',
      security: [],
      response: {
        200: JwksReplySchema,
        ...errorReplies(['error-not-found'])
      }
    },
    config: { ...routeConfigOf(options), opensWithoutCredentials: true },
    logSerializers
  }, async (_request, reply) => {
    if (options.signing === null) throw exportError('error-not-found', 'this server does not sign exports')
    void reply.header('cache-control', `public, max-age=${keysMaxAgeSeconds}`)
    return options.signing.jwks
  })
}
