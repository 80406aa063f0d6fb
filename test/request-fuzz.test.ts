import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { errorTable } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, general, secret } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'

/**
 * Property-based fuzzing of every route: whatever arrives — bodies of any
 * shape, hostile strings, query strings with any keys — the answer is never
 * a 5xx, every success has its documented shape exactly, and every refusal
 * the documented error shape. Each property prints its seed (`FUZZ_SEED`
 * replays one); `FUZZ_RUNS_FACTOR` multiplies the runs (CI: 1).
 */

const runsFactor = Number(process.env.FUZZ_RUNS_FACTOR ?? 1)

/** fast-check's parameters for `runs` runs (times the factor), with a seed this test prints. */
function fuzzing (t: Test, runs: number): { numRuns: number, seed: number } {
  const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED)
  t.comment(`fast-check seed ${seed} (FUZZ_SEED=${seed} replays it), ${runs * runsFactor} runs`)
  return { numRuns: runs * runsFactor, seed }
}

/** A status object as documented: its keys, and each of the right kind. */
function isStatus (entry: Record<string, unknown>): boolean {
  const optional = ['finishedAt', 'error', 'attempt', 'total', 'progress']
  const keys = Object.keys(entry)
  const integer = (value: unknown) => Number.isInteger(value) && (value as number) >= 0
  return ['_id', 'rid', 'format', 'status', 'messages', 'bytes', 'createdAt'].every((key) => keys.includes(key)) &&
    keys.every((key) => ['_id', 'rid', 'format', 'status', 'messages', 'bytes', 'createdAt', ...optional].includes(key)) &&
    typeof entry._id === 'string' && typeof entry.rid === 'string' && ['html', 'json'].includes(entry.format as string) &&
    ['queued', 'running', 'done', 'failed', 'cancelled'].includes(entry.status as string) && integer(entry.messages) && integer(entry.bytes) &&
    !Number.isNaN(Date.parse(entry.createdAt as string)) && (entry.total === undefined || integer(entry.total)) &&
    (entry.progress === undefined || (typeof entry.progress === 'number' && entry.progress >= 0 && entry.progress <= 1))
}

const exactly = (body: unknown, keys: string[]) => typeof body === 'object' && body !== null && Object.keys(body).sort().join() === [...keys].sort().join()

/** What each route's 200 must be, whole. */
const successShapes: Record<string, (response: LightMyRequestResponse) => boolean> = {
  'POST rooms.export': (response) => {
    const body = response.json()
    return body.success === true && ((exactly(body, ['success', 'exportId']) && typeof body.exportId === 'string') ||
      (exactly(body, ['success', 'missing']) && Array.isArray(body.missing) && body.missing.every((name: unknown) => typeof name === 'string')))
  },
  'GET rooms.export.status': (response) => {
    const body = response.json()
    return exactly(body, ['success', 'export']) && body.success === true && isStatus(body.export)
  },
  'GET rooms.export.download': (response) => response.headers['content-type'] === 'application/zip' && response.rawPayload.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004',
  'POST rooms.export.cancel': (response) => JSON.stringify(response.json()) === '{"success":true}',
  'GET rooms.export.list': (response) => {
    const body = response.json()
    return exactly(body, ['success', 'exports', 'offset', 'count', 'total']) && body.success === true && Array.isArray(body.exports) &&
      body.exports.every(isStatus) && body.count === body.exports.length && Number.isInteger(body.offset) && Number.isInteger(body.total)
  }
}

const documentedErrorTypes = new Set(Object.keys(errorTable))

/** HTTP statuses seen per test, to show what the fuzzing reached. */
const seen = new Map<Test, Map<number, number>>()

function checkAnswer (t: Test, route: string, response: LightMyRequestResponse, input: unknown): boolean {
  const counts = seen.get(t) ?? new Map<number, number>()
  seen.set(t, counts)
  counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1)
  const where = JSON.stringify(input).slice(0, 300)
  if (response.statusCode >= 500) {
    t.fail(`${response.statusCode} for ${where}: ${response.body}`)
    return false
  }
  if (response.statusCode === 200) {
    const shaped = successShapes[route]!(response)
    if (!shaped) t.fail(`200 ${response.body.slice(0, 300)} for ${where}`)
    return shaped
  }
  const body = response.json()
  if (response.statusCode === 401) return JSON.stringify(body) === '{"success":false,"error":"unauthorized"}'
  const keys = Object.keys(body).sort().join(',')
  const shaped = body.success === false && documentedErrorTypes.has(body.errorType) && body.error === `[${body.errorType}]` &&
    (keys === 'error,errorType,success' || (keys === 'details,error,errorType,success' && typeof body.details === 'string'))
  if (!shaped) t.fail(`${response.statusCode} ${response.body} for ${where}`)
  return shaped
}

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', '../../etc/passwd', '<script>', '\u0000', '\ud800', 'UTC', 'Europe/Berlin', '2024-03-21', '2024-02-30', '2024-03-21T25:00:00Z', 'html', 'json', 'file', 'email', general._id, secret._id)
)
const anyValue = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 5 }), fc.object({ maxDepth: 2 }))
/** Mostly a meaningful value, sometimes anything, sometimes absent: inputs that reach every check. */
const field = (known: fc.Arbitrary<unknown>, present = 2) => fc.option(fc.oneof({ arbitrary: known, weight: 30 }, { arbitrary: anyValue, weight: 1 }), { nil: undefined, freq: present })

