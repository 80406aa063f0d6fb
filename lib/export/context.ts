import type { ExportMessage, ExportRoom, ExportUser } from '../model.ts'
import type { ExportContext } from '../schemas.ts'
import type { ResolvedRange } from './range.ts'

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

/** A room name reduced to a file name that is safe on every system (direct rooms have none: their id). */
export function archiveBaseName (room: ExportRoom): string {
  const safe = (room.name ?? room._id).normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '').slice(0, 80)
  return safe === '' ? 'room' : safe
}

/** Drops edit-history copies (`_hidden`), which are never exported, and reports each message passed on. */
export async function * exportableMessages (messages: AsyncIterable<ExportMessage>, onMessage: (message: ExportMessage) => void): AsyncGenerator<ExportMessage> {
  for await (const message of messages) {
    if (message._hidden === true) continue
    onMessage(message)
    yield message
  }
}
