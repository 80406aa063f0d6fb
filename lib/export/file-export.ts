import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { exportError } from '../errors.ts'
import { headerSafe, sendMail, userAddress } from '../mail.ts'
import type { ExportMessage, ExportRoom, ExportUser, FileRef } from '../model.ts'
import type { ResolvedOptions } from '../options.ts'
import { personLabel, renderHtmlParts, roomTitle, type RenderedPart } from '../render/html.ts'
import { messageFiles, renderJsonDocument } from '../render/json.ts'
import { assetPath } from '../render/message-view.ts'
import type { Templates } from '../render/templates.ts'
import type { ExportContext } from '../schemas.ts'
import { ExportArchive, type EntryDigest } from './archive.ts'
import { archiveBaseName, buildExportContext, exportableMessages } from './context.ts'
import { signDownloadToken } from './download-link.ts'
import type { ExportFormat, ExportJob, ExportJobStore } from './jobs.ts'
import type { ResolvedRange } from './range.ts'
import { retrying } from './retry.ts'

export interface Manifest {
  room: ExportContext['room']
  range: ExportContext['range']
  format: ExportFormat
  exportedAt: string
  exportedBy: ExportContext['exportedBy']
  messageCount: number
  parts: EntryDigest[]
  assets: {
    included: { fileId: string, name: string, path: string, bytes: number, sha256: string }[]
    missing: { fileId: string, name: string, reason: string }[]
  }
}

interface FileExportDependencies {
  options: ResolvedOptions
  templates: Templates
  jobs: ExportJobStore
  log: FastifyBaseLogger
  /** path of the download route, Fastify prefix included */
  downloadPath: string
}

interface RunningExport {
  controller: AbortController
  finished: Promise<void>
}

/** How often a running export's counts reach the job store. */
const progressIntervalMs = 250

class ShutdownError extends Error {
  constructor () {
    super('the server shut down during the export')
  }
}

/**
 * File exports as jobs: `start` claims a slot and answers at once; the job
 * streams messages → renderer → zip → storage, and ends `done` with a complete,
 * checksummed archive or `failed` with nothing stored.
 */
export class FileExports {
  private readonly running = new Map<string, RunningExport>()
  private readonly deps: FileExportDependencies
  private sweepTimer: NodeJS.Timeout | undefined

  constructor (deps: FileExportDependencies) {
    this.deps = deps
    const { exportTtlMs } = deps.options.limits
    this.sweepTimer = setInterval(() => { void this.removeExpired(new Date()) }, Math.min(exportTtlMs, 60_000))
    this.sweepTimer.unref()
  }

  async start (user: ExportUser, room: ExportRoom, range: ResolvedRange, format: ExportFormat): Promise<string> {
    const { jobs, options } = this.deps
    const now = new Date()
    const job: ExportJob = {
      _id: randomBytes(12).toString('base64url'),
      rid: room._id,
      userId: user._id,
      format,
      status: 'queued',
      messages: 0,
      bytes: 0,
      createdAt: now,
      fileName: `${archiveBaseName(room)}-${now.toISOString().slice(0, 10)}.zip`
    }
    const claimed = await jobs.insertIfSlotFree(job, {
      perUser: options.limits.concurrentExportsPerUser,
      overall: options.limits.concurrentExports
    })
    if (!claimed) throw exportError('error-too-many-requests', 'too many exports are running; try again when one has finished')

    const controller = new AbortController()
    const finished = this.run(job, user, room, range, controller)
      .finally(() => { this.running.delete(job._id) })
    this.running.set(job._id, { controller, finished })
    return job._id
  }

