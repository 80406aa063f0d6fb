import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyContextConfig, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { MongoDatabase } from './backends/mongo-database.ts'
import type { MongoUploadsOptions } from './backends/upload-stores.ts'
import { createExportMetrics, noMetrics, type ExportMetrics, type MetricsRegistry } from './metrics.ts'
import { InvalidOptionError } from './errors.ts'
import { asError, callHost, guard, guardIterable, guardIterableCall, StageError } from './host-code.ts'
import { readStoredRoom } from './stored-message.ts'
import { resolveSigning, type ResolvedSigning, type SigningOptions } from './signing/manifest-signature.ts'
import { parseAddress } from './mail.ts'
import type nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import type { ExportJob } from './export/jobs.ts'
import type { ExportRoom, ExportUser, RoomRepository } from './model.ts'
import type { Translate } from './render/system-messages.ts'
import { createDirectoryStorage } from './storage/directory.ts'
import type { ExportStorage } from './storage/storage.ts'

/** A hook may answer at once or with a promise: the plugin awaits either (through lib/host-code.ts). */
type MaybePromise<T> = T | PromiseLike<T>
/** A hook as the plugin calls it once guarded: always a promise. */
type Guarded<F extends (...args: never[]) => unknown> = (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>

/**
 * Who is asking: called for every request to the plugin's routes, in
 * `preParsing` — after the host's `onRequest` hooks and route hooks (such as
 * those of @fastify/rate-limit), before the body is parsed — except a
 * download that carries a mailed link's `token`.
 *
 * Return the user, or `null` (or `undefined`) for a request without valid
 * credentials: it is answered 401 `unauthorized`. A throw or rejection fails
 * the request: 500 `error-internal`, logged (an error with a 4xx `statusCode`
 * keeps that status).
 *
 * The user is what file exports record as their owner (`_id`) and what the
 * other hooks receive; see `ExportUser` for the fields the plugin reads.
 */
export type Authenticate = (request: FastifyRequest) => MaybePromise<ExportUser | null>

/**
 * Whether `user` holds Rocket.Chat's `permission` in room `rid`: called for
 * every `POST rooms.export` (file and email) whose body is valid, before the
 * room is read. Always asked for `'mail-messages'`, the permission Rocket.Chat
 * requires for exports.
 *
 * Return `false` to answer 403 `error-action-not-allowed`. A throw or
 * rejection fails the request as in `Authenticate`.
 */
export type HasPermission = (user: ExportUser, permission: 'mail-messages', rid: string) => MaybePromise<boolean>

/**
 * Whether `user` may read `room` (a member, or a public channel): called for
 * every `POST rooms.export` once `hasPermission` allowed it and the
 * repository found the room.
 *
 * Return `false` to answer 403 `error-not-allowed`. A throw or rejection
 * fails the request as in `Authenticate`.
 */
export type CanAccessRoom = (room: ExportRoom, user: ExportUser) => MaybePromise<boolean>

/**
 * Called once a file export is `done` — its zip stored and downloadable —
 * on the server that ran it, before the "export ready" mail (when a `mailer`
 * is set and the user has an address) is sent. `user` is the requester (an
 * export run again after its server stopped gets the fields `JobRequest`
 * keeps: `_id`, `username`, `name`, `language`, `emails`).
 *
 * The plugin awaits it; what it returns is ignored. A throw or rejection is
 * logged; the export stays `done` and the mail is still sent.
 */
export type OnExportReady = (job: ExportJob, user: ExportUser) => MaybePromise<void>

/**
 * Called once a file export has failed, on the server that ran it: `job` as
 * its status now reads (`status: 'failed'`), `user` the requester (as for
 * `OnExportReady`), `error.message` the status's `error` and `error.cause`
 * what failed, as thrown (a host's own message included).
 *
 * Not called for exports stopped because the server closes (they are failed
 * or handed to another instance), nor for one marked failed because the
 * server running it stopped. The plugin awaits it; a throw or rejection is
 * logged and changes nothing.
 */
export type OnExportFailed = (job: ExportJob, user: ExportUser, error: Error) => MaybePromise<void>

/**
 * The host's RFC 3161 client: given the SHA-256 digest of an archive's
 * `manifest.json`, it asks a time-stamp authority to stamp it and returns the
 * token (`TimeStampToken`, DER; a whole `TimeStampResp` is accepted too).
 * The archive keeps it as `manifest.tsr`. A throw, or a token that does not
 * stamp that digest, fails the export (`the timestamp hook failed`).
 */
export type Timestamp = (digest: Buffer) => MaybePromise<Buffer | Uint8Array>

/** The mail server and sender of email exports and "export ready" mails. */
export interface MailerOptions {
  /**
   * A nodemailer `Transporter` (used as it is, never closed by the plugin),
   * or what `nodemailer.createTransport()` takes: then the plugin creates
   * the transport and closes it with the server (options given as an object
   * get nodemailer's connection, greeting and socket timeouts from
   * `limits.mailTimeoutMs`, unless they set them).
   */
  transport: Transporter | Parameters<typeof nodemailer.createTransport>[0]
  /** The `From:` of every mail: one address, or `Name <address>`. */
  from: string
}

/**
 * Limits, timeouts and retention. Each is a positive integer unless noted;
 * any left out keeps its default. Those marked "extension" are not in
 * Rocket.Chat's API.
 */
export interface ExportLimits {
  /**
   * Exports queued or running for one user; an email export holds a slot
   * while it renders and sends. One more is answered 429
   * `error-too-many-requests`.
   * @default 1
   */
  concurrentExportsPerUser: number
  /**
   * Exports (file and email) queued or running in all; one more is answered
   * 429 `error-too-many-requests`.
   * @default 4
   */
  concurrentExports: number
  /**
   * Messages in one email export; more is answered `error-too-many-messages`.
   * @default 1000
   */
  maxEmailMessages: number
  /**
   * Bytes of one email export: the rendered HTML body plus its attachment
   * (the JSON document, or the HTML page of an export too long for a mail
   * body); more is answered `error-too-many-messages`.
   * @default 10485760 (10 MiB)
   */
  maxEmailBytes: number
  /**
   * Addresses one email export goes to, after de-duplication; more is
   * answered `error-invalid-recipient`.
   * @default 20
   */
  maxRecipients: number
  /**
   * The domains email exports may go to (exact match, case-insensitive; no
   * subdomains); `undefined` allows any. An array of non-empty strings.
   * @default undefined
   */
  allowedEmailDomains: string[] | undefined
  /**
   * How long a finished file export (done or failed) stays: its status and
   * download answer until then; then its zip and its job record are removed.
   * @default 86400000 (24 hours)
   */
  exportTtlMs: number
  /**
   * Extension: messages per HTML file; a bigger HTML export is split into
   * linked, numbered parts.
   * @default 10000
   */
  htmlMessagesPerPart: number
  /**
   * A file export whose repository, upload stream or storage makes no
   * progress this long fails (so does an email export's read of messages).
   * Also how long clean-up after a failure is retried, and the age of an
   * unfinished write that a storage's `prepare` may remove.
   * @default 60000 (60 seconds)
   */
  stallTimeoutMs: number
  /**
   * A file export of more messages than this fails.
   * @default 5000000
   */
  maxExportMessages: number
  /**
   * A file export whose zip grows past this many bytes fails.
   * @default 2147483648 (2 GiB)
   */
  maxExportBytes: number
  /**
   * `app.close()` waits at most this long for running exports to stop and
   * clean up; what is left is removed by the sweep at the next start.
   * @default 10000 (10 seconds)
   */
  closeTimeoutMs: number
  /**
   * Every SMTP exchange (an email export, an "export ready" mail) ends within
   * this; an email export that times out is answered 502
   * `error-email-send-failed`.
   * @default 30000 (30 seconds)
   */
  mailTimeoutMs: number
  /**
   * Extension: image uploads up to this many bytes are shown in the HTML
   * page; bigger ones are linked.
   * @default 5242880 (5 MiB)
   */
  inlineImageBytes: number
  /**
   * Extension, for job stores shared by several instances (MongoDB's, or a
   * storage's `createJobStore`): an instance whose running exports wrote no
   * heartbeat this long has stopped, and another runs them again. At least
   * 1000.
   * @default 30000 (30 seconds)
   */
  instanceTimeoutMs: number
  /**
   * Extension, for job stores shared by several instances (as
   * `instanceTimeoutMs`): how many times a file export is started in all when
   * the instances running it stop; then it reads `failed`.
   * @default 3
   */
  exportAttempts: number
}

/**
 * The plugin's options. The hooks (`authenticate`, `hasPermission`,
 * `canAccessRoom`) and `repository` are required unless a MongoDB database is
 * in use (see `mongo`), which supplies Rocket.Chat's. Anything missing or
 * malformed, and any unknown key, fails `app.ready()` with an error naming
 * the option (code `FST_ROOMS_EXPORT_INVALID_OPTION`). The object is never
 * modified.
 */
export interface RoomsExportOptions {
  /**
   * Who is asking (see `Authenticate`).
   * @default with MongoDB: Rocket.Chat's login tokens (`X-User-Id` and `X-Auth-Token` headers, a user not deactivated); else required
   */
  authenticate?: Authenticate
  /**
   * Whether the user may export the room (see `HasPermission`).
   * @default with MongoDB: one of the user's roles, global or in the room, is granted the permission in `rocketchat_permissions`; else required
   */
  hasPermission?: HasPermission
  /**
   * Whether the user may read the room (see `CanAccessRoom`).
   * @default with MongoDB: a public channel (`t: 'c'`), or the user has a subscription to the room; else required
   */
  canAccessRoom?: CanAccessRoom
  /**
   * Where rooms, messages, users and uploads are read (see `RoomRepository`).
   * @default with MongoDB: Rocket.Chat's collections (`createMongoRepository`); else required
   */
  repository?: RoomRepository
  /**
   * Where finished file exports are kept (see `ExportStorage`;
   * `createDirectoryStorage`, `createS3Storage`, `createGridFsStorage`).
   * With MongoDB the job records live in the database whatever the storage;
   * without, a storage with `createJobStore` keeps them beside the exports,
   * else they are in memory (lost at a restart).
   * @default with MongoDB: GridFS in that database; else a private directory, `os.tmpdir()/fastify-rooms-export-<uid>`
   */
  storage?: ExportStorage
  /**
   * The mail server for email exports and "export ready" mails (see
   * `MailerOptions`).
   * @default none: email exports answer `error-email-not-configured`, and no "export ready" mail is sent
   */
  mailer?: MailerOptions
  /**
   * Where the routes go, under Fastify's `prefix`: starts with `/` and does
   * not end with one, or `''`.
   * @default '/api/v1'
   */
  basePath?: string
  /**
   * The server's absolute `http(s)` URL as clients reach it (a trailing `/`
   * is dropped): "export ready" mails then carry a signed download link.
   * @default none: "export ready" mails name the export id instead of a link
   */
  publicUrl?: string
  /**
   * Limits, timeouts and retention (see `ExportLimits`); keys left out keep
   * their defaults.
   * @default {} (every default of `ExportLimits`)
   */
  limits?: Partial<ExportLimits>
  /**
   * Called once a file export is done (see `OnExportReady`).
   * @default none
   */
  onExportReady?: OnExportReady
  /**
   * Called once a file export has failed, not when the server closes (see
   * `OnExportFailed`); `error.message` is its status's `error`.
   * @default none
   */
  onExportFailed?: OnExportFailed
  /**
   * The key that signs mailed download links: at least 16 characters. Set it
   * (the same on every instance) for links that outlive a restart and work
   * on any instance.
   * @default 32 random bytes per registration: links stop working at a restart (`ready()` warns when links are mailed)
   */
  secret?: string
  /**
   * The MongoDB database holding Rocket.Chat's collections, which supplies
   * the hooks and repository left out and keeps jobs (and, by default,
   * exports): `false` never uses one; `{ db }` uses that `Db` without
   * `@fastify/mongodb`. `uploads`: where the Rocket.Chat repository reads
   * uploads kept outside GridFS (see `MongoUploadsOptions`); `countMessages`:
   * whether it counts an export's messages (default: yes, except on FerretDB,
   * which reads every document to count — see `MongoRepositoryOptions`).
   * @default the host's `fastify.mongo.db` when `@fastify/mongodb` was registered before this plugin, else none
   */
  mongo?: false | { db?: MongoDatabase, uploads?: MongoUploadsOptions, countMessages?: boolean }
  /**
   * Merged into each of the plugin's routes' `config`, over the plugin's own
   * `swaggerTransform` (e.g. `{ rateLimit: { max: 10, timeWindow: '1 minute' } }`
   * for @fastify/rate-limit).
   * @default {}
   */
  routeConfig?: FastifyContextConfig & Record<string, unknown>
  /**
   * `onRequest` hooks of the plugin's routes only, run before `authenticate`
   * (the host's own checks, rate limiting).
   * @default []
   */
  onRequest?: onRequestHookHandler | onRequestHookHandler[]
  /**
   * The export's sentences (system messages) in the requester's language
   * (see `Translate`).
   * @default none: the built-in English (`englishSentences`)
   */
  translate?: Translate
  /**
   * Where HTML file exports render: `true` in a worker thread of the lowest
   * priority, so the server's requests come first; `false` on the main
   * thread, in 1 ms slices. When the worker's file is missing (the plugin
   * bundled into one file) they render on the main thread, with a warning.
   * @default true
   */
  renderInWorker?: boolean
  /**
   * Prometheus metrics in the host's `prom-client` registry (with
   * `fastify-metrics`: `app.metrics.client.register`):
   * `rooms_export_exports_total{type,format,outcome}` (done, failed,
   * cancelled, refused), `rooms_export_duration_seconds{type,format}`,
   * `rooms_export_running`, `rooms_export_messages_total{type,format}` and
   * `rooms_export_bytes_total{type,format}` (of exports that ended done).
   * Needs `prom-client` installed (an optional peer dependency).
   * @default none: no metrics
   */
  metrics?: { registry: MetricsRegistry }
  /**
   * Signs every file export: `manifest.jws`, a detached JWS (EdDSA) over the
   * archive's `manifest.json`, which lists every entry's sha256; and publishes
   * the public keys as a JWKS at `GET rooms.export.keys`. An Ed25519 key
   * (`openssl genpkey -algorithm ed25519`); anything else fails `ready()`.
   * `publicKeys`: earlier keys, still published for the archives they signed.
   * @default none: archives unsigned, `rooms.export.keys` answers 404
   */
  signing?: SigningOptions
  /**
   * A trusted time for signed or unsigned archives: the host's RFC 3161
   * client (see `Timestamp`), its token stored as `manifest.tsr`.
   * @default none
   */
  timestamp?: Timestamp
  /**
   * Lets file exports ask for edit history and deletions
   * (`includeHistory: true`, an extension); without it such a request is
   * answered `error-invalid-params`.
   * @default false
   */
  allowHistory?: boolean
}

export interface ResolvedMailer {
  transporter: Transporter
  from: string
  /** a transport the plugin created itself is closed with the server */
  ownsTransport: boolean
}

export interface ResolvedOptions {
  authenticate: Guarded<Authenticate>
  hasPermission: Guarded<HasPermission>
  canAccessRoom: Guarded<CanAccessRoom>
  repository: RoomRepository
  storage: ExportStorage
  mailer: ResolvedMailer | null
  basePath: string
  publicUrl: string | null
  limits: ExportLimits
  onExportReady: Guarded<OnExportReady> | null
  onExportFailed: Guarded<OnExportFailed> | null
  secret: string
  routeConfig: Record<string, unknown>
  onRequest: onRequestHookHandler[]
  translate: Translate | null
  renderInWorker: boolean
  metrics: ExportMetrics
  signing: ResolvedSigning | null
  timestamp: Guarded<Timestamp> | null
  allowHistory: boolean
}

export const defaultLimits: ExportLimits = {
  concurrentExportsPerUser: 1,
  concurrentExports: 4,
  maxEmailMessages: 1000,
  maxEmailBytes: 10 * 1024 * 1024,
  maxRecipients: 20,
  allowedEmailDomains: undefined,
  exportTtlMs: 24 * 60 * 60 * 1000,
  htmlMessagesPerPart: 10_000,
  stallTimeoutMs: 60_000,
  maxExportMessages: 5_000_000,
  maxExportBytes: 2 * 1024 ** 3,
  closeTimeoutMs: 10_000,
  mailTimeoutMs: 30_000,
  inlineImageBytes: 5 * 1024 * 1024,
  instanceTimeoutMs: 30_000,
  exportAttempts: 3
}

/** Hooks a host may leave out only when a backend (Mongo) can supply them. */
export type BackendDefaults = Pick<ResolvedOptions, 'authenticate' | 'hasPermission' | 'canAccessRoom' | 'repository'> & { storage?: ExportStorage }

function fail (message: string): never {
  throw new InvalidOptionError(message)
}

function requireFunction<T> (name: string, value: T | undefined, fallback: T | undefined): T {
  const resolved = value ?? fallback
  if (resolved === undefined) fail(`option "${name}" is required (or register @fastify/mongodb before this plugin to use the Rocket.Chat defaults)`)
  if (typeof resolved !== 'function') fail(`option "${name}" must be a function`)
  return resolved
}

function resolveRepository (repository: RoomRepository | undefined, fallback: RoomRepository | undefined): RoomRepository {
  const resolved = repository ?? fallback
  if (resolved === undefined) fail('option "repository" is required (or register @fastify/mongodb before this plugin to use the Rocket.Chat defaults)')
  for (const method of ['findRoomById', 'findMessages', 'findMessagesByIds', 'findUsersByUsernames'] as const) {
    if (typeof resolved[method] !== 'function') fail(`option "repository" must implement ${method}()`)
  }
  return resolved
}

function resolveLimits (limits: Partial<ExportLimits> | undefined): ExportLimits {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) fail('option "limits" must be an object')
  if (limits !== undefined) rejectUnknownKeys(limits, Object.keys(defaultLimits), 'limits.')
  const resolved = { ...defaultLimits, ...limits }
  for (const key of Object.keys(defaultLimits) as (keyof ExportLimits)[]) {
    if (key === 'allowedEmailDomains') continue
    const value = resolved[key]
    if (!Number.isInteger(value) || value < 1) fail(`option "limits.${key}" must be a positive integer`)
  }
  // A running export writes its heartbeat every 250 ms: a shorter timeout would take over live exports.
  if (resolved.instanceTimeoutMs < 1000) fail('option "limits.instanceTimeoutMs" must be at least 1000')
  const domains = resolved.allowedEmailDomains
  if (domains !== undefined) {
    if (!Array.isArray(domains) || !domains.every((domain) => typeof domain === 'string' && domain !== '')) {
      fail('option "limits.allowedEmailDomains" must be an array of domain names')
    }
    resolved.allowedEmailDomains = domains.map((domain) => domain.toLowerCase())
  }
  return resolved
}

