import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import { createInterface, type Interface } from 'node:readline'
import type { Readable } from 'node:stream'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type RoomsExportOptions } from '../index.ts'
import { heldRepository, hostHooks, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, fixtureDataWithMore, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

/** What #general holds on the 21st–22nd in the fixture, before a process adds its own messages. */
const fixtureMessages = 7

interface Instance {
  child: ChildProcessByStdio<null, Readable, null>
  lines: Interface
  next: () => Promise<Record<string, any>>
}

/** `test/helpers/directory-instance.ts` in a process of its own; killed at the end of the test if still running. */
function startInstance (t: Test, directory: string, extraMessages: number, delayMs: number, hangAfter = 0, env: NodeJS.ProcessEnv = process.env): Instance {
  const child = spawn(process.execPath, [...process.execArgv, new URL('./helpers/directory-instance.ts', import.meta.url).pathname, directory, String(extraMessages), String(delayMs), String(hangAfter)], { stdio: ['ignore', 'pipe', 'inherit'], env })
  t.teardown(() => {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  })
  const lines = createInterface({ input: child.stdout })
  const iterator = lines[Symbol.asyncIterator]()
  return { child, lines, next: async () => JSON.parse((await iterator.next()).value as string) as Record<string, any> }
}

/** A server in this test's process on the same directory and data as the instances (300 more messages), with a one-second instance timeout. */
async function neighbour (t: Test, directory: string, options: RoomsExportOptions = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureDataWithMore(300)), storage: createDirectoryStorage(directory), ...options, limits: { instanceTimeoutMs: 1000, ...options.limits } })
  await app.ready()
  return app
}

async function statusOf (app: Awaited<ReturnType<typeof neighbour>>, exportId: string) {
  return (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })).json()
}

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('a process exporting slowly while another starts and sweeps on the same directory: done, and every process answers for it', async (t) => {
  const directory = await temporaryDirectory(t)
  // 300 messages 10 ms apart: the export runs three instance timeouts and more.
  const exporter = startInstance(t, directory, 300, 10)
  const { exportId } = await exporter.next()
  const other = await neighbour(t, directory)
  const seen = new Set<string>()
  let settled
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(100)) {
    settled = await statusOf(other, exportId)
    seen.add(settled.export.status)
    if (settled.export.status === 'done' || settled.export.status === 'failed') break
  }
  t.same([...seen].filter((status) => status !== 'queued'), ['running', 'done'], 'the other process saw it run, then end: it never took it over')
  t.same(settled, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'done', messages: fixtureMessages + 300, total: fixtureMessages + 300, progress: 1, bytes: settled.export.bytes, createdAt: settled.export.createdAt, finishedAt: settled.export.finishedAt }
  })
  const own = await exporter.next()
  t.same(own, { status: settled, messageCount: fixtureMessages + 300 }, 'the exporting process reads the same')
  const download = await other.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 200, 'downloaded from the process that did not run it')
  t.equal(download.rawPayload.length, settled.export.bytes)
  t.same(await storedFiles(directory), [`${exportId}.zip`], 'one zip, no partial')
  if (exporter.child.exitCode === null) await once(exporter.child, 'exit')
  t.equal(exporter.child.exitCode, 0)
})

t.test('a process killed (SIGKILL) mid-export: after the instance timeout another runs it again, and only its zip stays', async (t) => {
  const directory = await temporaryDirectory(t)
  const doomed = startInstance(t, directory, 300, 0, 100)
  const { exportId } = await doomed.next()
  t.ok(await eventually(async () => (await storedFiles(directory)).includes(`${exportId}.zip.partial`), 20_000), 'the doomed attempt is writing its zip')
  const other = await neighbour(t, directory)
  await sleep(1500)
  t.match((await statusOf(other, exportId)).export, { status: 'running' }, 'a live owner is left alone, however long the other process watches')
  doomed.child.kill('SIGKILL')
  await once(doomed.child, 'exit')
  const done = await waitForExport(other, alice, exportId, '/api/v1', 30_000)
  t.same(done, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'done', messages: fixtureMessages + 300, total: fixtureMessages + 300, progress: 1, bytes: done.export.bytes, createdAt: done.export.createdAt, finishedAt: done.export.finishedAt, attempt: 2 }
  })
  const zip = await readZip((await other.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload)
  t.equal((JSON.parse(zip.get('manifest.json')!.toString()) as { messageCount: number }).messageCount, fixtureMessages + 300, 'every message, once')
  t.same(await storedFiles(directory), [`${exportId}-2.zip`], 'the killed attempt\'s partial is gone')
})

