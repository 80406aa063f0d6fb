import type { FastifyBaseLogger } from 'fastify'
import type { ExportMessage, ExportRoom, ExportUser } from '../model.ts'
import type { ExportContext } from '../schemas.ts'
import { readStoredMessage, type FlawedMessages } from '../stored-message.ts'
import { abortableBatches } from './abortable.ts'
import type { ResolvedRange } from './range.ts'
import type { StallWatchdog } from './watchdog.ts'

/** The head every export starts with: the room, the resolved range, who exported it and when. */
export function buildExportContext (room: ExportRoom, range: ResolvedRange, user: ExportUser, exportedAt: Date): ExportContext {
  const context: ExportContext = {
    room: { _id: room._id, t: room.t },
    range: { from: range.from.toISOString(), to: range.to.toISOString(), timezone: range.timezone },
    exportedAt: exportedAt.toISOString(),
    exportedBy: { _id: user._id, username: user.username }
  }
  if (room.name !== undefined) context.room.name = room.name
  if (room.fname !== undefined) context.room.fname = room.fname
  if (room.topic !== undefined) context.room.topic = room.topic
  if (user.name !== undefined) context.exportedBy.name = user.name
  return context
}

/** A room name reduced to a file name that is safe on every system, at most 80 code points (direct rooms have none: their id). */
export function archiveBaseName (room: ExportRoom): string {
  const safe = Array.from((room.name ?? room._id).normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, ''))
    .slice(0, 80).join('') // by code points: a cut never splits a surrogate pair
  if (safe === '') return 'room'
  // The archive's own entries (`index.html`, `manifest.json`, `schema.json`) keep their names, also where case does not count.
  return reservedBaseNames.has(safe.toLowerCase()) ? `${safe}_room` : safe
}

const reservedBaseNames = new Set(['index', 'manifest', 'schema'])

/**
 * Messages travel from the repository to the renderer in arrays of this many.
 * Each array is one message to the HTML render worker and one request back for
 * more: 32 a batch meant ~60,000 wake-ups of the two threads in a 1M-message
 * export (see `htmlChunkSize` for the measurement with 128).
 */
const messageBatchSize = 128

/**
 * The repository's messages as an export reads them, in batches: each read
 * through `readStoredMessage` (the flaws of its record noted in `flawed`),
 * edit-history copies (`_hidden`) dropped, each message passed on reported to
 * `onMessage`, and the read abandoned (the iterator's `return()` called) when
 * `signal` aborts.
 */
export async function * exportableMessages (
  messages: AsyncIterable<ExportMessage>,
  signal: AbortSignal,
  watchdog: StallWatchdog,
  flawed: FlawedMessages,
  onMessage: (message: ExportMessage) => void
): AsyncGenerator<ExportMessage[]> {
  // One list for every message's flaws: most have none, and none pays for a list of its own.
  const flaws: string[] = []
  const shown = (stored: unknown) => {
    const message = readStoredMessage(stored, flaws)
    if (message._hidden === true) {
      flaws.length = 0
      return undefined
    }
    if (flaws.length > 0) {
      flawed.note(message._id, flaws)
      flaws.length = 0
    }
    onMessage(message)
    return message
  }
  yield * abortableBatches(messages, signal, { stage: 'the repository', watchdog }, messageBatchSize, shown)
}

/** Once per export: how many messages had stored fields it could not use, and the first of them. */
export function logFlawedMessages (log: FastifyBaseLogger, fields: object, flawed: FlawedMessages): void {
  log.warn({ ...fields, malformedMessages: flawed.count, first: flawed.listed.slice(0, 10) }, 'rooms.export: messages with stored fields the export could not use were exported without them')
}
