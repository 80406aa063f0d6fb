/**
 * Messages written to be slow (what froze the host with Rocket.Chat's parser),
 * each export in a fresh process as the first a host would run:
 *   tsx bench/pathological.ts
 * - an email export of ten messages whose text and attachment description are
 *   each 5,000 `*` (9.8 s in one stretch of the event loop before), twice: its
 *   answer time and the longest a 5 ms timer waited meanwhile;
 * - file exports, HTML and JSON, of eight messages of 100 KB delimiter soups.
 * Prints JSON lines.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { SMTPServer } from 'smtp-server'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage } from '../index.ts'
import { withLongestLoopGap } from './loop-gap.ts'
import { benchRoom, benchUser, settledExport } from './synthetic.ts'

const soups = ['*', '_', '~', '`', '[', 'a_', '<t:', '_*~']
const author = { _id: 'u1', username: 'user1', name: 'User 1' }
const messageAt = (hour: number, index: number, msg: string, extra: Partial<ExportMessage> = {}): ExportMessage =>
  ({ _id: `m${hour}-${index}`, rid: benchRoom._id, ts: new Date(Date.UTC(2024, 0, 1, hour, index)), msg, u: author, ...extra })

const stars = '*'.repeat(5000)
const mailMessages = Array.from({ length: 10 }, (_, index) => messageAt(10, index, stars, { attachments: [{ title: 'notes', title_link: 'https://example.com/notes', description: stars }] }))
const soupMessages = soups.map((unit, index) => messageAt(12, index, unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000)))

// A mail server that takes each mail without parsing it (parsing is not the export's work).
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData (stream, _session, callback) { stream.resume(); stream.on('end', () => { callback() }) }
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-'))
const app = Fastify()
await app.register(roomsExport, {
  authenticate: async () => benchUser,
  hasPermission: async () => true,
  canAccessRoom: async () => true,
  repository: createMemoryRepository({ rooms: [benchRoom], users: [], messages: [...mailMessages, ...soupMessages].sort((a, b) => a.ts.getTime() - b.ts.getTime()) }),
  storage: createDirectoryStorage(directory),
  mailer: { transport: { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port, secure: false, ignoreTLS: true }, from: 'exports@example.com' }
})
await app.ready()

const mailRange = { dateFrom: '2024-01-01T10:00:00.000Z', dateTo: '2024-01-01T10:09:00.000Z' }
/** One email export, timed, under a 5 ms timer whose longest wait is how long the event loop was held. */
async function timedMail (): Promise<{ ms: number, longestGapMs: number }> {
  const start = performance.now()
  const { result: mail, longestGapMs } = await withLongestLoopGap(async () => await app.inject({ method: 'POST', url: '/api/v1/rooms.export', payload: { rid: benchRoom._id, type: 'email', toEmails: ['boss@example.com'], ...mailRange } }))
  const ms = performance.now() - start
  if (mail.statusCode !== 200) throw new Error(`the email export answered ${mail.statusCode}: ${mail.body}`)
  return { ms: Math.round(ms), longestGapMs: Math.round(longestGapMs) }
}
// The process's first export also loads the templates and the parser, and V8 compiles the parser
// as it runs; the second is what every later one costs.
for (const run of ['first', 'second']) process.stdout.write(`${JSON.stringify({ export: 'email', run, messages: mailMessages.length, ...await timedMail() })}\n`)

for (const format of ['html', 'json']) {
  const { messages, ms } = await settledExport(app, { format, dateFrom: '2024-01-01T12:00:00.000Z', dateTo: '2024-01-01T12:59:59.999Z' }, { pollMs: 20 })
  process.stdout.write(`${JSON.stringify({ export: format, messages, ms })}\n`)
}
await app.close()
await new Promise<void>((resolve) => server.close(() => { resolve() }))
await rm(directory, { recursive: true, force: true })
