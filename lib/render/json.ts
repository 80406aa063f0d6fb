import type { ExportMessage } from '../model.ts'
import type { ExportContext, JsonMessage } from '../schemas.ts'

/** Renderers hand text downstream in strings of about this many characters. */
export const renderChunkSize = 64 * 1024

/**
 * The JSON export: one valid document, streamed a message per line, in the
 * shape of `ExportDocumentSchema`. Authors and the exporter carry id, username
 * and name only — never email addresses.
 */
export function toJsonMessage (message: ExportMessage): JsonMessage {
  const json: JsonMessage = {
    _id: message._id,
    rid: message.rid,
    ts: message.ts.toISOString(),
    msg: message.msg,
    u: person(message.u)
  }
  if (message.t !== undefined) json.t = message.t
  if (message.tmid !== undefined) json.tmid = message.tmid
  if (message.tcount !== undefined) json.tcount = message.tcount
  if (message.editedAt !== undefined) json.editedAt = message.editedAt.toISOString()
  if (message.editedBy !== undefined) json.editedBy = { _id: message.editedBy._id, username: message.editedBy.username }
  if (message.pinned !== undefined) json.pinned = message.pinned
  if (message.reactions !== undefined) {
    json.reactions = Object.fromEntries(Object.entries(message.reactions)
      .map(([emoji, reaction]) => [emoji, { usernames: [...reaction.usernames] }]))
  }
  if (message.attachments !== undefined) json.attachments = message.attachments.map(pickAttachment)
  const files = messageFiles(message)
  if (files.length > 0) json.files = files.map(({ _id, name, type, size }) => withoutUndefined({ _id, name, type, size }))
  return json
}

function person (user: { _id: string, username: string, name?: string }): JsonMessage['u'] {
  return withoutUndefined({ _id: user._id, username: user.username, name: user.name })
}

function pickAttachment (attachment: NonNullable<ExportMessage['attachments']>[number]): NonNullable<JsonMessage['attachments']>[number] {
  const { title, title_link: titleLink, image_url: imageUrl, type, description, text } = attachment
  return withoutUndefined({ title, title_link: titleLink, image_url: imageUrl, type, description, text })
}

function withoutUndefined<T extends object> (value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key]
  }
  return value
}

/** `file` and `files` together, each upload once. */
export function messageFiles (message: ExportMessage): NonNullable<ExportMessage['files']> {
  const all = message.files === undefined ? [] : [...message.files]
  if (message.file !== undefined && !all.some((file) => file._id === message.file?._id)) all.unshift(message.file)
  return all
}

export async function * renderJsonDocument (context: ExportContext, messages: AsyncIterable<ExportMessage> | Iterable<ExportMessage>): AsyncGenerator<string> {
  const head = {
    room: context.room,
    range: context.range,
    exportedAt: context.exportedAt,
    exportedBy: context.exportedBy
  }
  // Messages are gathered into ~64 KB strings: one hand-off downstream per chunk, not per message.
  let pending = `${JSON.stringify(head).slice(0, -1)},"messages":[`
  let count = 0
  for await (const message of messages) {
    pending += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(toJsonMessage(message))}`
    count++
    if (pending.length >= renderChunkSize) {
      yield pending
      pending = ''
    }
  }
  yield `${pending}\n],"messageCount":${count}}\n`
}
