/**
 * The Rocket.Chat-shaped data model the plugin reads. Hosts supply it through a
 * `RoomRepository`; the memory and Mongo backends implement it.
 */
export interface ExportUser {
  _id: string
  username: string
  name?: string
  emails?: { address: string, verified?: boolean }[]
  language?: string
  roles?: string[]
}

export interface ExportRoom {
  _id: string
  t: string
  name?: string
  fname?: string
  topic?: string
  usernames?: string[]
}

export interface FileRef {
  _id: string
  name: string
  type?: string
  size?: number
}

export interface MessageAttachment {
  title?: string
  title_link?: string
  image_url?: string
  type?: string
  description?: string
  text?: string
}

export interface ExportMessage {
  _id: string
  rid: string
  ts: Date
  msg: string
  u: { _id: string, username: string, name?: string }
  /** system message type (uj, ul, au, ru, r, …) */
  t?: string
  /** thread parent, on a reply */
  tmid?: string
  /** reply count, on a thread parent */
  tcount?: number
  editedAt?: Date
  editedBy?: { _id: string, username: string }
  pinned?: boolean
  /** edit-history copies: never exported */
  _hidden?: boolean
  reactions?: Record<string, { usernames: string[] }>
  attachments?: MessageAttachment[]
  file?: FileRef
  files?: FileRef[]
}

export interface MessageRangeQuery {
  rid: string
  /** inclusive */
  from: Date
  /** inclusive */
  to: Date
}

export interface RoomRepository {
  findRoomById (rid: string): Promise<ExportRoom | null>
  /** `from <= ts <= to`, ascending `ts` then `_id`, `_hidden` ones may be included (the plugin drops them). */
  findMessages (query: MessageRangeQuery): AsyncIterable<ExportMessage>
  findMessagesByIds (rid: string, ids: string[]): AsyncIterable<ExportMessage>
  findUsersByUsernames (usernames: string[]): Promise<ExportUser[]>
  openFile? (file: FileRef): Promise<NodeJS.ReadableStream | null>
}

/** The export order: ascending `ts`, then `_id` (byte order, as MongoDB sorts strings). */
export function byTsThenId (a: ExportMessage, b: ExportMessage): number {
  return a.ts.getTime() - b.ts.getTime() || Number(a._id > b._id) - Number(a._id < b._id)
}
