import { createHash } from 'node:crypto'
import type { ZoneClock } from '../time/zones.ts'
import type { ExportMessage, FileRef } from '../model.ts'
import { messageFiles } from './json.ts'
import { systemSentence } from './system-messages.ts'

/**
 * Plain objects for the Handlebars templates: Handlebars refuses prototype
 * getters, and precomputing here keeps logic out of the templates. Every
 * string stays raw — the templates escape with `{{ }}`.
 */
export interface MessageView {
  id: string
  anchor: string
  isoTime: string
  /** wall-clock day (YYYY-MM-DD) and time in the export's timezone */
  day: string
  time: string
  /** set by the page renderer on the first message of each day */
  dayHeading: string | null
  authorName: string
  username: string
  text: string
  system: string | null
  threadParentAnchor: string | null
  replyCount: number | null
  edited: { isoTime: string, label: string, by: string } | null
  pinned: boolean
  reactions: { emoji: string, count: number, usernames: string }[]
  attachments: { title: string | null, href: string | null, imageHref: string | null, description: string | null, text: string | null }[]
  files: { name: string, href: string, size: string | null }[]
}

const allowedSchemes = new Set(['http:', 'https:', 'mailto:'])

/** A link from a message is kept only when it is http(s) or mailto; anything else (javascript:, data:, relative) loses its href. */
export function safeHref (value: string | undefined): string | null {
  if (value === undefined) return null
  try {
    return allowedSchemes.has(new URL(value).protocol) ? value : null
  } catch {
    return null
  }
}

/**
 * Archive-internal name of an upload, safe in every file system and unique
 * per file id: the id is escaped reversibly (`a/b` → `a~2f~b`, `a_b` stays; `~` itself is escaped),
 * and an id too long for that is shortened with a hash of the whole id.
 * The name only has to be readable.
 */
export function assetPath (file: FileRef): string {
  let id = file._id.replace(/[^A-Za-z0-9._-]/gu, (character) => `~${character.codePointAt(0)!.toString(16)}~`)
  if (id.length > 64) id = `${id.slice(0, 40)}~${createHash('sha256').update(file._id).digest('hex').slice(0, 20)}`
  const name = file.name.replace(/[^A-Za-z0-9._-]/gu, '_').replace(/^\.+/, '_').slice(0, 100)
  return `assets/${id}-${name || 'file'}`
}

export function localLabel (clock: ZoneClock, instant: Date): string {
  const { day, time } = clock(instant)
  return `${day} ${time}`
}

export function anchorOf (messageId: string): string {
  return `m-${messageId.replace(/[^A-Za-z0-9_-]/g, '_')}`
}

function humanSize (bytes: number | undefined): string | null {
  if (bytes === undefined) return null
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function toMessageView (message: ExportMessage, clock: ZoneClock): MessageView {
  const { day, time } = clock(message.ts)
  return {
    id: message._id,
    anchor: anchorOf(message._id),
    isoTime: message.ts.toISOString(),
    day,
    time,
    dayHeading: null,
    authorName: message.u.name ?? message.u.username,
    username: message.u.username,
    text: message.msg,
    system: systemSentence(message),
    threadParentAnchor: message.tmid === undefined ? null : anchorOf(message.tmid),
    replyCount: message.tcount ?? null,
    edited: message.editedAt === undefined
      ? null
      : { isoTime: message.editedAt.toISOString(), label: localLabel(clock, message.editedAt), by: message.editedBy?.username ?? message.u.username },
    pinned: message.pinned === true,
    reactions: Object.entries(message.reactions ?? {}).map(([emoji, reaction]) => ({
      emoji,
      count: reaction.usernames.length,
      usernames: reaction.usernames.join(', ')
    })),
    attachments: (message.attachments ?? []).map((attachment) => ({
      title: attachment.title ?? null,
      href: safeHref(attachment.title_link),
      imageHref: safeHref(attachment.image_url),
      description: attachment.description ?? null,
      text: attachment.text ?? null
    })),
    files: messageFiles(message).map((file) => ({ name: file.name, href: assetPath(file), size: humanSize(file.size) }))
  }
}
