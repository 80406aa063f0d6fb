/**
 * Latency of another route while exports run, against the same route idle:
 *   tsx bench/responsiveness.ts <messages> [exports]
 * Starts `exports` (default 4) HTML exports of <messages> each at once and
 * pings GET /ping until all are done. Prints one JSON line:
 * { idleMedianMs, idleP99Ms, idleMaxMs, busyMedianMs, busyP99Ms, busyMaxMs, loopDelayP99Ms, loopDelayMaxMs, requests }.
 */
import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { benchApp, benchRoom } from './synthetic.ts'

const count = Number(process.argv[2] ?? 200_000)
const exports = Number(process.argv[3] ?? 4)
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-'))
const app = await benchApp(count, directory)
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as { port: number }

const ping = async (): Promise<number> => {
  const startedAt = performance.now()
  await new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/ping' }, (response) => { response.resume(); response.on('end', resolve) }).on('error', reject).end()
  })
  return performance.now() - startedAt
}
const percentile = (values: number[], fraction: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * fraction))]

const idle: number[] = []
// 2,000 idle pings: with a few hundred, p99 is the third-slowest, and one hiccup of the machine moves it several-fold.
for (let index = 0; index < 2000; index++) idle.push(await ping())

const loop = monitorEventLoopDelay({ resolution: 5 })
loop.enable()
const exportIds: string[] = []
for (let index = 0; index < exports; index++) {
  const started = await fetch(`http://127.0.0.1:${port}/api/v1/rooms.export`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rid: benchRoom._id, type: 'file', format: 'html' }) })
  exportIds.push(((await started.json()) as { exportId: string }).exportId)
}
const busy: number[] = []
for (;;) {
  busy.push(await ping())
  if (busy.length % 20 === 0) {
    const statuses = await Promise.all(exportIds.map(async (exportId) => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/rooms.export.status?exportId=${exportId}`)).json()) as { export: { status: string } }).export.status))
    if (statuses.every((status) => status === 'done' || status === 'failed')) break
  }
}
loop.disable()
await app.close()
await rm(directory, { recursive: true, force: true })
const round = (value: number) => Math.round(value * 100) / 100
process.stdout.write(`${JSON.stringify({
  idleMedianMs: round(percentile(idle, 0.5)),
  idleP99Ms: round(percentile(idle, 0.99)),
  idleMaxMs: round(Math.max(...idle)),
  busyMedianMs: round(percentile(busy, 0.5)),
  busyP99Ms: round(percentile(busy, 0.99)),
  busyMaxMs: round(Math.max(...busy)),
  loopDelayP99Ms: round(loop.percentile(99) / 1e6),
  loopDelayMaxMs: round(loop.max / 1e6),
  requests: busy.length
})}\n`)