t.test('a process killed mid-export, no attempts left: another fails the job and removes what it stored', async (t) => {
  const directory = await temporaryDirectory(t)
  const doomed = startInstance(t, directory, 300, 0, 100)
  const { exportId } = await doomed.next()
  t.ok(await eventually(async () => (await storedFiles(directory)).includes(`${exportId}.zip.partial`), 20_000))
  doomed.child.kill('SIGKILL')
  await once(doomed.child, 'exit')
  const other = await neighbour(t, directory, { limits: { exportAttempts: 1 } })
  const failed = await waitForExport(other, alice, exportId, '/api/v1', 30_000)
  t.same(failed, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'failed', messages: failed.export.messages, bytes: 0, createdAt: failed.export.createdAt, finishedAt: failed.export.finishedAt, error: 'the server running this export stopped' }
  })
  t.ok(await eventually(async () => (await storedFiles(directory)).length === 0, 20_000), 'no zip, no partial')
})

t.test('a process stopped (SIGSTOP) longer than the instance timeout is alive: nobody takes its job, which ends done when it goes on', async (t) => {
  const directory = await temporaryDirectory(t)
  const paused = startInstance(t, directory, 200, 5)
  const { exportId } = await paused.next()
  const other = await neighbour(t, directory)
  t.ok(await eventually(async () => (await statusOf(other, exportId)).export.status === 'running', 20_000))
  paused.child.kill('SIGSTOP')
  // Its heartbeat goes stale; its pid still runs on this host.
  await sleep(3000)
  t.match((await statusOf(other, exportId)).export, { status: 'running' })
  t.same((await readdir(directory)).filter((name) => name.endsWith('.claim')), [], 'not even claimed')
  paused.child.kill('SIGCONT')
  const { status } = await paused.next()
  t.match(status.export, { status: 'done', messages: fixtureMessages + 200 })
  t.equal(status.export.attempt, undefined, 'its first attempt')
  t.ok(await eventually(async () => JSON.stringify(await statusOf(other, exportId)) === JSON.stringify(status)), 'the other process reads the same')
})

t.test('two registrations in one process share a directory: the second leaves the first one\'s running export alone', async (t) => {
  const directory = await temporaryDirectory(t)
  const held = heldRepository(createMemoryRepository(fixtureData()))
  const first = await neighbour(t, directory, { repository: held.repository })
  const { exportId } = (await postExport(first, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await held.reading
  const second = await neighbour(t, directory)
  await sleep(2000)
  t.match((await statusOf(second, exportId)).export, { status: 'running' })
  held.release()
  const done = await waitForExport(first, alice, exportId)
  t.match(done.export, { status: 'done' })
  t.equal(done.export.attempt, undefined)
  // The other registration reads the record, written a moment after the status of the one that ran it.
  t.ok(await eventually(async () => JSON.stringify(await statusOf(second, exportId)) === JSON.stringify(done)), 'the other registration reads the same')
})

t.test('parallel processes on the default directory (several test files at once, cluster workers): every export completes', async (t) => {
  // The default directory is under os.tmpdir(): TMPDIR points it into this test's own directory.
  const tmp = await temporaryDirectory(t)
  const instances: Instance[] = []
  for (let index = 0; index < 3; index++) {
    // 300 messages 10 ms apart: each starts (and sweeps) while the ones before it export.
    instances.push(startInstance(t, 'default', 300, 10, 0, { ...process.env, TMPDIR: tmp }))
    await instances[index]!.next()
  }
  for (const instance of instances) {
    const { status, messageCount } = await instance.next()
    t.match(status.export, { status: 'done', messages: fixtureMessages + 300 })
    t.equal(messageCount, fixtureMessages + 300)
  }
  const [defaultDirectory] = await readdir(tmp)
  t.match(defaultDirectory, /^fastify-rooms-export-\d+$/)
})
