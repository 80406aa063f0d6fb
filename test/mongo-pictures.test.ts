import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { GridFSBucket, type Db, type Document } from 'mongodb'
import t, { type Test } from 'tap'
import { temporaryDirectory } from './helpers/app.ts'
import { connect, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'
import { redPng } from './helpers/rich-room.ts'
import { readZip } from './helpers/zip.ts'
import { startS3 } from './s3/server.ts'
import { createUploadStores } from '../lib/backends/upload-stores.ts'

/**
 * Rocket.Chat's avatars are records of `rocketchat_avatars` (`name` the
 * username) kept by the store each was uploaded to, as uploads are; custom
 * emoji are records of `rocketchat_custom_emoji` with their picture named
 * `<name>.<extension>` in the GridFS bucket `custom_emoji` or in the folder
 * `EmojiUpload_FileSystemPath`.
 */
const at = new Date('2024-03-21T10:00:00.000Z')
const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const adminPng = redPng(20, 20)
const memberPng = redPng(30, 30)
const ownerPng = redPng(40, 40)

async function putInGridFs (db: Db, bucketName: string, id: unknown, filename: string, content: Buffer): Promise<void> {
  const bucket = new GridFSBucket(db, { bucketName })
  await new Promise((resolve, reject) => {
    bucket.openUploadStreamWithId(id as Document['_id'], filename).on('finish', resolve).on('error', reject).end(content)
  })
}

/** The room PICS: three people with avatars in three stores, custom emoji in text and reactions. */
async function seedPictures (t: Test, db: Db, emojiStorage: 'GridFS' | 'FileSystem') {
  await seedRocketChat(db)
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const folder = await temporaryDirectory(t)
  const emojiFolder = await temporaryDirectory(t)
  await db.collection('rocketchat_room').insertOne({ _id: 'PICS', t: 'c', name: 'pics' } as unknown as Document)
  const author = (user: typeof rcUsers.admin | typeof rcUsers.member | typeof rcUsers.owner) => ({ _id: user._id, username: user.username })
  await db.collection('rocketchat_message').insertMany([
    { _id: 'pic-1', rid: 'PICS', ts: at, msg: 'hello :party_parrot: :party:', u: author(rcUsers.admin), reactions: { ':blob_wave:': { usernames: ['member'] } } },
    { _id: 'pic-2', rid: 'PICS', ts: new Date(at.getTime() + 60_000), msg: 'from the disk', u: author(rcUsers.member) },
    { _id: 'pic-3', rid: 'PICS', ts: new Date(at.getTime() + 120_000), msg: 'from S3', u: author(rcUsers.owner) },
    { _id: 'pic-4', rid: 'PICS', ts: new Date(at.getTime() + 180_000), msg: 'no avatar here', u: { _id: 'rc-nobody', username: 'nobody' } }
  ] as unknown as Document[])
  await db.collection('rocketchat_avatars').insertMany([
    // An older record of the admin's, replaced since: the newest is read.
    { _id: 'av-admin-old', name: 'admin', userId: rcUsers.admin._id, store: 'GridFS:Avatars', type: 'image/png', complete: true, _updatedAt: new Date('2023-01-01') },
    { _id: 'av-admin', name: 'admin', userId: rcUsers.admin._id, store: 'GridFS:Avatars', type: 'image/png', complete: true, _updatedAt: new Date('2024-01-01') },
    { _id: 'av-member', name: 'member', userId: rcUsers.member._id, store: 'FileSystem:Avatars', type: 'image/png', complete: true, _updatedAt: at },
    { _id: 'av-owner', name: 'owner', userId: rcUsers.owner._id, store: 'AmazonS3:Avatars', type: 'image/png', complete: true, _updatedAt: at, AmazonS3: { path: 'deployment/avatars/av-owner' } }
  ] as unknown as Document[])
  await putInGridFs(db, 'rocketchat_avatars', 'av-admin-old', 'admin', redPng(1, 1))
  await putInGridFs(db, 'rocketchat_avatars', 'av-admin', 'admin', adminPng)
  await writeFile(join(folder, 'av-member'), memberPng)
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'deployment/avatars/av-owner', Body: ownerPng }))

  await db.collection('rocketchat_custom_emoji').insertMany([
    { _id: 'em-party-parrot', name: 'party_parrot', aliases: ['party'], extension: 'gif' },
    { _id: 'em-blob', name: 'blob_wave', aliases: [], extension: 'png' }
  ] as unknown as Document[])
  if (emojiStorage === 'GridFS') {
    await putInGridFs(db, 'custom_emoji', 'g-party-parrot', 'party_parrot.gif', gif)
    await putInGridFs(db, 'custom_emoji', 'g-blob', 'blob_wave.png', adminPng)
  } else {
    await writeFile(join(emojiFolder, 'party_parrot.gif'), gif)
    await writeFile(join(emojiFolder, 'blob_wave.png'), adminPng)
  }
  const settings = {
    FileUpload_FileSystemPath: folder,
    FileUpload_S3_Bucket: bucket,
    FileUpload_S3_BucketURL: s3.endpoint,
    FileUpload_S3_ForcePathStyle: true,
    FileUpload_S3_AWSAccessKeyId: 'test-key',
    FileUpload_S3_AWSSecretAccessKey: 'test-secret',
    EmojiUpload_Storage_Type: emojiStorage,
    EmojiUpload_FileSystemPath: emojiFolder
  }
  await db.collection('rocketchat_settings').insertMany(Object.entries(settings).map(([_id, value]) => ({ _id, value })) as unknown as Document[])
  return { s3, bucket, folder }
}

