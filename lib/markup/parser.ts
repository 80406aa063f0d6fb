import {
  ADDRESS, ALPHANUMERIC, ASCII_ALPHANUMERIC, BOLD_STOP, classes, DIGIT, DOMAIN_STOP, EMOTICON_START, EXTRA, isAsciiAlphanumeric, isAsciiLetter, isDigit, isHex,
  isLineEnd, isSpace, ITALIC_STOP, NAME, RUN_END, SPACE, STRIKE_STOP, TEXT, TITLE_STOP, URL_BODY
} from './characters.ts'
import { emoticonsByFirstCharacter } from './emoticons.ts'
import {
  autoEmail, autoLink, bigEmoji, bold, code, codeLine, color, emoji, emojiUnicode, emoticon, heading, horizontalRule, image, inlineCode, inlineKatex,
  italic, joinInlines, katex, lineBreak, link, listItem, mentionChannel, mentionUser, orderedList, paragraph, phone, plain, quote, spoiler, spoilerBlock,
  strike, table, task, tasks, timestamp, unorderedList, type MarkdownTree, type MarkupNode
} from './tree.ts'

/**
 * Rocket.Chat's message markup, parsed as `@rocket.chat/message-parser`
 * parses it with Rocket.Chat's default options (emoticons, colours, KaTeX with
 * `$…$` and `\(…\)`), to the same tree — in time linear in the text.
 *
 * The grammar is a PEG: ordered choices, greedy repetitions that never give
 * back, lookaheads. Rocket.Chat runs it as generated, so an unclosed `*`, `_`,
 * `$` or `[` rescans the rest of its line at every position (5,000 `*` take a
 * second, 40 KB of `a_` forty). Here every rule that a backtrack can ask for
 * again at the same place (an inline item, an emphasis, a run of items) is
 * remembered by position and by the emphases around it — the only state the
 * grammar has — and every scan a lookahead makes (to the next space or `@`, to
 * the end of a run of punctuation, to the closing `$`) reads a table built
 * once per text. The rules keep the grammar's names, so a reader can hold the
 * two side by side; test/markup-parser.test.ts compares the trees.
 *
 * `remember`: that memory — by default for texts over 512 characters; a
 * shorter text (nearly every message) is read faster without it, and its worst
 * case is bounded by its length. Null for the empty text (Rocket.Chat's throws).
 */
export function parseMarkup (text: string, { remember = text.length > SHORT_TEXT }: { remember?: boolean } = {}): MarkdownTree | null {
  return new Parser(text, remember).root()
}

/**
 * The work a parse of `text` does, in steps: rules tried, items of
 * repetitions, characters read by scans. A measure of time that the machine's
 * noise does not move, for the test that proves it linear.
 */
export function parseSteps (text: string): number {
  const parser = new Parser(text, text.length > SHORT_TEXT)
  parser.root()
  return parser.steps
}

const FAIL = null
type Result<T> = T | null

// The emphases a rule is inside: Rocket.Chat's grammar refuses a bold inside a bold and so on.
const IN_BOLD = 1
const IN_ITALIC = 2
const IN_STRIKE = 4
const IN_LINK = 8

// Remembered rules.
const INLINE_ITEM = 0
const BOLD = 1
const ITALIC = 2
const STRIKE = 3
const REFERENCE = 4
const BOLD_ITEM = 5
const ITALIC_ITEM = 6
const BOLD_ITEMS = 7
const ITALIC_ITEMS = 8
const STRIKE_ITEMS = 9
const TITLE_ITEMS = 10

/** What a rule matched at each position, under one set of emphases: its value (null: no match; a hole: not yet asked) and where it ended. */
interface Memory { values: unknown[], ends: Int32Array }

// Runs of characters, measured once each (see `run`).
const SPACES = 0
const PLAIN_RUN = 1
const STARS = 2
const UNDERSCORES = 3
const TILDES = 4
const BOLD_TEXT = 5
const ITALIC_TEXT = 6
const STRIKE_TEXT = 7
const TEXT_RUN = 8
const NAME_RUN = 9
const TITLE_TEXT = 10
const DIGITS = 11
const ALPHANUMERICS = 12
const USER_INFO = 13
const ADDRESS_RUN = 14
const URL_RUN = 15
const MARKDOWN_URL_RUN = 16
const PARENTHESIZED = 17
const SHORTCODE = 18
const ANGLE_TITLE = 19
const AT_SIGNS = 20
const LANGUAGE = 21
const LETTERS = 22
const RUN_KINDS = 23

/** Longer texts are parsed with the memory of rules that keeps the time linear. */
const SHORT_TEXT = 512

// One parse at a time: the parser is synchronous.
const runStarts = new Int32Array(RUN_KINDS)
const runEnds = new Int32Array(RUN_KINDS)

/** A chain of items that a repetition matched: shared by every repetition that starts inside it. */
interface Chain { item: MarkupNode | MarkupNode[], next: Chain | null }

const LF = 0x0a
const CR = 0x0d

class Parser {
  private readonly text: string
  private readonly length: number
  private pos = 0
  private flags = 0
  steps = 0
  /**
   * Memory of rules, scans and walks, for texts longer than `SHORT_TEXT`: a
   * short text is read faster without it (a message is ~100 characters), and
   * its worst case is bounded by its length.
   */
  private readonly remembering: boolean
  /** by rule and emphases: `rule * 16 + flags` */
  private readonly memories: Array<Memory | undefined> = []
  /** tables built on first use: for each position, the first position at or after it where a scan stops */
  private readonly scans = new Map<string, Int32Array>()
  /** tables built on first use: where a walk through domain characters, labels, dotted labels, address parts ends */
  private readonly walks = new Map<string, Int32Array>()
  private readonly runStarts = runStarts.fill(-1)
  private readonly runEnds = runEnds

  constructor (text: string, remembering: boolean) {
    this.text = text
    this.length = text.length
    this.remembering = remembering
  }

  // The rules' bodies that are passed on (to remember, chain, lookaheads), made once per parse rather than at every call.
  private readonly inlineItemRule = (): Result<MarkupNode | MarkupNode[]> => this.inlineItemByFirstCharacter() ?? this.inlineItemOfAnyCharacter()
  private readonly inlineItemLookahead = (): unknown => this.inlineItem()
  private readonly boldContentItem = (): Result<MarkupNode | MarkupNode[]> => this.boldItem() ?? this.emphasisText(BOLD_TEXT, BOLD_STOP, 0x2a)
  private readonly boldRule = (): Result<MarkupNode> => this.delimited(0x2a, () => this.chain(BOLD_ITEMS, this.boldContentItem), bold)
  private readonly strikeContentItem = (): Result<MarkupNode | MarkupNode[]> => this.strikeItem()
  private readonly strikeRule = (): Result<MarkupNode> => this.delimited(0x7e, () => this.chain(STRIKE_ITEMS, this.strikeContentItem), strike)
  private readonly italicRule = (): Result<MarkupNode | MarkupNode[]> => this.italic()
  private readonly italicContentItem = (): Result<MarkupNode | MarkupNode[]> => this.italicItem() ?? this.emphasisText(ITALIC_TEXT, ITALIC_STOP, 0x5f)
  private readonly referenceRule = (): Result<MarkupNode> => this.unit(this.pos) === 0x5b ? this.markdownLink() : this.angleLink()
  private readonly boldItemLookahead = (): unknown => this.boldItem()
  private readonly italicItemLookahead = (): unknown => this.italicItem()
  private readonly boldItemRule = (): Result<MarkupNode | MarkupNode[]> => this.whitespace() ?? this.inlineCode() ?? this.timestamp() ?? this.reference() ??
    this.userMention() ?? this.channelMention() ?? this.maybeItalic() ?? this.maybeStrike() ?? this.emoji() ?? this.emoticonBefore(BOLD_ITEM, this.boldItemLookahead)

  private readonly italicItemRule = (): Result<MarkupNode | MarkupNode[]> => this.whitespace() ?? this.inlineCode() ?? this.timestamp() ?? this.reference() ??
    this.userMention() ?? this.channelMention() ?? this.maybeBold() ?? this.maybeStrike() ?? this.emoji() ?? this.emoticonBefore(ITALIC_ITEM, this.italicItemLookahead, 0x5f)

  private unit (at: number): number {
    return at < this.length ? this.text.charCodeAt(at) : -1
  }

  private startsWith (literal: string, at = this.pos): boolean {
    return this.text.startsWith(literal, at)
  }

  private literal (value: string): boolean {
    if (!this.text.startsWith(value, this.pos)) return false
    this.pos += value.length
    return true
  }

  private memory (rule: number): Memory {
    const slot = rule * 16 + this.flags
    let memory = this.memories[slot]
    if (memory === undefined) {
      memory = { values: new Array(this.length + 1), ends: new Int32Array(this.length + 1) }
      this.memories[slot] = memory
    }
    return memory
  }

  /** A rule's result at the current position and emphases, computed once. */
  private remember<T> (rule: number, compute: () => Result<T>, flag = 0): Result<T> {
    this.steps++
    if (!this.remembering) return this.computeWithin(compute, flag)
    const { values, ends } = this.memory(rule)
    const start = this.pos
    const known = values[start]
    if (known !== undefined) {
      if (known !== FAIL) this.pos = ends[start]
      return known as Result<T>
    }
    const value = this.computeWithin(compute, flag)
    if (value === FAIL) this.pos = start
    values[start] = value
    ends[start] = this.pos
    return value
  }

