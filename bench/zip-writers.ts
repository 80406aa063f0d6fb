/**
 * The zip writer, chosen by measurement: the same export-like text (HTML of
 * synthetic messages, 64 KB chunks) zipped by each candidate into a file.
 *   tsx bench/zip-writers.ts <megabytes>
 * Prints one JSON line per writer: { writer, ms, bytes }.
 *
 * - yazl (the plugin's): streaming entries, CRC-32 in JavaScript (buffer-crc32), deflate by zlib.
 * - fflate: streaming ZipDeflate, its own JavaScript deflate and CRC-32.
 * - zlib+crc32 (the floor any writer pays): one zlib deflateRaw stream and Node's native zlib.crc32
 *   over the same bytes, without zip framing.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, createDeflateRaw } from 'node:zlib'
import { Zip, ZipDeflate } from 'fflate'
import yazl from 'yazl'
import { syntheticMessage } from './synthetic.ts'

const megabytes = Number(process.argv[2] ?? 200)
const directory = await mkdtemp(join(tmpdir(), 'rooms-export-zip-bench-'))

/** Export-like text: each synthetic message as an HTML article, in 64 KB chunks, made once. */
const chunks: Buffer[] = []
let pending = ''
let total = 0
for (let index = 0; total < megabytes * 1024 * 1024; index++) {
  const message = syntheticMessage(index)
  pending += `<article class="message" id="m-${message._id}"><div class="meta"><span class="author">${message.u.name}</span> <time datetime="${message.ts.toISOString()}">10:00</time></div><div class="text"><p class="md-p">${message.msg}</p></div></article>\n`
  if (pending.length >= 65536) {
    chunks.push(Buffer.from(pending))
    total += pending.length
    pending = ''
  }
}

async function yazlWriter (file: string): Promise<void> {
  const zip = new yazl.ZipFile()
  const entry = new PassThrough()
  zip.addReadStream(entry, 'export.html')
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
    const entry = new ZipDeflate('export.html', { level: 6 })
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

const writers: Record<string, (file: string) => Promise<void>> = { yazl: yazlWriter, fflate: fflateWriter, 'zlib+crc32': zlibFloor }
for (const [writer, write] of Object.entries(writers)) {
  const file = join(directory, `${writer}.zip`)
  const startedAt = performance.now()
  await write(file)
  const ms = Math.round(performance.now() - startedAt)
  process.stdout.write(`${JSON.stringify({ writer, megabytes, ms, bytes: (await stat(file)).size })}\n`)
}
await rm(directory, { recursive: true, force: true })
