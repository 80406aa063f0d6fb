import type { Readable } from 'node:stream'

/**
 * Where finished exports live. Keys are export ids (letters, digits, `-`, `_`).
 * A host can supply its own (S3, a shared volume…) through the `storage` option.
 */
export interface ExportStorage {
  /**
   * Stores everything `source` yields under `key`. Resolves once the whole
   * stream is stored and readable; when it rejects (source error, abort,
   * disk full) nothing is left under `key`.
   */
  write (key: string, source: Readable): Promise<void>
  /** The stored bytes, or `null` when nothing is stored under `key`. */
  read (key: string): Promise<Readable | null>
  /** Removes `key`; removing a key that is not there is not an error. */
  remove (key: string): Promise<void>
}

const safeKey = /^[A-Za-z0-9_-]{1,128}$/

export function assertStorageKey (key: string): void {
  if (!safeKey.test(key)) throw new Error(`fastify-rooms-export: invalid storage key ${JSON.stringify(key)}`)
}
