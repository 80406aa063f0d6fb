import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Document } from 'mongodb'
import type { MongoDatabase } from './mongo-database.ts'
import { asDb } from './mongo-driver.ts'
import { createUploadStores, type MongoUploadsOptions, type UploadRecord } from './upload-stores.ts'
import { byTsThenId, type ExportMessage, type ExportRoom, type ExportUser, type FileRef, type MarkdownTree, type MessageAttachment, type RoomRepository } from '../model.ts'
import type { BackendDefaults } from '../options.ts'

/**
 * The Rocket.Chat MongoDB layout as the plugin's hooks. Everything read is
 * mapped to plain objects (strings for ids, `Date`s kept) before it leaves
 * this file: Handlebars and JSON output never see driver types.
 */

/**
 * Errors after which a cursor is gone but the read can go on: the cursor was
 * killed or timed out, the connection dropped, the primary changed.
 */
function isLostCursor (err: unknown): boolean {
  const { name, code } = err as { name?: string, code?: unknown }
  return name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError' || name === 'MongoServerSelectionError' ||
    name === 'MongoPoolClearedError' || code === 43 || lostPrimaryCodes.has(code as number)
}
/** NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, InterruptedDueToReplStateChange, PrimarySteppedDown */
const lostPrimaryCodes = new Set([10107, 13435, 13436, 11602, 189])

const messageProjection = {
  _id: 1,
  rid: 1,
  ts: 1,
  msg: 1,
  u: 1,
  t: 1,
  tmid: 1,
  tcount: 1,
  editedAt: 1,
  editedBy: 1,
  pinned: 1,
  reactions: 1,
  attachments: 1,
  file: 1,
  files: 1,
  md: 1,
  mentions: 1,
  channels: 1,
  urls: 1,
  role: 1,
  comment: 1,
  navigation: 1,
  transferData: 1,
  priorityData: 1,
  slaData: 1
}
const userProjection = { _id: 1, username: 1, name: 1, emails: 1, language: 1, roles: 1 }

const asString = (value: unknown): string => String(value)

/** `base` with the fields of `optional` that are defined. */
function withOptional<T extends object, O extends object> (base: T, optional: O): T & Partial<O> {
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (base as Record<string, unknown>)[key] = value
  return base
}
const optionalString = (value: unknown): string | undefined => typeof value === 'string' ? value : undefined

function toUser (document: Document): ExportUser {
  const user: ExportUser = { _id: asString(document._id), username: asString(document.username) }
  if (typeof document.name === 'string') user.name = document.name
  if (Array.isArray(document.emails)) {
    user.emails = document.emails
      .filter((email: Document) => typeof email?.address === 'string')
      .map((email: Document) => ({ address: email.address as string, verified: email.verified === true }))
  }
  if (typeof document.language === 'string') user.language = document.language
  if (Array.isArray(document.roles)) user.roles = document.roles.map(asString)
  return user
}

function toRoom (document: Document): ExportRoom {
  const room: ExportRoom = { _id: asString(document._id), t: asString(document.t) }
  for (const key of ['name', 'fname', 'topic'] as const) {
    const value = optionalString(document[key])
    if (value !== undefined) room[key] = value
  }
  if (Array.isArray(document.usernames)) room.usernames = document.usernames.map(asString)
  return room
}

function toFile (document: Document): FileRef {
  const file: FileRef = { _id: asString(document._id), name: asString(document.name ?? document._id) }
  if (typeof document.type === 'string') file.type = document.type
  if (typeof document.size === 'number') file.size = document.size
  return file
}

const attachmentTextFields = ['title', 'title_link', 'image_url', 'image_type', 'audio_url', 'video_url', 'type', 'description', 'text', 'author_name', 'message_link'] as const

function toAttachment (document: Document, depth = 0): MessageAttachment {
  const attachment: MessageAttachment = {}
  for (const key of attachmentTextFields) {
    const value = optionalString(document[key])
    if (value !== undefined) attachment[key] = value
  }
  if (Array.isArray(document.md)) attachment.md = document.md as MarkdownTree
  if (Array.isArray(document.descriptionMd)) attachment.descriptionMd = document.descriptionMd as MarkdownTree
  if (document.ts instanceof Date) attachment.ts = document.ts
  // A quote of a quote is shown; deeper nesting is not (Rocket.Chat shows one level too).
  if (Array.isArray(document.attachments) && depth === 0) attachment.attachments = objects(document.attachments).map((nested) => toAttachment(nested, 1))
  return attachment
}

