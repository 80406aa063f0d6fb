import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage, type RoomsExportOptions } from '../index.ts'
import { createDateLabels } from '../lib/time/locale.ts'
import { buildApp, capturingLogger, heldRepository, hostHooks, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, general, message } from './helpers/fixtures.ts'
import { richRoom, richRoomData } from './helpers/rich-room.ts'
import { readZip } from './helpers/zip.ts'

/** Threads of this process: the HTML render worker is one while it runs. */
async function threadCount (): Promise<number> {
  return Number(/^Threads:\s+(\d+)$/m.exec(await readFile('/proc/self/status', 'utf8'))![1])
}

/** An export's HTML entries with its export time (ISO and label) replaced, to compare two exports of the same messages. */
async function htmlEntries (zip: Buffer): Promise<Record<string, string>> {
  const entries = await readZip(zip)
  const { exportedAt } = JSON.parse(entries.get('manifest.json')!.toString()) as { exportedAt: string }
  const label = createDateLabels('en', 'UTC').dateTime(new Date(exportedAt))
  const pages: Record<string, string> = {}
  for (const [name, content] of entries) {
    if (name.endsWith('.html')) pages[name] = content.toString().replaceAll(exportedAt, 'EXPORTED-AT').replaceAll(label, 'EXPORTED-AT-LABEL')
  }
  return pages
}

const richRequest = { rid: richRoom._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' }

t.test('an HTML export renders in a worker thread: the same pages, byte for byte, as on the main thread', async (t) => {
  const inWorker = await buildApp(t, { limits: { htmlMessagesPerPart: 60 } }, richRoomData())
  const onMainThread = await buildApp(t, { limits: { htmlMessagesPerPart: 60 }, renderInWorker: false }, richRoomData())
  const pages = await htmlEntries(await exportToZip(inWorker, alice, richRequest))
  t.same(Object.keys(pages), ['rich.html', 'rich-2.html', 'index.html'])
  t.same(pages, await htmlEntries(await exportToZip(onMainThread, alice, richRequest)))
})

t.test('the stored sizes of a batch\'s uploads go to the worker with the batch: asked for before it renders, each once, the pages as on the main thread', async (t) => {
  /** The rich room, its upload `vid-1` not stored (a size of null); `asked`: the repository's lookups, in order. */
  const sizing = (asked: string[]): Partial<RoomsExportOptions> => {
    const memory = createMemoryRepository(richRoomData())
    return {
      limits: { htmlMessagesPerPart: 60 },
      repository: {
        ...memory,
        fileSize: async (file, rid) => {
          asked.push(`size of ${file._id}`)
          return file._id === 'vid-1' ? null : await memory.fileSize!(file, rid)
        },
        findUsersByUsernames: async (usernames) => {
          asked.push('names')
          return await memory.findUsersByUsernames(usernames)
        }
      }
    }
  }
  const askedByWorker: string[] = []
  const askedOnMainThread: string[] = []
  const inWorker = await buildApp(t, sizing(askedByWorker), richRoomData())
  const onMainThread = await buildApp(t, { ...sizing(askedOnMainThread), renderInWorker: false }, richRoomData())
  const pages = await htmlEntries(await exportToZip(inWorker, alice, richRequest))
  t.same(pages, await htmlEntries(await exportToZip(onMainThread, alice, richRequest)))
  t.match(pages['rich.html'], /demo\.mp4/)
  // The main thread asks as it renders; the worker's sizes came with the batch, before its first name.
  t.same(askedOnMainThread, ['names', 'size of img-1', 'size of vid-1', 'names', 'names'])
  t.same(askedByWorker, ['size of img-1', 'size of vid-1', 'names', 'names', 'names'])
})

t.test('the worker runs while its export does, and stops with it', async (t) => {
  const data = fixtureData()
  const held = heldRepository(createMemoryRepository(data))
  const app = await buildApp(t, { repository: held.repository }, data)
  await exportToZip(await buildApp(t), alice, { rid: general._id, type: 'file', format: 'html' }) // the thread pool and timers exist from now on
  const before = await threadCount()
  const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })
  await held.reading
  t.ok(await threadCount() > before, 'a thread more while the export reads its messages')
  held.release()
  t.equal((await waitForExport(app, alice, started.json().exportId)).export.status, 'done')
  t.ok(await eventually(async () => await threadCount() === before), 'the worker is gone once the export is done')
})

t.test('close() during an HTML export stops its worker', async (t) => {
  const data = fixtureData()
  const held = heldRepository(createMemoryRepository(data))
  const directory = await temporaryDirectory(t)
  await exportToZip(await buildApp(t), alice, { rid: general._id, type: 'file', format: 'html' }) // the thread pool and timers exist from now on
  const before = await threadCount()
  const app = Fastify()
  await app.register(roomsExport, { ...hostHooks(), repository: held.repository, storage: createDirectoryStorage(directory) })
  await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })
  await held.reading
  await app.close()
  t.ok(await eventually(async () => await threadCount() === before), 'no thread left behind')
  t.same(await storedFiles(directory), [], 'nothing stored')
})

