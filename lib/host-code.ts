/**
 * Host code — hooks, the repository, the storage — may throw anything, and
 * may throw synchronously from a function typed async. Everything the plugin
 * calls of it goes through here, so that what it gets back is always a
 * promise, and what such a promise rejects with is always an Error: a
 * `Promise.reject()`, a thrown string or object can neither crash the worker's
 * error hand-off nor escape as an unhandled rejection.
 */

/** A failure of host code that was not an Error: a thrown string is its message, anything else is described. */
export class HostValueError extends Error {
  constructor (value: unknown) {
    super(typeof value === 'string' ? value.slice(0, 200) : `host code failed with ${describe(value)} instead of an Error`)
    this.name = 'HostValueError'
  }
}

function describe (value: unknown): string {
  if (value === undefined || value === null) return String(value)
  if (typeof value === 'object') return 'an object'
  return `the ${typeof value} ${String(value).slice(0, 200)}`
}

/**
 * A failure of a part of the host (its repository, its storage, its
 * `translate`): `stage` names that part in a failed export's status, which
 * never shows the failure's own message (it may hold a connection string, a
 * path, a query); the message stays for the log.
 */
export class StageError extends Error {
  readonly stage: string
  declare readonly cause: Error
  constructor (stage: string, cause: Error) {
    // The log shows "the repository failed: <what it said>" (pino follows `cause`).
    super(`${stage} failed`, { cause })
    this.name = 'StageError'
    this.stage = stage
  }
}

/** `value` if it is an Error; else an Error saying what it was. */
export function asError (value: unknown): Error {
  return value instanceof Error ? value : new HostValueError(value)
}

/** `err` as an Error, and as the failure of `stage` when one is named. */
function hostFailure (err: unknown, stage: string | undefined): Error {
  const error = asError(err)
  return stage === undefined ? error : new StageError(stage, error)
}

/** `run()`'s result as a promise: a synchronous throw becomes a rejection, any rejection an Error (of `stage`, when named). */
export async function callHost<T> (run: () => T | PromiseLike<T>, stage?: string): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw hostFailure(err, stage)
  }
}

/** `fn` made safe to call (see `callHost`), `this` kept. */
export function guard<A extends unknown[], R> (fn: (...args: A) => R | PromiseLike<R>, self?: unknown, stage?: string): (...args: A) => Promise<R> {
  return async (...args) => await callHost(() => fn.apply(self, args), stage)
}

/**
 * An iterable-returning method made safe: a synchronous throw (before
 * anything is iterated) and any failure while iterating become an Error.
 */
export function guardIterable<A extends unknown[], T> (fn: (...args: A) => AsyncIterable<T>, self?: unknown, stage?: string): (...args: A) => AsyncIterable<T> {
  return async function * (...args: A) {
    try {
      yield * fn.apply(self, args)
    } catch (err) {
      throw hostFailure(err, stage)
    }
  }
}

/**
 * For the room's messages, a million of them: only the call is guarded here
 * (a synchronous throw becomes an iterable that fails); what fails while they
 * are iterated is made an Error by their one reader, `abortableBatches`,
 * without a generator more per message.
 */
export function guardIterableCall<A extends unknown[], T> (fn: (...args: A) => AsyncIterable<T>, self?: unknown, stage?: string): (...args: A) => AsyncIterable<T> {
  return (...args) => {
    try {
      return fn.apply(self, args)
    } catch (err) {
      const error = hostFailure(err, stage)
      return { [Symbol.asyncIterator]: () => ({ next: async () => { throw error } }) }
    }
  }
}
