import Fastify from 'fastify'
import metricsPlugin from 'fastify-metrics'
import { Registry } from 'prom-client'
import t from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportStorage, type RoomRepository } from '../index.ts'
import { heldRepository, hostHooks, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, dave, fixtureData, general } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'

/** The plugin's lines of a Prometheus text exposition, sorted (`# HELP`/`# TYPE` left out, buckets and sums too). */
function ours (exposition: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith('rooms_export_') && !/_bucket\{|_sum\{/.test(line)).sort()
}

t.test('with fastify-metrics, sharing its registry: a done, a failed, a cancelled and a refused export, and an email export, as /metrics shows them', async (t) => {
  const smtp = await startSmtpServer(t)
  const directory = await temporaryDirectory(t)
  const memory = createMemoryRepository(fixtureData())
  const held = heldRepository(memory)
  // Dave's exports wait until released; alice's run at once.
  const repository: RoomRepository = { ...memory, findMessages: (query) => gatedFor === 'dave' ? held.repository.findMessages(query) : memory.findMessages(query) }
  let gatedFor = 'nobody'
  let failWrites = false
  const storage = createDirectoryStorage(directory)
  const flaky: ExportStorage = { ...storage, write: async (key, source) => { if (failWrites) throw new Error('disk full'); await storage.write(key, source) } }
  const app = Fastify()
  t.teardown(() => app.close())
  // A CommonJS module: its plugin is the export named default.
  await app.register(metricsPlugin.default, { endpoint: '/metrics', defaultMetrics: { enabled: false } })
  await app.register(roomsExport, { ...hostHooks(), repository, storage: flaky, mailer: { transport: smtp.transport, from: 'exports@chat.example' }, metrics: { registry: app.metrics.client.register } })
  await app.ready()

  const done = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' })).json().exportId
  const doneStatus = await waitForExport(app, alice, done)
  failWrites = true
  const failed = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json().exportId
  t.equal((await waitForExport(app, alice, failed)).export.status, 'failed')
  failWrites = false
  gatedFor = 'dave'
  const cancelled = (await postExport(app, dave, { rid: general._id, type: 'file', format: 'html' })).json().exportId
  await held.reading
  t.equal((await postExport(app, dave, { rid: general._id, type: 'file', format: 'html' })).statusCode, 429, 'refused: dave\'s one slot is taken')
  const running = ours((await app.inject({ url: '/metrics' })).body)
  t.ok(running.includes('rooms_export_running 1'), 'one running')
  await app.inject({ method: 'POST', url: '/api/v1/rooms.export.cancel', headers: authHeaders(dave), payload: { exportId: cancelled } })
  held.release()
  gatedFor = 'nobody'
  t.match((await app.inject({ url: `/api/v1/rooms.export.status?exportId=${cancelled}`, headers: authHeaders(dave) })).json().export, { status: 'cancelled' })
  const mailed = await postExport(app, alice, { rid: general._id, type: 'email', toEmails: ['someone@example.com'], dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  t.equal(mailed.statusCode, 200)

  // The counts follow the statuses by a moment: the cancelled run is still cleaning up.
  t.ok(await eventually(async () => ours((await app.inject({ url: '/metrics' })).body).includes('rooms_export_running 0')))
  const scrape = await app.inject({ url: '/metrics' })
  t.equal(scrape.statusCode, 200)
  const lines = ours(scrape.body)
  t.same(lines, [
    'rooms_export_bytes_total{type="email",format="html"} 0',
    `rooms_export_bytes_total{type="file",format="json"} ${doneStatus.export.bytes}`,
    'rooms_export_duration_seconds_count{type="email",format="html"} 1',
    'rooms_export_duration_seconds_count{type="file",format="html"} 2',
    'rooms_export_duration_seconds_count{type="file",format="json"} 1',
    'rooms_export_exports_total{type="email",format="html",outcome="done"} 1',
    'rooms_export_exports_total{type="file",format="html",outcome="cancelled"} 1',
    'rooms_export_exports_total{type="file",format="html",outcome="failed"} 1',
    'rooms_export_exports_total{type="file",format="html",outcome="refused"} 1',
    'rooms_export_exports_total{type="file",format="json",outcome="done"} 1',
    `rooms_export_messages_total{type="file",format="json"} ${doneStatus.export.messages}`,
    'rooms_export_messages_total{type="email",format="html"} 7',
    'rooms_export_running 0'
  ].sort())
})

t.test('two registrations on one registry share the metrics; a registry that is none, or unknown keys, are refused', async (t) => {
  const registry = new Registry()
  for (let index = 0; index < 2; index++) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(await temporaryDirectory(t)), metrics: { registry } })
    await app.ready()
    await waitForExport(app, alice, (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId)
  }
  t.ok(await eventually(async () => (await registry.metrics()).includes('rooms_export_exports_total{type="file",format="json",outcome="done"} 2')), 'both registrations count in the one metric')
  for (const [metrics, message] of [
    [{ registry: {} }, 'option "metrics.registry" must be a prom-client Registry'],
    [{ registry, extra: 1 }, 'unknown option "metrics.extra"'],
    ['prom', 'option "metrics" must be an object: { registry }']
  ] as const) {
    const app = Fastify()
    t.teardown(() => app.close())
    const registering = (async () => {
      await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), metrics: metrics as never })
      await app.ready()
    })()
    await t.rejects(registering, { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: `fastify-rooms-export: ${message}` })
  }
})
