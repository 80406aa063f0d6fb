import { createHash, randomBytes, type Hash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline, Transform } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { ExportMessage, ExportRoom, ExportUser, FileRef, UnavailableUpload } from '../model.ts'
import type { ResolvedOptions } from '../options.ts'
import { renderHtmlParts, type PendingCount, type RenderedPart } from '../render/html.ts'
import { renderHtmlPartsInWorker } from '../render/html-worker.ts'
import { jsonExtrasOf, renderJsonDocument, withoutUndefined } from '../render/json.ts'
import { MessageRenderer } from '../render/message-view.ts'
import { ArchivedPictures, type ArchivedPicture, type MissingPicture } from './pictures.ts'
import { assetPath, isActiveUpload, isCompressedAlready, messageFiles, uploadSniffsActive } from '../render/uploads.ts'
import { exportDocumentJsonSchema } from '../schemas.ts'
import { FlawedMessages, isKnownTime } from '../stored-message.ts'
import { createDateLabels, resolveLanguage } from '../time/locale.ts'
import { loadTemplates } from '../render/templates.ts'
import type { ExportContext } from '../schemas.ts'
import { asError, StageError } from '../host-code.ts'
import { requireHere } from '../require-here.ts'
import { abortable, lookupsUntilAbort, raceAbort } from './abortable.ts'
import { ExportArchive, type EntryDigest } from './archive.ts'
import { readDeletions, withHistory, type HistoryCounts } from './history.ts'
import { archiveBaseName, buildExportContext, exportableMessages, logFlawedMessages } from './context.ts'
import { announceExport } from './export-ready.ts'
import { CancelledError, ExportLimitError, failureReason, JobLostError, ShutdownError } from './failures.ts'
import { storageKeyOf, type ExportFormat, type ExportJob, type ExportJobStore, type JobRequest } from './jobs.ts'
import type { ResolvedRange } from './range.ts'
import { retrying } from './retry.ts'
import { slotLimits, tooManyExports } from './slots.ts'
import { StallWatchdog } from './watchdog.ts'
import { packageName, packageVersion } from '../package-info.ts'
import { signManifest } from '../signing/manifest-signature.ts'
import { readTimestampToken } from '../signing/timestamp-token.ts'
import { verifyInstructions } from '../signing/verify-instructions.ts'
import { Utf8Chunks } from '../render/utf8-chunks.ts'
import { prettyJsonPieces } from './pretty-json.ts'

export interface Manifest {
  /** what wrote the archive */
  generator: { name: string, version: string }
  /** what was asked: the room, the resolved range (UTC instants), the format and who asked */
  query: {
    rid: string
    roomName: string | null
    roomType: string
    from: string
    to: string
    timezone: string
    format: ExportFormat
    requester: { _id: string, username: string }
    includeHistory: boolean
  }
  room: ExportContext['room']
  range: ExportContext['range']
  format: ExportFormat
  exportedAt: string
  exportedBy: ExportContext['exportedBy']
  messageCount: number
  counts: {
    messages: number
    parts: number
    assets: number
    missingAssets: number
    /** messages with stored fields the export could not use, shown without them (see `malformedMessages`) */
    fallbackMessages: number
    /** with `includeHistory`: earlier versions of messages, and deleted messages, in the export */
    earlierVersions?: number
    deletions?: number
  }
  /** the first and last message exported (`null` for an empty range; `ts` null when its stored time is not a date): a cut archive shows another last one */
  firstMessage: { _id: string, ts: string | null } | null
  lastMessage: { _id: string, ts: string | null } | null
  /** what the export deliberately does not contain */
  leftOut: string[]
  parts: EntryDigest[]
  assets: {
    /** `active`: a document that runs script when opened (by its name, declared type or content): the page links it for saving, and it is archived as text unless its name is of an inert type */
    included: { fileId: string, name: string, path: string, bytes: number, sha256: string, active?: true }[]
    missing: { fileId: string, name: string, reason: string }[]
  }
  /** HTML exports of a repository with `openAvatar` or `openCustomEmoji`: the avatars and custom emoji archived, and those the pages name that are not (why) */
  pictures?: { included: ArchivedPicture[], missing: MissingPicture[] }
  /** messages with stored fields the export could not use (left out, or the text shown for the markup): all counted, the first 1,000 listed */
  malformedMessages: { count: number, listed: { _id: string, fields: string[] }[] }
  /** every other entry of the archive, in archive order, with its size and sha256 (all but the manifest, `manifest.jws` and `manifest.tsr`) */
  entries: EntryDigest[]
  /** with the `timestamp` option: the archive carries `manifest.tsr`, a token over this manifest's SHA-256 (a verifier misses it if it is gone) */
  timestamped?: true
  /** written last, once every message and entry is in: an archive whose manifest lacks it is not whole */
  complete: true
}

