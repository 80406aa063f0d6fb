import nodemailer from 'nodemailer'
import t from 'tap'
import { buildApp } from './helpers/app.ts'
import { exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, dave, general } from './helpers/fixtures.ts'
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
  const html = mail.html as string
  // Berlin's March 21 is 2024-03-20T23:00Z … 2024-03-21T22:59:59.999Z: "before" (23:59:59.999Z on the 20th) is in it.
  t.same([...html.matchAll(/<b>([^<]*)<\/b> <span style="color:#6c727a;">@(\w+) (\d\d:\d\d:\d\d)/g)].map((match) => `${match[2]} ${match[3]}`), [
    'alice 00:59:59', 'alice 01:00:00', 'bob 11:00:00', 'alice 11:00:00', 'alice 12:00:00'
  ])
  t.match(html, 'line one<br>line two &lt;script&gt;alert(1)&lt;/script&gt;')
  t.match(html, '<b>Bob &lt;b&gt;Builder&lt;/b&gt;</b>')
  t.match(html, '10:00:00 bob joined the room')
  t.notMatch(html, /<script|old text/)
  t.match(html, /style="/, 'inline styles')
  t.equal(mail.text, [
    'General: 6 messages (Europe/Berlin)',
    '',
    '— 2024-03-21 —',
    '[00:59:59] alice: just before the 21st',
    '[01:00:00] alice: first second of the 21st',
    '[10:00:00] bob joined the room',
    '[11:00:00] bob: line one\nline two <script>alert(1)</script>',
    '[11:00:00] alice: same instant, later id',
    '[12:00:00] alice: new text',
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
  t.equal(smtp.mails[0].text, [
    'General: 2 messages (UTC)',
    '',
    '— 2024-03-21 —',
    '[00:00:00] alice: first second of the 21st',
    '',
    '— 2024-03-22 —',
    '[23:59:59] alice: last millisecond of the 22nd',
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
  t.match(mail.html as string, 'The messages are attached as general.json.')
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
  t.equal(mail.text, `Your HTML export of General (9 messages) is ready.\nDownload: ${link}\nAvailable until ${expiresAt}.\n`)
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
})

t.test('"export ready" mail without publicUrl names the export id; an expired link is refused', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from }, limits: { exportTtlMs: 1 } })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const mail = await smtp.nextMail()
  t.match(mail.text, `Export id: ${exportId}\n`)
  t.match(mail.html as string, `export id <code>${exportId}</code>`)
  const { signDownloadToken } = await import('../lib/export/download-link.ts')
  const expired = signDownloadToken('whatever-secret-123', exportId, new Date(Date.now() - 1))
  const response = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}&token=${encodeURIComponent(expired)}` })
  t.equal(response.statusCode, 404)
})

t.test('a user without an address gets no "export ready" mail; a failing mail server does not fail the export', async (t) => {
  const refusing = await startSmtpServer(t, { rejectWith: 'no thanks' })
  const app = await buildApp(t, { mailer: { transport: refusing.transport, from } })
  const { carol } = await import('./helpers/fixtures.ts')
  for (const user of [carol, alice]) {
    const zip = await exportToZip(app, user, { rid: general._id, type: 'file', format: 'json' })
    t.ok(zip.length > 0)
  }
  t.same(refusing.mails, [])
})
