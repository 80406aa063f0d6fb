import { asError, StageError } from '../host-code.ts'
import type { StallWatchdog } from './watchdog.ts'
import type { RoomRepository } from '../model.ts'

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
 * progress for the watchdog, and is passed to `select` as it arrives: what
 * it returns goes into the batch (nothing, for `undefined`).
 *
 * Batches because a million messages pass through here: the race against
 * the abort and the hand-off to the consumer cost a promise each, paid once
 * per batch instead of once per message.
 */
export async function * abortableBatches<T, U = T> (source: AsyncIterable<T>, signal: AbortSignal, { stage, watchdog }: Watched, batchSize: number, select: (item: T) => U | undefined = (item) => item as unknown as U): AsyncGenerator<U[]> {
  const iterator = source[Symbol.asyncIterator]()
  // One listener for the whole iteration rejects the read in flight. (A race of each read against
  // one long-lived "aborted" promise would leave a reaction on it per read, each holding its
  // items, never freed until the export ends.)
  let rejectRead: ((reason: unknown) => void) | null = null
  const onAbort = () => { rejectRead?.(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  // Set by the batch read that meets the end (a flag the loop reads, written in a closure).
  const state = { finished: false }
  const readBatch = async (): Promise<U[]> => {
    const batch: U[] = []
    // After an abort the batch is abandoned: its promise was rejected already.
    while (batch.length < batchSize && !signal.aborted) {
      watchdog.waitingOn(stage)
      let result: IteratorResult<T>
      try {
        result = await iterator.next()
      } catch (err) {
        // The source's own failure, named by its stage (what `select` throws is the export's own).
        throw err instanceof StageError ? err : new StageError(stage, asError(err))
      }
      if (result.done === true) {
        state.finished = true
        break
      }
      watchdog.progress()
      const selected = select(result.value)
      if (selected !== undefined) batch.push(selected)
    }
    return batch
  }
  try {
    while (!state.finished) {
      signal.throwIfAborted()
      const batch = await new Promise<U[]>((resolve, reject) => {
        rejectRead = reject
        readBatch().then(resolve, reject)
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

/** The repository's lookups a renderer makes. */
export type RenderLookups = Pick<RoomRepository, 'findMessagesByIds' | 'findUsersByUsernames' | 'fileSize'>

/**
 * `repository`'s lookups as rendering makes them (names, thread parents, upload sizes), each given
 * up when `signal` aborts. A lookup that never answered held the render, and with it the export:
 * the stall watchdog failed it, but it never settled (its file left open, its slot taken). Called
 * as the repository's methods, so a class's `this` holds.
 */
export function lookupsUntilAbort (repository: RenderLookups, signal: AbortSignal): RenderLookups {
  const untilAbort = async <T>(lookup: () => Promise<T>): Promise<T> => await raceAbort(Promise.resolve().then(lookup), signal)
  return {
    findUsersByUsernames: async (usernames) => await untilAbort(async () => await repository.findUsersByUsernames(usernames)),
    async * findMessagesByIds (rid, ids) {
      const found = repository.findMessagesByIds(rid, ids)[Symbol.asyncIterator]()
      for (;;) {
        const next = await raceAbort(found.next(), signal)
        if (next.done === true) return
        yield next.value
      }
    },
    fileSize: repository.fileSize === undefined ? undefined : async (file, rid) => await untilAbort(async () => await repository.fileSize!(file, rid))
  }
}