  /** `compute()` inside the emphasis `flag` (none: 0) */
  private computeWithin<T> (compute: () => Result<T>, flag: number): Result<T> {
    if (flag === 0) return compute()
    this.flags |= flag
    try {
      return compute()
    } finally {
      this.flags &= ~flag
    }
  }

  /**
   * For each position, the first position at or after it where `stops` holds
   * (or the text's length): one backward pass, then every scan is one read.
   */
  private nextStop (name: string, from: number, stops: (unit: number, at: number) => boolean): number {
    if (!this.remembering) {
      let at = from
      while (at < this.length && !stops(this.text.charCodeAt(at), at)) at++
      this.steps += at - from + 1
      return at
    }
    this.steps++
    let table = this.scans.get(name)
    if (table === undefined) {
      this.steps += this.length
      table = new Int32Array(this.length + 1)
      let next = this.length
      table[this.length] = next
      for (let at = this.length - 1; at >= 0; at--) {
        if (stops(this.text.charCodeAt(at), at)) next = at
        table[at] = next
      }
      this.scans.set(name, table)
    }
    return table[from]
  }

  /**
   * Moves past the characters from here on that `accepts` (a test of the
   * position, or a mask of character classes that the characters must be in
   * when `inside`, out of otherwise), and says how many. The run is remembered
   * by kind: asked again from anywhere inside it, the answer is its end,
   * without reading it again — the grammar tries the same rule at every
   * position of a long run of delimiters.
   */
  private run (kind: number, accepts: ((unit: number, at: number) => boolean) | number, inside = true): number {
    const start = this.pos
    const known = this.runStarts[kind]
    let end = start
    this.steps++
    if (known !== -1 && known <= start && start <= this.runEnds[kind]) {
      end = this.runEnds[kind]
    } else {
      if (typeof accepts === 'number') {
        while (end < this.length && ((classes[this.text.charCodeAt(end)] & accepts) !== 0) === inside) end++
      } else {
        while (end < this.length && accepts(this.text.charCodeAt(end), end)) end++
      }
      this.steps += end - start
      this.runStarts[kind] = start
      this.runEnds[kind] = end
    }
    this.pos = end
    return end - start
  }

  /**
   * Where a walk from `at` ends, `step` giving the next position (or -1 where
   * it stops); every position the walk passes is remembered, so a walk that
   * reaches one of them stops there with the known end.
   */
  private walkEnd (name: string, at: number, step: (at: number) => number): number {
    if (!this.remembering) {
      let end = at
      for (let next = step(end); next >= 0; next = step(end)) {
        this.steps++
        end = next
      }
      return end
    }
    this.steps++
    let ends = this.walks.get(name)
    if (ends === undefined) {
      ends = new Int32Array(this.length + 2)
      this.walks.set(name, ends)
    }
    const path: number[] = []
    let end = at
    while (true) {
      const known = ends[end]
      if (known !== 0) {
        end = known - 1
        break
      }
      path.push(end)
      this.steps++
      const next = step(end)
      if (next < 0) break
      end = next
    }
    for (const passed of path) ends[passed] = end + 1
    return end
  }

  private extraRunEnd (at: number): number {
    return this.nextStop('extra', at, isNotExtra)
  }

  // ─── Start ────────────────────────────────────────────────────────────────

  root (): MarkdownTree | null {
    const big = this.bigEmoji()
    if (big !== FAIL && this.pos === this.length) return [big]
    this.pos = 0
    const blocks: MarkupNode[] = []
    while (true) {
      let block = this.block()
      if (block === FAIL) block = this.paragraph()
      if (block === FAIL && this.lineEnd()) block = paragraph([plain('')])
      if (block === FAIL) break
      blocks.push(block)
    }
    // Rocket.Chat's parser throws on what it cannot read to the end: only an empty text.
    return blocks.length > 0 && this.pos === this.length ? blocks : null
  }

  private bigEmoji (): Result<MarkupNode> {
    this.skipSpacesAndLineEnds()
    const emojis: MarkupNode[] = []
    while (emojis.length < 3) {
      const found = this.emoji() ?? this.emoticon()
      if (found === FAIL) break
      emojis.push(found)
      this.skipSpacesAndLineEnds()
    }
    return emojis.length > 0 ? bigEmoji(emojis) : FAIL
  }

  private skipSpacesAndLineEnds (): void {
    while (this.pos < this.length) {
      const unit = this.text.charCodeAt(this.pos)
      if (!isSpace(unit) && !isLineEnd(unit)) return
      this.pos++
      this.steps++
    }
  }

  /** `EndOfLine`: `\r\n`, `\n` or `\r` */
  private lineEnd (): boolean {
    const unit = this.unit(this.pos)
    if (unit === CR) {
      this.pos += this.unit(this.pos + 1) === LF ? 2 : 1
      return true
    }
    if (unit === LF) {
      this.pos++
      return true
    }
    return false
  }

  private skipSpaces (): number {
    return this.run(SPACES, SPACE, true)
  }

  // ─── Blocks ───────────────────────────────────────────────────────────────

  private block (): Result<MarkupNode> {
    const start = this.pos
    const unit = this.unit(start)
    let found: Result<MarkupNode> = FAIL
    if (unit === 0x3e) found = this.blockquote()
    if (found === FAIL && unit === 0x7c) found = this.blockSpoiler() ?? this.table()
    if (found === FAIL && unit === 0x60) found = this.code()
    if (found === FAIL && (unit === 0x2d || isSpace(unit))) found = this.horizontalRule()
    if (found === FAIL && unit === 0x23) found = this.heading()
    if (found === FAIL && unit === 0x2d) found = this.tasks()
    if (found === FAIL && isDigit(unit)) found = this.orderedList()
    if (found === FAIL && (unit === 0x2d || unit === 0x2a)) found = this.unorderedList()
    if (found === FAIL && (unit === 0x5c || unit === 0x24)) found = this.blockKatex()
    if (found === FAIL) found = this.emptyLine()
    if (found === FAIL) this.pos = start
    return found
  }

  private blockquote (): Result<MarkupNode> {
    const lines: MarkupNode[] = []
    while (true) {
      const line = this.blockquoteLine()
      if (line === FAIL) break
      lines.push(line)
    }
    return lines.length > 0 ? quote(lines) : FAIL
  }

