import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import yazl from 'yazl'
import type { StallWatchdog } from './watchdog.ts'

export interface EntryDigest {
  name: string
  bytes: number
  sha256: string
}

/**
 * A zip being written as a stream: entries go in one after another, each
 * streamed with backpressure, and `output` yields the zip's bytes as they
 * are produced. `signal` aborts a write waiting on a consumer that went away;
 * waiting on that consumer is the storage stage of the stall watchdog.
 */
export class ExportArchive {
  readonly output: Readable
  private readonly zip = new yazl.ZipFile()
  private readonly signal: AbortSignal
  private readonly watchdog: StallWatchdog
  private readonly names = new Set<string>()

  constructor (signal: AbortSignal, watchdog: StallWatchdog) {
    this.signal = signal
    this.watchdog = watchdog
    this.output = this.zip.outputStream as Readable
    this.zip.on('error', (err: Error) => { this.output.destroy(err) })
    // Storage may not be reading yet when an export fails; it still sees the error through
    // the destroyed stream, and this listener keeps that early error from crashing the process.
    this.output.on('error', () => {})
  }

  /**
   * Streams rendered text (strings of about 64 KB, see `renderChunkSize`) into
   * the entry `name`; resolves with its size and sha256 once all of it was
   * handed to the zip.
   */
  async addText (name: string, chunks: AsyncIterable<string>): Promise<EntryDigest> {
    return await this.addEntry(name, (async function * () {
      for await (const chunk of chunks) yield Buffer.from(chunk)
    }()))
  }

  /** Streams bytes (an upload) into the entry `name` as they come. */
  async addBytes (name: string, chunks: AsyncIterable<Buffer>): Promise<EntryDigest> {
    return await this.addEntry(name, chunks)
  }

  /** Two entries of one name would shadow each other when unzipped: a bug, never an export. */
  private claimName (name: string): void {
    if (this.names.has(name)) throw new Error(`fastify-rooms-export: duplicate zip entry ${JSON.stringify(name)}`)
    this.names.add(name)
  }

  private async addEntry (name: string, chunks: AsyncIterable<Buffer>): Promise<EntryDigest> {
    this.claimName(name)
    const entry = new PassThrough()
    this.zip.addReadStream(entry, name)
    const hash = createHash('sha256')
    let bytes = 0
    try {
      for await (const chunk of chunks) {
        this.signal.throwIfAborted()
        hash.update(chunk)
        bytes += chunk.length
        if (!entry.write(chunk)) {
          this.watchdog.waitingOn('the storage')
          await once(entry, 'drain', { signal: this.signal })
          this.watchdog.progress()
        }
      }
      entry.end()
    } catch (err) {
      // yazl pipes the entry without an error listener: end it quietly, the caller destroys the archive.
      entry.destroy()
      throw err
    }
    return { name, bytes, sha256: hash.digest('hex') }
  }

  addBuffer (name: string, content: Buffer): EntryDigest {
    this.claimName(name)
    this.zip.addBuffer(content, name)
    return { name, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') }
  }

  end (): void {
    this.zip.end()
  }

  destroy (err: Error): void {
    this.output.destroy(err)
  }
}