const body = fc.record({
  rid: field(fc.constantFrom(general._id, secret._id, 'room-unknown'), 20),
  type: field(fc.constantFrom('file', 'email'), 20),
  format: field(fc.constantFrom('html', 'json'), 10),
  dateFrom: field(fc.constantFrom('2024-03-21', '2024-03-21T10:00:00', '2024-03-21T10:00:00+05:30')),
  dateTo: field(fc.constantFrom('2024-03-22', '2024-03-20', '1969-12-31')),
  timezone: field(fc.constantFrom('UTC', 'europe/berlin', 'America/Argentina/ComodRivadavia', 'Mars/Base')),
  toUsers: field(fc.array(fc.constantFrom('bob', 'ghost', 'carol'), { maxLength: 3 }), 1),
  toEmails: field(fc.array(fc.emailAddress(), { maxLength: 3 }), 1),
  subject: field(hostileString, 1),
  messages: field(fc.array(fc.constantFrom('start', 'end', 'elsewhere'), { maxLength: 3 }), 1)
}, { requiredKeys: [] })
const extraKeys = fc.dictionary(hostileString, anyValue, { maxKeys: 2 })
const caller = fc.oneof({ arbitrary: fc.constant(alice), weight: 4 }, { arbitrary: fc.constantFrom(bob, null), weight: 1 })

t.test('POST rooms.export: any body, any caller — never a 5xx, always the documented shape', async (t) => {
  // A mailer: email requests go through recipient checks to a real SMTP server.
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' }, limits: { concurrentExports: 1000, concurrentExportsPerUser: 1000 } })
  await fc.assert(fc.asyncProperty(body, extraKeys, caller, fc.nat(3), async (fields, extra, user, extraOnes) => {
    const payload = extraOnes === 0 ? { ...extra, ...fields } : fields
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: user === null ? {} : authHeaders(user), payload })
    return checkAnswer(t, 'POST rooms.export', response, payload)
  }), fuzzing(t, 400))
  reportReach(t, 4)
  t.ok(smtp.mails.length > 0, `${smtp.mails.length} email exports reached the mail server`)
})

t.test('POST rooms.export: raw bodies that are not JSON objects', async (t) => {
  const app = await buildApp(t)
  const rawBody = fc.oneof(fc.string(), fc.json(), fc.constantFrom('', '{', 'null', '[]', '"x"', '{"rid":', `{"rid":"${general._id}","type":"file","format":"json"}`, `{"rid":"${general._id}","type":"email","subject":"${'x'.repeat(1024 * 1024)}"}`))
  const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', undefined)
  await fc.assert(fc.asyncProperty(rawBody, contentType, async (raw, type) => {
    const headers: Record<string, string> = { ...authHeaders(alice) }
    if (type !== undefined) headers['content-type'] = type
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: raw })
    return checkAnswer(t, 'POST rooms.export', response, { raw, type })
  }), fuzzing(t, 300))
  reportReach(t, 3)
})

t.test('GET rooms.export.status, .download and .list: any query string — never a 5xx, always the documented shape', async (t) => {
  const app = await buildApp(t)
  const done = (await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: authHeaders(alice), payload: { rid: general._id, type: 'file', format: 'json' } })).json().exportId as string
  await waitForExport(app, alice, done)
  const queryValue = fc.oneof(hostileString, fc.string({ minLength: 100, maxLength: 400 }), fc.constantFrom('x.y', 'zz.abc', '1.2.3', '0', '1', '25', '100', '101', '-1', '999999999', done, done))
  const query = fc.dictionary(fc.oneof({ arbitrary: fc.constantFrom('exportId', 'exportId', 'token', 'exportId[]', 'token[x]', 'offset', 'count'), weight: 4 }, { arbitrary: hostileString, weight: 1 }), fc.oneof({ arbitrary: queryValue, weight: 4 }, { arbitrary: fc.array(queryValue, { maxLength: 3 }), weight: 1 }), { maxKeys: 3 })
  const route = fc.constantFrom('rooms.export.status', 'rooms.export.download', 'rooms.export.list')
  await fc.assert(fc.asyncProperty(route, query, caller, async (path, parameters, user) => {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(parameters)) for (const item of [value].flat()) search.append(key, item.toWellFormed())
    const response = await app.inject({ method: 'GET', url: `/api/v1/${path}?${search.toString()}`, headers: user === null ? {} : authHeaders(user) })
    return checkAnswer(t, `GET ${path}`, response, { path, parameters })
  }), fuzzing(t, 600))
  reportReach(t, 4)
})

t.test('POST rooms.export.cancel: any body — never a 5xx, always the documented shape', async (t) => {
  const app = await buildApp(t)
  const done = (await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: authHeaders(alice), payload: { rid: general._id, type: 'file', format: 'json' } })).json().exportId as string
  await waitForExport(app, alice, done)
  const cancelBody = fc.oneof({ arbitrary: fc.record({ exportId: field(fc.constantFrom(done, 'unknown-id'), 20) }, { requiredKeys: [] }), weight: 4 }, { arbitrary: anyValue, weight: 1 })
  await fc.assert(fc.asyncProperty(cancelBody, extraKeys, caller, fc.nat(3), async (fields, extra, user, extraOnes) => {
    const payload = extraOnes === 0 && typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? { ...extra, ...fields } : fields
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export.cancel', headers: user === null ? {} : authHeaders(user), payload: payload as object })
    return checkAnswer(t, 'POST rooms.export.cancel', response, payload)
  }), fuzzing(t, 300))
  reportReach(t, 3)
})

/** The runs ended in at least `atLeast` different statuses: the inputs reached past the first check. */
function reportReach (t: Test, atLeast: number): void {
  const counts = [...seen.get(t)!.entries()].sort(([a], [b]) => a - b)
  t.ok(counts.length >= atLeast, `answers by status: ${counts.map(([status, count]) => `${status}×${count}`).join(', ')}`)
}
