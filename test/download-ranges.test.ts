import { createHash } from 'node:crypto'
import t from 'tap'
import { parseRange } from '../lib/routes/download.ts'
import { buildApp } from './helpers/app.ts'
import { postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, general } from './helpers/fixtures.ts'

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
  t.match(whole.headers, { 'accept-ranges': 'bytes', etag, 'content-length': String(size), 'content-type': 'application/zip' })

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

t.test('range syntax', async (t) => {
  t.same(parseRange('bytes=0-0', 10), { start: 0, end: 0 })
  t.same(parseRange('bytes=-100', 10), { start: 0, end: 9 })
  t.equal(parseRange('bytes=-0', 10), 'unsatisfiable')
  t.equal(parseRange('bytes=-5', 0), 'unsatisfiable')
  t.equal(parseRange('bytes=-', 10), undefined)
  t.equal(parseRange(undefined, 10), undefined)
})
