import Fastify from 'fastify'
import nodemailer from 'nodemailer'
import t from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../index.ts'
import { buildApp, capturingLogger, hostHooks, temporaryDirectory } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, dave, fixtureData, general, message } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'

const from = 'Chat exports <exports@chat.example>'

t.test('an HTML email export: one mail, all recipients, after the server accepted it', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } })
  const response = await postExport(app, alice, {
    rid: general._id,
    type: 'email',
    toUsers: ['bob', 'ghost', 'carol', 'bob'],
    toEmails: ['Boss@Example.com', 'bob@EXAMPLE.org'],
    subject: 'March\r\nBcc: everyone@evil.test',
    dateFrom: '2024-03-21',
    dateTo: '2024-03-21',
    timezone: 'Europe/Berlin'
  })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { success: true, missing: ['ghost', 'carol'] })
  t.equal(smtp.mails.length, 1, 'the answer came after the mail was accepted')
  const mail = smtp.mails[0]
  t.same(smtp.envelopes[0], ['bob@example.org', 'Boss@example.com'], 'deduplicated regardless of case')
  t.equal(mail.subject, 'March Bcc: everyone@evil.test')
  t.same(mail.from?.value, [{ address: 'exports@chat.example', name: 'Chat exports' }])
  t.same(mail.headers.get('bcc'), undefined, 'no header injection through the subject')
  // ICU puts a narrow no-break space before AM/PM; compared here as a space.
  const html = (mail.html as string).replace(/\u202f/g, ' ')
  // Berlin's March 21 is 2024-03-20T23:00Z … 2024-03-21T22:59:59.999Z: "before" (23:59:59.999Z on the 20th) is in it.
  // Alice's second message, a second after her first, is grouped under it: no header of its own.
  t.same([...html.matchAll(/<b dir="auto">([^<]*)<\/b> <span style="color:#6c727a;"><bdi>@(\w+)<\/bdi> ([^<]+)<\/span>/g)].map((match) => `${match[2]} ${match[3]}`.replace(/\u202f/g, ' ')), [
    'alice 12:59 AM', 'bob 11:00 AM', 'alice 11:00 AM · pinned', 'alice 12:00 PM · edited'
  ])
  t.same([...html.matchAll(/<div style="font-size:11px;line-height:20px;color:#6c727a;text-align:right;white-space:nowrap;">([^<]+)<\/div>/g)].map((match) => match[1]), ['1:00 AM'], 'the grouped one shows its time where the avatar would be')
  t.match(html, '6 messages from Mar 21, 2024, 12:00 AM to Mar 21, 2024, 11:59 PM (Europe/Berlin), sent by Alice Archer (@alice)', 'the range and its zone')
  t.match(html, '<p style="margin:0 0 4px;">line one</p><p style="margin:0 0 4px;">line two &lt;script&gt;alert(1)&lt;/script&gt;</p>')
  t.match(html, '<b dir="auto">Bob &lt;b&gt;Builder&lt;/b&gt;</b>')
  t.match(html, '10:00 AM <span dir="auto">Bob &lt;b&gt;Builder&lt;/b&gt; joined the channel</span>')
  t.match(html, '<bdi>👍 2 · <bdi>Alice Archer</bdi>, <bdi>Bob &lt;b&gt;Builder&lt;/b&gt;</bdi></bdi>', 'each reaction and each reactor isolated')
  t.notMatch(html, /<script|old text/)
  t.match(html, /style="/, 'inline styles')
  t.equal(mail.text!.replace(/\u202f/g, ' '), [
    'General: 6 messages from Mar 21, 2024, 12:00 AM to Mar 21, 2024, 11:59 PM (Europe/Berlin)',
    '',
    '— Thursday, March 21, 2024 —',
    '[12:59 AM] \u2068Alice Archer\u2069: just before the 21st',
    '[1:00 AM] \u2068Alice Archer\u2069: first second of the 21st',
    '[10:00 AM] Bob <b>Builder</b> joined the channel',
    '[11:00 AM] \u2068Bob <b>Builder</b>\u2069: line one\nline two <script>alert(1)</script>',
    '    reactions: 👍 2 (\u2068Alice Archer\u2069, \u2068Bob <b>Builder</b>\u2069)',
    '[11:00 AM] \u2068Alice Archer\u2069: same instant, later id',
    '    reply in thread: Bob <b>Builder</b>: line one',
    '    pinned',
    '[12:00 PM] \u2068Alice Archer\u2069: new text',
    '    edited by \u2068Alice Archer\u2069 at Mar 21, 2024, 12:05 PM',
    ''
  ].join('\n'))
  t.same(mail.attachments, [])
})

