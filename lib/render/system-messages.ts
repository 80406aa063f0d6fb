import type { ExportMessage } from '../model.ts'

/**
 * A host's translation of one of the export's sentences (system messages),
 * by Rocket.Chat i18n key (`User_added_to`, `set__username__as__role_`, …;
 * `englishSentences` has every key and its English). Called while an export
 * renders, for each system message, with the sentence's variables each as
 * its own placeholder (`{ user_added: '{{user_added}}' }`, never the values)
 * and the requester's language (`de`, `pt-BR`; `en` by default).
 *
 * Return the translation, whose `{{name}}` placeholders the plugin fills in
 * (so Rocket.Chat's own i18n strings can be returned as they are), or
 * `undefined` to keep the English. Sentences read as "<actor> <text>", the
 * way Rocket.Chat shows them, so a translation is the text after the actor's
 * name (Rocket.Chat's own strings are written that way).
 *
 * It must answer synchronously: anything but a string (a promise too) keeps
 * the English. A throw fails the export (its status reads `the host's
 * translate failed`; an email export is answered 500 `error-internal`).
 */
export type Translate = (key: string, vars: Record<string, string>, language: string) => string | undefined

/** How the export names people: display name when known, else the username. */
export type NameOf = (username: string) => string

interface SentenceSource {
  /** Rocket.Chat's i18n key for the type, the one its `packages/message-types` registration uses */
  key: string
  vars: (message: ExportMessage, nameOf: NameOf) => Record<string, string>
  /** false for sentences that do not start with who did it ("Welcome, Bob") */
  startsWithActor?: boolean
}

const none = () => ({})
const subject = (name: string) => (message: ExportMessage, nameOf: NameOf) => ({ [name]: nameOf(message.msg) })
const text = (name: string, empty = '(none)') => (message: ExportMessage) => ({ [name]: message.msg === '' ? empty : message.msg })
const actorName = (message: ExportMessage, nameOf: NameOf) => ({ user: message.u.name ?? nameOf(message.u.username) })
const comment = (message: ExportMessage) => ({ comment: message.comment ?? (message.msg || 'no comment') })

/**
 * Every type Rocket.Chat registers (`packages/message-types/src/registrations`:
 * common, e2ee, otr, livechat, omnichannel, videoconf, voip) and the older
 * `discussion-created`, keyed as Rocket.Chat keys their text.
 */
