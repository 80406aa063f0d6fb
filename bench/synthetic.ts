import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import roomsExport, { createDirectoryStorage, type ExportMessage, type FileRef, type MarkdownTree, type RoomRepository, type RoomsExportOptions } from '../index.ts'
import { png } from '../example/pictures.ts'
import { realisticText } from './texts.ts'

export const benchRoom = { _id: 'BENCH', t: 'c', name: 'bench', fname: 'Bench room', topic: 'synthetic' }
export const benchUser = { _id: 'bench-user', username: 'bench', name: 'Bench User', roles: ['admin'] }

const words = ['deploy', 'review', 'lunch', 'build', 'release', 'meeting', 'ticket', 'merge', 'coffee', 'incident', 'notes', 'plan']

/** The n-th message of a synthetic room: realistic sizes and fields, made on demand; every text different (it holds its number). */
export function syntheticMessage (index: number): ExportMessage {
  const text = `${Array.from({ length: 8 + (index % 17) }, (_, word) => words[(index * 7 + word * 3) % words.length]).join(' ')} ${index}`
  const message: ExportMessage = {
    _id: `m${index.toString(36).padStart(8, '0')}`,
    rid: benchRoom._id,
    ts: new Date(Date.UTC(2024, 0, 1) + index * 30_000),
    msg: index % 50 === 0 ? `${text}\n<b>markup</b> & "quotes"` : text,
    u: { _id: `u${index % 40}`, username: `user${index % 40}`, name: `User ${index % 40}` }
  }
  if (index % 20 === 0) message.reactions = { ':+1:': { usernames: ['user1', 'user2'] } }
  if (index % 33 === 0 && index >= 5) message.tmid = `m${(index - 5).toString(36).padStart(8, '0')}`
  // As in Rocket.Chat, a thread's first message counts its replies.
  if ((index + 5) % 33 === 0) message.tcount = 1
  return message
}

export type Corpus = 'plain' | 'rich' | 'rich-no-md'

/**
 * Texts of the rich corpus: about 30 % of its messages carry markup, mentions,
 * emoji, links or code, each text different (`bench/texts.ts`: a numbered
 * template per kind). The `rich` corpus carries the tree Rocket.Chat stores
 * (`md`), made by the generator as the host's database would hand it over
 * (the baseline pays for it too); the `rich-no-md` corpus has none, so the
 * export parses.
 */
let parseMarkup: ((text: string) => MarkdownTree | null) | null = null

/**
 * Loads the parser for the rich corpus's trees, before its first message: a
 * plain-corpus host carries none on its main thread, as the plugin does not
 * load it there when the worker renders.
 */
export async function prepareCorpus (corpus: Corpus): Promise<void> {
  if (corpus !== 'rich' || parseMarkup !== null) return
  parseMarkup = (await import('../lib/markup/parser.ts')).parseMarkup
}
const systemKinds = ['uj', 'ul', 'au', 'ru', 'room_changed_topic', 'subscription-role-added', 'user-muted', 'message_pinned', 'room-archived', 'livechat-started']

/**
 * The n-th message of the rich corpus: Rocket.Chat-shaped, with markup, quotes, threads, uploads,
 * system messages — and, with `extras`, 1 % code blocks in JavaScript, 1 % formulas and 1 % custom emoji.
 */