  private async run (job: ExportJob, user: ExportUser, room: ExportRoom, range: ResolvedRange, controller: AbortController): Promise<void> {
    const { jobs, options, log } = this.deps
    const progress = { messages: 0, bytes: 0 }
    // Progress writes are chained, and the last is awaited before the final status is written,
    // so a slow progress write can never land after (and undo) the final counts.
    let progressWrites = Promise.resolve()
    const progressTimer = setInterval(() => {
      progressWrites = progressWrites
        .then(async () => { await jobs.update(job._id, { ...progress }) })
        .catch((err: unknown) => { log.warn({ err, exportId: job._id }, 'rooms.export: progress update failed') })
    }, progressIntervalMs)
    const stopProgress = async () => {
      clearInterval(progressTimer)
      await progressWrites
    }

    const archive = new ExportArchive(controller.signal)
    const stored = options.storage.write(job._id, Readable.from(countBytes(archive.output, progress)))
    stored.catch((err: unknown) => { controller.abort(err) })

    try {
      await jobs.update(job._id, { status: 'running' })
      const context = buildExportContext(room, range, user, new Date())
      const uploads = new Map<string, FileRef>()
      const collectUploads = options.repository.openFile === undefined
        ? () => {}
        : (message: ExportMessage) => { for (const file of messageFiles(message)) uploads.set(file._id, file) }
      const messages = exportableMessages(
        options.repository.findMessages({ rid: room._id, from: range.from, to: range.to }),
        (message) => { progress.messages++; collectUploads(message) }
      )
      const parts: EntryDigest[] = []
      for await (const part of this.renderParts(job.format, context, messages, archiveBaseName(room))) {
        parts.push(await archive.addText(part.name, part.chunks))
      }
      const assets = await this.addUploads(archive, [...uploads.values()], controller.signal)
      const manifest: Manifest = {
        room: context.room,
        range: context.range,
        format: job.format,
        exportedAt: context.exportedAt,
        exportedBy: context.exportedBy,
        messageCount: progress.messages,
        parts,
        assets
      }
      archive.addBuffer('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
      archive.end()
      await stored
      await stopProgress()
      const finishedAt = new Date()
      const done: Partial<ExportJob> = {
        status: 'done',
        messages: progress.messages,
        bytes: progress.bytes,
        finishedAt,
        expiresAt: new Date(finishedAt.getTime() + options.limits.exportTtlMs)
      }
      await jobs.update(job._id, done)
      await this.announce({ ...job, ...done }, user, room)
    } catch (err) {
      controller.abort(err)
      archive.destroy(err as Error)
      await stored.catch(() => {})
      await stopProgress()
      const reason = err instanceof ShutdownError ? err.message : `export failed: ${(err as Error).message}`
      log.error({ err, exportId: job._id, rid: room._id }, 'rooms.export: file export failed')
      // The database may be what went away: keep trying to clean up until it is back (or give up, logged).
      await retrying(() => options.storage.remove(job._id))
        .catch((removeErr: unknown) => { log.error({ err: removeErr, exportId: job._id }, 'rooms.export: removing a failed export failed') })
      await retrying(() => jobs.update(job._id, {
        status: 'failed',
        error: reason,
        messages: progress.messages,
        bytes: 0,
        finishedAt: new Date(),
        expiresAt: new Date(Date.now() + options.limits.exportTtlMs)
      })).catch((updateErr: unknown) => { log.error({ err: updateErr, exportId: job._id }, 'rooms.export: recording a failed export failed') })
    }
  }

  private renderParts (format: ExportFormat, context: ExportContext, messages: AsyncIterable<ExportMessage>, baseName: string): AsyncIterable<RenderedPart> | Iterable<RenderedPart> {
    if (format === 'json') return [{ name: `${baseName}.json`, chunks: renderJsonDocument(context, messages) }]
    return renderHtmlParts(this.deps.templates, context, messages, baseName, this.deps.options.limits.htmlMessagesPerPart)
  }

  /** Uploads go into `assets/`; one the repository cannot open is listed as missing, not fatal. */
  private async addUploads (archive: ExportArchive, uploads: FileRef[], signal: AbortSignal): Promise<Manifest['assets']> {
    const assets: Manifest['assets'] = { included: [], missing: [] }
    const openFile = this.deps.options.repository.openFile?.bind(this.deps.options.repository)
    for (const file of uploads) {
      signal.throwIfAborted()
      let stream: NodeJS.ReadableStream | null
      try {
        stream = await openFile!(file)
      } catch (err) {
        this.deps.log.warn({ err, fileId: file._id }, 'rooms.export: opening an upload failed')
        assets.missing.push({ fileId: file._id, name: file.name, reason: 'could not be opened' })
        continue
      }
      if (stream === null) {
        assets.missing.push({ fileId: file._id, name: file.name, reason: 'not found' })
        continue
      }
      const { name: path, bytes, sha256 } = await archive.addBytes(assetPath(file), stream as AsyncIterable<Buffer>)
      assets.included.push({ fileId: file._id, name: file.name, path, bytes, sha256 })
    }
    return assets
  }

  /** `onExportReady`, then the "export ready" mail; failures are logged, the export stays done. */
  private async announce (job: ExportJob, user: ExportUser, room: ExportRoom): Promise<void> {
    const { options, log, templates, downloadPath } = this.deps
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
    await sendMail(options.mailer, {
      to: address,
      subject: headerSafe(`Your export of ${title} is ready`),
      html: templates.mailExportReady({
        userLabel: personLabel(user),
        roomTitle: title,
        format: job.format.toUpperCase(),
        messageCount: job.messages,
        link,
        exportId: job._id,
        expiresAt: expiresAt.toISOString()
      }),
      text: `Your ${job.format.toUpperCase()} export of ${title} (${job.messages} messages) is ready.\n` +
        (link === null ? `Export id: ${job._id}\n` : `Download: ${link}\n`) +
        `Available until ${expiresAt.toISOString()}.\n`
    }).catch((err: unknown) => { log.error({ err, exportId: job._id }, 'rooms.export: export-ready mail failed') })
  }

  /** Expired exports lose their zip and their job record. */
  async removeExpired (now: Date): Promise<void> {
    const { jobs, options, log } = this.deps
    try {
      for (const job of await jobs.findExpired(now)) {
        await options.storage.remove(job._id)
        await jobs.remove(job._id)
      }
    } catch (err) {
      log.error({ err }, 'rooms.export: removing expired exports failed')
    }
  }

  /** Aborts running exports (they end `failed`, nothing stored) and waits until each has cleaned up. */
  async close (): Promise<void> {
    clearInterval(this.sweepTimer)
    const running = [...this.running.values()]
    for (const { controller } of running) controller.abort(new ShutdownError())
    await Promise.all(running.map(({ finished }) => finished))
  }
}

async function * countBytes (source: Readable, progress: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    progress.bytes += (chunk as Buffer).length
    yield chunk as Buffer
  }
}
