// A host that signs its exports (an Ed25519 key, as `openssl genpkey -algorithm ed25519` makes one):
// one JSON file export, written to disk as export.zip with the server's keys as keys.json and another
// key as other-key.pem, for the test to run the installed `fastify-rooms-export verify` on; and the
// package's verifyExport() run here, as a host would call it.
import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import Fastify from 'fastify'
import roomsExport, { createMemoryRepository, verifyExport } from 'fastify-rooms-export'
import { hostOptions } from './export-and-check.mjs'

const { privateKey } = generateKeyPairSync('ed25519')
const other = generateKeyPairSync('ed25519')
const app = Fastify({ logger: { level: 'warn' } })
await app.register(roomsExport, { ...hostOptions(createMemoryRepository, 'hello from a signing host'), signing: { privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }), keyId: 'host-key-1' } })
const headers = { 'x-user-id': 'u1' }
const { exportId } = (await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers, payload: { rid: 'GENERAL', type: 'file', format: 'json' } })).json()
let status
do {
  await new Promise((resolve) => setTimeout(resolve, 10))
  status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers })).json().export.status
} while (status === 'queued' || status === 'running')
const zip = (await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers })).rawPayload
const keys = (await app.inject({ url: '/api/v1/rooms.export.keys' })).json()
await writeFile('export.zip', zip)
await writeFile('keys.json', JSON.stringify(keys))
await writeFile('other-key.pem', other.publicKey.export({ format: 'pem', type: 'spki' }))
const { valid, checks } = await verifyExport(zip, { jwks: keys })
await app.close()
console.log(`ok: ${status}, verifyExport ${valid ? 'valid' : 'INVALID'} after ${checks.length} checks`)
