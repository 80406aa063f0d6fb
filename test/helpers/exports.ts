import type { FastifyInstance } from 'fastify'
import type { ExportUser } from '../../index.ts'
import { authHeaders } from './fixtures.ts'

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
