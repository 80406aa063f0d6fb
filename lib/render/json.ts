import { RecentMap } from './recent-map.ts'
import type { ExportMessage, ExportUser, FileRef, MessageAttachment, RoomRepository } from '../model.ts'
import type { MessageRenderer } from './message-view.ts'
import type { ExportContext, ExportDocument, JsonMessage } from '../schemas.ts'
import { isKnownTime } from '../stored-message.ts'
import { pauseIfSliceSpent } from './slices.ts'
import { assetPath, attachedUploadId, messageFiles } from './uploads.ts'
import { Utf8Chunks } from './utf8-chunks.ts'

/** The JSON renderer hands its document downstream in chunks of about this many bytes. */
export const renderChunkSize = 64 * 1024

type JsonAttachment = NonNullable<JsonMessage['attachments']>[number]

/** What the JSON export adds to what is stored: the sentence of a system message, the archive path of an upload. */
export interface JsonExtras {
  /** the readable sentence of a system message (`null` for an ordinary one) */
  sentenceOf: (message: ExportMessage) => Promise<string | null>
  /** uploads are in the archive's `assets/` (file exports of a repository that can open them) */
  archivesUploads: boolean
  /** the people among `usernames` (the repository's `findUsersByUsernames`): reactors, named by username only */
  findUsers: (usernames: string[]) => Promise<ExportUser[]>
  /** an upload's stored size; `undefined` when the repository cannot tell */
  storedSize: (file: FileRef) => Promise<number | null | undefined>
  /** a reply's parent: who wrote it, its first line and when (ms; NaN when unknown), or `null` when it cannot be read */
  parentOf: (tmid: string) => Promise<{ summary: JsonParent, ts: number } | null>
}

type JsonPerson = JsonMessage['u']
type JsonParent = NonNullable<ExportDocument['parents']>[number]

/** A renderer's lookups as the JSON export uses them: the sentence, reactors' names, parents before the range. */
export function jsonExtrasOf (renderer: MessageRenderer, repository: Pick<RoomRepository, 'findUsersByUsernames'>, archivesUploads: boolean): JsonExtras {
  return {
    sentenceOf: async (message) => await renderer.sentenceOf(message),
    archivesUploads,
    // Names are cosmetic: a lookup that fails leaves the reactions' usernames.
    findUsers: async (usernames) => await repository.findUsersByUsernames(usernames).catch(() => []),
    parentOf: async (tmid) => await renderer.parentSummary(tmid),
    storedSize: async (file) => await renderer.storedSize(file)
  }
}

/** The document format's version (semver): a reader checks it before the fields it relies on. */
export const exportDocumentVersion = '1.0.0'

/**
 * The JSON export: one valid document, streamed a message per line, in the
 * shape of `ExportDocumentSchema`. Authors and the exporter carry id, username
 * and name only — never email addresses. `md` is included as stored (a tree
 * the export parsed itself is not: it is the parser's, not the message's).
 */
