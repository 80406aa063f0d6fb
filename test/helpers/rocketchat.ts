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
  { _id: 'rc3', rid: 'GENERAL', ts: at('2024-03-21T10:05:00.000Z'), msg: 'a reply', u: author(rcUsers.member), tmid: 'rc2', pinned: true, attachments: [{ title: 'spec', title_link: 'https://example.com/spec', description: 'the spec', descriptionMd: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'the spec' }] }], type: 'file', ts: at('2024-03-21T10:05:00.000Z') }, null] },
  { _id: 'rc4-history', rid: 'GENERAL', ts: at('2024-03-21T11:00:00.000Z'), msg: 'first version', u: author(rcUsers.admin), _hidden: true, parent: 'rc4', editedAt: at('2024-03-21T11:02:00.000Z'), editedBy: { _id: rcUsers.admin._id, username: 'admin' } },
  { _id: 'rc4', rid: 'GENERAL', ts: at('2024-03-21T11:00:00.000Z'), msg: 'second version', u: author(rcUsers.admin), editedAt: at('2024-03-21T11:02:00.000Z'), editedBy: { _id: rcUsers.admin._id, username: 'admin' } },
  { _id: 'rc5', rid: 'GENERAL', ts: at('2024-03-22T08:00:00.000Z'), msg: '', u: author(rcUsers.owner), file: { _id: 'upload-1', name: 'notes.txt', type: 'text/plain', size: 11 }, files: [{ _id: 'upload-1', name: 'notes.txt', type: 'text/plain', size: 11 }, { _id: 'upload-gone', name: 'gone.png', type: 'image/png' }, { _id: 'upload-unnamed' }, { _id: 'upload-dm', name: 'private.txt', type: 'text/plain' }, null] },
  { _id: 'rc6', rid: 'GENERAL', ts: at('2024-03-22T09:00:00.000Z'), msg: 42, u: { _id: 'rc-ghost', username: 'ghost' } }
]

/** Documents as Rocket.Chat stores the richer kinds of message: stored markup, mentions, previews, quotes, role changes, omnichannel events. */
export const richDocuments = [
  {
    _id: 'md1',
    rid: 'RICH',
    ts: at('2024-03-21T09:00:00.000Z'),
    msg: 'hi @member see #general',
    md: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'stored ' }, { type: 'BOLD', value: [{ type: 'PLAIN_TEXT', value: 'tree' }] }] }],
    u: author(rcUsers.admin),
    mentions: [{ _id: rcUsers.member._id, username: 'member', name: 'Mel Member', type: 'user' }],
    channels: [{ _id: 'GENERAL', name: 'general', fname: 'General' }],
    urls: [
      { url: 'https://news.example.com/a', meta: { ogTitle: 'OG title', ogDescription: 'OG description', pageTitle: 'page title' } },
      { url: 'https://news.example.com/b', meta: { pageTitle: 'Page title', description: 'Page description' } },
      { url: 'https://news.example.com/c' },
      { url: 42 }
    ]
  },
  {
    _id: 'md2',
    rid: 'RICH',
    ts: at('2024-03-21T09:01:00.000Z'),
    msg: '[ ](https://chat.example/channel/rich?msg=md1) quoting',
    u: author(rcUsers.member),
    attachments: [{
      author_name: 'Ada Admin',
      message_link: 'https://chat.example/channel/rich?msg=md1',
      text: 'stored *tree*',
      md: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'stored tree' }] }],
      ts: at('2024-03-21T09:00:00.000Z'),
      attachments: [{ author_name: 'Someone', message_link: 'https://chat.example/x', text: 'deeper', attachments: [{ text: 'deepest, not kept' }] }]
    }]
  },
  { _id: 'md3', rid: 'RICH', ts: at('2024-03-21T09:02:00.000Z'), msg: 'member', t: 'subscription-role-added', role: 'moderator', u: author(rcUsers.admin) },
  { _id: 'md4', rid: 'RICH', ts: at('2024-03-21T09:03:00.000Z'), msg: '', t: 'livechat_navigation_history', navigation: { page: { title: 'Pricing', location: { href: 'https://shop.example/pricing' } } }, u: author(rcUsers.member) },
  { _id: 'md5', rid: 'RICH', ts: at('2024-03-21T09:04:00.000Z'), msg: '', t: 'livechat_navigation_history', navigation: { page: { location: { href: 'https://shop.example/' } } }, u: author(rcUsers.member) },
  { _id: 'md6', rid: 'RICH', ts: at('2024-03-21T09:05:00.000Z'), msg: '', t: 'livechat_transfer_history', transferData: { scope: 'agent', transferredTo: { username: 'agent7' } }, u: author(rcUsers.admin) },
  { _id: 'md7', rid: 'RICH', ts: at('2024-03-21T09:06:00.000Z'), msg: '', t: 'livechat_transfer_history', transferData: { scope: 'queue' }, u: author(rcUsers.admin) },
  { _id: 'md8', rid: 'RICH', ts: at('2024-03-21T09:07:00.000Z'), msg: '', t: 'omnichannel_priority_change_history', priorityData: { definedBy: { username: 'admin' }, priority: { name: 'Urgent' } }, u: author(rcUsers.admin) },
  { _id: 'md9', rid: 'RICH', ts: at('2024-03-21T09:08:00.000Z'), msg: '', t: 'omnichannel_sla_change_history', slaData: { definedBy: { username: 'admin' }, sla: { name: 'Gold' } }, u: author(rcUsers.admin) },
  { _id: 'md10', rid: 'RICH', ts: at('2024-03-21T09:09:00.000Z'), msg: '', t: 'omnichannel_placed_chat_on_hold', comment: 'lunch', u: author(rcUsers.admin) }
]

