import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { RoomRepository, UnavailableUpload } from '../model.ts'
import { abortable, raceAbort } from './abortable.ts'
import type { ExportArchive } from './archive.ts'
import type { StallWatchdog } from './watchdog.ts'

export type PictureKind = 'avatar' | 'emoji'

/** A picture bigger than this is not archived: an avatar or an emoji is a small image (Rocket.Chat's avatars are 200 px). */
export const maxPictureBytes = 1024 * 1024
/** Names one export looks up at most (people and `:name:`s together, pictures or not); beyond, initials and `:name:` text. */
export const maxPictures = 10_000

/** The raster formats a page shows as a picture, by their first bytes. An SVG is a document that may hold script: never a picture here. */
function rasterExtension (head: Buffer): string | null {
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return 'png'
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpg'
  if (head.length >= 6 && /^GIF8[79]a$/.test(head.toString('latin1', 0, 6))) return 'gif'
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp'
  return null
}

/**
 * The archive's name of a person's avatar or an emoji, safe in every file
 * system and one per name: characters other than letters, digits, `.`, `_`
 * and `-` are escaped reversibly (`~hex~`, as uploads' ids), a leading dot
 * too; a long name is shortened with a hash of the whole.
 */
function picturePath (kind: PictureKind, name: string, extension: string): string {
  let safe = name.replace(/[^A-Za-z0-9._-]|^\./gu, (character) => `~${character.codePointAt(0)!.toString(16)}~`)
  if (safe.length > 64) safe = `${safe.slice(0, 40)}~${createHash('sha256').update(name).digest('hex').slice(0, 20)}`
  return `${kind === 'avatar' ? 'avatars' : 'emoji'}/${safe}.${extension}`
}

export interface ArchivedPicture { kind: PictureKind, name: string, path: string, bytes: number, sha256: string }
export interface MissingPicture { kind: PictureKind, name: string, reason: string }

/**
 * People's avatars and custom emoji as pictures in the archive
 * (`openAvatar`, `openCustomEmoji`). A page names a picture before the
 * archive holds it — parts are written first — so each is read once when the
 * renderer first meets its name, to learn whether it is a picture a page may
 * show (PNG, JPEG, GIF or WebP by its bytes, at most `maxPictureBytes`) and
 * so its file name; after the parts it is read again and archived. One that
 * changed or went in between is listed as missing: the page then shows the
 * initials (an avatar's picture lies over them) or the `:name:` (an emoji's
 * `alt`).
 */
export class ArchivedPictures {
  private readonly repository: Pick<RoomRepository, 'openAvatar' | 'openCustomEmoji'>
  private readonly signal: AbortSignal
  private readonly watchdog: StallWatchdog
  private readonly log: FastifyBaseLogger
  /** by kind and name (`avatar:alice`), in the order the pages named them: the picture's path, `null` when there is none to show */
  private readonly looked = new Map<string, { kind: PictureKind, name: string, path: string | null }>()
  private readonly missing: MissingPicture[] = []

  constructor (repository: Pick<RoomRepository, 'openAvatar' | 'openCustomEmoji'>, signal: AbortSignal, watchdog: StallWatchdog, log: FastifyBaseLogger) {
    this.repository = repository
    this.signal = signal
    this.watchdog = watchdog
    this.log = log
  }

  /** Whether the repository gives pictures of that kind at all. */
  reads (kind: PictureKind): boolean {
    return (kind === 'avatar' ? this.repository.openAvatar : this.repository.openCustomEmoji) !== undefined
  }

  /** The paths the pages use for `names` (`null`: show initials or the text), each looked up once. */
  readonly pathsOf = async (kind: PictureKind, names: readonly string[]): Promise<(string | null)[]> => {
    const paths: (string | null)[] = []
    for (const name of names) {
      const key = `${kind}:${name}`
      let looked = this.looked.get(key)
      if (looked === undefined) {
        if (this.looked.size >= maxPictures || !this.reads(kind)) {
          paths.push(null)
          continue
        }
        const read = await this.read(kind, name)
        looked = { kind, name, path: typeof read === 'string' || read === null ? null : picturePath(kind, name, read.extension) }
        this.looked.set(key, looked)
        if (typeof read === 'string') this.missing.push({ kind, name, reason: read })
      }
      paths.push(looked.path)
    }
    return paths
  }

  /**
   * The picture's bytes and type; `null` when the repository has none (no
   * picture: nothing to report), or why it cannot be shown. Only a failure
   * of the export itself (an abort, a stall) is thrown: a picture is never
   * worth failing an export for.
   */
  private async read (kind: PictureKind, name: string): Promise<{ extension: string, bytes: Buffer } | string | null> {
    const { signal, watchdog } = this
    const open = kind === 'avatar' ? this.repository.openAvatar!.bind(this.repository) : this.repository.openCustomEmoji!.bind(this.repository)
    const stage = `the ${kind === 'avatar' ? 'avatar of' : 'emoji'} ${JSON.stringify(name)}`
    let stream: NodeJS.ReadableStream | UnavailableUpload | null
    try {
      watchdog.waitingOn(stage)
      stream = await raceAbort(Promise.resolve().then(async () => await open(name)), signal, (late) => { (late as { destroy?: () => void } | null)?.destroy?.() })
    } catch (err) {
      signal.throwIfAborted()
      this.log.warn({ err, [kind]: name }, `rooms.export: opening ${stage} failed`)
      return 'could not be opened'
    }
    if (stream === null) return null
    if ('unavailable' in stream) return stream.unavailable.slice(0, 300)
    const chunks: Buffer[] = []
    let bytes = 0
    try {
      for await (const chunk of abortable(stream as AsyncIterable<Buffer>, signal, { stage, watchdog })) {
        bytes += chunk.length
        if (bytes > maxPictureBytes) return `larger than ${maxPictureBytes} bytes`
        chunks.push(chunk)
      }
    } catch (err) {
      signal.throwIfAborted()
      this.log.warn({ err, [kind]: name }, `rooms.export: reading ${stage} failed`)
      return 'could not be read'
    } finally {
      (stream as { destroy?: () => void }).destroy?.()
    }
    const content = Buffer.concat(chunks)
    const extension = rasterExtension(content)
    return extension === null ? 'not a PNG, JPEG, GIF or WebP image' : { extension, bytes: content }
  }

  /** Every picture a page names, read again and archived; what the archive does not hold after all, listed. */
  async archive (archive: ExportArchive): Promise<{ included: ArchivedPicture[], missing: MissingPicture[] }> {
    const included: ArchivedPicture[] = []
    for (const { kind, name, path } of this.looked.values()) {
      if (path === null) continue
      const read = await this.read(kind, name)
      if (read === null || typeof read === 'string' || !path.endsWith(`.${read.extension}`)) {
        this.missing.push({ kind, name, reason: read === null ? 'gone since the page named it' : typeof read === 'string' ? read : 'changed type since the page named it' })
        continue
      }
      // Stored as they are: PNG, JPEG, GIF and WebP are compressed already.
      const digest = await archive.addBuffer(path, read.bytes, { compress: false })
      included.push({ kind, name, path, bytes: digest.bytes, sha256: digest.sha256 })
    }
    return { included, missing: this.missing }
  }
}
