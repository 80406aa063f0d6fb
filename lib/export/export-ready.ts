import type { FastifyBaseLogger } from 'fastify'
import { headerSafe, sendMail, userAddress } from '../mail.ts'
import type { ExportRoom, ExportUser } from '../model.ts'
import type { ResolvedOptions } from '../options.ts'
import { personLabel, roomTitle } from '../render/html.ts'
import { loadTemplates } from '../render/templates.ts'
import { createDateLabels, resolveLanguage } from '../time/locale.ts'
import { signDownloadToken } from './download-link.ts'
import type { ExportJob } from './jobs.ts'

export interface AnnouncementContext {
  options: ResolvedOptions
  log: FastifyBaseLogger
  /** path of the download route, Fastify prefix included */
  downloadPath: string
}

/**
 * A finished export is announced: `onExportReady`, then the "export ready"
 * mail with a signed link (within `mailTimeoutMs`). Failures are logged; the
 * export stays done.
 */
export async function announceExport ({ options, log, downloadPath }: AnnouncementContext, job: ExportJob, user: ExportUser, room: ExportRoom, timezone: string): Promise<void> {
  if (options.onExportReady !== null) {
    await options.onExportReady(job, user)
      .catch((err: unknown) => { log.error({ err, exportId: job._id }, 'rooms.export: onExportReady failed') })
  }
  const address = userAddress(user)
  if (options.mailer === null || address === null) return
  const expiresAt = job.expiresAt!
  const token = signDownloadToken(options.secret, job._id, expiresAt)
  const link = options.publicUrl === null
    ? null
    : `${options.publicUrl}${downloadPath}?exportId=${encodeURIComponent(job._id)}&token=${encodeURIComponent(token)}`
  const title = roomTitle(room)
  // The expiry as the reader reads clocks: the export's zone, the requester's language.
  const expiresLabel = `${createDateLabels(resolveLanguage(user.language), timezone).dateTime(expiresAt)} (${timezone})`
  await sendMail(options.mailer, {
    to: [address.address],
    subject: headerSafe(`Your export of ${title} is ready`),
    html: (await loadTemplates()).mailExportReady({
      userLabel: personLabel(user),
      roomTitle: title,
      format: job.format.toUpperCase(),
      messageCount: job.messages,
      link,
      exportId: job._id,
      expiresAt: expiresAt.toISOString(),
      expiresLabel,
      language: resolveLanguage(user.language)
    }),
    text: `Your ${job.format.toUpperCase()} export of ${title} (${job.messages} messages) is ready.\n` +
      (link === null ? `Export id: ${job._id}\n` : `Download: ${link}\n`) +
      `Available until ${expiresLabel}.\n`
  }, options.limits.mailTimeoutMs).catch((err: unknown) => { log.error({ err, exportId: job._id }, 'rooms.export: export-ready mail failed') })
}