/** `exports@chat.example` or `Chat exports <exports@chat.example>`: one mailbox, a name without line breaks or brackets. */
function isSenderAddress (from: string): boolean {
  const named = /^([^<>\r\n\0]*)<([^<>]*)>$/.exec(from)
  return parseAddress(named === null ? from : named[2]) !== null
}

/**
 * A transport the plugin creates gets nodemailer's timeouts from `mailTimeoutMs`
 * (unless the host set them), so a silent server cannot hold a connection.
 * nodemailer is loaded only then: a server that sends no mail, or gives its own
 * transporter, does not carry it (~4 MB).
 */
async function resolveMailer (mailer: MailerOptions | undefined, mailTimeoutMs: number): Promise<ResolvedMailer | null> {
  if (mailer === undefined) return null
  if (typeof mailer !== 'object' || mailer === null) fail('option "mailer" must be an object { transport, from }')
  rejectUnknownKeys(mailer, ['transport', 'from'], 'mailer.')
  if (typeof mailer.from !== 'string' || mailer.from === '') fail('option "mailer.from" is required with "mailer"')
  if (!isSenderAddress(mailer.from)) fail(`option "mailer.from" must be an address or "Name <address>": ${JSON.stringify(mailer.from)}`)
  if (mailer.transport === undefined || mailer.transport === null) fail('option "mailer.transport" is required with "mailer"')
  const isTransporter = typeof (mailer.transport as Transporter).sendMail === 'function'
  const timeouts = { connectionTimeout: mailTimeoutMs, greetingTimeout: mailTimeoutMs, socketTimeout: mailTimeoutMs }
  // A connection URL keeps its own settings; the send deadline (lib/mail.ts) bounds it all the same.
  const transportOptions = typeof mailer.transport === 'string' ? mailer.transport : { ...timeouts, ...mailer.transport as object }
  return {
    transporter: isTransporter
      ? mailer.transport as Transporter
      : (await import('nodemailer')).default.createTransport(transportOptions as Parameters<typeof nodemailer.createTransport>[0]),
    from: mailer.from,
    ownsTransport: !isTransporter
  }
}

