// Renders the rich demo room (test/helpers/rich-room.ts) and a Hebrew/Arabic team room as HTML
// exports, opens them from disk in Debian's Chromium and saves docs/export-light.png,
// docs/export-dark.png, docs/export-phone.png (375 px) and docs/export-rtl.png.
// Run: npm run screenshot
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { chromium } from 'playwright-core'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage, type ExportRoom } from '../index.ts'
import { identicon, partyEmoji } from '../example/pictures.ts'
import { hostHooks } from '../test/helpers/app.ts'
import { alice, authHeaders } from '../test/helpers/fixtures.ts'
import { richRoom, richRoomData } from '../test/helpers/rich-room.ts'
import { readZip } from '../test/helpers/zip.ts'

const work = await mkdtemp(join(tmpdir(), 'rooms-export-screenshot-'))
await mkdir(join(work, 'storage'), { mode: 0o700 })

/** A team's morning in Hebrew, Arabic and English: each message reads in its own direction. */
const teamRoom: ExportRoom = { _id: 'room-team', t: 'c', name: 'team', fname: 'צוות · فريق · Team' }
const noa = { _id: 'u-noa', username: 'noa', name: 'נועה כהן' }
const yusuf = { _id: 'u-yusuf', username: 'yusuf', name: 'يوسف الحداد' }
const dana = { _id: 'u-dana', username: 'dana', name: 'Dana Levi' }
const at = (minute: number) => new Date(Date.UTC(2024, 4, 2, 7, minute))
const teamMessages: ExportMessage[] = [
  { _id: 't1', rid: teamRoom._id, ts: at(0), msg: 'בוקר טוב! ה-PR של מסך ההתחברות מוכן לבדיקה ב-GitLab.', u: noa },
  { _id: 't2', rid: teamRoom._id, ts: at(4), msg: 'صباح الخير. سأراجعه الآن، هل الاختبارات ناجحة؟', u: yusuf, reactions: { ':wave:': { usernames: ['noa', 'dana'] } } },
  { _id: 't3', rid: teamRoom._id, ts: at(6), msg: 'כן, כל 214 הבדיקות עוברות. *שימו לב* לשינוי ב-`auth.ts`.', u: noa },
  { _id: 't4', rid: teamRoom._id, ts: at(12), msg: 'تم دمج الطلب. شكراً نوعا!', u: yusuf, reactions: { ':heart:': { usernames: ['noa'] }, ':tada:': { usernames: ['dana', 'noa'] } } },
  { _id: 't5', rid: teamRoom._id, ts: at(15), msg: 'Great work, both of you — releasing at 10:00.', u: dana },
  { _id: 't6', rid: teamRoom._id, ts: at(16), msg: '| שלב | זמן |\n|:---|---:|\n| בנייה | 2300 ms |\n| בדיקות | 41 s |', u: noa }
]

const app = Fastify()
await app.register(roomsExport, {
  repository: createMemoryRepository({
    ...richRoomData(),
    rooms: [richRoom, teamRoom],
    messages: [...richRoomData().messages, ...teamMessages],
    users: [...richRoomData().users, noa, yusuf, dana],
    // Pictures for some (Bob and Dana keep their initials) and the rich room's custom emoji.
    avatars: Object.fromEntries(['alice', 'carol', 'noa', 'yusuf'].map((username) => [username, identicon(username)])),
    customEmoji: { party_parrot: partyEmoji }
  }),
  storage: createDirectoryStorage(join(work, 'storage')),
  ...hostHooks()
})

/** The room's export, unzipped into its own folder; the folder. */
async function exportRoom (rid: string, day: string): Promise<string> {
  const started = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: authHeaders(alice), payload: { rid, type: 'file', format: 'html', dateFrom: day, dateTo: day } })
  const { exportId } = started.json()
  let status = 'running'
  while (status !== 'done') {
    await new Promise((resolve) => setTimeout(resolve, 50))
    status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })).json().export.status
    if (status === 'failed') throw new Error('the export failed')
  }
  const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload
  const folder = join(work, rid)
  for (const [name, content] of await readZip(zip)) {
    await mkdir(dirname(join(folder, name)), { recursive: true })
    await writeFile(join(folder, name), content)
  }
  return folder
}
const rich = await exportRoom(richRoom._id, '2024-03-21')
const team = await exportRoom(teamRoom._id, '2024-05-02')
await app.close()

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const page = await browser.newPage({ viewport: { width: 900, height: 1100 }, deviceScaleFactor: 1 })
await mkdir('docs', { recursive: true })
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme })
  await page.goto(`${pathToFileURL(join(rich, 'rich.html')).href}#m-thread-parent`)
  await page.evaluate('document.getElementById("m-md-mentions").scrollIntoView()')
  await page.screenshot({ path: `docs/export-${scheme}.png` })
  console.log(`docs/export-${scheme}.png`)
}
await page.emulateMedia({ colorScheme: 'light' })
await page.goto(pathToFileURL(join(team, 'team.html')).href)
await page.setViewportSize({ width: 900, height: 760 })
await page.screenshot({ path: 'docs/export-rtl.png' })
console.log('docs/export-rtl.png')
const phone = await browser.newPage({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 1, isMobile: true })
await phone.goto(`${pathToFileURL(join(rich, 'rich.html')).href}`)
await phone.evaluate('document.getElementById("m-md-table").scrollIntoView()')
await phone.screenshot({ path: 'docs/export-phone.png' })
console.log('docs/export-phone.png')
await browser.close()
await rm(work, { recursive: true, force: true })
