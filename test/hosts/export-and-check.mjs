// Shared by every host fixture (copied next to it): one JSON file export through the
// plugin's routes — start, wait, download — and a check of the zip's central directory.
import assert from 'node:assert/strict'

export async function exportAndCheck (app) {
  const headers = { 'x-user-id': 'u1' }
  const started = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: { rid: 'GENERAL', type: 'file', format: 'json' } })
  assert.equal(started.statusCode, 200, started.body)
  const { exportId } = started.json()
  let status
  for (let attempt = 0; attempt < 500; attempt++) {
    status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers })).json()
    if (status.export.status === 'done' || status.export.status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.equal(status.export.status, 'done', JSON.stringify(status))
  const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers })).rawPayload
  assert.equal(zip.length, status.export.bytes)
  assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'a zip')
  const names = zip.toString('latin1')
  assert.ok(names.includes('general.json') && names.includes('manifest.json'), 'its entries')
  await app.close()
  console.log(`ok: exported ${status.export.messages} message(s), ${zip.length} bytes`)
}
