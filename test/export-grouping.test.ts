import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, bob, fixtureData, general, message } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

/** One author's run broken by a thread reply, a system message and a pause; every message keeps a visible time. */
const at = (minute: number) => new Date(Date.UTC(2024, 4, 2, 9, minute)).toISOString()
const bobAuthor = { _id: bob._id, username: bob.username, name: 'Bob Builder' }
const messages = [
  { ...message(general._id, at(0), 'first of the morning'), _id: 'first' },
  { ...message(general._id, at(1), 'right after it'), _id: 'second' },
  { ...message(general._id, at(2), 'a reply in the thread', { tmid: 'first' }), _id: 'reply' },
  { ...message(general._id, at(3), 'back in the channel'), _id: 'after-reply' },
  { ...message(general._id, at(4), 'and more'), _id: 'more' },
  { ...message(general._id, at(5), '', { t: 'uj', u: bobAuthor }), _id: 'join' },
  { ...message(general._id, at(6), 'after the join'), _id: 'after-join' },
  { ...message(general._id, at(20), 'after a pause'), _id: 'after-pause' }
]

t.test('grouping breaks at thread changes, system messages and pauses; a grouped message shows its time in the gutter, on screen, on a phone and in print', async (t) => {
  const app = await buildApp(t, {}, { ...fixtureData(), messages })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-05-02', dateTo: '2024-05-02' }))
  const directory = await temporaryDirectory(t)
  await writeFile(join(directory, 'general.html'), entries.get('general.html')!)
  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)

  const grouped = await page.$$eval('article.message:not(.system)', (articles) => articles.map((article) => `${article.id}${article.classList.contains('grouped') ? ' grouped' : ''}`))
  t.same(grouped, ['m-first', 'm-second grouped', 'm-reply', 'm-after-reply', 'm-more grouped', 'm-after-join', 'm-after-pause'], 'as Rocket.Chat groups them')

  // Each message's time, as shown: the header's when it has one, else the gutter's; a time hidden or clipped counts as none.
  const visibleTimes = `[...document.querySelectorAll('article.message:not(.system)')].map((article) => {
    const visible = (element) => {
      if (element === null) return false
      const box = element.getBoundingClientRect()
      const style = getComputedStyle(element)
      return box.width > 1 && box.height > 1 && box.left >= 0 && style.visibility !== 'hidden' && style.clip !== 'rect(0px, 0px, 0px, 0px)'
    }
    const header = article.querySelector('.meta time')
    const meta = article.querySelector('.meta')
    if (visible(meta) && visible(header)) return header.textContent
    const gutter = article.querySelector('.gutter')
    return visible(gutter) ? gutter.textContent : null
  })`
  const expected = ['9:00 AM', '9:01 AM', '9:02 AM', '9:03 AM', '9:04 AM', '9:06 AM', '9:20 AM']
  for (const [width, media] of [[1280, 'screen'], [375, 'screen'], [1280, 'print']] as const) {
    await page.setViewportSize({ width, height: 900 })
    await page.emulateMedia({ media })
    t.same(((await page.evaluate(visibleTimes)) as string[]).map((time) => time.replace(/\u202f/g, ' ')), expected, `every message has its time visible at ${width} px (${media})`)
  }
  await page.emulateMedia({ media: 'screen' })
  t.equal(await page.$eval('#m-second .gutter', (gutter) => gutter.getAttribute('aria-hidden')), 'true', 'screen readers read the header\'s time, once')
})
