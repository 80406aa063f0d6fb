import type { Readable } from 'node:stream'
import { InvalidStorageKeyError } from '../errors.ts'
import type { ExportJobStore } from '../export/jobs.ts'

/** A part of a stored export: byte offsets, both inclusive (as in HTTP's Range). */
export interface ByteRange {
  start: number
  end: number
}

/** What a storage's optional `prepare` is told at start. */
export interface StoragePreparation {
  /** a `.partial` write untouched this long belongs to an export that died with its server */
  abandonedAfterMs: number
  /** a stored export older than this has expired */
  expiredAfterMs: number
}

/**
 * Where finished exports live. Keys are export ids (letters, digits, `-`, `_`).
 * A host can supply its own (S3, a shared volume…) through the `storage` option.
 */
export interface ExportStorage {
  /**
   * Stores everything `source` yields under `key`. Resolves once the whole
   * stream is stored and readable; when it rejects (source error, abort,
   * disk full) nothing is left under `key`. The plugin aborts a write by
   * destroying `source`.
   */
  write (key: string, source: Readable): Promise<void>
  /**
   * The stored bytes — only `range.start` to `range.end` (inclusive) when
   * given, without reading the bytes before — or `null` when nothing is stored under `key`.
   */
  read (key: string, range?: ByteRange): Promise<Readable | null>
  /** Removes `key`; removing a key that is not there is not an error. */
  remove (key: string): Promise<void>
  /** Runs once at `ready()`: check the place is safe to use (throw to refuse it) and remove what a crash left. */
  prepare? (preparation: StoragePreparation): Promise<void>
  /** A job store that keeps its records with the exports, so a restart loses none (used without MongoDB). */
  createJobStore? (exportTtlMs: number): Promise<ExportJobStore>
}

const safeKey = /^[A-Za-z0-9_-]{1,128}$/

export function assertStorageKey (key: string): void {
  if (!safeKey.test(key)) throw new InvalidStorageKeyError(JSON.stringify(key))
}
