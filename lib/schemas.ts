import { Type, type Static } from '@sinclair/typebox'
import { errorTable, type ErrorType } from './errors.ts'
import { dateBoundPattern } from './export/range.ts'

/** `Date.prototype.toISOString()` output: the only date form in exports and replies. */
const IsoInstant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' })

const DateBound = Type.String({
  pattern: dateBoundPattern,
  description: 'YYYY-MM-DD (a whole day in `timezone`) or an ISO 8601 date-time'
})

/**
 * One of several strings, as `enum`, in replies: fast-json-stringify writes an
 * `anyOf` of literals by checking each with Ajv, compiled on the route's first
 * reply — 100–200 ms of a blocked event loop.
 */
const OneOfStrings = <Value extends string>(values: readonly Value[]) => Type.Unsafe<Value>({ type: 'string', enum: [...values] })

const Ids = (maxItems: number, minItems = 0) => Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems, maxItems })

/**
 * `format` is checked after every other field (SPEC §3 rows 2 and 3), so the
 * route validates with `attachValidation` and sorts the errors itself.
 */
export const ExportRequestBodySchema = Type.Object({
  rid: Type.String({ minLength: 1, maxLength: 256 }),
  type: Type.Union([Type.Literal('file'), Type.Literal('email')]),
  format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('json')])),
  dateFrom: Type.Optional(DateBound),
  dateTo: Type.Optional(DateBound),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, default UTC' })),
  toUsers: Type.Optional(Ids(1000)),
  toEmails: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 1000 })),
  subject: Type.Optional(Type.String({ maxLength: 250 })),
  messages: Type.Optional(Ids(100_000, 1)),
  includeHistory: Type.Optional(Type.Boolean({ description: 'extension, file exports of a server that sets allowHistory: each message\'s earlier versions and the range\'s deleted messages' }))
}, { additionalProperties: false })
export type ExportRequestBody = Static<typeof ExportRequestBodySchema>

export const emailOnlyFields = ['toUsers', 'toEmails', 'subject', 'messages'] as const

export const ExportIdQuerySchema = Type.Object({
  exportId: Type.String({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })

export const DownloadQuerySchema = Type.Object({
  exportId: Type.String({ minLength: 1, maxLength: 128 }),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'from a mailed link: opens this export without auth headers' }))
}, { additionalProperties: false })

export const FileExportReplySchema = Type.Object({
  success: Type.Literal(true),
  exportId: Type.String()
})

export const EmailExportReplySchema = Type.Object({
  success: Type.Literal(true),
  missing: Type.Array(Type.String())
})

export const ExportStatusSchema = Type.Object({
  _id: Type.String(),
  rid: Type.String(),
  format: OneOfStrings(['html', 'json']),
  status: OneOfStrings(['queued', 'running', 'done', 'failed', 'cancelled']),
  messages: Type.Integer(),
  bytes: Type.Integer(),
  total: Type.Optional(Type.Integer({ minimum: 0, description: 'how many messages the export will hold, counted when it started (when the repository can count)' })),
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '`messages / total` (four places, rounded down), 1 once done' })),
  createdAt: IsoInstant,
  finishedAt: Type.Optional(IsoInstant),
  error: Type.Optional(Type.String()),
  attempt: Type.Optional(Type.Integer({ minimum: 2, description: 'present once another server instance has run the export again because the one running it stopped; counts restart with each attempt' }))
})
export type ExportStatus = Static<typeof ExportStatusSchema>

export const ExportStatusReplySchema = Type.Object({
  success: Type.Literal(true),
  export: ExportStatusSchema
})

export const CancelBodySchema = Type.Object({
  exportId: Type.String({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })

export const CancelReplySchema = Type.Object({
  success: Type.Literal(true)
})

/** A non-negative whole number in a query string (validation does not coerce). */
const QueryInteger = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description })