export function richMessage (index: number, withMd: boolean, extras = true): ExportMessage {
  const message = syntheticMessage(index)
  delete message.tmid
  const kind = index % 100
  if (kind < 30) {
    const text = realisticText(index)
    message.msg = text
    if (withMd) {
      if (parseMarkup === null) throw new Error('prepareCorpus() before the rich corpus\'s first message')
      message.md = parseMarkup(text) ?? undefined
    }
    const mentioned = /@(user\d+)/.exec(text)?.[1]
    if (mentioned !== undefined) message.mentions = [{ _id: mentioned.replace('user', 'u'), username: mentioned, name: mentioned.replace('user', 'User ') }]
  } else if (kind < 33) {
    message.t = systemKinds[index % systemKinds.length]
    message.msg = message.t === 'room_changed_topic' ? 'Quarterly planning' : `user${index % 40}`
    if (message.t === 'subscription-role-added') message.role = 'moderator'
  } else if (kind === 40) {
    const parentId = `m${(index - 10).toString(36).padStart(8, '0')}`
    message.msg = `[ ](https://chat.example.com/channel/bench?msg=${parentId}) agreed`
    message.attachments = [{ author_name: 'User 9', message_link: `https://chat.example.com/channel/bench?msg=${parentId}`, text: 'shall we *ship* it?', ts: new Date(message.ts.getTime() - 300_000) }]
  } else if (kind === 50) {
    const fileId = `file${index}`
    message.msg = ''
    message.file = { _id: fileId, name: `chart-${index}.png`, type: 'image/png', size: uploadBytes }
    message.files = [message.file]
    message.attachments = [{ title: `chart-${index}.png`, title_link: `/file-upload/${fileId}/chart-${index}.png`, image_url: `/file-upload/${fileId}/chart-${index}.png`, image_type: 'image/png', type: 'file' }]
  } else if (kind === 60) {
    message.urls = [{ url: 'https://news.example.com/story', title: 'Big story', description: 'What happened today' }]
    message.msg = 'worth a read https://news.example.com/story'
  } else if (kind === 80 && extras) {
    // a code block naming its language: highlighted on the page (within the export's budget)
    message.msg = `\`\`\`js\nconst total${index} = items.filter((item) => item.id > ${index}).length\nconsole.log(total${index})\n\`\`\``
  } else if (kind === 81 && extras) {
    message.msg = `the rate is $\\frac{${index}}{${index % 97 + 1}}$ per hour`
  } else if (kind === 82 && extras) {
    message.msg = `shipped ${index} :party_parrot:`
    message.reactions = { ':party_parrot:': { usernames: [`user${index % 40}`] } }
  } else if (kind >= 70 && kind < 74) {
    // a thread: the parent (70) and its replies (71–73)
    if (kind === 70) message.tcount = 3
    else message.tmid = `m${(index - (kind - 70)).toString(36).padStart(8, '0')}`
  }
  if (withMd && kind >= 80 && kind <= 82 && extras) message.md = parseMarkup!(message.msg) ?? undefined
  return message
}

/** The n-th message of a corpus; `extras`: the rich corpora's code, formulas, custom emoji and avatars. */
export function corpusMessage (corpus: Corpus, index: number, extras = true): ExportMessage {
  return corpus === 'plain' ? syntheticMessage(index) : richMessage(index, corpus === 'rich', extras)
}

/** The size every upload of the rich corpora claims, and the repository serves. */
const uploadBytes = 48_213

let uploadBuffer: Buffer | null = null
/**
 * The bytes of every upload: a PNG signature, then pseudo-random bytes (a
 * real PNG's compressed pixels do not deflate either), made on first use (a
 * plain-corpus process never holds them) — they are streamed into each
 * archive, so one buffer serves them all.
 */
function uploadContent (): Buffer {
  if (uploadBuffer !== null) return uploadBuffer
  const bytes = Buffer.alloc(uploadBytes)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  let state = 0x9e3779b9
  for (let offset = 8; offset < bytes.length; offset++) {
    // xorshift32: the same bytes in every run
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[offset] = state & 0xff
  }
  uploadBuffer = bytes
  return bytes
}

/** Whether `file` is one of the uploads the first `count` messages of a rich corpus carry, in the bench room. */
function isUpload (file: FileRef, rid: string, count: number): boolean {
  const index = Number(/^file(\d+)$/.exec(file._id)?.[1] ?? Number.NaN)
  return rid === benchRoom._id && index < count && index % 100 === 50
}

const partyParrot = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

