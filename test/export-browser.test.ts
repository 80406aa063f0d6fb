/// <reference lib="dom" />
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, fixtureData, general, hostile } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

/** Unzips an export into a fresh directory, as a person would before double-clicking the page. */
async function unzipTo (t: Test, zip: Buffer): Promise<string> {
  const directory = await temporaryDirectory(t)
  for (const [name, content] of await readZip(zip)) {
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  return directory
}

const hostilePayloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', '<svg onload=alert(3)>']

t.test('the HTML export opened from disk in Chromium: readable, inert, offline', async (t) => {
  const data = fixtureData()
  data.messages.push(...hostilePayloads.map((text, index) => ({
    _id: `h${index}`,
    rid: hostile._id,
    ts: new Date(Date.UTC(2024, 2, 21, 9, index)),
    msg: `${text}\nsecond line`,
    u: { _id: 'u-x', username: `user${index}`, name: text },
    attachments: [{ title: 'click me', title_link: 'javascript:alert(4)', image_url: 'https://tracker.example/pixel.png' }]
  })))
  const app = await buildApp(t, {}, data)
  const directory = await unzipTo(t, await exportToZip(app, alice, { rid: hostile._id, type: 'file', format: 'html' }))

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const dialogs: string[] = []
  const requests: string[] = []
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.dismiss() })
  page.on('request', (request) => { requests.push(request.url()) })
  const pageUrl = pathToFileURL(join(directory, 'img_src_x_onerror_alert_1_.html')).href
  await page.goto(pageUrl)

  t.equal(await page.title(), '"><script>alert("room")</script> — export', 'the room name shows as text')
  t.same(await page.$$eval('script, img, svg, iframe, object, embed', (elements) => elements.length), 0)
  t.same(await page.$$eval('.author', (elements) => elements.map((element) => element.textContent)), ['<script>alert(3)</script>', ...hostilePayloads])
  const firstText = (await page.$eval('#m-h0 .text', (element) => (element as HTMLElement).innerText)).replace(/\n+/g, '\n')
  t.equal(firstText, '<script>alert(1)</script>\nsecond line', 'line breaks kept, markup shown as text')
  t.same(await page.$$eval('h2.day time', (elements) => elements.map((element) => element.getAttribute('datetime'))), ['2024-03-21'])
  t.same(await page.$$eval('#m-h1 time', (elements) => elements.map((element) => element.getAttribute('datetime'))), ['2024-03-21T09:01:00.000Z'])
  t.same(await page.$$eval('.attachment a', (elements) => elements.map((element) => element.getAttribute('href'))), ['https://tracker.example/pixel.png', 'https://tracker.example/pixel.png', 'https://tracker.example/pixel.png'], 'images are links, never loaded')

  // A script smuggled in later is still blocked by the page's own policy.
  const blocked = await page.evaluate(async () => {
    const script = document.createElement('script')
    script.textContent = 'window.__ran = true'
    document.body.append(script)
    await new Promise((resolve) => setTimeout(resolve, 50))
    return (window as unknown as { __ran?: boolean }).__ran === true
  })
  t.equal(blocked, false, 'the Content-Security-Policy forbids inline scripts')
  t.same(dialogs, [], 'no alert ever ran')
  t.same(requests, [pageUrl], 'nothing but the page itself was loaded')
})

t.test('parts and uploads link to each other when unzipped', async (t) => {
  const data = fixtureData()
  const messages = Array.from({ length: 5 }, (_, index) => ({
    _id: `p${index}`,
    rid: general._id,
    ts: new Date(Date.UTC(2024, 2, 21, 12, index)),
    msg: `part message ${index}`,
    u: { _id: alice._id, username: 'alice' },
    file: index === 4 ? { _id: 'file-1', name: 'report.txt', size: 5 * 1024 * 1024 } : undefined
  }))
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 2 } }, { ...data, messages })
  const directory = await unzipTo(t, await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)
  t.same(await page.$$eval('article', (elements) => elements.map((element) => element.id)), ['m-p0', 'm-p1'])
  await page.click('text=next part →')
  t.match(page.url(), /general-2\.html$/)
  await page.click('text=next part →')
  t.match(page.url(), /general-3\.html$/)
  t.same(await page.$$eval('article', (elements) => elements.map((element) => element.id)), ['m-p4'])
  t.equal(await page.$eval('.uploads li', (element) => element.textContent), 'report.txt (9 B)', 'the size of the archived file')
  const upload = await page.$eval('.uploads a', (element) => (element as HTMLAnchorElement).href)
  const response = await page.goto(upload)
  t.equal(await response!.text(), 'PDF-BYTES', 'the upload link opens the file from assets/')
  await page.goBack()
  await page.click('text=← previous part')
  t.match(page.url(), /general-2\.html$/)
})
