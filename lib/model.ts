import type { MarkdownTree, MarkupNode } from './markup/tree.ts'

export type { MarkdownTree, MarkupNode }

/*
 * The Rocket.Chat-shaped data model the plugin reads. Hosts supply it through a
 * `RoomRepository`; the memory and Mongo backends implement it.
 */

/**
 * A user as Rocket.Chat stores one (`users`): what `authenticate` returns
 * for the requester, and what `findUsersByUsernames` returns for the people
 * an export names or mails.
 */
export interface ExportUser {
  /** the user's id: file exports are its own, and only it may read their status and download them */
  _id: string
  username: string
  /** the display name, shown with the username */
  name?: string
  /** where the "export ready" mail, an email export to oneself, or to this user as a recipient goes: the first valid address, verified ones first */
  emails?: { address: string, verified?: boolean }[]
  /** the language of dates and times (and `translate`'s `language`), as `de` or `pt-BR`; `en` when absent or unknown */
  language?: string
  /** the user's global roles; not read by the plugin (for a host's own hooks) */
  roles?: string[]
}

/** A room as Rocket.Chat stores one (`rocketchat_room`). */
export interface ExportRoom {
  _id: string
  /** the room type: `c` public channel, `p` private group, `d` direct messages, `l` omnichannel, … */
  t: string
  /** the room's name: the archive's file name (the room's id when absent) */
  name?: string
  /** the display name: the export's title, before `name` */
  fname?: string
  topic?: string
  /** the members' usernames, as Rocket.Chat keeps them on direct rooms; not read by the plugin (for a host's `canAccessRoom`) */
  usernames?: string[]
}

/** An upload a message carries (`file`, `files`). */
export interface FileRef {
  /** the upload's id (`rocketchat_uploads`), given to `openFile` and `fileSize` */
  _id: string
  /** its file name, kept (made safe) in the archive: `assets/<_id>-<name>` */
  name: string
  /** its MIME type: images are shown in the page, others linked */
  type?: string
  /** its size as the message claims it, shown when the repository has no `fileSize` */
  size?: number
}

/** An attachment of a message (`attachments`): an upload's preview, a quote, an integration's card. */
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

/**
 * A message as Rocket.Chat stores one (`rocketchat_message`). What a
 * repository returns is read field by field: a field of another type than
 * declared here is left out, never trusted.
 */
export interface ExportMessage {
  _id: string
  /** the room's id */
  rid: string
  /** when it was sent */
  ts: Date
  /** its text (Rocket.Chat's markdown); on a system message, what the event names (a username, a topic, …) */
  msg: string
  /** its author */
  u: { _id: string, username: string, name?: string }
  /** system message type (uj, ul, au, ru, r, …) */
  t?: string
  /** thread parent, on a reply */
  tmid?: string
  /** reply count, on a thread parent */
  tcount?: number
  /** when and by whom it was last edited */
  editedAt?: Date
  editedBy?: { _id: string, username: string }
  pinned?: boolean
  /** edit-history copies: never exported as messages (with `includeHistory`, as their message's earlier versions) */
  _hidden?: boolean
  /** on an edit-history copy: the id of the message it is an earlier version of */
  parent?: string
  /** by emoji shortcode (`:+1:`), with who reacted */
  reactions?: Record<string, { usernames: string[] }>
  attachments?: MessageAttachment[]
  /** the message's upload (Rocket.Chat's older field; `files` holds them all) */
  file?: FileRef
  /** the message's uploads */
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
  /** set by the plugin with `includeHistory`: the message's earlier versions, oldest first */
  history?: MessageVersion[]
}

/**
 * An earlier version of a message (Rocket.Chat's `_hidden` copy): its text
 * then, and when and by whom it was replaced — a copy's `editedAt` and
 * `editedBy` are those of the edit (or deletion) that superseded it.
 */
export interface MessageVersion {
  msg: string
  md?: MarkdownTree
  editedAt: Date
  editedBy?: { _id: string, username: string }
}

/** A message of the range that was deleted: when, and by whom when known. */
export interface MessageDeletion {
  _id: string
  deletedAt: Date
  deletedBy?: { _id: string, username: string }
}

/** An upload that exists but is not read by the repository (a store it does not read): why, in words for the manifest. */
export interface UnavailableUpload {
  unavailable: string
}

/** The messages `findMessages` is asked for: one room's, sent between `from` and `to`. */
export interface MessageRangeQuery {
  /** the room's id */
  rid: string
  /** inclusive */
  from: Date
  /** inclusive */
  to: Date
}

/**
 * Where the plugin reads rooms, messages, users and uploads (the `repository`
 * option; `createMemoryRepository`, `createMongoRepository`).
 *
 * The plugin calls every method through a guard: a synchronous throw is a
 * rejection too. A failure during a file export fails it (its status reads
 * `the repository failed`; the log and `onExportFailed` get the error); during
 * a request it is answered 500 `error-internal` and logged. A call or an
 * iteration that makes no progress for `limits.stallTimeoutMs` fails the
 * export. What comes back is read field by field (see `ExportMessage`).
 */
