import { Readable } from 'node:stream'
import { byTsThenId, type ExportMessage, type ExportRoom, type ExportUser, type FileRef, type MessageDeletion, type RoomRepository } from '../model.ts'

export interface MemoryRepositoryData {
  rooms: ExportRoom[]
  messages: ExportMessage[]
  users: ExportUser[]
  /** Uploads by file id: the room each belongs to, and its content (served by `openFile` for that room only). */
  files?: Record<string, { rid: string, content: Buffer | string }>
  /**
   * Deleted messages, as Rocket.Chat's trash keeps them: the room, when the
   * message was sent and when it was deleted (served by `findDeletions`).
   * Earlier versions of edited messages are `messages` with `_hidden: true`
   * and `parent` (served by `findHistory`).
   */
  deletions?: (MessageDeletion & { rid: string, ts: Date })[]
  /** Avatar pictures by username (served by `openAvatar`, which exists only with this field). */
  avatars?: Record<string, Buffer>
  /** Custom emoji pictures by name, an alias as a name of its own (served by `openCustomEmoji`, which exists only with this field). */
  customEmoji?: Record<string, Buffer>
}

/** Index of the first message with `ts >= instant` in a sorted list. */
function firstAtOrAfter (messages: ExportMessage[], instant: number): number {
  let low = 0
  let high = messages.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (messages[middle].ts.getTime() < instant) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * The embedded default repository: the data lives in this process, messages
 * sorted per room once, range reads by binary search. Used by the demo server
 * and the tests; a host with its own database writes its own `RoomRepository`.
 */
export function createMemoryRepository (data: MemoryRepositoryData): RoomRepository {
  const rooms = new Map(data.rooms.map((room) => [room._id, room]))
  const users = new Map(data.users.map((user) => [user.username, user]))
  const messagesByRoom = new Map<string, ExportMessage[]>()
  for (const message of data.messages) {
    const list = messagesByRoom.get(message.rid)
    if (list === undefined) messagesByRoom.set(message.rid, [message])
    else list.push(message)
  }
  for (const list of messagesByRoom.values()) list.sort(byTsThenId)
  const files = new Map(Object.entries(data.files ?? {}))
  const versionsByParent = new Map<string, ExportMessage[]>()
  for (const message of data.messages) {
    if (message._hidden === true && message.parent !== undefined) versionsByParent.set(message.parent, [...versionsByParent.get(message.parent) ?? [], message])
  }
  const deletions = [...data.deletions ?? []].sort((a, b) => a.ts.getTime() - b.ts.getTime())
  const picture = (pictures: Record<string, Buffer>) => async (name: string) => Object.hasOwn(pictures, name) ? Readable.from([pictures[name]]) : null

  return {
    ...(data.avatars === undefined ? {} : { openAvatar: picture(data.avatars) }),
    ...(data.customEmoji === undefined ? {} : { openCustomEmoji: picture(data.customEmoji) }),
    async findRoomById (rid) {
      return rooms.get(rid) ?? null
    },

    async * findMessages ({ rid, from, to }) {
      const list = messagesByRoom.get(rid) ?? []
      const end = to.getTime()
      for (let index = firstAtOrAfter(list, from.getTime()); index < list.length; index++) {
        const message = list[index]
        if (message.ts.getTime() > end) return
        yield message
      }
    },

    async countMessages ({ rid, from, to }) {
      const list = messagesByRoom.get(rid) ?? []
      const end = to.getTime()
      let count = 0
      for (let index = firstAtOrAfter(list, from.getTime()); index < list.length && list[index].ts.getTime() <= end; index++) {
        if (list[index]._hidden !== true) count++
      }
      return count
    },

    async * findMessagesByIds (rid, ids) {
      const wanted = new Set(ids)
      for (const message of messagesByRoom.get(rid) ?? []) {
        if (wanted.has(message._id)) yield message
      }
    },

    async * findHistory (rid, ids) {
      for (const id of ids) {
        for (const version of versionsByParent.get(id) ?? []) {
          if (version.rid === rid) yield version
        }
      }
    },

    async * findDeletions ({ rid, from, to }) {
      for (const { rid: room, ts, ...deletion } of deletions) {
        if (room === rid && ts >= from && ts <= to) yield deletion
      }
    },

    async findUsersByUsernames (usernames) {
      return usernames.flatMap((username) => users.get(username) ?? [])
    },

    async openFile (file: FileRef, rid: string) {
      const upload = files.get(file._id)
      return upload?.rid === rid ? Readable.from([Buffer.from(upload.content)]) : null
    },

    async fileSize (file: FileRef, rid: string) {
      const upload = files.get(file._id)
      return upload?.rid === rid ? Buffer.byteLength(upload.content) : null
    }
  }
}
