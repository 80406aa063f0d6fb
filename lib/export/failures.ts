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

/** `app.close()` stopped the export. */
export class ShutdownError extends Error {
  constructor () {
    super('the server shut down during the export')
    this.name = 'ShutdownError'
  }
}

/** The status text of a failed export: the cause, never just "The operation was aborted". */
export function failureReason (cause: unknown): string {
  if (cause instanceof StallError || cause instanceof ExportLimitError || cause instanceof ShutdownError || cause instanceof JobLostError) return cause.message
  // System errors carry their code in the message ("ENOSPC: no space left on device, write").
  return `export failed: ${cause instanceof Error ? cause.message : String(cause)}`
}
