import fc from 'fast-check'
import t from 'tap'
import { prettyJsonPieces } from '../lib/export/pretty-json.ts'

/**
 * The manifest is written in pieces (`prettyJsonPieces`), and must read as
 * `JSON.stringify(value, null, 2)` did, byte for byte: a manifest's digest is
 * signed and time-stamped, and people read it.
 */
const text = (value: unknown) => [...prettyJsonPieces(value)].join('')

t.test('the same text as JSON.stringify(value, null, 2), for anything JSON.stringify takes', async (t) => {
  const anything = fc.anything({
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'toJSON', 'constructor', '')),
    withDate: true,
    withNullPrototype: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withUnicodeString: true
  })
  fc.assert(fc.property(anything, (value) => {
    return text({ value }) === JSON.stringify({ value }, null, 2) && text([value]) === JSON.stringify([value], null, 2)
  }), { numRuns: 5000 })
  t.pass('5,000 random values, in an object and in an array')
})

t.test('what JSON cannot hold: left out of objects, null in arrays', async (t) => {
  const value = { a: undefined, b: () => 1, c: Symbol('c'), d: [undefined, () => 1, Symbol('d'), 1], e: {}, f: [], g: new Date(Date.UTC(2024, 0, 2)), h: { toJSON: () => ({ nested: [1, { deeper: true }] }) } }
  t.equal(text(value), JSON.stringify(value, null, 2))
  t.equal(text(value), `{
  "d": [
    null,
    null,
    null,
    1
  ],
  "e": {},
  "f": [],
  "g": "2024-01-02T00:00:00.000Z",
  "h": {
    "nested": [
      1,
      {
        "deeper": true
      }
    ]
  }
}`)
})

t.test('no piece holds more than one member: a manifest of 10,000 uploads is never one string', async (t) => {
  const manifest = { assets: { included: Array.from({ length: 10_000 }, (_, index) => ({ fileId: `file${index}`, path: `assets/file${index}/chart-${index}.png`, bytes: 48_213, sha256: 'ab'.repeat(32) })) } }
  const pieces = [...prettyJsonPieces(manifest)]
  t.equal(pieces.join(''), JSON.stringify(manifest, null, 2))
  t.ok(Math.max(...pieces.map((piece) => piece.length)) < 200, `the longest piece: ${Math.max(...pieces.map((piece) => piece.length))} characters`)
})
