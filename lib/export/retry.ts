import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Runs `operation` until it succeeds, waiting `firstDelayMs`, then twice as
 * long after each failure; after `attempts` failures the last error is thrown.
 * The defaults wait about 32 s in all (0.25 + 0.5 + … + 16 s): long enough for
 * a database restart. `signal` (the server closing) ends the waiting early.
 */
export async function retrying (operation: () => Promise<void>, options: { signal?: AbortSignal, attempts?: number, firstDelayMs?: number } = {}): Promise<void> {
  const { signal, attempts = 8, firstDelayMs = 250 } = options
  for (let attempt = 1; ; attempt++) {
    try {
      await operation()
      return
    } catch (err) {
      if (attempt === attempts || signal?.aborted === true) throw err
      await sleep(firstDelayMs * 2 ** (attempt - 1), undefined, { signal }).catch(() => { throw err })
    }
  }
}