t.test('by default the requester gets the mail; messages by id, in time order', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } })
  const response = await postExport(app, alice, { rid: general._id, type: 'email', subject: ' \r\n ', messages: ['end', 'start', 'history', 'elsewhere'] })
  t.same(response.json(), { success: true, missing: [] })
  t.same(smtp.envelopes[0], ['alice@example.com'])
  t.equal(smtp.mails[0].subject, 'Messages from General', 'a blank subject gets the default')
  t.equal(smtp.mails[0].text!.replace(/\u202f/g, ' '), [
    'General: 2 messages from Jan 1, 1970, 12:00 AM to ' + smtp.mails[0].text!.replace(/\u202f/g, ' ').split(' to ')[1].split(' (UTC)')[0] + ' (UTC)',
    '',
    '— Thursday, March 21, 2024 —',
    '[12:00 AM] \u2068Alice Archer\u2069: first second of the 21st',
    '',
    '— Friday, March 22, 2024 —',
    '[11:59 PM] \u2068Alice Archer\u2069: last millisecond of the 22nd',
    ''
  ].join('\n'))
})

t.test('format json attaches the JSON export', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } })
  const response = await postExport(app, alice, { rid: general._id, type: 'email', format: 'json', toEmails: ['auditor@example.com'], dateFrom: '2024-03-22', dateTo: '2024-03-22' })
  t.same(response.json(), { success: true, missing: [] })
  const mail = smtp.mails[0]
  t.equal(mail.attachments.length, 1)
  const [attachment] = mail.attachments
  t.equal(attachment.filename, 'general.json')
  t.equal(attachment.contentType, 'application/json')
  const document = JSON.parse(attachment.content.toString())
  t.same(document.messages.map((message: { _id: string }) => message._id), ['links', 'end'])
  t.equal(document.messageCount, 2)
  t.match(mail.html as string, 'The messages are in the attached file general.json.')
})

t.test('more than maxEmailMessages or maxEmailBytes: use a file export', async (t) => {
  const smtp = await startSmtpServer(t)
  const tooMany = await buildApp(t, { mailer: { transport: smtp.transport, from }, limits: { maxEmailMessages: 3 } })
  const response = await postExport(tooMany, alice, { rid: general._id, type: 'email' })
  t.equal(response.statusCode, 400)
  t.same(response.json(), { success: false, error: '[error-too-many-messages]', errorType: 'error-too-many-messages', details: 'more than 3 messages; use a file export' })
  t.equal((await postExport(tooMany, alice, { rid: general._id, type: 'email', messages: ['start', 'end', 'join'] })).statusCode, 200, 'exactly the limit is fine')

  const tooBig = await buildApp(t, { mailer: { transport: smtp.transport, from }, limits: { maxEmailBytes: 1000 } })
  for (const format of ['html', 'json']) {
    const big = await postExport(tooBig, alice, { rid: general._id, type: 'email', format })
    t.equal(big.statusCode, 400)
    t.match(big.json(), { success: false, error: '[error-too-many-messages]', errorType: 'error-too-many-messages', details: /^the export is \d+ bytes, more than 1000; use a file export$/ })
  }
  t.equal(smtp.mails.length, 1, 'only the one within limits was sent')
})

t.test('an SMTP server that refuses the mail: 502 error-email-send-failed', async (t) => {
  const smtp = await startSmtpServer(t, { rejectWith: 'mailbox full' })
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } })
  const response = await postExport(app, alice, { rid: general._id, type: 'email' })
  t.equal(response.statusCode, 502)
  t.same(response.json(), { success: false, error: '[error-email-send-failed]', errorType: 'error-email-send-failed', details: 'the mail server did not accept the mail' })
})

t.test('the mailer takes a ready nodemailer Transporter too', async (t) => {
  const smtp = await startSmtpServer(t)
  const transporter = nodemailer.createTransport(smtp.transport)
  t.teardown(() => transporter.close())
  const app = await buildApp(t, { mailer: { transport: transporter, from } })
  t.equal((await postExport(app, alice, { rid: general._id, type: 'email' })).statusCode, 200)
  t.equal(smtp.mails.length, 1)
})

