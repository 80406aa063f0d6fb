/**
 * Export throughput through the Mongo backend on FerretDB, the room beside a
 * busy neighbour room of as many messages:
 *   node bench/.build/mongo-throughput.mjs <messages> [compare]   (built by run.ts, which runs
 *   each size BENCH_MONGO_RUNS times, each in a fresh FerretDB)
 * Prints one JSON line per format: { format, messages, ms, messagesPerSecond } (`messages`: the
 * count the export reports; it fails unless that is the room's),
 * then one comparing the reads alone: the repository's one cursor against
 * Rocket.Chat's own way (offset pages of 1000 with `skip`) over the same room.
 */
import fastifyMongodb from '@fastify/mongodb'
import Fastify from 'fastify'
import { MongoClient } from 'mongodb'
import roomsExport, { createMongoRepository, hashLoginToken } from '../index.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFerretDb } from '../test/ferretdb/server.ts'
import { benchRoom, firstHour, settledExport, syntheticMessage } from './synthetic.ts'

const count = Number(process.argv[2] ?? 20_000)
// Rocket.Chat's skip pages grow with the square of the room: compared at one size only (run.ts: the smallest).
const compareWithSkip = process.argv[3] === 'compare'
const dataDirectory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-ferret-'))
// Bundled into bench/.build/ like the other measured processes (so the plugin runs as a host runs it).
const ferret = await startFerretDb(dataDirectory, fileURLToPath(new URL('../../test/ferretdb/', import.meta.url)))
const url = `mongodb://127.0.0.1:${ferret.port}/bench`
try {
  const client = await MongoClient.connect(url)
  const db = client.db()
  await db.collection('users').insertOne({ _id: 'bench-user' as never, username: 'bench', roles: ['admin'], active: true, services: { resume: { loginTokens: [{ hashedToken: hashLoginToken('bench-token') }] } } })
  await db.collection('rocketchat_permissions').insertOne({ _id: 'mail-messages' as never, roles: ['admin'] })
  await db.collection('rocketchat_room').insertOne({ ...benchRoom, _id: benchRoom._id as never })
  await db.collection('rocketchat_message').createIndex({ rid: 1, ts: 1, _updatedAt: 1 })
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => syntheticMessage(start + offset))
    // The room, and a neighbour room as busy, interleaved in time as on a real server.
    await db.collection('rocketchat_message').insertMany(batch.flatMap(({ _id, ...message }) => [
      { _id: _id as never, ...message },
      { _id: `n-${_id}` as never, ...message, rid: 'NEIGHBOUR' }
    ]))
  }

  // The reads alone: our cursor, then Rocket.Chat's offset pages (sort { ts: 1 }, skip, limit 1000).
  const readRange = { rid: benchRoom._id, from: new Date(0), to: new Date() }
  let startedAt = performance.now()
  let read = 0
  for await (const message of createMongoRepository(db).findMessages(readRange)) read += message.rid === benchRoom._id ? 1 : 0
  const cursorMs = performance.now() - startedAt
  startedAt = performance.now()
  let skipped = compareWithSkip ? 0 : count
  if (compareWithSkip) {
    for (let page = 0; ; page++) {
      const documents = await db.collection('rocketchat_message').find({ rid: benchRoom._id, _hidden: { $ne: true }, ts: { $gte: readRange.from, $lte: readRange.to } }, { sort: { ts: 1 }, skip: page * 1000, limit: 1000 }).toArray()
      skipped += documents.length
      if (documents.length < 1000) break
    }
  }
  const skipMs = performance.now() - startedAt
  if (read !== count || skipped !== count) throw new Error(`read ${read} and ${skipped} of ${count}`)
  await client.close()

  const app = Fastify()
  await app.register(fastifyMongodb, { url, forceClose: true })
  await app.register(roomsExport, { limits: { htmlMessagesPerPart: 1_000_000_000 } })
  await app.ready()
  const headers = { 'x-user-id': 'bench-user', 'x-auth-token': 'bench-token' }
  /**
   * One export, start to `done`, timed by its own clock (its job's `createdAt` → `finishedAt`);
   * its status polled four times a second, as a client would (each poll authenticates against the
   * database, which shares the two cores with the export).
   */
  const exportOnce = async (format: string, range: { dateFrom?: string, dateTo?: string } = {}) => await settledExport(app, { format, ...range }, { headers, pollMs: 250 })
  // A first export of each format over the room's first hour warms up what every process does once
  // (compiling the export's code, GridFS's indexes), so the figures are the export's own.
  for (const format of ['json', 'html']) await exportOnce(format, firstHour)
  for (const format of ['json', 'html']) {
    const { ms, messages } = await exportOnce(format)
    if (messages !== count) throw new Error(`exported ${messages} of ${count}`)
    // per message the export reports exporting (the check above makes it the room's count)
    process.stdout.write(`${JSON.stringify({ format, messages, ms: Math.round(ms), messagesPerSecond: Math.round(messages / ms * 1000) })}\n`)
  }
  await app.close()
  if (compareWithSkip) process.stdout.write(`${JSON.stringify({ format: 'reads', messages: count, cursorMs: Math.round(cursorMs), skipMs: Math.round(skipMs), ratio: Number((skipMs / cursorMs).toFixed(1)) })}\n`)
} finally {
  await ferret.stop()
  await rm(dataDirectory, { recursive: true, force: true })
}