const objects = (values: unknown[]): Document[] => values.filter((value): value is Document => value !== null && typeof value === 'object')

/** Rocket.Chat's omnichannel event data, reduced to the text a sentence needs. */
function eventDetails (document: Document, message: ExportMessage): void {
  if (typeof document.role === 'string') message.role = document.role
  if (typeof document.comment === 'string') message.comment = document.comment
  const page = document.navigation?.page
  if (typeof page?.location?.href === 'string') message.navigation = typeof page.title === 'string' && page.title !== '' ? `${page.title} - ${page.location.href}` : page.location.href
  const transfer = document.transferData
  if (transfer !== null && typeof transfer === 'object') {
    const to = transfer.transferredTo?.name ?? transfer.transferredTo?.username ?? transfer.nextDepartment?.name ?? transfer.department?.name
    message.transfer = typeof to === 'string' ? `to ${to}` : 'to the queue'
  }
  if (typeof document.priorityData?.priority?.name === 'string') message.priority = document.priorityData.priority.name
  if (typeof document.slaData?.sla?.name === 'string') message.sla = document.slaData.sla.name
}

function toPerson (document: Document | undefined): { _id: string, username: string, name?: string } {
  const person: { _id: string, username: string, name?: string } = { _id: asString(document?._id), username: asString(document?.username) }
  if (typeof document?.name === 'string') person.name = document.name
  return person
}

function toMessage (document: Document): ExportMessage {
  const message: ExportMessage = {
    _id: asString(document._id),
    rid: asString(document.rid),
    ts: document.ts as Date,
    msg: typeof document.msg === 'string' ? document.msg : '',
    u: toPerson(document.u)
  }
  if (typeof document.t === 'string') message.t = document.t
  if (typeof document.tmid === 'string') message.tmid = document.tmid
  if (typeof document.tcount === 'number') message.tcount = document.tcount
  if (document.editedAt instanceof Date) message.editedAt = document.editedAt
  if (document.editedBy !== undefined && document.editedBy !== null) {
    const { _id, username } = toPerson(document.editedBy)
    message.editedBy = { _id, username }
  }
  if (document.pinned === true) message.pinned = true
  if (document.reactions !== null && typeof document.reactions === 'object') {
    message.reactions = Object.fromEntries(Object.entries(document.reactions as Record<string, Document>)
      .map(([emoji, reaction]) => [emoji, { usernames: Array.isArray(reaction?.usernames) ? reaction.usernames.map(asString) : [] }]))
  }
  if (Array.isArray(document.attachments)) message.attachments = objects(document.attachments).map((attachment) => toAttachment(attachment))
  if (document.file !== null && typeof document.file === 'object') message.file = toFile(document.file)
  if (Array.isArray(document.files)) message.files = objects(document.files).map(toFile)
  if (Array.isArray(document.md)) message.md = document.md as MarkdownTree
  if (Array.isArray(document.mentions)) {
    message.mentions = objects(document.mentions).map((mention) => withOptional({ _id: asString(mention._id) }, { username: optionalString(mention.username), name: optionalString(mention.name) }))
  }
  if (Array.isArray(document.channels)) {
    message.channels = objects(document.channels).map((channel) => withOptional({ _id: asString(channel._id) }, { name: optionalString(channel.name), fname: optionalString(channel.fname) }))
  }
  if (Array.isArray(document.urls)) {
    message.urls = objects(document.urls).filter((url) => typeof url.url === 'string').map((url) => withOptional({ url: url.url as string }, {
      title: optionalString(url.meta?.ogTitle) ?? optionalString(url.meta?.pageTitle),
      description: optionalString(url.meta?.ogDescription) ?? optionalString(url.meta?.description)
    }))
  }
  eventDetails(document, message)
  return message
}

