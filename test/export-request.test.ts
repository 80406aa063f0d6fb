import Fastify from 'fastify'
import t from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository } from '../index.ts'
import { buildApp, capturingLogger, heldRepository, hostHooks, temporaryDirectory } from './helpers/app.ts'
import { exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, carol, dave, fixtureData, general, secret } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { readZip } from './helpers/zip.ts'

const invalid = (errorType: string, details: string) => ({ success: false, error: `[${errorType}]`, errorType, details })

t.test('1: no or wrong credentials answer 401 before the body is parsed', async (t) => {
  const app = await buildApp(t)
  const unauthorized = { success: false, error: 'unauthorized' }
  const cases = [
    { headers: {}, payload: { rid: general._id, type: 'file', format: 'html' } },
    { headers: { 'x-user-id': alice._id, 'x-auth-token': 'wrong' }, payload: { rid: general._id, type: 'file', format: 'html' } },
    { headers: { 'x-user-id': alice._id, 'content-type': 'application/json' }, payload: '{not json' },
    { headers: { 'content-type': 'text/plain' }, payload: 'hello' }
  ]
  for (const { headers, payload } of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload })
    t.equal(response.statusCode, 401)
    t.same(response.json(), unauthorized)
  }
  for (const url of ['/api/v1/rooms.export.status?exportId=x', '/api/v1/rooms.export.download?exportId=x']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 401)
    t.same(response.json(), unauthorized)
  }
})

t.test('2: malformed fields answer error-invalid-params, never coerced', async (t) => {
  const app = await buildApp(t)
  const cases: [unknown, string][] = [
    [{ type: 'file', format: 'html' }, 'rid: Expected required property'],
    [{ rid: '', type: 'file', format: 'html' }, 'rid: Expected string length greater or equal to 1'],
    [{ rid: 42, type: 'file', format: 'html' }, 'rid: Expected string'],
    [{ rid: { $ne: null }, type: 'file', format: 'html' }, 'rid: Expected string'],
    [{ rid: [general._id], type: 'file', format: 'html' }, 'rid: Expected string'],
    [{ rid: general._id, format: 'html' }, 'type: Expected required property'],
    [{ rid: general._id, type: 'pdf', format: 'html' }, 'type: Expected union value'],
    [{ rid: general._id, type: 'file', format: 'html', extra: 1 }, 'extra: Unexpected property'],
    [{ rid: general._id, type: 'file', format: 'html', dateFrom: '21.03.2024' }, 'dateFrom: Expected string to match \'^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$\''],
    [{ rid: general._id, type: 'file', format: 'html', dateFrom: '2024-02-30' }, 'dateFrom: is not a real calendar date/time'],
    [{ rid: general._id, type: 'file', format: 'html', dateTo: '2024-03-01T24:00' }, 'dateTo: is not a real calendar date/time'],
    [{ rid: general._id, type: 'file', format: 'html', dateTo: '2024-03-01T10:00+25:00' }, 'dateTo: has an impossible UTC offset'],
    [{ rid: general._id, type: 'file', format: 'html', dateTo: 1711065600000 }, 'dateTo: Expected string'],
    [{ rid: general._id, type: 'file', format: 'html', timezone: 'Mars/Olympus' }, 'timezone: "Mars/Olympus" is not an IANA time zone'],
    [{ rid: general._id, type: 'file', format: 'html', toUsers: ['bob'] }, 'toUsers: only for type "email"'],
    [{ rid: general._id, type: 'file', format: 'html', subject: 'hi' }, 'subject: only for type "email"'],
    [{ rid: general._id, type: 'email', toEmails: 'bob@example.org' }, 'toEmails: Expected array'],
    [{ rid: general._id, type: 'email', messages: [] }, 'messages: Expected array length to be greater or equal to 1'],
    [{ rid: general._id, type: 'email', messages: ['x'], dateFrom: '2024-03-01' }, 'messages: give either message ids or dateFrom/dateTo, not both'],
    [{ rid: general._id, type: 'email', messages: ['x'], dateTo: '2024-03-01' }, 'messages: give either message ids or dateFrom/dateTo, not both'],
    [{ rid: general._id, type: 'email', toUsers: ['bob', 42] }, 'toUsers.1: Expected string'],
    [{ rid: general._id, type: 'file', format: 'html', formats: 'json' }, 'formats: Unexpected property'],
    [{ rid: general._id, type: 'file', format: 'pdf', formatVersion: 2 }, 'formatVersion: Unexpected property'],
    [[], 'body: Expected object'],
    [{ rid: general._id, type: 'file', format: 'pdf', dateFrom: 'yesterday' }, 'dateFrom: Expected string to match \'^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$\''],
    [{ rid: general._id, type: 'file', format: 'pdf', toEmails: [] }, 'toEmails: only for type "email"']
  ]
  for (const [payload, details] of cases) {
    const response = await postExport(app, alice, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.same(response.json(), invalid('error-invalid-params', details), JSON.stringify(payload))
  }
})

t.test('2: bodies Fastify cannot parse answer in the same shape', async (t) => {
  const app = await buildApp(t)
  const cases = [
    { contentType: 'application/json', payload: '{"rid":', status: 400, details: 'the request body is not valid JSON' },
    { contentType: 'application/json', payload: '', status: 400, details: 'the request body is empty' },
    { contentType: 'text/plain', payload: 'rid=x', status: 415, details: 'Content-Type must be application/json' },
    { contentType: 'application/x-www-form-urlencoded', payload: 'rid=x', status: 415, details: 'Content-Type must be application/json' },
    { contentType: 'application/json', payload: JSON.stringify({ rid: 'x'.repeat(1024 * 1024 + 10), type: 'file' }), status: 413, details: 'the request body is too large' },
    { contentType: undefined, payload: undefined, status: 400, details: 'body: Expected object' },
    { contentType: 'application/json', contentLength: '3', payload: '{"rid":"x"}', status: 400, details: 'Request body size did not match Content-Length' }
  ]
  for (const { contentType, contentLength, payload, status, details } of cases) {
    const headers = {
      ...authHeaders(alice),
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
      ...(contentLength === undefined ? {} : { 'content-length': contentLength })
    }
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload })
    t.equal(response.statusCode, status, details)
    t.same(response.json(), invalid('error-invalid-params', details))
  }
})

