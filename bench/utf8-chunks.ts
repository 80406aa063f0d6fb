/**
 * Encoding rendered text to UTF-8, two ways, on the same JSON of a corpus's
 * messages (made before the clock starts): gathered by `+=` into ~64 KB
 * strings, each encoded at once (as the renderers did), against each message
 * encoded as it comes into a chunk's buffer (`Utf8Chunks`). Best of five
 * rounds each, interleaved; the bytes of both are compared.
 *   tsx bench/utf8-chunks.ts <corpus plain|rich> [messages]
 * Prints one JSON line: { corpus, messages, megabytes, ropesMs, piecesMs }.
 */
import { Utf8Chunks } from '../lib/render/utf8-chunks.ts'
import { corpusMessage, prepareCorpus, type Corpus } from './synthetic.ts'

const corpus = (process.argv[2] ?? 'rich') as Corpus
const count = Number(process.argv[3] ?? 200_000)
const chunkSize = 64 * 1024
await prepareCorpus(corpus)
const texts = Array.from({ length: count }, (_, index) => `,\n${JSON.stringify(corpusMessage(corpus, index))}`)

function ropes (): Buffer[] {
  const chunks: Buffer[] = []
  let pending = ''
  for (const text of texts) {
    pending += text
    if (pending.length >= chunkSize) {
      chunks.push(Buffer.from(pending))
      pending = ''
    }
  }
  chunks.push(Buffer.from(pending))
  return chunks
}

function pieces (): Buffer[] {
  const chunks: Buffer[] = []
  const pending = new Utf8Chunks(chunkSize)
  for (const text of texts) {
    pending.add(text)
    if (pending.full) chunks.push(pending.take())
  }
  chunks.push(pending.take())
  return chunks
}

const best = { ropes: Infinity, pieces: Infinity }
let bytes = { ropes: Buffer.alloc(0), pieces: Buffer.alloc(0) }
for (let round = 0; round < 5; round++) {
  for (const [name, encode] of [['ropes', ropes], ['pieces', pieces]] as const) {
    const start = performance.now()
    const chunks = encode()
    best[name] = Math.min(best[name], performance.now() - start)
    if (round === 0) bytes = { ...bytes, [name]: Buffer.concat(chunks) }
  }
}
if (!bytes.ropes.equals(bytes.pieces)) throw new Error('the two ways encoded different bytes')
process.stdout.write(`${JSON.stringify({ corpus, messages: count, megabytes: Math.round(bytes.ropes.length / 1048576), ropesMs: Math.round(best.ropes), piecesMs: Math.round(best.pieces) })}\n`)
