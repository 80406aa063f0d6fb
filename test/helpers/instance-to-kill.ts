/**
 * A server instance in a process of its own, for a test to SIGKILL mid-export:
 * it starts a file export of GENERAL as admin, prints `{"exportId":…}` on a
 * line, and reads no further than message `stopAfter` — the export stays
 * running, its zip partly stored — until it is killed. With the format
 * `takeover` it starts nothing: it prints `{"ready":true}` and, with a
 * one-second instance timeout, takes over a stopped instance's export, which
 * stops the same way.
 *
 * Usage: node --import=tsx test/helpers/instance-to-kill.ts <mongodb url> <stopAfter> <json|html|takeover>
 */
import fastifyMongodb from '@fastify/mongodb'
import Fastify from 'fastify'
import { MongoClient } from 'mongodb'
import roomsExport, { createMongoRepository } from '../../index.ts'
import { rcHeaders, rcUsers } from './rocketchat.ts'

const [url, stopAfter, format] = process.argv.slice(2)
const client = await MongoClient.connect(url!)
const repository = createMongoRepository(client.db(), { countMessages: true })
const app = Fastify()
await app.register(fastifyMongodb, { url: url!, forceClose: true })
await app.register(roomsExport, {
  repository: {
    ...repository,
    async * findMessages (query) {
      let read = 0
      for await (const message of repository.findMessages(query)) {
        yield message
        if (++read === Number(stopAfter)) await new Promise(() => {})
      }
    }
  },
  limits: format === 'takeover' ? { instanceTimeoutMs: 1000 } : {}
})
await app.ready()
if (format === 'takeover') {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
  await new Promise(() => {})
}
const started = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: rcHeaders(rcUsers.admin), payload: { rid: 'GENERAL', type: 'file', format } })
process.stdout.write(`${JSON.stringify(started.json())}\n`)
