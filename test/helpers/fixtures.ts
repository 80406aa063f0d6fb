import type { ExportMessage, ExportRoom, ExportUser, MemoryRepositoryData } from '../../index.ts'

export const alice: ExportUser = { _id: 'u-alice', username: 'alice', name: 'Alice Archer', emails: [{ address: 'alice@example.com', verified: true }], roles: ['user', 'admin'] }
export const bob: ExportUser = { _id: 'u-bob', username: 'bob', name: 'Bob <b>Builder</b>', emails: [{ address: 'bob@example.org', verified: true }], roles: ['user'] }
/** has the permission but no address */
export const carol: ExportUser = { _id: 'u-carol', username: 'carol', roles: ['user', 'admin'] }
/** has the permission, not a member of the private room */
export const dave: ExportUser = { _id: 'u-dave', username: 'dave', name: 'Dave', emails: [{ address: 'dave@example.com' }], roles: ['user', 'admin'] }
export const users = [alice, bob, carol, dave]

/** the token each test user logs in with */
export const tokenOf = (user: ExportUser) => `token-${user.username}`
export const authHeaders = (user: ExportUser) => ({ 'x-user-id': user._id, 'x-auth-token': tokenOf(user) })

export const general: ExportRoom = { _id: 'room-general', t: 'c', name: 'general', fname: 'General', topic: 'Everything & <anything>' }
export const secret: ExportRoom = { _id: 'room-secret', t: 'p', name: 'secret', usernames: ['alice', 'bob', 'carol'] }
export const hostile: ExportRoom = { _id: 'room-hostile', t: 'c', name: '<img src=x onerror=alert(1)>', fname: '"><script>alert("room")</script>' }
export const rooms = [general, secret, hostile]

let sequence = 0
export function message (rid: string, ts: string, msg: string, extra: Partial<ExportMessage> = {}): ExportMessage {
  sequence++
  return {
    _id: `m${String(sequence).padStart(4, '0')}`,
    rid,
    ts: new Date(ts),
    msg,
    u: { _id: alice._id, username: alice.username, name: alice.name },
    ...extra
  }
}

/** A March in #general with the edges the export must get right. */
export function generalMessages (): ExportMessage[] {
  const bobAuthor = { _id: bob._id, username: bob.username, name: bob.name }
  return [
    { ...message(general._id, '2024-03-20T23:59:59.999Z', 'just before the 21st'), _id: 'before' },
    { ...message(general._id, '2024-03-21T00:00:00.000Z', 'first second of the 21st'), _id: 'start' },
    { ...message(general._id, '2024-03-21T09:00:00.000Z', '', { t: 'uj', u: bobAuthor }), _id: 'join' },
    { ...message(general._id, '2024-03-21T10:00:00.000Z', 'line one\nline two <script>alert(1)</script>', { u: bobAuthor, tcount: 1, reactions: { ':+1:': { usernames: ['alice', 'bob'] } } }), _id: 'parent' },
    { ...message(general._id, '2024-03-21T10:00:00.000Z', 'same instant, later id', { tmid: 'parent', pinned: true }), _id: 'reply' },
    { ...message(general._id, '2024-03-21T11:00:00.000Z', 'old text', { _hidden: true }), _id: 'history' },
    { ...message(general._id, '2024-03-21T11:00:00.000Z', 'new text', { editedAt: new Date('2024-03-21T11:05:00.000Z'), editedBy: { _id: alice._id, username: 'alice' } }), _id: 'edited' },
    {
      ...message(general._id, '2024-03-22T12:00:00.000Z', 'see links', {
        attachments: [
          { title: 'safe', title_link: 'https://example.com/a?b=1&c=2' },
          { title: 'evil', title_link: 'javascript:alert(1)', description: 'desc <i>x</i>' }
        ],
        file: { _id: 'file-1', name: 'report <1>.pdf', type: 'application/pdf', size: 2048 }
      }),
      _id: 'links'
    },
    { ...message(general._id, '2024-03-22T23:59:59.999Z', 'last millisecond of the 22nd'), _id: 'end' },
    { ...message(general._id, '2024-03-23T00:00:00.000Z', 'first of the 23rd'), _id: 'after' }
  ]
}

export function fixtureData (): MemoryRepositoryData & { files: NonNullable<MemoryRepositoryData['files']> } {
  return {
    rooms,
    users,
    messages: [
      ...generalMessages(),
      message(secret._id, '2024-03-21T08:00:00.000Z', 'secret plans'),
      message(hostile._id, '2024-03-21T08:00:00.000Z', '<svg onload=alert(1)>', { u: { _id: 'u-x', username: 'x"><img src=x onerror=alert(2)>', name: '<script>alert(3)</script>' } })
    ],
    files: { 'file-1': { rid: general._id, content: 'PDF-BYTES' } }
  }
}

/** The fixture with `extra` more messages in #general on the 21st, a second apart, each its own text. */
export function fixtureDataWithMore (extra: number): ReturnType<typeof fixtureData> {
  const data = fixtureData()
  for (let index = 0; index < extra; index++) {
    data.messages.push(message(general._id, `2024-03-21T12:${String(Math.floor(index / 60) % 60).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}.000Z`, `message ${index} of a room shared by processes`, { _id: `more-${index}` }))
  }
  return data
}
