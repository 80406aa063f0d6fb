/// <reference lib="dom" />
import { access, mkdir, writeFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Value } from '@sinclair/typebox/value'
import t, { type Test } from 'tap'
import { ExportDocumentSchema } from '../index.ts'
import { systemTypes } from '../lib/render/system-messages.ts'
import { exportDocumentJsonSchema } from '../lib/schemas.ts'
import { systemSentences } from './fixtures/system-sentences.ts'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice } from './helpers/fixtures.ts'
import { richRoom, richRoomData } from './helpers/rich-room.ts'
import { readZip } from './helpers/zip.ts'

async function unzipTo (t: Test, zip: Buffer): Promise<{ directory: string, names: string[] }> {
  const directory = await temporaryDirectory(t)
  const entries = await readZip(zip)
  for (const [name, content] of entries) {
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  return { directory, names: [...entries.keys()] }
}

const request = { rid: richRoom._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' }

t.test('a rich Rocket.Chat room reads like the chat in Chromium, light and dark, desktop and 320 px', async (t) => {
  const data = richRoomData()
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 60 } }, data)
  const { directory, names } = await unzipTo(t, await exportToZip(app, alice, request))
  t.same(names.filter((name) => name.endsWith('.html')), ['rich.html', 'rich-2.html', 'index.html'])
  t.ok(names.includes('assets/img-1-chart.png'))
  t.ok(names.includes('katex/katex.min.css') && names.includes('katex/fonts/KaTeX_Main-Regular.woff2'), 'a room with a formula carries KaTeX\'s style sheet and fonts, once')
  t.same(names.filter((name) => name.startsWith('katex/fonts/') && !name.endsWith('.woff2')), [], 'WOFF2 only')

  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  // Chromium reports a request the page's policy refused too, failed with "csp": those never left.
  const outside = new Set<string>()
  const refused: string[] = []
  page.on('request', (sent) => { if (!sent.url().startsWith('file://')) outside.add(sent.url()) })
  page.on('requestfailed', (failed) => {
    if (failed.failure()?.errorText === 'csp') {
      outside.delete(failed.url())
      refused.push(failed.url())
    }
  })
  const open = async (name: string) => { await page.goto(pathToFileURL(join(directory, name)).href) }
  // innerText with paragraph gaps closed and ICU's narrow no-break space before AM/PM as a space
  const text = async (selector: string) => (await page.$eval(selector, (element) => (element as HTMLElement).innerText)).replace(/\n+/g, '\n').replace(/\u202f/g, ' ')
  const html = async (selector: string) => await page.$eval(selector, (element) => element.innerHTML)

  await open('rich.html')
  t.test('every node type of Rocket.Chat\'s grammar', async (t) => {
    t.equal(await html('#m-md-bold .text'), '<p class="md-p"><strong class="md-bold">bold</strong> text</p>')
    t.equal(await html('#m-md-italic .text'), '<p class="md-p"><em class="md-italic">italic</em> text</p>')
    t.equal(await html('#m-md-strike .text'), '<p class="md-p"><del class="md-strike">struck</del> text</p>')
    t.equal(await html('#m-md-inlineCode .text'), '<p class="md-p">run <code class="md-code">npm test</code> now</p>')
    t.equal(await html('#m-md-codeBlock .text'), '<pre class="md-pre"><code class="code language-js hljs"><span class="hljs-keyword">const</span> a = <span class="hljs-number">1</span> &lt; <span class="hljs-number">2</span></code></pre>', 'highlighted at export time: static spans')
    t.same(await page.$eval('#m-md-codeBlock .hljs-keyword', (span) => [span.textContent, getComputedStyle(span).color]), ['const', 'rgb(179, 19, 90)'], 'coloured by the page\'s own style sheet')
    t.equal(await html('#m-md-quote .text'), '<blockquote class="md-quote"><p class="md-p">quoted line</p><p class="md-p">second quoted line</p></blockquote>')
    t.equal(await html('#m-md-heading .text'), '<p class="md-heading" data-level="1">A heading</p>')
    t.equal(await html('#m-md-orderedList .text'), '<ol class="md-list"><li class="md-item" value="1">first</li><li class="md-item" value="2">second</li></ol>')
    t.equal(await html('#m-md-unorderedList .text'), '<ul class="md-list"><li class="md-item">apples</li><li class="md-item">pears</li></ul>')
    t.equal(await text('#m-md-tasks .text'), '☐ open task\n☑ done task')
    t.equal(await text('#m-md-lineBreak .text'), 'first line\nsecond line')
    t.same(await page.$$eval('#m-md-link .text a', (links) => links.map((link) => [link.getAttribute('href'), link.textContent, link.getAttribute('rel')])), [
      ['https://docs.example.com/page', 'the docs', 'noopener noreferrer nofollow'],
      ['https://example.org', 'https://example.org', 'noopener noreferrer nofollow']
    ])
    t.same(await page.$$eval('#m-md-bareDomain .text a', (links) => links.map((link) => link.getAttribute('href'))), ['https://example.com'], 'a bare domain links to https, never file:')
    t.same(await page.$$eval('#m-md-mentions .md-mention', (spans) => spans.map((span) => [span.textContent, span.getAttribute('title')])), [['@bob', 'Bob Builder'], ['@all', null]])
    t.equal(await text('#m-md-mentions .md-channel'), '#general')
    t.same(await page.$$eval('#m-md-emoji .md-emoji', (spans) => spans.map((span) => [span.textContent, span.getAttribute('title')])), [['👍', ':+1:'], ['✅', ':white_check_mark:']])
    t.equal(await text('#m-md-emoji .md-emoji-custom'), ':party_parrot:', 'a custom emoji stays a styled name')
    t.equal(await html('#m-md-bigEmoji .text'), '<p class="md-emoji-big"><span class="md-emoji" title=":tada:">🎉</span></p>')
    t.equal((await page.$eval('#m-md-timestamp .text time', (time) => `${time.getAttribute('datetime')} ${time.textContent}`)).replace(/\u202f/g, ' '), '2024-03-21T10:00:00.000Z Mar 21, 2024, 10:00 AM')
    t.match(await html('#m-md-katex .text'), /^<p class="md-p"><link rel="stylesheet" href="katex\/katex\.min\.css"><span class="md-math"><span class="katex"><span class="katex-mathml"><math xmlns="http:\/\/www\.w3\.org\/1998\/Math\/MathML">/, 'typeset at export time: KaTeX\'s HTML, MathML for screen readers, the part\'s one link to its style sheet')
    t.equal(await page.$eval('#m-md-katex annotation', (annotation) => annotation.textContent), 'E = mc^2')
    t.equal(await page.$$eval('#m-md-katex script', (scripts) => scripts.length), 0, 'no script')
    t.equal(await page.evaluate('document.fonts.ready.then(() => [...document.fonts].filter((font) => font.status === "loaded").map((font) => font.family).some((family) => family.includes("KaTeX")))'), true, 'KaTeX\'s fonts load from the archive')
    t.equal(await page.$eval('#m-md-katex .katex-mathml', (element) => getComputedStyle(element).position), 'absolute', 'its style sheet hides the MathML copy from sight, not from screen readers')
    t.equal(await html('#m-md-color .text'), '<p class="md-p"><code class="md-code">#ff0000</code></p>')
    t.equal(await html('#m-md-spoiler .text'), '<p class="md-p"><label class="md-spoiler"><input type="checkbox" class="md-spoiler-toggle"><span class="md-spoiler-label">spoiler</span><span class="md-spoiler-text">the butler did it</span></label></p>')
    t.equal(await text('#m-md-spoiler .text'), 'spoiler', 'the spoiler is hidden: only its label shows')
    await page.click('#m-md-spoiler .md-spoiler')
    t.equal(await text('#m-md-spoiler .text'), 'the butler did it', 'a click shows it, without script')
    await page.click('#m-md-spoiler .md-spoiler')
    t.equal(await text('#m-md-spoiler .text'), 'spoiler', 'and a second hides it again')
    t.same(await page.$$eval('#m-md-table thead th, #m-md-table tbody td', (cells) => cells.map((cell) => [cell.textContent, getComputedStyle(cell).textAlign])), [
      ['step', 'left'], ['time', 'right'], ['build', 'left'], ['2300 ms', 'right'],
      ['a_very_long_identifier_that_would_otherwise_break_anywhere_in_the_middle', 'left'], ['12 ms', 'right']
    ], 'a header and a body, each column aligned as its |:---|---:| says')
    t.equal(await page.$eval('#m-md-tasks .md-tasks', (list) => getComputedStyle(list).listStyleType), 'none', 'tasks show their box, not a bullet besides')
    t.same(await page.$$eval('#m-md-image .text a', (links) => links.map((link) => [link.getAttribute('href'), link.textContent])), [['https://images.example.com/cat.png', '🖼 remote cat']], 'a remote image is a link, never loaded')
    t.equal(await text('#m-md-emoticon .text'), 'nice 🙂')
    t.equal(await html('#m-stored-md .text'), '<p class="md-p"><strong class="md-bold">the stored tree wins</strong></p>', 'the stored md tree wins over msg')
  })

  t.test('reactions, uploads, previews, quotes', async (t) => {
    t.same(await page.$$eval('#m-thread-parent .reactions li', (items) => items.map((item) => [item.textContent, item.getAttribute('title')])), [
      ['👍 2 · Bob Builder, carol', ':+1: Bob Builder, carol'],
      [':party_parrot: 1 · Alice Archer', ':party_parrot: Alice Archer']
    ])
    const image = await page.$eval('#m-image img', (img) => ({ src: img.getAttribute('src'), width: (img as HTMLImageElement).naturalWidth, alt: img.getAttribute('alt') }))
    t.same(image, { src: 'assets/img-1-chart.png', width: 40, alt: 'the weekly chart' }, 'the uploaded image loads from assets/, described by its description')
    t.equal(await text('#m-image .uploads li'), 'chart.png (' + String(data.files['img-1'].content.length) + ' B)\nthe weekly chart', 'shown once, with its archived size and its description')
    t.same(await page.$$eval('#m-image .uploads li :is(em, strong)', (elements) => elements.map((element) => element.outerHTML)), ['<em class="md-italic">weekly</em>'], 'the description\'s stored tree (italic), not the text parsed again (bold)')
    t.equal(await text('#m-video .uploads li'), `demo.mp4 (${data.files['vid-1'].content.length} B)\nthe demo`, 'an upload named by its video_url only: shown once too')
    t.equal(await page.$$eval('#m-video .attachment', (elements) => elements.length), 0)
    t.equal(await page.$$eval('#m-image .attachment', (elements) => elements.length), 0, 'the upload\'s own attachment is not shown again')
    t.equal(await text('#m-preview .preview'), 'Big story\nWhat happened today')
    t.same(await page.$$eval('#m-remote-attachment .attachment a', (links) => links.map((link) => link.getAttribute('href'))), ['https://ci.example.com/42', 'https://ci.example.com/badge.png'])
    t.equal(await text('#m-quote blockquote.quote'), 'Alice Archer Mar 21, 2024, 9:24 AM · original · open in chat\nShall we ship on Friday?')
    t.same(await page.$$eval('#m-quote blockquote.quote a', (links) => links.map((link) => link.getAttribute('href'))), ['#m-thread-parent', 'https://chat.example.com/channel/rich?msg=thread-parent'], 'the quoted message in the archive, and on the chat server')
    t.equal(await html('#m-quote blockquote.quote strong'), 'Friday')
    t.equal(await text('#m-quote .text'), 'Friday works for me', 'the [ ](permalink) prefix is gone')
  })

  t.test('system messages: a sentence for every type, never a type code or ciphertext', async (t) => {
    // Golden sentences, written by hand (bob shows as Bob Builder, alice as Alice Archer): never computed by the code under test.
    t.same(Object.keys(systemSentences).sort(), [...systemTypes].sort(), 'one golden sentence per system type, no more, no fewer')
    const shown: Record<string, string> = {}
    const wholePage = await page.content() + await (async () => { await open('rich-2.html'); const second = await page.content(); await open('rich.html'); return second })()
    for (const part of ['rich.html', 'rich-2.html']) {
      await open(part)
      for (const [id, sentence] of await page.$$eval('article.system', (articles) => articles.map((article) => [article.id, (article.querySelector('.sentence')?.textContent ?? '').trim()]))) {
        // The anchor keeps the id reversibly: `_` and the like as `_<hex>_`.
        if (id.startsWith('m-sys-')) shown[id.slice(6).replace(/_([0-9a-f]+)_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))] = sentence
      }
    }
    t.same(shown, systemSentences, 'every system type reads as its golden sentence')
    const codes = [...systemTypes].filter((type) => /[-_]/.test(type))
    t.same(codes.filter((code) => Object.values(shown).some((sentence) => sentence.includes(code))), [], 'no raw type code (room_changed_topic, user-muted, …)')
    t.match(shown['subscription-role-added'], 'set Bob Builder as moderator')
    t.notMatch(wholePage, 'U2VjcmV0IHBsYW5z', 'never the ciphertext')
    await open('rich-2.html')
    t.equal(await page.$eval('#m-encrypted', (article) => (article as HTMLElement).innerText.replace(/^\S+ \S+ /, '')), 'Bob Builder sent an encrypted message')
    t.equal(await text('#m-pin .reactions'), '👀 1 · Alice Archer', 'a system message keeps its reactions')
    t.equal(await text('#m-pin blockquote.quote'), 'Alice Archer · original · open in chat\nShall we ship on Friday?', 'and what it pinned')
    t.same(await page.$$eval('#m-pin blockquote.quote a', (links) => links.map((link) => link.getAttribute('href'))), ['rich.html#m-thread-parent', 'https://chat.example.com/channel/rich?msg=thread-parent'], 'the pinned message, in the part before')
  })

  t.test('threads across parts and outside the range; every link inside the archive resolves', async (t) => {
    await open('rich-2.html')
    t.equal(await page.$eval('#m-reply-far .thread a', (link) => link.getAttribute('href')), 'rich.html#m-thread-parent')
    t.equal(await text('#m-reply-far .thread'), 'reply in thread: Alice Archer Shall we ship on Friday?')
    t.equal(await page.$$eval('#m-reply-old .thread a', (links) => links.length), 0, 'a parent outside the range is not linked')
    t.equal(await text('#m-reply-old .thread'), 'reply in thread: Bob Builder Yesterday\'s question about backups')

    const checked: string[] = []
    for (const part of ['rich.html', 'rich-2.html', 'index.html']) {
      await open(part)
      const hrefs = await page.$$eval('a[href]', (links) => links.map((link) => link.getAttribute('href')!))
      for (const href of hrefs.filter((href) => !/^(https?:|mailto:)/.test(href))) {
        const target = new URL(href, pathToFileURL(join(directory, part)))
        await access(fileURLToPath(target))
        if (target.hash !== '') {
          const fragment = decodeURIComponent(target.hash.slice(1))
          await page.goto(target.href)
          t.ok(await page.$(`[id="${fragment}"]`), `${part}: ${href} names an element`)
          await open(part)
        }
        checked.push(`${part} → ${href}`)
      }
    }
    t.ok(checked.length >= 8, `${checked.length} links inside the archive resolve`)
    t.ok(checked.includes('rich.html → #m-md-bold') && checked.includes('rich-2.html → #m-pin'), 'times are permalinks, in every part')
    t.ok(checked.some((link) => /^rich\.html → #t-/.test(link)), 'a reply count leads to its first reply')
    t.ok(checked.includes('rich-2.html → rich.html#m-thread-parent'), 'a pin leads to the pinned message across parts')
    await open('index.html')
    t.same(await page.$$eval('ul.parts li a', (links) => links.map((link) => link.getAttribute('href'))), ['rich.html', 'rich-2.html'])
  })

  t.test('layout: grouping, avatars, dark mode, 320 px', async (t) => {
    await open('rich.html')
    t.ok(await page.$$eval('article.message.grouped', (articles) => articles.length) > 3, 'consecutive messages of one author are grouped')
    t.equal(await page.$eval('#m-md-bold .avatar', (avatar) => avatar.textContent), 'AA')
    // Every hue an avatar can take, as the page's style sheet paints it: initials at WCAG AA contrast (≥ 4.5:1).
    const worstContrast = await page.evaluate(`(() => {
      const avatar = document.querySelector('.avatar')
      const luminance = (rgb) => {
        const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map((value) => Number(value) / 255)
          .map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
      }
      let worst = Infinity
      for (let hue = 0; hue < 360; hue++) {
        avatar.style.setProperty('--hue', String(hue))
        const style = getComputedStyle(avatar)
        const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a)
        worst = Math.min(worst, (light + 0.05) / (dark + 0.05))
      }
      return worst
    })()`) as number
    t.ok(worstContrast >= 4.5, `initials on every avatar hue: at least ${worstContrast.toFixed(2)}:1`)
    const background = async () => await page.$eval('body', (body) => getComputedStyle(body).backgroundColor)
    await page.emulateMedia({ colorScheme: 'light' })
    t.equal(await background(), 'rgb(255, 255, 255)')
    await page.emulateMedia({ colorScheme: 'dark' })
    t.equal(await background(), 'rgb(21, 24, 29)')
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const width of [320, 1280]) {
        await page.setViewportSize({ width, height: 800 })
        for (const part of ['rich.html', 'rich-2.html', 'index.html']) {
          await open(part)
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
          t.equal(overflow, 0, `${part} at ${width} px (${scheme}): nothing overflows`)
        }
      }
    }
    await page.emulateMedia({ media: 'print', colorScheme: 'light' })
    await open('rich.html')
    t.equal(await page.$eval('nav.parts', (nav) => getComputedStyle(nav).display), 'none', 'print hides the part navigation')
    t.same(await page.$$eval('#m-md-link .text a', (links) => links.map((link) => getComputedStyle(link, '::after').content)), ['" (https://docs.example.com/page)"', 'none'], 'print adds a link\'s address only where its text is not that address')
    t.equal(await text('#m-md-spoiler .text'), 'the butler did it', 'print shows spoilers: paper cannot be clicked')
    await page.emulateMedia({ media: 'screen' })
    t.equal(await page.$eval('#m-quote .quote-text p', (paragraph) => getComputedStyle(paragraph).marginTop), '2px', 'no blank gap above a quote\'s text')
    await open('rich-2.html')
    t.same(await page.$eval('#m-pin blockquote.quote', (quote) => [getComputedStyle(quote).fontStyle, getComputedStyle(quote).color === getComputedStyle(document.body).color]), ['normal', true], 'a pinned message\'s quote reads as a message, not as the system line')
  })

  t.test('the page\'s policy: images from the archive only', async (t) => {
    await open('rich.html')
    // A string, not a function: the test's TypeScript loader would wrap a function's helpers in names the page lacks.
    const loaded = await page.evaluate(`Promise.all(['assets/img-1-chart.png', 'https://images.example.com/cat.png'].map((src) => new Promise((resolve) => {
      const image = document.createElement('img')
      image.onload = () => resolve(image.naturalWidth)
      image.onerror = () => resolve(-1)
      image.src = src
      document.body.append(image)
    })))`)
    t.same(loaded, [40, -1], 'assets/ loads from file://, a remote image is refused')
    t.same(refused, ['https://images.example.com/cat.png'], 'the remote image was refused by the page\'s policy')
    t.same([...outside], [], 'nothing was requested outside the archive')
  })
})

