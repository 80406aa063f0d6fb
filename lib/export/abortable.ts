import { asError } from '../host-code.ts'
import type { StallWatchdog } from './watchdog.ts'

export interface Watched {
  /** named in the stall error when this source stops answering */
  stage: string
  watchdog: StallWatchdog
}

/** For promises whose failure nobody needs: an abandoned read, a race already decided. */
const ignoreFailure = (): void => {}

/**
 * `source` in arrays of up to `batchSize` items, until it ends or `signal`
 * aborts. A source that never answers (a stalled repository, an upload
 * stream that never ends) cannot hold the export: on abort the pending read
 * is abandoned, the iterator's `return()` is called so it can close its
 * cursor or stream, and the abort reason is thrown. Each item read counts as
 * progress for the watchdog, and is passed to `accept` as it arrives: only
 * those it returns true for go into the batch.
 *
 * Batches because a million messages pass through here: the race against
 * the abort and the hand-off to the consumer cost a promise each, paid once
 * per batch instead of once per message.
 */
export async function * abortableBatches<T> (source: AsyncIterable<T>, signal: AbortSignal, { stage, watchdog }: Watched, batchSize: number, accept: (item: T) => boolean = () => true): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]()
  // One listener for the whole iteration rejects the read in flight. (A race of each read against
  // one long-lived "aborted" promise would leave a reaction on it per read, each holding its
  // items, never freed until the export ends.)
  let rejectRead: ((reason: unknown) => void) | null = null
  const onAbort = () => { rejectRead?.(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  // Set by the batch read that meets the end (a flag the loop reads, written in a closure).
  const state = { finished: false }
  const readBatch = async (): Promise<T[]> => {
    const batch: T[] = []
    // After an abort the batch is abandoned: its promise was rejected already.
    while (batch.length < batchSize && !signal.aborted) {
      watchdog.waitingOn(stage)
      const result = await iterator.next()
      if (result.done === true) {
        state.finished = true
        break
      }
      watchdog.progress()
      if (accept(result.value)) batch.push(result.value)
    }
    return batch
  }
  try {
    while (!state.finished) {
      signal.throwIfAborted()
      const batch = await new Promise<T[]>((resolve, reject) => {
        rejectRead = reject
        readBatch().then(resolve, (err: unknown) => { reject(asError(err)) })
      })
      rejectRead = null
      if (batch.length > 0) yield batch
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!state.finished) {
      // A source stuck in next() may never settle return() either: call it, but after an abort do not wait on it.
      const closing = Promise.resolve().then(async () => await iterator.return?.()).catch(ignoreFailure)
      if (!signal.aborted) await closing
    }
  }
}

/** `abortableBatches` one item at a time, for sources whose items are big already (an upload's chunks). */
export async function * abortable<T> (source: AsyncIterable<T>, signal: AbortSignal, watched: Watched): AsyncGenerator<T> {
  for await (const [item] of abortableBatches(source, signal, watched, 1)) yield item as T
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
