/// <reference lib="dom" />
import t from 'tap'
import { buildApp } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { postExport } from './helpers/exports.ts'
import { alice, bob } from './helpers/fixtures.ts'
import { richRoom, richRoomData } from './helpers/rich-room.ts'
import { startSmtpServer } from './helpers/smtp.ts'

/**
 * The rich room by email, read as a person would: the HTML part on a phone
 * (375 px) and a desktop, and the text part line by line — complete, and
 * nothing shown that the page hides.
 */

const longToken = `build-${'0123456789abcdef'.repeat(12)}`
const longUrl = `https://ci.example.com/pipelines/${'a1b2c3d4'.repeat(10)}/jobs?with=${'query'.repeat(10)}`

t.test('an email export of the rich room: no sideways scroll at 375 px, and a text part as complete as the page', async (t) => {
  const data = richRoomData()
  data.messages.push({ _id: 'long', rid: richRoom._id, ts: new Date(Date.UTC(2024, 2, 21, 23, 0)), msg: `${longToken} see ${longUrl}`, u: { _id: bob._id, username: 'bob', name: 'Bob Builder' } })
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' } }, data)
  const response = await postExport(app, alice, { rid: richRoom._id, type: 'email', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  t.same(response.json(), { success: true, missing: [] })
  const mail = smtp.mails[0]
  t.same(mail.attachments, [], 'short enough for the body alone')

  const browser = await launchBrowser(t)
  for (const width of [375, 1280]) {
    const page = await browser.newPage({ viewport: { width, height: 800 } })
    await page.setContent(mail.html as string)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    t.equal(overflow, 0, `the mail at ${width} px: no sideways scroll (a ${longToken.length}-character token and a long URL wrap)`)
    await page.close()
  }
  const html = mail.html as string
  t.match(html, 'file: <bdi>chart.png</bdi> (97 B)<div style="color:#1f2329;" dir="auto"><p style="margin:0 0 4px;">the <em>weekly</em> chart</p></div></div>', 'an upload\'s description is in the mail')
  t.match(html, /sent an encrypted message/)
  // The pin's line and, under it, what it pinned.
  t.match(html, /pinned a message<\/span><\/div>\n<div style="border-left:3px solid #cbced1;[^"]*"><b dir="auto">Alice Archer<\/b><div dir="auto"><p style="margin:0 0 4px;">Shall we ship on <strong[^>]*>Friday<\/strong>\?<\/p><\/div><\/div>/)

  const lines = (mail.text as string).replace(/\u202f/g, ' ').split('\n')
  t.same(lines.filter((line) => /^\[[^\]]+\] \u2068[^\u2069]*\u2069:\s*$/.test(line)), [], 'no line that ends at a name')
  t.ok(lines.includes('[9:02 AM] \u2068Bob Builder\u2069: ~~struck~~ text'), 'strike-through kept as ~~x~~')
  t.ok(lines.some((line) => line.endsWith(': [spoiler]')), 'a spoiler stays hidden')
  t.notOk(lines.some((line) => line.includes('the butler did it')), 'its text is nowhere in the mail')
  t.ok(lines.includes('    > Alice Archer: Shall we ship on Friday?'), 'a quote\'s author and text, not a bare permalink')
  t.ok(lines.includes('[9:28 AM] \u2068carol\u2069: Friday works for me'), 'the permalink prefix of a reply is gone, from its parsed tree too')
  t.notOk(lines.some((line) => line.includes('?msg=thread-parent')), 'no permalink anywhere in the text part')
  t.ok(lines.includes('[9:25 AM] \u2068Bob Builder\u2069: file: chart.png (97 B) — the weekly chart'), 'an upload with its description, on the name\'s line')
  t.ok(lines.some((line) => /^ {4}reactions: 👍 2 \(\u2068Bob Builder\u2069, \u2068carol\u2069\)/.test(line)), 'reactions, who')
  t.ok(lines.some((line) => /^\[[^\]]+\] Bob Builder pinned a message$/.test(line)), 'the pin')
  t.ok(lines.some((line) => line.startsWith(`[11:00 PM] \u2068Bob Builder\u2069: ${longToken} see ${longUrl}`)))
})
