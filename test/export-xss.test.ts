/* eslint-disable no-template-curly-in-string -- template syntax in chat text is the hostile input under test */
import t from 'tap'
import { createMemoryRepository } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip } from './helpers/exports.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { alice, fixtureData, hostile } from './helpers/fixtures.ts'
import { anchorOf } from '../lib/render/message-view.ts'
import { readZip } from './helpers/zip.ts'

const payloads = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '\'><svg onload=alert(1)>',
  '{{constructor.constructor(\'alert(1)\')()}}',
  '</textarea></style></title><script>alert(1)</script>',
  '`${alert(1)}`'
]

function hostileData () {
  const data = fixtureData()
  const messages = payloads.map((text, index) => ({
    _id: `x${index}"><b>`,
    rid: hostile._id,
    ts: new Date(Date.UTC(2024, 0, 1, 0, index)),
    msg: text,
    t: index === 0 ? 'r' : undefined,
    tmid: index === 2 ? '"><script>alert(4)</script>' : undefined,
    u: { _id: 'u-x', username: text, name: text },
    reactions: { [text]: { usernames: [text] } },
    attachments: [
      { title: text, title_link: 'javascript:alert(1)', description: text, text },
      { title: 'data', title_link: 'data:text/html,<script>alert(1)</script>', image_url: 'JaVaScRiPt:alert(1)' },
      { title: 'relative', title_link: '/etc/passwd' },
      { title: 'mail', title_link: 'mailto:x@example.com?subject="><script>' }
    ],
    file: { _id: '../../evil', name: `../../${text}.html` }
  }))
  return { ...data, messages: [...data.messages, ...messages], files: { '../../evil': { rid: hostile._id, content: 'upload' } } }
}

t.test('every user-controlled string in the HTML export is escaped', async (t) => {
  const app = await buildApp(t, {}, hostileData())
  const entries = await readZip(await exportToZip(app, alice, { rid: hostile._id, type: 'file', format: 'html' }))
  const names = [...entries.keys()]
  t.same(names, [
    'img_src_x_onerror_alert_1_.html',
    'assets/..~2f~..~2f~evil-__..____alert_1___.html.txt',
    'manifest.json'
  ], 'archive names cannot climb out of the archive')
  const html = entries.get(names[0])!.toString()
  // The only tags are the template's own: strip attributes' escaped values and compare tag names.
  const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((match) => match[1].toLowerCase()))
  t.same([...tags].sort(), ['a', 'article', 'bdi', 'body', 'code', 'div', 'footer', 'h1', 'h2', 'head', 'header', 'html', 'li', 'main', 'meta', 'p', 'span', 'style', 'time', 'title', 'ul'])
  t.notMatch(html, /<script|<img|<svg|onerror=|onload=/i)
  t.match(html, '<title>&quot;&gt;&lt;script&gt;alert(&quot;room&quot;)&lt;/script&gt; — export</title>')
  t.match(html, '<span class="author" dir="auto">&lt;script&gt;alert(3)&lt;/script&gt;</span>')
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; changed the room name to &lt;script&gt;alert(1)&lt;/script&gt;')
  t.match(html, '{{constructor.constructor(&#x27;alert(1)&#x27;)()}}', 'template syntax in data is not evaluated')
  t.match(html, '&#x60;${alert(1)}&#x60;')
  t.match(html, 'id="m-x1_22__3e__3c_b_3e_"', 'ids are reduced to safe anchors, reversibly')
  t.same([anchorOf('a.b'), anchorOf('a_b'), anchorOf('aB-9')], ['m-a_2e_b', 'm-a_5f_b', 'm-aB-9'], 'two ids never share an anchor; Rocket.Chat\'s own ids stay as they are')
  t.match(html, '<div class="thread">reply in thread <span class="excerpt">(its first message is not in this export)</span></div>', 'a parent id that names no message is not linked')
  t.match(html, '<p class="md-p"><code class="md-code">${alert(1)}</code></p>', 'markup renders, its text escaped')
  const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1])
  t.ok(hrefs.every((href) => /^(#m-[\w-]+|#messages$|mailto:|assets\/[\w.~-]+$)/.test(href)), `only safe hrefs: ${hrefs.join(' ')}`)
  t.match(html, '<a href="mailto:x@example.com?subject&#x3D;&quot;&gt;&lt;script&gt;" rel="noopener noreferrer nofollow">mail</a>')
  t.match(html, '<div class="attachment" dir="auto">relative</div>')
  t.match(html, '<div class="attachment" dir="auto">data</div>')
})

t.test('the JSON export keeps hostile text verbatim, as data', async (t) => {
  const app = await buildApp(t, {}, hostileData())
  const entries = await readZip(await exportToZip(app, alice, { rid: hostile._id, type: 'file', format: 'json' }))
  const document = JSON.parse(entries.get('img_src_x_onerror_alert_1_.json')!.toString())
  t.same(document.messages.slice(0, -1).map((message: { msg: string }) => message.msg), payloads)
  t.same(document.room, { _id: hostile._id, t: 'c', name: '<img src=x onerror=alert(1)>', fname: '"><script>alert("room")</script>' })
})

t.test('the email export escapes the same strings', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from: 'x@chat.example' } }, hostileData())
  const { postExport } = await import('./helpers/exports.ts')
  t.equal((await postExport(app, alice, { rid: hostile._id, type: 'email' })).statusCode, 200)
  const html = smtp.mails[0].html as string
  t.notMatch(html, /<script|<img|<svg|onerror=|onload=|javascript:/i)
  t.match(html, '&lt;script&gt;alert(3)&lt;/script&gt;')
})

t.test('a hostile room id or a room without a name still gets a safe file name', async (t) => {
  const data = fixtureData()
  const direct = { _id: '../../direct', t: 'd', usernames: ['alice', 'bob'] }
  const app = await buildApp(t, { repository: createMemoryRepository({ ...data, rooms: [...data.rooms, direct] }) })
  const entries = await readZip(await exportToZip(app, alice, { rid: direct._id, type: 'file', format: 'json' }))
  t.same([...entries.keys()], ['direct.json', 'schema.json', 'manifest.json'])
})
