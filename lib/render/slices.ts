import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Rendering is synchronous work between reads that often resolve at once
 * (a cursor's buffered batch, an in-memory repository): without a break the
 * export would hold the event loop for as long as it renders. `pause()` is
 * called per message and gives the loop a turn once a slice of `sliceMs` has
 * passed, so other requests wait at most about one slice.
 */
export function createSlicer (sliceMs = 10): { pause: () => Promise<void> | undefined } {
  let sliceStart = performance.now()
  return {
    pause () {
      if (performance.now() - sliceStart < sliceMs) return undefined
      return nextTurn().then(() => { sliceStart = performance.now() })
    }
  }
}