t.test('"export ready" mail: a signed link that opens that export, without credentials, until it expires', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from }, publicUrl: 'https://chat.example/', secret: 'a-long-enough-test-secret' })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  const status = await waitForExport(app, alice, exportId)
  const mail = await smtp.nextMail()
  t.equal(mail.subject, 'Your export of General is ready')
  t.same(smtp.envelopes[0], ['alice@example.com'])
  const link = /Download: (\S+)/.exec(mail.text!)![1]
  t.match(link, new RegExp(`^https://chat\\.example/api/v1/rooms\\.export\\.download\\?exportId=${exportId}&token=[0-9a-z]+\\.[A-Za-z0-9_-]+$`))
  const expiresAt = new Date(new Date(status.export.finishedAt).getTime() + 24 * 60 * 60 * 1000).toISOString()
  const expiresLabel = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(expiresAt))
  t.equal(mail.text, `Your HTML export of General (9 messages) is ready.\nDownload: ${link}\nAvailable until ${expiresLabel} (UTC).\n`, 'the expiry in the export\'s zone, as the reader reads dates')
  t.match(mail.html as string, `<time datetime="${expiresAt}">${expiresLabel} (UTC)</time>`)
  t.match(mail.html as string, `<a href="${link.replace(/=/g, '&#x3D;').replace(/&token/, '&amp;token')}" style="color:#095ad2;">Download the export</a>`)

  const path = link.slice('https://chat.example'.length)
  const download = await app.inject({ url: path })
  t.equal(download.statusCode, 200, 'no auth headers needed')
  t.same(download.rawPayload, await (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload)

  const token = new URL(link).searchParams.get('token')!
  const [expiry, signature] = token.split('.')
  const notFound = { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'no such export, or the link has expired' }
  for (const forged of [
    `${expiry}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
    `${(parseInt(expiry, 36) + 1000).toString(36)}.${signature}`,
    `${expiry}.${signature}.x`,
    'garbage'
  ]) {
    const response = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}&token=${encodeURIComponent(forged)}` })
    t.equal(response.statusCode, 404)
    t.same(response.json(), notFound)
  }
  const { exportId: otherExport } = (await postExport(app, dave, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, dave, otherExport)
  const wrongExport = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${otherExport}&token=${encodeURIComponent(token)}` })
  t.equal(wrongExport.statusCode, 404, 'a token opens only its own export')
  t.same(wrongExport.json(), notFound)
  // The token stands in for credentials on the download only: every other route still asks who is calling.
  for (const [method, url] of [['GET', `/api/v1/rooms.export.status?exportId=${exportId}&token=${encodeURIComponent(token)}`], ['GET', `/api/v1/rooms.export.list?token=${encodeURIComponent(token)}`], ['POST', `/api/v1/rooms.export.cancel?token=${encodeURIComponent(token)}`]] as const) {
    const refused = await app.inject({ method, url, ...(method === 'POST' ? { payload: { exportId } } : {}) })
    t.equal(refused.statusCode, 401, `${method} ${url.split('?')[0]} with the token and no credentials`)
    t.same(refused.json(), { success: false, error: 'unauthorized' })
  }
})

t.test('"export ready" mail without publicUrl names the export id', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const mail = await smtp.nextMail()
  t.match(mail.text, `Export id: ${exportId}\n`)
  t.match(mail.html as string, `export id <code>${exportId}</code>`)
})

t.test('a link signed with the server\'s own secret opens its export until its expiry, and not from then on', async (t) => {
  const secret = 'the-servers-own-secret-1234'
  const app = await buildApp(t, { secret })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  const { signDownloadToken, verifyDownloadToken } = await import('../lib/export/download-link.ts')
  const download = async (token: string) => await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}&token=${encodeURIComponent(token)}` })
  t.equal((await download(signDownloadToken(secret, exportId, new Date(Date.now() + 60_000)))).statusCode, 200, 'the same secret and export, not expired: it opens')
  const expired = await download(signDownloadToken(secret, exportId, new Date(Date.now() - 1)))
  t.equal(expired.statusCode, 404)
  t.same(expired.json(), { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'no such export, or the link has expired' })
  // At the expiry's millisecond the link is already dead.
  const expiresAt = new Date('2026-01-01T00:00:00.000Z')
  const token = signDownloadToken(secret, exportId, expiresAt)
  t.equal(verifyDownloadToken(secret, exportId, token, new Date(expiresAt.getTime() - 1)), true)
  t.equal(verifyDownloadToken(secret, exportId, token, expiresAt), false)
  t.equal(verifyDownloadToken(secret, exportId, token, new Date(expiresAt.getTime() + 1)), false)
})