t.test('3: format missing for a file export, or not html/json', async (t) => {
  const app = await buildApp(t)
  for (const [payload, details] of [
    [{ rid: general._id, type: 'file' }, 'format: required for type "file" ("html" or "json")'],
    [{ rid: general._id, type: 'file', format: 'pdf' }, 'format: must be "html" or "json"'],
    [{ rid: general._id, type: 'email', format: 42 }, 'format: must be "html" or "json"'],
    [{ rid: 'no-such-room', type: 'file', format: 'HTML' }, 'format: must be "html" or "json"']
  ] as const) {
    const response = await postExport(app, alice, payload)
    t.equal(response.statusCode, 400)
    t.same(response.json(), invalid('error-invalid-format', details))
  }
})

t.test('4: without mail-messages: 403, even for a room that does not exist', async (t) => {
  const app = await buildApp(t)
  for (const rid of [general._id, 'no-such-room']) {
    const response = await postExport(app, bob, { rid, type: 'file', format: 'html', dateFrom: '2024-03-22', dateTo: '2024-03-01' })
    t.equal(response.statusCode, 403)
    t.same(response.json(), invalid('error-action-not-allowed', 'the mail-messages permission is required'))
  }
})

t.test('4: the permission is asked for the room in the request', async (t) => {
  const asked: unknown[] = []
  const app = await buildApp(t, {
    async hasPermission (user, permission, rid) {
      asked.push([user.username, permission, rid])
      return false
    }
  })
  await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })
  t.same(asked, [['alice', 'mail-messages', general._id]])
})

t.test('5: an unknown room beats inverted dates and the email checks', async (t) => {
  const app = await buildApp(t)
  for (const payload of [
    { rid: 'no-such-room', type: 'file', format: 'html', dateFrom: '2024-03-22', dateTo: '2024-03-01' },
    { rid: 'no-such-room', type: 'email', toEmails: ['not-an-address'] }
  ]) {
    const response = await postExport(app, alice, payload)
    t.equal(response.statusCode, 400)
    t.same(response.json(), invalid('error-invalid-room', 'no such room'))
  }
})

t.test('6: a private room the user is not in: 403 error-not-allowed, before the dates', async (t) => {
  const app = await buildApp(t)
  const response = await postExport(app, dave, { rid: secret._id, type: 'file', format: 'html', dateFrom: '2024-03-22', dateTo: '2024-03-01' })
  t.equal(response.statusCode, 403)
  t.same(response.json(), invalid('error-not-allowed', 'you have no access to this room'))
})

t.test('7: dateFrom after dateTo', async (t) => {
  const app = await buildApp(t)
  for (const [dateFrom, dateTo] of [['2024-03-22', '2024-03-21'], ['2024-03-21T10:00:00.001Z', '2024-03-21T10:00:00Z'], ['2999-01-01', undefined]]) {
    const response = await postExport(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom, dateTo })
    t.equal(response.statusCode, 400)
    t.same(response.json(), invalid('error-invalid-dates', 'dateFrom is after dateTo'))
  }
})