export const ListQuerySchema = Type.Object({
  offset: Type.Optional(QueryInteger('exports to skip, newest first; default 0')),
  count: Type.Optional(QueryInteger('exports in the page, 1 to 100; default 25'))
}, { additionalProperties: false })

export const ListReplySchema = Type.Object({
  success: Type.Literal(true),
  exports: Type.Array(ExportStatusSchema),
  offset: Type.Integer({ minimum: 0 }),
  count: Type.Integer({ minimum: 0, description: 'exports in this page' }),
  total: Type.Integer({ minimum: 0, description: 'the caller\'s exports in all (not expired)' })
})

// The JSON export document (SPEC §4), exported for consumers who validate archives.

const JsonPersonSchema = Type.Object({
  _id: Type.String(),
  username: Type.String(),
  name: Type.Optional(Type.String())
}, { additionalProperties: false })

const JsonFileSchema = Type.Object({
  _id: Type.String(),
  name: Type.String(),
  type: Type.Optional(Type.String()),
  size: Type.Optional(Type.Number()),
  path: Type.Optional(Type.String({ description: 'where the upload is in the archive (`assets/…`); the manifest lists the ones that could not be included' }))
}, { additionalProperties: false })

const MarkdownTreeSchema = Type.Array(Type.Unknown(), { description: 'the markup tree Rocket.Chat stored (its message parser\'s nodes), as stored' })

const JsonAttachmentSchema = Type.Recursive((Self) => Type.Object({
  title: Type.Optional(Type.String()),
  title_link: Type.Optional(Type.String()),
  image_url: Type.Optional(Type.String()),
  image_type: Type.Optional(Type.String()),
  audio_url: Type.Optional(Type.String()),
  video_url: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  descriptionMd: Type.Optional(MarkdownTreeSchema),
  text: Type.Optional(Type.String()),
  md: Type.Optional(MarkdownTreeSchema),
  author_name: Type.Optional(Type.String({ description: 'a quote: who wrote the quoted message' })),
  message_link: Type.Optional(Type.String({ description: 'a quote: the permalink of the quoted message' })),
  ts: Type.Optional(IsoInstant),
  asset: Type.Optional(Type.String({ description: 'the archived upload this attachment shows (`assets/…`)' })),
  attachments: Type.Optional(Type.Array(Self))
}, { additionalProperties: false }), { $id: 'JsonAttachment' })

export const JsonMessageSchema = Type.Object({
  _id: Type.String(),
  rid: Type.String(),
  ts: Type.Optional(Type.String({ pattern: IsoInstant.pattern, description: 'when it was sent; absent when the stored time was not a date of the years 0000–9999 (the manifest lists such messages)' })),
  msg: Type.String({ description: 'the text as stored (empty for an encrypted message: ciphertext is never exported)' }),
  md: Type.Optional(MarkdownTreeSchema),
  u: JsonPersonSchema,
  t: Type.Optional(Type.String({ description: 'system message type' })),
  sentence: Type.Optional(Type.String({ description: 'a system message as a sentence, in the requester\'s language when the host translates' })),
  role: Type.Optional(Type.String({ description: 'the role given or taken, on subscription-role-added/removed' })),
  tmid: Type.Optional(Type.String()),
  tcount: Type.Optional(Type.Number()),
  editedAt: Type.Optional(IsoInstant),
  editedBy: Type.Optional(Type.Object({ _id: Type.String(), username: Type.String() }, { additionalProperties: false })),
  pinned: Type.Optional(Type.Boolean()),
  reactions: Type.Optional(Type.Record(Type.String(), Type.Object({ usernames: Type.Array(Type.String()) }, { additionalProperties: false }))),
  mentions: Type.Optional(Type.Array(Type.Object({ _id: Type.String(), username: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }, { additionalProperties: false }))),
  channels: Type.Optional(Type.Array(Type.Object({ _id: Type.String(), name: Type.Optional(Type.String()), fname: Type.Optional(Type.String()) }, { additionalProperties: false }))),
  urls: Type.Optional(Type.Array(Type.Object({ url: Type.String(), title: Type.Optional(Type.String()), description: Type.Optional(Type.String()) }, { additionalProperties: false }))),
  attachments: Type.Optional(Type.Array(JsonAttachmentSchema)),
  files: Type.Optional(Type.Array(JsonFileSchema)),
  history: Type.Optional(Type.Array(Type.Object({
    msg: Type.String(),
    md: Type.Optional(MarkdownTreeSchema),
    editedAt: Type.Optional(IsoInstant),
    editedBy: Type.Optional(Type.Object({ _id: Type.String(), username: Type.String() }, { additionalProperties: false }))
  }, { additionalProperties: false }), { description: 'with includeHistory: the earlier versions, oldest first, each with when and by whom it was replaced' }))
}, { additionalProperties: false })
export type JsonMessage = Static<typeof JsonMessageSchema>