const sources: Record<string, SentenceSource> = {
  uj: { key: 'User_joined_the_channel', vars: actorName },
  ul: { key: 'User_left_this_channel', vars: none },
  r: { key: 'Room_name_changed_to', vars: text('room_name') },
  au: { key: 'User_added_to', vars: subject('user_added') },
  ui: { key: 'User_invited_to_room', vars: subject('user_invited') },
  uir: { key: 'User_rejected_invitation_to_room', vars: none },
  'added-user-to-team': { key: 'Added__username__to_this_team', vars: subject('user_added') },
  ru: { key: 'User_has_been_removed', vars: subject('user_removed') },
  'removed-user-from-team': { key: 'Removed__username__from_the_team', vars: subject('user_removed') },
  ult: { key: 'User_left_this_team', vars: none },
  'user-converted-to-team': { key: 'Converted__roomName__to_a_team', vars: text('roomName') },
  'user-converted-to-channel': { key: 'Converted__roomName__to_a_channel', vars: text('roomName') },
  'user-removed-room-from-team': { key: 'Removed__roomName__from_the_team', vars: text('roomName') },
  'user-deleted-room-from-team': { key: 'Deleted__roomName__room', vars: text('roomName') },
  'user-added-room-to-team': { key: 'added__roomName__to_this_team', vars: text('roomName') },
  ujt: { key: 'User_joined_the_team', vars: actorName },
  ut: { key: 'User_joined_the_conversation', vars: actorName },
  wm: { key: 'Welcome', vars: actorName, startsWithActor: false },
  rm: { key: 'Message_is_removed', vars: none },
  'user-muted': { key: 'User_has_been_muted', vars: subject('user_muted') },
  'user-unmuted': { key: 'User_has_been_unmuted', vars: subject('user_unmuted') },
  'user-banned': { key: 'User_has_been_banned', vars: subject('user_banned') },
  'user-unbanned': { key: 'User_has_been_unbanned', vars: subject('user_unbanned') },
  'subscription-role-added': { key: 'set__username__as__role_', vars: (message, nameOf) => ({ username: nameOf(message.msg), role: message.role ?? 'a role' }) },
  'subscription-role-removed': { key: 'removed__username__as__role_', vars: (message, nameOf) => ({ username: nameOf(message.msg), role: message.role ?? 'a role' }) },
  'room-archived': { key: 'This_room_has_been_archived', vars: none },
  'room-unarchived': { key: 'This_room_has_been_unarchived', vars: none },
  'room-removed-read-only': { key: 'room_removed_read_only_permission', vars: none },
  'room-set-read-only': { key: 'room_set_read_only_permission', vars: none },
  'room-allowed-reacting': { key: 'room_allowed_reactions', vars: none },
  'room-disallowed-reacting': { key: 'room_disallowed_reactions', vars: none },
  room_changed_privacy: { key: 'room_changed_type', vars: (message) => ({ room_type: message.msg.toLowerCase() }) },
  room_changed_topic: { key: 'room_changed_topic_to', vars: text('room_topic') },
  room_changed_avatar: { key: 'room_avatar_changed', vars: none },
  room_changed_announcement: { key: 'changed_room_announcement_to__room_announcement_', vars: text('room_announcement') },
  room_changed_description: { key: 'changed_room_description_to__room_description_', vars: text('room_description') },
  message_pinned: { key: 'Pinned_a_message', vars: none },
  'abac-removed-user-from-room': { key: 'abac_removed_user_from_the_room', vars: none },
  'discussion-created': { key: 'Discussion_created', vars: text('discussion') },
  room_e2e_enabled: { key: 'Enabled_E2E_Encryption_for_this_room', vars: none },
  room_e2e_disabled: { key: 'Disabled_E2E_Encryption_for_this_room', vars: none },
  message_pinned_e2e: { key: 'Pinned_a_message', vars: none },
  user_joined_otr: { key: 'user_joined_otr', vars: none },
  user_requested_otr_key_refresh: { key: 'user_requested_otr_key_refresh', vars: none },
  user_key_refreshed_successfully: { key: 'user_key_refreshed_successfully', vars: none },
  'livechat-started': { key: 'Chat_started', vars: none },
  'livechat-close': { key: 'Conversation_closed', vars: text('comment', 'no comment') },
  livechat_video_call: { key: 'New_videocall_request', vars: none },
  livechat_navigation_history: { key: 'New_visitor_navigation', vars: (message) => ({ history: message.navigation ?? message.msg }) },
  livechat_transfer_history: { key: 'New_chat_transfer', vars: (message) => ({ transfer: message.transfer ?? message.msg }) },
  livechat_transfer_history_fallback: { key: 'New_chat_transfer_fallback', vars: (message) => ({ fallback: message.transfer ?? message.msg }) },
  livechat_transcript_history: { key: 'Livechat_chat_transcript_sent', vars: (message) => ({ transcript: message.msg }) },
  omnichannel_placed_chat_on_hold: { key: 'Omnichannel_placed_chat_on_hold', vars: comment },
  omnichannel_on_hold_chat_resumed: { key: 'Omnichannel_on_hold_chat_resumed', vars: comment },
  omnichannel_priority_change_history: { key: 'omnichannel_priority_change_history', vars: (message) => ({ priority: message.priority ?? 'none' }) },
  omnichannel_sla_change_history: { key: 'omnichannel_sla_change_history', vars: (message) => ({ sla: message.sla ?? 'none' }) },
  videoconf: { key: 'Video_Conference', vars: none },
  'voip-call-started': { key: 'Voip_call_started', vars: none },
  'voip-call-duration': { key: 'Voip_call_duration', vars: (message) => ({ duration: message.msg }), startsWithActor: false },
  'voip-call-declined': { key: 'Voip_call_declined', vars: none },
  'voip-call-on-hold': { key: 'Voip_call_on_hold', vars: none },
  'voip-call-unhold': { key: 'Voip_call_unhold', vars: none },
  'voip-call-ended': { key: 'Voip_call_ended', vars: none },
  'voip-call-ended-unexpectedly': { key: 'Voip_call_ended_unexpectedly', vars: (message) => ({ reason: message.msg }), startsWithActor: false },
  'voip-call-wrapup': { key: 'Voip_call_wrapup', vars: (message) => ({ comment: message.msg }) }
}

