/**
 * Rendered text gathered into chunks of UTF-8 bytes, encoded 16 KB at a time
 * as it comes. Why not `pending += piece` and one encoding of a 64 KB chunk:
 * such a string is a rope of hundreds of pieces, and encoding it first
 * flattens it — to two bytes a character as soon as one piece holds a
 * character beyond Latin-1 (an emoji, a curly quote, Hebrew, Arabic,
 * Chinese) — then transcodes that copy. Why not each piece on its own: a call
 * into the encoder per message costs more than encoding a short Latin-1 text.
 * On 200,000 messages' JSON (`npm run bench`, section utf8, 2026-12-04): the
 * bench's rich corpus (56 MB) 501 ms as 64 KB strings, 96 ms 16 KB at a time
 * (4 KB: ~105 ms); its plain corpus (48 MB, Latin-1 alone) 38 and 39 ms (4 KB:
 * ~53, piece by piece ~70); a later run printed 486 → 146 and 30 → 45 ms —
 * the machine is noisy. A surrogate pair split between two encodings
 * would be two U+FFFD: a renderer's pieces are whole messages and markup (and
 * `JSON.stringify` escapes a lone surrogate), and a run is only encoded
 * between pieces.
 */
export class Utf8Chunks {
  private buffer: Buffer
  private used = 0
  /** pieces not yet encoded */
  private text = ''

  /** `size`: the bytes of a chunk, once gathered (`full`). */
  constructor (private readonly size: number) {
    this.buffer = this.fresh()
  }

  /** Whether a chunk's `size` bytes are gathered (pieces not yet encoded count by their length, never more than their bytes): time to `take` them. */
  get full (): boolean {
    return this.used + this.text.length >= this.size
  }

  /** Adds `text` to what `take` will hand over. */
  add (text: string): void {
    this.text += text
    if (this.text.length >= encodedRun) this.encode()
  }

  /** The bytes gathered (possibly none), as a chunk of their own. */
  take (): Buffer {
    this.encode()
    const chunk = this.buffer.subarray(0, this.used)
    this.buffer = this.fresh()
    this.used = 0
    return chunk
  }

  /**
   * Encodes what fits, and only when a run did not fit are its remaining
   * bytes counted, for a bigger buffer: one pass over a run where there were
   * two (a count, then the write) whenever the chunk was near full.
   */
  private encode (): void {
    let text = this.text
    this.text = ''
    for (;;) {
      const { read, written } = utf8.encodeInto(text, this.buffer.subarray(this.used))
      this.used += written
      if (read === text.length) return
      text = text.slice(read)
      const bigger = Buffer.allocUnsafeSlow(this.used + Buffer.byteLength(text))
      this.buffer.copy(bigger, 0, 0, this.used)
      this.buffer = bigger
    }
  }

  /**
   * Room for a chunk and the run that completes it, which is seldom more
   * than a quarter of one; never from Node's shared pool, so that a chunk's
   * memory can be moved to another thread.
   */
  private fresh (): Buffer {
    return Buffer.allocUnsafeSlow(this.size + (this.size >> 2))
  }
}

const utf8 = new TextEncoder()

/** Characters gathered as a string before they are encoded: few enough that one beyond Latin-1 costs little, enough that the encoder is called seldom. */
const encodedRun = 16_384
