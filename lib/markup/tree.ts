import { parse as parseDomain } from 'tldts'

/**
 * The markup tree of a message, in the shape Rocket.Chat stores as `md` and
 * `@rocket.chat/message-parser` returns: a list of blocks (paragraphs, quotes,
 * code, lists, tables…) whose inline nodes are plain text, emphasis, links,
 * mentions, emoji, timestamps. Stored trees come from the database, so the
 * renderer reads any node loosely; these are the nodes the parser makes.
 */
export interface MarkupNode {
  type: string
  value?: unknown
  [key: string]: unknown
}

export type MarkdownTree = MarkupNode[]

export interface PlainText extends MarkupNode {
  type: 'PLAIN_TEXT'
  value: string
}

export const plain = (value: string): PlainText => ({ type: 'PLAIN_TEXT', value })

const node = (type: string) => (value: unknown): MarkupNode => ({ type, value })

export const paragraph = node('PARAGRAPH')
export const bold = node('BOLD')
export const italic = node('ITALIC')
export const strike = node('STRIKE')
export const spoiler = node('SPOILER')
export const spoilerBlock = node('SPOILER_BLOCK')
export const quote = node('QUOTE')
export const tasks = node('TASKS')
export const orderedList = node('ORDERED_LIST')
export const unorderedList = node('UNORDERED_LIST')
export const bigEmoji = node('BIG_EMOJI')
export const codeLine = node('CODE_LINE')
export const katex = node('KATEX')
export const inlineKatex = node('INLINE_KATEX')
export const inlineCode = (text: string): MarkupNode => ({ type: 'INLINE_CODE', value: plain(text) })
export const lineBreak = (): MarkupNode => ({ type: 'LINE_BREAK', value: undefined })
export const horizontalRule = (fallback: [number, number]): MarkupNode => ({ type: 'HORIZONTAL_RULE', value: undefined, fallback })
export const heading = (value: MarkupNode[], level: number): MarkupNode => ({ type: 'HEADING', level, value })
export const code = (value: MarkupNode[], language: string | null): MarkupNode => ({ type: 'CODE', language: language || 'none', value })
export const task = (value: MarkupNode[], status: boolean): MarkupNode => ({ type: 'TASK', status, value })
export const color = (values: number[]): MarkupNode => ({ type: 'COLOR', value: { r: values[0], g: values[1], b: values[2], a: values[3] ?? 255 } })
export const mentionUser = (name: string): MarkupNode => ({ type: 'MENTION_USER', value: plain(name) })
export const mentionChannel = (name: string): MarkupNode => ({ type: 'MENTION_CHANNEL', value: plain(name) })
export const emoji = (shortCode: string): MarkupNode => ({ type: 'EMOJI', value: plain(shortCode), shortCode })
export const emojiUnicode = (unicode: string): MarkupNode => ({ type: 'EMOJI', value: undefined, unicode })
export const emoticon = (text: string, shortCode: string): MarkupNode => ({ type: 'EMOJI', value: plain(text), shortCode })
export const link = (src: string, label?: MarkupNode[]): MarkupNode => ({ type: 'LINK', value: { src: plain(src), label: label ?? [plain(src)] } })
export const image = (src: string, label: MarkupNode | null): MarkupNode => ({ type: 'IMAGE', value: { src: plain(src), label: label ?? plain(src) } })
export const timestamp = (value: string, format: string | null, fallback: [number, number]): MarkupNode =>
  ({ type: 'TIMESTAMP', value: { timestamp: value, format: format ?? 't' }, fallback })

export function listItem (value: MarkupNode[], number?: number): MarkupNode {
  return number === undefined ? { type: 'LIST_ITEM', value } : { type: 'LIST_ITEM', value, number }
}

export function phone (text: string, number: string): MarkupNode {
  return number.length < 5 ? plain(text) : link(`tel:${number}`, [plain(text)])
}

const linkDomainOptions = { detectIp: true, allowPrivateDomains: true, validHosts: ['localhost'] }
const absoluteScheme = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\//

