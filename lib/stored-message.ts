import type { ExportMessage, ExportRoom, FileRef, MarkdownTree, MessageAttachment } from './model.ts'

/**
 * What a repository hands over is what someone stored: any user with write
 * access to the database, any import, any custom adapter. Every message an
 * export shows is read through `readStoredMessage` first, so that the
 * renderers only ever see the shape `ExportMessage` promises: a field of
 * another type is left out (a date that is not a usable `Date` becomes
 * `unknownTime`), and its name is pushed to `flaws`. One bad field costs that
 * field, never the message, never the export.
 *
 * The message read is a new object holding only the fields the plugin knows:
 * whatever else a host's record carries (functions, class instances, driver
 * types) never reaches the render worker, which could not receive it.
 */

/** A date an export cannot show: the message's time is "unknown time" on a page, and left out of JSON. */
export const unknownTime: Date = new Date(Number.NaN)

/** Dates an export can show and write as ISO 8601: years 0000 to 9999. */
const earliestShown = Date.parse('0000-01-01T00:00:00.000Z')
const latestShown = Date.parse('9999-12-31T23:59:59.999Z')

export function isKnownTime (date: Date): boolean {
  const time = date.getTime()
  return time >= earliestShown && time <= latestShown
}

/** A stored markup tree deeper than this is not one Rocket.Chat wrote (its deepest nests a few levels), and would overflow the walker's stack. */
const maxTreeDepth = 64
/** Quotes of quotes of quotes: deeper ones are not shown. */
const maxAttachmentDepth = 3

type Record_ = Record<string, unknown>

const isRecord = (value: unknown): value is Record_ => value !== null && typeof value === 'object' && !Array.isArray(value)

/**
 * A value made of JSON alone — strings, finite numbers, booleans, null, arrays
 * and plain objects — no deeper than `maxTreeDepth`: what a markup tree can be
 * written as in the JSON export, and walked without surprise.
 */
function isPlainJson (value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (depth >= maxTreeDepth) return false
      if (Array.isArray(value)) {
        for (const item of value) if (!isPlainJson(item, depth + 1)) return false
        return true
      }
      const prototype = Object.getPrototypeOf(value) as unknown
      if (prototype !== Object.prototype && prototype !== null) return false
      for (const key in value) if (!isPlainJson((value as Record_)[key], depth + 1)) return false
      return true
    }
    default:
      return false
  }
}

/** A stored markup tree: an array of plain objects (nodes), plain JSON throughout. */
function isMarkupTree (value: unknown): value is MarkdownTree {
  if (!Array.isArray(value)) return false
  try {
    for (const node of value) if (!isRecord(node) || !isPlainJson(node, 1)) return false
    return true
  } catch {
    // a getter that throws, a proxy: not a tree
    return false
  }
}

/**
 * Reads the fields of one stored record — the message, or a record inside it
 * (`within`: the reader of the record holding it, under `name`) — noting each
 * field it had to leave out by its path (`attachments.ts`). The path is only
 * spelled out for a flaw: most records have none.
 */
class FieldReader {
  constructor (
    private readonly record: Record_,
    private readonly flaws: string[],
    private readonly within: FieldReader | null = null,
    private readonly name = ''
  ) {}

  private pathOf (key: string): string {
    return this.within === null ? key : this.within.pathOf(`${this.name}.${key}`)
  }

  flaw (key: string): undefined {
    this.flaws.push(this.pathOf(key))
    return undefined
  }

  // Each reading takes the field's value where the caller has it already (a message's fields are
  // visited as they come), or reads it by name.

  text (key: string, value = this.record[key]): string | undefined {
    if (value === undefined || typeof value === 'string') return value
    // null is how a database writes "not set"
    return value === null ? undefined : this.flaw(key)
  }

  /** Each of `keys` that holds text, copied onto `into`. */
  copyTexts<T extends object> (keys: ReadonlyArray<keyof T & string>, into: T): void {
    for (const key of keys) {
      const value = this.text(key)
      if (value !== undefined) (into as Record_)[key] = value
    }
  }

  date (key: string, value = this.record[key]): Date | undefined {
    if (value === undefined || value === null) return undefined
    if (value instanceof Date && isKnownTime(value)) return value
    this.flaw(key)
    return unknownTime
  }

  count (key: string, value = this.record[key]): number | undefined {
    if (value === undefined || value === null) return undefined
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : this.flaw(key)
  }

  tree (key: string, value = this.record[key]): MarkdownTree | undefined {
    if (value === undefined || value === null) return undefined
    return isMarkupTree(value) ? value : this.flaw(key)
  }

