import type { MarkdownTree, MarkupNode } from './markup/tree.ts'

export type { MarkdownTree, MarkupNode }

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
  image_type?: string
  audio_url?: string
  video_url?: string
  type?: string
  description?: string
  /** the stored markup tree of `description` (an upload's description) */
  descriptionMd?: MarkdownTree
  text?: string
  /** the stored markup tree of `text` (quotes, integrations' attachments) */
  md?: MarkdownTree
  /** quotes and replies: who wrote the quoted message, its permalink and time */
  author_name?: string
  message_link?: string
  ts?: Date
  /** a quote of a message that itself quoted one */
  attachments?: MessageAttachment[]
}

/** A link the server previewed (`urls[].meta` in Rocket.Chat): text only, an export never loads its image. */
export interface MessageUrl {
  url: string
  title?: string
  description?: string
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
  /** the markup tree Rocket.Chat stored for `msg`; when present it is rendered instead of parsing `msg` */
  md?: MarkdownTree
  /** users and channels the message mentions (display names come from here) */
  mentions?: { _id: string, username?: string, name?: string }[]
  channels?: { _id: string, name?: string, fname?: string }[]
  urls?: MessageUrl[]
  /** the role given or taken, on `subscription-role-added` / `-removed` */
  role?: string
  /** omnichannel events, flattened to text by the repository: a comment, the page a visitor opened, a transfer, a priority or SLA set */
  comment?: string
  navigation?: string
  transfer?: string
  priority?: string
  sla?: string
}

/** An upload that exists but is not read by the repository (a store it does not read): why, in words for the manifest. */
export interface UnavailableUpload {
  unavailable: string
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
  /**
   * An upload's content, or `null` when it is not stored — or is not one of
   * room `rid`'s uploads: a message may name any file id, and an export of
   * one room must never carry another room's file. An upload that exists
   * where this repository cannot read it answers why (`{ unavailable }`),
   * which the manifest lists.
   */
  openFile? (file: FileRef, rid: string): Promise<NodeJS.ReadableStream | UnavailableUpload | null>
  /** the stored size of an upload of room `rid` (`null`: not stored, or not that room's), so a page can show it and decide to inline an image before the upload is archived */
  fileSize? (file: FileRef, rid: string): Promise<number | null>
}

/** The export order: ascending `ts`, then `_id` (byte order, as MongoDB sorts strings). */
export function byTsThenId (a: ExportMessage, b: ExportMessage): number {
  return a.ts.getTime() - b.ts.getTime() || Number(a._id > b._id) - Number(a._id < b._id)
}