/** A file export of `messages` in the general room; resolves with its settled status and what storage holds. */
async function exportOf (t: Test, messages: ExportMessage[], options: RoomsExportOptions = {}, timeoutMs?: number) {
  const data = { ...fixtureData(), messages }
  const directory = await temporaryDirectory(t)
  const app = await buildApp(t, { storage: createDirectoryStorage(directory), ...options }, data)
  const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  const status = await waitForExport(app, alice, started.json().exportId, undefined, timeoutMs)
  return { app, status, stored: await storedFiles(directory) }
}

t.test('the host\'s translate answers the worker from the main thread; one that throws fails the export', async (t) => {
  const joined = message(general._id, '2024-03-21T10:00:00Z', 'bob', { t: 'uj', u: { _id: 'u-bob', username: 'bob', name: 'Bob' } })
  const translated = await exportOf(t, [joined], { translate: (key, _vars, language) => key === 'User_joined_the_channel' ? `ist beigetreten (${language})` : undefined })
  t.equal(translated.status.export.status, 'done')
  const zip = (await translated.app.inject({ url: `/api/v1/rooms.export.download?exportId=${translated.status.export._id}`, headers: authHeaders(alice) })).rawPayload
  t.match((await readZip(zip)).get('general.html')!.toString(), 'Bob ist beigetreten (en)')

  const failing = await exportOf(t, [joined], { translate: () => { throw new Error('no dictionary') } })
  t.same(failing.status.export.status, 'failed')
  t.equal(failing.status.export.error, 'export failed: the host\'s translate failed')
  t.same(failing.stored, [])
})

t.test('a thread parent the repository cannot read fails the export, naming the repository', async (t) => {
  const reply = message(general._id, '2024-03-21T10:00:00Z', 'a reply', { tmid: 'parent-before-the-range' })
  const repository = createMemoryRepository({ ...fixtureData(), messages: [reply] })
  repository.findMessagesByIds = async function * () { throw new Error('parents unavailable') }
  const { status, stored } = await exportOf(t, [reply], { repository })
  t.equal(status.export.status, 'failed')
  t.equal(status.export.error, 'export failed: the repository failed')
  t.same(stored, [])
})

t.test('what a host\'s record carries besides a message\'s fields never goes to the worker: a function there costs nothing', async (t) => {
  const odd = { ...message(general._id, '2024-03-21T10:00:00Z', 'odd one'), format: () => 'not data', editedBy: { _id: 'u', username: 'bob', at: () => 1 } } as unknown as ExportMessage
  t.throws(() => structuredClone(odd), 'the record itself cannot cross threads')
  const { status, stored } = await exportOf(t, [odd])
  t.equal(status.export.status, 'done')
  t.equal(stored.length, 1)
})

t.test('a message whose render outgrows the worker\'s heap limit fails its export, and the server goes on', async (t) => {
  // A stored tree of eight million bold words, all one node (as little memory here as structured
  // cloning shares with the worker): their markup, ~280 MB of text, floods the worker's heap.
  const bold = { type: 'BOLD', value: [{ type: 'PLAIN_TEXT', value: 'a' }] }
  const flood = { ...message(general._id, '2024-03-21T10:00:00Z', 'flood'), md: [{ type: 'PARAGRAPH', value: new Array(8 << 20).fill(bold) }] }
  await exportToZip(await buildApp(t), alice, { rid: general._id, type: 'file', format: 'html' }) // the thread pool and timers exist from now on
  const before = await threadCount()
  const { app, status, stored } = await exportOf(t, [flood], {}, 120_000)
  t.equal(status.export.status, 'failed')
  t.equal(status.export.error, 'export failed: the HTML render worker failed (ERR_WORKER_OUT_OF_MEMORY)')
  t.same(stored, [], 'nothing stored')
  t.ok(await eventually(async () => await threadCount() === before), 'no thread left behind')
  const zip = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' })
  t.ok((await readZip(zip)).has('general.json'), 'the next export runs')
})

// Last in this file: a worker started after a t.mockImport() in the same process waits for ever on
// tap's module loader (measured: the next export's worker never came up).
t.test('without the worker\'s file (a host bundled into one file) HTML renders on the main thread, and the log says so', async (t) => {
  const { default: bundled } = await t.mockImport<typeof import('../index.ts')>('../index.ts', {
    '../lib/render/html-worker.ts': { htmlWorkerAvailable: false, renderHtmlPartsInWorker: () => { throw new Error('not in a bundle') } }
  })
  const { logger, lines } = capturingLogger('warn')
  const directory = await temporaryDirectory(t)
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(bundled, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory) })
  await app.ready()
  t.same(lines.map((line) => line.msg), ['rooms.export: the HTML render worker (html-worker-thread.js) is not beside the plugin\'s code — bundled into one file? HTML exports render on the main thread; see the README, "Bundling"'])
  const zip = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  t.ok((await readZip(zip)).has('general.html'))
})