for (const emojiStorage of ['GridFS', 'FileSystem'] as const) {
  t.test(`avatars from GridFS, the file system and S3, custom emoji from ${emojiStorage}, by name and by alias`, async (t) => {
    const server = await startMongo(t)
    const db = await connect(t, server.url)
    await seedPictures(t, db, emojiStorage)
    const app = await mongoApp(t, server.url)
    const started = await post(app, rcUsers.admin, { rid: 'PICS', type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
    const status = await settle(app, rcUsers.admin, started.json().exportId)
    t.equal(status.export.status, 'done')
    const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${String(started.json().exportId)}`, headers: rcHeaders(rcUsers.admin) })
    const entries = await readZip(download.rawPayload)
    t.same(entries.get('avatars/admin.png'), adminPng, 'the newest of the admin\'s records, from GridFS')
    t.same(entries.get('avatars/member.png'), memberPng, 'from FileSystem:Avatars')
    t.same(entries.get('avatars/owner.png'), ownerPng, 'from AmazonS3:Avatars')
    t.same(entries.get('emoji/party_parrot.gif'), gif)
    t.same(entries.get('emoji/party.gif'), gif, 'an alias reads its emoji\'s picture')
    t.same(entries.get('emoji/blob_wave.png'), adminPng)
    const manifest = JSON.parse(entries.get('manifest.json')!.toString())
    t.same(manifest.pictures.included.map(({ kind, name, path }: Record<string, string>) => [kind, name, path]), [
      ['avatar', 'admin', 'avatars/admin.png'],
      ['emoji', 'party_parrot', 'emoji/party_parrot.gif'],
      ['emoji', 'party', 'emoji/party.gif'],
      ['emoji', 'blob_wave', 'emoji/blob_wave.png'],
      ['avatar', 'member', 'avatars/member.png'],
      ['avatar', 'owner', 'avatars/owner.png']
    ])
    t.same(manifest.pictures.missing, [], 'nobody without an avatar is missing one: they have initials')
    const page = entries.get('pics.html')!.toString()
    t.match(page, 'hello <img class="md-emoji-picture" src="emoji/party_parrot.gif" alt=":party_parrot:" title=":party_parrot:"> <img class="md-emoji-picture" src="emoji/party.gif" alt=":party:" title=":party:">')
    t.match(page, /id="m-pic-4">\n<div class="avatar" style="--hue: \d+" aria-hidden="true">N<\/div>/)
  })
}

t.test('avatar and emoji stores not set up, or not read, are listed with why', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await seedPictures(t, db, 'FileSystem')
  await db.collection('rocketchat_settings').updateMany({ _id: { $in: ['FileUpload_FileSystemPath', 'FileUpload_S3_Bucket', 'EmojiUpload_FileSystemPath'] as unknown as Document['_id'][] } }, { $set: { value: '' } })
  await db.collection('rocketchat_avatars').updateOne({ _id: 'av-admin' as unknown as Document['_id'] }, { $set: { store: 'Webdav:Avatars' } })
  const app = await mongoApp(t, server.url)
  const started = await post(app, rcUsers.admin, { rid: 'PICS', type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  await settle(app, rcUsers.admin, started.json().exportId)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${String(started.json().exportId)}`, headers: rcHeaders(rcUsers.admin) })
  const manifest = JSON.parse((await readZip(download.rawPayload)).get('manifest.json')!.toString())
  t.same(manifest.pictures, {
    included: [],
    missing: [
      { kind: 'avatar', name: 'admin', reason: 'stored in Webdav:Avatars, which this export does not read' },
      { kind: 'emoji', name: 'party_parrot', reason: 'stored in the emoji FileSystem store, whose folder is not configured (EmojiUpload_FileSystemPath)' },
      { kind: 'emoji', name: 'party', reason: 'stored in the emoji FileSystem store, whose folder is not configured (EmojiUpload_FileSystemPath)' },
      { kind: 'emoji', name: 'blob_wave', reason: 'stored in the emoji FileSystem store, whose folder is not configured (EmojiUpload_FileSystemPath)' },
      { kind: 'avatar', name: 'member', reason: 'stored in FileSystem:Avatars, whose folder is not configured (FileUpload_FileSystemPath)' },
      { kind: 'avatar', name: 'owner', reason: 'stored in AmazonS3:Avatars, whose bucket is not configured (FileUpload_S3_Bucket)' }
    ]
  })
})

t.test('an emoji store Rocket.Chat does not have; an emoji record whose picture is not in the bucket', async (t) => {
  const server = await startMongo(t)
  const db = await connect(t, server.url)
  await db.collection('rocketchat_settings').insertOne({ _id: 'EmojiUpload_Storage_Type', value: 'Webdav' } as unknown as Document)
  const stores = createUploadStores(db)
  t.same(await stores.openCustomEmoji({ name: 'party_parrot', extension: 'gif' }), { unavailable: 'stored in the emoji store "Webdav", which this export does not read' })
  await db.collection('rocketchat_settings').updateOne({ _id: 'EmojiUpload_Storage_Type' as unknown as Document['_id'] }, { $set: { value: 'GridFS' } })
  const fresh = createUploadStores(db)
  t.equal(await fresh.openCustomEmoji({ name: 'party_parrot', extension: 'gif' }), null, 'no file of that name in the bucket')
})
