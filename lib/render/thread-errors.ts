import { asError, StageError } from '../host-code.ts'

/**
 * An error as it crosses between the main thread and the HTML render worker:
 * its name and message (a stack would be the other thread's), and the stage
 * it is the failure of (see `StageError`).
 */
export interface ThreadError { name: string, message: string, stage?: string }

/** What crosses for any failure: host code may reject with `undefined`, a string or an object. */
export function toThreadError (err: unknown): ThreadError {
  const error = asError(err)
  if (error instanceof StageError) return { name: error.cause.name, message: error.cause.message, stage: error.stage }
  return { name: error.name, message: error.message }
}

export function fromThreadError ({ name, message, stage }: ThreadError): Error {
  const error = Object.assign(new Error(message), { name })
  return stage === undefined ? error : new StageError(stage, error)
}
