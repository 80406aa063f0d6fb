import type { MarkdownTree } from '../model.ts'
import { requireHere } from '../require-here.ts'
import { isKnownTime } from '../stored-message.ts'
import { emojiFor } from './emoji.ts'

/**
 * Rocket.Chat markup, rendered by one walker over the parser's tree for three
 * targets: the export's pages (classes, styled by the page's CSS), mail
 * (the same elements with inline styles: mail clients drop `<style>`) and
 * plain text (excerpts, the mail's text part, JSON sentences).
 */

export interface MarkupContext {
  /** display name for `@username` (from the message's `mentions`), when known */
  mentionName: (username: string) => string | undefined
  /** a Rocket.Chat `<t:seconds:format>` timestamp in the export's zone and language */
  timestamp: (instant: Date, format: string) => string
  /** told when a stored tree had a node the walker could not use (the text was shown instead) */
  unusable?: () => void
  /**
   * Called before each formula typeset on the page: returns what goes before
   * it — the part's link to KaTeX's style sheet, the first time in a part.
   * Without it, formulas stay TeX source, as code.
   */
  typesetMath?: () => string
  /**
   * The time left for highlighting code and typesetting formulas in this
   * export (ms), shared by its messages: both can take far longer on text
   * written for it than on real code and math; once it is spent, code is
   * plain and formulas are source. Without it neither is done.
   */
  budget?: { remainingMs: number }
  /** the archive's picture of a custom emoji (`emoji/…`), `null` or `undefined` when there is none: then `:name:` as text */
  customEmoji?: (shortCode: string) => string | null | undefined
}

/** Milliseconds one export may spend highlighting code and typesetting formulas, in all. */
export const codeAndMathBudgetMs = 1_000

/** `work()` when the budget has time left, its duration taken from it; `null` otherwise. */
function withinBudget<T> (budget: MarkupContext['budget'], work: () => T | null): T | null {
  if (budget === undefined || budget.remainingMs <= 0) return null
  const started = performance.now()
  try {
    return work()
  } finally {
    budget.remainingMs -= performance.now() - started
  }
}

export type MarkupTarget = 'page' | 'mail' | 'text'

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' }