/** A bare address becomes a link only when its domain is a public suffix's, an IP or localhost; `//` is prefixed to scheme-less ones. */
export function autoLink (text: string): MarkupNode {
  const { isIcann, isIp, isPrivate, domain } = parseDomain(text, linkDomainOptions)
  if (!(isIcann || isIp || isPrivate || domain === 'localhost')) return plain(text)
  const href = URL.canParse(text) || text.startsWith('//') || absoluteScheme.test(text) ? text : `//${text}`
  return link(href, [plain(text)])
}

const emailDomainOptions = { detectIp: false, allowPrivateDomains: true }

export function autoEmail (text: string): MarkupNode {
  const href = `mailto:${text}`
  const { isIcann, isIp, isPrivate } = parseDomain(href, emailDomainOptions)
  return isIcann || isIp || isPrivate ? link(href, [plain(text)]) : plain(text)
}

/** A table cell's inlines without the spaces around them. */
function trimmed (inlines: MarkupNode[]): MarkupNode[] {
  const cell = inlines.slice()
  const first = cell[0]
  if (first?.type === 'PLAIN_TEXT') {
    const value = (first.value as string).replace(/^\s+/, '')
    if (value === '') cell.shift()
    else cell[0] = plain(value)
  }
  const last = cell[cell.length - 1]
  if (last?.type === 'PLAIN_TEXT') {
    const value = (last.value as string).replace(/\s+$/, '')
    if (value === '') cell.pop()
    else cell[cell.length - 1] = plain(value)
  }
  return cell
}

type Alignment = 'left' | 'right' | 'center' | undefined

const tableCell = (inlines: MarkupNode[], align: Alignment): MarkupNode => ({ type: 'TABLE_CELL', align, value: trimmed(inlines) })

export function table (header: MarkupNode[][], alignments: Alignment[], rows: MarkupNode[][][], fallback: [number, number]): MarkupNode {
  return {
    type: 'TABLE',
    value: {
      header: header.map((cell, index) => tableCell(cell, alignments[index])),
      rows: rows.map((row) => ({ type: 'TABLE_ROW', value: header.map((_, index) => tableCell(row[index] ?? [], alignments[index])) }))
    },
    fallback
  }
}

/**
 * Rocket.Chat's `reducePlainTexts`: nested lists flattened, neighbouring plain
 * texts joined, and an emoji shortcode or emoticon that touches text or another
 * emoji turned back into text (":smile:word"). Unlike Rocket.Chat's, it never
 * changes the nodes it is given: the parser shares them between attempts.
 */
export function joinInlines (values: Array<MarkupNode | MarkupNode[]>): MarkupNode[] {
  let simple = true
  for (const value of values) {
    if (Array.isArray(value) || value.type === 'EMOJI') {
      simple = false
      break
    }
  }
  const flat = simple ? values as MarkupNode[] : values.flat()
  const joined: MarkupNode[] = []
  // A run of texts becomes one node once it ends: a word and a space at a time, a line of
  // twenty words would make nineteen nodes to throw away.
  let run: MarkupNode | null = null
  let runText = ''
  let runLength = 0
  for (let index = 0; index < flat.length; index++) {
    const current = simple ? flat[index] : emojiInContext(flat[index], flat[index - 1], flat[index + 1])
    if (current.type === 'PLAIN_TEXT') {
      if (runLength === 0) run = current
      runText += current.value as string
      runLength++
      continue
    }
    if (runLength > 0) {
      joined.push(runLength === 1 ? run! : plain(runText))
      runText = ''
      runLength = 0
    }
    joined.push(current)
  }
  if (runLength > 0) joined.push(runLength === 1 ? run! : plain(runText))
  return joined
}

function emojiInContext (current: MarkupNode, previous: MarkupNode | undefined, next: MarkupNode | undefined): MarkupNode {
  if (current.type !== 'EMOJI' || !current.value || (previous === undefined && next === undefined)) return current
  const nextToEmoji = previous?.type === 'EMOJI' || next?.type === 'EMOJI'
  const nextToText = (previous?.type === 'PLAIN_TEXT' && (previous.value as string).trim() !== '') ||
    (next?.type === 'PLAIN_TEXT' && (next.value as string).trim() !== '')
  if (!nextToEmoji && !nextToText) return current
  const text = current.value as PlainText
  return current.shortCode !== text.value ? text : plain(`:${text.value}:`)
}