t.test('7: a date-only dateFrom is the start of its day, a date-only dateTo the end of its; a single instant is a range', async (t) => {
  const app = await buildApp(t)
  const sameDay = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  const manifest = JSON.parse((await readZip(sameDay)).get('manifest.json')!.toString())
  t.same(manifest.range, { from: '2024-03-21T00:00:00.000Z', to: '2024-03-21T23:59:59.999Z', timezone: 'UTC' })
  for (const [dateFrom, dateTo] of [['2024-03-21', '2024-03-21T12:00'], ['2024-03-21T12:00', '2024-03-21'], ['2024-03-21T10:00:00Z', '2024-03-21T10:00:00Z']]) {
    const response = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom, dateTo })
    t.equal(response.statusCode, 200, `${dateFrom} to ${dateTo}`)
    await waitForExport(app, alice, response.json().exportId)
  }
})

t.test('8: an email export without a mailer', async (t) => {
  const app = await buildApp(t)
  const response = await postExport(app, alice, { rid: general._id, type: 'email', toEmails: ['not-an-address'] })
  t.equal(response.statusCode, 400)
  t.same(response.json(), invalid('error-email-not-configured', 'this server has no mailer configured'))
})

t.test('9 and 10: malformed addresses first, then nobody to send to', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' }, limits: { maxRecipients: 2, allowedEmailDomains: ['Example.com', 'example.org'] } })
  const cases: [string, object, string, string][] = [
    [alice._id, { toEmails: ['bob@example.org', 'nobody'] }, 'error-invalid-email', 'toEmails: "nobody" is not an email address'],
    [alice._id, { toEmails: ['a@example.com\r\nBcc: x@evil.test'] }, 'error-invalid-email', 'toEmails: "a@example.com\\r\\nBcc: x@evil.test" is not an email address'],
    [alice._id, { toUsers: ['ghost'], toEmails: ['bad@'] }, 'error-invalid-email', 'toEmails: "bad@" is not an email address'],
    [carol._id, {}, 'error-invalid-recipient', 'no recipients given and you have no email address'],
    [carol._id, { toUsers: [], toEmails: [] }, 'error-invalid-recipient', 'no recipients given and you have no email address'],
    [alice._id, { toUsers: ['ghost', 'carol'] }, 'error-invalid-recipient', 'none of the recipients has an email address'],
    [alice._id, { toEmails: ['a@example.com', 'b@example.com', 'c@example.com'] }, 'error-invalid-recipient', 'at most 2 recipients'],
    [alice._id, { toEmails: ['a@example.com', 'x@evil.test'] }, 'error-invalid-recipient', 'x@evil.test is outside the allowed email domains']
  ]
  for (const [userId, recipients, errorType, details] of cases) {
    const user = [alice, carol].find((candidate) => candidate._id === userId)!
    const response = await postExport(app, user, { rid: general._id, type: 'email', ...recipients })
    t.equal(response.statusCode, 400, details)
    t.same(response.json(), invalid(errorType, details))
  }
  t.same(smtp.mails, [], 'nothing was sent')
})

t.test('11: file exports beyond the per-user and overall limits', async (t) => {
  const { repository, release } = heldRepository(createMemoryRepository(fixtureData()))
  const app = await buildApp(t, {
    limits: { concurrentExportsPerUser: 1, concurrentExports: 2 },
    hasPermission: async () => true,
    repository
  })
  const payload = { rid: general._id, type: 'file', format: 'json' }
  t.equal((await postExport(app, alice, payload)).statusCode, 200)
  const second = await postExport(app, alice, payload)
  t.equal(second.statusCode, 429)
  t.same(second.json(), invalid('error-too-many-requests', 'too many exports are running; try again when one has finished'))
  t.equal((await postExport(app, bob, payload)).statusCode, 200)
  const third = await postExport(app, dave, payload)
  t.equal(third.statusCode, 429, 'the overall limit holds for another user')
  t.same(third.json(), invalid('error-too-many-requests', 'too many exports are running; try again when one has finished'))
  release()
})

t.test('an email export of messages by id, without dates or format: sent as HTML, the default, and logged so', async (t) => {
  const smtp = await startSmtpServer(t)
  const directory = await temporaryDirectory(t)
  const { logger, lines } = capturingLogger('info')
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory), mailer: { transport: smtp.transport, from: 'exports@chat.example' } })
  const response = await postExport(app, alice, { rid: general._id, type: 'email', messages: ['start'] })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { success: true, missing: [] })
  t.equal(smtp.mails.length, 1)
  t.match(smtp.mails[0].html, 'first second of the 21st', 'the messages in the mail\'s HTML body')
  t.same(smtp.mails[0].attachments, [], 'not a JSON attachment')
  const started = lines.filter((line) => line.msg === 'rooms.export: export started')
  t.same(started.map(({ type, format }) => ({ type, format })), [{ type: 'email', format: 'html' }])
})