interface FileExportDependencies {
  options: ResolvedOptions
  jobs: ExportJobStore
  log: FastifyBaseLogger
  /** path of the download route, Fastify prefix included */
  downloadPath: string
  /** path of the signing keys' route (`rooms.export.keys`), Fastify prefix included */
  keysPath: string
}

interface RunningExport {
  controller: AbortController
  finished: Promise<void>
}

/** Who asked for an export, for its log lines. */
export interface ExportRequester {
  user: ExportUser
  /** id of the HTTP request that started it */
  reqId: string
}

/** What an export does not contain (the first, unless it was asked with `includeHistory`): the manifest says so. */
const leftOut = [
  'edit history: the earlier versions of edited messages, and deleted messages',
  'the ciphertext of end-to-end encrypted messages (each is shown as a notice)',
  'email addresses of the requester and of authors'
]

/** How often a running export's counts reach the job store. */
const progressIntervalMs = 250

/**
 * File exports as jobs: `start` claims a slot and answers at once; the job
 * streams messages → renderer → zip → storage, and ends `done` with a complete,
 * checksummed archive or `failed` with nothing stored. A stall, a limit or the
 * server closing aborts it; the abort reaches the repository, the upload and
 * the storage write.
 */
export class FileExports {
  private readonly running = new Map<string, RunningExport>()
  private readonly deps: FileExportDependencies
  private readonly sweepTimer: NodeJS.Timeout
  /** aborted once `close()` stops waiting: clean-up retries end then */
  private readonly closing = new AbortController()
  private closed = false
  /** the sweep in progress, which `close()` lets finish (it may be starting taken-over exports) */
  private sweeping: Promise<void> | null = null

  constructor (deps: FileExportDependencies) {
    this.deps = deps
    const { exportTtlMs, instanceTimeoutMs } = deps.options.limits
    // A store shared by instances is swept often enough to take over a stopped instance's jobs soon after it is noticed.
    const sweepEveryMs = Math.min(exportTtlMs, 60_000, deps.jobs.takeOverStopped === undefined ? Infinity : Math.ceil(instanceTimeoutMs / 3))
    this.sweepTimer = setInterval(() => { void this.sweep() }, sweepEveryMs)
    this.sweepTimer.unref()
  }

  async start ({ user, reqId }: ExportRequester, room: ExportRoom, range: ResolvedRange, format: ExportFormat, includeHistory = false): Promise<string> {
    const { jobs, options, log } = this.deps
    const now = new Date()
    const request: JobRequest = {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      timezone: range.timezone,
      // Without its undefined fields: a database would store them as null.
      requester: withoutUndefined({ _id: user._id, username: user.username, name: user.name, language: user.language, emails: user.emails }),
      reqId,
      ...(includeHistory ? { includeHistory: true as const } : {})
    }
    const job: ExportJob = {
      _id: randomBytes(12).toString('base64url'),
      rid: room._id,
      userId: user._id,
      format,
      status: 'queued',
      messages: 0,
      bytes: 0,
      createdAt: now,
      fileName: `${archiveBaseName(room)}-${now.toISOString().slice(0, 10)}.zip`,
      attempt: 1,
      request
    }
    const claimed = await jobs.insertIfSlotFree(job, slotLimits(options.limits))
    if (!claimed) {
      options.metrics.refused('file', format)
      throw tooManyExports()
    }

    log.info({ exportId: job._id, userId: user._id, rid: room._id, reqId, format }, 'rooms.export: export started')
    this.launch(job, { user, reqId }, room, range)
    return job._id
  }

  private launch (job: ExportJob, requester: ExportRequester, room: ExportRoom, range: ResolvedRange): void {
    const controller = new AbortController()
    const finished = this.run(job, requester, room, range, controller)
      .finally(() => { this.running.delete(job._id) })
    this.running.set(job._id, { controller, finished })
  }

  /**
   * A job taken over from a stopped instance (`takeOverStopped`), run again
   * from the start for the same requester and range: what its earlier
   * attempts stored goes first; a room deleted since fails it.
   */
  private async runAgain (job: ExportJob, request: JobRequest): Promise<void> {
    const { options, log } = this.deps
    const requester = { user: request.requester, reqId: request.reqId }
    log.warn({ exportId: job._id, userId: requester.user._id, rid: job.rid, reqId: request.reqId, attempt: job.attempt }, 'rooms.export: the server running this export stopped; running it again')
    const signal = this.cleanUpSignal()
    for (let earlier = 1; earlier < job.attempt; earlier++) {
      await retrying(() => options.storage.remove(storageKeyOf({ _id: job._id, attempt: earlier })), { signal })
    }
    const room = await options.repository.findRoomById(job.rid)
    // Closed meanwhile: the job goes to another instance, at once.
    if (this.closed) {
      await this.handOver(job)
      return
    }
    if (room === null) {
      const failed = await this.discard(job, 'the room no longer exists', 0, true)
      await this.reportFailure(failed, requester.user, failed.error!)
      return
    }
    this.launch(job, requester, room, { from: new Date(request.from), to: new Date(request.to), timezone: request.timezone })
  }

