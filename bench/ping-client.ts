/**
 * The responsiveness bench's client, in a process of its own as a real
 * client is: pings GET /ping on 127.0.0.1:<port> one request after another,
 *   node ping-client.mjs <port> [count]
 * `count` pings, or (without it) until a line arrives on stdin. Prints one
 * JSON line: the latencies in ms.
 */
import { request } from 'node:http'

const port = Number(process.argv[2])
const count = process.argv[3] === undefined ? Infinity : Number(process.argv[3])
const state = { stopped: false }
process.stdin.once('data', () => { state.stopped = true })
if (count !== Infinity) process.stdin.destroy()

const ping = async (): Promise<number> => {
  const startedAt = performance.now()
  await new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/ping' }, (response) => { response.resume(); response.on('end', resolve) }).on('error', reject).end()
  })
  return performance.now() - startedAt
}
const latencies: number[] = []
while (!state.stopped && latencies.length < count) latencies.push(await ping())
// Exits once the line is out: a pipe takes 64 KB at a time, and the latencies are more.
process.stdout.write(`${JSON.stringify(latencies.map((ms) => Math.round(ms * 1000) / 1000))}\n`, () => process.exit(0))