/** The built-in English, by the same keys: the text after the actor's name. */
export const englishSentences: Record<string, string> = {
  User_joined_the_channel: 'joined the channel',
  User_left_this_channel: 'left the channel',
  Room_name_changed_to: 'changed the room name to {{room_name}}',
  User_added_to: 'added {{user_added}}',
  User_invited_to_room: 'invited {{user_invited}}',
  User_rejected_invitation_to_room: 'rejected the invitation to the room',
  Added__username__to_this_team: 'added {{user_added}} to this team',
  User_has_been_removed: 'removed {{user_removed}}',
  Removed__username__from_the_team: 'removed {{user_removed}} from the team',
  User_left_this_team: 'left the team',
  Converted__roomName__to_a_team: 'converted {{roomName}} to a team',
  Converted__roomName__to_a_channel: 'converted {{roomName}} to a channel',
  Removed__roomName__from_the_team: 'removed {{roomName}} from the team',
  Deleted__roomName__room: 'deleted the room {{roomName}}',
  added__roomName__to_this_team: 'added {{roomName}} to this team',
  User_joined_the_team: 'joined the team',
  User_joined_the_conversation: 'joined the conversation',
  Welcome: 'Welcome, {{user}}!',
  Message_is_removed: 'deleted a message',
  User_has_been_muted: 'muted {{user_muted}}',
  User_has_been_unmuted: 'unmuted {{user_unmuted}}',
  User_has_been_banned: 'banned {{user_banned}}',
  User_has_been_unbanned: 'unbanned {{user_unbanned}}',
  set__username__as__role_: 'set {{username}} as {{role}}',
  removed__username__as__role_: 'removed {{username}} as {{role}}',
  This_room_has_been_archived: 'archived the room',
  This_room_has_been_unarchived: 'unarchived the room',
  room_removed_read_only_permission: 'made the room writable for everyone',
  room_set_read_only_permission: 'made the room read-only',
  room_allowed_reactions: 'allowed reactions',
  room_disallowed_reactions: 'disallowed reactions',
  room_changed_type: 'changed the room type to {{room_type}}',
  room_changed_topic_to: 'changed the room topic to {{room_topic}}',
  room_avatar_changed: 'changed the room avatar',
  changed_room_announcement_to__room_announcement_: 'changed the room announcement to {{room_announcement}}',
  changed_room_description_to__room_description_: 'changed the room description to {{room_description}}',
  Pinned_a_message: 'pinned a message',
  abac_removed_user_from_the_room: 'was removed from the room by its access rules',
  Discussion_created: 'started a discussion: {{discussion}}',
  Enabled_E2E_Encryption_for_this_room: 'enabled end-to-end encryption for this room',
  Disabled_E2E_Encryption_for_this_room: 'disabled end-to-end encryption for this room',
  user_joined_otr: 'joined an off-the-record conversation',
  user_requested_otr_key_refresh: 'asked to refresh the off-the-record key',
  user_key_refreshed_successfully: 'refreshed the off-the-record key',
  Chat_started: 'started the chat',
  Conversation_closed: 'closed the conversation: {{comment}}',
  New_videocall_request: 'asked for a video call',
  New_visitor_navigation: 'visited {{history}}',
  New_chat_transfer: 'transferred the chat: {{transfer}}',
  New_chat_transfer_fallback: 'transferred the chat to a fallback department: {{fallback}}',
  Livechat_chat_transcript_sent: 'sent the chat transcript: {{transcript}}',
  Omnichannel_placed_chat_on_hold: 'placed the chat on hold: {{comment}}',
  Omnichannel_on_hold_chat_resumed: 'resumed the on-hold chat: {{comment}}',
  omnichannel_priority_change_history: 'changed the priority to {{priority}}',
  omnichannel_sla_change_history: 'changed the SLA policy to {{sla}}',
  Video_Conference: 'started a video conference',
  Voip_call_started: 'started a call',
  Voip_call_duration: 'Call lasted {{duration}}',
  Voip_call_declined: 'declined the call',
  Voip_call_on_hold: 'put the call on hold',
  Voip_call_unhold: 'resumed the call',
  Voip_call_ended: 'ended the call',
  Voip_call_ended_unexpectedly: 'Call ended unexpectedly: {{reason}}',
  Voip_call_wrapup: 'wrapped up the call: {{comment}}',
  E2E_encrypted_message: 'sent an encrypted message',
  Unknown_system_message: 'did something the export cannot show ({{type}})'
}

/** Message types every export shows as an event sentence, not as a message of its own. */
export const systemTypes: ReadonlySet<string> = new Set(Object.keys(sources))

export interface SentenceOptions {
  nameOf: NameOf
  language: string
  translate: Translate | null
}

/** One pass over the template: a value is never read again, and only the sentence's own variables count (not `constructor`). */
function fill (template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => Object.hasOwn(vars, name) ? vars[name] : whole)
}

/**
 * The host's `translate` gets each variable as its own placeholder
 * (`{ username: '{{username}}' }`), never the values: a translation library
 * that fills them in returns the template again, and the values — people's
 * names, which may hold `{{role}}` — go in once, by `fill`.
 */
function sentence (key: string, vars: Record<string, string>, { translate, language }: SentenceOptions): string {
  const translated = translate === null ? undefined : translate(key, placeholdersOf(vars), language)
  return fill(typeof translated === 'string' ? translated : englishSentences[key], vars)
}

function placeholdersOf (vars: Record<string, string>): Record<string, string> {
  const placeholders: Record<string, string> = {}
  for (const name of Object.keys(vars)) placeholders[name] = `{{${name}}}`
  return placeholders
}

/**
 * The sentence for a message that is an event (a system type, or an
 * encrypted message, whose ciphertext is never shown), or `null` for an
 * ordinary message.
 */
export function systemSentence (message: ExportMessage, options: SentenceOptions): string | null {
  if (message.t === undefined) return null
  const actor = message.u.name ?? options.nameOf(message.u.username)
  if (message.t === 'e2e') return `${actor} ${sentence('E2E_encrypted_message', {}, options)}`
  const source = sources[message.t]
  if (source === undefined) {
    return `${actor} ${sentence('Unknown_system_message', { type: message.t.replace(/[-_]+/g, ' ') }, options)}`
  }
  const text = sentence(source.key, source.vars(message, options.nameOf), options)
  return source.startsWithActor === false ? text : `${actor} ${text}`
}