export const JsonRoomSchema = Type.Object({
  _id: Type.String(),
  t: Type.String(),
  name: Type.Optional(Type.String()),
  fname: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String())
}, { additionalProperties: false })

export const ExportRangeSchema = Type.Object({
  from: IsoInstant,
  to: IsoInstant,
  timezone: Type.String()
}, { additionalProperties: false })

/** The JSON Schema's `$id`: names the format and its version; an identifier, not a download location. */
export const exportDocumentSchemaId = 'https://github.com/fastify-rooms-export/fastify-rooms-export/schema/export-document-1.0.0.json'

export const ExportDocumentSchema = Type.Object({
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$', description: 'the version of this document format (semver): 1.0.0' }),
  room: JsonRoomSchema,
  range: ExportRangeSchema,
  exportedAt: IsoInstant,
  exportedBy: JsonPersonSchema,
  messages: Type.Array(JsonMessageSchema),
  messageCount: Type.Integer({ minimum: 0 }),
  users: Type.Array(JsonPersonSchema, { description: 'everyone the messages name — authors, editors, mentioned users and reactors the repository knows — by username, each once, named one way' }),
  parents: Type.Array(Type.Object({
    _id: Type.String(),
    author: Type.Union([JsonPersonSchema, Type.Null()]),
    excerpt: Type.String({ description: 'its first line as plain text, at most 120 characters' })
  }, { additionalProperties: false }), { description: 'the thread parents of replies whose parent is before the range (the replies\' `tmid`)' }),
  deleted: Type.Optional(Type.Array(Type.Object({
    _id: Type.String(),
    deletedAt: IsoInstant,
    deletedBy: Type.Optional(Type.Object({ _id: Type.String(), username: Type.String() }, { additionalProperties: false }))
  }, { additionalProperties: false }), { description: 'with includeHistory: the messages of the range that were deleted' }))
}, { additionalProperties: false, $id: exportDocumentSchemaId })
export type ExportDocument = Static<typeof ExportDocumentSchema>

/** The document's JSON Schema as text (`schema.json` in every JSON export, `fastify-rooms-export/schema.json` in the package). */
export const exportDocumentJsonSchema = `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'rooms.export JSON export', ...ExportDocumentSchema }, null, 2)}\n`

/** What every renderer gets besides the messages: the document's head. */
export interface ExportContext {
  room: Static<typeof JsonRoomSchema>
  range: Static<typeof ExportRangeSchema>
  exportedAt: string
  exportedBy: Static<typeof JsonPersonSchema>
  /** with `includeHistory`: the range's deleted messages, read before the messages (the JSON ends with them, the last HTML part lists them) */
  deleted?: NonNullable<ExportDocument['deleted']>
}

// Replies for the OpenAPI document (@fastify/swagger): every status each route answers.

const ErrorReplySchema = (errorTypes: ErrorType[], description: string) => Type.Object({
  success: Type.Literal(false),
  error: Type.String({ description: '"[errorType]"' }),
  errorType: OneOfStrings(errorTypes),
  details: Type.Optional(Type.String({ description: 'for humans; clients key on errorType' }))
}, { description })

