import type { FastifyBaseLogger } from 'fastify'
import { ExportApiError, exportError } from '../errors.ts'
import { headerSafe, MailTimeoutError, resolveRecipients, sendMail, type Recipients } from '../mail.ts'
import { byTsThenId, type ExportMessage, type ExportRoom, type ExportUser } from '../model.ts'
import type { ResolvedMailer, ResolvedOptions } from '../options.ts'
import { pageLabels, renderHtmlParts, roomTitle } from '../render/html.ts'
import { markupTree } from '../render/markup.ts'
import { jsonExtrasOf, renderJsonDocument } from '../render/json.ts'
import { MessageRenderer, unknownDayLabel, type MessageView } from '../render/message-view.ts'
import type { ExportContext } from '../schemas.ts'
import { createDateLabels, resolveLanguage, type DateLabels } from '../time/locale.ts'
import { pauseIfSliceSpent } from '../render/slices.ts'
import { loadTemplates, type Templates } from '../render/templates.ts'
import { archiveBaseName, buildExportContext, exportableMessages, logFlawedMessages } from './context.ts'
import type { ExportFormat } from './jobs.ts'
import type { ExportSlots } from './slots.ts'
import { StallWatchdog } from './watchdog.ts'
import { lookupsUntilAbort } from './abortable.ts'
import { FlawedMessages } from '../stored-message.ts'
import type { ResolvedRange } from './range.ts'

export interface EmailExportRequest {
  user: ExportUser
  room: ExportRoom
  range: ResolvedRange
  format: ExportFormat
  toUsers: string[]
  toEmails: string[]
  subject: string | undefined
  /** message ids instead of the date range */
  messageIds: string[] | undefined
}

/**
 * An email export: recipients checked (SPEC §3 rows 9–10), a concurrency
 * slot held (row 11) while at most `maxEmailMessages` messages are read and
 * one mail is rendered and handed to SMTP within `mailTimeoutMs`.
 * Resolves with the usernames that could not be mailed once the server accepted it.
 */
export async function sendEmailExport (
  options: ResolvedOptions & { mailer: ResolvedMailer },
  slots: ExportSlots,
  request: EmailExportRequest,
  log: FastifyBaseLogger
): Promise<{ missing: string[] }> {
  const { repository, limits } = options
  const { user } = request
  const recipients = await resolveRecipients(user, request.toUsers, request.toEmails, repository, limits)
  const slot = await slots.claim(user).catch((err: unknown) => {
    if (err instanceof ExportApiError && err.errorType === 'error-too-many-requests') options.metrics.refused('email', request.format)
    throw err
  })
  options.metrics.started()
  // As a file export's lines (`log` is the request's: each line carries its reqId); an email export has no exportId.
  const logFields = { userId: user._id, rid: request.room._id, type: 'email' }
  const startedAt = Date.now()
  log.info({ ...logFields, format: request.format }, 'rooms.export: export started')
  try {
    const { missing, messages } = await renderAndSend(options, request, recipients, log)
    log.info({ ...logFields, messages, ms: Date.now() - startedAt }, 'rooms.export: export done')
    options.metrics.ended('email', request.format, 'done', { seconds: (Date.now() - startedAt) / 1000, messages, bytes: 0 })
    return { missing }
  } catch (err) {
    // What the request answers; a cause that is not the request's own is logged with its stack
    // where it happened (the mail server's refusal below) or by the error handler (error-internal).
    const reason = err instanceof ExportApiError ? err.message : 'error-internal'
    log.warn({ ...logFields, ms: Date.now() - startedAt, reason }, 'rooms.export: export failed')
    options.metrics.ended('email', request.format, 'failed', { seconds: (Date.now() - startedAt) / 1000, messages: 0, bytes: 0 })
    throw err
  } finally {
    await slots.release(slot)
  }
}

