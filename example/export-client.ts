/**
 * A client of the demo server (`npm start` in another terminal): starts a file
 * export of GENERAL, draws its progress from the status's `progress` and
 * `total` while it polls, then downloads the zip. `--cancel` cancels it at
 * about half way instead, and lists the admin's exports.
 *
 * Usage: npm run demo:client [-- --cancel]
 */
import { writeFile } from 'node:fs/promises'

const base = `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? '3000'}/api/v1`
const headers = { 'x-user-id': 'demo-admin', 'x-auth-token': 'demo-admin-token', 'content-type': 'application/json' }
const cancelHalfWay = process.argv.includes('--cancel')

async function call (path: string, body?: object): Promise<any> {
  const response = await fetch(`${base}/${path}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const answer = await response.json()
  if (answer.success !== true) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`)
  return answer
}

/** `[##########..........]  50 %   1,500 / 3,000 messages` */
function bar ({ progress, messages, total, status }: { progress?: number, messages: number, total?: number, status: string }): string {
  const filled = Math.round((progress ?? 0) * 20)
  const percent = progress === undefined ? '  ?' : String(Math.floor(progress * 100)).padStart(3)
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${percent} %  ${messages.toLocaleString('en')} / ${total?.toLocaleString('en') ?? '?'} messages  ${status}`
}

const { exportId } = await call('rooms.export', { rid: 'GENERAL', type: 'file', format: 'html', timezone: 'Europe/Berlin' })
process.stdout.write(`export ${exportId} started\n`)
let status
for (;;) {
  ({ export: status } = await call(`rooms.export.status?exportId=${exportId}`))
  process.stdout.write(`\r${bar(status)}`)
  if (cancelHalfWay && (status.progress ?? 0) >= 0.5 && status.status === 'running') {
    await call('rooms.export.cancel', { exportId })
    continue
  }
  if (!['queued', 'running'].includes(status.status)) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
process.stdout.write('\n')
if (status.status === 'done') {
  const zip = await fetch(`${base}/rooms.export.download?exportId=${exportId}`, { headers })
  await writeFile('export.zip', Buffer.from(await zip.arrayBuffer()))
  process.stdout.write(`downloaded export.zip (${status.bytes.toLocaleString('en')} bytes)\n`)
} else {
  process.stdout.write(`the export ended ${status.status}${status.error === undefined ? '' : `: ${status.error}`}\n`)
}
const { exports, total } = await call('rooms.export.list?count=5')
process.stdout.write(`your ${total} exports, newest first:\n${exports.map((entry: any) => `  ${entry._id}  ${entry.createdAt}  ${entry.status}`).join('\n')}\n`)
