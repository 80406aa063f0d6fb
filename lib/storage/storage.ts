import type { Readable } from 'node:stream'
import { InvalidStorageKeyError } from '../errors.ts'
import type { ExportJobStore, JobStoreSettings } from '../export/jobs.ts'

/** A part of a stored export: byte offsets, both inclusive (as in HTTP's Range). */
export interface ByteRange {
  /** the first byte's offset */
  start: number
  /** the last byte's offset, within the stored size */
  end: number
}

/** What a storage's optional `prepare` is told at start (from `limits`). */
export interface StoragePreparation {
  /** a `.partial` write untouched this long belongs to an export that died with its server (`limits.stallTimeoutMs`) */
  abandonedAfterMs: number
  /** a stored export older than this has expired (`limits.exportTtlMs`) */
  expiredAfterMs: number
}

/**
 * Where finished file exports live (the `storage` option;
 * `createDirectoryStorage`, `createS3Storage`, `createGridFsStorage`). Keys
 * are export ids, or `<id>-<attempt>` for an export run again (letters,
 * digits, `-`, `_`; at most 128).
 *
 * The plugin calls every method through a guard: a synchronous throw is a
 * rejection too. A failure while an export is written fails it (its status
 * reads `the storage failed`; the log and `onExportFailed` get the error);
 * a failed `read` answers the download 500 `error-internal`, logged.
 */
export interface ExportStorage {
  /**
   * Stores everything `source` yields under `key`. Resolves once the whole
   * stream is stored and readable; when it rejects (source error, abort,
   * disk full) nothing is left under `key`. The plugin aborts a write by
   * destroying `source`. Called once per export attempt, as the zip is made;
   * a write that reads nothing of `source` for `limits.stallTimeoutMs` fails
   * the export.
   */
  write (key: string, source: Readable): Promise<void>
  /**
   * The stored bytes — only `range.start` to `range.end` (inclusive) when
   * given, without reading the bytes before — or `null` when nothing is
   * stored under `key` (answered 404 `error-not-found`). Called for each
   * download (not for `HEAD`), once the export is known to be done.
   */
  read (key: string, range?: ByteRange): Promise<Readable | null>
  /**
   * Removes `key`; removing a key that is not there is not an error. Called
   * for what a failed attempt stored and when an export expires; a failure
   * is logged, and the removal tried again (at each sweep once the export
   * has expired).
   */
  remove (key: string): Promise<void>
  /**
   * Runs once at start, before the first request, while the plugin registers
   * (`app.ready()`): check the place is safe to use (throw to refuse it:
   * `ready()` rejects with that error) and remove what a crash left.
   */
  prepare? (preparation: StoragePreparation): Promise<void>
  /**
   * A job store that keeps its records with the exports, so a restart loses
   * none and several processes can share the place (used without MongoDB).
   * Called once at start, after `prepare`, only when no MongoDB database is
   * in use (with one, jobs live there); `settings` come from `limits`. A
   * throw fails `app.ready()`. Without this method jobs are kept in memory:
   * lost at a restart, and seen by this process only.
   */
  createJobStore? (settings: JobStoreSettings): Promise<ExportJobStore>
}

const safeKey = /^[A-Za-z0-9_-]{1,128}$/

export function isStorageKey (key: string): boolean {
  return safeKey.test(key)
}

export function assertStorageKey (key: string): void {
  if (!isStorageKey(key)) throw new InvalidStorageKeyError(JSON.stringify(key))
}

/**
 * Whether one of the job ids `recorded` accounts for a stored name:
 * `<id>[-<attempt>].zip[.partial]`, `<id>.<attempt>.<instant>.claim` (an id
 * may itself end in `-<digits>`).
 */
export function recordAccountsFor (name: string, recorded: Set<string>): boolean {
  const head = name.slice(0, name.indexOf('.'))
  return recorded.has(head) || recorded.has(head.replace(/-\d+$/, ''))
}
