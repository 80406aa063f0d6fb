/**
 * The zip writer, chosen by measurement: the same export-like text (HTML of
 * synthetic messages, 64 KB chunks) zipped by each candidate into a file.
 *   tsx bench/zip-writers.ts <megabytes>
 * Prints one JSON line per writer: { writer, megabytes, ms, bytes, entries, size, crc32 },
 * the last three read back from the written file (every zip is checked; the floor is no zip).
 *
 * - own: the package's writer (lib/export/zip-writer.ts), zlib's deflateRaw and the native zlib.crc32.
 * - yazl: streaming entries, CRC-32 in JavaScript (buffer-crc32), deflate by zlib.
 * - fflate: streaming ZipDeflate, its own JavaScript deflate and CRC-32.
 * - floor (zlib+crc32, no zip): what any writer on zlib pays — one deflateRaw stream and the native
 *   zlib.crc32 over the same bytes, without zip framing; not a zip, so not read back.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, createDeflateRaw } from 'node:zlib'
import { Zip, ZipDeflate } from 'fflate'
import yauzl from 'yauzl'
import yazl from 'yazl'
import { ZipWriter } from '../lib/export/zip-writer.ts'
import { syntheticMessage } from './synthetic.ts'

const megabytes = Number(process.argv[2] ?? 200)
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-zip-bench-'))
const entryName = 'export.html'

/** Export-like text: each synthetic message as an HTML article, in 64 KB chunks, made once. */
const chunks: Buffer[] = []
let pending = ''
let total = 0
for (let index = 0; total < megabytes * 1024 * 1024; index++) {
  const message = syntheticMessage(index)
  pending += `<article class="message" id="m-${message._id}"><div class="meta"><span class="author">${message.u.name}</span> <time datetime="${message.ts.toISOString()}">10:00</time></div><div class="text"><p class="md-p">${message.msg}</p></div></article>\n`
  if (pending.length >= 65536) {
    const chunk = Buffer.from(pending)
    chunks.push(chunk)
    total += chunk.length
    pending = ''
  }
}
/** What each zip's one entry must read back as. */
const expected = { size: total, crc32: chunks.reduce((crc, chunk) => crc32(chunk, crc), 0) }

async function ownWriter (file: string): Promise<void> {
  const zip = new ZipWriter()
  const written = pipeline(zip.output, createWriteStream(file))
  await zip.addEntry(entryName, (async function * () { yield * chunks })())
  await zip.end()
  await written
}

async function yazlWriter (file: string): Promise<void> {
  const zip = new yazl.ZipFile()
  const entry = new PassThrough()
  zip.addReadStream(entry, entryName)
  zip.end()
  const written = pipeline(zip.outputStream, createWriteStream(file))
  for (const chunk of chunks) if (!entry.write(chunk)) await new Promise((resolve) => entry.once('drain', resolve))
  entry.end()
  await written
}

async function fflateWriter (file: string): Promise<void> {
  const out = createWriteStream(file)
  const done = new Promise<void>((resolve, reject) => {
    const zip = new Zip((err, data, final) => {
      if (err !== null) { reject(err); return }
      out.write(data)
      if (final) out.end(resolve)
    })
    const entry = new ZipDeflate(entryName, { level: 6 })
    zip.add(entry)
    chunks.forEach((chunk, index) => { entry.push(chunk, index === chunks.length - 1) })
    zip.end()
  })
  await done
}

async function zlibFloor (file: string): Promise<void> {
  let crc = 0
  await pipeline(Readable.from((function * () {
    for (const chunk of chunks) {
      crc = crc32(chunk, crc)
      yield chunk
    }
  })()), createDeflateRaw(), createWriteStream(file))
}

/**
 * Reads `file` back as a zip (yauzl, which checks each entry's sizes as it inflates): one entry,
 * named as written, whose central directory's size and CRC and whose inflated bytes are the
 * input's. Throws on any difference: a writer that is fast but wrong has no figure.
 */
async function readBack (writer: string, file: string): Promise<{ entries: number, size: number, crc32: number }> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true })
  const entries: yauzl.Entry[] = []
  let inflated = { size: 0, crc32: 0 }
  for await (const entry of zip.eachEntry()) {
    entries.push(entry)
    inflated = { size: 0, crc32: 0 }
    for await (const chunk of await zip.openReadStreamPromise(entry) as AsyncIterable<Buffer>) inflated = { size: inflated.size + chunk.length, crc32: crc32(chunk, inflated.crc32) }
  }
  const [entry] = entries
  const problems = [
    entries.length !== 1 && `${entries.length} entries`,
    entry !== undefined && entry.fileName !== entryName && `the entry is named ${JSON.stringify(entry.fileName)}`,
    entry !== undefined && entry.uncompressedSize !== expected.size && `the central directory says ${entry.uncompressedSize} bytes`,
    entry !== undefined && entry.crc32 !== expected.crc32 && `the central directory's CRC is ${entry.crc32}`,
    inflated.size !== expected.size && `${inflated.size} bytes inflated`,
    inflated.crc32 !== expected.crc32 && `the inflated bytes' CRC is ${inflated.crc32}`
  ].filter((problem) => problem !== false)
  if (problems.length > 0) throw new Error(`${writer}'s zip is not the input's (${expected.size} bytes, CRC ${expected.crc32}): ${problems.join('; ')}`)
  return { entries: entries.length, size: inflated.size, crc32: inflated.crc32 }
}

const writers: Record<string, { write: (file: string) => Promise<void>, isZip: boolean }> = {
  own: { write: ownWriter, isZip: true },
  yazl: { write: yazlWriter, isZip: true },
  fflate: { write: fflateWriter, isZip: true },
  floor: { write: zlibFloor, isZip: false }
}
for (const [writer, { write, isZip }] of Object.entries(writers)) {
  const file = join(directory, `${writer}.zip`)
  const startedAt = performance.now()
  await write(file)
  const ms = Math.round(performance.now() - startedAt)
  // Read back after the clock stopped: checking is not the writer's time.
  const check = isZip ? await readBack(writer, file) : null
  process.stdout.write(`${JSON.stringify({ writer, megabytes, ms, bytes: (await stat(file)).size, ...check })}\n`)
  await rm(file)
}
await rm(directory, { recursive: true, force: true })
