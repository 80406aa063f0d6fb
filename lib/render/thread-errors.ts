import { asError } from '../host-code.ts'

/** An error as it crosses between the main thread and the HTML render worker: its name and message (a stack would be the other thread's). */
export interface ThreadError { name: string, message: string }

/** What crosses for any failure: host code may reject with `undefined`, a string or an object. */
export function toThreadError (err: unknown): ThreadError {
  const { name, message } = asError(err)
  return { name, message }
}

export function fromThreadError ({ name, message }: ThreadError): Error {
  return Object.assign(new Error(message), { name })
}
