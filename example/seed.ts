import type { ExportMessage, ExportRoom, ExportUser, MemoryRepositoryData } from '../index.ts'
import { identicon, partyEmoji } from './pictures.ts'

/** A deterministic pseudo-random sequence, so every demo run shows the same room. */
function randomSequence (seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

export const demoUsers: (ExportUser & { token: string })[] = [
  { _id: 'demo-admin', username: 'admin', name: 'Ada Admin', emails: [{ address: 'admin@chat.example', verified: true }], roles: ['user', 'admin'], token: 'demo-admin-token' },
  { _id: 'demo-moderator', username: 'mod', name: 'Mo Derator', emails: [{ address: 'mod@chat.example', verified: true }], roles: ['user', 'moderator'], token: 'demo-moderator-token' },
  { _id: 'demo-user', username: 'user', name: 'Una User', emails: [{ address: 'user@chat.example', verified: true }], roles: ['user'], token: 'demo-user-token' },
  { _id: 'demo-bob', username: 'bob', name: 'Bob <b>Bold</b>', emails: [{ address: 'bob@chat.example' }], roles: ['user'], token: 'demo-bob-token' }
]

export const demoRooms: ExportRoom[] = [
  { _id: 'GENERAL', t: 'c', name: 'general', fname: 'General', topic: 'Company-wide chatter & announcements' },
  { _id: 'SECRET', t: 'p', name: 'leadership', fname: 'Leadership', usernames: ['admin', 'mod'] }
]

const lines = [
  'Good morning everyone!',
  'Has anyone seen the Q3 numbers?',
  'Deploy is done ✅',
  'Lunch at 12:30?',
  'I pushed a fix for the login bug.\nPlease review when you can.',
  'Reminder: all-hands on Friday',
  'Can someone restart the build agent?',
  'Here is the doc: https://docs.example.com/plan',
  '<script>alert("xss")</script> — this should show as text',
  'Use `npm ci` then `npm start`.',
  'Shipped it :party_parrot:'
]
const emoji = [':+1:', ':tada:', ':eyes:', ':heart:']

/** A few thousand messages over several months: threads, reactions, edits, uploads, system messages, hostile markup. */
export function demoData (): MemoryRepositoryData {
  const random = randomSequence(42)
  const authors = demoUsers.map(({ _id, username, name }) => ({ _id, username, name }))
  const messages: ExportMessage[] = []
  const files: NonNullable<MemoryRepositoryData['files']> = {}
  const start = Date.UTC(2024, 0, 2, 8)
  const end = Date.UTC(2024, 4, 31, 18)
  const count = 3000
  let lastParent: ExportMessage | null = null
  for (let index = 0; index < count; index++) {
    const ts = new Date(start + Math.floor((end - start) * index / count) + Math.floor(random() * 60_000))
    const author = authors[Math.floor(random() * authors.length)]
    const message: ExportMessage = { _id: `msg${String(index).padStart(5, '0')}`, rid: 'GENERAL', ts, msg: lines[index % lines.length], u: author }
    const roll = random()
    if (index % 97 === 0) {
      message.t = index % 2 === 0 ? 'uj' : 'ul'
      message.msg = ''
    } else if (roll < 0.1 && lastParent !== null) {
      message.tmid = lastParent._id
      lastParent.tcount = (lastParent.tcount ?? 0) + 1
    } else if (roll < 0.15) {
      lastParent = message
    }
    if (random() < 0.2) {
      message.reactions = { [emoji[index % emoji.length]]: { usernames: authors.slice(0, 1 + (index % 3)).map((user) => user.username) } }
    }
    if (random() < 0.03) {
      message.editedAt = new Date(ts.getTime() + 120_000)
      message.editedBy = { _id: author._id, username: author.username }
      messages.push({ ...message, _id: `${message._id}-history`, msg: 'original text', _hidden: true, parent: message._id })
    }
    if (index % 250 === 0) message.pinned = true
    if (index % 400 === 0) {
      const fileId = `file${index}`
      message.file = { _id: fileId, name: `notes-${index}.txt`, type: 'text/plain', size: 40 }
      files[fileId] = { rid: 'GENERAL', content: `Meeting notes attached to message ${index}.\n` }
    }
    messages.push(message)
  }
  messages.push({ _id: 'secret1', rid: 'SECRET', ts: new Date(Date.UTC(2024, 2, 1, 9)), msg: 'Budget talk', u: authors[0] })
  // Everyone but Bob has an avatar (he shows his initials); the server has one custom emoji.
  const avatars = Object.fromEntries(demoUsers.filter(({ username }) => username !== 'bob').map(({ username }) => [username, identicon(username)]))
  return { rooms: demoRooms, users: demoUsers.map(({ token, ...user }) => user), messages, files, avatars, customEmoji: { party_parrot: partyEmoji } }
}
