import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GridFSBucket, type Db, type Document } from 'mongodb'
import { hashLoginToken } from '../../index.ts'

/** Users as Rocket.Chat stores them: hashed resume tokens, global roles, an `active` flag. */
export const rcUsers = {
  admin: { _id: 'rc-admin', username: 'admin', name: 'Ada Admin', language: 'de', roles: ['user', 'admin'], emails: [{ address: 'admin@chat.example', verified: true }], token: 'admin-token' },
  member: { _id: 'rc-member', username: 'member', name: 'Mel Member', roles: ['user'], emails: [{ address: 'member@chat.example', verified: false }], token: 'member-token' },
  owner: { _id: 'rc-owner', username: 'owner', roles: ['user'], token: 'owner-token' },
  outsider: { _id: 'rc-outsider', username: 'outsider', roles: ['admin'], token: 'outsider-token' },
  inactive: { _id: 'rc-inactive', username: 'inactive', roles: ['admin'], active: false, token: 'inactive-token' }
}
export type RcUser = typeof rcUsers[keyof typeof rcUsers]

export const rcHeaders = (user: RcUser) => ({ 'x-user-id': user._id, 'x-auth-token': user.token })

const author = (user: RcUser) => ({ _id: user._id, username: user.username, name: (user as { name?: string }).name })
const at = (iso: string) => new Date(iso)

export const generalMessages: Document[] = [
  { _id: 'rc1', rid: 'GENERAL', ts: at('2024-03-21T09:00:00.000Z'), msg: '', t: 'uj', u: author(rcUsers.member), _updatedAt: at('2024-03-21T09:00:00.000Z') },
  { _id: 'rc2', rid: 'GENERAL', ts: at('2024-03-21T10:00:00.000Z'), msg: 'thread <b>start</b>\nsecond line', u: author(rcUsers.admin), tcount: 1, reactions: { ':tada:': { usernames: ['member', 'owner'] }, ':broken:': {} }, mentions: [], channels: [] },
  { _id: 'rc3', rid: 'GENERAL', ts: at('2024-03-21T10:05:00.000Z'), msg: 'a reply', u: author(rcUsers.member), tmid: 'rc2', pinned: true, attachments: [{ title: 'spec', title_link: 'https://example.com/spec', description: 'the spec', type: 'file', ts: at('2024-03-21T10:05:00.000Z') }, null] },
  { _id: 'rc4-history', rid: 'GENERAL', ts: at('2024-03-21T11:00:00.000Z'), msg: 'first version', u: author(rcUsers.admin), _hidden: true, parent: 'rc4' },
  { _id: 'rc4', rid: 'GENERAL', ts: at('2024-03-21T11:00:00.000Z'), msg: 'second version', u: author(rcUsers.admin), editedAt: at('2024-03-21T11:02:00.000Z'), editedBy: { _id: rcUsers.admin._id, username: 'admin' } },
  { _id: 'rc5', rid: 'GENERAL', ts: at('2024-03-22T08:00:00.000Z'), msg: '', u: author(rcUsers.owner), file: { _id: 'upload-1', name: 'notes.txt', type: 'text/plain', size: 11 }, files: [{ _id: 'upload-1', name: 'notes.txt', type: 'text/plain', size: 11 }, { _id: 'upload-gone', name: 'gone.png', type: 'image/png' }, { _id: 'upload-unnamed' }, null] },
  { _id: 'rc6', rid: 'GENERAL', ts: at('2024-03-22T09:00:00.000Z'), msg: 42, u: { _id: 'rc-ghost', username: 'ghost' } }
]

/** Rooms c/p/d, subscriptions (with a room-scoped role), the permission, users, messages and one GridFS upload. */
export async function seedRocketChat (db: Db): Promise<void> {
  // The message index Rocket.Chat itself creates; exports read through it.
  await db.collection('rocketchat_message').createIndex({ rid: 1, ts: 1, _updatedAt: 1 })
  await db.collection('users').insertMany(Object.values(rcUsers).map(({ token, ...user }) => ({
    active: true,
    ...user,
    services: { resume: { loginTokens: [{ when: new Date(), hashedToken: hashLoginToken('old-token') }, { when: new Date(), hashedToken: hashLoginToken(token) }] } }
  })) as unknown as Document[])
  await db.collection('rocketchat_permissions').insertOne({ _id: 'mail-messages', roles: ['admin', 'owner'] } as unknown as Document)
  await db.collection('rocketchat_room').insertMany([
    { _id: 'GENERAL', t: 'c', name: 'general', fname: 'General', topic: 'Everything', usersCount: 3 },
    { _id: 'PRIVATE', t: 'p', name: 'private', fname: 'Private' },
    { _id: 'DIRECT', t: 'd', usernames: ['admin', 'member'] }
  ] as unknown as Document[])
  await db.collection('rocketchat_subscription').insertMany([
    { _id: 's1', rid: 'PRIVATE', u: { _id: rcUsers.admin._id, username: 'admin' } },
    { _id: 's2', rid: 'PRIVATE', u: { _id: rcUsers.owner._id, username: 'owner' }, roles: ['owner'] },
    { _id: 's3', rid: 'DIRECT', u: { _id: rcUsers.admin._id, username: 'admin' } }
  ] as unknown as Document[])
  await db.collection('rocketchat_message').insertMany([
    ...generalMessages,
    { _id: 'p1', rid: 'PRIVATE', ts: at('2024-03-21T12:00:00.000Z'), msg: 'private plans', u: author(rcUsers.owner) }
  ] as unknown as Document[])
  const uploads = new GridFSBucket(db, { bucketName: 'rocketchat_uploads' })
  await pipeline(Readable.from([Buffer.from('hello notes')]), uploads.openUploadStreamWithId('upload-1' as unknown as Document['_id'], 'notes.txt'))
}