  private async run (job: ExportJob, { user, reqId }: ExportRequester, room: ExportRoom, range: ResolvedRange, controller: AbortController): Promise<void> {
    const { jobs, options, log } = this.deps
    const { limits } = options
    const startedAt = Date.now()
    const progress = { messages: 0, bytes: 0 }
    const zipHash = createHash('sha256')
    // The job's own writes apply only while its record says it runs: failed elsewhere, it stops.
    const writeOwn = async (patch: Partial<ExportJob>) => {
      const active = await jobs.updateActive(job, patch).catch((err: unknown) => { throw new StageError('the job store', asError(err)) })
      if (!active) throw new JobLostError()
    }
    // Progress writes (and the total's) are chained, and the last is awaited before the final status
    // is written, so a slow one can never land after (and undo) the final counts.
    let progressWrites = Promise.resolve()
    // (The count queues its write before the end awaits it, or is rejected by the export's abort.)
    const queueWrite = (patch: () => Partial<ExportJob>) => {
      progressWrites = progressWrites
        .then(async () => { await writeOwn(patch()) })
        .catch((err: unknown) => {
          if (err instanceof JobLostError) controller.abort(err)
          else log.warn({ err, exportId: job._id }, 'rooms.export: progress update failed')
        })
    }
    const progressTimer = setInterval(() => { queueWrite(() => ({ ...progress })) }, progressIntervalMs)
    const stopProgress = async () => {
      clearInterval(progressTimer)
      await progressWrites
    }
    const watchdog = new StallWatchdog(limits.stallTimeoutMs, (stall) => { controller.abort(stall) })
    options.metrics.started()
    const figures = () => ({ seconds: (Date.now() - startedAt) / 1000, messages: progress.messages, bytes: progress.bytes })
    const logFields = { exportId: job._id, userId: user._id, rid: room._id, reqId, ...(job.attempt > 1 ? { attempt: job.attempt } : {}) }

    const archive = new ExportArchive(controller.signal, watchdog)
    // Its failure (the byte limit) destroys both ends; the storage hears it through `toStorage`.
    const toStorage = pipeline(archive.output, countingBytes(progress, zipHash, watchdog, limits.maxExportBytes), () => {})
    // A storage that failed before it listened (or never does) must not leave the destroyed source's error unheard.
    toStorage.on('error', () => {})
    const stored = options.storage.write(storageKeyOf(job), toStorage)
    stored.catch((err: unknown) => { controller.abort(err) })

    try {
      await writeOwn({ status: 'running' })
      // Counted beside the read, not before it, so a slow count never holds the read back (FerretDB
      // reads every document of the collection to count): the status shows the total once it is
      // known, and HTML's first part holds back its text until then (its head says "Part 1 of 3").
      const counting = this.countMessages(job, range, controller.signal)
      const totalWritten = counting.then((total) => { if (total !== undefined) queueWrite(() => ({ total })) })
      // An export that fails first leaves the count to nobody (raceAbort rejects it on the abort).
      totalWritten.catch(() => {})
      const context = buildExportContext(room, range, user, new Date())
      const includeHistory = job.request?.includeHistory === true
      const historyCounts: HistoryCounts = { earlierVersions: 0, deletions: 0 }
      const query = { rid: room._id, from: range.from, to: range.to }
      if (includeHistory) {
        watchdog.waitingOn('the repository')
        context.deleted = await readDeletions(options.repository, query, controller.signal, { stage: 'the repository', watchdog })
        historyCounts.deletions = context.deleted.length
      }
      const uploads = new Map<string, FileRef>()
      const flawed = new FlawedMessages()
      let firstMessage: ExportMessage | undefined
      let lastMessage: ExportMessage | undefined
      const read = exportableMessages(
        options.repository.findMessages(query),
        controller.signal,
        watchdog,
        flawed,
        (message) => {
          if (++progress.messages > limits.maxExportMessages) throw new ExportLimitError('messages', limits.maxExportMessages, 'maxExportMessages')
          firstMessage ??= message
          lastMessage = message
          if (options.repository.openFile !== undefined) for (const file of messageFiles(message)) uploads.set(file._id, file)
        }
      )
      const messages = includeHistory ? withHistory(read, options.repository, room._id, controller.signal, { stage: 'the repository', watchdog }, historyCounts) : read
      const parts: EntryDigest[] = []
      const rendering = { usesMath: false }
      const { repository } = options
      const pictures = job.format === 'html' && (repository.openAvatar !== undefined || repository.openCustomEmoji !== undefined)
        ? new ArchivedPictures(repository, controller.signal, watchdog, log.child({ exportId: job._id }))
        : null
      const total = { value: counting, waiting: () => { watchdog.waitingOn('counting the messages') } }
      for await (const part of await this.renderParts(job.format, context, total, messages, archiveBaseName(room), user, watchdog, flawed, rendering, pictures, controller.signal)) {
        parts.push(await archive.addText(part.name, part.chunks))
      }
      const archivedPictures = pictures === null ? null : await pictures.archive(archive)
      // Pages with formulas link KaTeX's style sheet, which loads its fonts: both go in once.
      if (rendering.usesMath) await addMathStyle(archive)
      // A JSON export carries the schema it follows, so the archive can be checked on its own.
      if (job.format === 'json') await archive.addBuffer('schema.json', Buffer.from(exportDocumentJsonSchema))
      const assets = await this.addUploads(archive, room._id, [...uploads.values()], controller.signal, watchdog)
      if (options.signing !== null) await archive.addBuffer('VERIFY.txt', Buffer.from(verifyInstructions({ keyId: options.signing.keyId, keysUrl: options.publicUrl === null ? null : `${options.publicUrl}${this.deps.keysPath}`, timestamped: options.timestamp !== null })))
      const manifest: Manifest = {
        generator: { name: packageName, version: packageVersion },
        query: {
          rid: room._id,
          roomName: room.name ?? null,
          roomType: room.t,
          from: context.range.from,
          to: context.range.to,
          timezone: context.range.timezone,
          format: job.format,
          requester: { _id: user._id, username: user.username },
          includeHistory
        },
        room: context.room,
        range: context.range,
        format: job.format,
        exportedAt: context.exportedAt,
        exportedBy: context.exportedBy,
        messageCount: progress.messages,
        counts: {
          messages: progress.messages,
          parts: parts.length,
          assets: assets.included.length,
          missingAssets: assets.missing.length,
          fallbackMessages: flawed.count,
          ...(includeHistory ? historyCounts : {})
        },
        firstMessage: firstMessage === undefined ? null : { _id: firstMessage._id, ts: isKnownTime(firstMessage.ts) ? firstMessage.ts.toISOString() : null },
        lastMessage: lastMessage === undefined ? null : { _id: lastMessage._id, ts: isKnownTime(lastMessage.ts) ? lastMessage.ts.toISOString() : null },
        leftOut: includeHistory ? leftOut.slice(1) : leftOut,
        parts,
        assets,
        ...(archivedPictures === null ? {} : { pictures: archivedPictures }),
        malformedMessages: { count: flawed.count, listed: flawed.listed },
        entries: [...archive.entries],
        ...(options.timestamp === null ? {} : { timestamped: true as const }),
        complete: true
      }
      await this.addManifest(archive, manifest, controller.signal, watchdog)
      await archive.end()
      watchdog.waitingOn('the storage')
      await raceAbort(stored, controller.signal)
      watchdog.waitingOn('counting the messages')
      await totalWritten
      watchdog.stop()
      await stopProgress()
      const finishedAt = new Date()
      const done: Partial<ExportJob> = {
        status: 'done',
        messages: progress.messages,
        bytes: progress.bytes,
        sha256: zipHash.digest('hex'),
        finishedAt,
        expiresAt: new Date(finishedAt.getTime() + limits.exportTtlMs)
      }
      await writeOwn(done)
      options.metrics.ended('file', job.format, 'done', figures())
      if (flawed.count > 0) logFlawedMessages(log, logFields, flawed)
      log.info({ ...logFields, messages: progress.messages, bytes: progress.bytes, ms: Date.now() - startedAt }, 'rooms.export: export done')
      await announceExport(this.deps, { ...job, ...done }, user, room, range.timezone)
    } catch (err) {
      watchdog.stop()
      // What stopped the pipeline (a stall, a limit, the disk, shutdown), not the AbortError it caused downstream.
      const cause: unknown = controller.signal.aborted ? controller.signal.reason : err
      controller.abort(cause)
      archive.destroy(cause as Error)
      // Destroyed here too: a storage that stopped reading would never pull the archive's error through.
      toStorage.destroy(cause as Error)
      const reason = failureReason(cause, watchdog.currentStage)
      const failedFields = { ...logFields, messages: progress.messages, ms: Date.now() - startedAt, reason }
      // Cancelled here, or (the record says so) through another instance.
      const cancelled = cause instanceof CancelledError || (cause instanceof JobLostError && (await jobs.findById(job._id).catch(() => null))?.status === 'cancelled')
      // Stopped here by the server closing, or by another instance that runs it now: it ends elsewhere.
      options.metrics.ended('file', job.format, cancelled ? 'cancelled' : cause instanceof ShutdownError || cause instanceof JobLostError ? null : 'failed', figures())
      if (cancelled) log.info({ ...logFields, messages: progress.messages, ms: Date.now() - startedAt }, 'rooms.export: export cancelled')
      else if (cause instanceof ShutdownError) log.warn(failedFields, 'rooms.export: export aborted by shutdown')
      else log.error({ ...failedFields, err: cause }, 'rooms.export: export failed')
      // A storage that ignores its destroyed source gets one more stall period to let go.
      await raceAbort(stored.catch(() => {}), this.cleanUpSignal()).catch(() => {})
      await stopProgress()
      // Shut down where another instance can take the job over, it is handed over rather than failed;
      // a lost or cancelled job's record already says what became of it. Either way what this attempt stored goes.
      const handOver = cause instanceof ShutdownError && jobs.handOver !== undefined
      const failed = await this.discard(job, reason, progress.messages, !handOver && !(cause instanceof JobLostError) && !cancelled)
      if (handOver) await this.handOver(job)
      if (!(cause instanceof ShutdownError) && !cancelled) await this.reportFailure(failed, user, reason, cause)
    }
  }

