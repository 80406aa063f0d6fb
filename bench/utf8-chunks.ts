/**
 * Encoding rendered text to UTF-8, two ways, on the same JSON of a corpus's
 * messages (made before the clock starts), pieces as the JSON renderer hands
 * them over: gathered by `+=` into ~64 KB strings, each encoded at once (as
 * the renderers did), against `Utf8Chunks` (gathered 16 KB at a time, each
 * run encoded into the chunk's buffer). Best of five rounds each, interleaved,
 * each from a collected heap (`--expose-gc`); the bytes of both are compared.
 *   tsx bench/utf8-chunks.ts <corpus plain|rich> [messages]
 * Prints one JSON line: { corpus, messages, megabytes, stringsMs, chunksMs }.
 */
import { Utf8Chunks } from '../lib/render/utf8-chunks.ts'
import { corpusMessage, prepareCorpus, type Corpus } from './synthetic.ts'

const corpus = (process.argv[2] ?? 'rich') as Corpus
const count = Number(process.argv[3] ?? 200_000)
const chunkSize = 64 * 1024
await prepareCorpus(corpus)
const texts = Array.from({ length: count }, (_, index) => JSON.stringify(corpusMessage(corpus, index)))

function gatheredStrings (): Buffer[] {
  const chunks: Buffer[] = []
  let pending = ''
  for (const text of texts) {
    pending += `,\n${text}`
    if (pending.length >= chunkSize) {
      chunks.push(Buffer.from(pending))
      pending = ''
    }
  }
  chunks.push(Buffer.from(pending))
  return chunks
}

function utf8Chunks (): Buffer[] {
  const chunks: Buffer[] = []
  const pending = new Utf8Chunks(chunkSize)
  for (const text of texts) {
    pending.add(',\n')
    pending.add(text)
    if (pending.full) chunks.push(pending.take())
  }
  chunks.push(pending.take())
  return chunks
}

const best = { strings: Infinity, chunks: Infinity }
let bytes = { strings: Buffer.alloc(0), chunks: Buffer.alloc(0) }
for (let round = 0; round < 5; round++) {
  for (const [name, encode] of [['strings', gatheredStrings], ['chunks', utf8Chunks]] as const) {
    // Each way starts from a collected heap: the strings' garbage is not the chunks' to collect.
    globalThis.gc?.()
    const start = performance.now()
    const chunks = encode()
    best[name] = Math.min(best[name], performance.now() - start)
    if (round === 0) bytes = { ...bytes, [name]: Buffer.concat(chunks) }
  }
}
if (!bytes.strings.equals(bytes.chunks)) throw new Error('the two ways encoded different bytes')
process.stdout.write(`${JSON.stringify({ corpus, messages: count, megabytes: Math.round(bytes.strings.length / 1048576), stringsMs: Math.round(best.strings), chunksMs: Math.round(best.chunks) })}\n`)
