import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type RoomsExportOptions } from '../index.ts'
import { signDownloadToken } from '../lib/export/download-link.ts'
import { hostHooks, temporaryDirectory } from './helpers/app.ts'
import { postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, general } from './helpers/fixtures.ts'

const secret = 'a-secret-of-at-least-16-characters'

/** A server on the default (memory) backend with its exports in `directory`; close it to "restart". */
async function startServer (t: Test, directory: string, options: RoomsExportOptions = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createDirectoryStorage(directory), secret, ...options })
  await app.ready()
  return app
}

t.test('after a restart on the same directory, a finished export still downloads, by credentials and by signed link', async (t) => {
  const directory = await temporaryDirectory(t)
  const first = await startServer(t, directory)
  const { exportId } = (await postExport(first, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const before = await waitForExport(first, alice, exportId)
  const zip = (await first.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload
  await first.close()

  const second = await startServer(t, directory)
  const status = await second.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })
  t.same(status.json(), before, 'the same status as before the restart')
  const download = await second.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 200)
  t.same(download.rawPayload, zip)
  const token = signDownloadToken(secret, exportId, new Date(Date.now() + 60_000))
  const signed = await second.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}&token=${encodeURIComponent(token)}` })
  t.equal(signed.statusCode, 200, 'a link mailed before the restart still opens it')
})

t.test('at start, expired exports go; so do crash-left writes, and a job whose server stopped (no owner, silent) reads failed', async (t) => {
  const directory = await temporaryDirectory(t)
  const first = await startServer(t, directory, { limits: { exportTtlMs: 200 } })
  const { exportId } = (await postExport(first, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(first, alice, exportId)
  await first.close()
  // A server that died mid-export left its record "running" and its half-written zip.
  const createdAt = new Date(Date.now() - 120_000).toISOString()
  await writeFile(join(directory, 'crashed.job.json'), JSON.stringify({ _id: 'crashed', rid: general._id, userId: alice._id, format: 'html', status: 'running', messages: 40, bytes: 4096, createdAt, fileName: 'general.zip' }))
  await writeFile(join(directory, 'crashed.zip.partial'), 'half a zip')
  await writeFile(join(directory, 'torn.job.json'), '{"_id":"torn","stat')
  await writeFile(join(directory, 'alien.job.json'), '{"something":"else"}')
  await new Promise((resolve) => setTimeout(resolve, 300))

  const second = await startServer(t, directory, { limits: { exportTtlMs: 60_000 } })
  t.same((await readdir(directory)).sort(), [`crashed.1.${Date.parse(createdAt)}.claim`, 'crashed.job.json'], 'the expired zip and its record, the partial, a torn record and a foreign one are gone; the claim of the one that failed the job stays with the job')
  const expired = await second.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(expired.statusCode, 404)
  const crashed = await second.inject({ url: '/api/v1/rooms.export.status?exportId=crashed', headers: authHeaders(alice) })
  const { finishedAt } = crashed.json().export
  t.same(crashed.json(), {
    success: true,
    export: { _id: 'crashed', rid: general._id, format: 'html', status: 'failed', messages: 40, bytes: 0, createdAt, finishedAt, error: 'the server running this export stopped' }
  })
  const download = await second.inject({ url: '/api/v1/rooms.export.download?exportId=crashed', headers: authHeaders(alice) })
  t.same(download.json(), { success: false, error: '[error-export-failed]', errorType: 'error-export-failed', details: 'the server running this export stopped' })
})

t.test('a finished export recorded before exports were hashed (no sha256, no attempt) downloads with its id as the ETag', async (t) => {
  const directory = await temporaryDirectory(t)
  const createdAt = new Date(Date.now() - 60_000)
  const zip = Buffer.from('PK\u0005\u0006' + '\u0000'.repeat(18), 'latin1')
  await writeFile(join(directory, 'hashless.zip'), zip)
  await writeFile(join(directory, 'hashless.job.json'), JSON.stringify({
    _id: 'hashless', rid: general._id, userId: alice._id, format: 'json', status: 'done', messages: 0, bytes: zip.length, createdAt, finishedAt: createdAt, expiresAt: new Date(Date.now() + 60_000), fileName: 'general.zip'
  }))
  const app = await startServer(t, directory)
  const download = await app.inject({ url: '/api/v1/rooms.export.download?exportId=hashless', headers: authHeaders(alice) })
  t.equal(download.statusCode, 200)
  t.equal(download.headers.etag, '"hashless"', 'an export never changes: its id is a strong validator too')
  t.same(download.rawPayload, zip)
  const again = await app.inject({ url: '/api/v1/rooms.export.download?exportId=hashless', headers: { ...authHeaders(alice), 'if-none-match': '"hashless"' } })
  t.equal(again.statusCode, 304)
})
