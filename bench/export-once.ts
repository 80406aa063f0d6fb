/**
 * One measured export in a fresh process, so its peak RSS is its own:
 *   tsx bench/export-once.ts <format json|html|baseline> <messages> [corpus plain|rich|rich-no-md] [no-extras] [main-thread]
 * (`no-extras`: the rich corpora without their code blocks, formulas, custom emoji and avatars;
 * `main-thread`: the plugin with `renderInWorker: false`, so HTML renders on the main thread).
 * Prints one JSON line: { format, corpus, extras, mainThread, requested, messages, uploads, ms, zipBytes, peakRssMb, peakHeapMb },
 * `messages` being the count the export reports (its status's `messages`; the baseline's own count),
 * `uploads` the entries under `assets/` of its zip (read once the measurement is over).
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { benchApp, corpusMessage, prepareCorpus, settledExport, type Corpus } from './synthetic.ts'

const [format, countText, corpusName = 'plain', ...flags] = process.argv.slice(2)
const extras = !flags.includes('no-extras')
const mainThread = flags.includes('main-thread')
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
async function baseline (): Promise<{ messages: number, zipBytes: number }> {
  const file = join(directory, 'baseline.json.gz')
  let messages = 0
  await pipeline(Readable.from((async function * () {
    let pending = ''
    for (let index = 0; index < count; index++) {
      pending += JSON.stringify(corpusMessage(corpus, index, extras)) + ',\n'
      messages++
      if (pending.length >= 65536) { yield pending; pending = '' }
    }
    if (pending !== '') yield pending
  })()), createGzip(), createWriteStream(file))
  return { messages, zipBytes: (await stat(file)).size }
}

/**
 * Only the export is timed, by its own clock: from its job's creation to its
 * end (`createdAt` → `finishedAt` of its status). Its status is polled four
 * times a second, as a client would: polled every 5 ms (as this bench once
 * did, to time the export by the wall clock), the requests' garbage alone grew
 * the main thread's young generation to its 32 MB maximum and added ~28 MB to
 * the peak of a 1M-message HTML export.
 */
async function pluginExport (): Promise<{ messages: number, zipBytes: number, ms: number }> {
  const app = await benchApp(count, directory, corpus, extras, mainThread ? { renderInWorker: false } : {})
  await app.ready()
  const { messages, bytes, ms } = await settledExport(app, { format }, { pollMs: 250 })
  await app.close()
  return { messages, zipBytes: bytes, ms }
}

async function baselineExport (): Promise<{ messages: number, zipBytes: number, ms: number }> {
  const startedAt = performance.now()
  const { messages, zipBytes } = await baseline()
  return { messages, zipBytes, ms: performance.now() - startedAt }
}

/** Entries under `assets/` of the export's zip: the uploads it really archived (the baseline's gzip has none). */
async function archivedUploads (): Promise<number> {
  const [name] = (await readdir(directory)).filter((file) => file.endsWith('.zip'))
  if (name === undefined) return 0
  // Loaded only now, after the measurement (the plugin loads it too, to verify archives).
  const { default: yauzl } = await import('yauzl')
  // lazyEntries: read one entry at a time; the file closes itself after the last
  const zip = await yauzl.openPromise(join(directory, name), { lazyEntries: true })
  let uploads = 0
  for await (const entry of zip.eachEntry()) if (entry.fileName.startsWith('assets/')) uploads++
  return uploads
}

const { messages, zipBytes, ms } = format === 'baseline' ? await baselineExport() : await pluginExport()
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage.rss())
const uploads = await archivedUploads()
await rm(directory, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify({ format, corpus, extras, mainThread, requested: count, messages, uploads, ms: Math.round(ms), zipBytes, peakRssMb: Math.round(peakRss / 1048576), peakHeapMb: Math.round(peakHeap / 1048576) })}\n`)