  records (key: string, value = this.record[key]): Record_[] | undefined {
    if (value === undefined || value === null) return undefined
    if (!Array.isArray(value)) return this.flaw(key)
    const records = value.filter(isRecord)
    if (records.length < value.length) this.flaw(key)
    return records
  }

  nested (key: string, value = this.record[key]): FieldReader | undefined {
    if (value === undefined || value === null) return undefined
    return isRecord(value) ? new FieldReader(value, this.flaws, this, key) : this.flaw(key)
  }

  /** `build` applied to each record of the list at `key`, each read under `key.` */
  list<T> (key: string, build: (reader: FieldReader) => T | undefined, value = this.record[key]): T[] | undefined {
    const records = this.records(key, value)
    if (records === undefined) return undefined
    const built: T[] = []
    for (const record of records) {
      const item = build(new FieldReader(record, this.flaws, this, key))
      if (item !== undefined) built.push(item)
    }
    return built
  }
}

function person (reader: FieldReader | undefined): { _id: string, username: string, name?: string } | undefined {
  if (reader === undefined) return undefined
  const _id = reader.text('_id') ?? ''
  const username = reader.text('username') ?? ''
  const name = reader.text('name')
  return name === undefined ? { _id, username } : { _id, username, name }
}

function file (reader: FieldReader): FileRef | undefined {
  const _id = reader.text('_id')
  if (_id === undefined) return reader.flaw('_id')
  const found: FileRef = { _id, name: reader.text('name') ?? _id }
  const type = reader.text('type')
  if (type !== undefined) found.type = type
  const size = reader.count('size')
  if (size !== undefined) found.size = size
  return found
}

const attachmentTextFields = ['title', 'title_link', 'image_url', 'image_type', 'audio_url', 'video_url', 'type', 'description', 'text', 'author_name', 'message_link'] as const

function attachment (reader: FieldReader, depth: number): MessageAttachment {
  const read: MessageAttachment = {}
  reader.copyTexts(attachmentTextFields, read)
  const md = reader.tree('md')
  if (md !== undefined) read.md = md
  const descriptionMd = reader.tree('descriptionMd')
  if (descriptionMd !== undefined) read.descriptionMd = descriptionMd
  const ts = reader.date('ts')
  if (ts !== undefined && ts !== unknownTime) read.ts = ts
  if (depth < maxAttachmentDepth) {
    const nested = reader.list('attachments', (inner) => attachment(inner, depth + 1))
    if (nested !== undefined) read.attachments = nested
  } else if (reader.records('attachments') !== undefined) {
    reader.flaw('attachments')
  }
  return read
}

function reactions (reader: FieldReader, stored: unknown): ExportMessage['reactions'] {
  if (!isRecord(stored)) return reader.flaw('reactions')
  const read: NonNullable<ExportMessage['reactions']> = {}
  for (const [emoji, reaction] of Object.entries(stored)) {
    const usernames = isRecord(reaction) && Array.isArray(reaction.usernames) ? reaction.usernames.filter((name): name is string => typeof name === 'string') : null
    if (usernames === null || usernames.length < (reaction as { usernames: unknown[] }).usernames.length) reader.flaw('reactions')
    // defined as data: an emoji called `__proto__` stays a key
    if (usernames !== null) Object.defineProperty(read, emoji, { value: { usernames }, enumerable: true, writable: true, configurable: true })
  }
  return read
}

/** The author of a record without one. */
const noAuthor = (): ExportMessage['u'] => ({ _id: '', username: '' })

/**
 * `stored` as the message an export shows; the names of the fields it had to
 * leave out or replace go to `flaws` (`u`, `md`, `attachments.ts`, …).
 */
