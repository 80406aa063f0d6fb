import { RecentMap } from './recent-map.ts'
import type { DateLabels } from '../time/locale.ts'
import type { ExportMessage, FileRef, MessageAttachment, RoomRepository } from '../model.ts'
import { isKnownTime, readStoredMessage } from '../stored-message.ts'
import { emojiFor, shortcodeName } from './emoji.ts'
import { assetPath, attachedUploadId, inlineMediaOf, isActiveUpload, isInlineImage, isStoredAsText, messageFiles } from './uploads.ts'
import { shortcodeCandidates } from '../markup/parser.ts'
import type { PictureKind } from '../export/pictures.ts'
import { codeAndMathBudgetMs, excerpt, loadMarkupParser, renderMarkup, safeHref, type MarkupContext, type MarkupTarget } from './markup.ts'
import { systemSentence, type Translate } from './system-messages.ts'

/**
 * What a message shows, worked out once for whichever writes it — the page
 * (`page-messages.ts`) or the mail's Handlebars template: plain objects,
 * since Handlebars refuses prototype getters. Strings are raw (both escape
 * them as `{{ }}` does), except the `…Html` fields, which the markup walker
 * built from escaped pieces.
 */
export interface MessageView {
  id: string
  anchor: string
  isoTime: string
  /** wall-clock day (YYYY-MM-DD) in the export's zone; '' when the message's time is unknown */
  day: string
  time: string
  /** set by the page renderer on the first message of each day: the day in the reader's language */
  dayHeading: string | null
  /** a message from the same author within minutes of the one before: shown without its header */
  grouped: boolean
  authorName: string
  username: string
  initials: string
  avatarHue: number
  /** the author's picture in the archive (`avatars/…`), shown over the initials */
  avatarSrc: string | null
  bodyHtml: string
  system: string | null
  thread: { href: string | null, author: string | null, excerpt: string } | null
  /** on the first reply of a thread whose parent is in this part: the id its parent's reply count links to */
  firstReplyOf: string | null
  replyCount: number | null
  /** where a parent's reply count leads: its first reply in this part, or the part's note on its replies */
  repliesHref: string | null
  edited: { isoTime: string, label: string, by: string } | null
  /** with `includeHistory`: the earlier versions, oldest first, each with who replaced it and when */
  history: { isoTime: string, label: string, by: string, bodyHtml: string }[] | null
  pinned: boolean
  reactions: ReactionView[]
  quotes: QuoteView[]
  attachments: { title: string | null, href: string | null, imageHref: string | null, descriptionHtml: string, textHtml: string }[]
  uploads: UploadView[]
  previews: { href: string, title: string, description: string | null }[]
}

/** `people`: each reactor's name, for pages to isolate one by one (a right-to-left name must not reorder its neighbours). */
interface ReactionView { emoji: string, shortcode: string, custom: boolean, count: number, names: string, people: string[], picture: string | null }

interface QuoteView {
  author: string | null
  isoTime: string | null
  timeLabel: string | null
  /** the quoted message on the chat server */
  href: string | null
  /** the quoted message in this archive (`general-2.html#m-…`), when the export showed it */
  localHref: string | null
  bodyHtml: string
  quotes: QuoteView[]
}

interface UploadView {
  name: string
  href: string | null
  /** the name to save the upload under (the link's `download`): an active document, or one archived as text, is saved, never opened */
  download: string | null
  size: string | null
  /** an image shown in the page (`href` is in the archive) */
  inline: boolean
  /** a sound or a video played in the page from the archive */
  media: 'audio' | 'video' | null
  /** the image's or player's text alternative: its description as plain text, else its name */
  alt: string
  descriptionHtml: string
}

/**
 * A message's anchor (`m-<id>`): Rocket.Chat's ids (letters and digits) as
 * they are; any other character, `_` included, as `_<hex>_` — reversible, so
 * two messages never share an anchor (`a.b` and `a_b` would, were both `_`).
 */
export function anchorOf (messageId: string): string {
  return `m-${messageId.replace(/[^A-Za-z0-9-]/g, (character) => `_${character.charCodeAt(0).toString(16)}_`)}`
}