function resolveBasePath (basePath: string | undefined): string {
  if (basePath === undefined) return '/api/v1'
  if (basePath !== '' && !/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(basePath)) fail('option "basePath" must start with "/" and not end with "/" (or be "")')
  return basePath
}

/**
 * The database the Rocket.Chat defaults, jobs and exports use: `mongo: { db }`,
 * else the host's `fastify.mongo.db` (registered with @fastify/mongodb before
 * this plugin) unless `mongo: false`.
 */
export function resolveDatabase (mongo: RoomsExportOptions['mongo'], hostDb: MongoDatabase | undefined): MongoDatabase | undefined {
  if (mongo === undefined) return hostDb
  if (mongo === false) return undefined
  if (typeof mongo !== 'object' || mongo === null) fail('option "mongo" must be false or { db?, uploads?, countMessages? }')
  rejectUnknownKeys(mongo, ['db', 'uploads', 'countMessages'], 'mongo.')
  if (mongo.countMessages !== undefined && typeof mongo.countMessages !== 'boolean') fail('option "mongo.countMessages" must be a boolean')
  if (mongo.db !== undefined && typeof (mongo.db as Partial<MongoDatabase>).collection !== 'function') fail('option "mongo.db" must be a MongoDB Db')
  const { uploads } = mongo
  if (uploads !== undefined) {
    if (typeof uploads !== 'object' || uploads === null) fail('option "mongo.uploads" must be an object')
    rejectUnknownKeys(uploads, ['fileSystemPath', 's3'], 'mongo.uploads.')
    if (uploads.fileSystemPath !== undefined && typeof uploads.fileSystemPath !== 'string') fail('option "mongo.uploads.fileSystemPath" must be a string')
    if (uploads.s3 !== undefined && (typeof uploads.s3?.client?.send !== 'function' || typeof uploads.s3.bucket !== 'string')) fail('option "mongo.uploads.s3" must be { client, bucket } with an S3Client of @aws-sdk/client-s3')
  }
  return mongo.db ?? hostDb
}

