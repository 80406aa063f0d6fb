/**
 * Runs `operation` until it succeeds, waiting `firstDelayMs`, then twice as
 * long after each failure; after `attempts` failures the last error is thrown.
 * The defaults wait about 32 s in all (0.25 + 0.5 + … + 16 s): long enough for a database restart.
 */
export async function retrying (operation: () => Promise<void>, attempts = 8, firstDelayMs = 250): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await operation()
      return
    } catch (err) {
      if (attempt === attempts) throw err
      await new Promise((resolve) => setTimeout(resolve, firstDelayMs * 2 ** (attempt - 1)))
    }
  }
}