  private blockquoteLine (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('>')) return FAIL
    this.skipSpaces()
    if (this.lineEnd()) return paragraph([plain('')])
    const line = this.paragraph()
    if (line === FAIL) this.pos = start
    return line
  }

  private blockSpoiler (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('||') || !this.lineEnd()) return this.fail(start)
    const lines: MarkupNode[] = []
    while (!this.startsWith('||')) {
      const line = this.paragraph()
      if (line === FAIL) break
      lines.push(line)
    }
    if (lines.length === 0) return this.fail(start)
    this.lineEnd()
    return this.literal('||') ? spoilerBlock(lines) : this.fail(start)
  }

  private fail (start: number): null {
    this.pos = start
    return FAIL
  }

  private code (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('```')) return FAIL
    const languageStart = this.pos
    this.run(LANGUAGE, isLanguageCharacter)
    const language = this.pos > languageStart ? this.text.slice(languageStart, this.pos) : null
    if (!this.lineEnd()) return this.fail(start)
    const lines: MarkupNode[] = []
    while (true) {
      const line = this.codeLine()
      if (line === FAIL) break
      lines.push(line)
    }
    if (lines.length === 0 || !this.lineEnd() || !this.literal('```')) return this.fail(start)
    return code(lines, language)
  }

  private codeLine (): Result<MarkupNode> {
    const chunk = this.codeChunk()
    if (chunk !== FAIL) return codeLine(plain(chunk))
    if (this.unit(this.pos) !== LF) return FAIL
    this.pos++
    const next = this.codeChunk()
    if (next !== FAIL) return codeLine(plain(next))
    if (this.startsWith('```')) {
      this.pos--
      return FAIL
    }
    return codeLine(plain(''))
  }

  /** `CodeChunk`: a line's text, with backticks so long as no "```" starts */
  private codeChunk (): Result<string> {
    const start = this.pos
    while (this.pos < this.length) {
      const unit = this.text.charCodeAt(this.pos)
      if (isLineEnd(unit)) break
      if (unit !== 0x60) {
        this.pos++
        continue
      }
      const next = this.unit(this.pos + 1)
      if (next !== 0x60) {
        // "`" followed by a character of the line, or by its end
        if (next === -1 || isLineEnd(next)) this.pos++
        else this.pos += 2
        continue
      }
      const third = this.unit(this.pos + 2)
      if (third === 0x60) break
      this.pos += third === -1 || isLineEnd(third) ? 2 : 3
    }
    this.steps += this.pos - start + 1
    return this.pos > start ? this.text.slice(start, this.pos) : FAIL
  }

  private horizontalRule (): Result<MarkupNode> {
    const start = this.pos
    this.skipSpaces()
    const dashes = this.pos
    while (this.unit(this.pos) === 0x2d) this.pos++
    this.steps += this.pos - dashes + 1
    if (this.pos - dashes < 3) return this.fail(start)
    const fallback: [number, number] = [dashes, this.pos]
    this.skipSpaces()
    if (!this.lineEnd() && this.pos < this.length) return this.fail(start)
    return horizontalRule(fallback)
  }

  private table (): Result<MarkupNode> {
    const start = this.pos
    const header = this.tableRow()
    if (header === FAIL) return FAIL
    const alignments = this.tableAlignments()
    if (alignments === FAIL) return this.fail(start)
    const rows: MarkupNode[][][] = []
    while (true) {
      const row = this.tableRow()
      if (row === FAIL) break
      rows.push(row)
    }
    return table(header, alignments, rows, [start, this.pos])
  }

  private tableRow (): Result<MarkupNode[][]> {
    const start = this.pos
    if (!this.literal('|')) return FAIL
    const cells: MarkupNode[][] = []
    while (true) {
      const cellStart = this.pos
      const cell = this.tableCell()
      if (!this.literal('|')) {
        this.pos = cellStart
        break
      }
      cells.push(cell)
    }
    if (cells.length === 0) return this.fail(start)
    this.lineEnd()
    return cells
  }

  private tableCell (): MarkupNode[] {
    const items: Array<MarkupNode | MarkupNode[]> = []
    while (true) {
      if (this.literal('\\|')) {
        items.push(plain('|'))
        continue
      }
      const unit = this.unit(this.pos)
      if (unit === 0x7c || unit === -1 || isLineEnd(unit)) break
      items.push(this.inlineItem() ?? this.anyCharacter()!)
    }
    return joinInlines(items)
  }

  private tableAlignments (): Result<Array<'left' | 'right' | 'center' | undefined>> {
    const start = this.pos
    if (!this.literal('|')) return FAIL
    const alignments: Array<'left' | 'right' | 'center' | undefined> = []
    while (true) {
      const cellStart = this.pos
      this.skipSpaces()
      const left = this.literal(':')
      const dashes = this.pos
      while (this.unit(this.pos) === 0x2d) this.pos++
      this.steps += this.pos - dashes + 1
      if (this.pos === dashes) {
        this.pos = cellStart
        break
      }
      const right = this.literal(':')
      this.skipSpaces()
      if (!this.literal('|')) {
        this.pos = cellStart
        break
      }
      alignments.push(left && right ? 'center' : right ? 'right' : left ? 'left' : undefined)
    }
    if (alignments.length === 0) return this.fail(start)
    this.lineEnd()
    return alignments
  }

  private heading (): Result<MarkupNode> {
    const start = this.pos
    let level = 0
    while (level < 4 && this.unit(this.pos) === 0x23) {
      this.pos++
      level++
    }
    if (level === 0 || this.skipSpaces() === 0) return this.fail(start)
    const items: Array<MarkupNode | MarkupNode[]> = []
    while (true) {
      const item = this.inlineItem() ?? this.anyCharacter()
      if (item === FAIL) break
      items.push(item)
    }
    if (items.length === 0) return this.fail(start)
    this.lineEnd()
    return heading(joinInlines(items), level)
  }

  private tasks (): Result<MarkupNode> {
    const items = this.listItems(() => {
      if (!this.literal('- [')) return FAIL
      const status = this.unit(this.pos) === 0x78 ? true : this.unit(this.pos) === 0x20 ? false : null
      this.pos++
      return status !== null && this.literal(']') ? status : FAIL
    }, () => this.inline(), (text, status) => task(text, status))
    return items.length > 0 ? tasks(items) : FAIL
  }

  private orderedList (): Result<MarkupNode> {
    const items = this.listItems(() => {
      const digits = this.digitRun()
      return digits !== FAIL && this.literal('.') ? digits : FAIL
    }, () => this.inline(), (text, digits) => listItem(text, parseInt(digits, 10)))
    return items.length > 0 ? orderedList(items) : FAIL
  }

  private unorderedList (): Result<MarkupNode> {
    const byHyphen = this.listItems(() => this.literal('-') || FAIL, () => this.inline(), (text) => listItem(text))
    if (byHyphen.length > 0) return unorderedList(byHyphen)
    const byAsterisk = this.listItems(() => this.literal('*') || FAIL, () => this.asteriskItemText(), (text) => listItem(text))
    return byAsterisk.length > 0 ? unorderedList(byAsterisk) : FAIL
  }

  /** `(marker [ \t]+ text)*`: a list's items, as many as there are */
  private listItems<M> (marker: () => Result<M>, text: () => Result<MarkupNode[]>, item: (text: MarkupNode[], marker: M) => MarkupNode): MarkupNode[] {
    const items: MarkupNode[] = []
    while (true) {
      const start = this.pos
      const found = marker()
      const content = found !== FAIL && this.skipSpaces() > 0 ? text() : FAIL
      if (found === FAIL || content === FAIL) {
        this.pos = start
        return items
      }
      items.push(item(content, found))
    }
  }

  /** an asterisk item's text: inline items and any character but `*`, not followed by a `*` */
  private asteriskItemText (): Result<MarkupNode[]> {
    const start = this.pos
    const items: Array<MarkupNode | MarkupNode[]> = []
    while (true) {
      let item: Result<MarkupNode | MarkupNode[]> = this.inlineItem()
      if (item === FAIL && this.unit(this.pos) !== 0x2a) item = this.anyCharacter()
      if (item === FAIL) break
      items.push(item)
    }
    if (items.length === 0 || this.unit(this.pos) === 0x2a) return this.fail(start)
    this.lineEnd()
    return joinInlines(items)
  }

  /** `\[…\]` or `$$…$$`: up to the first `\]` or `$$`, lines included */
  private blockKatex (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('\\[') && !this.literal('$$')) return FAIL
    const end = this.nextStop('blockKatexEnd', this.pos, (unit, at) => (unit === 0x5c && this.unit(at + 1) === 0x5d) || (unit === 0x24 && this.unit(at + 1) === 0x24))
    if (end >= this.length) return this.fail(start)
    const content = this.text.slice(this.pos, end)
    this.pos = end + 2
    return katex(content)
  }

  private emptyLine (): Result<MarkupNode> {
    const start = this.pos
    this.skipSpaces()
    return this.lineEnd() ? lineBreak() : this.fail(start)
  }

  // ─── Paragraphs ───────────────────────────────────────────────────────────

  private paragraph (): Result<MarkupNode> {
    const inlines = this.inline()
    return inlines === FAIL ? FAIL : paragraph(inlines)
  }

  /** `Inline`: items up to the end of the line, which it takes */
  private inline (): Result<MarkupNode[]> {
    const items: Array<MarkupNode | MarkupNode[]> = []
    while (true) {
      const item = this.inlineItem() ?? this.anyCharacter()
      if (item === FAIL) break
      items.push(item)
    }
    if (items.length === 0) return FAIL
    this.lineEnd()
    return joinInlines(items)
  }

  /** `Any`: one character but a line end, as text */
  private anyCharacter (): Result<MarkupNode> {
    const unit = this.unit(this.pos)
    if (unit === -1 || isLineEnd(unit)) return FAIL
    return plain(this.text[this.pos++])
  }

  /** `InlineItemPattern`: the grammar tries the rules a first character can start, then the rest for any character */
  private inlineItem (): Result<MarkupNode | MarkupNode[]> {
    if (this.pos >= this.length) return FAIL
    return this.remember(INLINE_ITEM, this.inlineItemRule)
  }

  private inlineItemByFirstCharacter (): Result<MarkupNode | MarkupNode[]> {
    switch (this.text.charCodeAt(this.pos)) {
      case 0x20: case 0x09: return this.whitespace()
      case 0x5c: return this.escapedTimestamp() ?? this.inlineKatex() ?? this.escaped()
      case 0x5b: return this.reference()
      case 0x3c: return this.timestamp() ?? this.reference() ?? this.inlineEmoticon()
      case 0x21: return this.image()
      case 0x7c: return this.spoiler()
      case 0x40: return this.userMentionByName()
      case 0x60: return this.inlineCode()
      case 0x2b: return this.autolinkedPhone()
      case 0x24: return this.inlineKatex()
      case 0x3a: return this.emoji() ?? this.inlineEmoticon()
      case 0x2a: return this.emphasisWithWhitespace() ?? this.emphasis() ?? this.inlineEmoticon()
      case 0x7e: return this.emphasisWithWhitespace() ?? this.emphasis()
      case 0x2d: return this.dashBeforeEmoticon() ?? this.inlineEmoticon()
      default: return FAIL
    }
  }

  private inlineItemOfAnyCharacter (): Result<MarkupNode | MarkupNode[]> {
    return this.plainWord() ??
      this.autolinkedEmail() ??
      this.underscoreDomain() ??
      this.autolinkedUrl() ??
      this.emphasisWithWhitespace() ??
      this.emphasis() ??
      this.channelMention() ??
      this.emoji() ??
      this.dashBeforeEmoticon() ??
      this.inlineEmoticon() ??
      this.color() ??
      this.plainRun()
  }

  private whitespace (): Result<MarkupNode> {
    const start = this.pos
    return this.skipSpaces() > 0 ? plain(this.text.slice(start, this.pos)) : FAIL
  }

  private escaped (): Result<MarkupNode> {
    if (this.unit(this.pos) !== 0x5c) return FAIL
    const next = this.text[this.pos + 1]
    if (next === undefined || !'*_~`#.'.includes(next)) return FAIL
    this.pos += 2
    return plain(next)
  }

  /**
   * A word of ASCII letters and digits before a space, a tab, a newline or the
   * end: every rule below fails on it but `PlainRun`, which takes it whole (no
   * `@` before the space for an address, no `.` or `://` for a URL, no `_` for
   * an italic, no `#`, no `:`, no emoticon's first character) — read once
   * instead of by eleven rules. Most words of most messages are such words.
   */
  private plainWord (): Result<MarkupNode> {
    const start = this.pos
    const first = this.text.charCodeAt(start)
    if ((classes[first] & ASCII_ALPHANUMERIC) === 0 || (classes[first] & EMOTICON_START) !== 0) return FAIL
    let end = start + 1
    while (end < this.length && (classes[this.text.charCodeAt(end)] & ASCII_ALPHANUMERIC) !== 0) end++
    this.steps += end - start
    if (end < this.length) {
      const after = this.text.charCodeAt(end)
      if (after !== 0x20 && after !== 0x09 && after !== LF) return FAIL
    }
    this.pos = end
    return plain(this.text.slice(start, end))
  }

  /** `PlainRun`: text up to a character that may start markup */
  private plainRun (): Result<MarkupNode> {
    const start = this.pos
    return this.run(PLAIN_RUN, RUN_END, false) > 0 ? plain(this.text.slice(start, this.pos)) : FAIL
  }

  /** `PlainRunBeforeEmoticon`: the `-` of `-_-x`, so that `_-x…_` can be italic */
  private dashBeforeEmoticon (): Result<MarkupNode> {
    if (this.unit(this.pos) !== 0x2d || this.unit(this.pos + 1) !== 0x5f || this.unit(this.pos + 2) !== 0x2d || this.pos + 3 >= this.length) return FAIL
    this.pos++
    return plain('-')
  }

  private inlineCode (): Result<MarkupNode> {
    const start = this.pos
    if (this.unit(start) !== 0x60) return FAIL
    const end = this.nextStop('backtickOrNewline', start + 1, isBacktickOrNewline)
    if (end === start + 1 || this.unit(end) !== 0x60) return FAIL
    this.pos = end + 1
    return inlineCode(this.text.slice(start + 1, end))
  }

  /** `$…$` or `\(…\)`: up to the first `$` or `\)`, lines included */
  private inlineKatex (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('\\(') && !this.literal('$')) return FAIL
    const end = this.nextStop('inlineKatexEnd', this.pos, (unit, at) => unit === 0x24 || (unit === 0x5c && this.unit(at + 1) === 0x29))
    if (end >= this.length) return this.fail(start)
    const content = this.text.slice(this.pos, end)
    this.pos = end + (this.text.charCodeAt(end) === 0x24 ? 1 : 2)
    return inlineKatex(content)
  }

  private color (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('color:#')) return FAIL
    const digitsStart = this.pos
    let digits = 0
    while (digits < 8 && isHex(this.unit(this.pos + digits))) digits++
    let values: number[]
    // `HexByte|3..4|` first, then `HexNible|3..4|`
    const pairs = Math.floor(digits / 2)
    if (pairs >= 3) {
      values = []
      for (let index = 0; index < pairs; index++) values.push(parseInt(this.text.slice(digitsStart + index * 2, digitsStart + index * 2 + 2), 16))
      this.pos = digitsStart + pairs * 2
    } else if (digits >= 3) {
      const count = Math.min(digits, 4)
      values = []
      for (let index = 0; index < count; index++) values.push(parseInt(this.text[digitsStart + index].repeat(2), 16))
      this.pos = digitsStart + count
    } else {
      return this.fail(start)
    }
    if ((classes[this.unit(this.pos)] & TEXT) !== 0 && this.pos < this.length) return this.fail(start)
    return color(values)
  }

  // ─── Emoji and emoticons ──────────────────────────────────────────────────

  private emoji (): Result<MarkupNode> {
    const start = this.pos
    if (this.unit(start) === 0x3a) {
      this.pos++
      this.run(SHORTCODE, isShortcodeCharacter)
      const end = this.pos
      this.pos = start
      if (end > start + 1 && this.unit(end) === 0x3a) {
        this.pos = end + 1
        return emoji(this.text.slice(start + 1, end))
      }
      return FAIL
    }
    // Of ASCII, only a keycap's digit, `#` or `*` starts an emoji.
    const unit = this.unit(start)
    if (unit < 0x80 && !isDigit(unit) && unit !== 0x23 && unit !== 0x2a) return FAIL
    const end = this.unicodeEmojiEnd(start)
    if (end === -1) return FAIL
    this.pos = end
    return emojiUnicode(this.text.slice(start, end))
  }

  private emoticon (): Result<MarkupNode> {
    this.steps++
    const candidates = emoticonsByFirstCharacter[this.text[this.pos]]
    if (candidates === undefined) return FAIL
    for (const [text, shortCode] of candidates) {
      if (this.startsWith(text)) {
        this.pos += text.length
        return emoticon(text, shortCode)
      }
    }
    return FAIL
  }

  /** `EmoticonNeighbor`: a line end, a space, `*` or the end of the text */
  private isEmoticonNeighbor (at: number): boolean {
    const unit = this.unit(at)
    return unit === -1 || unit === 0x2a || isSpace(unit) || isLineEnd(unit)
  }

  /** `InlineEmoticon`: an emoticon followed by a neighbour or by another inline item */
  private inlineEmoticon (): Result<MarkupNode> {
    const start = this.pos
    const found = this.emoticon()
    if (found === FAIL) return FAIL
    if (this.isEmoticonNeighbor(this.pos) || this.succeedsAt(this.pos, INLINE_ITEM, this.inlineItemLookahead)) return found
    return this.fail(start)
  }

  /** Whether a rule would match at a position (a lookahead): the position is left as it was. */
  private succeedsAt (at: number, rule: number, parse: () => unknown): boolean {
    const start = this.pos
    this.pos = at
    this.warmEmoticonChain(rule, parse)
    const matched = parse() !== FAIL
    this.pos = start
    return matched
  }

  private isRemembered (rule: number, at: number): boolean {
    return !this.remembering || this.memory(rule).values[at] !== undefined
  }

  /**
   * An emoticon's lookahead asks whether an item follows; when an emoticon
   * follows, that one asks again. Asked from the far end of such a chain
   * first, each question is answered from memory: no recursion as deep as
   * the chain (":):):)…" a hundred thousand times).
   */
  private warmEmoticonChain (rule: number, parse: () => unknown): void {
    const start = this.pos
    const chain: number[] = []
    while (!this.isRemembered(rule, this.pos)) {
      const found = this.emoticon()
      if (found === FAIL || this.isEmoticonNeighbor(this.pos)) break
      chain.push(this.pos)
    }
    if (chain.length > 64) {
      for (let index = chain.length - 1; index >= 0; index--) {
        this.pos = chain[index]
        parse()
      }
    }
    this.pos = start
  }

  /** The end of a Unicode emoji starting at `at`, or -1: the grammar's ranges, in its order. */
  private unicodeEmojiEnd (at: number): number {
    this.steps++
    const unit = this.unit(at)
    const next = this.unit(at + 1)
    // a subdivision flag: black flag, tag letters, cancel tag
    if (unit === 0xd83c && next === 0xdff4) {
      let end = at + 2
      while (this.unit(end) === 0xdb40 && this.unit(end + 1) >= 0xdc20 && this.unit(end + 1) <= 0xdc7e) end += 2
      if (end > at + 2 && this.unit(end) === 0xdb40 && this.unit(end + 1) === 0xdc7f) return end + 2
    }
    // a keycap
    if ((isDigit(unit) || unit === 0x23 || unit === 0x2a)) {
      const end = next === 0xfe0f ? at + 2 : at + 1
      if (this.unit(end) === 0x20e3) return end + 1
    }
    // a sequence joined by zero-width joiners: (Base Modifier? ZWJ)* Base Modifier?
    let end = at
    while (true) {
      const base = this.zwjBaseEnd(end)
      if (base === -1 || this.unit(base) !== 0x200d) break
      end = base + 1
    }
    const last = this.zwjBaseEnd(end)
    if (last !== -1) return last
    return this.unicodeSymbolEnd(at)
  }

  /** one element of a joined sequence, with its skin-tone modifier */
  private zwjBaseEnd (at: number): number {
    const unit = this.unit(at)
    const next = this.unit(at + 1)
    let end = -1
    if (unit === 0xd83e && next >= 0xdd00 && next <= 0xdfff) end = at + 2
    else if (unit === 0xd83c && next >= 0xdf00 && next <= 0xdfff) end = this.withSelector(at + 2)
    else if (unit === 0xd83d && next >= 0xdc00 && next <= 0xddff) end = this.withSelector(at + 2)
    else if (unit === 0xd83d && next >= 0xde00 && next <= 0xde4f) end = this.withSelector(at + 2)
    else if (unit === 0xd83d && next >= 0xde80 && next <= 0xdeff) end = this.withSelector(at + 2)
    else if (unit >= 0x2700 && unit <= 0x27bf) end = this.withSelector(at + 1)
    else if (unit >= 0x2600 && unit <= 0x26ff) end = this.withSelector(at + 1)
    else if (unit >= 0x2194 && unit <= 0x2195) end = this.withSelector(at + 1)
    else if (unit >= 0x2b1b && unit <= 0x2b1c) end = this.withSelector(at + 1)
    else if (unit === 0xd83d && ((next >= 0xdfe0 && next <= 0xdfeb) || next === 0xdff0)) end = this.withSelector(at + 2)
    if (end !== -1 && this.unit(end) === 0xd83c && this.unit(end + 1) >= 0xdffb && this.unit(end + 1) <= 0xdfff) end += 2
    return end
  }

  private withSelector (at: number): number {
    const unit = this.unit(at)
    return unit >= 0xfe00 && unit <= 0xfe0f ? at + 1 : at
  }

  private unicodeSymbolEnd (at: number): number {
    const unit = this.unit(at)
    const next = this.unit(at + 1)
    if (unit === 0xd83d && next >= 0xde00 && next <= 0xde4f) return this.withSelector(at + 2)
    if (unit === 0xd83d && next >= 0xde80 && next <= 0xdeff) return this.withSelector(at + 2)
    if (unit >= 0x2300 && unit <= 0x23ff) return this.withSelector(at + 1)
    if (unit >= 0x2600 && unit <= 0x26ff) return this.withSelector(at + 1)
    if (unit >= 0x2700 && unit <= 0x27bf) return this.withSelector(at + 1)
    if (unit >= 0x2b1b && unit <= 0x2b1c) return this.withSelector(at + 1)
    if (unit === 0xd83d && ((next >= 0xdfe0 && next <= 0xdfeb) || next === 0xdff0)) return this.withSelector(at + 2)
    if (unit === 0xd83c && (next === 0xdccf || next === 0xdd8e || (next >= 0xdd91 && next <= 0xdd9a) || next === 0xde01 ||
      (next >= 0xde32 && next <= 0xde3a) || (next >= 0xde50 && next <= 0xde51))) return this.withSelector(at + 2)
    if (symbolsWithPresentation.has(unit) && next === 0xfe0f) return at + 2
    if (unit === 0xd83c && (next === 0xdc04 || (next >= 0xdd70 && next <= 0xdd71) || (next >= 0xdd7e && next <= 0xdd7f) || next === 0xde02 ||
      next === 0xde1a || next === 0xde2f) && this.unit(at + 2) === 0xfe0f) return at + 3
    if (unit === 0xd83c && next >= 0xdde6 && next <= 0xddff && this.unit(at + 2) === 0xd83c && this.unit(at + 3) >= 0xdde6 && this.unit(at + 3) <= 0xddff) return at + 4
    return -1
  }

  // ─── Emphasis ─────────────────────────────────────────────────────────────

  /** `EmphasisWithWhitespace`: `* *`, `__ __`, `~ ~` are text */
  private emphasisWithWhitespace (): Result<MarkupNode> {
    const delimiter = this.unit(this.pos)
    if (delimiter !== 0x2a && delimiter !== 0x5f && delimiter !== 0x7e) return FAIL
    const start = this.pos
    const kind = delimiter === 0x2a ? STARS : delimiter === 0x5f ? UNDERSCORES : TILDES
    const isDelimiter = delimiter === 0x2a ? isStar : delimiter === 0x5f ? isUnderscore : isTilde
    this.run(kind, isDelimiter)
    if (this.skipSpaces() === 0 || this.unit(this.pos) !== delimiter) return this.fail(start)
    this.run(kind, isDelimiter)
    return plain(this.text.slice(start, this.pos))
  }

  /** `Emphasis`: bold, italic or strike-through — each refused inside itself */
  private emphasis (): Result<MarkupNode | MarkupNode[]> {
    const unit = this.unit(this.pos)
    if (unit === 0x2a) return this.maybeBold()
    if (unit === 0x7e) return this.maybeStrike()
    if (unit === 0x5f || isAsciiAlphanumeric(unit)) return this.maybeItalic()
    return FAIL
  }

  private within<T> (flag: number, rule: number, parse: () => Result<T>): Result<T> {
    if ((this.flags & flag) !== 0) return FAIL
    return this.remember(rule, parse, flag)
  }

  private maybeBold (): Result<MarkupNode> {
    if (this.unit(this.pos) !== 0x2a) return FAIL
    return this.within(IN_BOLD, BOLD, this.boldRule)
  }

  private maybeStrike (): Result<MarkupNode> {
    if (this.unit(this.pos) !== 0x7e) return FAIL
    return this.within(IN_STRIKE, STRIKE, this.strikeRule)
  }

  /** `[X][X] content [X][X] / [X] content [X]`: the content's items are joined only once the closing delimiter is there */
  private delimited (delimiter: number, content: () => Result<Chain>, make: (items: MarkupNode[]) => MarkupNode): Result<MarkupNode> {
    const start = this.pos
    if (this.unit(start + 1) === delimiter) {
      this.pos = start + 2
      const inner = content()
      if (inner !== FAIL && this.unit(this.pos) === delimiter && this.unit(this.pos + 1) === delimiter) {
        this.pos += 2
        return make(joined(inner))
      }
    }
    this.pos = start + 1
    const inner = content()
    if (inner !== FAIL && this.unit(this.pos) === delimiter) {
      this.pos++
      return make(joined(inner))
    }
    return this.fail(start)
  }

  /**
   * Items while `item` matches (`item+`), as a chain remembered from every
   * position an item starts at: a repetition that starts inside one already
   * walked (an unclosed `[` at every position of a line) links to it instead
   * of walking it again. `joined()` makes the list once the rule that asked
   * has matched.
   */
  private chain (rule: number, item: () => Result<MarkupNode | MarkupNode[]>): Result<Chain> {
    const start = this.pos
    if (!this.remembering) {
      const found: Array<MarkupNode | MarkupNode[]> = []
      while (true) {
        this.steps++
        const next = item()
        if (next === FAIL) break
        found.push(next)
      }
      let tail: Chain | null = null
      for (let index = found.length - 1; index >= 0; index--) tail = { item: found[index], next: tail }
      return tail
    }
    const { values, ends } = this.memory(rule)
    const passed: Array<{ at: number, item: MarkupNode | MarkupNode[] }> = []
    let tail: Chain | null = null
    let end: number
    while (true) {
      this.steps++
      const at = this.pos
      const known = values[at]
      if (known !== undefined) {
        tail = known as Chain | null
        end = tail === null ? at : ends[at]
        break
      }
      const found = item()
      if (found === FAIL) {
        this.pos = at
        end = at
        values[at] = null
        break
      }
      passed.push({ at, item: found })
    }
    for (let index = passed.length - 1; index >= 0; index--) {
      tail = { item: passed[index].item, next: tail }
      values[passed[index].at] = tail
      ends[passed[index].at] = end
    }
    this.pos = tail === null ? start : end
    return tail
  }

  /** `BoldContentPreferentialItemPattern` */
  private boldItem (): Result<MarkupNode | MarkupNode[]> {
    return this.remember(BOLD_ITEM, this.boldItemRule)
  }

  /** an emoticon when a neighbour or `next` follows it */
  private emoticonBefore (rule: number, next: () => unknown, alsoBefore?: number): Result<MarkupNode> {
    const start = this.pos
    const found = this.emoticon()
    if (found === FAIL) return FAIL
    if (this.isEmoticonNeighbor(this.pos) || this.unit(this.pos) === alsoBefore || this.succeedsAt(this.pos, rule, next)) return found
    return this.fail(start)
  }

  /**
   * `BoldPlainRun / AnyBold / Line` (delimiter `*`) or `ItalicPlainRun /
   * AnyItalic / Line` (delimiter `_`): text up to any emphasis's delimiter,
   * or one character but the line end, a space and the emphasis's own delimiter.
   */
  private emphasisText (kind: number, stops: number, delimiter: number): Result<MarkupNode> {
    const start = this.pos
    if (this.run(kind, stops, false) > 0) return plain(this.text.slice(start, this.pos))
    const unit = this.unit(this.pos)
    if (unit !== -1 && unit !== LF && unit !== delimiter && unit !== 0x20) return plain(this.text[this.pos++])
    return this.line()
  }

  private maybeItalic (): Result<MarkupNode | MarkupNode[]> {
    const unit = this.unit(this.pos)
    if (unit !== 0x5f && !isAsciiAlphanumeric(unit)) return FAIL
    return this.within(IN_ITALIC, ITALIC, this.italicRule)
  }

  private italic (): Result<MarkupNode | MarkupNode[]> {
    const start = this.pos
    // `snake_` is text: a word and one or two underscores
    this.skipAlphanumerics()
    let end = this.pos
    this.pos = start
    if (end > start) {
      if (this.unit(end) !== 0x5f) return FAIL
      end++
      if (this.unit(end) === 0x5f) end++
      this.pos = end
      return plain(this.text.slice(start, end))
    }
    const double = this.unit(start + 1) === 0x5f
    // `__x__word` and `_x_word` are text
    if (double) {
      this.pos = start + 2
      const inner = this.italicItems()
      if (inner !== FAIL && this.unit(this.pos) === 0x5f && this.unit(this.pos + 1) === 0x5f) {
        const wordStart = this.pos + 2
        this.pos = wordStart
        if (this.skipAlphanumerics() > 0) return joinInlines([plain('__'), ...joined(inner), plain('__'), plain(this.text.slice(wordStart, this.pos))])
      }
    }
    this.pos = start + 1
    let inner = this.italicItems()
    if (inner !== FAIL && this.unit(this.pos) === 0x5f) {
      const wordStart = this.pos + 1
      this.pos = wordStart
      if (this.run(LETTERS, isAsciiLetter) > 0) return joinInlines([plain('_'), ...joined(inner), plain('_'), plain(this.text.slice(wordStart, this.pos))])
    }
    if (double) {
      this.pos = start + 2
      const doubled = this.italicItems()
      if (doubled !== FAIL && this.unit(this.pos) === 0x5f && this.unit(this.pos + 1) === 0x5f) {
        this.pos += 2
        return italic(joined(doubled))
      }
    }
    this.pos = start + 1
    inner = this.italicItems()
    if (inner !== FAIL && this.unit(this.pos) === 0x5f) {
      this.pos++
      return italic(joined(inner))
    }
    return this.fail(start)
  }

  private italicItems (): Result<Chain> {
    return this.chain(ITALIC_ITEMS, this.italicContentItem)
  }

  /** `ItalicContentPreferentialItemPattern` */
  private italicItem (): Result<MarkupNode | MarkupNode[]> {
    return this.remember(ITALIC_ITEM, this.italicItemRule)
  }

  private strikeItem (): Result<MarkupNode | MarkupNode[]> {
    return this.strikeRun() ?? this.escapedTimestamp() ?? this.timestamp() ?? this.whitespace() ?? this.inlineCode() ?? this.reference() ??
      this.userMention() ?? this.channelMention() ?? this.maybeItalic() ?? this.maybeBold() ?? this.emoji() ?? this.emoticon() ??
      this.strikeCharacter() ?? this.line()
  }

  /** `StrikePlainRun`: text up to anything a strike-through's items start with */
  private strikeRun (): Result<MarkupNode> {
    const start = this.pos
    return this.run(STRIKE_TEXT, STRIKE_STOP, false) > 0
      ? plain(this.text.slice(start, this.pos))
      : FAIL
  }

  private strikeCharacter (): Result<MarkupNode> {
    const unit = this.unit(this.pos)
    if (unit === -1 || unit === LF || unit === 0x7e || unit === 0x20) return FAIL
    return plain(this.text[this.pos++])
  }

  /** `Line`: spaces, text, spaces */
  private line (): Result<MarkupNode> {
    const start = this.pos
    this.skipSpaces()
    if (this.run(TEXT_RUN, TEXT, true) === 0) return this.fail(start)
    this.skipSpaces()
    return plain(this.text.slice(start, this.pos))
  }

  // ─── Mentions ─────────────────────────────────────────────────────────────

  /** `UserMention`: `a@b` is text; `@name` a mention */
  private userMention (): Result<MarkupNode> {
    const unit = this.unit(this.pos)
    if ((classes[unit] & TEXT) !== 0 && unit !== -1) {
      let at = this.pos + 1
      if (this.unit(at) === 0x40) {
        while (this.unit(at) === 0x40) at++
        const name = this.unit(at)
        if (name !== -1 && (classes[name] & ALPHANUMERIC) !== 0) {
          const result = plain(`${this.text[this.pos]}@${this.text[at]}`)
          this.pos = at + 1
          return result
        }
      }
    }
    return this.userMentionByName()
  }

  private userMentionByName (): Result<MarkupNode> {
    const start = this.pos
    if (this.unit(start) !== 0x40) return FAIL
    this.run(AT_SIGNS, isAtSign)
    const nameStart = this.pos
    if (!this.name()) return this.fail(start)
    const separator = this.unit(this.pos)
    if (separator === 0x3a || separator === 0x40) {
      const before = this.pos
      this.pos++
      if (!this.name()) this.pos = before
    }
    const name = this.text.slice(nameStart, this.pos)
    if (name.endsWith('__')) return this.fail(start)
    return mentionUser(name)
  }

  /** `UTF8NamesValidation` */
  private name (): boolean {
    return this.run(NAME_RUN, NAME, true) > 0
  }

  /** `ChannelMention`: `a#b` is text; `#name` a mention */
  private channelMention (): Result<MarkupNode> {
    const start = this.pos
    const unit = this.unit(start)
    if (unit !== -1 && (classes[unit] & TEXT) !== 0 && this.unit(start + 1) === 0x23) {
      const name = this.unit(start + 2)
      if (name !== -1 && (classes[name] & ALPHANUMERIC) !== 0) {
        this.pos = start + 3
        return plain(`${this.text[start]}#${this.text[start + 2]}`)
      }
    }
    if (unit !== 0x23) return FAIL
    this.pos++
    const nameStart = this.pos
    if (!this.name()) return this.fail(start)
    return mentionChannel(this.text.slice(nameStart, this.pos))
  }

  // ─── Timestamps ───────────────────────────────────────────────────────────

  private timestamp (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('<t:')) return FAIL
    const value = this.timestampValue()
    const format = value === FAIL ? false : this.timestampEnd()
    return value === FAIL || format === false ? this.fail(start) : timestamp(value, format, [start, this.pos])
  }

  /** `\<t:…>`: the timestamp's text, as it was written */
  private escapedTimestamp (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('\\<t:')) return FAIL
    const valueStart = this.pos
    const value = this.timestampValue()
    const raw = this.text.slice(valueStart, this.pos)
    const format = value === FAIL ? false : this.timestampEnd()
    if (value === FAIL || format === false) return this.fail(start)
    return plain(format === null ? `<t:${raw}>` : `<t:${raw}:${format}>`)
  }

  /** `":" TimestampType ">"` (the format), `">"` (null), or neither (false) */
  private timestampEnd (): string | null | false {
    const format = this.text[this.pos + 1]
    if (this.unit(this.pos) === 0x3a && format !== undefined && 'DFRTdft'.includes(format) && this.unit(this.pos + 2) === 0x3e) {
      this.pos += 3
      return format
    }
    return this.literal('>') ? null : false
  }

  private digits (count: number): Result<string> {
    for (let index = 0; index < count; index++) if (!isDigit(this.unit(this.pos + index))) return FAIL
    const value = this.text.slice(this.pos, this.pos + count)
    this.pos += count
    return value
  }

  /** `Unixtime / ISO8601Date / ISO8601DateWithoutMilliseconds / Timestamp` */
  private timestampValue (): Result<string> {
    const start = this.pos
    // ten digits, and no more may follow: `Digit|10|` takes ten
    const unix = this.digits(10)
    if (unix !== FAIL) return unix
    const iso = this.isoTime(true) ?? this.isoTime(false)
    if (iso !== FAIL) return iso
    this.pos = start
    const hours = this.digits(2)
    if (hours !== FAIL && this.literal(':')) {
      const minutes = this.digits(2)
      if (minutes !== FAIL) {
        const afterMinutes = this.pos
        if (this.literal(':')) {
          const seconds = this.digits(2)
          if (seconds !== FAIL) return timeOfToday(hours, minutes, seconds, this.timezone())
        }
        this.pos = afterMinutes
        return timeOfToday(hours, minutes, undefined, this.timezone())
      }
    }
    return this.fail(start)
  }

  private isoTime (withMilliseconds: boolean): Result<string> {
    const start = this.pos
    const year = this.digits(4)
    const month = year !== FAIL && this.literal('-') ? this.digits(2) : FAIL
    const day = month !== FAIL && this.literal('-') ? this.digits(2) : FAIL
    const hours = day !== FAIL && this.literal('T') ? this.digits(2) : FAIL
    const minutes = hours !== FAIL && this.literal(':') ? this.digits(2) : FAIL
    const seconds = minutes !== FAIL && this.literal(':') ? this.digits(2) : FAIL
    let milliseconds: string | null = null
    if (seconds !== FAIL && withMilliseconds) milliseconds = this.literal('.') ? this.digits(3) : FAIL
    if (seconds === FAIL || (withMilliseconds && milliseconds === FAIL)) return this.fail(start)
    const zone = this.timezone()
    const instant = new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}.${milliseconds || '000'}${zone ?? ''}`)
    return ((instant.getTime() / 1000) | 0).toString()
  }

  private timezone (): Result<string> {
    const start = this.pos
    const sign = this.text[this.pos]
    if (sign !== '+' && sign !== '-') return FAIL
    this.pos++
    const hours = this.digits(2)
    const minutes = hours !== FAIL && this.literal(':') ? this.digits(2) : FAIL
    if (minutes === FAIL) return this.fail(start)
    return `${sign}${hours}:${minutes}`
  }

  // ─── Links ────────────────────────────────────────────────────────────────

  /** `MaybeReferences`: `[title](href)` or `<href|title>`, never one inside another */
  private reference (): Result<MarkupNode> {
    const unit = this.unit(this.pos)
    if (unit !== 0x5b && unit !== 0x3c) return FAIL
    return this.within(IN_LINK, REFERENCE, this.referenceRule)
  }

  private markdownLink (): Result<MarkupNode> {
    const start = this.pos
    this.pos++
    const title = this.chain(TITLE_ITEMS, this.linkTitleItem)
    if (!this.literal('](')) return this.fail(start)
    const href = this.linkHref(true)
    if (href === FAIL || !this.literal(')')) return this.fail(start)
    return title !== FAIL ? link(href, joined(title)) : link(href)
  }

  /** `LinkTitle`: whitespace, emphasis, text, or any character that does not close the title */
  private readonly linkTitleItem = (): Result<MarkupNode | MarkupNode[]> => {
    const whitespace = this.whitespace()
    if (whitespace !== FAIL) return whitespace
    const emphasis = this.emphasis()
    if (emphasis !== FAIL) return emphasis
    const start = this.pos
    if (this.run(TITLE_TEXT, TITLE_STOP, false) > 0) return plain(this.text.slice(start, this.pos))
    if (this.pos >= this.length) return FAIL
    if (this.startsWith('](') && this.pos + 2 < this.length) return FAIL
    if (this.startsWith('] [')) {
      // `] [other](` closes this title too: "[a] [b](c)"
      const close = this.nextStop('closingBracket', this.pos + 3, (unit) => unit === 0x5d)
      if (close < this.length && this.startsWith('](', close)) return FAIL
    }
    return plain(this.text[this.pos++])
  }

  private angleLink (): Result<MarkupNode> {
    const start = this.pos
    this.pos++
    const href = this.linkHref(false)
    if (href === FAIL || !this.literal('|')) return this.fail(start)
    const titleStart = this.pos
    this.run(ANGLE_TITLE, isAngleTitleCharacter)
    const title = this.text.slice(titleStart, this.pos)
    if (title === '' || !this.literal('>')) return this.fail(start)
    return link(href, [plain(title)])
  }

  /** `LinkRef` (inside `<…|…>`) or `MarkdownLinkRef` (inside `[…](…)`, balanced parentheses allowed): a URL, a `scheme:` path, or a phone number */
  private linkHref (markdown: boolean): Result<string> {
    const start = this.pos
    if (this.urlHead()) {
      this.urlBody(markdown)
      return this.text.slice(start, this.pos)
    }
    if (this.scheme() && this.urlBody(markdown)) return this.text.slice(start, this.pos)
    this.pos = start
    const number = this.phone()
    return number === FAIL ? FAIL : `tel:${number.number}`
  }

  /**
   * `URLBody` (inside `<…|…>`) or `MarkdownLinkURLBody` (inside `[…](…)`):
   * characters until a space, or a run of punctuation before a space or a line end.
   */
  private urlBody (markdown: boolean): boolean {
    const start = this.pos
    if (!markdown) return this.run(URL_RUN, this.continuesUrl) > 0
    while (true) {
      this.run(MARKDOWN_URL_RUN, this.continuesMarkdownUrl)
      // `(…)` inside the address, one level deep
      if (this.unit(this.pos) !== 0x28) break
      const open = this.pos
      this.pos++
      this.run(PARENTHESIZED, isParenthesizedUrlCharacter)
      if (this.unit(this.pos) !== 0x29) {
        this.pos = open
        break
      }
      this.pos++
    }
    return this.pos > start
  }

  /** `URLBody`: no space, no run of `Extra` punctuation before a space, a line end or the end */
  private readonly continuesUrl = (unit: number, at: number): boolean => {
    if (isSpace(unit) || (classes[unit] & URL_BODY) === 0) return false
    if ((classes[unit] & EXTRA) === 0) return true
    const after = this.unit(this.extraRunEnd(at))
    return after !== -1 && !isSpace(after) && !isLineEnd(after)
  }

  /** `MarkdownLinkURLBody` but `(`: no space, no `)`, no run of `.,!%*"':;=` before a space or a line end */
  private readonly continuesMarkdownUrl = (unit: number, at: number): boolean => {
    if (isSpace(unit) || unit === 0x28 || unit === 0x29 || (classes[unit] & URL_BODY) === 0) return false
    if (!isMarkdownExtra(unit)) return true
    const after = this.unit(this.nextStop('markdownExtra', at, (next) => !isMarkdownExtra(next)))
    return !isSpace(after) && !isLineEnd(after)
  }

  /** `$(URLScheme URLAuthority) / $(URLAuthorityHost)` */
  private urlHead (): boolean {
    const start = this.pos
    if (this.scheme() && this.authority()) return true
    this.pos = start
    if (this.host()) return true
    this.pos = start
    return false
  }

  /** `URLScheme`: up to 32 of `[A-Za-z0-9+-]`, then `:` */
  private scheme (): boolean {
    const start = this.pos
    let end = start
    while (end - start < 32 && /[A-Za-z0-9+-]/.test(this.text[end] ?? '')) end++
    if (end === start || this.unit(end) !== 0x3a) return false
    this.pos = end + 1
    return true
  }

  /** `URLAuthority`: `//`, an optional `user:password@`, a host */
  private authority (): boolean {
    if (!this.literal('//')) return false
    const start = this.pos
    if (!(this.userInfoPart() && (!this.literal(':') || this.userInfoPart()) && this.literal('@'))) this.pos = start
    return this.host()
  }

  private userInfoPart (): boolean {
    return this.run(USER_INFO, isUserInfoCharacter) > 0
  }

  /** `URLAuthorityHost`: a domain name or four dotted numbers, then an optional port */
  private host (): boolean {
    const start = this.pos
    if (!this.domainName()) {
      this.pos = start
      let parts = 0
      while (parts < 4) {
        const partStart = this.pos
        if (parts > 0 && !this.literal('.')) break
        if (this.skipDigits() === 0) {
          this.pos = partStart
          break
        }
        parts++
      }
      if (parts < 4) {
        this.pos = start
        return false
      }
    }
    const beforePort = this.pos
    if (this.literal(':')) {
      if (this.skipDigits() === 0) this.pos = beforePort
    }
    return true
  }

  /**
   * `DomainName`: `localhost`, or labels joined by dots, not starting with `_`.
   * Where a run of domain characters, a label or a dotted sequence ends is
   * remembered for every position it passes (`walkEnd`).
   */
  private domainName (): boolean {
    if (this.literal('localhost')) return true
    if (this.unit(this.pos) === 0x5f || this.domainCharacterLength(this.pos) === 0) return false
    const label = this.labelEnd(this.pos)
    const end = this.walkEnd('dots', label, (at) => {
      // `"." DomainChar DomainNameLabel*`
      if (this.unit(at) !== 0x2e) return -1
      const length = this.domainCharacterLength(at + 1)
      if (length === 0) return -1
      let next = at + 1 + length
      while (this.domainCharacterLength(next) > 0) next = this.labelEnd(next)
      return next
    })
    if (end === label) return false
    this.pos = end
    return true
  }

  /** `DomainNameLabel`: runs of domain characters, joined by `-` */
  private labelEnd (at: number): number {
    return this.walkEnd('labels', this.domainCharactersEnd(at), (end) =>
      this.unit(end) === 0x2d && this.domainCharacterLength(end + 1) > 0 ? this.domainCharactersEnd(end + 1) : -1)
  }

  private domainCharactersEnd (at: number): number {
    return this.walkEnd('domainCharacters', at, (from) => {
      const length = this.domainCharacterLength(from)
      return length === 0 ? -1 : from + length
    })
  }

  /**
   * `DomainChar`, its length or 0: a letter or digit; or, not `Extra`
   * punctuation, `_`/`-` and then any character, or any character that is not
   * `Safe` — never a line end, a space or one of `\/|><%`[]`.
   */
  private domainCharacterLength (at: number): number {
    const unit = this.unit(at)
    if (unit === -1) return 0
    if (isAsciiAlphanumeric(unit)) return 1
    if ((classes[unit] & EXTRA) !== 0) return 0
    let last = at
    if (unit === 0x5f || unit === 0x2d) last++
    else if (unit === 0x24 || unit === 0x40 || unit === 0x26 || unit === 0x2b || unit === 0x23 || unit === 0x3f) return 0
    const next = this.unit(last)
    if (next === -1 || isLineEnd(next) || isSpace(next) || (classes[next] & DOMAIN_STOP) !== 0) return 0
    return last + 1 - at
  }

  private image (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('![')) return FAIL
    const title = this.line()
    if (!this.literal('](')) return this.fail(start)
    const href = this.linkHref(true)
    if (href === FAIL || !this.literal(')')) return this.fail(start)
    return image(href, title)
  }

  private spoiler (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('||')) return FAIL
    const items: Array<MarkupNode | MarkupNode[]> = []
    while (!this.startsWith('||')) {
      const item = this.inlineItem() ?? this.anyCharacter()
      if (item === FAIL) break
      items.push(item)
    }
    if (items.length === 0 || !this.literal('||')) return this.fail(start)
    return spoiler(joinInlines(items))
  }

  // ─── Bare addresses ───────────────────────────────────────────────────────

  /** `AutolinkedEmail`: when an `@` comes before the next space */
  private autolinkedEmail (): Result<MarkupNode> {
    const stop = this.nextStop('spaceOrAt', this.pos, isSpaceOrAt)
    if (this.unit(stop) !== 0x40) return FAIL
    const start = this.pos
    this.literal('mailto:')
    const addressStart = this.pos
    if (!this.localPart() || !this.literal('@') || !this.domainName()) return this.fail(start)
    return autoEmail(this.text.slice(addressStart, this.pos))
  }

  /** `LocalPart`: runs of letters, digits and `!#$%&'*+/=?^_`{|}~-` that start with a letter or digit, joined by dots */
  private localPart (): boolean {
    if (!this.startsLocalPartRun(this.pos)) return false
    this.pos = this.walkEnd('addressParts', this.localPartRunEnd(this.pos), (end) =>
      this.unit(end) === 0x2e && this.startsLocalPartRun(end + 1) ? this.localPartRunEnd(end + 1) : -1)
    return true
  }

  private startsLocalPartRun (at: number): boolean {
    const unit = this.unit(at)
    return unit !== -1 && (classes[unit] & ADDRESS) !== 0
  }

  private localPartRunEnd (at: number): number {
    const start = this.pos
    this.pos = at
    this.run(ADDRESS_RUN, isAddressCharacter)
    const end = this.pos
    this.pos = start
    return end
  }

  /** `_domain.tld` is text, so that `_x_` stays italic */
  private underscoreDomain (): Result<MarkupNode> {
    const start = this.pos
    if (!this.literal('_')) return FAIL
    const domainStart = this.pos
    if (!this.domainName() || this.unit(this.pos) === 0x5f) return this.fail(start)
    return plain(`_${this.text.slice(domainStart, this.pos)}`)
  }

  /** `AutolinkedURL`: when `://` or `.` comes before the next space, `:`, `/` or `@` */
  private autolinkedUrl (): Result<MarkupNode> {
    const stop = this.nextStop('urlStart', this.pos, isUrlLookaheadStop)
    if (this.unit(stop) !== 0x2e && !this.startsWith('://', stop)) return FAIL
    const start = this.pos
    if (!this.urlHead()) return FAIL
    this.pos = this.urlTailEnd(this.pos)
    return autoLink(this.text.slice(start, this.pos))
  }

  /** `AutoLinkURLBody*`: any character, but a run of `Extra` punctuation (or none) before a space, a line end or the end */
  private urlTailEnd (at: number): number {
    return this.nextStop('urlTail', at, (unit, index) => {
      if ((classes[unit] & EXTRA) === 0 && !isSpace(unit) && !isLineEnd(unit)) return false
      const after = this.unit(this.extraRunEnd(index))
      return after === -1 || isSpace(after) || isLineEnd(after)
    })
  }

  /** `+` and a phone number: `+1-555`, `+(11)5555-5555`, `+5511…` */
  private autolinkedPhone (): Result<MarkupNode> {
    const found = this.phone()
    return found === FAIL ? FAIL : phone(found.text, found.number)
  }

  private phone (): Result<{ text: string, number: string }> {
    const start = this.pos
    if (!this.literal('+')) return FAIL
    const prefix = this.phonePrefix()
    if (prefix !== FAIL) {
      const afterPrefix = this.pos
      if (this.literal('-')) {
        const digits = this.digitRun()
        if (digits !== FAIL) return { text: `+${prefix.text}-${digits}`, number: prefix.number + digits }
      }
      this.pos = afterPrefix
      const first = this.digitRun()
      if (first !== FAIL) {
        const afterFirst = this.pos
        if (this.literal('-')) {
          const second = this.digitRun()
          if (second !== FAIL) return { text: `+${prefix.text}${first}-${second}`, number: prefix.number + first + second }
        }
        this.pos = afterFirst
        return { text: `+${prefix.text}${first}`, number: prefix.number + first }
      }
      this.pos = start + 1
    }
    const digits = this.digitRun()
    return digits === FAIL ? this.fail(start) : { text: `+${digits}`, number: digits }
  }

  private phonePrefix (): Result<{ text: string, number: string }> {
    const digits = this.digitRun()
    if (digits !== FAIL) return { text: digits, number: digits }
    const start = this.pos
    if (!this.literal('(')) return FAIL
    const inner = this.digitRun()
    if (inner === FAIL || !this.literal(')')) return this.fail(start)
    return { text: `(${inner})`, number: inner }
  }

  private skipAlphanumerics (): number {
    return this.run(ALPHANUMERICS, ASCII_ALPHANUMERIC, true)
  }

  private digitRun (): Result<string> {
    const start = this.pos
    return this.skipDigits() > 0 ? this.text.slice(start, this.pos) : FAIL
  }

  private skipDigits (): number {
    return this.run(DIGITS, DIGIT, true)
  }
}