/** Per user, so another local account can neither read nor pre-create it. */
function defaultExportDirectory (): string {
  /* c8 ignore next -- Windows has no uid; its temporary directory is per user already */
  return join(tmpdir(), `fastify-rooms-export-${process.getuid?.() ?? 'user'}`)
}

/** The options this plugin reads, and those Fastify's `register` itself hands every plugin. */
const knownOptions = new Set<string>([
  'authenticate', 'hasPermission', 'canAccessRoom', 'repository', 'storage', 'mailer', 'basePath', 'publicUrl', 'limits',
  'onExportReady', 'onExportFailed', 'secret', 'mongo', 'routeConfig', 'onRequest', 'translate', 'renderInWorker', 'metrics',
  'signing', 'timestamp', 'allowHistory', 'prefix', 'logLevel', 'logSerializers'
] satisfies Array<keyof RoomsExportOptions | 'prefix' | 'logLevel' | 'logSerializers'>)

/** A misspelt option would otherwise be a default silently kept (JavaScript hosts get no type check). */
function rejectUnknownKeys (object: object, known: Iterable<string>, prefix: string): void {
  const allowed = new Set(known)
  const unknown = Object.keys(object).find((key) => !allowed.has(key))
  if (unknown !== undefined) fail(`unknown option "${prefix}${unknown}"`)
}

