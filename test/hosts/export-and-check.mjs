// Shared by every host fixture (copied next to it): a JSON and an HTML file export through the
// plugin's routes — start, wait, download — and a check of each zip's central directory.
// Hosts log warnings to stdout (`Fastify({ logger: { level: 'warn' } })`): the test reads them too.
import assert from 'node:assert/strict'

const admin = { _id: 'u1', username: 'admin', roles: ['admin'] }

/** The plugin's options for a host of one room and one message (the TypeScript host writes its own, typed). */
export function hostOptions (createMemoryRepository, text) {
  return {
    authenticate: async (request) => request.headers['x-user-id'] === admin._id ? admin : null,
    hasPermission: async () => true,
    canAccessRoom: async () => true,
    repository: createMemoryRepository({
      rooms: [{ _id: 'GENERAL', t: 'c', name: 'general' }],
      messages: [{ _id: 'm1', rid: 'GENERAL', ts: new Date('2024-03-21T10:00:00Z'), msg: text, u: { _id: 'u1', username: 'admin' } }],
      users: [admin]
    })
  }
}

/** One file export in `format`; resolves with its size once its zip checked out. */
async function exportOne (app, format) {
  const headers = { 'x-user-id': 'u1' }
  const started = await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: { rid: 'GENERAL', type: 'file', format } })
  assert.equal(started.statusCode, 200, started.body)
  const { exportId } = started.json()
  let status
  for (let attempt = 0; attempt < 500; attempt++) {
    status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers })).json()
    if (status.export.status === 'done' || status.export.status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.equal(status.export.status, 'done', JSON.stringify(status))
  assert.equal(status.export.messages, 1)
  const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers })).rawPayload
  assert.equal(zip.length, status.export.bytes)
  assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'a zip')
  const names = zip.toString('latin1')
  assert.ok(names.includes(`general.${format}`) && names.includes('manifest.json'), 'its entries')
  return zip.length
}

/** Both exports, then `beforeClose` (a host's own checks), then the app closed. */
export async function exportAndCheck (app, beforeClose = async () => {}) {
  const jsonBytes = await exportOne(app, 'json')
  const htmlBytes = await exportOne(app, 'html')
  await beforeClose()
  await app.close()
  console.log(`ok: exported 1 message as JSON (${jsonBytes} bytes) and as HTML (${htmlBytes} bytes)`)
}