function humanSize (bytes: number | undefined): string | null {
  if (bytes === undefined) return null
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Up to two letters for the avatar: the first letter or digit of the first two words. */
function initialsOf (name: string): string {
  const letters = name.split(/[\s._-]+/).map((word) => /[\p{L}\p{N}]/u.exec(word)?.[0]).filter((letter) => letter !== undefined)
  return (letters.slice(0, 2).join('') || '?').toUpperCase()
}

/** A hue per username, the same in every export, so a person keeps one avatar colour. */
function hueOf (username: string): number {
  let hash = 0
  for (let index = 0; index < username.length; index++) hash = (hash * 31 + username.charCodeAt(index)) >>> 0
  return hash % 360
}

const groupingMs = 5 * 60_000
/** Bounds the caches of one export: people and thread parents beyond this are looked up again. */
const cacheLimit = 50_000
/**
 * Thread parents whose author and excerpt are kept for their replies: the
 * most recent ones. A reply to an older one reads it again (its part is
 * kept longer, in `parentParts`, so the reply still links to it). Every
 * message with replies is one, and the render worker's heap grows with what
 * it keeps: kept for 50,000, a 1M-message rich HTML export (40,000 of them)
 * peaked at 206–211 MB RSS, kept for 10,000 at 201–204 MB (4 runs each).
 */
const parentsKept = 10_000

export interface MessageRendererOptions {
  target: Exclude<MarkupTarget, 'text'>
  labels: DateLabels
  translate: Translate | null
  repository: Pick<RoomRepository, 'findMessagesByIds' | 'findUsersByUsernames' | 'fileSize' | 'openFile'>
  rid: string
  /** whether uploads go into the archive's `assets/` (file exports of a repository that can open them) */
  archivesUploads: boolean
  inlineImageBytes: number
  /** pages typeset formulas with KaTeX, its style sheet and fonts in the archive's `katex/` (file exports); else they show TeX source */
  typesetsMath?: boolean
  /**
   * Pictures in the archive (HTML file exports of a repository with
   * `openAvatar` or `openCustomEmoji`, see `ArchivedPictures`): which kinds,
   * and the path of each name's (`null`: none), asked once per name.
   */
  pictures?: { avatars: boolean, emoji: boolean, pathsOf: (kind: PictureKind, names: readonly string[]) => Promise<(string | null)[]> }
  /** told of each message whose stored markup tree (`md`) or an attachment's could not be used: its text was shown instead */
  onUnusableTree?: (messageId: string, field: 'md' | 'attachments') => void
}

/** Messages whose place (part) the renderer remembers for quotes that link inside the archive: the most recent ones. */
const quotableLimit = 10_000

/** The id of the message a Rocket.Chat permalink (`…?msg=<id>`) names. */
function linkedMessageId (link: string | null): string | null {
  if (link === null) return null
  try {
    return new URL(link).searchParams.get('msg')
  } catch {
    /* c8 ignore next -- safeHref passed it: an absolute URL parses */
    return null
  }
}

export function repliesAnchorOf (parentAnchor: string): string {
  return `t-${parentAnchor.slice(2)}`
}

/** What a page shows where a stored time is not one (see `readStoredMessage`), and as the day heading of such messages. */
export const unknownTimeLabel = 'unknown time'
export const unknownDayLabel = 'unknown date'

/** What a reply shows of its parent; the parent's anchor is its id's (`anchorOf`). */
interface ThreadParent { part: number | null, author: string | null, excerpt: string }

/**
 * Turns messages into views, in export order, for one export. It remembers
 * what later messages need: display names (authors, mentions, looked up for
 * the people system messages name), thread parents (part and excerpt), the
 * previous message (grouping). `currentPart` and `partHref` tell it where a
 * message lands, so a reply links to its parent in another part.
 */
export class MessageRenderer {
  private readonly options: MessageRendererOptions
  private readonly names = new RecentMap<string, string>(cacheLimit)
  private readonly parents = new RecentMap<string, ThreadParent>(parentsKept)
  /** the part of each thread parent this export showed: for a reply to one no longer among `parents` */
  private readonly parentParts = new RecentMap<string, number>(cacheLimit)
  private readonly avatars = new RecentMap<string, { name: string, initials: string, hue: number }>(cacheLimit)
  /** archive paths of avatars (by username) and custom emoji (by name), `null` where there is no picture */
  private readonly avatarPictures = new RecentMap<string, string | null>(cacheLimit)
  private readonly emojiPictures = new RecentMap<string, string | null>(cacheLimit)
  /** the part each recent message is in, for quotes of it */
  private readonly quotable = new RecentMap<string, number>(quotableLimit)
  /** this export's time for highlighting and typesetting (see `MarkupContext.budget`) */
  private readonly codeAndMathBudget = { remainingMs: codeAndMathBudgetMs }
  /** whether a formula was typeset: the archive needs KaTeX's style sheet and fonts */
  usesMath = false
  private mathStyleLinked = false
  /** this part's thread parents (ids) whose first reply it has not shown yet */
  private readonly awaitingReplies = new Set<string>()
  private previous: { username: string, ts: number, day: string, inThread: boolean } | null = null
  currentPart = 1
  partHref: (part: number) => string = () => ''

  private constructor (options: MessageRendererOptions) {
    this.options = options
  }

  /** A renderer, with the message parser loaded first. */
  static async create (options: MessageRendererOptions): Promise<MessageRenderer> {
    await loadMarkupParser()
    return new MessageRenderer(options)
  }

  /** Called where a page starts: its first message always shows its header. */
  startPage (): void {
    this.previous = null
    this.awaitingReplies.clear()
    this.mathStyleLinked = false
  }

  /**
   * Where a page ends: the anchors of its thread parents whose replies it did
   * not show, for a note each — their reply counts link there.
   */
  threadsWithoutReplies (): string[] {
    return [...this.awaitingReplies].map(anchorOf)
  }

  private hrefIn (part: number, anchor: string): string {
    return `${part === this.currentPart ? '' : this.partHref(part)}#${anchor}`
  }

  readonly nameOf = (username: string): string => this.names.get(username) ?? username

  private markupContext (message: Pick<ExportMessage, '_id' | 'mentions'>, field: 'md' | 'attachments' = 'md'): MarkupContext {
    const { onUnusableTree } = this.options
    return {
      mentionName: (username) => message.mentions?.find((mention) => mention.username === username)?.name ?? this.names.get(username),
      timestamp: this.options.labels.timestamp,
      unusable: onUnusableTree === undefined ? undefined : () => { onUnusableTree(message._id, field) },
      typesetMath: this.options.target === 'page' && this.options.typesetsMath === true ? this.linkMathStyle : undefined,
      budget: this.options.target === 'page' ? this.codeAndMathBudget : undefined,
      customEmoji: this.options.pictures?.emoji === true ? this.customEmojiPicture : undefined
    }
  }

  /** Before a formula: the part's link to KaTeX's style sheet, once a part; the archive then carries `katex/`. */
  private readonly linkMathStyle = (): string => {
    this.usesMath = true
    if (this.mathStyleLinked) return ''
    this.mathStyleLinked = true
    return '<link rel="stylesheet" href="katex/katex.min.css">'
  }

  private markup (text: string, stored: ExportMessage['md'], context: MarkupContext): string {
    return renderMarkup(text, stored, this.options.target, context)
  }

  /**
   * The people a message names by username alone whom no message of theirs
   * showed and nobody looked up yet: the subject of a system message (`msg`),
   * and reactors — so a reaction names a person as the rest of the export
   * does, whether or not they posted before it.
   */
  private unknownSubjects (message: ExportMessage): string[] {
    const unknown = message.t === undefined || message.msg === '' || this.names.has(message.msg) || /\s/.test(message.msg) ? [] : [message.msg]
    if (message.reactions !== undefined) {
      for (const reaction of Object.values(message.reactions)) {
        for (const username of reaction.usernames) {
          if (!this.names.has(username) && !unknown.includes(username)) unknown.push(username)
        }
      }
    }
    return unknown
  }

  private readonly customEmojiPicture = (name: string): string | null | undefined => this.emojiPictures.get(name)

  /**
   * The pictures a message needs whose paths are not known yet: its
   * author's avatar, and the custom emoji its text, quotes, attachments and
   * reactions may name (every `:name:` that is no Unicode emoji's).
   */
  private unknownPictures (message: ExportMessage): { avatars: string[], emoji: string[] } | null {
    const { pictures } = this.options
    if (pictures === undefined) return null
    const avatars = pictures.avatars && message.t === undefined && !this.avatarPictures.has(message.u.username) ? [message.u.username] : none
    const emoji = new Set<string>()
    if (pictures.emoji) {
      const texts = [message.msg]
      for (const attachment of message.attachments ?? none) texts.push(attachment.text ?? '', attachment.description ?? '')
      for (const version of message.history ?? none) texts.push(version.msg)
      if (message.reactions !== undefined) texts.push(...Object.keys(message.reactions))
      for (const text of texts) {
        if (!text.includes(':')) continue
        for (const name of shortcodeCandidates(text)) {
          if (!this.emojiPictures.has(name) && emojiFor(name) === undefined) emoji.add(name)
        }
      }
    }
    return avatars.length === 0 && emoji.size === 0 ? null : { avatars, emoji: [...emoji] }
  }

  private async learnPictures (wanted: { avatars: string[], emoji: string[] }): Promise<void> {
    const { pathsOf } = this.options.pictures!
    for (const [kind, names, known] of [['avatar', wanted.avatars, this.avatarPictures], ['emoji', wanted.emoji, this.emojiPictures]] as const) {
      if (names.length === 0) continue
      const paths = await pathsOf(kind, names)
      names.forEach((name, index) => { known.set(name, paths[index]) })
    }
  }

  /** An upload's stored size (`repository.fileSize`), `undefined` when the repository cannot tell (then the message's claim stands). */
  async storedSize (file: FileRef): Promise<number | null | undefined> {
    const { fileSize } = this.options.repository
    return fileSize === undefined ? undefined : await fileSize(file, this.options.rid)
  }

  /** A reply's parent as the repository keeps it (read field by field), when it does. */
  private async readParent (tmid: string): Promise<ExportMessage | undefined> {
    let found: ExportMessage | undefined
    for await (const candidate of this.options.repository.findMessagesByIds(this.options.rid, [tmid])) found = readStoredMessage(candidate, [])
    return found
  }

  /** A reply's parent, for the JSON's `parents`: who wrote it, its first line and when (ms); `null` when it cannot be read. */
  async parentSummary (tmid: string): Promise<{ summary: { _id: string, author: { _id: string, username: string, name?: string } | null, excerpt: string }, ts: number } | null> {
    const found = await this.readParent(tmid)
    if (found === undefined) return null
    const { _id: id, username, name } = found.u
    const author = id === '' ? null : name === undefined ? { _id: id, username } : { _id: id, username, name }
    return { summary: { _id: tmid, author, excerpt: this.excerptOf(found) }, ts: found.ts.getTime() }
  }

  /** The people a message names by username alone, looked up once when no message of theirs was seen. */
  private async learnNames (message: ExportMessage): Promise<void> {
    const unknown = this.unknownSubjects(message)
    if (unknown.length === 0) return
    // A name is only cosmetic: a lookup that fails leaves the username (and is tried again next time).
    const found = await this.options.repository.findUsersByUsernames(unknown).catch(() => null)
    if (found === null) return
    for (const username of unknown) {
      const user = found.find((candidate) => candidate.username === username)
      this.names.set(username, user?.name ?? username)
    }
  }

  /**
   * A reply's parent, read once when it is not among those the renderer
   * keeps: one before the range, or one this export showed long ago (whose
   * part it still knows).
   */
  private async learnParent (tmid: string): Promise<void> {
    const found = await this.readParent(tmid)
    const part = this.parentParts.get(tmid) ?? null
    this.parents.set(tmid, found === undefined
      ? { part, author: null, excerpt: '' }
      : { part, author: found.u.name ?? found.u.username, excerpt: this.excerptOf(found) })
  }

  private threadOf (message: ExportMessage): MessageView['thread'] {
    if (message.tmid === undefined) return null
    const parent = this.parents.get(message.tmid) ?? { part: null, author: null, excerpt: '' }
    let href: string | null = null
    if (parent.part !== null && this.options.target === 'page') href = this.hrefIn(parent.part, anchorOf(message.tmid))
    return { href, author: parent.author, excerpt: parent.excerpt }
  }

  /**
   * A message as the mail's `text/plain` part shows it: `[time] Name: text`
   * (a system message: its sentence), then, indented, what the page shows
   * around the text — the thread it replies in, quotes as `> ` lines,
   * attachments, uploads with their descriptions, reactions, pin and edit.
   * The name is isolated (U+2068 … U+2069): a right-to-left name must not
   * take the colon or the time with it. Markup is reduced to plain text
   * (strike as `~~x~~`, spoilers as `[spoiler]`).
   */
  textPart (message: ExportMessage, view: MessageView): string {
    const context = this.markupContext(message)
    const text = (value: string, stored: ExportMessage['md']) => renderMarkup(value, stored, 'text', context).trim()
    const details: string[] = []
    if (view.thread !== null) details.push(`reply in thread${view.thread.author === null || view.thread.author === '' ? '' : `: ${view.thread.author}: ${view.thread.excerpt}`}`)
    const { byUpload, quoted, others } = sortAttachments(message)
    const own = withoutQuotedPermalinks(message, quoted)
    const body = message.t === undefined ? text(own.text, own.stored) : ''
    for (const attachment of quoted) {
      const lines = text(attachment.text ?? '', attachment.md).split('\n')
      details.push(`> ${attachment.author_name === undefined ? '' : `${attachment.author_name}: `}${lines[0]}`, ...lines.slice(1).map((line) => `> ${line}`))
    }
    for (const attachment of others) {
      const parts = [attachment.title, attachment.title_link, attachment.description === undefined ? undefined : text(attachment.description, attachment.descriptionMd), attachment.text === undefined ? undefined : text(attachment.text, attachment.md)]
      details.push(`[${parts.filter((part) => part !== undefined && part !== '').join(' — ')}]`)
    }
    // The page's uploads are the message's files, in order.
    const files = messageFiles(message)
    view.uploads.forEach((upload, index) => {
      const attachment = byUpload.get(files[index]._id)
      details.push(`file: ${upload.name}${upload.size === null ? '' : ` (${upload.size})`}${attachment?.description === undefined ? '' : ` — ${text(attachment.description, attachment.descriptionMd)}`}`)
    })
    for (const preview of view.previews) details.push(`link: ${preview.title}${preview.title === preview.href ? '' : ` <${preview.href}>`}${preview.description === null ? '' : ` — ${preview.description}`}`)
    const reactions = view.reactions.filter((reaction) => reaction.count > 0)
    if (reactions.length > 0) details.push(`reactions: ${reactions.map((reaction) => `${reaction.emoji} ${reaction.count} (${reaction.people.map((person) => `\u2068${person}\u2069`).join(', ')})`).join('; ')}`)
    if (view.pinned) details.push('pinned')
    if (view.edited !== null) details.push(`edited by \u2068${view.edited.by}\u2069 at ${view.edited.label}`)
    const head = `[${view.time}] ${view.system ?? `\u2068${view.authorName}\u2069:`}`
    // Nothing to say after the name (an upload, a quote alone): the first detail takes its place.
    const lines = view.system === null && body === '' && details.length > 0 ? [`${head} ${details.shift()!}`] : [view.system === null ? `${head} ${body}` : head]
    return [...lines, ...details.map((detail) => `    ${detail}`)].join('\n')
  }

  /** The sentence of a system message, with the names of the people it names looked up (the JSON export's `sentence`). */
  async sentenceOf (message: ExportMessage): Promise<string | null> {
    if (message.t === undefined) return null
    await this.learnNames(message)
    return systemSentence(message, this.sentenceOptions())
  }

  private excerptOf (message: ExportMessage): string {
    if (message.t !== undefined) return systemSentence(message, this.sentenceOptions()) ?? ''
    return excerpt(message.msg, message.md, this.markupContext(message))
  }

  private sentenceOptions () {
    return { nameOf: this.nameOf, language: this.options.labels.language, translate: this.options.translate }
  }

  /** A message this export showed recently, as a link inside the archive. */
  private localHrefOf (id: string | null): string | null {
    const part = id === null || this.options.target !== 'page' ? undefined : this.quotable.get(id)
    return part === undefined ? null : this.hrefIn(part, anchorOf(id!))
  }

  private quoteView (attachment: MessageAttachment, context: MarkupContext): QuoteView {
    const ts = attachment.ts !== undefined && isKnownTime(attachment.ts) ? attachment.ts : null
    return {
      author: attachment.author_name ?? null,
      isoTime: ts?.toISOString() ?? null,
      timeLabel: ts === null ? null : this.options.labels.dateTime(ts),
      href: safeHref(attachment.message_link),
      localHref: this.localHrefOf(linkedMessageId(safeHref(attachment.message_link))),
      bodyHtml: this.markup(attachment.text ?? '', attachment.md, context),
      quotes: (attachment.attachments ?? []).filter((nested) => nested.message_link !== undefined).map((nested) => this.quoteView(nested, context))
    }
  }

  private uploadViews (message: ExportMessage, byUpload: ReadonlyMap<string, MessageAttachment>, context: MarkupContext, storedSizes: Map<string, number | null> | null): UploadView[] {
    const { archivesUploads, inlineImageBytes } = this.options
    const views: UploadView[] = []
    for (const file of messageFiles(message)) {
      const stored = storedSizes === null ? file.size ?? null : storedSizes.get(file._id) ?? null
      const inArchive = archivesUploads && stored !== null
      const attachment = byUpload.get(file._id)
      const type = file.type ?? attachment?.image_type ?? ''
      const name = file.name === '' ? 'unnamed file' : file.name
      views.push({
        name,
        href: inArchive ? assetPath(file) : null,
        download: inArchive && (isActiveUpload(file) || isStoredAsText(file)) ? name : null,
        size: humanSize(stored ?? undefined),
        inline: inArchive && isInlineImage(file, type) && stored <= inlineImageBytes,
        media: inArchive ? inlineMediaOf(file, type) : null,
        alt: attachment?.description === undefined ? name : renderMarkup(attachment.description, attachment.descriptionMd, 'text', context).trim() || name,
        descriptionHtml: attachment?.description === undefined ? '' : this.markup(attachment.description, attachment.descriptionMd, context)
      })
    }
    return views
  }

  /**
   * The view of the next message. Synchronous unless something must be read
   * first — a name a system message uses, a thread parent before the range,
   * uploads' stored sizes — so the common message costs no promise.
   */
  view (message: ExportMessage): MessageView | Promise<MessageView> {
    const files = message.file !== undefined || (message.files?.length ?? 0) > 0
    const readsSizes = files && this.options.repository.fileSize !== undefined
    const readsParent = message.tmid !== undefined && !this.parents.has(message.tmid)
    const pictures = this.unknownPictures(message)
    if (!readsSizes && !readsParent && pictures === null && this.unknownSubjects(message).length === 0) return this.build(message, null)
    return this.prepareAndBuild(message, readsSizes, readsParent, pictures)
  }

  private async prepareAndBuild (message: ExportMessage, readsSizes: boolean, readsParent: boolean, pictures: { avatars: string[], emoji: string[] } | null): Promise<MessageView> {
    await this.learnNames(message)
    if (pictures !== null) await this.learnPictures(pictures)
    if (readsParent) await this.learnParent(message.tmid!)
    let storedSizes: Map<string, number | null> | null = null
    if (readsSizes) {
      storedSizes = new Map()
      for (const file of messageFiles(message)) storedSizes.set(file._id, await this.storedSize(file) ?? null)
    }
    return this.build(message, storedSizes)
  }

  private build (message: ExportMessage, storedSizes: Map<string, number | null> | null): MessageView {
    const { labels } = this.options
    const knownTime = isKnownTime(message.ts)
    const { day, wall } = knownTime ? labels.wallDay(message.ts) : { day: '', wall: Number.NaN }
    const { username } = message.u
    const authorName = message.u.name ?? username
    // Set only when it changed: each message's copy of the name, put in the (long-lived) cache, would be promoted with it.
    if (this.names.get(username) !== authorName) this.names.set(username, authorName)
    if (message.mentions !== undefined) {
      for (const mention of message.mentions) {
        if (mention.username !== undefined && mention.name !== undefined) this.names.set(mention.username, mention.name)
      }
    }
    const context = this.markupContext(message)
    const attachmentContext = message.attachments === undefined ? context : this.markupContext(message, 'attachments')
    const system = message.t === undefined ? null : systemSentence(message, this.sentenceOptions())

    // Most messages have no attachments, files, reactions or links: they share these empty lists.
    const { byUpload, quoted, others } = sortAttachments(message)
    const quotes: QuoteView[] = quoted.length === 0 ? none : quoted.map((attachment) => this.quoteView(attachment, attachmentContext))
    const attachments: MessageView['attachments'] = others.length === 0
      ? none
      : others.map((attachment) => ({
        title: attachment.title ?? null,
        href: safeHref(attachment.title_link),
        imageHref: safeHref(attachment.image_url ?? attachment.video_url ?? attachment.audio_url),
        descriptionHtml: attachment.description === undefined ? '' : this.markup(attachment.description, attachment.descriptionMd, attachmentContext),
        textHtml: attachment.text === undefined ? '' : this.markup(attachment.text, attachment.md, attachmentContext)
      }))
    const { text, stored } = withoutQuotedPermalinks(message, quoted)

    const previous = this.previous
    // As Rocket.Chat's isMessageSequential: one author, within five minutes, no system message between,
    // and no thread change — a reply stands alone, and so does the channel message after one.
    const inThread = message.tmid !== undefined
    const grouped = system === null && previous !== null && previous.username === username &&
      previous.day === day && wall - previous.ts < groupingMs && !inThread && !previous.inThread
    this.previous = system === null ? { username, ts: wall, day, inThread } : null
    const avatar = this.avatarOf(username, authorName)

    const view: MessageView = {
      id: message._id,
      anchor: anchorOf(message._id),
      isoTime: knownTime ? message.ts.toISOString() : '',
      day,
      time: knownTime ? labels.timeAt(wall) : unknownTimeLabel,
      dayHeading: null,
      grouped,
      authorName,
      username,
      initials: avatar.initials,
      avatarHue: avatar.hue,
      avatarSrc: this.avatarPictures.get(username) ?? null,
      // An encrypted message's `msg` is ciphertext: the sentence says what it is, the text is never shown.
      bodyHtml: message.t === undefined ? this.markup(text, stored, context) : '',
      system,
      thread: this.threadOf(message),
      firstReplyOf: null,
      replyCount: message.tcount ?? null,
      repliesHref: null,
      edited: message.editedAt === undefined ? null : this.editedView(message.editedAt, message.editedBy?.username ?? username),
      history: message.history === undefined
        ? null
        : message.history.map((version) => ({ ...this.editedView(version.editedAt, version.editedBy?.username ?? username), bodyHtml: this.markup(version.msg, version.md, context) })),
      pinned: message.pinned === true,
      reactions: message.reactions === undefined
        ? none
        : Object.entries(message.reactions).map(([shortcode, reaction]) => {
          const unicode = emojiFor(shortcode)
          const people = reaction.usernames.map(this.nameOf)
          const picture = unicode === undefined ? this.emojiPictures.get(shortcodeName(shortcode)) ?? null : null
          return { emoji: unicode ?? shortcode, shortcode, custom: unicode === undefined, count: reaction.usernames.length, names: people.join(', '), people, picture }
        }),
      quotes,
      attachments,
      uploads: message.file === undefined && message.files === undefined ? none : this.uploadViews(message, byUpload, attachmentContext, storedSizes),
      previews: message.urls === undefined
        ? none
        : message.urls.flatMap((url) => {
          const href = safeHref(url.url)
          return href === null || (url.title === undefined && url.description === undefined) ? [] : [{ href, title: url.title ?? href, description: url.description ?? null }]
        })
    }
    if (message.tcount !== undefined && message.tcount > 0) {
      this.parents.set(message._id, { part: this.currentPart, author: authorName, excerpt: this.excerptOf(message) })
      this.parentParts.set(message._id, this.currentPart)
    }
    if (this.options.target === 'page') this.placeInPage(message, view)
    return view
  }

  /**
   * Links inside the archive: the message is remembered for quotes of it; a
   * thread parent's reply count leads to its first reply in this part (or to
   * the part's note on its replies), which carries the id it links to.
   */
  private placeInPage (message: ExportMessage, view: MessageView): void {
    this.quotable.set(message._id, this.currentPart)
    if (message.tmid !== undefined && this.awaitingReplies.delete(message.tmid)) view.firstReplyOf = repliesAnchorOf(anchorOf(message.tmid))
    if (view.replyCount !== null && view.replyCount > 0) {
      view.repliesHref = `#${repliesAnchorOf(view.anchor)}`
      this.awaitingReplies.add(message._id)
    }
  }

  private editedView (editedAt: Date, editor: string): NonNullable<MessageView['edited']> {
    const by = this.nameOf(editor)
    return isKnownTime(editedAt)
      ? { isoTime: editedAt.toISOString(), label: this.options.labels.dateTime(editedAt), by }
      : { isoTime: '', label: unknownTimeLabel, by }
  }

  /** Initials and colour per person, worked out once. */
  private avatarOf (username: string, name: string): { initials: string, hue: number } {
    let avatar = this.avatars.get(username)
    if (avatar === undefined || avatar.name !== name) {
      avatar = { name, initials: initialsOf(name), hue: hueOf(username) }
      this.avatars.set(username, avatar)
    }
    return avatar
  }
}

/** The shared empty list of a message without that kind of content (never written to). */
const none: never[] = []
const noUploadAttachments: ReadonlyMap<string, MessageAttachment> = new Map()

interface SortedAttachments {
  /** Rocket.Chat describes each upload again as an attachment linking `/file-upload/…`: by upload id, shown once, as the upload */
  byUpload: ReadonlyMap<string, MessageAttachment>
  /** quotes of other messages (`message_link`) */
  quoted: MessageAttachment[]
  /** the rest: bots', integrations' */
  others: MessageAttachment[]
}

const noAttachments: SortedAttachments = { byUpload: noUploadAttachments, quoted: none, others: none }

/** A message's attachments by what the page and the mail make of them. */
function sortAttachments (message: ExportMessage): SortedAttachments {
  if (message.attachments === undefined || message.attachments.length === 0) return noAttachments
  const fileIds = new Set(messageFiles(message).map((file) => file._id))
  const sorted = { byUpload: new Map<string, MessageAttachment>(), quoted: [] as MessageAttachment[], others: [] as MessageAttachment[] }
  for (const attachment of message.attachments) {
    const uploadId = attachedUploadId(attachment, (id) => fileIds.has(id))
    if (uploadId !== null) sorted.byUpload.set(uploadId, attachment)
    else if (attachment.message_link !== undefined) sorted.quoted.push(attachment)
    else sorted.others.push(attachment)
  }
  return sorted
}

/** A reply's text starts with `[ ](permalink)` of each message it quotes: left out of its text and tree, the quote shows that message. */
function withoutQuotedPermalinks (message: ExportMessage, quoted: readonly MessageAttachment[]): { text: string, stored: ExportMessage['md'] } {
  if (quoted.length === 0) return { text: message.msg, stored: message.md }
  return {
    text: message.msg.replace(/^(?:\[\s*\]\([^)\s]*\)\s*)+/, ''),
    stored: message.md === undefined ? undefined : withoutQuoteLinks(message.md, new Set(quoted.map((attachment) => attachment.message_link!)))
  }
}

interface LooseNode { type: string, value?: unknown }

/** The stored tree without the `[ ](permalink)` links of the messages it quotes. */
function withoutQuoteLinks (tree: NonNullable<ExportMessage['md']>, quoted: Set<string>): NonNullable<ExportMessage['md']> {
  const [first, ...rest] = tree as unknown as LooseNode[]
  if (first?.type !== 'PARAGRAPH' || !Array.isArray(first.value)) return tree
  const inlines = [...first.value] as LooseNode[]
  const linkTarget = (node: LooseNode | undefined) => node?.type === 'LINK' ? ((node.value as { src?: { value?: unknown } }).src?.value) : undefined
  while (inlines.length > 0 && quoted.has(linkTarget(inlines[0]) as string)) {
    inlines.shift()
    const next = inlines[0]
    if (next?.type === 'PLAIN_TEXT' && typeof next.value === 'string') inlines[0] = { ...next, value: next.value.trimStart() }
  }
  return [{ ...first, value: inlines }, ...rest] as unknown as NonNullable<ExportMessage['md']>
}
