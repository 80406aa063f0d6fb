import t from 'tap'
import type { ExportJob } from '../index.ts'
import type { ExportJobStore } from '../lib/export/jobs.ts'
import { findOwnExport, isExpired, logSerializers, redactTokens } from '../lib/routes/route-context.ts'
import { alice, dave } from './helpers/fixtures.ts'

/**
 * The checks every route's answer rests on, one by one: an export is its
 * owner's (or a signed link's) and only until it expires, and a logged
 * request never carries a download token.
 */
const job = (fields: Partial<ExportJob> = {}): ExportJob => ({
  _id: 'export-1',
  rid: 'room-general',
  userId: alice._id,
  format: 'json',
  status: 'done',
  messages: 1,
  bytes: 10,
  createdAt: new Date('2026-01-01T00:00:00.000Z'),
  fileName: 'general.zip',
  attempt: 1,
  ...fields
})
const storeOf = (found: ExportJob | null) => ({ findById: async (id: string) => found?._id === id ? found : null }) as unknown as ExportJobStore
const notFound = { name: 'ExportApiError', errorType: 'error-not-found', statusCode: 404, details: 'no such export', message: 'error-not-found: no such export' }

t.test('an export is found for its owner or a signed link, never for another user, and never once expired', async (t) => {
  const live = job({ expiresAt: new Date(Date.now() + 60_000) })
  t.same(await findOwnExport(storeOf(live), 'export-1', alice), live, 'its owner')
  t.same(await findOwnExport(storeOf(live), 'export-1', 'signed-link'), live, 'a signed link (its token was checked before)')
  await t.rejects(findOwnExport(storeOf(live), 'export-1', dave), notFound, 'another user: not found, as if it did not exist')
  await t.rejects(findOwnExport(storeOf(live), 'export-2', alice), notFound, 'another id')
  await t.rejects(findOwnExport(storeOf(null), 'export-1', 'signed-link'), notFound, 'nothing stored')
  const expired = job({ expiresAt: new Date(Date.now() - 1) })
  await t.rejects(findOwnExport(storeOf(expired), 'export-1', alice), notFound, 'expired: not even for its owner')
  await t.rejects(findOwnExport(storeOf(expired), 'export-1', 'signed-link'), notFound, 'nor for a signed link')
  t.same(await findOwnExport(storeOf(job()), 'export-1', alice), job(), 'a running export has no expiry yet')
})

t.test('an export expires at its expiry\'s millisecond', async (t) => {
  const expiresAt = new Date('2026-01-01T00:00:00.000Z')
  t.equal(isExpired(job({ expiresAt }), new Date(expiresAt.getTime() - 1)), false, 'a millisecond before')
  t.equal(isExpired(job({ expiresAt }), expiresAt), true, 'at it')
  t.equal(isExpired(job({ expiresAt }), new Date(expiresAt.getTime() + 1)), true, 'after it')
  t.equal(isExpired(job(), new Date(8.64e15)), false, 'no expiry: never')
})

t.test('a download token never reaches a log line, however its name is written', async (t) => {
  t.equal(redactTokens('/api/v1/rooms.export.download?exportId=x&token=secret'), '/api/v1/rooms.export.download?exportId=x&token=[redacted]')
  t.equal(redactTokens('/d?%74oken=secret&tok%65n=secret2&t+oken=kept'), '/d?%74oken=[redacted]&tok%65n=[redacted]&t+oken=kept', 'encoded names are the same parameter to Fastify')
  t.equal(redactTokens('/d?token'), '/d?token=[redacted]', 'a name without a value')
  t.equal(redactTokens('/d?%E0%A4%A=1&token=secret'), '/d?%E0%A4%A=1&token=[redacted]', 'a name that does not decode is kept as written')
  t.equal(redactTokens('/d'), '/d', 'no query')
  t.equal(redactTokens('/d?tokens=1&a=token'), '/d?tokens=1&a=token', 'other names and values are kept')
  const request = { method: 'GET', url: '/d?token=secret', host: 'chat.example', ip: '127.0.0.1', socket: { remotePort: 4321 } }
  t.same(logSerializers.req(request as never), { method: 'GET', url: '/d?token=[redacted]', host: 'chat.example', remoteAddress: '127.0.0.1', remotePort: 4321 })
})
