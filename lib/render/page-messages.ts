import { shortcodeName } from './emoji.ts'
import { customEmojiPicture, escapeHtml } from './markup.ts'
import type { MessageView } from './message-view.ts'

/**
 * A run of messages of an HTML page, each with a day heading where its day
 * begins. Every element holding a person's or a message's text has
 * `dir="auto"` (which also isolates it): Hebrew or Arabic reads right to
 * left, and never reorders the Latin text around it. Written as code rather than a Handlebars template because it runs
 * once per exported message: measured on 200,000 messages, the template's
 * property lookups and helper calls cost more than building the views. The
 * page around the messages (head, style, navigation) stays a template.
 *
 * Every value is escaped as Handlebars' `{{ }}` would (`text`); fields named
 * `…Html` come from the markup walker, which escapes every piece.
 */
export function renderPageMessages (views: readonly MessageView[]): string {
  let html = ''
  for (const view of views) {
    if (view.dayHeading !== null) html += `<h2 class="day">${timeElement(view.day, view.dayHeading)}</h2>\n`
    html += view.system !== null ? systemMessage(view) : userMessage(view)
  }
  return `${html}\n`
}

/** A `<time>` element, or the bare label where the time is unknown (`datetime` would be empty). */
function timeElement (iso: string, label: string): string {
  return iso === '' ? text(label) : `<time datetime="${text(iso)}">${text(label)}</time>`
}

/** Handlebars' escaping of `{{value}}`: nothing for null/undefined, the text escaped otherwise. */
function text (value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : escapeHtml(String(value))
}

/** A message's time as its permalink: a reader can cite any message by its address in the archive. */
function permalink (view: MessageView, attributes = ''): string {
  return `<a class="permalink" href="#${text(view.anchor)}"${attributes}>${timeElement(view.isoTime, view.time)}</a>`
}

function systemMessage (view: MessageView): string {
  return `<article class="message system" id="${text(view.anchor)}"><span class="meta">${permalink(view)}</span> <span class="sentence" dir="auto">${text(view.system)}</span>\n` +
    `${extras(view, true)}</article>\n`
}

function userMessage (view: MessageView): string {
  // A grouped message shows its time in the gutter, where the avatar would be (screen readers read the header's).
  const gutter = view.grouped
    ? `<div class="gutter" aria-hidden="true"><a class="permalink" href="#${text(view.anchor)}" tabindex="-1">${text(view.time)}</a></div>\n`
    : `<div class="avatar" style="--hue: ${text(view.avatarHue)}" aria-hidden="true">${text(view.initials)}${avatarPicture(view)}</div>\n`
  let html = `<article class="message${view.grouped ? ' grouped' : ''}" id="${text(view.anchor)}">\n` +
    gutter +
    '<div class="content">\n' +
    `<div class="meta"><span class="author" dir="auto">${text(view.authorName)}</span> <span class="username" dir="auto">@${text(view.username)}</span> ${permalink(view)}${view.pinned ? ' <span class="pinned">pinned</span>' : ''}</div>\n`
  const thread = view.thread
  if (thread !== null) {
    html += view.firstReplyOf === null ? '<div class="thread">reply in thread' : `<div class="thread" id="${text(view.firstReplyOf)}">reply in thread`
    if (thread.author !== null && thread.author !== '') {
      const author = thread.href !== null && thread.href !== '' ? `<a href="${text(thread.href)}" dir="auto">${text(thread.author)}</a>` : `<bdi>${text(thread.author)}</bdi>`
      html += `: ${author} <span class="excerpt" dir="auto">${text(thread.excerpt)}</span>`
    } else {
      html += ' <span class="excerpt">(its first message is not in this export)</span>'
    }
    html += '</div>\n'
  }
  for (const quote of view.quotes) html += `${quoteBlock(quote)}\n`
  html += `<div class="text" dir="auto">${view.bodyHtml}</div>\n`
  if (view.edited !== null) html += `<div class="edited">edited by <bdi>${text(view.edited.by)}</bdi> at ${timeElement(view.edited.isoTime, view.edited.label)}</div>\n`
  if (view.replyCount !== null && view.replyCount !== 0) {
    const replies = `${text(view.replyCount)} thread ${view.replyCount === 1 ? 'reply' : 'replies'}`
    html += `<div class="replies">${view.repliesHref === null ? replies : `<a href="${text(view.repliesHref)}">${replies}</a>`}</div>\n`
  }
  return `${html}${extras(view, false)}</div>\n</article>\n`
}

/** The author's picture over their initials: one the archive lacks after all (see `ArchivedPictures`) leaves the initials. */
function avatarPicture (view: MessageView): string {
  return view.avatarSrc === null ? '' : `<img src="${text(view.avatarSrc)}" alt="" loading="lazy">`
}

function quoteBlock (quote: MessageView['quotes'][number]): string {
  let html = '<blockquote class="quote"><div class="quote-meta">'
  if (quote.author !== null && quote.author !== '') html += `<b dir="auto">${text(quote.author)}</b>`
  if (quote.isoTime !== null && quote.isoTime !== '') html += ` <time datetime="${text(quote.isoTime)}">${text(quote.timeLabel)}</time>`
  if (quote.localHref !== null) {
    html += ` · <a href="${text(quote.localHref)}">original</a>`
    if (quote.href !== null && quote.href !== '') html += ` · <a href="${text(quote.href)}" rel="noopener noreferrer nofollow">open in chat</a>`
  } else if (quote.href !== null && quote.href !== '') {
    html += ` · <a href="${text(quote.href)}" rel="noopener noreferrer nofollow">original</a>`
  }
  html += `</div><div class="quote-text" dir="auto">${quote.bodyHtml}</div>`
  for (const nested of quote.quotes) html += quoteBlock(nested)
  return `${html}</blockquote>`
}