  /**
   * `manifest.json`, and with `signing` its signature `manifest.jws`; with a
   * `timestamp` hook, the token it returns for the manifest's SHA-256 as
   * `manifest.tsr` — checked to stamp that digest, since an archive with a
   * token over something else would only look time-stamped.
   */
  private async addManifest (archive: ExportArchive, manifest: Manifest, signal: AbortSignal, watchdog: StallWatchdog): Promise<void> {
    const { signing, timestamp } = this.deps.options
    // Ed25519 signs the bytes whole, not a digest: only then are they kept, each chunk as it goes in.
    const kept: Buffer[] = []
    const { sha256 } = await archive.addBytes('manifest.json', manifestChunks(manifest), { onChunk: signing === null ? undefined : (chunk) => { kept.push(chunk) } })
    if (signing !== null) await archive.addBuffer('manifest.jws', Buffer.from(signManifest(Buffer.concat(kept), signing)))
    if (timestamp === null) return
    const digest = Buffer.from(sha256, 'hex')
    watchdog.waitingOn('the timestamp hook')
    const answer = await raceAbort(timestamp(digest), signal)
    const stamped = answer instanceof Uint8Array ? readTimestampToken(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength)) : null
    if (stamped === null) throw new StageError('the timestamp hook', new Error('it returned no RFC 3161 time-stamp token'))
    if (!stamped.imprint.digest.equals(digest)) throw new StageError('the timestamp hook', new Error('its token stamps another digest than the manifest\'s SHA-256'))
    await archive.addBuffer('manifest.tsr', stamped.token)
  }

  /**
   * The status's `total`, counted once, beside the read: it is only for display,
   * so a repository that cannot count (or fails to) costs the figure, not
   * the export.
   */
  private async countMessages (job: ExportJob, range: ResolvedRange, signal: AbortSignal): Promise<number | undefined> {
    const { repository } = this.deps.options
    if (repository.countMessages === undefined) return undefined
    try {
      const total = await raceAbort(repository.countMessages({ rid: job.rid, from: range.from, to: range.to }), signal)
      return total !== null && Number.isSafeInteger(total) && total >= 0 ? total : undefined
    } catch (err) {
      signal.throwIfAborted()
      this.deps.log.warn({ err, exportId: job._id }, 'rooms.export: counting the messages failed; the status shows no total')
      return undefined
    }
  }

  /**
   * The owner's cancel: a queued or running export stops — nothing stays
   * stored, its slot is free at once, it reads `cancelled`; a finished one
   * (done or failed) is removed; a cancelled one stays as it is.
   */
  async cancel (job: ExportJob): Promise<void> {
    const { jobs, options, log } = this.deps
    let current: ExportJob | null = job
    if (job.status === 'queued' || job.status === 'running') {
      const finishedAt = new Date()
      const cancelled: Partial<ExportJob> = { status: 'cancelled', bytes: 0, finishedAt, expiresAt: new Date(finishedAt.getTime() + options.limits.exportTtlMs) }
      if (await jobs.cancel(job, cancelled)) {
        // Running here: stopped now. Running elsewhere: its instance reads the record at its next write.
        this.running.get(job._id)?.controller.abort(new CancelledError())
        log.info({ exportId: job._id, userId: job.userId }, 'rooms.export: export cancelled by its owner')
        return
      }
      // It ended meanwhile: cancelled as the finished export it now is.
      current = await jobs.findById(job._id)
    }
    if (current?.status === 'done' || current?.status === 'failed') {
      // Every attempt's key: a job failed because its instances stopped may still hold earlier ones.
      for (let attempt = 1; attempt <= current.attempt; attempt++) await options.storage.remove(storageKeyOf({ _id: current._id, attempt }))
      await jobs.remove(current._id)
      log.info({ exportId: current._id, userId: current.userId, status: current.status }, 'rooms.export: finished export removed by its owner')
    }
  }

  /** How long clean-up keeps trying: one stall period (a database restart), or until close() gives up. */
  private cleanUpSignal (): AbortSignal {
    return AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.deps.options.limits.stallTimeoutMs)])
  }

  private async reportFailure (failed: ExportJob, user: ExportUser, reason: string, cause?: unknown): Promise<void> {
    const { options, log } = this.deps
    if (options.onExportFailed === null) return
    // The hook is the host's own code: it gets what failed, as thrown (the status shows only the stage).
    await options.onExportFailed(failed, user, new Error(reason, { cause: cause instanceof StageError ? cause.cause : cause }))
      .catch((err: unknown) => { log.error({ err, exportId: failed._id }, 'rooms.export: onExportFailed failed') })
  }

  /** Until close() gives up: a database restart in between leaves the job to time out instead, and be taken over then. */
  private async handOver (job: ExportJob): Promise<void> {
    await retrying(() => this.deps.jobs.handOver!(job), { signal: this.closing.signal })
      .then(() => { this.deps.log.info({ exportId: job._id, attempt: job.attempt }, 'rooms.export: export handed over to another server instance') })
      .catch(() => {})
  }

  /** A failed attempt leaves nothing stored and says why — unless what failed is what would store that. */
  private async discard (job: ExportJob, reason: string, messages: number, record: boolean): Promise<ExportJob> {
    const { jobs, options, log } = this.deps
    // Clean-up keeps trying for one stall period (a database restart), or until close() gives up;
    // then close()'s warning already names this export, so there is no second report.
    const signal = this.cleanUpSignal()
    const unlessClosed = (err: unknown, message: string) => { if (!this.closing.signal.aborted) log.error({ err, exportId: job._id }, message) }
    await retrying(() => options.storage.remove(storageKeyOf(job)), { signal })
      .catch((err: unknown) => { unlessClosed(err, 'rooms.export: removing a failed export failed') })
    const finishedAt = new Date()
    const failed: ExportJob = { ...job, status: 'failed', error: reason, messages, bytes: 0, finishedAt, expiresAt: new Date(finishedAt.getTime() + options.limits.exportTtlMs) }
    const { _id: id, ...patch } = failed
    if (record) {
      await retrying(() => jobs.update(job, patch), { signal })
        .catch((err: unknown) => { unlessClosed(err, 'rooms.export: recording a failed export failed') })
    }
    return failed
  }

  /** The export's parts as they render; once they have all been read, `rendering.usesMath` says whether a formula was typeset. */
  private async renderParts (format: ExportFormat, context: ExportContext, total: PendingCount, messages: AsyncIterable<ExportMessage[]>, baseName: string, user: ExportUser, watchdog: StallWatchdog, flawed: FlawedMessages, rendering: { usesMath: boolean }, archivedPictures: ArchivedPictures | null, signal: AbortSignal): Promise<AsyncIterable<RenderedPart> | Iterable<RenderedPart>> {
    const { options } = this.deps
    const { limits, translate } = options
    const repository = lookupsUntilAbort(options.repository, signal)
    const language = resolveLanguage(user.language)
    const archivesUploads = options.repository.openFile !== undefined
    const onUnusableTree = (messageId: string, field: string) => { flawed.note(messageId, [field]) }
    const pictures = archivedPictures === null ? undefined : { avatars: archivedPictures.reads('avatar'), emoji: archivedPictures.reads('emoji'), pathsOf: archivedPictures.pathsOf }
    if (format === 'html' && options.renderInWorker) {
      return renderHtmlPartsInWorker({ context, total, messages, baseName, messagesPerPart: limits.htmlMessagesPerPart, language, archivesUploads, inlineImageBytes: limits.inlineImageBytes, repository, translate, waitingOn: (stage) => { watchdog.waitingOn(stage) }, onUnusableTree, typesetsMath: true, onMath: () => { rendering.usesMath = true }, pictures, signal })
    }
    const labels = createDateLabels(language, context.range.timezone)
    const renderer = await MessageRenderer.create({ target: 'page', labels, translate, repository, rid: context.room._id, archivesUploads, inlineImageBytes: limits.inlineImageBytes, onUnusableTree, typesetsMath: format === 'html', pictures })
    if (format === 'json') return [{ name: `${baseName}.json`, chunks: renderJsonDocument(context, messages, jsonExtrasOf(renderer, repository, archivesUploads)) }]
    return (async function * () {
      yield * renderHtmlParts(await loadTemplates(), context, messages, baseName, limits.htmlMessagesPerPart, renderer, labels, total)
      rendering.usesMath = renderer.usesMath
    })()
  }

  /** Uploads go into `assets/`; one the repository cannot open is listed as missing, not fatal. */
  private async addUploads (archive: ExportArchive, rid: string, uploads: FileRef[], signal: AbortSignal, watchdog: StallWatchdog): Promise<Manifest['assets']> {
    const assets: Manifest['assets'] = { included: [], missing: [] }
    const openFile = this.deps.options.repository.openFile?.bind(this.deps.options.repository)
    for (const file of uploads) {
      signal.throwIfAborted()
      let stream: NodeJS.ReadableStream | UnavailableUpload | null
      try {
        watchdog.waitingOn(`opening the upload ${JSON.stringify(file._id)}`)
        stream = await raceAbort(openFile!(file, rid), signal, (late) => { (late as { destroy?: () => void } | null)?.destroy?.() })
      } catch (err) {
        signal.throwIfAborted()
        this.deps.log.warn({ err, fileId: file._id }, 'rooms.export: opening an upload failed')
        assets.missing.push({ fileId: file._id, name: file.name, reason: 'could not be opened' })
        continue
      }
      if (stream === null) {
        assets.missing.push({ fileId: file._id, name: file.name, reason: 'not found' })
        continue
      }
      if (isUnavailable(stream)) {
        assets.missing.push({ fileId: file._id, name: file.name, reason: stream.unavailable.slice(0, 300) })
        continue
      }
      const head = new SniffedHead()
      const chunks = abortable(stream as AsyncIterable<Buffer>, signal, { stage: `the upload ${JSON.stringify(file._id)}`, watchdog })
      const { name: path, bytes, sha256 } = await archive.addBytes(assetPath(file), chunks, { compress: !isCompressedAlready(file), onChunk: (chunk) => { head.take(chunk) } })
        .catch((err: unknown) => {
          // A stream stuck in a read never sees its iterator closed: destroy it outright.
          (stream as { destroy?: () => void }).destroy?.()
          throw err
        })
      assets.included.push(isActiveUpload(file) || head.active ? { fileId: file._id, name: file.name, path, bytes, sha256, active: true } : { fileId: file._id, name: file.name, path, bytes, sha256 })
    }
    return assets
  }

  /** Runs at start and then periodically: jobs of stopped instances run again here, expired exports go. */
  async sweep (): Promise<void> {
    // One at a time: a slow one (a database away) is not joined by the next tick's.
    this.sweeping ??= this.sweepOnce().finally(() => { this.sweeping = null })
    await this.sweeping
  }

  private async sweepOnce (): Promise<void> {
    const { jobs, log } = this.deps
    if (jobs.takeOverStopped !== undefined && !this.closed) {
      let taken: ExportJob[] = []
      try {
        taken = await jobs.takeOverStopped()
      } catch (err) {
        log.error({ err }, 'rooms.export: taking over the exports of a stopped server failed')
      }
      for (const job of taken) {
        // One that cannot start now (its storage or database away) times out again and is taken over then.
        await this.runAgain(job, job.request!)
          .catch((err: unknown) => { log.error({ err, exportId: job._id }, 'rooms.export: running again an export of a stopped server failed') })
      }
      await this.removeLeftovers()
    }
    await this.removeExpired(new Date())
  }

  /**
   * A job failed because every instance that ran it stopped leaves nothing
   * stored: what any of its attempts wrote goes (a removal that fails is
   * tried again at the next sweep).
   */
  private async removeLeftovers (): Promise<void> {
    const { jobs, options, log } = this.deps
    try {
      for (const job of await jobs.findLeftovers!()) {
        for (let attempt = 1; attempt <= job.attempt; attempt++) await options.storage.remove(storageKeyOf({ _id: job._id, attempt }))
        await jobs.leftoversRemoved!(job._id)
        log.info({ exportId: job._id, attempts: job.attempt }, 'rooms.export: removed what the attempts of a failed export stored')
      }
    } catch (err) {
      log.error({ err }, 'rooms.export: removing what a failed export stored failed')
    }
  }

  /** Expired exports lose their zip and their job record. */
  private async removeExpired (now: Date): Promise<void> {
    const { jobs, options, log } = this.deps
    try {
      for (const job of await jobs.findExpired(now)) {
        await options.storage.remove(storageKeyOf(job))
        await jobs.remove(job._id)
      }
    } catch (err) {
      log.error({ err }, 'rooms.export: removing expired exports failed')
    }
  }

  /**
   * Aborts running exports (they end `failed`, nothing stored, not announced) and
   * waits until each has cleaned up — at most `closeTimeoutMs`; what is left then
   * (a database that is gone, say) is for the sweep at the next start.
   */
  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.sweepTimer)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, this.deps.options.limits.closeTimeoutMs) })
    // A sweep under way hands what it took over back rather than starting it; then nothing new starts.
    let outcome: unknown = await Promise.race([this.sweeping, deadline])
    const running = [...this.running.entries()]
    for (const [, { controller }] of running) controller.abort(new ShutdownError())
    if (outcome !== 'timeout') outcome = await Promise.race([Promise.all(running.map(([, { finished }]) => finished)), deadline])
    clearTimeout(timer)
    await this.deps.jobs.close?.()
    if (outcome === 'timeout') {
      this.closing.abort()
      const unfinished = [...this.running.keys()]
      this.deps.log.warn({ exportIds: unfinished }, 'rooms.export: exports still cleaning up at close; the sweep at the next start removes what they leave')
    }
  }
}

