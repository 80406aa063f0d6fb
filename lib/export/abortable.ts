import type { StallWatchdog } from './watchdog.ts'

export interface Watched {
  /** named in the stall error when this source stops answering */
  stage: string
  watchdog: StallWatchdog
}

/** For promises whose failure nobody needs: an abandoned read, a race already decided. */
const ignoreFailure = (): void => {}

/**
 * Iterates `source` until it ends or `signal` aborts. A source that never
 * answers (a stalled repository, an upload stream that never ends) cannot
 * hold the export: on abort the pending `next()` is abandoned, the iterator's
 * `return()` is called so it can close its cursor or stream, and the abort
 * reason is thrown.
 */
export async function * abortable<T> (source: AsyncIterable<T>, signal: AbortSignal, { stage, watchdog }: Watched): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  // One listener for the whole iteration rejects the read in flight. (A race of each read against
  // one long-lived "aborted" promise would leave a reaction on it per read, each holding its
  // message: 0.8 KB a message, never freed until the export ends.)
  let rejectRead: ((reason: unknown) => void) | null = null
  const onAbort = () => { rejectRead?.(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  let finished = false
  try {
    while (true) {
      signal.throwIfAborted()
      watchdog.waitingOn(stage)
      const result = await new Promise<IteratorResult<T>>((resolve, reject) => {
        rejectRead = reject
        iterator.next().then(resolve, reject)
      })
      rejectRead = null
      if (result.done === true) {
        finished = true
        return
      }
      watchdog.progress()
      yield result.value
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!finished) {
      // A source stuck in next() may never settle return() either: call it, but after an abort do not wait on it.
      const closing = Promise.resolve().then(async () => await iterator.return?.()).catch(ignoreFailure)
      if (!signal.aborted) await closing
    }
  }
}

/**
 * `work`, unless `signal` aborts first (then its reason is thrown). What the
 * abandoned work still produces goes to `onLate` (to close a stream nobody reads).
 */
export async function raceAbort<T> (work: Promise<T>, signal: AbortSignal, onLate: (value: T) => void = ignoreFailure): Promise<T> {
  signal.throwIfAborted()
  let onAbort!: () => void
  const abortedFirst = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      work.then(onLate, ignoreFailure)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, abortedFirst])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
