import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parseRange } from '../lib/routes/download.ts'
import { createDirectoryStorage, createMemoryRepository, type ExportRoom, type ExportStorage } from '../index.ts'
import { buildApp, heldRepository, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, dave, fixtureData, general, message } from './helpers/fixtures.ts'

/** The headers that make a response a zip download. */
const zipHeadersOf = (headers: Record<string, unknown>) => Object.fromEntries(['content-disposition', 'etag', 'accept-ranges'].filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]))

t.test('downloads resume: a strong ETag, single ranges (206), unsatisfiable ones (416), If-None-Match, If-Range, HEAD', async (t) => {
  const app = await buildApp(t)
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  await waitForExport(app, alice, exportId)
  const url = `/api/v1/rooms.export.download?exportId=${exportId}`
  const get = async (headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') => await app.inject({ method, url, headers: { ...authHeaders(alice), ...headers } })

  const whole = await get()
  const zip = whole.rawPayload
  const size = zip.length
  const etag = `"${createHash('sha256').update(zip).digest('hex')}"`
  t.equal(whole.statusCode, 200)
  const today = new Date().toISOString().slice(0, 10)
  t.match(whole.headers, {
    'accept-ranges': 'bytes',
    etag,
    'content-length': String(size),
    'content-type': 'application/zip',
    'content-disposition': `attachment; filename="general-${today}.zip"; filename*=UTF-8''general-${today}.zip`,
    'cache-control': 'private, no-store'
  })

  const part = await get({ range: 'bytes=10-99' })
  t.equal(part.statusCode, 206)
  t.match(part.headers, { 'content-range': `bytes 10-99/${size}`, 'content-length': '90', etag })
  t.same(part.rawPayload, zip.subarray(10, 100))
  t.same((await get({ range: 'bytes=-22' })).rawPayload, zip.subarray(size - 22), 'the last 22 bytes (the end of central directory)')
  t.same((await get({ range: `bytes=${size - 5}-` })).rawPayload, zip.subarray(size - 5), 'from an offset to the end')
  t.same((await get({ range: `bytes=0-${size + 1000}` })).rawPayload, zip, 'an end past the file is clipped')

  const beyond = await get({ range: `bytes=${size}-` })
  t.equal(beyond.statusCode, 416)
  t.equal(beyond.headers['content-range'], `bytes */${size}`)
  t.same(zipHeadersOf(beyond.headers), {}, 'the error carries none of the zip\'s headers: a browser would save it as the .zip')
  t.same(beyond.json(), { success: false, error: '[error-range-not-satisfiable]', errorType: 'error-range-not-satisfiable', details: `the export has ${size} bytes` })

  for (const ignored of ['bytes=0-1,5-9', 'bytes=9-5', 'lines=1-2', 'bytes=x-y']) {
    const response = await get({ range: ignored })
    t.equal(response.statusCode, 200, `${ignored}: the whole zip`)
    t.equal(response.rawPayload.length, size)
  }
  t.equal((await get({ range: 'bytes=10-99', 'if-range': etag })).statusCode, 206, 'If-Range with the current ETag: the range')
  t.equal((await get({ range: 'bytes=10-99', 'if-range': '"something-else"' })).statusCode, 200, 'If-Range with another: the whole zip')

  const notModified = await get({ 'if-none-match': etag })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.rawPayload.length, 0)
  t.equal(notModified.headers['cache-control'], 'private, no-store', 'a 304 is no more cacheable than the zip')
  t.same(zipHeadersOf(notModified.headers), { etag }, 'the ETag it matched, none of the zip\'s other headers')
  t.equal((await get({ 'if-none-match': '*' })).statusCode, 304, '`*`: any current representation')
  t.equal((await get({ 'if-none-match': `"other", W/${etag}` })).statusCode, 304, 'a list, weak comparison')
  t.equal((await get({ 'if-none-match': '"other"' })).statusCode, 200)

  const head = await get({}, 'HEAD')
  t.equal(head.statusCode, 200)
  t.match(head.headers, { 'content-length': String(size), etag, 'accept-ranges': 'bytes' })
  t.equal(head.rawPayload.length, 0)
  const headRange = await get({ range: 'bytes=0-9' }, 'HEAD')
  t.equal(headRange.statusCode, 206)
  t.equal(headRange.headers['content-length'], '10')
})

t.test('a download whose stored file vanished: a plain 404, without the zip\'s headers', async (t) => {
  const directory = await temporaryDirectory(t)
  const app = await buildApp(t, { storage: createDirectoryStorage(directory) })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  await waitForExport(app, alice, exportId)
  for (const file of await storedFiles(directory)) if (file.endsWith('.zip')) await rm(join(directory, file))
  for (const headers of [{}, { range: 'bytes=10-99' }]) {
    const gone = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: { ...authHeaders(alice), ...headers } })
    t.equal(gone.statusCode, 404)
    t.same(gone.json(), { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'the export is no longer stored' })
    t.same(zipHeadersOf(gone.headers), {})
    t.equal(gone.headers['content-range'], undefined)
  }
})

