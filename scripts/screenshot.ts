// Renders the rich demo room (test/helpers/rich-room.ts) as an HTML export, opens it
// from disk in Debian's Chromium and saves docs/export-light.png and docs/export-dark.png.
// Run: npm run screenshot
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { chromium } from 'playwright-core'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../index.ts'
import { hostHooks } from '../test/helpers/app.ts'
import { alice, authHeaders } from '../test/helpers/fixtures.ts'
import { richRoom, richRoomData } from '../test/helpers/rich-room.ts'
import { readZip } from '../test/helpers/zip.ts'

const work = await mkdtemp(join(tmpdir(), 'rooms-export-screenshot-'))
await mkdir(join(work, 'storage'), { mode: 0o700 })
const app = Fastify()
await app.register(roomsExport, {
  repository: createMemoryRepository(richRoomData()),
  storage: createDirectoryStorage(join(work, 'storage')),
  ...hostHooks()
})
const started = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: authHeaders(alice), payload: { rid: richRoom._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' } })
const { exportId } = started.json()
let status = 'running'
while (status !== 'done') {
  await new Promise((resolve) => setTimeout(resolve, 50))
  status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })).json().export.status
  if (status === 'failed') throw new Error('the export failed')
}
const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload
for (const [name, content] of await readZip(zip)) {
  await mkdir(dirname(join(work, name)), { recursive: true })
  await writeFile(join(work, name), content)
}
await app.close()

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const page = await browser.newPage({ viewport: { width: 900, height: 1100 }, deviceScaleFactor: 1 })
await mkdir('docs', { recursive: true })
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme })
  await page.goto(`${pathToFileURL(join(work, 'rich.html')).href}#m-thread-parent`)
  await page.evaluate('document.getElementById("m-md-mentions").scrollIntoView()')
  await page.screenshot({ path: `docs/export-${scheme}.png` })
  console.log(`docs/export-${scheme}.png`)
}
await browser.close()
await rm(work, { recursive: true, force: true })
