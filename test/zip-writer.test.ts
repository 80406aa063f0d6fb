import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { ZipWriter, type ZipWriterOptions } from '../lib/export/zip-writer.ts'
import { temporaryDirectory } from './helpers/app.ts'
import { readZip } from './helpers/zip.ts'

const run = promisify(execFile)

async function zipOf (entries: [string, Buffer[]][], options: ZipWriterOptions = {}, compress = true): Promise<Buffer> {
  const writer = new ZipWriter(options)
  const bytes: Buffer[] = []
  writer.output.on('data', (chunk: Buffer) => bytes.push(chunk))
  const ended = new Promise((resolve) => writer.output.on('end', resolve))
  for (const [name, chunks] of entries) await writer.addEntry(name, (async function * () { yield * chunks })(), compress)
  await writer.end()
  await ended
  return Buffer.concat(bytes)
}

const entries: [string, Buffer[]][] = [
  ['page.html', [Buffer.from('<p>'.repeat(10_000)), Buffer.from('ünïcödé ✅')]],
  ['empty.txt', []],
  ['assets/α β.png', [Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(70_000, 7)]]
]
const expected = new Map(entries.map(([name, chunks]) => [name, Buffer.concat(chunks)]))

/** Checked by two other readers as well: Python's zipfile (CRCs) and Info-ZIP's unzip -t. */
async function checkWithOtherReaders (t: Test, zip: Buffer): Promise<void> {
  const file = join(await temporaryDirectory(t), 'test.zip')
  await writeFile(file, zip)
  const python = await run('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip()); print("|".join(i.filename + ":" + str(i.file_size) for i in z.infolist()))', file])
  t.equal(python.stdout, `None\n${[...expected].map(([name, content]) => `${name}:${content.length}`).join('|')}\n`, 'python zipfile: every CRC right')
  const unzip = await run('unzip', ['-t', file])
  t.match(unzip.stdout, /No errors detected in compressed data/)
}

t.test('entries read back byte for byte, deflated or stored, with UTF-8 names', async (t) => {
  for (const compress of [true, false]) {
    const zip = await zipOf(entries, {}, compress)
    t.same(await readZip(zip), expected)
    await checkWithOtherReaders(t, zip)
  }
})

t.test('ZIP64: sizes, offsets and entry counts past the classic limits (limits lowered to reach them here)', async (t) => {
  const zip = await zipOf(entries, { zip64Threshold: 1000, zip64EntryThreshold: 2 })
  t.same(await readZip(zip), expected, 'yauzl reads the ZIP64 records')
  t.ok(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'the ZIP64 end record is there')
  await checkWithOtherReaders(t, zip)
})

t.test('a consumer that stops reading holds the writer; the signal frees it', async (t) => {
  const controller = new AbortController()
  const waits: string[] = []
  const writer = new ZipWriter({ signal: controller.signal, onWait: () => waits.push('wait') })
  const writing = writer.addEntry('big.bin', (async function * () { for (let index = 0; index < 100; index++) yield Buffer.alloc(64 * 1024, index) })(), false)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(waits.length > 0, 'it waited on the consumer')
  controller.abort(new Error('gone'))
  await t.rejects(writing, { name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'gone' } }, 'aborted, the signal\'s reason as its cause')
})