export interface RoomRepository {
  /**
   * The room, or `null` when there is none (answered 400
   * `error-invalid-room`). Called for every export request once
   * `hasPermission` allowed it, and again when an export is run again after
   * its server stopped (a room gone by then fails it).
   */
  findRoomById (rid: string): Promise<ExportRoom | null>
  /**
   * The room's messages with `from <= ts <= to`, in ascending `ts`, then
   * `_id` (byte order, as MongoDB sorts strings); `_hidden` ones may be
   * included (the plugin drops them). Called once per file export, and per
   * email export of a date range; read as the export goes, and left
   * unfinished (its `return()` called) when the export stops.
   */
  findMessages (query: MessageRangeQuery): AsyncIterable<ExportMessage>
  /**
   * The messages of room `rid` among `ids`, in any order; unknown ids and
   * other rooms' messages are left out. Serves email exports of chosen
   * `messages`, and the parent of a thread reply when it is not in the
   * export (a failure then fails the export).
   */
  findMessagesByIds (rid: string, ids: string[]): AsyncIterable<ExportMessage>
  /**
   * The users among `usernames`, in any order; unknown ones are left out.
   * Serves email exports' `toUsers` (their addresses; a failure fails the
   * request) and the display names of people system messages name (a
   * failure keeps the username).
   */
  findUsersByUsernames (usernames: string[]): Promise<ExportUser[]>
  /**
   * An upload's content, or `null` when it is not stored — or is not one of
   * room `rid`'s uploads: a message may name any file id, and an export of
   * one room must never carry another room's file. An upload that exists
   * where this repository cannot read it answers why (`{ unavailable }`),
   * which the manifest lists. Called once per upload of a file export,
   * which archives it under `assets/`; without this method file exports
   * carry no uploads.
   */
  openFile? (file: FileRef, rid: string): Promise<NodeJS.ReadableStream | UnavailableUpload | null>
  /**
   * The stored size in bytes of an upload of room `rid` (`null`: not stored,
   * or not that room's), so a page can show it and decide to inline an image
   * before the upload is archived. Without this method the size the message
   * claims is shown.
   */
  fileSize? (file: FileRef, rid: string): Promise<number | null>
  /**
   * A person's avatar picture (PNG, JPEG, GIF or WebP; at most 1 MB), or
   * `null` when they have none — the page then shows their initials. Called
   * twice per author of an HTML file export (to name the picture, then to
   * archive it under `avatars/`); anything else it gives (an SVG, an error)
   * leaves the initials and is listed in the manifest's `pictures.missing`.
   */
  openAvatar? (username: string): Promise<NodeJS.ReadableStream | UnavailableUpload | null>
  /**
   * A custom emoji's picture by its name or an alias (as `:name:` is
   * written), or `null` when the server has no such emoji — the page then
   * shows `:name:` as text. Called as `openAvatar` is, for every `:name:` of
   * an HTML file export's texts and reactions that is no Unicode emoji;
   * archived under `emoji/`.
   */
  openCustomEmoji? (name: string): Promise<NodeJS.ReadableStream | UnavailableUpload | null>
  /**
   * How many messages `findMessages` yields for the same query, leaving out
   * `_hidden` edit-history copies — counted once when a file export starts,
   * beside the read, for the status's `total` and `progress` and the HTML
   * parts' labels. Without this method, when it answers `null` (it does not
   * count here) or when it fails (it is only for display), the status has
   * neither.
   */
  countMessages? (query: MessageRangeQuery): Promise<number | null>
  /**
   * The earlier versions of messages `ids` of room `rid` (Rocket.Chat keeps
   * them, with `Message_KeepHistory`, as `_hidden` copies whose `parent` is
   * the message's id), in any order. Called with `includeHistory` only, for
   * each batch of edited (or deleted-with-status, `t: 'rm'`) messages.
   */
  findHistory? (rid: string, ids: string[]): AsyncIterable<ExportMessage>
  /**
   * The messages of the room sent in the range (`from <= ts <= to`) that
   * were deleted (Rocket.Chat: `rocketchat__trash`, or `_hidden` without a
   * `parent`), oldest first. Called once per export with `includeHistory`.
   */
  findDeletions? (query: MessageRangeQuery): AsyncIterable<MessageDeletion>
}

/** The export order: ascending `ts`, then `_id` (byte order, as MongoDB sorts strings). */
export function byTsThenId (a: ExportMessage, b: ExportMessage): number {
  return a.ts.getTime() - b.ts.getTime() || Number(a._id > b._id) - Number(a._id < b._id)
}