async function renderAndSend (
  options: ResolvedOptions & { mailer: ResolvedMailer },
  request: EmailExportRequest,
  recipients: Recipients,
  log: FastifyBaseLogger
): Promise<{ missing: string[], messages: number }> {
  // A repository that stops answering cannot hold the request (and its slot) for ever: neither its
  // read nor a lookup the rendering makes (an upload's size, a name, a thread parent).
  const stalled = new AbortController()
  const watchdog = new StallWatchdog(options.limits.stallTimeoutMs, (stall) => { stalled.abort(stall) })
  try {
    return await readRenderAndSend(options, request, recipients, log, stalled.signal, watchdog)
  } finally {
    watchdog.stop()
  }
}

async function readRenderAndSend (
  options: ResolvedOptions & { mailer: ResolvedMailer },
  request: EmailExportRequest,
  recipients: Recipients,
  log: FastifyBaseLogger,
  stalled: AbortSignal,
  watchdog: StallWatchdog
): Promise<{ missing: string[], messages: number }> {
  const { limits, mailer } = options
  const repository = lookupsUntilAbort(options.repository, stalled)
  const { user, room, range } = request

  const source = request.messageIds === undefined
    ? options.repository.findMessages({ rid: room._id, from: range.from, to: range.to })
    : options.repository.findMessagesByIds(room._id, request.messageIds)
  const messages: ExportMessage[] = []
  const flawed = new FlawedMessages()
  for await (const batch of exportableMessages(source, stalled, watchdog, flawed, () => {})) {
    if (messages.length + batch.length > limits.maxEmailMessages) {
      throw exportError('error-too-many-messages', `more than ${limits.maxEmailMessages} messages; use a file export`)
    }
    messages.push(...batch)
  }
  // Ids come back in whatever order the repository keeps them; the mail reads in time order.
  messages.sort(byTsThenId)

  const context = buildExportContext(room, range, user, new Date())
  const title = roomTitle(context.room)
  const subject = headerSafe(request.subject ?? '') || `Messages from ${title}`
  const labels = createDateLabels(resolveLanguage(user.language), range.timezone)
  const onUnusableTree = (messageId: string, field: string) => { flawed.note(messageId, [field]) }
  const rendererOptions = { labels, translate: options.translate, repository, rid: room._id, archivesUploads: false, inlineImageBytes: 0, onUnusableTree }
  const templates = await loadTemplates()
  const mailRenderer = await MessageRenderer.create({ ...rendererOptions, target: 'mail' })
  const views: MessageView[] = []
  const textLines: string[] = []
  for (const message of messages) {
    // A mail renders on the main thread: between messages the event loop gets its turn, as a file export's does.
    await pauseIfSliceSpent()
    // Parsed once for both parts of the mail, its HTML and its plain text; a turn between the text's
    // parse and the attachments'.
    const parsed = message.t === undefined && message.md === undefined ? { ...message, md: markupTree(message.msg, undefined) ?? undefined } : message
    await pauseIfSliceSpent()
    watchdog.waitingOn('the repository')
    const view = await mailRenderer.view(parsed)
    if (views.at(-1)?.day !== view.day) textLines.push('', `— ${dayLabel(view, message, labels)} —`)
    views.push(view)
    textLines.push(mailRenderer.textPart(parsed, view))
  }
  const head = { ...pageLabels(context, labels), subject, messageCount: messages.length }

  const attachments = []
  let html: string
  if (request.format === 'json') {
    const chunks: Buffer[] = []
    for await (const chunk of renderJsonDocument(context, [messages], jsonExtrasOf(mailRenderer, repository, false))) chunks.push(chunk)
    const json = Buffer.concat(chunks)
    const filename = `${archiveBaseName(room)}.json`
    attachments.push({ filename, content: json, contentType: 'application/json' })
    html = templates.mailExport({ ...head, days: [], attachmentName: filename })
    checkSize(json.length + Buffer.byteLength(html), limits.maxEmailBytes)
  } else {
    html = templates.mailExport({ ...head, days: byDay(views, labels, messages) })
    if (Buffer.byteLength(html) > mailBodyBytes) {
      // Clients clip long bodies (Gmail at ~102 KB): the export goes as a page of its own, the body keeps the first messages.
      const filename = `${archiveBaseName(room)}.html`
      const page = await renderSinglePage(templates, context, messages, await MessageRenderer.create({ ...rendererOptions, target: 'page' }), labels, watchdog)
      attachments.push({ filename, content: page, contentType: 'text/html; charset=utf-8' })
      let shown = 0
      let bytes = 4096
      while (shown < views.length) {
        const messageBytes = Buffer.byteLength(templates.mailMessage(views[shown]))
        if (bytes + messageBytes >= mailBodyBytes - 8192) break
        bytes += messageBytes
        shown++
      }
      html = templates.mailExport({ ...head, days: byDay(views.slice(0, shown), labels, messages), attachmentName: filename, shownCount: shown, hiddenCount: views.length - shown })
      checkSize(page.length + Buffer.byteLength(html), limits.maxEmailBytes)
    } else {
      checkSize(Buffer.byteLength(html), limits.maxEmailBytes)
    }
  }

  // From here the mail server's time is the mail timeout's.
  watchdog.stop()
  let rejected: string[]
  try {
    ({ rejected } = await sendMail(mailer, {
      to: recipients.addresses,
      subject,
      html,
      text: `${title}: ${messages.length} messages from ${head.rangeFromLabel} to ${head.rangeToLabel} (${range.timezone})\n${textLines.join('\n')}\n`,
      attachments
    }, limits.mailTimeoutMs))
  } catch (err) {
    log.error({ err, rid: room._id }, 'rooms.export: sending an email export failed')
    const timedOut = err instanceof MailTimeoutError || (err as { code?: unknown }).code === 'ETIMEDOUT'
    throw exportError('error-email-send-failed', timedOut ? `the mail server did not answer within ${limits.mailTimeoutMs} ms` : 'the mail server did not accept the mail')
  }
  if (flawed.count > 0) logFlawedMessages(log, { userId: user._id, rid: room._id }, flawed)
  // The server took the mail for some recipients and refused others: those are reported like unknown users.
  const refused = rejected.flatMap((address) => recipients.reportedAs.get(address.toLowerCase()) ?? [address])
  return { missing: [...recipients.missing, ...refused], messages: messages.length }
}