export function toJsonMessage (message: ExportMessage, archivesUploads = false, storedSizes?: ReadonlyMap<string, number | null | undefined>): JsonMessage {
  // A time the export cannot show (see `readStoredMessage`) is left out: `ts` stays in its place, undefined.
  const json: JsonMessage = {
    _id: message._id,
    rid: message.rid,
    ts: isKnownTime(message.ts) ? message.ts.toISOString() : undefined,
    msg: message.t === 'e2e' ? '' : message.msg,
    u: personOf(message.u)
  }
  if (message.t !== undefined) json.t = message.t
  if (message.md !== undefined && message.t !== 'e2e') json.md = message.md as unknown[]
  if (message.tmid !== undefined) json.tmid = message.tmid
  if (message.tcount !== undefined) json.tcount = message.tcount
  if (message.editedAt !== undefined && isKnownTime(message.editedAt)) json.editedAt = message.editedAt.toISOString()
  if (message.editedBy !== undefined) json.editedBy = { _id: message.editedBy._id, username: message.editedBy.username }
  if (message.pinned !== undefined) json.pinned = message.pinned
  if (message.reactions !== undefined) {
    json.reactions = Object.fromEntries(Object.entries(message.reactions)
      .map(([emoji, reaction]) => [emoji, { usernames: [...reaction.usernames] }]))
  }
  if (message.mentions !== undefined) json.mentions = message.mentions.map(({ _id, username, name }) => withoutUndefined({ _id, username, name }))
  if (message.channels !== undefined) json.channels = message.channels.map(({ _id, name, fname }) => withoutUndefined({ _id, name, fname }))
  if (message.urls !== undefined) json.urls = message.urls.map(({ url, title, description }) => withoutUndefined({ url, title, description }))
  if (message.role !== undefined) json.role = message.role
  const files = messageFiles(message)
  // Most messages carry no upload: they share one empty map instead of building one each.
  const assets = archivesUploads && files.length > 0 ? new Map(files.map((file) => [file._id, assetPath(file)])) : noAssets
  if (message.attachments !== undefined) json.attachments = message.attachments.map((attachment) => pickAttachment(attachment, assets))
  if (files.length > 0) {
    // The stored file's size where the repository can tell, as the page shows it; else what the message claims.
    json.files = files.map((file) => withoutUndefined({ _id: file._id, name: file.name, type: file.type, size: storedSizes?.get(file._id) ?? file.size, path: assets.get(file._id) }))
  }
  if (message.history !== undefined) {
    json.history = message.history.map(({ msg, md, editedAt, editedBy }) => withoutUndefined({ msg, md: md as unknown[] | undefined, editedAt: editedAt.toISOString(), editedBy }))
  }
  return json
}

const noAssets: ReadonlyMap<string, string> = new Map()

function personOf (user: { _id: string, username: string, name?: string }): JsonMessage['u'] {
  return user.name === undefined ? { _id: user._id, username: user.username } : { _id: user._id, username: user.username, name: user.name }
}

/** The upload an attachment shows, by its archive path. */
function assetOf (attachment: MessageAttachment, assets: ReadonlyMap<string, string>): string | undefined {
  const id = attachedUploadId(attachment, (candidate) => assets.has(candidate))
  return id === null ? undefined : assets.get(id)
}

function pickAttachment (attachment: MessageAttachment, assets: ReadonlyMap<string, string>): JsonAttachment {
  const { title, title_link: titleLink, image_url: imageUrl, image_type: imageType, audio_url: audioUrl, video_url: videoUrl, type, description, descriptionMd, text, author_name: authorName, message_link: messageLink, md } = attachment
  return withoutUndefined({
    title,
    title_link: titleLink,
    image_url: imageUrl,
    image_type: imageType,
    audio_url: audioUrl,
    video_url: videoUrl,
    type,
    description,
    descriptionMd: descriptionMd as unknown[] | undefined,
    text,
    md: md as unknown[] | undefined,
    author_name: authorName,
    message_link: messageLink,
    ts: attachment.ts?.toISOString(),
    asset: assetOf(attachment, assets),
    attachments: attachment.attachments?.map((nested) => pickAttachment(nested, assets))
  })
}

/** `value` itself, its undefined fields deleted (JSON would drop them anyway; a database would store null). */
export function withoutUndefined<T extends object> (value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key]
  }
  return value
}

/**
 * Everyone a document names, by username, for its `users` directory: authors,
 * editors and mentioned users as their messages name them (the first name
 * seen wins, so one person is named one way), reactors looked up by username
 * once each (one lookup per batch of messages). A reactor the repository does
 * not know stays a username in the reactions.
 */
class UserDirectory {
  private readonly people = new Map<string, JsonPerson>()
  private readonly lookedUp = new Set<string>()

  note (person: { _id?: string, username?: string, name?: string } | undefined): void {
    if (person?._id === undefined || person._id === '' || person.username === undefined || person.username === '' || this.people.has(person.username)) return
    this.people.set(person.username, personOf({ _id: person._id, username: person.username, name: person.name }))
  }