t.test('the JSON export of the rich room follows the shipped schema and keeps what a reader needs', async (t) => {
  const app = await buildApp(t, {}, richRoomData())
  const entries = await readZip(await exportToZip(app, alice, { ...request, format: 'json' }))
  const document = JSON.parse(entries.get('rich.json')!.toString())
  t.ok(Value.Check(ExportDocumentSchema, document), [...Value.Errors(ExportDocumentSchema, document)].slice(0, 3).map((error) => `${error.path} ${error.message}`).join('; ') || 'valid')
  const byId = (id: string) => document.messages.find((message: { _id: string }) => message._id === id)
  t.same(byId('md-mentions').mentions, [{ _id: 'u-bob', username: 'bob', name: 'Bob Builder' }, { _id: 'all', username: 'all' }])
  t.same(byId('md-mentions').channels, [{ _id: 'room-general', name: 'general' }])
  t.same(byId('preview').urls, [{ url: 'https://news.example.com/story', title: 'Big story', description: 'What happened today' }])
  t.same(byId('quote').attachments, [{ author_name: 'Alice Archer', message_link: 'https://chat.example.com/channel/rich?msg=thread-parent', text: 'Shall we ship on *Friday*?', ts: '2024-03-21T09:24:00.000Z' }])
  t.equal(byId('image').attachments[0].asset, 'assets/img-1-chart.png', 'an upload\'s attachment points at the archived file')
  t.equal(byId('video').attachments[0].asset, 'assets/vid-1-demo.mp4', 'by its video URL too')
  t.same(byId('stored-md').md, [{ type: 'PARAGRAPH', value: [{ type: 'BOLD', value: [{ type: 'PLAIN_TEXT', value: 'the stored tree wins' }] }] }])
  t.equal(byId('md-bold').md, undefined, 'a tree the export parsed itself is not presented as stored')
  t.same([byId('sys-subscription-role-added').role, byId('sys-subscription-role-added').sentence], ['moderator', 'Alice Archer set Bob Builder as moderator'])
  t.same([byId('encrypted').msg, byId('encrypted').sentence], ['', 'Bob Builder sent an encrypted message'], 'no ciphertext in JSON either')
  const shippedSchema = JSON.parse(entries.get('schema.json')!.toString())
  const validate = new Ajv({ strict: false }).compile(shippedSchema)
  t.ok(validate(document), `valid against the schema.json in the archive ${JSON.stringify(validate.errors?.slice(0, 3))}`)
  t.same(shippedSchema, JSON.parse(exportDocumentJsonSchema))
  t.same(shippedSchema.properties.messages.items.properties.sentence, { type: 'string', description: 'a system message as a sentence, in the requester\'s language when the host translates' })
})

t.test('an image over inlineImageBytes is linked, not shown; under it, shown', async (t) => {
  for (const [limit, inline] of [[pngBytesLength() - 1, false], [pngBytesLength(), true]] as const) {
    const app = await buildApp(t, { limits: { inlineImageBytes: limit } }, richRoomData())
    const entries = await readZip(await exportToZip(app, alice, request))
    const page = entries.get('rich.html')!.toString()
    const upload = /<ul class="uploads"><li>(.*?)<\/li><\/ul>/.exec(page.slice(page.indexOf('id="m-image"')))![1]
    t.equal(upload.includes('<img src="assets/img-1-chart.png"'), inline, `limit ${limit}: ${inline ? 'shown' : 'linked'}`)
    t.match(upload, `<a href="assets/img-1-chart.png" dir="auto">chart.png</a> (${pngBytesLength()} B)`)
  }
})

function pngBytesLength (): number {
  return richRoomData().files['img-1'].content.length
}
