import t from 'tap'
import { retrying } from '../lib/export/retry.ts'

t.test('retries until the operation succeeds', async (t) => {
  let calls = 0
  await retrying(async () => { if (++calls < 3) throw new Error(`failure ${calls}`) }, { attempts: 5, firstDelayMs: 1 })
  t.equal(calls, 3)
})

t.test('gives up after the last attempt with its error', async (t) => {
  let calls = 0
  await t.rejects(retrying(async () => { throw new Error(`failure ${++calls}`) }, { attempts: 3, firstDelayMs: 1 }), { message: 'failure 3' })
  t.equal(calls, 3)
})

t.test('the signal ends the waiting between attempts, with the last error', async (t) => {
  const controller = new AbortController()
  let calls = 0
  const started = Date.now()
  const retried = retrying(async () => { throw new Error(`failure ${++calls}`) }, { signal: controller.signal, firstDelayMs: 60_000 })
  setTimeout(() => { controller.abort() }, 50)
  await t.rejects(retried, { message: 'failure 1' })
  t.ok(Date.now() - started < 5000, 'did not wait the minute')
  await t.rejects(retrying(async () => { throw new Error(`failure ${++calls}`) }, { signal: controller.signal }), { message: 'failure 2' }, 'an aborted signal: one attempt, no wait')
})