const UnauthorizedReplySchema = Type.Object({
  success: Type.Literal(false),
  error: Type.Literal('unauthorized')
}, { description: 'no or wrong credentials' })

/** The error replies of one route, grouped by HTTP status as errorTable says. */
export function errorReplies (errorTypes: ErrorType[]): Record<number, unknown> {
  const replies: Record<number, unknown> = {}
  const byStatus = new Map<number, ErrorType[]>()
  for (const errorType of errorTypes) {
    if (errorType === 'unauthorized') continue
    const status = errorTable[errorType]
    byStatus.set(status, [...byStatus.get(status) ?? [], errorType])
  }
  for (const [status, types] of byStatus) replies[status] = ErrorReplySchema(types, types.join(', '))
  if (errorTypes.includes('unauthorized')) replies[401] = UnauthorizedReplySchema
  return replies
}

/**
 * The security schemes the routes' `security` names. The routes add them to
 * the host's OpenAPI (or Swagger 2) document themselves (see
 * `documentSecuritySchemes`); a host that lists them in its own
 * `components.securitySchemes` keeps its own definitions.
 */
export const securitySchemes = {
  rocketChatUserId: { type: 'apiKey', in: 'header', name: 'X-User-Id', description: 'the user id (Rocket.Chat REST credentials)' },
  rocketChatAuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'the login token (Rocket.Chat REST credentials)' },
  downloadLinkToken: { type: 'apiKey', in: 'query', name: 'token', description: 'the signed token of the download link in the "export ready" mail (rooms.export.download only)' }
} as const

/** Rocket.Chat's REST credentials: both headers together. */
export const routeSecurity = [{ rocketChatUserId: [], rocketChatAuthToken: [] }]

/** The download opens with the credentials, or with a mailed link's `token` alone. */
export const downloadSecurity = [...routeSecurity, { downloadLinkToken: [] }]

/** What @fastify/swagger gives a route's `config.swaggerTransform`: the route, and the document being built (OpenAPI 3 or Swagger 2). */
export interface DocumentedRoute<Schema> {
  schema: Schema
  url: string
  openapiObject?: { components?: { securitySchemes?: Record<string, unknown> } }
  swaggerObject?: { securityDefinitions?: Record<string, unknown> }
}

/**
 * Every route's `config.swaggerTransform`. @fastify/swagger looks up each
 * scheme a route's `security` names in the document, and `app.swagger()`
 * throws a TypeError for one the document lacks — as it does when a host
 * registers @fastify/swagger plainly. So the routes put their schemes into the
 * document being built, beside the host's own (a scheme of the same name the
 * host defined wins); the route itself is documented as it is.
 */
export function documentSecuritySchemes<Schema> ({ schema, url, openapiObject, swaggerObject }: DocumentedRoute<Schema>): { schema: Schema, url: string } {
  if (openapiObject !== undefined) {
    openapiObject.components = { ...openapiObject.components, securitySchemes: { ...securitySchemes, ...openapiObject.components?.securitySchemes } }
  } else {
    swaggerObject!.securityDefinitions = { ...securitySchemes, ...swaggerObject!.securityDefinitions }
  }
  return { schema, url }
}

/** The zip itself, whole or a range of it. */
export const ZipReplySchema = (description: string) => ({
  description,
  content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } }
})

/** `rooms.export.keys`: the public keys that check archives' signatures (RFC 7517, keys as in RFC 8037). */
export const JwksReplySchema = Type.Object({
  keys: Type.Array(Type.Object({
    kty: Type.Literal('OKP'),
    crv: Type.Literal('Ed25519'),
    x: Type.String({ description: 'the public key, base64url' }),
    kid: Type.String({ description: 'the key id a signature\'s header names' }),
    use: Type.Literal('sig'),
    alg: Type.Literal('EdDSA')
  }, { additionalProperties: false }), { description: 'the current key first, then earlier ones still published for the archives they signed' })
}, { additionalProperties: false, description: 'a JSON Web Key Set' })
