import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type RoomsExportOptions } from '../index.ts'
import { redactTokens } from '../lib/routes/route-context.ts'
import { capturingLogger, heldRepository, hostHooks, temporaryDirectory, type LogLine } from './helpers/app.ts'
import { eventually, postExport, waitForExport } from './helpers/exports.ts'
import { alice, fixtureData, general } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'

/** A host with pino writing into `lines`, as a real host's logger would. */
async function loggedApp (t: Test, options: RoomsExportOptions = {}) {
  const directory = await temporaryDirectory(t)
  const { logger, lines } = capturingLogger('info')
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory), ...options })
  await app.ready()
  return { app, lines }
}

t.test('a mailed link\'s token never reaches the request log', async (t) => {
  const smtp = await startSmtpServer(t)
  const { app, lines } = await loggedApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' }, publicUrl: 'https://chat.example', secret: 'a-secret-of-at-least-16-characters' })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  const link = /https:\/\/chat\.example(\S+)/.exec((await smtp.nextMail()).text!)![1]
  const token = new URL(link, 'https://chat.example').searchParams.get('token')!
  t.equal((await app.inject({ url: link })).statusCode, 200)
  const incoming = lines.filter((line) => line.msg === 'incoming request' && String((line.req as { url: string }).url).includes('rooms.export.download'))
  t.same(incoming.map((line) => line.req), [{ method: 'GET', url: `/api/v1/rooms.export.download?exportId=${exportId}&token=[redacted]`, host: 'localhost:80', remoteAddress: '127.0.0.1' }])
  t.notOk(lines.some((line) => JSON.stringify(line).includes(token.split('.')[1])), 'the signature appears in no log line')

  // However the parameter's name is encoded, Fastify reads it as `token`: so does the redaction.
  const [path, query] = link.split('?')
  const encodings = ['%74oken', 'tok%65n', '%74%6F%6B%65%6E', 'to%6Ben']
  for (const name of encodings) {
    const encoded = `${path}?${query.replace('token=', `${name}=`)}`
    t.equal((await app.inject({ url: encoded })).statusCode, 200, `${name}= downloads`)
  }
  t.notOk(lines.some((line) => JSON.stringify(line).includes(token.split('.')[1])), 'the signature appears in no log line, whatever the encoding')
  t.equal(redactTokens('/x?a=1&%74oken=secret&b=2&token=s2&tokens=kept&to%ZZken=kept&flag&token'), '/x?a=1&%74oken=[redacted]&b=2&token=[redacted]&tokens=kept&to%ZZken=kept&flag&token=[redacted]')
  t.equal(redactTokens('/x'), '/x')
})

t.test('an export logs one info line when it starts and one when it ends', async (t) => {
  const { app, lines } = await loggedApp(t)
  const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  const { exportId } = started.json()
  const status = await waitForExport(app, alice, exportId)
  // The done line follows the status write, which the status route can see a moment before.
  t.ok(await eventually(async () => lines.some((line) => line.msg === 'rooms.export: export done')))
  const reqId = lines.find((line) => line.msg === 'incoming request' && (line.req as { method: string }).method === 'POST')!.reqId
  const exportLines = lines.filter((line) => line.msg.startsWith('rooms.export:'))
  t.same(exportLines.map(({ level, msg, exportId, userId, rid, reqId, format, messages, bytes }) => ({ level, msg, exportId, userId, rid, reqId, format, messages, bytes })), [
    { level: 30, msg: 'rooms.export: export started', exportId, userId: alice._id, rid: general._id, reqId, format: 'json', messages: undefined, bytes: undefined },
    { level: 30, msg: 'rooms.export: export done', exportId, userId: alice._id, rid: general._id, reqId, format: undefined, messages: 7, bytes: status.export.bytes }
  ])
  t.type(exportLines[1].ms, 'number')
})