/** What follows a message's text, system messages included: their quotes, attachments, previews, uploads, reactions, pin. */
function extras (view: MessageView, system: boolean): string {
  let html = ''
  if (system) for (const quote of view.quotes) html += `${quoteBlock(quote)}\n`
  for (const attachment of view.attachments) {
    html += '<div class="attachment" dir="auto">'
    if (attachment.href !== null && attachment.href !== '') {
      const label = attachment.title !== null && attachment.title !== '' ? attachment.title : attachment.href
      html += `<a href="${text(attachment.href)}" rel="noopener noreferrer nofollow">${text(label)}</a>`
    } else {
      html += text(attachment.title)
    }
    html += attachment.descriptionHtml
    if (attachment.textHtml !== '') html += `<div class="text" dir="auto">${attachment.textHtml}</div>`
    if (attachment.imageHref !== null && attachment.imageHref !== '') html += `<div><a href="${text(attachment.imageHref)}" rel="noopener noreferrer nofollow">media</a></div>`
    html += '</div>\n'
  }
  for (const preview of view.previews) {
    html += `<div class="preview" dir="auto"><a href="${text(preview.href)}" rel="noopener noreferrer nofollow">${text(preview.title)}</a>`
    if (preview.description !== null && preview.description !== '') html += `<div class="description" dir="auto">${text(preview.description)}</div>`
    html += '</div>\n'
  }
  if (view.uploads.length > 0) {
    html += '<ul class="uploads">'
    for (const upload of view.uploads) {
      html += '<li>'
      if (upload.inline) html += `<a href="${text(upload.href)}"><img src="${text(upload.href)}" alt="${text(upload.alt)}" loading="lazy"></a>`
      // A player from the archive, nothing loaded before it is asked to play.
      if (upload.media !== null) html += `<${upload.media} controls preload="none" src="${text(upload.href)}" aria-label="${text(upload.alt)}"></${upload.media}>`
      html += upload.href !== null && upload.href !== ''
        ? `<a href="${text(upload.href)}"${upload.download === null ? '' : ` download="${text(upload.download)}"`} dir="auto">${text(upload.name)}</a>`
        : `<bdi>${text(upload.name)}</bdi> <span class="missing">(not in this export)</span>`
      if (upload.size !== null && upload.size !== '') html += ` (${text(upload.size)})`
      html += `${upload.descriptionHtml}</li>`
    }
    html += '</ul>\n'
  }
  if (view.reactions.length > 0) {
    html += '<ul class="reactions">'
    for (const reaction of view.reactions) {
      const emoji = reaction.picture !== null ? customEmojiPicture(reaction.picture, shortcodeName(reaction.shortcode)) : reaction.custom ? `<span class="md-emoji-custom">${text(reaction.emoji)}</span>` : text(reaction.emoji)
      html += `<li title="${text(reaction.shortcode)} ${text(reaction.names)}">${emoji} ${text(reaction.count)} · ${reaction.people.map((person) => `<bdi>${text(person)}</bdi>`).join(', ')}</li>`
    }
    html += '</ul>\n'
  }
  if (system && view.pinned) html += '<span class="pinned">pinned</span>\n'
  if (view.history !== null && view.history.length > 0) html += historyDetails(view.history)
  return html
}

/** A message's earlier versions (`includeHistory`), closed until opened: each text, and who replaced it when. */
function historyDetails (history: NonNullable<MessageView['history']>): string {
  let html = `<details class="history"><summary>edited — ${history.length} earlier ${history.length === 1 ? 'version' : 'versions'}</summary><ol>`
  for (const version of history) {
    html += `<li><div class="version-meta">replaced by <bdi>${text(version.by)}</bdi> at ${timeElement(version.isoTime, version.label)}</div><div class="text" dir="auto">${version.bodyHtml}</div></li>`
  }
  return `${html}</ol></details>\n`
}

/**
 * Where a part ends, a note for each of its thread parents none of whose
 * replies it showed — their reply counts link to it: the replies follow in a
 * later part, or none is in the export.
 */
export function renderThreadNotes (anchors: readonly string[], nextPart: string | null): string {
  let html = ''
  for (const anchor of anchors) {
    html += nextPart === null
      ? `<p class="thread-note" id="${text(anchor)}">No reply to this thread is in this export.</p>\n`
      : `<p class="thread-note" id="${text(anchor)}">The replies to this thread follow in a later part: <a href="${text(nextPart)}">next part</a>.</p>\n`
  }
  return html
}

/** The last part's list of the range's deleted messages (`includeHistory`): where each was, who deleted it and when. */
export function renderDeletions (deleted: readonly { id: string, by: string | null, isoTime: string, label: string }[]): string {
  if (deleted.length === 0) return ''
  let html = '<section class="deleted" aria-labelledby="deleted-messages"><h2 class="day" id="deleted-messages">Deleted messages</h2><ul>'
  for (const deletion of deleted) {
    html += `<li>message <code>${text(deletion.id)}</code> deleted${deletion.by === null ? '' : ` by <bdi>${text(deletion.by)}</bdi>`} at ${timeElement(deletion.isoTime, deletion.label)}</li>`
  }
  return `${html}</ul></section>\n`
}