/** Rocket.Chat keeps resume tokens hashed: base64 of the token's SHA-256. */
export function hashLoginToken (token: string): string {
  return createHash('sha256').update(token).digest('base64')
}

/** How `createMongoRepository` reads Rocket.Chat's collections. */
export interface MongoRepositoryOptions {
  /**
   * Messages per cursor batch (and per page of one instant's messages).
   * @default 1000
   */
  batchSize?: number
  /**
   * Messages sharing one `ts` held in memory to be ordered by `_id`; an
   * instant with more is read again alone, paged by `_id`.
   * @default 10000
   */
  largestTsRun?: number
  /**
   * How often in a row a lost cursor (a dropped connection, a stepped-down
   * primary, a killed cursor) is reopened where the read was, after 0.25,
   * 0.5, 1, 2, 4 s…, before the read fails.
   * @default 5
   */
  cursorRetries?: number
  /**
   * Where uploads outside GridFS are read from (Rocket.Chat's FileSystem and
   * AmazonS3 stores; see `MongoUploadsOptions`).
   * @default Rocket.Chat's own settings
   */
  uploads?: MongoUploadsOptions
  /**
   * Whether exports count their messages (`countMessages`: the status's
   * `total` and `progress`, the HTML parts' "Part 1 of 3"). MongoDB counts on
   * the `{ rid, ts }` index; FerretDB (its `buildInfo` has `ferretdbVersion`)
   * reads every document of the collection to count — as long as the
   * export's own read, on the CPU the read needs — so there it does not
   * count unless told to.
   * @default true, except on FerretDB
   */
  countMessages?: boolean
}

