/**
 * A server in a process of its own, on a directory storage that the test's
 * process (or other such processes) shares: it starts a JSON file export of
 * #general (the fixture's messages and `extraMessages` more on the 21st,
 * `delayMs` apart) as alice, prints `{"exportId":…}` on a line, waits for the
 * export and prints `{"status":…,"messageCount":…}` (the downloaded zip's
 * manifest), then closes and exits. With `hangAfter` > 0 it reads no further
 * than that message, until it is killed or stopped.
 *
 * Usage: node --import=tsx test/helpers/directory-instance.ts <directory | default> <extraMessages> <delayMs> <hangAfter>
 * (`default`: no `storage` option, so the plugin's default directory under `os.tmpdir()`.)
 */
import Fastify from 'fastify'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../../index.ts'
import { hostHooks } from './app.ts'
import { postExport, waitForExport } from './exports.ts'
import { alice, authHeaders, fixtureDataWithMore, general } from './fixtures.ts'
import { readZip } from './zip.ts'

const [directory, extraMessages, delayMs, hangAfter] = process.argv.slice(2)
const memory = createMemoryRepository(fixtureDataWithMore(Number(extraMessages)))
const app = Fastify()
await app.register(roomsExport, {
  ...hostHooks(),
  repository: {
    ...memory,
    async * findMessages (query) {
      let read = 0
      for await (const stored of memory.findMessages(query)) {
        yield stored
        if (++read === Number(hangAfter)) await new Promise(() => {})
        await new Promise((resolve) => setTimeout(resolve, Number(delayMs)))
      }
    }
  },
  ...(directory === 'default' ? {} : { storage: createDirectoryStorage(directory!) }),
  limits: { instanceTimeoutMs: 1000 }
})
await app.ready()
const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' })
process.stdout.write(`${JSON.stringify(started.json())}\n`)
const { exportId } = started.json() as { exportId: string }
const settled = await waitForExport(app, alice, exportId, '/api/v1', 120_000)
let messageCount: number | null = null
if (settled.export.status === 'done') {
  const zip = await readZip((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload)
  messageCount = (JSON.parse(zip.get('manifest.json')!.toString()) as { messageCount: number }).messageCount
}
process.stdout.write(`${JSON.stringify({ status: settled, messageCount })}\n`)
await app.close()
