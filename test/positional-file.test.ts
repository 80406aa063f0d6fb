import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import t from 'tap'
import { fileWriteSize, fileWritesUnderWay, positionalFileStream } from '../lib/storage/positional-file.ts'

/**
 * A file in memory whose writes take `delayMs` (every third three times as long, so that
 * writes finish out of order) and write at most `maxBytes`
 * of what they are given; it records the bytes under way at their peak,
 * and fails the write numbered `failing` (1-based).
 */
function memoryFile ({ delayMs = 0, maxBytes = Infinity, failing = 0 } = {}) {
  const content: Buffer[] = []
  const state = { calls: 0, underWay: 0, peakUnderWay: 0, content: () => Buffer.concat(content) }
  const file: Pick<FileHandle, 'writev'> = {
    writev: (async (buffers: NodeJS.ArrayBufferView[], position: number) => {
      const call = ++state.calls
      const given = Buffer.concat(buffers as Buffer[])
      state.underWay += given.length
      state.peakUnderWay = Math.max(state.peakUnderWay, state.underWay)
      await new Promise((resolve) => setTimeout(resolve, call % 3 === 0 ? 3 * delayMs : delayMs))
      state.underWay -= given.length
      if (call === failing) throw new Error('disk full')
      const written = given.subarray(0, Math.min(maxBytes, given.length))
      // Stored at its offset: writes may finish in any order.
      const end = position + written.length
      const whole = Buffer.concat([state.content(), Buffer.alloc(Math.max(0, end - state.content().length))])
      written.copy(whole, position)
      content.splice(0, content.length, whole)
      return { bytesWritten: written.length, buffers }
    }) as FileHandle['writev']
  }
  return { file, state }
}

/** Pieces as a zip gives them: headers, uploads, descriptors, of sizes 1 B to 200 KB. */
function pieces (count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => randomBytes([30, 16, 48_213, 1, 200_000, 700][index % 6]))
}

t.test('the file holds every piece, in order, whatever order its writes finish in', async (t) => {
  const chunks = pieces(120)
  const { file, state } = memoryFile({ delayMs: 2 })
  await pipeline(Readable.from(chunks), positionalFileStream(file))
  t.ok(state.content().equals(Buffer.concat(chunks)))
  t.ok(state.calls < chunks.length / 4, `gathered into few writes (${state.calls} for ${chunks.length} pieces)`)
  t.ok(state.peakUnderWay > fileWriteSize, 'several writes under way at once')
  t.ok(state.peakUnderWay <= fileWritesUnderWay + fileWriteSize + 200_000, `never much more than ${fileWritesUnderWay} bytes under way (peak ${state.peakUnderWay})`)
})

t.test('a write that takes less than it was given is continued where it stopped', async (t) => {
  const chunks = pieces(30)
  const { file, state } = memoryFile({ maxBytes: 10_000 })
  await pipeline(Readable.from(chunks), positionalFileStream(file))
  t.ok(state.content().equals(Buffer.concat(chunks)))
})

t.test('a file that takes none of the bytes fails the stream, rather than being written to for ever', async (t) => {
  const { file } = memoryFile({ maxBytes: 0 })
  await t.rejects(pipeline(Readable.from(pieces(3)), positionalFileStream(file)), { message: 'the file took none of the bytes written to it' })
})

t.test('the stream ends only once its last write is done', async (t) => {
  const chunks = pieces(12)
  const { file, state } = memoryFile({ delayMs: 30 })
  await pipeline(Readable.from(chunks), positionalFileStream(file))
  t.equal(state.underWay, 0, 'nothing under way')
  t.equal(state.content().length, Buffer.concat(chunks).length)
})

t.test('a write that fails fails the stream, and nothing more is written after it is known', async (t) => {
  const { file, state } = memoryFile({ delayMs: 2, failing: 2 })
  await t.rejects(pipeline(Readable.from(pieces(400)), positionalFileStream(file)), { message: 'disk full' })
  const calls = state.calls
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(state.calls, calls, 'no write after the failure')
  t.ok(calls < 20, `the writes under way when it failed, and no more (${calls})`)
})

t.test('a failure in the last writes fails the end', async (t) => {
  const { file } = memoryFile({ failing: 1 })
  await t.rejects(pipeline(Readable.from([Buffer.from('small')]), positionalFileStream(file)), { message: 'disk full' })
})