/** A storage of another shape would fail only at the first export, in the middle of it. */
function resolveStorage (storage: unknown): ExportStorage | undefined {
  if (storage === undefined) return undefined
  if (typeof storage !== 'object' || storage === null) fail('option "storage" must be an object with write(), read() and remove() functions')
  for (const method of ['write', 'read', 'remove'] as const) {
    if (typeof (storage as Record<string, unknown>)[method] !== 'function') fail(`option "storage" must implement ${method}()`)
  }
  for (const method of ['prepare', 'createJobStore'] as const) {
    const value = (storage as Record<string, unknown>)[method]
    if (value !== undefined && typeof value !== 'function') fail(`option "storage.${method}" must be a function when given`)
  }
  return storage as ExportStorage
}

/** The repository's methods as the plugin calls them: see lib/host-code.ts. */
function guardedRepository (repository: RoomRepository): RoomRepository {
  const { openFile, fileSize, countMessages, findHistory, findDeletions, openAvatar, openCustomEmoji } = repository
  const stage = 'the repository'
  return {
    findRoomById: async (rid) => readStoredRoom(await callHost(() => repository.findRoomById(rid), stage), rid),
    findMessages: guardIterableCall(repository.findMessages, repository, stage),
    findMessagesByIds: guardIterable(repository.findMessagesByIds, repository, stage),
    findUsersByUsernames: guard(repository.findUsersByUsernames, repository, stage),
    ...(openFile === undefined ? {} : { openFile: guard(openFile, repository, stage) }),
    ...(fileSize === undefined ? {} : { fileSize: guard(fileSize, repository, stage) }),
    ...(countMessages === undefined ? {} : { countMessages: guard(countMessages, repository, stage) }),
    ...(findHistory === undefined ? {} : { findHistory: guardIterable(findHistory, repository, stage) }),
    ...(findDeletions === undefined ? {} : { findDeletions: guardIterable(findDeletions, repository, stage) }),
    ...(openAvatar === undefined ? {} : { openAvatar: guard(openAvatar, repository, stage) }),
    ...(openCustomEmoji === undefined ? {} : { openCustomEmoji: guard(openCustomEmoji, repository, stage) })
  }
}

