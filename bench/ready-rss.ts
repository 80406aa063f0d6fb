/**
 * The host's memory once it is up: a fresh process with Fastify and the
 * plugin on the in-memory backend, as shipped (what only some exports need
 * loads on first use, so none of it is loaded here), its RSS at `ready()`.
 *   node bench/.build/ready-rss.mjs   (built by run.ts)
 * Prints one JSON line: { rssMb, heapUsedMb }.
 *
 * It imports nothing from the bench's other files: their corpus generators
 * would be bundled in and count in the host's memory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../index.ts'

const room = { _id: 'BENCH', t: 'c', name: 'bench' }
const user = { _id: 'bench-user', username: 'bench', name: 'Bench User', roles: ['admin'] }
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-ready-'))
const app = Fastify()
await app.register(roomsExport, {
  authenticate: async () => user,
  hasPermission: async () => true,
  canAccessRoom: async () => true,
  repository: createMemoryRepository({ rooms: [room], users: [], messages: [] }),
  // a directory of its own rather than the default one, which other processes may share
  storage: createDirectoryStorage(directory)
})
await app.ready()
const { rss, heapUsed } = process.memoryUsage()
await app.close()
await rm(directory, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify({ rssMb: Math.round(rss / 1048576), heapUsedMb: Math.round(heapUsed / 1048576) })}\n`)
