import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifySchemaValidationError } from 'fastify'
import { sendEmailExport } from '../export/email-export.ts'
import type { ExportFormat } from '../export/jobs.ts'
import { beginning, InvalidBoundError, parseBound, type ResolvedRange } from '../export/range.ts'
import { findZone } from '../time/zones.ts'
import { exportError } from '../errors.ts'
import { EmailExportReplySchema, emailOnlyFields, errorReplies, ExportRequestBodySchema, FileExportReplySchema, routeSecurity, type ExportRequestBody } from '../schemas.ts'
import { exportUserOf } from './export-user.ts'
import { logSerializers, routeConfigOf, type RouteContext } from './route-context.ts'

interface CheckedBody {
  body: ExportRequestBody
  format: ExportFormat
  range: ResolvedRange
}

function describe (error: FastifySchemaValidationError): string {
  const field = error.instancePath === '' ? 'body' : error.instancePath.slice(1).replace(/\//g, '.')
  return `${field}: ${error.message}`
}

/**
 * SPEC §3 rows 2 and 3: every field but `format` first (schema, then what a
 * schema cannot say: real dates, a known time zone, fields that belong to
 * email exports), then `format`.
 */
function checkBody (body: ExportRequestBody, validation: FastifySchemaValidationError[] | undefined, now: Date, allowHistory: boolean): CheckedBody {
  const errors = validation ?? []
  const paramsError = errors.find((error) => error.instancePath !== '/format')
  if (paramsError !== undefined) throw exportError('error-invalid-params', describe(paramsError))

  const zone = findZone(body.timezone ?? 'UTC')
  if (zone === null) throw exportError('error-invalid-params', `timezone: ${JSON.stringify(body.timezone)} is not an IANA time zone`)
  const timezone = zone.name
  const bound = (field: 'dateFrom' | 'dateTo', end: boolean, missing: Date): Date => {
    const value = body[field]
    if (value === undefined) return missing
    try {
      return parseBound(value, timezone, end)
    } catch (err) {
      // Stryker disable ConditionalExpression: equivalent — parseBound throws only InvalidBoundError, for every string the schema lets through (the real dates, the offsets)
      /* c8 ignore next -- parseBound throws nothing else */
      if (!(err instanceof InvalidBoundError)) throw err
      // Stryker restore ConditionalExpression
      throw exportError('error-invalid-params', `${field}: ${err.message}`)
    }
  }
  const range = { from: bound('dateFrom', false, beginning), to: bound('dateTo', true, now), timezone }

  if (body.type === 'file') {
    const emailOnly = emailOnlyFields.find((field) => body[field] !== undefined)
    if (emailOnly !== undefined) throw exportError('error-invalid-params', `${emailOnly}: only for type "email"`)
  }
  // An extension Rocket.Chat clients never send: the documented API stays exact unless the host opts in.
  if (body.includeHistory === true) {
    if (!allowHistory) throw exportError('error-invalid-params', 'includeHistory: this server does not export edit history (option allowHistory)')
    if (body.type !== 'file') throw exportError('error-invalid-params', 'includeHistory: only for type "file"')
  }
  if (body.messages !== undefined && (body.dateFrom !== undefined || body.dateTo !== undefined)) {
    throw exportError('error-invalid-params', 'messages: give either message ids or dateFrom/dateTo, not both')
  }

  if (errors.length > 0) throw exportError('error-invalid-format', 'format: must be "html" or "json"')
  if (body.format === undefined && body.type === 'file') throw exportError('error-invalid-format', 'format: required for type "file" ("html" or "json")')
  return { body, format: body.format ?? 'html', range }
}

/** `POST …/rooms.export`: the checks of SPEC §3 in their order, then a file job or an email. */
export const exportRoute: FastifyPluginAsyncTypebox<RouteContext> = async (fastify, { options, fileExports, slots }) => {
  fastify.post(`${options.basePath}/rooms.export`, {
    schema: {
      tags: ['rooms.export'],
      summary: 'Export a room\'s messages to a file (zip) or by email',
      description: '`type: "file"` answers at once with an `exportId` (follow it with rooms.export.status and rooms.export.download); `type: "email"` answers once the mail server accepted the mail.',
      security: routeSecurity,
      body: ExportRequestBodySchema,
      response: {
        200: Type.Union([FileExportReplySchema, EmailExportReplySchema]),
        ...errorReplies([
          'unauthorized', 'error-invalid-params', 'error-invalid-format', 'error-action-not-allowed', 'error-invalid-room', 'error-not-allowed',
          'error-invalid-dates', 'error-email-not-configured', 'error-invalid-email', 'error-invalid-recipient', 'error-too-many-messages',
          'error-too-many-requests', 'error-email-send-failed', 'error-internal'
        ]),
        413: errorReplies(['error-invalid-params'])[400],
        415: errorReplies(['error-invalid-params'])[400]
      }
    },
    config: routeConfigOf(options),
    attachValidation: true,
    logSerializers
  }, async (request) => {
    const user = exportUserOf(request)
    const { body, format, range } = checkBody(request.body, request.validationError?.validation, new Date(), options.allowHistory)

    if (!await options.hasPermission(user, 'mail-messages', body.rid)) {
      throw exportError('error-action-not-allowed', 'the mail-messages permission is required')
    }
    const room = await options.repository.findRoomById(body.rid)
    if (room === null) throw exportError('error-invalid-room', 'no such room')
    if (!await options.canAccessRoom(room, user)) throw exportError('error-not-allowed', 'you have no access to this room')
    if (range.from > range.to) throw exportError('error-invalid-dates', 'dateFrom is after dateTo')

    if (body.type === 'file') {
      const exportId = await fileExports.start({ user, reqId: request.id }, room, range, format, body.includeHistory === true)
      return { success: true, exportId }
    }

    const { mailer } = options
    if (mailer === null) throw exportError('error-email-not-configured', 'this server has no mailer configured')
    const { missing } = await sendEmailExport({ ...options, mailer }, slots, {
      user,
      room,
      range,
      format,
      toUsers: body.toUsers ?? [],
      toEmails: body.toEmails ?? [],
      subject: body.subject,
      messageIds: body.messages
    }, request.log)
    return { success: true, missing }
  })
}
