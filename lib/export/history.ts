import type { ExportMessage, MessageRangeQuery, MessageVersion, RoomRepository } from '../model.ts'
import type { ExportContext } from '../schemas.ts'
import { isKnownTime } from '../stored-message.ts'
import { abortable, type Watched } from './abortable.ts'

/** What `includeHistory` added to an export, for its manifest. */
export interface HistoryCounts {
  earlierVersions: number
  deletions: number
}

type Editor = NonNullable<MessageVersion['editedBy']>

function editorOf (value: unknown): Editor | undefined {
  const editor = value as Editor | undefined
  return typeof editor?._id === 'string' && typeof editor.username === 'string' ? { _id: editor._id, username: editor.username } : undefined
}

/** A stored copy as an earlier version of a message of room `rid`, or `null` when it is not one (another room's, no text, no time). */
function versionOf (copy: ExportMessage, rid: string): { parent: string, version: MessageVersion } | null {
  if (copy.rid !== rid || typeof copy.parent !== 'string' || typeof copy.msg !== 'string' || !(copy.editedAt instanceof Date) || !isKnownTime(copy.editedAt)) return null
  const version: MessageVersion = { msg: copy.msg, editedAt: copy.editedAt }
  if (Array.isArray(copy.md)) version.md = copy.md
  const editedBy = editorOf(copy.editedBy)
  if (editedBy !== undefined) version.editedBy = editedBy
  return { parent: copy.parent, version }
}

/**
 * The batches of messages, each edited message (or one deleted with
 * Rocket.Chat's "show deleted status", `t: 'rm'`) given its earlier versions
 * (`history`, oldest first) from `repository.findHistory` — one read per
 * batch that has such messages. An encrypted message's versions are
 * ciphertext too: they are left out.
 */
export async function * withHistory (
  batches: AsyncIterable<ExportMessage[]>,
  repository: RoomRepository,
  rid: string,
  signal: AbortSignal,
  watched: Watched,
  counts: HistoryCounts
): AsyncGenerator<ExportMessage[]> {
  for await (const batch of batches) {
    const ids = batch.filter((message) => (message.editedAt !== undefined || message.t === 'rm') && message.t !== 'e2e').map((message) => message._id)
    if (ids.length > 0) {
      const versions = new Map<string, MessageVersion[]>()
      for await (const copy of abortable(repository.findHistory!(rid, ids), signal, watched)) {
        const found = versionOf(copy, rid)
        if (found === null) continue
        versions.set(found.parent, [...versions.get(found.parent) ?? [], found.version])
      }
      for (const message of batch) {
        const history = versions.get(message._id)
        if (history === undefined) continue
        message.history = history.sort((a, b) => a.editedAt.getTime() - b.editedAt.getTime())
        counts.earlierVersions += history.length
      }
    }
    yield batch
  }
}

/** The range's deleted messages (`repository.findDeletions`), as the export states them; records without an id or a time are left out. */
export async function readDeletions (repository: RoomRepository, query: MessageRangeQuery, signal: AbortSignal, watched: Watched): Promise<NonNullable<ExportContext['deleted']>> {
  const deleted: NonNullable<ExportContext['deleted']> = []
  for await (const deletion of abortable(repository.findDeletions!(query), signal, watched)) {
    if (typeof deletion?._id !== 'string' || !(deletion.deletedAt instanceof Date) || !isKnownTime(deletion.deletedAt)) continue
    const deletedBy = editorOf(deletion.deletedBy)
    deleted.push(deletedBy === undefined ? { _id: deletion._id, deletedAt: deletion.deletedAt.toISOString() } : { _id: deletion._id, deletedAt: deletion.deletedAt.toISOString(), deletedBy })
  }
  return deleted
}