function guardedStorage (storage: ExportStorage): ExportStorage {
  const { prepare, createJobStore } = storage
  const stage = 'the storage'
  return {
    write: guard(storage.write, storage, stage),
    read: guard(storage.read, storage, stage),
    remove: guard(storage.remove, storage, stage),
    ...(prepare === undefined ? {} : { prepare: guard(prepare, storage, stage) }),
    ...(createJobStore === undefined ? {} : { createJobStore: guard(createJobStore, storage, stage) })
  }
}

/** The host's `translate`, its failures named as its own (it runs inside a render, synchronously). */
function guardedTranslate (translate: Translate): Translate {
  return (key, vars, language) => {
    try {
      return translate(key, vars, language)
    } catch (err) {
      throw new StageError('the host\'s translate', asError(err))
    }
  }
}

/** Every option with its default; the caller's object is read, never changed. */
export async function resolveOptions (options: RoomsExportOptions, backend: BackendDefaults | undefined): Promise<ResolvedOptions> {
  rejectUnknownKeys(options, knownOptions, '')
  const { publicUrl, secret, onExportReady, onExportFailed, routeConfig, translate } = options
  const limits = resolveLimits(options.limits)
  const storage = resolveStorage(options.storage)
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl)) fail('option "publicUrl" must be an absolute http(s) URL')
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) fail('option "secret" must be a string of at least 16 characters')
  if (onExportReady !== undefined && typeof onExportReady !== 'function') fail('option "onExportReady" must be a function')
  if (onExportFailed !== undefined && typeof onExportFailed !== 'function') fail('option "onExportFailed" must be a function')
  if (translate !== undefined && typeof translate !== 'function') fail('option "translate" must be a function')
  if (options.renderInWorker !== undefined && typeof options.renderInWorker !== 'boolean') fail('option "renderInWorker" must be a boolean')
  if (options.allowHistory !== undefined && typeof options.allowHistory !== 'boolean') fail('option "allowHistory" must be a boolean')
  if (options.timestamp !== undefined && typeof options.timestamp !== 'function') fail('option "timestamp" must be a function')
  if (routeConfig !== undefined && (typeof routeConfig !== 'object' || routeConfig === null || Array.isArray(routeConfig))) fail('option "routeConfig" must be an object')
  const onRequest = options.onRequest === undefined ? [] : [options.onRequest].flat()
  if (!onRequest.every((hook) => typeof hook === 'function')) fail('option "onRequest" must be a function or an array of functions')
  const repository = resolveRepository(options.repository, backend?.repository)
  if (options.allowHistory === true && (typeof repository.findHistory !== 'function' || typeof repository.findDeletions !== 'function')) {
    fail('option "allowHistory" needs a repository that implements findHistory() and findDeletions()')
  }
  // Host code is called through guards (lib/host-code.ts): whatever it throws, and however, is an Error in a promise.
  return {
    authenticate: guard(requireFunction('authenticate', options.authenticate, backend?.authenticate)),
    hasPermission: guard(requireFunction('hasPermission', options.hasPermission, backend?.hasPermission)),
    canAccessRoom: guard(requireFunction('canAccessRoom', options.canAccessRoom, backend?.canAccessRoom)),
    repository: guardedRepository(repository),
    storage: guardedStorage(storage ?? backend?.storage ?? createDirectoryStorage(defaultExportDirectory())),
    mailer: await resolveMailer(options.mailer, limits.mailTimeoutMs),
    basePath: resolveBasePath(options.basePath),
    publicUrl: publicUrl === undefined ? null : publicUrl.replace(/\/+$/, ''),
    limits,
    onExportReady: onExportReady === undefined ? null : guard(onExportReady),
    onExportFailed: onExportFailed === undefined ? null : guard(onExportFailed),
    secret: secret ?? randomBytes(32).toString('hex'),
    routeConfig: { ...routeConfig },
    onRequest,
    translate: translate === undefined ? null : guardedTranslate(translate),
    renderInWorker: options.renderInWorker ?? true,
    metrics: await resolveMetrics(options.metrics),
    signing: resolveSigningOption(options.signing),
    timestamp: options.timestamp === undefined ? null : guard(options.timestamp, undefined, 'the timestamp hook'),
    allowHistory: options.allowHistory ?? false
  }
}

function resolveSigningOption (signing: RoomsExportOptions['signing']): ResolvedSigning | null {
  if (signing === undefined) return null
  if (typeof signing !== 'object' || signing === null || Array.isArray(signing)) fail('option "signing" must be an object { privateKey, keyId, publicKeys? }')
  rejectUnknownKeys(signing, ['privateKey', 'keyId', 'publicKeys'], 'signing.')
  return resolveSigning(signing)
}

async function resolveMetrics (metrics: RoomsExportOptions['metrics']): Promise<ExportMetrics> {
  if (metrics === undefined) return noMetrics
  if (typeof metrics !== 'object' || metrics === null) fail('option "metrics" must be an object: { registry }')
  rejectUnknownKeys(metrics, ['registry'], 'metrics.')
  const { registry } = metrics
  if (typeof registry?.registerMetric !== 'function' || typeof registry.getSingleMetric !== 'function') fail('option "metrics.registry" must be a prom-client Registry')
  return await createExportMetrics(registry)
}