export function readStoredMessage (stored: unknown, flaws: string[]): ExportMessage {
  let record: Record_
  if (isRecord(stored)) {
    record = stored
  } else {
    flaws.push('message')
    record = {}
  }
  const reader = new FieldReader(record, flaws)
  const message: ExportMessage = { _id: '', rid: '', ts: unknownTime, msg: '', u: noAuthor() }
  // Only the fields a record has are visited: a message carries a few of the ~25 read here, and
  // asking a record for each absent one by name cost more than reading the present ones.
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (value === undefined || value === null) continue
    switch (key) {
      case '_id':
      case 'rid':
      case 'msg':
      case 't':
      case 'tmid':
      case 'role':
      case 'comment':
      case 'navigation':
      case 'transfer':
      case 'priority':
      case 'sla':
        if (typeof value === 'string') message[key] = value
        else reader.flaw(key)
        break
      case 'ts':
        message.ts = reader.date(key, value)!
        break
      case 'editedAt':
        message.editedAt = reader.date(key, value)
        break
      case 'u':
        message.u = person(reader.nested(key, value)) ?? message.u
        break
      case 'editedBy': {
        const editedBy = person(reader.nested(key, value))
        if (editedBy !== undefined) message.editedBy = { _id: editedBy._id, username: editedBy.username }
        break
      }
      case 'tcount': {
        const tcount = reader.count(key, value)
        if (tcount !== undefined) message.tcount = tcount
        break
      }
      case 'pinned':
        if (value === true) message.pinned = true
        else if (value !== false) reader.flaw(key)
        break
      case '_hidden':
        if (value === true) message._hidden = true
        break
      case 'reactions': {
        const read = reactions(reader, value)
        if (read !== undefined) message.reactions = read
        break
      }
      case 'attachments': {
        const attachments = reader.list(key, (inner) => attachment(inner, 1), value)
        if (attachments !== undefined) message.attachments = attachments
        break
      }
      case 'file': {
        const single = reader.nested(key, value)
        const found = single === undefined ? undefined : file(single)
        if (found !== undefined) message.file = found
        break
      }
      case 'files': {
        const files = reader.list(key, file, value)
        if (files !== undefined) message.files = files
        break
      }
      case 'md': {
        const md = reader.tree(key, value)
        if (md !== undefined) message.md = md
        break
      }
      case 'mentions': {
        const mentions = reader.list(key, (inner) => withDefined({ _id: inner.text('_id') ?? '' }, { username: inner.text('username'), name: inner.text('name') }), value)
        if (mentions !== undefined) message.mentions = mentions
        break
      }
      case 'channels': {
        const channels = reader.list(key, (inner) => withDefined({ _id: inner.text('_id') ?? '' }, { name: inner.text('name'), fname: inner.text('fname') }), value)
        if (channels !== undefined) message.channels = channels
        break
      }
      case 'urls': {
        const urls = reader.list(key, (inner) => {
          const url = inner.text('url')
          return url === undefined ? inner.flaw('url') : withDefined({ url }, { title: inner.text('title'), description: inner.text('description') })
        }, value)
        if (urls !== undefined) message.urls = urls
        break
      }
    }
  }
  // Every message has an id, a time and an author: a missing one is a flaw too (one of another type was noted above).
  for (const key of ['_id', 'ts', 'u'] as const) if (record[key] === undefined || record[key] === null) reader.flaw(key)
  return message
}

/**
 * The room a repository found, read as messages are: its names (which become
 * the title and the archive's file name) only when they are text. Anything
 * that is not an object is no room.
 */
export function readStoredRoom (stored: unknown, rid: string): ExportRoom | null {
  if (!isRecord(stored)) return null
  const reader = new FieldReader(stored, [])
  const room: ExportRoom = { _id: reader.text('_id') ?? rid, t: reader.text('t') ?? '' }
  reader.copyTexts(['name', 'fname', 'topic'], room)
  if (Array.isArray(stored.usernames)) room.usernames = stored.usernames.filter((name): name is string => typeof name === 'string')
  return room
}

function withDefined<T extends object, O extends object> (base: T, optional: O): T & Partial<O> {
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (base as Record_)[key] = value
  return base
}

/** How many flawed messages the manifest lists by id (all are counted). */
export const listedFlawedMessages = 1000
/**
 * Flawed messages remembered by id, so that one noted twice — a field when it
 * is read, its markup tree when it renders — counts once. Beyond this many
 * (a room whose every record is broken) such a message may count twice: the
 * memory stays bounded.
 */
const rememberedFlawedMessages = 100_000

/**
 * The messages of one export whose records had flaws: counted, the first
 * `listedFlawedMessages` listed with the fields that were left out.
 */
export class FlawedMessages {
  count = 0
  readonly listed: { _id: string, fields: string[] }[] = []
  private readonly seen = new Map<string, string[] | null>()

  /** `fields` of message `id` were left out or replaced. */
  note (id: string, fields: readonly string[]): void {
    const known = this.seen.get(id)
    if (known !== undefined) {
      if (known !== null) for (const field of fields) if (!known.includes(field)) known.push(field)
      return
    }
    this.count++
    let listed: string[] | null = null
    if (this.listed.length < listedFlawedMessages) {
      listed = [...new Set(fields)]
      this.listed.push({ _id: id, fields: listed })
    }
    if (this.seen.size < rememberedFlawedMessages) this.seen.set(id, listed)
  }
}
