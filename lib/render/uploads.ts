import { createHash } from 'node:crypto'
import type { ExportMessage, FileRef, MessageAttachment } from '../model.ts'

const noFiles: readonly FileRef[] = Object.freeze([])

/** `file` and `files` together, each upload once (one shared empty list for the many messages without). */
export function messageFiles (message: ExportMessage): readonly FileRef[] {
  if (message.file === undefined && message.files === undefined) return noFiles
  const all = message.files === undefined ? [] : [...message.files]
  if (message.file !== undefined && !all.some((file) => file._id === message.file?._id)) all.unshift(message.file)
  return all
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

/** Rocket.Chat's own upload URLs (`/file-upload/<id>/<name>`, absolute or not) name the upload they show. */
function uploadIdOf (url: string | undefined): string | null {
  const match = url === undefined ? null : /\/file-upload\/([^/?#]+)\//.exec(url)
  if (match === null) return null
  try {
    return decodeURIComponent(match[1])
  } catch {
    return match[1]
  }
}

/**
 * The upload of the message an attachment shows — Rocket.Chat describes each
 * upload again as an attachment whose link, image, audio or video URL is the
 * upload's — or `null` when it shows none of `isUpload`'s. Both formats match
 * attachments to uploads this one way.
 */
export function attachedUploadId (attachment: MessageAttachment, isUpload: (id: string) => boolean): string | null {
  for (const url of [attachment.title_link, attachment.image_url, attachment.audio_url, attachment.video_url]) {
    const id = uploadIdOf(url)
    if (id !== null && isUpload(id)) return id
  }
  return null
}
