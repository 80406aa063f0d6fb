import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import type { ExportUser } from '../../index.ts'
import { alice, authHeaders, general } from './fixtures.ts'

export async function postExport (app: FastifyInstance, user: ExportUser | null, payload: unknown, url = '/api/v1/rooms.export') {
  return await app.inject({ method: 'POST', url, headers: user === null ? {} : authHeaders(user), payload: payload as object })
}

/** Polls the status route every 10 ms until the export has settled (at most `timeoutMs`), and returns that status body. */
export async function waitForExport (app: FastifyInstance, user: ExportUser, exportId: string, base = '/api/v1', timeoutMs = 10_000) {
  for (let attempt = 0; attempt < timeoutMs / 10; attempt++) {
    const response = await app.inject({ url: `${base}/rooms.export.status?exportId=${exportId}`, headers: authHeaders(user) })
    const body = response.json()
    if (body.export?.status === 'done' || body.export?.status === 'failed') return body
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`export ${exportId} did not settle`)
}

/** Starts a file export, waits for it and downloads the zip. */
export async function exportToZip (app: FastifyInstance, user: ExportUser, payload: object): Promise<Buffer> {
  const started = await postExport(app, user, payload)
  if (started.statusCode !== 200) throw new Error(`export refused: ${started.body}`)
  const { exportId } = started.json()
  await waitForExport(app, user, exportId)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(user) })
  if (download.statusCode !== 200) throw new Error(`download refused: ${download.body}`)
  return download.rawPayload
}

/** Polls `check` until it holds or 10 s have passed; returns its last answer (for a real assertion). */
export async function eventually (check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 25) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return await check()
}

/**
 * What manifest.json says first of Alice's JSON export of #general for
 * 21–22 March (UTC) — the query, the room, counts, first and last message,
 * what is left out — before its digests.
 */
export function generalJsonManifestHead (exportedAt: string) {
  return {
    generator: { name: 'fastify-rooms-export', version: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version },
    query: { rid: general._id, roomName: 'general', roomType: 'c', from: '2024-03-21T00:00:00.000Z', to: '2024-03-22T23:59:59.999Z', timezone: 'UTC', format: 'json', requester: { _id: alice._id, username: 'alice' }, includeHistory: false },
    room: { _id: general._id, t: 'c', name: 'general', fname: 'General', topic: 'Everything & <anything>' },
    range: { from: '2024-03-21T00:00:00.000Z', to: '2024-03-22T23:59:59.999Z', timezone: 'UTC' },
    format: 'json',
    exportedAt,
    exportedBy: { _id: alice._id, username: 'alice', name: 'Alice Archer' },
    messageCount: 7,
    counts: { messages: 7, parts: 1, assets: 1, missingAssets: 0, fallbackMessages: 0 },
    firstMessage: { _id: 'start', ts: '2024-03-21T00:00:00.000Z' },
    lastMessage: { _id: 'end', ts: '2024-03-22T23:59:59.999Z' },
    leftOut: [
      'edit history: the earlier versions of edited messages, and deleted messages',
      'the ciphertext of end-to-end encrypted messages (each is shown as a notice)',
      'email addresses of the requester and of authors'
    ]
  }
}
