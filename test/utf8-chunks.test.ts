import fc from 'fast-check'
import t from 'tap'
import { Utf8Chunks } from '../lib/render/utf8-chunks.ts'

/**
 * The renderers' chunks of UTF-8: whatever the pieces (Latin-1, two-byte
 * scripts, emoji, lone surrogates inside them, pieces bigger than a chunk),
 * the chunks joined are the pieces' text encoded at once, and the gatherer is
 * full as soon as it holds `size` bytes by its count — pieces not yet encoded
 * counted by their length — never before.
 */
function gathered (size: number, pieces: string[]): { chunks: Buffer[], handedAt: number[] } {
  const gatherer = new Utf8Chunks(size)
  const chunks: Buffer[] = []
  const handedAt: number[] = []
  for (const [index, piece] of pieces.entries()) {
    gatherer.add(piece)
    if (gatherer.full) {
      chunks.push(gatherer.take())
      handedAt.push(index)
    }
  }
  chunks.push(gatherer.take())
  return { chunks, handedAt }
}

t.test('full once `size` bytes are gathered, pieces not yet encoded counted by their length; `take` hands over all there is', async (t) => {
  const { chunks, handedAt } = gathered(8, ['abc', 'שלום', 'd', '😀', 'xyz'])
  // 3 + 4 + 1 characters reach 8 at the third piece (12 bytes); 2 + 3 characters do not before the end
  t.same(chunks.map((chunk) => chunk.toString()), ['abcשלוםd', '😀xyz'])
  t.same(handedAt, [2])
  // 16,400 characters are a run to encode: its 32,800 bytes count, past 20,000, where its length would not
  const encoded = gathered(20_000, ['ש'.repeat(8000), 'ש'.repeat(8400), 'x'])
  t.same(encoded.chunks.map((chunk) => chunk.length), [32_800, 1])
  t.same(encoded.handedAt, [1])
})

t.test('a piece bigger than a chunk, of three bytes a character, goes whole into one', async (t) => {
  const big = '会'.repeat(5000)
  const { chunks } = gathered(1024, ['a', big, 'b'])
  t.same(chunks.map((chunk) => chunk.length), [1 + 15_000, 1], 'handed over with it; b is what take finds')
  t.equal(Buffer.concat(chunks).toString(), `a${big}b`)
})

t.test('the chunks joined are the text encoded at once, for any pieces', async () => {
  // A surrogate pair is never split between two pieces (a renderer's pieces are whole messages and
  // markup, and JSON.stringify escapes a lone surrogate); lone ones inside a piece are kept.
  const splitsNoPair = (text: string) => !/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(text)
  const piece = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('a', '<', 'é', 'ש', '会', '😀', '\ud800', '\udc00'), maxLength: 9000 })
  ).filter(splitsNoPair)
  fc.assert(fc.property(fc.integer({ min: 1, max: 40_000 }), fc.array(piece, { maxLength: 40 }), (size, pieces) => {
    const { chunks } = gathered(size, pieces)
    if (!Buffer.concat(chunks).equals(Buffer.from(pieces.join('')))) return false
    // every chunk but the last (what `take` found) holds at least `size` bytes
    return chunks.slice(0, -1).every((chunk) => chunk.length >= size)
  }), { numRuns: 1000 })
})

t.test('a chunk owns its memory, outside Node\'s shared pool: it can be moved to another thread', async (t) => {
  const { chunks } = gathered(64, ['x'.repeat(70), 'y'])
  for (const chunk of chunks) t.not(chunk.buffer, Buffer.allocUnsafe(1).buffer, 'not the pool')
  const moved = structuredClone(chunks[0], { transfer: [chunks[0].buffer as ArrayBuffer] })
  t.equal(Buffer.from(moved.buffer, moved.byteOffset, moved.byteLength).toString(), 'x'.repeat(70))
})
