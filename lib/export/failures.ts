import { StageError } from '../host-code.ts'

/**
 * Why a file export failed, in words its status can show. Each fault that
 * ends a job has its own error; `failureReason` finds the real cause is what
 * the job runner aborted its pipeline with, not the AbortError a stream reports.
 */

/** Nothing moved for `stallTimeoutMs`: `stage` says what the export was waiting on. */
export class StallError extends Error {
  constructor (stage: string, timeoutMs: number) {
    super(`stalled: ${stage} made no progress for ${timeoutMs} ms`)
    this.name = 'StallError'
  }
}

/** `maxExportMessages` or `maxExportBytes` passed. */
export class ExportLimitError extends Error {
  constructor (what: string, limit: number, option: string) {
    super(`the export has more than ${limit} ${what} (limits.${option}); export a shorter date range`)
    this.name = 'ExportLimitError'
  }
}

/** The job's record says it is no longer running: another instance failed it (its heartbeat looked stopped). */
export class JobLostError extends Error {
  constructor () {
    super('the export was failed by another server instance while it ran')
    this.name = 'JobLostError'
  }
}

/** Its owner cancelled the export (`rooms.export.cancel`). */
export class CancelledError extends Error {
  constructor () {
    super('the export was cancelled')
    this.name = 'CancelledError'
  }
}

/** `app.close()` stopped the export. */
export class ShutdownError extends Error {
  constructor () {
    super('the server shut down during the export')
    this.name = 'ShutdownError'
  }
}

/** Node's and the system's error codes (`ENOSPC`, `ECONNRESET`, `ERR_WORKER_OUT_OF_MEMORY`): stable, and free of data. */
const errorCode = /^(?:E[A-Z0-9]{2,20}|ERR_[A-Z0-9_]{2,60})$/

function codeOf (err: unknown): string | undefined {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    const { code } = cause as { code?: unknown }
    if (typeof code === 'string' && errorCode.test(code)) return code
  }
  return undefined
}

/**
 * The status text of a failed export: the cause, never just "The operation
 * was aborted". The plugin's own faults (a stall, a limit, shutdown) say what
 * happened; any other failure names its stage — the part of the host it came
 * from (`StageError`), else what the export was waiting on — and, when it has
 * one, its system error code: never its message, which may carry internals
 * (a connection string, a path, a query). The log has the whole error.
 */
export function failureReason (cause: unknown, stage: string): string {
  // A fault of the export's own may reach here through the host code it broke (a storage whose source hit a limit).
  const own = cause instanceof StageError ? cause.cause : cause
  if (own instanceof StallError || own instanceof ExportLimitError || own instanceof ShutdownError || own instanceof JobLostError) return own.message
  const code = codeOf(cause)
  return `export failed: ${cause instanceof StageError ? cause.stage : stage} failed${code === undefined ? '' : ` (${code})`}`
}
