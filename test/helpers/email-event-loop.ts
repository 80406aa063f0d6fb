/**
 * Run by test/email-limits.test.ts in a process of its own, without the
 * coverage instrumentation (which triples the parser's time): an email export
 * of ten messages slow to parse (5,000 `*` in each text and description),
 * once to warm up, then three times under a 5 ms timer. Prints one JSON line:
 * each export's answer, the longest the timer waited during each, the bytes
 * of each mail the server took.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { SMTPServer } from 'smtp-server'
import { withLongestLoopGap } from '../../bench/loop-gap.ts'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../../index.ts'
import { hostHooks } from './app.ts'
import { alice, fixtureData, general, message, tokenOf } from './fixtures.ts'

const [directory] = process.argv.slice(2)
const stars = '*'.repeat(5000)
const messages = Array.from({ length: 10 }, (_, index) => message(general._id, `2024-03-21T10:0${index}:00Z`, stars, {
  attachments: [{ title: 'notes', title_link: 'https://example.com/notes', description: stars }]
}))
// A server that takes each mail without parsing it: parsing ~300 KB of MIME in this process would
// be a stretch of work of its own, not the export's.
const delivered: number[] = []
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData (stream, _session, callback) {
    let bytes = 0
    stream.on('data', (chunk: Buffer) => { bytes += chunk.length })
    stream.on('end', () => { delivered.push(bytes); callback() })
  }
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const transport = { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port, secure: false, ignoreTLS: true }
const app = Fastify()
await app.register(roomsExport, {
  ...hostHooks(),
  repository: createMemoryRepository({ ...fixtureData(), messages }),
  storage: createDirectoryStorage(directory),
  mailer: { transport, from: 'Chat exports <exports@chat.example>' }
})
const exportByEmail = async () => (await app.inject({
  method: 'POST',
  url: '/api/v1/rooms.export',
  headers: { 'x-user-id': alice._id, 'x-auth-token': tokenOf(alice) },
  payload: { rid: general._id, type: 'email', dateFrom: '2024-03-21', dateTo: '2024-03-21' }
})).json()

// The first mail loads what a process loads once (Handlebars' runtime, the parser, the templates)
// and lets V8 compile the parser: that is not the export's work.
const answers = [await exportByEmail()]
const longestGaps: number[] = []
for (let attempt = 0; attempt < 3; attempt++) {
  const { result, longestGapMs } = await withLongestLoopGap(exportByEmail)
  answers.push(result)
  longestGaps.push(longestGapMs)
}
await app.close()
await new Promise<void>((resolve) => server.close(() => { resolve() }))
process.stdout.write(`${JSON.stringify({ answers, longestGaps, delivered })}\n`)