t.test('a token is refused unless its expiry is in the server\'s own form, even with a valid signature, and a signature of another length is refused, not thrown', async (t) => {
  const { createHmac } = await import('node:crypto')
  const { verifyDownloadToken } = await import('../lib/export/download-link.ts')
  const secret = 'the-servers-own-secret-1234'
  const exportId = 'export-1'
  const now = new Date('2026-01-01T00:00:00.000Z')
  // Signed here as the server signs, over an expiry the server never writes: only the form check refuses it.
  const signedOver = (expiry: string) => `${expiry}.${createHmac('sha256', secret).update(`${exportId}.${expiry}`).digest('base64url')}`
  const later = (now.getTime() + 60_000).toString(36)
  t.equal(verifyDownloadToken(secret, exportId, signedOver(later), now), true, 'the server\'s form: it opens')
  t.equal(verifyDownloadToken(secret, exportId, signedOver(`Z${later}`), now), false, 'a character before the base-36 digits')
  t.equal(verifyDownloadToken(secret, exportId, signedOver(`${later}Z`), now), false, 'a character after them')
  t.equal(verifyDownloadToken(secret, exportId, signedOver(`${later}0000000`), now), false, 'more than 12 digits')
  const [expiry, signature] = signedOver(later).split('.')
  t.equal(verifyDownloadToken(secret, exportId, `${expiry}.${signature.slice(0, -1)}`, now), false, 'a signature cut short')
  t.equal(verifyDownloadToken(secret, exportId, `${expiry}.${signature}A`, now), false, 'a signature too long')
})

t.test('a user without an address gets no "export ready" mail; a failing mail server does not fail the export, and is logged', async (t) => {
  const refusing = await startSmtpServer(t, { rejectWith: 'no thanks' })
  const { logger, lines } = capturingLogger('error')
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(await temporaryDirectory(t)), mailer: { transport: refusing.transport, from } })
  const { carol } = await import('./helpers/fixtures.ts')
  const exportIds: string[] = []
  for (const user of [carol, alice]) {
    const started = (await postExport(app, user, { rid: general._id, type: 'file', format: 'json' })).json()
    t.equal((await waitForExport(app, user, started.exportId)).export.status, 'done', `${user.username}'s export is done`)
    exportIds.push(started.exportId)
  }
  t.ok(await eventually(async () => lines.length === 1), 'the refusal is logged')
  t.same(refusing.attempts, [['alice@example.com']], 'only alice\'s mail was tried: carol has no address')
  t.same(refusing.mails, [], 'and the server took none')
  t.same(lines.map(({ msg, exportId }) => ({ msg, exportId })), [{ msg: 'rooms.export: export-ready mail failed', exportId: exportIds[1] }])
})

t.test('a mail that would pass ~100 KB keeps the first messages in its body and attaches the whole export as a page', async (t) => {
  const smtp = await startSmtpServer(t)
  const data = fixtureData()
  const messages = Array.from({ length: 900 }, (_, index) => message(general._id, new Date(Date.UTC(2024, 4, 1, 8, index)).toISOString(), `message ${index} *${'x'.repeat(120)}*`, { _id: `long-${String(index).padStart(3, '0')}`, u: { _id: index % 2 === 0 ? alice._id : dave._id, username: index % 2 === 0 ? 'alice' : 'dave' } }))
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from } }, { ...data, messages })
  const response = await postExport(app, alice, { rid: general._id, type: 'email', dateFrom: '2024-05-01', dateTo: '2024-05-01' })
  t.same(response.json(), { success: true, missing: [] })
  const mail = smtp.mails[0]
  const body = mail.html as string
  t.ok(Buffer.byteLength(body) < 100 * 1024, `the body is ${Buffer.byteLength(body)} bytes: no client clips it`)
  const shown = Number(/The first (\d+) of 900 messages are below; all are in the attached file general\.html\./.exec(body)?.[1])
  t.ok(shown > 100 && shown < 900, `${shown} messages in the body`)
  t.match(body, `… ${900 - shown} more messages in general.html.`)
  t.equal(mail.attachments.length, 1)
  const [attachment] = mail.attachments
  t.same([attachment.filename, attachment.contentType], ['general.html', 'text/html'])
  const page = attachment.content.toString()
  t.equal([...page.matchAll(/<article class="message[^"]*" id="m-long-\d+"/g)].length, 900, 'the attachment holds every message')
  t.match(page, '<strong class="md-bold">xxx', 'rendered like the file export')
})