/**
 * KaTeX's style sheet and the fonts it loads (`katex/katex.min.css`,
 * `katex/fonts/*.woff2` — every browser that runs the page reads WOFF2, so
 * its WOFF and TTF copies stay out), from the installed katex package.
 */
async function addMathStyle (archive: ExportArchive): Promise<void> {
  let directory: string
  try {
    directory = dirname(requireHere().resolve('katex/dist/katex.min.css'))
  } catch {
    /* c8 ignore next -- katex is a dependency: only a bundle that left it out lacks it (formulas are then source) */
    return
  }
  await archive.addBuffer('katex/katex.min.css', await readFile(join(directory, 'katex.min.css')))
  for (const font of (await readdir(join(directory, 'fonts'))).filter((name) => name.endsWith('.woff2')).sort()) {
    await archive.addBuffer(`katex/fonts/${font}`, await readFile(join(directory, 'fonts', font)))
  }
}

/** Bytes of a manifest gathered this many at a time: enough that the zip takes few pieces. */
const manifestChunkSize = 64 * 1024

/** `manifest.json`'s text (`JSON.stringify(manifest, null, 2)` and a line end) as UTF-8, in chunks: see `prettyJsonPieces`. */
function * manifestChunks (manifest: Manifest): Generator<Buffer> {
  const pending = new Utf8Chunks(manifestChunkSize)
  for (const piece of prettyJsonPieces(manifest)) {
    pending.add(piece)
    if (pending.full) yield pending.take()
  }
  pending.add('\n')
  yield pending.take()
}

