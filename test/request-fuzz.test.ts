import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { errorTable } from '../index.ts'
import { buildApp } from './helpers/app.ts'
import { alice, authHeaders, bob, general, secret } from './helpers/fixtures.ts'

/**
 * Property-based fuzzing of all three routes: whatever arrives — bodies of
 * any shape, hostile strings, query strings with any keys — the answer is
 * never a 5xx, and every refusal has the documented error shape.
 */

const documentedErrorTypes = new Set(Object.keys(errorTable))

function checkAnswer (t: Test, response: LightMyRequestResponse, input: unknown): boolean {
  const where = JSON.stringify(input).slice(0, 300)
  if (response.statusCode >= 500) {
    t.fail(`${response.statusCode} for ${where}: ${response.body}`)
    return false
  }
  const body = response.json()
  if (response.statusCode === 200) return body.success === true
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
const field = (known: fc.Arbitrary<unknown>) => fc.option(fc.oneof(known, anyValue), { nil: undefined })

const body = fc.record({
  rid: field(fc.constantFrom(general._id, secret._id, 'room-unknown')),
  type: field(fc.constantFrom('file', 'email')),
  format: field(fc.constantFrom('html', 'json')),
  dateFrom: field(fc.constantFrom('2024-03-21', '2024-03-21T10:00:00', '2024-03-21T10:00:00+05:30')),
  dateTo: field(fc.constantFrom('2024-03-22', '2024-03-20', '1969-12-31')),
  timezone: field(fc.constantFrom('UTC', 'europe/berlin', 'America/Argentina/ComodRivadavia', 'Mars/Base')),
  toUsers: field(fc.array(fc.constantFrom('bob', 'ghost', 'carol'), { maxLength: 3 })),
  toEmails: field(fc.array(fc.emailAddress(), { maxLength: 3 })),
  subject: field(hostileString),
  messages: field(fc.array(fc.constantFrom('start', 'end', 'elsewhere'), { maxLength: 3 }))
}, { requiredKeys: [] })
const extraKeys = fc.dictionary(hostileString, anyValue, { maxKeys: 2 })
const caller = fc.constantFrom(alice, bob, null)

t.test('POST rooms.export: any body, any caller — never a 5xx, always the documented shape', async (t) => {
  const app = await buildApp(t, { limits: { concurrentExports: 1000, concurrentExportsPerUser: 1000 } })
  await fc.assert(fc.asyncProperty(body, extraKeys, caller, fc.boolean(), async (fields, extra, user, withExtra) => {
    const payload = withExtra ? { ...extra, ...fields } : fields
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: user === null ? {} : authHeaders(user), payload })
    return checkAnswer(t, response, payload)
  }), { numRuns: 400 })
})

t.test('POST rooms.export: raw bodies that are not JSON objects', async (t) => {
  const app = await buildApp(t)
  const rawBody = fc.oneof(fc.string(), fc.json(), fc.constantFrom('', '{', 'null', '[]', '"x"', '{"rid":'))
  const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', undefined)
  await fc.assert(fc.asyncProperty(rawBody, contentType, async (raw, type) => {
    const headers: Record<string, string> = { ...authHeaders(alice) }
    if (type !== undefined) headers['content-type'] = type
    const response = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: raw })
    return checkAnswer(t, response, { raw, type })
  }), { numRuns: 300 })
})

t.test('GET rooms.export.status and .download: any query string — never a 5xx, always the documented shape', async (t) => {
  const app = await buildApp(t)
  const queryValue = fc.oneof(hostileString, fc.string({ minLength: 100, maxLength: 400 }), fc.constantFrom('x.y', 'zz.abc', '1.2.3'))
  const query = fc.dictionary(fc.oneof(fc.constantFrom('exportId', 'token', 'exportId[]', 'token[x]'), hostileString), fc.oneof(queryValue, fc.array(queryValue, { maxLength: 3 })), { maxKeys: 4 })
  const route = fc.constantFrom('rooms.export.status', 'rooms.export.download')
  await fc.assert(fc.asyncProperty(route, query, caller, async (path, parameters, user) => {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(parameters)) for (const item of [value].flat()) search.append(key, item.toWellFormed())
    const response = await app.inject({ method: 'GET', url: `/api/v1/${path}?${search.toString()}`, headers: user === null ? {} : authHeaders(user) })
    return checkAnswer(t, response, { path, parameters })
  }), { numRuns: 400 })
})
