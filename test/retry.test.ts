import t from 'tap'
import { retrying } from '../lib/export/retry.ts'

t.test('retries until the operation succeeds', async (t) => {
  let calls = 0
  await retrying(async () => { if (++calls < 3) throw new Error(`failure ${calls}`) }, 5, 1)
  t.equal(calls, 3)
})

t.test('gives up after the last attempt with its error', async (t) => {
  let calls = 0
  await t.rejects(retrying(async () => { throw new Error(`failure ${++calls}`) }, 3, 1), { message: 'failure 3' })
  t.equal(calls, 3)
})