/**
 * A repository that generates `count` messages as they are read: memory holds none of them. The
 * rich corpora's serve their uploads (`openFile`, `fileSize`: the size each message claims), so
 * their file exports archive them as a host's would; with `extras` they also give avatars — three
 * people in four have one, a 200 px PNG of their own colour — and the custom emoji `:party_parrot:`.
 */
export function syntheticRepository (count: number, corpus: Corpus = 'plain', extras = true): RoomRepository {
  const pictures = corpus !== 'plain' && extras
  // Drawn here, before any export: a host's store serves stored bytes (drawing the 30 on request took ~0.4 s of each export).
  const avatars = new Map(pictures ? Array.from({ length: 40 }, (_, number) => [`user${number}`, number % 4 === 0 ? null : png(200, 200, () => [number * 6, 120, 255 - number * 6])]) : [])
  return {
    ...(corpus === 'plain'
      ? {}
      : {
          async openFile (file: FileRef, rid: string) { return isUpload(file, rid, count) ? Readable.from([uploadContent()]) : null },
          async fileSize (file: FileRef, rid: string) { return isUpload(file, rid, count) ? uploadBytes : null }
        }),
    ...(pictures
      ? {
          async openAvatar (username: string) {
            const picture = avatars.get(username)
            return picture === undefined || picture === null ? null : Readable.from([picture])
          },
          async openCustomEmoji (name: string) { return name === 'party_parrot' ? Readable.from([partyParrot]) : null }
        }
      : {}),
    async findRoomById (rid) { return rid === benchRoom._id ? benchRoom : null },
    async * findMessages ({ from, to }) {
      for (let index = 0; index < count; index++) {
        const message = corpusMessage(corpus, index, extras)
        if (message.ts >= from && message.ts <= to) yield message
      }
    },
    async * findMessagesByIds () {},
    async findUsersByUsernames () { return [] }
  }
}

/**
 * A host whose every request is the bench user, exporting `count` synthetic messages into
 * `directory`; `pluginOptions` over the bench's (e.g. `renderInWorker: false`).
 */
export async function benchApp (count: number, directory: string, corpus: Corpus = 'plain', extras = true, pluginOptions: Partial<RoomsExportOptions> = {}): Promise<FastifyInstance> {
  await prepareCorpus(corpus)
  const app = Fastify()
  app.get('/ping', async () => ({ pong: true }))
  await app.register(roomsExport, {
    authenticate: async () => benchUser,
    hasPermission: async () => true,
    canAccessRoom: async () => true,
    repository: syntheticRepository(count, corpus, extras),
    storage: createDirectoryStorage(directory),
    // one user runs the responsiveness bench's four exports at once
    limits: { htmlMessagesPerPart: 1_000_000_000, concurrentExportsPerUser: 4 },
    ...pluginOptions
  })
  return app
}

/** The first hour of a synthetic room (120 messages): what a warm-up export covers. */
export const firstHour = { dateFrom: '2024-01-01T00:00:00.000Z', dateTo: '2024-01-01T01:00:00.000Z' }

/**
 * Starts a file export of the bench room through `app` and polls its status
 * every `pollMs` until it settles: resolves with its messages, bytes and
 * time by its own clock (its job's `createdAt` → `finishedAt`, so the poll's
 * interval does not count); throws with its reason when it failed.
 */
export async function settledExport (app: FastifyInstance, payload: object, { headers = {}, pollMs }: { headers?: Record<string, string>, pollMs: number }): Promise<{ messages: number, bytes: number, ms: number }> {
  const { exportId } = (await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: { rid: benchRoom._id, type: 'file', ...payload } })).json()
  for (;;) {
    const status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers })).json().export
    if (status.status === 'failed') throw new Error(status.error)
    if (status.status === 'done') return { messages: status.messages, bytes: status.bytes, ms: Date.parse(status.finishedAt) - Date.parse(status.createdAt) }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
