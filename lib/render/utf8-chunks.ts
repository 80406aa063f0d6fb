/**
 * Rendered text gathered into chunks of UTF-8 bytes, each piece encoded as it
 * comes. Why not `pending += piece` and one encoding of the chunk: such a
 * string is a rope of its pieces, and encoding it first flattens it — to two
 * bytes a character as soon as one piece holds a character beyond Latin-1
 * (an emoji, a curly quote, Hebrew, Arabic, Chinese) — then transcodes that
 * copy. Measured on 200,000 messages of the bench's rich corpus (58 MB of
 * JSON): 475 ms that way, 45 ms piece by piece; on Latin-1 text the two are
 * even (`npm run bench`, section utf8). Each piece is encoded on its own: a surrogate pair split between two
 * pieces would be two U+FFFD — a renderer's pieces are whole messages and
 * markup (and `JSON.stringify` escapes a lone surrogate).
 */
export class Utf8Chunks {
  private buffer: Buffer
  private used = 0

  /** `size`: the bytes of a chunk, once gathered (`full`). */
  constructor (private readonly size: number) {
    this.buffer = this.fresh()
  }

  /** Whether a chunk's `size` bytes are gathered: time to `take` them. */
  get full (): boolean {
    return this.used >= this.size
  }

  /** Adds `text` to what `take` will hand over. */
  add (text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, is 4); only
    // where that bound does not fit are the bytes counted.
    if (this.used + text.length * 3 > this.buffer.length) {
      const needed = this.used + Buffer.byteLength(text)
      if (needed > this.buffer.length) {
        const bigger = Buffer.allocUnsafeSlow(needed)
        this.buffer.copy(bigger, 0, 0, this.used)
        this.buffer = bigger
      }
    }
    this.used += this.buffer.write(text, this.used)
  }

  /** The bytes gathered (possibly none), as a chunk of their own. */
  take (): Buffer {
    const chunk = this.buffer.subarray(0, this.used)
    this.buffer = this.fresh()
    this.used = 0
    return chunk
  }

  /**
   * Room for a chunk and the piece that completes it, which is seldom more
   * than a quarter of one; never from Node's shared pool, so that a chunk's
   * memory can be moved to another thread.
   */
  private fresh (): Buffer {
    return Buffer.allocUnsafeSlow(this.size + (this.size >> 2))
  }
}
