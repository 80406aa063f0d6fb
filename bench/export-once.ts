/**
 * One measured export in a fresh process, so its peak RSS is its own:
 *   tsx bench/export-once.ts <format json|html|baseline> <messages> [corpus plain|rich|rich-no-md] [no-extras]
 * (`no-extras`: the rich corpora without their code blocks, formulas, custom emoji and avatars).
 * Prints one JSON line: { format, corpus, messages, ms, zipBytes, peakRssMb, peakHeapMb }.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { benchApp, corpusMessage, prepareCorpus, settledExport, type Corpus } from './synthetic.ts'

const [format, countText, corpusName = 'plain', extrasArgument] = process.argv.slice(2)
const extras = extrasArgument !== 'no-extras'
const count = Number(countText)
const corpus = corpusName as Corpus
// Before the clock and the memory sampler start: the rich corpus's trees are parsed once.
await prepareCorpus(corpus)
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-'))
let peakRss = process.memoryUsage.rss()
/** V8's heap, young generation included: where RSS grows between a small and a big export */
let peakHeap = 0
const sampler = setInterval(() => {
  const usage = process.memoryUsage()
  peakRss = Math.max(peakRss, usage.rss)
  peakHeap = Math.max(peakHeap, usage.heapTotal)
}, 20)

/** The hand-written baseline of SPEC §5: JSON.stringify each, 64 KB text chunks, gzip to a file. */
async function baseline (): Promise<number> {
  const file = join(directory, 'baseline.json.gz')
  await pipeline(Readable.from((async function * () {
    let pending = ''
    for (let index = 0; index < count; index++) {
      pending += JSON.stringify(corpusMessage(corpus, index, extras)) + ',\n'
      if (pending.length >= 65536) { yield pending; pending = '' }
    }
    if (pending !== '') yield pending
  })()), createGzip(), createWriteStream(file))
  return (await stat(file)).size
}

/**
 * Only the export is timed, by its own clock: from its job's creation to its
 * end (`createdAt` → `finishedAt` of its status). Its status is polled four
 * times a second, as a client would: polled every 5 ms (as this bench once
 * did, to time the export by the wall clock), the requests' garbage alone grew
 * the main thread's young generation to its 32 MB maximum and added ~28 MB to
 * the peak of a 1M-message HTML export.
 */
async function pluginExport (): Promise<{ zipBytes: number, ms: number }> {
  const app = await benchApp(count, directory, corpus, extras)
  await app.ready()
  const { bytes, ms } = await settledExport(app, { format }, { pollMs: 250 })
  await app.close()
  return { zipBytes: bytes, ms }
}

async function baselineExport (): Promise<{ zipBytes: number, ms: number }> {
  const startedAt = performance.now()
  const zipBytes = await baseline()
  return { zipBytes, ms: performance.now() - startedAt }
}

const { zipBytes, ms } = format === 'baseline' ? await baselineExport() : await pluginExport()
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage.rss())
await rm(directory, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify({ format, corpus, extras, messages: count, ms: Math.round(ms), zipBytes, peakRssMb: Math.round(peakRss / 1048576), peakHeapMb: Math.round(peakHeap / 1048576) })}\n`)