export function createMongoRepository (database: MongoDatabase, { batchSize = 1000, largestTsRun = 10_000, cursorRetries = 5, uploads, countMessages }: MongoRepositoryOptions = {}): RoomRepository {
  const db = asDb(database)
  const messages = db.collection('rocketchat_message')
  const visible = { _hidden: { $ne: true } }
  // Asked once, at the first count; a server that will not say is taken for one that counts on its index.
  let counts: Promise<boolean> | undefined = countMessages === undefined ? undefined : Promise.resolve(countMessages)
  const countsHere = async () => await (counts ??= db.command({ buildInfo: 1 }).then((info) => !('ferretdbVersion' in info), () => true))
  // Rocket.Chat's record of each upload: the room it was posted in (`rid`), its size, and the store holding its bytes.
  const uploadRecords = db.collection('rocketchat_uploads')
  const stores = createUploadStores(database, uploads)
  const uploadOf = async (file: FileRef, rid: string) => await uploadRecords.findOne(
    { _id: file._id as unknown as Document['_id'], rid },
    { projection: { rid: 1, store: 1, size: 1, extension: 1, complete: 1, AmazonS3: 1, s3: 1 } }
  ) as unknown as UploadRecord | null

  /** Every message of one instant, in `_id` order, a page at a time (keyset on `_id`). */
  async function * pagedRun (rid: string, ts: Date): AsyncGenerator<ExportMessage> {
    let after: Document['_id'] | null = null
    for (;;) {
      const filter: Document = after === null ? { rid, ...visible, ts } : { rid, ...visible, ts, _id: { $gt: after } }
      const page = await messages.find(filter, { projection: messageProjection, sort: { _id: 1 }, limit: batchSize }).toArray()
      for (const document of page) yield toMessage(document)
      if (page.length < batchSize) return
      after = page[page.length - 1]._id
    }
  }

  return {
    async findRoomById (rid) {
      const room = await db.collection('rocketchat_room').findOne({ _id: rid as unknown as Document['_id'] }, { projection: { _id: 1, t: 1, name: 1, fname: 1, topic: 1, usernames: 1 } })
      return room === null ? null : toRoom(room)
    },

    /**
     * One cursor per export, sorted by `ts` alone — an index scan of
     * Rocket.Chat's own `{ rid, ts, … }` index, no blocking sort, no `skip`.
     * Messages sharing a `ts` (a run) are held back until the run ends and
     * then ordered by `_id` here; a run longer than `largestTsRun` is read
     * again on its own, paged by `_id`. A lost cursor (killed, timed out, a
     * dropped connection, a stepped-down primary) is reopened at
     * `ts > the last complete run`, so nothing is lost or repeated.
     */
    async * findMessages ({ rid, from, to }) {
      let resumeAfter: Date | null = null
      let failures = 0
      for (;;) {
        const ts = resumeAfter === null ? { $gte: from, $lte: to } : { $gt: resumeAfter, $lte: to }
        const cursor = messages.find({ rid, ...visible, ts }, { projection: messageProjection, sort: { ts: 1 }, batchSize })
        let run: ExportMessage[] = []
        try {
          for await (const document of cursor) {
            const message = toMessage(document)
            if (run.length > 0 && run[0].ts.getTime() !== message.ts.getTime()) {
              yield * run.sort(byTsThenId)
              resumeAfter = run[0].ts
              failures = 0
              run = []
            }
            run.push(message)
            if (run.length > largestTsRun) break
          }
          if (run.length > largestTsRun) {
            // Too many messages on one instant to hold: read that instant alone, in _id pages.
            await cursor.close()
            yield * pagedRun(rid, run[0].ts)
            resumeAfter = run[0].ts
            continue
          }
          yield * run.sort(byTsThenId)
          return
        } catch (err) {
          if (!isLostCursor(err) || ++failures > cursorRetries) throw err
          // The incomplete run is read again from the new cursor.
          await sleep(250 * 2 ** (failures - 1))
        } finally {
          await cursor.close().catch(() => {})
        }
      }
    },

    // The export's own filter, on the same { rid, ts } index; `null` where counting would scan (see `countMessages` above).
    async countMessages ({ rid, from, to }) {
      if (!await countsHere()) return null
      return await messages.countDocuments({ rid, ...visible, ts: { $gte: from, $lte: to } })
    },

    async * findMessagesByIds (rid, ids) {
      const found = await messages.find({ _id: { $in: ids as unknown as Document['_id'][] }, rid, ...visible }, { projection: messageProjection, sort: { ts: 1, _id: 1 } }).toArray()
      for (const document of found) yield toMessage(document)
    },

    /**
     * Rocket.Chat's history copies keep their message's `ts`: the copies are
     * found on the `{ rid, ts }` index, at the instants of the messages asked
     * for, never by a scan for `parent`.
     */
    async * findHistory (rid, ids) {
      const originals = await messages.find({ _id: { $in: ids as unknown as Document['_id'][] }, rid }, { projection: { ts: 1 } }).toArray()
      const instants = [...new Map(originals.filter((original) => original.ts instanceof Date).map((original) => [(original.ts as Date).getTime(), original.ts as Date])).values()]
      if (instants.length === 0) return
      const copies = messages.find(
        { rid, ts: { $in: instants }, _hidden: true, parent: { $in: ids } },
        { projection: { rid: 1, ts: 1, parent: 1, msg: 1, md: 1, editedAt: 1, editedBy: 1, u: 1 } }
      )
      for await (const copy of copies) yield { ...copy, _id: String(copy._id) } as unknown as ExportMessage
    },

    /**
     * Messages of the range that were deleted: those Rocket.Chat moved to its
     * trash (`rocketchat__trash`, deleted with `_deletedAt`), and those it
     * hid when it keeps history without showing deletions (`_hidden` with no
     * `parent`; deleted at its `_updatedAt`). A message deleted with
     * "show deleted status" is still a message (`t: 'rm'`).
     */
    async * findDeletions ({ rid, from, to }) {
      const ts = { $gte: from, $lte: to }
      const trashed = await db.collection('rocketchat__trash').find({ __collection__: 'rocketchat_message', rid, ts }, { projection: { ts: 1, _deletedAt: 1 } }).toArray()
      const hidden = await messages.find({ rid, ts, _hidden: true, parent: { $exists: false } }, { projection: { ts: 1, _updatedAt: 1 } }).toArray()
      const deletions = [
        ...trashed.map((document) => ({ _id: String(document._id), ts: document.ts as Date, deletedAt: document._deletedAt as Date })),
        ...hidden.map((document) => ({ _id: String(document._id), ts: document.ts as Date, deletedAt: document._updatedAt as Date }))
      ].sort((a, b) => a.ts.getTime() - b.ts.getTime())
      for (const { _id: id, deletedAt } of deletions) yield { _id: id, deletedAt }
    },

    async findUsersByUsernames (usernames) {
      const found = await db.collection('users').find({ username: { $in: usernames } }, { projection: userProjection }).toArray()
      return found.map(toUser)
    },

    async openFile (file, rid) {
      const record = await uploadOf(file, rid)
      return record === null ? null : await stores.open(record)
    },

    async fileSize (file, rid) {
      const record = await uploadOf(file, rid)
      return record === null ? null : await stores.sizeOf(record)
    },

    async openAvatar (username) {
      // The newest, should an older one linger: Rocket.Chat replaces a person's avatar record on upload.
      const [record] = await db.collection('rocketchat_avatars').find(
        { name: username },
        { projection: { store: 1, extension: 1, complete: 1, AmazonS3: 1, s3: 1 }, sort: { _updatedAt: -1 }, limit: 1 }
      ).toArray() as unknown as UploadRecord[]
      return record === undefined ? null : await stores.openAvatar({ ...record, _id: String(record._id) })
    },

    async openCustomEmoji (name) {
      const record = await db.collection('rocketchat_custom_emoji').findOne({ $or: [{ name }, { aliases: name }] }, { projection: { name: 1, extension: 1 } })
      if (record === null || typeof record.name !== 'string' || typeof record.extension !== 'string') return null
      return await stores.openCustomEmoji({ name: record.name, extension: record.extension })
    }
  }
}

