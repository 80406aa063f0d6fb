import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Rendering is synchronous work between reads that often resolve at once
 * (a cursor's buffered batch, an in-memory repository): without a break an
 * export would hold the event loop for as long as it renders. Every export
 * in the process draws on one budget: once the loop has run export work for
 * `sliceMs` since its last turn, the next export to check gives the loop a
 * turn. One budget, not one per export, so four exports at once still leave
 * requests waiting about one slice, not four.
 */
const sliceMs = 1
let sliceStart = performance.now()
/** The loop turn everything that paused waits for: the budget starts again once, at that turn. */
let turn: Promise<void> | null = null

/**
 * A pause when the shared slice is spent (`undefined` otherwise: most checks
 * cost a clock read). Exports that resume together at a turn do not each get a
 * fresh slice: the first spends it, the others find it spent and wait for the
 * next turn, so the loop serves I/O between every slice.
 */
export function pauseIfSliceSpent (): Promise<void> | undefined {
  if (performance.now() - sliceStart < sliceMs) return undefined
  turn ??= nextTurn().then(() => {
    sliceStart = performance.now()
    turn = null
  })
  return turn
}
