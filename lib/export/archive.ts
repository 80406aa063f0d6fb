import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { StallWatchdog } from './watchdog.ts'
import { ZipWriter } from './zip-writer.ts'

export interface EntryDigest {
  name: string
  bytes: number
  sha256: string
}

/**
 * A zip being written as a stream (`ZipWriter`): entries go in one after
 * another, each streamed with backpressure and hashed, and `output` yields the
 * zip's bytes as they are produced. `signal` aborts a write waiting on a
 * consumer that went away; waiting on that consumer is the storage stage of
 * the stall watchdog.
 */
export class ExportArchive {
  readonly output: Readable
  private readonly zip: ZipWriter
  private readonly signal: AbortSignal
  private readonly names = new Set<string>()
  /** every entry written so far, in order, with its size and sha256 */
  readonly entries: EntryDigest[] = []

  constructor (signal: AbortSignal, watchdog: StallWatchdog) {
    this.signal = signal
    this.zip = new ZipWriter({
      signal,
      onWait: () => { watchdog.blockedOn('the storage') },
      onProgress: () => { watchdog.unblocked() }
    })
    this.output = this.zip.output
    // Storage may not be reading yet when an export fails; it still sees the error through
    // the destroyed stream, and this listener keeps that early error from crashing the process.
    this.output.on('error', () => {})
  }

  /**
   * Streams rendered text (chunks of UTF-8, 64 KB: see `htmlChunkSize` and `renderChunkSize`;
   * a page's head and the index as strings) into the entry `name`; resolves with its
   * size and sha256 once all of it was handed to the zip.
   */
  async addText (name: string, chunks: AsyncIterable<string | Uint8Array>): Promise<EntryDigest> {
    return await this.addEntry(name, (async function * () {
      for await (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    }()))
  }

  /**
   * Streams bytes (an upload) into the entry `name` as they come; `compress: false` stores them
   * as they are; `onChunk` sees each chunk on its way.
   */
  async addBytes (name: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, { compress = true, onChunk }: { compress?: boolean, onChunk?: (chunk: Buffer) => void } = {}): Promise<EntryDigest> {
    return await this.addEntry(name, chunks, compress, onChunk)
  }

  /** `compress: false` for bytes compressed already (images): deflate would only cost time. */
  async addBuffer (name: string, content: Buffer, { compress = true }: { compress?: boolean } = {}): Promise<EntryDigest> {
    return await this.addEntry(name, [content], compress)
  }

  /** Two entries of one name would shadow each other when unzipped: a bug, never an export. */
  private claimName (name: string): void {
    if (this.names.has(name)) throw new Error(`fastify-rooms-export: duplicate zip entry ${JSON.stringify(name)}`)
    this.names.add(name)
  }

  private async addEntry (name: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, compress = true, onChunk?: (chunk: Buffer) => void): Promise<EntryDigest> {
    this.claimName(name)
    const hash = createHash('sha256')
    let bytes = 0
    const signal = this.signal
    await this.zip.addEntry(name, chunks, compress, (chunk) => {
      signal.throwIfAborted()
      onChunk?.(chunk)
      hash.update(chunk)
      bytes += chunk.length
    })
    const digest = { name, bytes, sha256: hash.digest('hex') }
    this.entries.push(digest)
    return digest
  }

  async end (): Promise<void> {
    await this.zip.end()
  }

  destroy (err: Error): void {
    this.output.destroy(err)
  }
}
