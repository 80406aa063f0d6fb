import fc from 'fast-check'
import t from 'tap'
import { RecentMap } from '../lib/render/recent-map.ts'

/**
 * The renderers' bounded memories (people, thread parents, the messages a
 * quote may link to): at most `limit` keys, the oldest first set forgotten
 * first, as a `Map` used as a queue did — checked against that queue.
 */
t.test('holds the most recent keys up to its limit and forgets the oldest first', async (t) => {
  const recent = new RecentMap<string, number>(3)
  for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) recent.set(key, index)
  t.equal(recent.size, 3)
  t.same(['a', 'b', 'c', 'd'].map((key) => recent.get(key)), [undefined, 1, 2, 3], 'a, the oldest, forgotten')
  t.equal(recent.has('a'), false)
  t.equal(recent.has('d'), true)
  recent.set('b', 10)
  t.equal(recent.get('b'), 10, 'a key set again takes its new value')
  recent.set('e', 4)
  t.same(['b', 'c', 'd', 'e'].map((key) => recent.get(key)), [undefined, 2, 3, 4], 'and keeps its place: b, set first of the three, goes next')
  t.equal(recent.size, 3)
})

t.test('behaves as a Map used as a queue, for any sequence of keys', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer())), (limit, sets) => {
    const recent = new RecentMap<number, number>(limit)
    const queue = new Map<number, number>()
    for (const [key, value] of sets) {
      recent.set(key, value)
      if (!queue.has(key) && queue.size >= limit) queue.delete(queue.keys().next().value!)
      queue.set(key, value)
      if (recent.size !== queue.size) return false
      for (let probe = 0; probe <= 12; probe++) {
        if (recent.get(probe) !== queue.get(probe) || recent.has(probe) !== queue.has(probe)) return false
      }
    }
    return true
  }), { numRuns: 2000 })
  t.pass('2,000 random sequences')
})