function isUnavailable (opened: NodeJS.ReadableStream | UnavailableUpload): opened is UnavailableUpload {
  return typeof (opened as UnavailableUpload).unavailable === 'string' && typeof (opened as { pipe?: unknown }).pipe !== 'function'
}

/** A browser sniffs the first 512 bytes of a file. */
const sniffedBytes = 512

/**
 * An upload's first bytes, gathered from its chunks however the stream cuts them, and judged by
 * a browser's sniffing rules (`uploadSniffsActive`). Fed by the archive's hook on each chunk
 * rather than by a generator around the upload's chunks (see `ZipWriter.addEntry`).
 */
class SniffedHead {
  private head: Buffer | null = Buffer.alloc(0)
  private sniffedActive = false

  take (chunk: Buffer): void {
    if (this.head === null) return
    // Only what is sniffed is copied, not the whole first chunk (an upload often comes in one).
    this.head = Buffer.concat([this.head, chunk.subarray(0, sniffedBytes - this.head.length)])
    if (this.head.length >= sniffedBytes) {
      this.sniffedActive = uploadSniffsActive(this.head)
      this.head = null
    }
  }

  /** Whether a browser would run the upload; an upload shorter than what is sniffed is judged whole. */
  get active (): boolean {
    return this.head === null ? this.sniffedActive : uploadSniffsActive(this.head)
  }
}

/**
 * The zip's bytes on their way to storage: counted, hashed (the download's ETag), capped at
 * `maxBytes`; each chunk is progress. A stage piped from the zip, not a loop over it: a stream's
 * async iterator reads all it holds at once, so every chunk but the first of a read was copied
 * into a new buffer (every upload's bytes again, ~20 MB of garbage buffers at a time in the
 * uploads of a 1M-message export).
 */
function countingBytes (progress: { bytes: number }, hash: Hash, watchdog: StallWatchdog, maxBytes: number): Transform {
  return new Transform({
    transform (chunk: Buffer, _encoding, pass) {
      progress.bytes += chunk.length
      hash.update(chunk)
      if (progress.bytes > maxBytes) {
        pass(new ExportLimitError('bytes', maxBytes, 'maxExportBytes'))
        return
      }
      watchdog.progress()
      pass(null, chunk)
    }
  })
}
