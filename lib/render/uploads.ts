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
 * Extensions a browser opening the file from disk (`file://`, where the
 * extension alone decides the type) shows as an image, a sound, a video, a
 * PDF or text, or saves — never as a page that runs script, whatever the
 * content. Checked in Chromium (test/export-inert.test.ts: each of these
 * holding an HTML page with script).
 */
const inertExtensions = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico', 'avif',
  'mp3', 'm4a', 'ogg', 'oga', 'opus', 'wav', 'flac', 'mp4', 'm4v', 'webm', 'mov',
  'pdf', 'txt', 'csv', 'json', 'zip', 'gz', 'docx', 'xlsx', 'pptx'
])
/** Raster images: what a page may show inline (an SVG is a document, with script). */
const imageExtensions = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico', 'avif'])
/** Extensions of documents that run script when opened. */
const activeExtensions = new Set(['svg', 'svgz', 'html', 'htm', 'shtml', 'xhtml', 'xht', 'xml', 'xsl', 'xslt', 'js', 'mjs', 'cjs', 'mht', 'mhtml', 'hta'])
/** Declared types of documents that run script when a browser opens them. */
const activeType = /^\s*(?:text\/html|application\/xhtml\+xml|image\/svg\+xml|(?:text|application)\/xml|[\w.-]+\/[\w.-]+\+xml|(?:text|application)\/(?:x-)?(?:java|ecma)script|multipart\/related|message\/rfc822)\s*(?:;|$)/i

function extensionOf (name: string): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** The name an upload is archived under, reduced to safe characters (at most 100). */
function safeName (file: FileRef): string {
  return file.name.replace(/[^A-Za-z0-9._-]/gu, '_').replace(/^\.+/, '_').slice(0, 100) || 'file'
}

/**
 * Whether an upload is of a type that runs script when opened — by its
 * name or its declared type (`uploadSniffsActive` judges its content): the
 * page links it for saving (`download`), never to be opened, and the manifest
 * marks it.
 */
export function isActiveUpload (file: FileRef): boolean {
  return activeExtensions.has(extensionOf(file.name)) || activeType.test(file.type ?? '')
}

const audioExtensions = new Set(['mp3', 'm4a', 'ogg', 'oga', 'opus', 'wav', 'flac'])
const videoExtensions = new Set(['mp4', 'm4v', 'webm', 'mov'])

/** The player a page may show an upload in: a sound or a video by its (archived, inert) name and its declared type. */
export function inlineMediaOf (file: FileRef, declaredType: string): 'audio' | 'video' | null {
  const extension = extensionOf(safeName(file))
  const type = declaredType.toLowerCase()
  if (isActiveUpload(file)) return null
  if (audioExtensions.has(extension) && type.startsWith('audio/')) return 'audio'
  if (videoExtensions.has(extension) && type.startsWith('video/')) return 'video'
  return null
}

/** Whether a page may show the upload as an image: a raster image by name and by declared type. */
export function isInlineImage (file: FileRef, declaredType: string): boolean {
  return imageExtensions.has(extensionOf(safeName(file))) && declaredType.toLowerCase().startsWith('image/') && !isActiveUpload(file)
}

/**
 * Archive-internal name of an upload, safe in every file system and unique
 * per file id: the id is escaped reversibly (`a/b` → `a~2f~b`, `a_b` stays; `~` itself is escaped),
 * and an id too long for that is shortened with a hash of the whole id.
 * An upload whose extension is not one of `inertExtensions` — an SVG, a
 * page, a script, or a name a browser would have to guess the type of (and
 * may guess HTML) — is stored as text (`….svg.txt`): opened from the
 * extracted archive it shows its source. The page's link saves it under its
 * own name.
 */
export function assetPath (file: FileRef): string {
  let id = file._id.replace(/[^A-Za-z0-9._-]/gu, (character) => `~${character.codePointAt(0)!.toString(16)}~`)
  if (id.length > 64) id = `${id.slice(0, 40)}~${createHash('sha256').update(file._id).digest('hex').slice(0, 20)}`
  const name = safeName(file)
  return `assets/${id}-${name}${inertExtensions.has(extensionOf(name)) ? '' : '.txt'}`
}

/** Formats that are compressed already: deflating them again costs time and saves nothing. */
const compressedExtensions = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'mp3', 'm4a', 'ogg', 'oga', 'opus', 'flac', 'mp4', 'm4v', 'webm', 'mov', 'zip', 'gz', 'docx', 'xlsx', 'pptx'])

/** Whether an upload is stored in the zip as it is (its format compresses already) rather than deflated. */
export function isCompressedAlready (file: FileRef): boolean {
  return compressedExtensions.has(extensionOf(safeName(file)))
}

/** Whether an upload is archived under another name than its own (see `assetPath`): its link then says which name to save it as. */
export function isStoredAsText (file: FileRef): boolean {
  return !inertExtensions.has(extensionOf(safeName(file)))
}

/**
 * What a browser's sniffing (WHATWG MIME Sniffing, "rules for identifying an
 * unknown MIME type") would take for a page, an SVG or XML: the first bytes
 * of an upload, after white space and a byte-order mark.
 */
export function uploadSniffsActive (head: Uint8Array): boolean {
  const text = Buffer.from(head.subarray(0, 512)).toString('latin1').replace(/^(?:\xef\xbb\xbf|\xfe\xff|\xff\xfe)/, '').trimStart().toLowerCase()
  return /^(?:<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<body|<br|<p|<!--)[ >]/.test(text) ||
    text.startsWith('<?xml') || /^<svg[\s>]/.test(text)
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
