import type { ExportMessage } from '../model.ts'

/**
 * Rocket.Chat stores system events as messages with a type `t` and the
 * affected name in `msg`. Exports show them as sentences a person can read.
 */
const sentences: Record<string, (actor: string, subject: string) => string> = {
  uj: (actor) => `${actor} joined the room`,
  ujt: (actor) => `${actor} joined the team`,
  ul: (actor) => `${actor} left the room`,
  ult: (actor) => `${actor} left the team`,
  au: (actor, subject) => `${subject} was added by ${actor}`,
  ru: (actor, subject) => `${subject} was removed by ${actor}`,
  r: (actor, subject) => `${actor} changed the room name to ${subject}`,
  room_changed_topic: (actor, subject) => subject === '' ? `${actor} removed the room topic` : `${actor} changed the room topic to ${subject}`,
  room_changed_description: (actor, subject) => `${actor} changed the room description to ${subject}`,
  room_changed_announcement: (actor, subject) => `${actor} changed the room announcement to ${subject}`,
  room_changed_privacy: (actor, subject) => `${actor} changed the room type to ${subject}`,
  room_changed_avatar: (actor) => `${actor} changed the room avatar`,
  'user-muted': (actor, subject) => `${subject} was muted by ${actor}`,
  'user-unmuted': (actor, subject) => `${subject} was unmuted by ${actor}`,
  'subscription-role-added': (actor, subject) => `${subject} was given a role by ${actor}`,
  'subscription-role-removed': (actor, subject) => `${subject} lost a role, removed by ${actor}`,
  message_pinned: (actor) => `${actor} pinned a message`,
  rm: (actor) => `${actor} deleted a message`,
  'discussion-created': (actor, subject) => `${actor} started a discussion: ${subject}`
}

/** The sentence for a system message, or `null` for an ordinary message. */
export function systemSentence (message: ExportMessage): string | null {
  if (message.t === undefined) return null
  const actor = message.u.username
  const sentence = sentences[message.t]
  if (sentence !== undefined) return sentence(actor, message.msg)
  return message.msg === '' ? `${actor}: ${message.t}` : `${actor}: ${message.t} — ${message.msg}`
}
