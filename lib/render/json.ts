import type { ExportMessage, MessageAttachment } from '../model.ts'
import type { ExportContext, JsonMessage } from '../schemas.ts'
import { isKnownTime } from '../stored-message.ts'
import { pauseIfSliceSpent } from './slices.ts'
import { assetPath, attachedUploadId, messageFiles } from './uploads.ts'

/** Renderers hand text downstream in strings of about this many characters. */
export const renderChunkSize = 64 * 1024

type JsonAttachment = NonNullable<JsonMessage['attachments']>[number]

/** What the JSON export adds to what is stored: the sentence of a system message, the archive path of an upload. */
export interface JsonExtras {
  /** the readable sentence of a system message (`null` for an ordinary one) */
  sentenceOf: (message: ExportMessage) => Promise<string | null>
  /** uploads are in the archive's `assets/` (file exports of a repository that can open them) */
  archivesUploads: boolean
}

/**
 * The JSON export: one valid document, streamed a message per line, in the
 * shape of `ExportDocumentSchema`. Authors and the exporter carry id, username
 * and name only — never email addresses. `md` is included as stored (a tree
 * the export parsed itself is not: it is the parser's, not the message's).
 */
export function toJsonMessage (message: ExportMessage, archivesUploads = false): JsonMessage {
  // A time the export cannot show (see `readStoredMessage`) is left out: `ts` stays in its place, undefined.
  const json: JsonMessage = {
    _id: message._id,
    rid: message.rid,
    ts: isKnownTime(message.ts) ? message.ts.toISOString() : undefined,
    msg: message.t === 'e2e' ? '' : message.msg,
    u: person(message.u)
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
    json.files = files.map((file) => withoutUndefined({ _id: file._id, name: file.name, type: file.type, size: file.size, path: assets.get(file._id) }))
  }
  if (message.history !== undefined) {
    json.history = message.history.map(({ msg, md, editedAt, editedBy }) => withoutUndefined({ msg, md: md as unknown[] | undefined, editedAt: editedAt.toISOString(), editedBy }))
  }
  return json
}

const noAssets: ReadonlyMap<string, string> = new Map()

function person (user: { _id: string, username: string, name?: string }): JsonMessage['u'] {
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

/** `messages` in batches (arrays), as `exportableMessages` reads them. */
export async function * renderJsonDocument (context: ExportContext, messages: AsyncIterable<readonly ExportMessage[]> | Iterable<readonly ExportMessage[]>, extras: JsonExtras): AsyncGenerator<string> {
  const head = {
    room: context.room,
    range: context.range,
    exportedAt: context.exportedAt,
    exportedBy: context.exportedBy
  }
  // Messages are gathered into ~64 KB strings: one hand-off downstream per chunk, not per message.
  let pending = `${JSON.stringify(head).slice(0, -1)},"messages":[`
  let count = 0
  for await (const batch of messages) {
    for (const message of batch) {
      const pause = pauseIfSliceSpent()
      if (pause !== undefined) await pause
      const json = toJsonMessage(message, extras.archivesUploads)
      if (message.t !== undefined) json.sentence = (await extras.sentenceOf(message)) ?? undefined
      pending += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(json)}`
      count++
      if (pending.length >= renderChunkSize) {
        yield pending
        pending = ''
      }
    }
  }
  const deleted = context.deleted === undefined ? '' : `,"deleted":${JSON.stringify(context.deleted)}`
  yield `${pending}\n],"messageCount":${count}${deleted}}\n`
}
