import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyContextConfig, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { MongoDatabase } from './backends/mongo-database.ts'
import type { MongoUploadsOptions } from './backends/upload-stores.ts'
import { InvalidOptionError } from './errors.ts'
import { asError, callHost, guard, guardIterable, guardIterableCall, StageError } from './host-code.ts'
import { readStoredRoom } from './stored-message.ts'
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

export type Authenticate = (request: FastifyRequest) => MaybePromise<ExportUser | null>
export type HasPermission = (user: ExportUser, permission: 'mail-messages', rid: string) => MaybePromise<boolean>
export type CanAccessRoom = (room: ExportRoom, user: ExportUser) => MaybePromise<boolean>
export type OnExportReady = (job: ExportJob, user: ExportUser) => MaybePromise<void>
export type OnExportFailed = (job: ExportJob, user: ExportUser, error: Error) => MaybePromise<void>

export interface MailerOptions {
  /** a nodemailer Transporter, or the options `nodemailer.createTransport()` takes */
  transport: Transporter | Parameters<typeof nodemailer.createTransport>[0]
  /** the From: of every mail */
  from: string
}

export interface ExportLimits {
  /** exports queued or running for one user (an email export holds a slot while it renders and sends) */
  concurrentExportsPerUser: number
  /** exports queued or running in all */
  concurrentExports: number
  /** messages in one email export */
  maxEmailMessages: number
  /** bytes of one email export's rendered body (or JSON attachment) */
  maxEmailBytes: number
  /** addresses in one email export */
  maxRecipients: number
  /** lower-case domains email exports may go to; `undefined` allows any */
  allowedEmailDomains: string[] | undefined
  /** how long a finished file export stays downloadable */
  exportTtlMs: number
  /** messages per HTML file; bigger exports are split into numbered parts (extension) */
  htmlMessagesPerPart: number
  /** a file export whose repository, upload stream or storage makes no progress this long fails */
  stallTimeoutMs: number
  /** a file export of more messages than this fails */
  maxExportMessages: number
  /** a file export whose zip grows past this many bytes fails */
  maxExportBytes: number
  /** `app.close()` waits at most this long for running exports to clean up */
  closeTimeoutMs: number
  /** every SMTP exchange (email exports, "export ready" mails) ends within this */
  mailTimeoutMs: number
  /** image uploads up to this size are shown in the page; bigger ones are linked (extension) */
  inlineImageBytes: number
  /** with MongoDB: an instance silent this long (no heartbeat, by the database's clock) has stopped, and its exports are run again elsewhere (extension) */
  instanceTimeoutMs: number
  /** with MongoDB: how many times a file export is started in all when the instances running it stop (extension) */
  exportAttempts: number
}

export interface RoomsExportOptions {
  authenticate?: Authenticate
  hasPermission?: HasPermission
  canAccessRoom?: CanAccessRoom
  repository?: RoomRepository
  storage?: ExportStorage
  mailer?: MailerOptions
  basePath?: string
  publicUrl?: string
  limits?: Partial<ExportLimits>
  onExportReady?: OnExportReady
  /** called once a file export has failed (not when the server closes); `error.message` is its status `error` */
  onExportFailed?: OnExportFailed
  secret?: string
  /**
   * `false`: never use the host's database; `{ db }`: use this one (no
   * @fastify/mongodb needed); `uploads`: where the Rocket.Chat backend reads
   * uploads kept outside GridFS (default: Rocket.Chat's own settings)
   */
  mongo?: false | { db?: MongoDatabase, uploads?: MongoUploadsOptions }
  /** merged into each route's `config` (e.g. `{ rateLimit: { max: 10, timeWindow: '1 minute' } }` for @fastify/rate-limit) */
  routeConfig?: FastifyContextConfig & Record<string, unknown>
  /** run before `authenticate` on the plugin's routes (rate limiting, the host's own checks) */
  onRequest?: onRequestHookHandler | onRequestHookHandler[]
  /** the export's sentences in the requester's language, by Rocket.Chat i18n key; `undefined` keeps the English */
  translate?: Translate
  /** `false`: render HTML exports on the main thread (in 1 ms slices) instead of a worker thread of the lowest priority */
  renderInWorker?: boolean
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
  if (typeof mongo !== 'object' || mongo === null) fail('option "mongo" must be false or { db?, uploads? }')
  rejectUnknownKeys(mongo, ['db', 'uploads'], 'mongo.')
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
  'onExportReady', 'onExportFailed', 'secret', 'mongo', 'routeConfig', 'onRequest', 'translate', 'renderInWorker',
  'prefix', 'logLevel', 'logSerializers'
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
  const { openFile, fileSize } = repository
  const stage = 'the repository'
  return {
    findRoomById: async (rid) => readStoredRoom(await callHost(() => repository.findRoomById(rid), stage), rid),
    findMessages: guardIterableCall(repository.findMessages, repository, stage),
    findMessagesByIds: guardIterable(repository.findMessagesByIds, repository, stage),
    findUsersByUsernames: guard(repository.findUsersByUsernames, repository, stage),
    ...(openFile === undefined ? {} : { openFile: guard(openFile, repository, stage) }),
    ...(fileSize === undefined ? {} : { fileSize: guard(fileSize, repository, stage) })
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
  if (routeConfig !== undefined && (typeof routeConfig !== 'object' || routeConfig === null || Array.isArray(routeConfig))) fail('option "routeConfig" must be an object')
  const onRequest = options.onRequest === undefined ? [] : [options.onRequest].flat()
  if (!onRequest.every((hook) => typeof hook === 'function')) fail('option "onRequest" must be a function or an array of functions')
  // Host code is called through guards (lib/host-code.ts): whatever it throws, and however, is an Error in a promise.
  return {
    authenticate: guard(requireFunction('authenticate', options.authenticate, backend?.authenticate)),
    hasPermission: guard(requireFunction('hasPermission', options.hasPermission, backend?.hasPermission)),
    canAccessRoom: guard(requireFunction('canAccessRoom', options.canAccessRoom, backend?.canAccessRoom)),
    repository: guardedRepository(resolveRepository(options.repository, backend?.repository)),
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
    renderInWorker: options.renderInWorker ?? true
  }
}