/** A chain's items, joined as the grammar joins them. */
function joined (chain: Chain): MarkupNode[] {
  const items: Array<MarkupNode | MarkupNode[]> = []
  for (let link: Chain | null = chain; link !== null; link = link.next) items.push(link.item)
  return joinInlines(items)
}

const unitsOf = (characters: string): Set<number> => new Set(Array.from(characters, (character) => character.charCodeAt(0)))
/** `LocalPartSpecialChars` */
const addressSymbols = unitsOf("!#$%&'*+/=?^_`{|}~-")
/** where the lookahead of a bare e-mail address stops: an `@`, or a space or line end first */
const isSpaceOrAt = (unit: number): boolean => unit === 0x40 || unit === 0x20 || unit === 0x09 || unit === LF || unit === CR
/** where the lookahead of a bare URL stops: `://` or `.` must come first, before a space, `:`, `/`, `@` */
const isUrlLookaheadStop = (unit: number): boolean => unit === 0x20 || unit === 0x09 || unit === LF || unit === CR || unit === 0x3a || unit === 0x2e || unit === 0x2f || unit === 0x40
const isNotExtra = (unit: number): boolean => (classes[unit] & EXTRA) === 0
const isBacktickOrNewline = (unit: number): boolean => unit === 0x60 || unit === LF
/** `LinkTitle2`: the title of `<href|title>` */
const isAngleTitleCharacter = (unit: number): boolean => unit >= 0x20 && unit !== 0x3c && unit !== 0x3e && unit !== 0x7c
/** `MarkdownLinkURLBodyParen`: inside a link address's parentheses */
const isParenthesizedUrlCharacter = (unit: number): boolean => !isSpace(unit) && !isLineEnd(unit) && unit !== 0x29 && (classes[unit] & URL_BODY) !== 0
/** a character of an e-mail address's local part, after its first */
const isAddressCharacter = (unit: number): boolean => (classes[unit] & ADDRESS) !== 0 || addressSymbols.has(unit)
const isStar = (unit: number): boolean => unit === 0x2a
const isUnderscore = (unit: number): boolean => unit === 0x5f
const isTilde = (unit: number): boolean => unit === 0x7e
const isAtSign = (unit: number): boolean => unit === 0x40
const isLanguageCharacter = (unit: number): boolean => isAsciiAlphanumeric(unit) || unit === 0x20 || unit === 0x5f || unit === 0x2d || unit === 0x2e
const isShortcodeCharacter = (unit: number): boolean => isAsciiAlphanumeric(unit) || unit === 0x2d || unit === 0x5f || unit === 0x2b || unit === 0x2e