const escapedCharacters = /[&<>"'`=]/g

/**
 * The same escaping as Handlebars' `{{ }}`, for HTML built outside the
 * templates. Most values (names, times, words) have nothing to escape: they
 * are looked through first, and returned as they are — ~1.5× faster over
 * names, ids, times and sentences than `replace` alone.
 */
export function escapeHtml (value: string): string {
  // Stryker disable next-line ConditionalExpression: equivalent — replacing in a value with nothing to escape returns it as it is
  return value.search(escapedCharacters) < 0 ? value : value.replace(escapedCharacters, (character) => escapes[character])
}

const allowedSchemes = new Set(['http:', 'https:', 'mailto:'])

/**
 * A link from a message is kept only when it is http(s) or mailto; anything
 * else (javascript:, data:, relative) loses its href. Rocket.Chat links bare
 * domains as `//example.com`: from a file on disk that would mean `file:`, so
 * they get `https:`.
 */
export function safeHref (value: string | undefined): string | null {
  if (value === undefined) return null
  const absolute = value.startsWith('//') ? `https:${value}` : value
  try {
    return allowedSchemes.has(new URL(absolute).protocol) ? absolute : null
  } catch {
    return null
  }
}

const tableAlignments = new Set(['left', 'right', 'center'])

/** Letters of the scripts written right to left: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms. */
const rightToLeftLetter = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/u

/** `rtl` when the first letter of `text` is of a right-to-left script, else `ltr`. */
function firstLetterDirection (text: string): 'rtl' | 'ltr' {
  const letter = /\p{L}/u.exec(text)?.[0]
  return letter !== undefined && rightToLeftLetter.test(letter) ? 'rtl' : 'ltr'
}

/** Inline styles of the mail target, by the class the page target gives the same element. */
const mailStyles: Record<string, string> = {
  p: 'margin:0 0 4px;',
  code: 'font-family:Menlo,Consolas,monospace;font-size:12px;background:#f2f3f5;border-radius:3px;padding:0 3px;',
  pre: 'font-family:Menlo,Consolas,monospace;font-size:12px;background:#f2f3f5;border-radius:4px;padding:6px 8px;white-space:pre-wrap;margin:4px 0;',
  quote: 'border-left:3px solid #cbced1;margin:4px 0;padding:0 8px;color:#4b5058;',
  heading: 'font-weight:bold;margin:4px 0;',
  mention: 'background:#eaf2fe;color:#095ad2;border-radius:3px;padding:0 2px;',
  channel: 'color:#095ad2;',
  emoji: 'font-family:"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji",sans-serif;',
  'emoji-big': 'font-size:28px;font-family:"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji",sans-serif;',
  'emoji-custom': 'color:#6c727a;',
  link: 'color:#095ad2;',
  spoiler: 'color:#6c727a;',
  'table-wrap': 'overflow-x:auto;max-width:100%;',
  table: 'border-collapse:collapse;margin:4px 0;overflow-wrap:normal;word-break:normal;',
  cell: 'border:1px solid #cbced1;padding:2px 6px;',
  list: 'margin:2px 0;padding-left:20px;',
  tasks: 'margin:2px 0;padding-left:4px;list-style:none;',
  'link-bare': 'color:#095ad2;'
}

type Element = (tag: string, role: string, inner: string, attributes?: string) => string

interface Writer {
  element: Element
  text: (value: string) => string
  lineBreak: string
  rule: string
  /** between blocks: nothing in HTML (blocks are elements), a line break in text */
  blockSeparator: string
}

const writers: Record<MarkupTarget, Writer> = {
  page: {
    element: (tag, role, inner, attributes = '') => `<${tag} class="md-${role}"${attributes}>${inner}</${tag}>`,
    text: escapeHtml,
    lineBreak: '<br>',
    rule: '<hr class="md-rule">',
    blockSeparator: ''
  },
  mail: {
    element: (tag, role, inner, attributes = '') => {
      const style = mailStyles[role]
      return `<${tag}${style === undefined ? '' : ` style="${style}"`}${attributes}>${inner}</${tag}>`
    },
    text: escapeHtml,
    lineBreak: '<br>',
    rule: '<hr>',
    blockSeparator: ''
  },
  text: {
    element: (_tag, role, inner) => role === 'item' ? `- ${inner}\n` : role === 'strike' ? `~~${inner}~~` : inner,
    text: (value) => value,
    lineBreak: '\n',
    rule: '\n',
    blockSeparator: '\n'
  }
}

/** Letters, digits, spaces and `,!?'"`, with `.` only where no link or list can start: text the parser returns as one plain paragraph. */
const plainText = /^(?:[\p{L}\p{M}\p{Zs},!?'"’]|\p{N}(?![.)])|\.(?![\p{L}\p{N}]))*$/u

type Parse = typeof import('../markup/parser.ts').parseMarkup

/** The markup parser (lib/markup/), once `loadMarkupParser()` has loaded it. */
let parse: Parse | null = null

/**
 * The parser and the public-suffix list its bare links are checked against
 * (tldts) weigh ~1 MB of heap: they are loaded when a renderer is first made
 * (`MessageRenderer.create`), not with the plugin, so a server whose HTML
 * exports render in the worker thread never loads them on its main thread.
 */
export async function loadMarkupParser (): Promise<void> {
  parse ??= (await import('../markup/parser.ts')).parseMarkup
}

/**
 * Whether a text is plain for the shortcut. On megabytes of some texts (16 MB
 * of `"`) the regular expression overflows its backtracking stack: such a
 * text is shown as it is, rather than failing the export.
 */
function isPlain (text: string): boolean {
  try {
    return plainText.test(text)
  } catch {
    return true
  }
}

/**
 * Texts longer than this (128 KiB of UTF-16; Rocket.Chat's default limit is
 * 5,000 characters) are shown as they are, unparsed: the parser's time is
 * linear, but its memory of rules is too (~10 bytes a character for each rule
 * it remembers), and a 16 MB message could have it ask the render worker for
 * more than its heap may hold in one allocation — which stops the process.
 */
export const maxParsedLength = 131_072

/**
 * The tree to render for a text: the stored one when there is one; none for
 * text with no character markup could start with (the shortcut, a
 * regular-expression test, is ~10× cheaper than parsing a sentence) or longer
 * than `maxParsedLength`; the parser's otherwise, as Rocket.Chat parses with
 * its default settings (emoticons, colour previews, KaTeX with `$…$` and `\\(…\\)`).
 */
export function markupTree (text: string, stored: MarkdownTree | undefined): MarkdownTree | null {
  if (stored !== undefined) return stored
  if (text.length > maxParsedLength || isPlain(text)) return null
  if (parse === null) throw new Error('markupTree() before loadMarkupParser(): the message parser is not loaded')
  return parse(text)
}

/**
 * Renders `text` (and its stored tree) for one target. A tree with a node
 * the walker cannot use — a list where a node should be, a colour without
 * channels, a timestamp that is no time — is not rendered in part: the
 * message shows its own text, as written, and `context.unusable` is told.
 */
export function renderMarkup (text: string, stored: MarkdownTree | undefined, target: MarkupTarget, context: MarkupContext): string {
  const tree = markupTree(text, stored)
  const writer = writers[target]
  if (tree !== null) {
    try {
      return renderBlocks(tree, writer, context)
    } catch {
      context.unusable?.()
    }
  }
  return text === '' ? '' : writer.element('p', 'p', text.split(/\r?\n/).map(writer.text).join(writer.lineBreak))
}

/** Thrown by the walker at a node it cannot use; `renderMarkup` catches it (and whatever else a stored tree makes fail). */
class UnusableNode extends Error {}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)

/** `value` if it is an object (a node, or a node's parts); the walker stops otherwise. */
function parts (value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new UnusableNode()
  return value
}

function list (value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new UnusableNode()
  return value
}

function renderBlocks (nodes: unknown, writer: Writer, context: MarkupContext): string {
  const blocks = list(nodes)
  let html = ''
  for (let index = 0; index < blocks.length; index++) {
    if (index > 0) html += writer.blockSeparator
    html += renderNode(blocks[index], writer, context)
  }
  return html
}

/** A node's inline content: a list of nodes, or one node. */
function renderAll (nodes: unknown, writer: Writer, context: MarkupContext): string {
  if (!Array.isArray(nodes)) return renderNode(nodes, writer, context)
  let html = ''
  for (const node of nodes) html += renderNode(node, writer, context)
  return html
}

/** The text of a leaf node (`{ type: 'PLAIN_TEXT', value: '…' }`). */
const plainValue = (node: unknown): string => {
  const value = parts(node).value
  if (typeof value !== 'string') throw new UnusableNode()
  return value
}

/**
 * A package loaded the first time it is needed; `null` where it cannot be
 * (a host bundle that left it out).
 */
function onFirstUse<T> (name: string): () => T | null {
  let loaded: T | null | undefined
  return () => {
    if (loaded === undefined) {
      try {
        loaded = requireHere()(name) as T
      } catch {
        /* c8 ignore next -- a dependency: only a bundle that left it out lacks it */
        loaded = null
      }
    }
    return loaded
  }
}

/** The part of highlight.js the page uses. */
interface Highlighter {
  getLanguage: (name: string) => object | undefined
  highlight: (code: string, options: { language: string, ignoreIllegals: boolean }) => { value: string }
}

/**
 * highlight.js with its common languages (~36: JavaScript, TypeScript,
 * Python, Java, Go, SQL, shell, JSON, YAML, …), loaded on the first code
 * block that names a language, so an export without code never carries it;
 * `null` where it cannot be loaded: code is then shown plain.
 */
const loadHighlighter = onFirstUse<Highlighter>('highlight.js/lib/common')

/**
 * Code blocks longer than this (characters) are shown plain: some of
 * highlight.js's grammars take time that grows with the square of a text
 * written for it (2,000 `$` as Java: ~60 ms; 20,000: ~4 s).
 */
export const maxHighlightedCode = 2_000

/**
 * A code block's text highlighted at export time — static spans with
 * highlight.js's classes, styled by the page, no script — when it names a
 * language highlight.js knows and is short enough; else `null`.
 */
function highlighted (code: string, language: unknown, budget: MarkupContext['budget']): string | null {
  if (typeof language !== 'string' || language === '' || code.length > maxHighlightedCode) return null
  const hljs = loadHighlighter()
  if (hljs?.getLanguage(language) === undefined) return null
  // highlight.js escapes the code's text itself (& < > " ').
  return withinBudget(budget, () => hljs.highlight(code, { language, ignoreIllegals: true }).value)
}

/** The part of KaTeX the page uses. */
interface Typesetter {
  renderToString: (tex: string, options: object) => string
}

/** KaTeX, loaded on the first formula (as highlight.js is); `null` where it cannot be loaded: formulas are then TeX source. */
const loadTypesetter = onFirstUse<Typesetter>('katex')

/** Formulas longer than this (characters) stay TeX source: typesetting grows with the formula. */
export const maxTypesetFormula = 500
/** A typeset formula bigger than this (characters of HTML) stays source: an array of 250 `&` makes 145 KB. */
export const maxTypesetOutput = 50_000

/**
 * A formula typeset at export time: KaTeX's HTML (styled by its style sheet
 * and fonts in the archive's `katex/`) with MathML for screen readers, no
 * script; `null` for one too long or KaTeX cannot read (shown as source).
 * KaTeX's defaults keep it inert: no `\href`, `\url` or `\includegraphics`
 * (`trust: false`), and bounded sizes and macro expansion.
 */
function typesetMath (tex: string, display: boolean, budget: MarkupContext['budget']): string | null {
  if (tex.length > maxTypesetFormula) return null
  const katex = loadTypesetter()
  if (katex === null) return null
  const html = withinBudget(budget, () => {
    try {
      return katex.renderToString(tex, { displayMode: display, output: 'htmlAndMathml', throwOnError: true, trust: false, strict: 'ignore', maxSize: 20, maxExpand: 200 })
    } catch {
      return null
    }
  })
  // In a box that clips: \smash and \raisebox must not draw over other messages.
  return html === null || html.length > maxTypesetOutput ? null : `<span class="md-math">${html}</span>`
}

const languageClass = (language: unknown): string => typeof language === 'string' && /^[\w+#-]{1,30}$/.test(language) ? ` language-${language}` : ''

const isChannel = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

function colorText (value: unknown): string {
  const { r, g, b, a = 255 } = parts(value)
  if (!isChannel(r) || !isChannel(g) || !isChannel(b) || !isChannel(a)) throw new UnusableNode()
  const hex = (channel: number) => Math.max(0, Math.min(255, Math.round(channel))).toString(16).padStart(2, '0')
  return `#${hex(r)}${hex(g)}${hex(b)}${a === 255 ? '' : hex(a)}`
}

/** A `<t:seconds:format>` timestamp's instant: whole seconds, within the years an export shows. */
function timestampOf (seconds: unknown): Date {
  const instant = new Date(typeof seconds === 'string' && /^-?\d{1,15}$/.test(seconds) ? Number(seconds) * 1000 : Number.NaN)
  if (!isKnownTime(instant)) throw new UnusableNode()
  return instant
}

function renderNode (value: unknown, writer: Writer, context: MarkupContext): string {
  const node = parts(value)
  const { element } = writer
  switch (node.type) {
    case 'PLAIN_TEXT': return writer.text(plainValue(node))
    case 'PARAGRAPH': return element('p', 'p', renderAll(node.value, writer, context))
    case 'BOLD': return element('strong', 'bold', renderAll(node.value, writer, context))
    case 'ITALIC': return element('em', 'italic', renderAll(node.value, writer, context))
    case 'STRIKE': return element('del', 'strike', renderAll(node.value, writer, context))
    case 'INLINE_CODE': return element('code', 'code', writer.text(plainValue(node.value)))
    case 'CODE': {
      const code = list(node.value).map((line) => plainValue(parts(line).value)).join('\n')
      if (writer === writers.text) return code
      const spans = writer === writers.page ? highlighted(code, node.language, context.budget) : null
      return element('pre', 'pre', `<code class="code${languageClass(node.language)}${spans === null ? '' : ' hljs'}">${spans ?? writer.text(code)}</code>`)
    }
    case 'HEADING': return element('p', 'heading', renderAll(node.value, writer, context), ` data-level="${Math.min(4, Math.max(1, Math.trunc(Number(node.level)) || 1))}"`)
    case 'QUOTE': return element('blockquote', 'quote', renderBlocks(node.value, writer, context))
    case 'SPOILER': {
      // Hidden as Rocket.Chat hides it. The page shows it on a click without script: a checkbox
      // (phrasing content, so it may stay inside the paragraph) named "spoiler" for screen readers.
      const inner = renderAll(node.value, writer, context)
      if (writer !== writers.page) return writer === writers.text ? '[spoiler]' : element('span', 'spoiler', '[spoiler]')
      return `<label class="md-spoiler"><input type="checkbox" class="md-spoiler-toggle"><span class="md-spoiler-label">spoiler</span><span class="md-spoiler-text">${inner}</span></label>`
    }
    case 'SPOILER_BLOCK': {
      const inner = renderBlocks(node.value, writer, context)
      if (writer !== writers.page) return writer === writers.text ? '[spoiler]' : element('div', 'spoiler', '[spoiler]')
      return `<details class="md-spoiler-block"><summary>spoiler</summary>${inner}</details>`
    }
    case 'UNORDERED_LIST': return element('ul', 'list', renderAll(node.value, writer, context))
    case 'ORDERED_LIST': return element('ol', 'list', renderAll(node.value, writer, context))
    case 'LIST_ITEM': {
      const number = typeof node.number === 'number' && Number.isSafeInteger(node.number) ? ` value="${node.number}"` : ''
      return element('li', 'item', renderAll(node.value, writer, context), number)
    }
    case 'TASKS': return element('ul', 'tasks', renderAll(node.value, writer, context))
    case 'TASK': return element('li', 'item', `${node.status === true ? '☑' : '☐'} ${renderAll(node.value, writer, context)}`)
    case 'LINE_BREAK': return writer.lineBreak
    case 'HORIZONTAL_RULE': return writer.rule
    case 'LINK': {
      const { src, label } = parts(node.value)
      const source = plainValue(src)
      const href = safeHref(source)
      const rendered = label === undefined ? '' : renderAll(label, writer, context)
      const bare = rendered.trim() === '' || textOf(label) === source
      const text = rendered.trim() === '' ? writer.text(source) : rendered
      // Stryker disable next-line ConditionalExpression: equivalent — the text writer's element() is its content; the test says plain text wants no link
      if (href === null || writer === writers.text) return text
      // A link that shows its own address is not printed with it a second time (the page's print style).
      return element('a', bare ? 'link-bare' : 'link', text, ` href="${escapeHtml(href)}" rel="noopener noreferrer nofollow"`)
    }
    case 'IMAGE': {
      // Never loaded: a remote image would tell its server who read the export, and when.
      const { src, label } = parts(node.value)
      const source = plainValue(src)
      const href = safeHref(source)
      const text = (label === undefined ? '' : renderAll(label, writer, context)) || writer.text(source)
      if (href === null || writer === writers.text) return text
      return element('a', 'link', `🖼 ${text}`, ` href="${escapeHtml(href)}" rel="noopener noreferrer nofollow"`)
    }
    case 'MENTION_USER': {
      const username = plainValue(node.value)
      const name = context.mentionName(username)
      return element('span', 'mention', writer.text(`@${username}`), name === undefined || writer === writers.text ? '' : ` title="${escapeHtml(name)}"`)
    }
    case 'MENTION_CHANNEL': return element('span', 'channel', writer.text(`#${plainValue(node.value)}`))
    case 'EMOJI': return renderEmoji(node, writer, context)
    case 'BIG_EMOJI': return element('p', 'emoji-big', renderAll(node.value, writer, context))
    case 'COLOR': return element('code', 'code', writer.text(colorText(node.value)))
    case 'KATEX':
    case 'INLINE_KATEX': {
      if (typeof node.value !== 'string') throw new UnusableNode()
      const typeset = writer === writers.page && context.typesetMath !== undefined ? typesetMath(node.value, node.type === 'KATEX', context.budget) : null
      if (typeset === null) return element('code', 'code', writer.text(node.value))
      return `${context.typesetMath!()}${typeset}`
    }
    case 'TIMESTAMP': {
      const { timestamp, format } = parts(node.value)
      const instant = timestampOf(timestamp)
      const label = context.timestamp(instant, typeof format === 'string' ? format : 'f')
      if (writer === writers.text) return label
      return `<time datetime="${instant.toISOString()}">${escapeHtml(label)}</time>`
    }
    case 'TABLE': {
      const { header, rows = [] } = parts(node.value)
      const cells = (row: unknown, tag: string) => list(row).map((cell) => {
        const { value: inner, align } = parts(cell)
        // The page aligns by class-free attribute and its style sheet; mail clients read `align`.
        const aligned = typeof align === 'string' && tableAlignments.has(align) ? ` ${writer === writers.mail ? 'align' : 'data-align'}="${align}"` : ''
        // Each cell in its own direction: "2300 ms" stays so in a Hebrew table.
        return element(tag, 'cell', renderAll(inner, writer, context), `${aligned} dir="auto"`)
      }).join(writer === writers.text ? ' | ' : '')
      if (writer === writers.text) return [cells(header, 'th'), ...list(rows).map((row) => cells(parts(row).value, 'td'))].join('\n')
      // The table runs in the direction of its first letter, as `dir="auto"` would decide — which cannot
      // decide here: it skips the cells, each `dir="auto"` itself so that "2300 ms" stays so in a Hebrew table.
      const direction = ` dir="${firstLetterDirection(textOf([header, ...list(rows).map((row) => parts(row).value)]))}"`
      const body = list(rows).map((row) => `<tr>${cells(parts(row).value, 'td')}</tr>`).join('')
      // A wide table scrolls in its own box rather than breaking the words of its cells.
      return element('div', 'table-wrap', element('table', 'table', `<thead><tr>${cells(header, 'th')}</tr></thead>${body === '' ? '' : `<tbody>${body}</tbody>`}`, direction))
    }
    default: return writer.text(textOf(node))
  }
}

function renderEmoji (node: Record<string, unknown>, writer: Writer, context: MarkupContext): string {
  if (typeof node.unicode === 'string') return writer.text(node.unicode)
  const shortCode = typeof node.shortCode === 'string' ? node.shortCode : plainValue(node.value)
  const unicode = emojiFor(shortCode)
  if (unicode === undefined) {
    const picture = writer === writers.page ? context.customEmoji?.(shortCode) : undefined
    if (picture !== undefined && picture !== null) return customEmojiPicture(picture, shortCode)
    return writer.element('span', 'emoji-custom', writer.text(`:${shortCode}:`))
  }
  if (writer === writers.text) return unicode
  return writer.element('span', 'emoji', unicode, ` title=":${escapeHtml(shortCode)}:"`)
}

/** A custom emoji's picture from the archive; its `:name:` is what a reader without it (or a screen reader) gets. */
export function customEmojiPicture (path: string, shortCode: string): string {
  const name = escapeHtml(`:${shortCode}:`)
  return `<img class="md-emoji-picture" src="${escapeHtml(path)}" alt="${name}" title="${name}">`
}

/** Every string inside a node nobody taught the walker: shown as text rather than lost. */
function textOf (node: unknown): string {
  if (typeof node === 'string') return node
  if (Array.isArray(node)) return node.map(textOf).join('')
  if (isRecord(node)) return textOf(node.value)
  return ''
}

/** The first line of a message as plain text, cut to `max` code points: a thread reply's excerpt of its parent. */
export function excerpt (text: string, stored: MarkdownTree | undefined, context: MarkupContext, max = 120): string {
  const line = renderMarkup(text, stored, 'text', context).trim().split('\n', 1)[0]
  const codePoints = Array.from(line)
  return codePoints.length > max ? `${codePoints.slice(0, max - 1).join('')}…` : line
}