/**
 * Rooms c/p/d, subscriptions (with a room-scoped role), the permission, users,
 * messages and two GridFS uploads, each with Rocket.Chat's record of it: one
 * of #general, one of the direct room (which a message of #general names).
 */
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
    { _id: 'DIRECT', t: 'd', usernames: ['admin', 'member'] },
    { _id: 'RICH', t: 'c', name: 'rich' }
  ] as unknown as Document[])
  await db.collection('rocketchat_subscription').insertMany([
    { _id: 's1', rid: 'PRIVATE', u: { _id: rcUsers.admin._id, username: 'admin' } },
    { _id: 's2', rid: 'PRIVATE', u: { _id: rcUsers.owner._id, username: 'owner' }, roles: ['owner'] },
    { _id: 's3', rid: 'DIRECT', u: { _id: rcUsers.admin._id, username: 'admin' } }
  ] as unknown as Document[])
  await db.collection('rocketchat_message').insertMany([
    ...generalMessages,
    ...richDocuments,
    { _id: 'p1', rid: 'PRIVATE', ts: at('2024-03-21T12:00:00.000Z'), msg: 'private plans', u: author(rcUsers.owner) }
  ] as unknown as Document[])
  await db.collection('rocketchat_uploads').insertMany([
    { _id: 'upload-1', rid: 'GENERAL', userId: rcUsers.owner._id, name: 'notes.txt', type: 'text/plain', size: 11, store: 'GridFS:Uploads', complete: true, uploadedAt: at('2024-03-22T08:00:00.000Z') },
    { _id: 'upload-dm', rid: 'DIRECT', userId: rcUsers.admin._id, name: 'private.txt', type: 'text/plain', size: 14, store: 'GridFS:Uploads', complete: true, uploadedAt: at('2024-03-21T08:00:00.000Z') }
  ] as unknown as Document[])
  const uploads = new GridFSBucket(db, { bucketName: 'rocketchat_uploads' })
  await pipeline(Readable.from([Buffer.from('hello notes')]), uploads.openUploadStreamWithId('upload-1' as unknown as Document['_id'], 'notes.txt'))
  await pipeline(Readable.from([Buffer.from('direct secrets')]), uploads.openUploadStreamWithId('upload-dm' as unknown as Document['_id'], 'private.txt'))
}