/**
 * Every name between colons that `emoji()` could read as a shortcode
 * (`:name:`), each colon taken as a possible start: a superset of the emoji
 * the text parses to, found without parsing it.
 */
export function shortcodeCandidates (text: string): string[] {
  const found: string[] = []
  let colon = text.indexOf(':')
  while (colon !== -1) {
    let end = colon + 1
    while (end < text.length && isShortcodeCharacter(text.charCodeAt(end))) end++
    if (end > colon + 1 && text.charCodeAt(end) === 0x3a) found.push(text.slice(colon + 1, end))
    colon = text.indexOf(':', end)
  }
  return found
}

/** `URLAuthorityUser`: letters, digits and `$&+_#?-` */
const isUserInfoCharacter = (unit: number): boolean => isAsciiAlphanumeric(unit) || unit === 0x24 || unit === 0x26 || unit === 0x2b || unit === 0x5f || unit === 0x23 || unit === 0x3f || unit === 0x2d

/** `MarkdownLinkExtra`: punctuation that, before a space, ends a link's address */
const isMarkdownExtra = (unit: number): boolean => unit !== -1 && '.,!%*"\':;='.includes(String.fromCharCode(unit))

/** Symbols that are emoji with a variation selector U+FE0F */
const symbolsWithPresentation = new Set([0xa9, 0xae, 0x203c, 0x2049, 0x2122, 0x2139, 0x2196, 0x2197, 0x2198, 0x2199, 0x21a9, 0x21aa, 0x24c2, 0x25aa, 0x25ab,
  0x25b6, 0x25c0, 0x25fb, 0x25fc, 0x25fd, 0x25fe, 0x2934, 0x2935, 0x2b05, 0x2b06, 0x2b07, 0x2b50, 0x2b55, 0x3030, 0x303d, 0x3297, 0x3299])

/**
 * `<t:12:30>`: a time of today's date (UTC), as Rocket.Chat computes it —
 * including its `null` zone when none is written (an invalid date: "0").
 */
function timeOfToday (hours: string, minutes: string, seconds: string | undefined, zone: string | null): string {
  const today = new Date().toISOString().split('T')[0]
  return ((new Date(`${today}T${hours}:${minutes}:${seconds ?? '00'}${zone}`).getTime() / 1000) | 0).toString()
}