t.test('range syntax', async (t) => {
  t.same(parseRange('bytes=0-0', 10), { start: 0, end: 0 })
  t.same(parseRange('bytes=-100', 10), { start: 0, end: 9 })
  t.equal(parseRange('bytes=-0', 10), 'unsatisfiable')
  t.equal(parseRange('bytes=-5', 0), 'unsatisfiable')
  t.equal(parseRange('bytes=-', 10), undefined)
  t.equal(parseRange(undefined, 10), undefined)
  t.same(parseRange('bytes=-3', 10), { start: 7, end: 9 }, 'a suffix: the last bytes')
  t.same(parseRange('bytes=4-', 10), { start: 4, end: 9 }, 'an open end: to the last byte')
  t.same(parseRange('bytes=4-100', 10), { start: 4, end: 9 }, 'an end past the file is clipped to its last byte')
  t.same(parseRange('bytes=9-9', 10), { start: 9, end: 9 }, 'the last byte alone')
  t.equal(parseRange('bytes=10-', 10), 'unsatisfiable', 'a start at the size')
  t.equal(parseRange('bytes=5-4', 10), undefined, 'an end before the start: ignored, as HTTP says')
  t.same(parseRange('  bytes=2-3  ', 10), { start: 2, end: 3 }, 'white space around the header')
  for (const ignored of ['bytes=0-1,3-4', 'bytes=a-1', 'bits=0-1', 'xbytes=0-1', 'bytes=0-1x', 'bytes= 0-1', '']) t.equal(parseRange(ignored, 10), undefined, `${JSON.stringify(ignored)}: the whole file`)
})

t.test('HEAD answers from the export\'s record: the stored zip is not opened; GET opens it once, for the range asked', async (t) => {
  const directory = await temporaryDirectory(t)
  const stored = createDirectoryStorage(directory)
  const reads: unknown[] = []
  const storage: ExportStorage = { ...stored, read: async (key, range) => { reads.push(range); return await stored.read(key, range) } }
  const app = await buildApp(t, { storage })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  await waitForExport(app, alice, exportId)
  const url = `/api/v1/rooms.export.download?exportId=${exportId}`
  for (const headers of [{}, { range: 'bytes=0-9' }]) {
    const head = await app.inject({ method: 'HEAD', url, headers: { ...authHeaders(alice), ...headers } })
    t.equal(head.statusCode, 'range' in headers ? 206 : 200)
    t.equal(head.rawPayload.length, 0)
  }
  t.same(reads, [], 'HEAD read nothing')
  const part = await app.inject({ url, headers: { ...authHeaders(alice), range: 'bytes=0-9' } })
  t.equal(part.statusCode, 206)
  t.same(reads, [{ start: 0, end: 9 }])
})

t.test('without a token, only the owner downloads: anyone else is told there is no such export', async (t) => {
  const app = await buildApp(t)
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  await waitForExport(app, alice, exportId)
  for (const user of [bob, dave]) {
    for (const method of ['GET', 'HEAD'] as const) {
      const refused = await app.inject({ method, url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(user) })
      t.equal(refused.statusCode, 404, `${user.username} ${method}`)
      t.same(zipHeadersOf(refused.headers), {})
      if (method === 'GET') t.same(refused.json(), { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'no such export' })
    }
  }
  t.equal((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).statusCode, 200, 'the owner')
})

t.test('an export still running, or failed: 409 with its state, and none of the zip\'s headers', async (t) => {
  const held = heldRepository(createMemoryRepository(fixtureData()))
  const app = await buildApp(t, { repository: held.repository })
  const running = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId
  await held.reading
  const early = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${running}`, headers: authHeaders(alice) })
  t.equal(early.statusCode, 409)
  t.same(early.json(), { success: false, error: '[error-export-not-ready]', errorType: 'error-export-not-ready', details: 'the export is running' })
  t.same(zipHeadersOf(early.headers), {})
  held.release()
  t.equal((await waitForExport(app, alice, running)).export.status, 'done')

  const memory = createMemoryRepository(fixtureData())
  const failing = await buildApp(t, { repository: { ...memory, async * findMessages () { throw new Error('connection reset by database') } } })
  const failed = (await postExport(failing, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId
  t.equal((await waitForExport(failing, alice, failed)).export.status, 'failed')
  for (const headers of [{}, { range: 'bytes=0-9' }]) {
    const download = await failing.inject({ url: `/api/v1/rooms.export.download?exportId=${failed}`, headers: { ...authHeaders(alice), ...headers } })
    t.equal(download.statusCode, 409)
    t.same(download.json(), { success: false, error: '[error-export-failed]', errorType: 'error-export-failed', details: 'export failed: the repository failed' })
    t.same(zipHeadersOf(download.headers), {})
  }
})

t.test('Content-Disposition: an ASCII fallback name, and the exact name in UTF-8', async (t) => {
  const room: ExportRoom = { _id: 'room-cafe', t: 'c', name: 'Café Ünïon' }
  const data = fixtureData()
  const app = await buildApp(t, {}, { ...data, rooms: [...data.rooms, room], messages: [message(room._id, '2024-03-21T10:00:00Z', 'hello')] })
  const { exportId } = (await postExport(app, alice, { rid: room._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 200)
  const today = new Date().toISOString().slice(0, 10)
  t.equal(download.headers['content-disposition'], `attachment; filename="Caf___n_on-${today}.zip"; filename*=UTF-8''Caf%C3%A9_%C3%9Cn%C3%AFon-${today}.zip`)
})