/** Mail bodies stay under this: Gmail clips at about 102 KB. */
const mailBodyBytes = 100 * 1024

/** Views grouped by their day in the export's zone, each day labelled in the reader's language. */
function byDay (views: MessageView[], labels: DateLabels, messages: ExportMessage[]): { label: string, messages: MessageView[] }[] {
  const days: { day: string, label: string, messages: MessageView[] }[] = []
  views.forEach((view, index) => {
    if (days.at(-1)?.day !== view.day) days.push({ day: view.day, label: dayLabel(view, messages[index], labels), messages: [] })
    days.at(-1)!.messages.push(view)
  })
  return days
}

function dayLabel (view: MessageView, message: ExportMessage, labels: DateLabels): string {
  return view.day === '' ? unknownDayLabel : labels.day(message.ts)
}

/** The whole export as one self-contained HTML page (no parts, no assets): the attachment of a long mail. */
async function renderSinglePage (templates: Templates, context: ExportContext, messages: ExportMessage[], renderer: MessageRenderer, labels: DateLabels, watchdog: StallWatchdog): Promise<Buffer> {
  const page: Uint8Array[] = []
  for await (const part of renderHtmlParts(templates, context, (async function * () { yield messages })(), 'export', Number.POSITIVE_INFINITY, renderer, labels)) {
    for await (const chunk of part.chunks) {
      page.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      watchdog.waitingOn('the repository')
    }
  }
  return Buffer.concat(page)
}

function checkSize (bytes: number, max: number): void {
  if (bytes > max) throw exportError('error-too-many-messages', `the export is ${bytes} bytes, more than ${max}; use a file export`)
}