  noteMessage (message: ExportMessage): void {
    this.note(message.u)
    this.note(message.editedBy)
    // Most messages have neither: no empty list is made for them (the main thread reads a million of them).
    if (message.mentions !== undefined) for (const mention of message.mentions) this.note(mention)
    if (message.history !== undefined) for (const version of message.history) this.note(version.editedBy)
  }

  /** The batch's reactors nobody has named yet, looked up together. */
  async learnReactors (batch: readonly ExportMessage[], findUsers: JsonExtras['findUsers']): Promise<void> {
    const unknown = new Set<string>()
    for (const message of batch) {
      if (message.reactions === undefined) continue
      for (const reaction of Object.values(message.reactions)) {
        for (const username of reaction.usernames) {
          if (!this.people.has(username) && !this.lookedUp.has(username)) unknown.add(username)
        }
      }
    }
    if (unknown.size === 0) return
    for (const username of unknown) this.lookedUp.add(username)
    for (const user of await findUsers([...unknown])) {
      if (unknown.has(user.username)) this.note(user)
    }
  }

  toJson (): string {
    return JSON.stringify([...this.people.values()].sort((a, b) => Number(a.username > b.username) - Number(a.username < b.username)))
  }
}

/** Thread parents remembered at once, at most: a room of a million threads must not hold a million ids. */
const rememberedParents = 10_000

/** `messages` in batches (arrays), as `exportableMessages` reads them; the document in chunks of UTF-8. */
export async function * renderJsonDocument (context: ExportContext, messages: AsyncIterable<readonly ExportMessage[]> | Iterable<readonly ExportMessage[]>, extras: JsonExtras): AsyncGenerator<Buffer> {
  const head = {
    version: exportDocumentVersion,
    room: context.room,
    range: context.range,
    exportedAt: context.exportedAt,
    exportedBy: context.exportedBy
  }
  const users = new UserDirectory()
  // Thread parents the document shows, the most recent ones: a reply's parent among them needs no read.
  // One forgotten is read again and, being in the range, not listed.
  const threadParents = new RecentMap<string, true>(rememberedParents)
  const parents = new Map<string, JsonParent>()
  const rangeStart = new Date(context.range.from).getTime()
  // Messages are gathered into ~64 KB chunks: one hand-off downstream per chunk, not per message.
  const pending = new Utf8Chunks(renderChunkSize)
  pending.add(`${JSON.stringify(head).slice(0, -1)},"messages":[`)
  let count = 0
  for await (const batch of messages) {
    // The batch's own authors first: only reactors none of its messages names are looked up.
    for (const message of batch) users.noteMessage(message)
    await users.learnReactors(batch, extras.findUsers)
    for (const message of batch) {
      const pause = pauseIfSliceSpent()
      if (pause !== undefined) await pause
      if (message.tcount !== undefined && message.tcount > 0) threadParents.set(message._id, true)
      if (message.tmid !== undefined && !threadParents.has(message.tmid) && !parents.has(message.tmid)) {
        const parent = await extras.parentOf(message.tmid)
        if (parent !== null && !(parent.ts >= rangeStart)) parents.set(message.tmid, parent.summary)
        else threadParents.set(message.tmid, true) // in the range (or nowhere): not a parent to list
      }
      const files = messageFiles(message)
      let sizes: Map<string, number | null | undefined> | undefined
      if (files.length > 0) {
        sizes = new Map()
        for (const file of files) sizes.set(file._id, await extras.storedSize(file))
      }
      const json = toJsonMessage(message, extras.archivesUploads, sizes)
      if (message.t !== undefined) json.sentence = (await extras.sentenceOf(message)) ?? undefined
      pending.add(count === 0 ? '\n' : ',\n')
      pending.add(JSON.stringify(json))
      count++
      if (pending.full) yield pending.take()
    }
  }
  const deleted = context.deleted === undefined ? '' : `,"deleted":${JSON.stringify(context.deleted)}`
  pending.add(`\n],"messageCount":${count},"users":${users.toJson()},"parents":${JSON.stringify([...parents.values()])}${deleted}}\n`)
  yield pending.take()
}
