import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * A link clicked in a mail client carries no auth headers, so the mailed
 * download link holds a token: the expiry and an HMAC of export id and
 * expiry under the plugin's `secret`. It opens that one export, until then.
 */
export function signDownloadToken (secret: string, exportId: string, expiresAt: Date): string {
  const expiry = expiresAt.getTime().toString(36)
  return `${expiry}.${mac(secret, exportId, expiry)}`
}

export function verifyDownloadToken (secret: string, exportId: string, token: string, now: Date): boolean {
  const [expiry, signature, extra] = token.split('.')
  if (extra !== undefined || signature === undefined || !/^[0-9a-z]{1,12}$/.test(expiry)) return false
  const expected = Buffer.from(mac(secret, exportId, expiry))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
  return parseInt(expiry, 36) > now.getTime()
}

function mac (secret: string, exportId: string, expiry: string): string {
  return createHmac('sha256', secret).update(`${exportId}.${expiry}`).digest('base64url')
}
