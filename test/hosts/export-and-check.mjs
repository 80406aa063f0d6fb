// Shared by every host fixture (copied next to it): a JSON and an HTML file export through the
// plugin's routes — start, wait, download — and each zip read back by yauzl, a ZIP reader of its
// own: every entry's size and CRC-32 against its central directory, every part's sha256 against the
// manifest. Hosts log warnings to stdout (`Fastify({ logger: { level: 'warn' } })`): the test reads them too.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import yauzl from 'yauzl'

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
  const entries = await readBack(zip)
  assert.deepEqual([...entries.keys()].sort(), (format === 'json' ? ['general.json', 'manifest.json', 'schema.json'] : ['general.html', 'manifest.json']), 'its entries')
  const manifest = JSON.parse(entries.get('manifest.json').toString())
  assert.equal(manifest.messageCount, 1)
  for (const part of manifest.parts) {
    assert.equal(createHash('sha256').update(entries.get(part.name)).digest('hex'), part.sha256, `${part.name}: the manifest's sha256`)
  }
  return zip.length
}

/** Every entry of `zip`, inflated by yauzl; its size and CRC-32 checked against the central directory. */
async function readBack (zip) {
  const archive = await yauzl.fromBufferPromise(zip)
  const entries = new Map()
  for await (const entry of archive.eachEntry()) {
    const chunks = []
    for await (const chunk of await archive.openReadStreamPromise(entry)) chunks.push(chunk)
    const bytes = Buffer.concat(chunks)
    assert.equal(bytes.length, entry.uncompressedSize, `${entry.fileName}: its size`)
    assert.equal(crc32(bytes), entry.crc32, `${entry.fileName}: its CRC-32`)
    entries.set(entry.fileName, bytes)
  }
  return entries
}

/** Both exports, then `beforeClose` (a host's own checks), then the app closed. */
export async function exportAndCheck (app, beforeClose = async () => {}) {
  const jsonBytes = await exportOne(app, 'json')
  const htmlBytes = await exportOne(app, 'html')
  await beforeClose()
  await app.close()
  console.log(`ok: exported 1 message as JSON (${jsonBytes} bytes) and as HTML (${htmlBytes} bytes)`)
}
