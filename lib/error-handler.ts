import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody, ExportApiError } from './errors.ts'

/**
 * Body-parsing failures Fastify raises before the handler runs, answered in
 * the API's shape (clients key on `errorType`), with the HTTP status that fits.
 */
const parsingErrors: Record<string, { status: number, details: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, details: 'Content-Type must be application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, details: 'the request body is too large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, details: 'the request body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, details: 'the request body is not valid JSON' }
}

/** The plugin's one error handler: every error in the Rocket.Chat shape, internals never leaked. */
export function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ExportApiError) return reply.code(error.statusCode).send(errorBody(error))
  const parsing = parsingErrors[error.code]
  if (parsing !== undefined) {
    return reply.code(parsing.status).send(errorBody(new ExportApiError('error-invalid-params', parsing.details, parsing.status)))
  }
  if (error.validation !== undefined) {
    const first = error.validation[0]
    const field = `${error.validationContext}${first.instancePath.replace(/\//g, '.')}`
    return reply.code(400).send(errorBody(new ExportApiError('error-invalid-params', `${field}: ${first.message}`)))
  }
  // A 429 from any plugin in this scope (@fastify/rate-limit, say) keeps the API's meaning.
  if (error.statusCode === 429) {
    return reply.code(429).send(errorBody(new ExportApiError('error-too-many-requests', error.message)))
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return reply.code(error.statusCode).send(errorBody(new ExportApiError('error-invalid-params', error.message, error.statusCode)))
  }
  request.log.error({ err: error }, 'rooms.export: unexpected error')
  return reply.code(500).send(errorBody(new ExportApiError('error-internal')))
}