/** The three access hooks on Rocket.Chat's users, permissions and subscriptions. */
export function createMongoHooks (database: MongoDatabase): Pick<BackendDefaults, 'authenticate' | 'hasPermission' | 'canAccessRoom'> {
  const db = asDb(database)
  const users = db.collection('users')
  const subscriptions = db.collection('rocketchat_subscription')
  const permissions = db.collection('rocketchat_permissions')

  return {
    async authenticate (request) {
      const userId = request.headers['x-user-id']
      const token = request.headers['x-auth-token']
      if (typeof userId !== 'string' || typeof token !== 'string' || userId === '' || token === '') return null
      const user = await users.findOne({
        _id: userId as unknown as Document['_id'],
        'services.resume.loginTokens.hashedToken': hashLoginToken(token),
        active: { $ne: false }
      }, { projection: userProjection })
      return user === null ? null : toUser(user)
    },

    /** Allowed when one of the user's global roles, or their roles in that room, holds the permission. */
    async hasPermission (user, permission, rid) {
      const granted = await permissions.findOne({ _id: permission as unknown as Document['_id'] }, { projection: { roles: 1 } })
      const allowedRoles = new Set<string>(Array.isArray(granted?.roles) ? granted.roles.map(asString) : [])
      if (allowedRoles.size === 0) return false
      const stored = await users.findOne({ _id: user._id as unknown as Document['_id'] }, { projection: { roles: 1 } })
      const subscription = await subscriptions.findOne({ rid, 'u._id': user._id }, { projection: { roles: 1 } })
      const roles = [
        ...(Array.isArray(stored?.roles) ? stored.roles : []),
        ...(Array.isArray(subscription?.roles) ? subscription.roles : [])
      ].map(asString)
      return roles.some((role) => allowedRoles.has(role))
    },

    async canAccessRoom (room, user) {
      if (room.t === 'c') return true
      return await subscriptions.countDocuments({ rid: room._id, 'u._id': user._id }, { limit: 1 }) > 0
    }
  }
}

/**
 * Whether `rocketchat_message` has an index that starts with `{ rid, ts }`
 * (Rocket.Chat creates `{ rid: 1, ts: 1, _updatedAt: 1 }`): without one,
 * every export's read is a collection scan and a blocking sort.
 */
export async function hasMessageRangeIndex (database: MongoDatabase): Promise<boolean> {
  const indexes = await asDb(database).collection('rocketchat_message').indexes()
  return indexes.some(({ key }) => {
    const [first, second] = Object.keys(key)
    return first === 'rid' && second === 'ts'
  })
}
