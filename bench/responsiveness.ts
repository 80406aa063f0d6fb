/**
 * Latency of another route while exports run, against the same route idle:
 *   node bench/.build/responsiveness.mjs <messages> [exports]
 * Starts `exports` (default 4) HTML exports of <messages> each at once while
 * a client in another process (`ping-client.ts`, as a real client is) pings
 * GET /ping until all are done. Prints one JSON line:
 * { idleMedianMs, idleP99Ms, idleMaxMs, busyMedianMs, busyP99Ms, busyMaxMs, idleLoopDelayP99Ms, loopDelayP99Ms, loopDelayMaxMs, requests }
 * (the loop delay as `monitorEventLoopDelay` records it: the whole interval of its 5 ms timer).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { benchApp, benchRoom, firstHour, settledExport } from './synthetic.ts'

const count = Number(process.argv[2] ?? 200_000)
const exports = Number(process.argv[3] ?? 4)
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-'))
const app = await benchApp(count, directory)
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as { port: number }

/** Runs the client for `times` pings, or until `until` settles; resolves with its latencies. */
async function pings (times: number | null, until: Promise<unknown> = Promise.resolve()): Promise<number[]> {
  const client = spawn(process.execPath, [new URL('./ping-client.mjs', import.meta.url).pathname, String(port), ...(times === null ? [] : [String(times)])], { stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  client.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = once(client, 'exit')
  if (times === null) {
    await until
    client.stdin.end('stop\n')
  }
  await exited
  return JSON.parse(output) as number[]
}
const percentile = (values: number[], fraction: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * fraction))]

// A first small export warms up what a running server has done long before (compiling the export's code),
// so neither phase measures a process's first minute.
await settledExport(app, { format: 'html', ...firstHour }, { pollMs: 20 })

// 2,000 idle pings: with a few hundred, p99 is the third-slowest, and one hiccup of the machine moves it several-fold.
const idleLoop = monitorEventLoopDelay({ resolution: 5 })
idleLoop.enable()
const idle = await pings(2000)
idleLoop.disable()

const loop = monitorEventLoopDelay({ resolution: 5 })
loop.enable()
const exportIds: string[] = []
for (let index = 0; index < exports; index++) {
  const started = await fetch(`http://127.0.0.1:${port}/api/v1/rooms.export`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rid: benchRoom._id, type: 'file', format: 'html' }) })
  exportIds.push(((await started.json()) as { exportId: string }).exportId)
}
const allFinished = (async () => {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const statuses = await Promise.all(exportIds.map(async (exportId) => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/rooms.export.status?exportId=${exportId}`)).json()) as { export: { status: string, messages: number, error?: string } }).export))
    if (statuses.every(({ status }) => status === 'done' || status === 'failed')) return statuses
  }
})()
const busy = await pings(null, allFinished)
loop.disable()
// Latencies beside exports that failed or fell short would be latencies beside less work.
for (const { status, messages, error } of await allFinished) {
  if (status !== 'done' || messages !== count) throw new Error(`an export beside the pings ended ${status} with ${messages} of ${count} messages${error === undefined ? '' : `: ${error}`}`)
}
await app.close()
await rm(directory, { recursive: true, force: true })
const round = (value: number) => Math.round(value * 100) / 100
process.stdout.write(`${JSON.stringify({
  idleMedianMs: round(percentile(idle, 0.5)),
  idleP99Ms: round(percentile(idle, 0.99)),
  idleMaxMs: round(idle.reduce((top, value) => Math.max(top, value), 0)),
  busyMedianMs: round(percentile(busy, 0.5)),
  busyP99Ms: round(percentile(busy, 0.99)),
  busyMaxMs: round(busy.reduce((top, value) => Math.max(top, value), 0)),
  idleLoopDelayP99Ms: round(idleLoop.percentile(99) / 1e6),
  loopDelayP99Ms: round(loop.percentile(99) / 1e6),
  loopDelayMaxMs: round(loop.max / 1e6),
  requests: busy.length
})}\n`)
