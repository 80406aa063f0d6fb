/**
 * How long `work` held the event loop at most: the longest wait of a 5 ms
 * timer while it ran (the bench's slow-message exports, and the email
 * event-loop test's process).
 */
export async function withLongestLoopGap<T> (work: () => Promise<T>): Promise<{ result: T, longestGapMs: number }> {
  let longestGapMs = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    longestGapMs = Math.max(longestGapMs, now - last)
    last = now
  }, 5)
  try {
    return { result: await work(), longestGapMs }
  } finally {
    clearInterval(timer)
  }
}