t.test('an email export logs one info line when it starts and one once the mail server took it', async (t) => {
  const smtp = await startSmtpServer(t)
  const { app, lines } = await loggedApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' } })
  const sent = await postExport(app, alice, { rid: general._id, type: 'email', format: 'json', toEmails: ['auditor@example.com'], dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  t.same(sent.json(), { success: true, missing: [] })
  await smtp.nextMail()
  const reqId = lines.find((line) => line.msg === 'incoming request' && (line.req as { method: string }).method === 'POST')!.reqId
  const exportLines = lines.filter((line) => line.msg.startsWith('rooms.export:'))
  t.same(exportLines.map(({ level, msg, userId, rid, reqId, type, format, messages }) => ({ level, msg, userId, rid, reqId, type, format, messages })), [
    { level: 30, msg: 'rooms.export: export started', userId: alice._id, rid: general._id, reqId, type: 'email', format: 'json', messages: undefined },
    { level: 30, msg: 'rooms.export: export done', userId: alice._id, rid: general._id, reqId, type: 'email', format: undefined, messages: 7 }
  ])
  t.type(exportLines[1].ms, 'number')
})

t.test('a failed email export logs why at warn, as its answer says', async (t) => {
  const smtp = await startSmtpServer(t)
  const mailer = { transport: smtp.transport, from: 'exports@chat.example' }
  const failedLines = (lines: LogLine[]) => lines.filter((line) => line.msg === 'rooms.export: export failed').map(({ level, userId, rid, type, reason }) => ({ level, userId, rid, type, reason }))

  const tooMany = await loggedApp(t, { mailer, limits: { maxEmailMessages: 1 } })
  t.equal((await postExport(tooMany.app, alice, { rid: general._id, type: 'email' })).json().errorType, 'error-too-many-messages')
  t.same(failedLines(tooMany.lines), [
    { level: 40, userId: alice._id, rid: general._id, type: 'email', reason: 'error-too-many-messages: more than 1 messages; use a file export' }
  ])

  // A repository that fails is the server's fault: the answer is error-internal, the error handler logs the cause.
  const memory = createMemoryRepository(fixtureData())
  const broken = await loggedApp(t, { mailer, repository: { ...memory, async * findMessages () { yield * []; throw new Error('connection reset') } } })
  t.equal((await postExport(broken.app, alice, { rid: general._id, type: 'email' })).json().errorType, 'error-internal')
  t.same(failedLines(broken.lines), [{ level: 40, userId: alice._id, rid: general._id, type: 'email', reason: 'error-internal' }])
  t.same(broken.lines.filter((line) => line.level >= 50).map(({ msg }) => msg), ['rooms.export: unexpected error'])
})

t.test('a routine shutdown logs the aborted export at warn, without a stack', async (t) => {
  const held = heldRepository(createMemoryRepository(fixtureData()))
  const { app, lines } = await loggedApp(t, { repository: held.repository })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await app.close()
  const aborted = lines.filter((line) => line.msg === 'rooms.export: export aborted by shutdown')
  t.same(aborted.map(({ level, exportId, reason }) => ({ level, exportId, reason })), [{ level: 40, exportId, reason: 'the server shut down during the export' }])
  t.notOk(lines.some((line) => line.level >= 50), 'no error line')
  t.notOk(JSON.stringify(aborted).includes('stack'), 'no stack')
})

t.test('mailed links without a secret: ready() warns', async (t) => {
  const smtp = await startSmtpServer(t)
  const mailer = { transport: smtp.transport, from: 'exports@chat.example' }
  const { lines } = await loggedApp(t, { mailer, publicUrl: 'https://chat.example' })
  t.same(lines.filter((line) => line.level === 40).map((line) => line.msg), [
    'rooms.export: no "secret" option: mailed download links are signed with a random key, so they stop working when the server restarts and differ between instances'
  ])
  const withSecret = await loggedApp(t, { mailer, publicUrl: 'https://chat.example', secret: 'a-secret-of-at-least-16-characters' })
  t.same(withSecret.lines.filter((line) => line.level === 40), [])
  const withoutLinks = await loggedApp(t, { mailer })
  t.same(withoutLinks.lines.filter((line) => line.level === 40), [], 'no link, no warning')
})
