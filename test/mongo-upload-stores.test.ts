import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import type { Db, Document } from 'mongodb'
import t, { type Test } from 'tap'
import { capturingLogger, temporaryDirectory } from './helpers/app.ts'
import { connect, mongoApp, post, settle, startMongo } from './helpers/mongo.ts'
import { rcHeaders, rcUsers, seedRocketChat } from './helpers/rocketchat.ts'
import { readZip } from './helpers/zip.ts'
import { startS3, type S3Server } from './s3/server.ts'
import type { RoomsExportOptions } from '../index.ts'
import { createUploadStores, type UploadRecord } from '../lib/backends/upload-stores.ts'

/**
 * Rocket.Chat keeps each upload where its store was when it was uploaded: the
 * same room can hold uploads in GridFS, on the file system and in S3. The
 * export reads each from the store its record in `rocketchat_uploads` names.
 */
const uniqueId = 'b7a3c2d1-deployment'
const secretKey = 'do-not-log-this-secret-key'
const at = new Date('2024-03-21T10:00:00.000Z')

interface Upload { _id: string, name: string, store: string, content?: string, extra?: Document, rid?: string }
const uploads: Upload[] = [
  { _id: 'fs-current', name: 'minutes.txt', store: 'FileSystem:Uploads', content: 'from the file system' },
  { _id: 'fs-legacy', name: 'chart.png', store: 'FileSystem:Uploads', content: 'legacy file with extension', extra: { extension: 'png' } },
  { _id: 's3-upload', name: 'plan.pdf', store: 'AmazonS3:Uploads', content: 'from object storage' },
  { _id: 's3-missing', name: 'gone.pdf', store: 'AmazonS3:Uploads' },
  { _id: 'gcs-upload', name: 'cloud.txt', store: 'GoogleCloudStorage:Uploads', extra: { GoogleStorage: { path: `${uniqueId}/uploads/FILES/u/gcs-upload` } } },
  { _id: 'webdav-upload', name: 'dav.txt', store: 'Webdav:Uploads', extra: { Webdav: { path: 'uploads/webdav-upload' } } },
  { _id: 'fs-incomplete', name: 'half.txt', store: 'FileSystem:Uploads', content: 'half', extra: { complete: false } },
  { _id: 'fs-other-room', name: 'private.txt', store: 'FileSystem:Uploads', content: 'another room\'s file', rid: 'DIRECT' }
]

/** The room FILES with one message naming every upload, their records and bytes, and Rocket.Chat's settings for its stores. */
async function seedStores (t: Test, db: Db, s3: S3Server, settings: Record<string, unknown>): Promise<{ folder: string, bucket: string }> {
  await seedRocketChat(db)
  const folder = await temporaryDirectory(t)
  const bucket = await s3.bucket()
  await db.collection('rocketchat_room').insertOne({ _id: 'FILES', t: 'c', name: 'files' } as unknown as Document)
  await db.collection('rocketchat_message').insertOne({
    _id: 'files-1',
    rid: 'FILES',
    ts: at,
    msg: 'everything we have',
    u: { _id: rcUsers.admin._id, username: 'admin' },
    files: uploads.map(({ _id, name }) => ({ _id, name, type: 'application/octet-stream' }))
  } as unknown as Document)
  for (const upload of uploads) {
    const rid = upload.rid ?? 'FILES'
    const key = `${uniqueId}/uploads/${rid}/${rcUsers.admin._id}/${upload._id}`
    await db.collection('rocketchat_uploads').insertOne({
      _id: upload._id,
      rid,
      userId: rcUsers.admin._id,
      name: upload.name,
      size: upload.content?.length ?? 5,
      store: upload.store,
      complete: true,
      uploadedAt: at,
      ...(upload.store === 'AmazonS3:Uploads' ? { AmazonS3: { path: key } } : {}),
      ...upload.extra
    } as unknown as Document)
    if (upload.content === undefined) continue
    if (upload.store === 'FileSystem:Uploads') await writeFile(join(folder, upload._id + (upload.extra?.extension === undefined ? '' : `.${upload.extra.extension as string}`)), upload.content)
    else await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: upload.content }))
  }
  const values: Record<string, unknown> = {
    uniqueID: uniqueId,
    FileUpload_FileSystemPath: folder,
    FileUpload_S3_Bucket: bucket,
    FileUpload_S3_BucketURL: s3.endpoint,
    FileUpload_S3_ForcePathStyle: true,
    FileUpload_S3_Region: 'us-east-1',
    FileUpload_S3_AWSAccessKeyId: 'test-key',
    FileUpload_S3_AWSSecretAccessKey: secretKey,
    ...settings
  }
  await db.collection('rocketchat_settings').insertMany(Object.entries(values).map(([_id, value]) => ({ _id, value, type: 'string' })) as unknown as Document[])
  return { folder, bucket }
}

async function exportFiles (t: Test, url: string, options: RoomsExportOptions = {}) {
  const { logger, lines } = capturingLogger('debug')
  const app = await mongoApp(t, url, options, logger)
  const started = await post(app, rcUsers.admin, { rid: 'FILES', type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  const status = await settle(app, rcUsers.admin, started.json().exportId)
  t.equal(status.export.status, 'done')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${String(started.json().exportId)}`, headers: rcHeaders(rcUsers.admin) })
  const entries = await readZip(download.rawPayload)
  return { entries, manifest: JSON.parse(entries.get('manifest.json')!.toString()), lines }
}

const included = (manifest: { assets: { included: Array<{ fileId: string }> } }) => Object.fromEntries(manifest.assets.included.map(({ fileId }) => [fileId, true]))

t.test('uploads in GridFS, on the file system and in S3, read by Rocket.Chat\'s own settings; other stores named; the secret key never logged', async (t) => {
  const server = await startMongo(t)
  const s3 = await startS3(t)
  await seedStores(t, await connect(t, server.url), s3, {})
  const { entries, manifest, lines } = await exportFiles(t, server.url)
  t.equal(entries.get('assets/fs-current-minutes.txt')!.toString(), 'from the file system')
  t.equal(entries.get('assets/fs-legacy-chart.png')!.toString(), 'legacy file with extension', 'an older record with `extension`: <id>.<extension> on disk')
  t.equal(entries.get('assets/s3-upload-plan.pdf')!.toString(), 'from object storage', 'read by the key on its record')
  t.same(included(manifest), { 'fs-current': true, 'fs-legacy': true, 's3-upload': true })
  t.same(manifest.assets.missing, [
    { fileId: 's3-missing', name: 'gone.pdf', reason: 'not found' },
    { fileId: 'gcs-upload', name: 'cloud.txt', reason: 'stored in GoogleCloudStorage:Uploads, which this export does not read' },
    { fileId: 'webdav-upload', name: 'dav.txt', reason: 'stored in Webdav:Uploads, which this export does not read' },
    { fileId: 'fs-incomplete', name: 'half.txt', reason: 'not found' },
    { fileId: 'fs-other-room', name: 'private.txt', reason: 'not found' }
  ])
  const page = entries.get('files.html')!.toString()
  t.match(page, '<li><a href="assets/fs-current-minutes.txt" dir="auto">minutes.txt</a> (20 B)</li>', 'the size from the upload\'s record')
  t.match(page, '<li><bdi>cloud.txt</bdi> <span class="missing">(not in this export)</span></li>')
  t.notMatch(JSON.stringify(lines), secretKey, 'the S3 secret is never in the log')
})

t.test('the host\'s own folder and S3 client take precedence over the settings; stores not set up say so', async (t) => {
  const server = await startMongo(t)
  const s3 = await startS3(t)
  const db = await connect(t, server.url)
  // Settings that lead nowhere: the options must be what is read.
  const { folder, bucket } = await seedStores(t, db, s3, { FileUpload_FileSystemPath: '/nonexistent', FileUpload_S3_Bucket: 'no-such-bucket' })
  const { manifest } = await exportFiles(t, server.url, { mongo: { uploads: { fileSystemPath: folder, s3: { client: s3.client, bucket } } } })
  t.same(included(manifest), { 'fs-current': true, 'fs-legacy': true, 's3-upload': true })

  await db.collection('rocketchat_settings').updateMany({ _id: { $in: ['FileUpload_FileSystemPath', 'FileUpload_S3_Bucket'] as unknown as Document['_id'][] } }, { $set: { value: '' } })
  const unset = await exportFiles(t, server.url)
  t.same(unset.manifest.assets.included, [])
  t.same(unset.manifest.assets.missing.map(({ fileId, reason }: { fileId: string, reason: string }) => [fileId, reason]).slice(0, 3), [
    ['fs-current', 'stored in FileSystem:Uploads, whose folder is not configured (FileUpload_FileSystemPath)'],
    ['fs-legacy', 'stored in FileSystem:Uploads, whose folder is not configured (FileUpload_FileSystemPath)'],
    ['s3-upload', 'stored in AmazonS3:Uploads, whose bucket is not configured (FileUpload_S3_Bucket)']
  ])
})

t.test('options for the upload stores are checked at registration', async (t) => {
  const server = await startMongo(t)
  const cases: Array<[unknown, string]> = [
    [{ uploads: 'x' }, 'option "mongo.uploads" must be an object'],
    [{ uploads: { folder: '/x' } }, 'unknown option "mongo.uploads.folder"'],
    [{ uploads: { fileSystemPath: 5 } }, 'option "mongo.uploads.fileSystemPath" must be a string'],
    [{ uploads: { s3: { bucket: 'b' } } }, 'option "mongo.uploads.s3" must be { client, bucket } with an S3Client of @aws-sdk/client-s3'],
    [{ dbs: {} }, 'unknown option "mongo.dbs"'],
    [{ db: {} }, 'option "mongo.db" must be a MongoDB Db'],
    [{ countMessages: 'yes' }, 'option "mongo.countMessages" must be a boolean']
  ]
  for (const [mongo, message] of cases) {
    await t.rejects(mongoApp(t, server.url, { mongo } as RoomsExportOptions), { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: `fastify-rooms-export: ${message}` })
  }
})

t.test('each way a record names its bytes, and each way a store fails', async (t) => {
  const server = await startMongo(t)
  const s3 = await startS3(t)
  const db = await connect(t, server.url)
  const bucket = await s3.bucket()
  const folder = await temporaryDirectory(t)
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'legacy/old-s3', Body: 'legacy key' }))
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'bare-id', Body: 'bare key' }))
  await mkdir(join(folder, 'a-folder'))
  const stores = createUploadStores(db, { fileSystemPath: folder, s3: { client: s3.client, bucket } })
  const read = async (record: UploadRecord) => {
    const opened = await stores.open(record)
    if (opened === null || 'unavailable' in opened) return opened
    const chunks: Buffer[] = []
    for await (const chunk of opened as AsyncIterable<Buffer>) chunks.push(chunk)
    return Buffer.concat(chunks).toString()
  }
  const record = (fields: Partial<UploadRecord>): UploadRecord => ({ _id: 'x', rid: 'FILES', ...fields })
  t.equal(await read(record({ _id: 'old-s3', store: 'AmazonS3:Uploads', s3: { path: 'legacy/' } })), 'legacy key', 'a legacy record: s3.path + _id')
  t.equal(await read(record({ _id: 'bare-id', store: 'AmazonS3:Uploads' })), 'bare key', 'no path on the record: the id')
  t.equal(await read(record({ _id: '../escape', store: 'FileSystem:Uploads' })), null, 'an id that would leave the folder is no upload')
  t.equal(await read(record({ _id: '.hidden', store: 'FileSystem:Uploads' })), null)
  t.equal(await read(record({ _id: 'no-gridfs-file' })), null, 'no store named: GridFS, as Rocket.Chat\'s first versions wrote')
  await t.rejects(read(record({ _id: 'a-folder', store: 'FileSystem:Uploads' })), { code: 'EISDIR' }, 'a file system error other than a missing file fails the upload (the export lists it as not opened)')
  const elsewhere = createUploadStores(db, { s3: { client: s3.client, bucket: 'no-such-bucket' } })
  await t.rejects(elsewhere.open(record({ store: 'AmazonS3:Uploads' })), { name: 'NoSuchBucket' }, 'an S3 error other than a missing key fails the upload')

  t.equal(await stores.sizeOf(record({ store: 'FileSystem:Uploads', size: 12 })), 12)
  t.equal(await stores.sizeOf(record({ store: 'FileSystem:Uploads' })), null, 'a record without a size')
  t.equal(await stores.sizeOf(record({ store: 'FileSystem:Uploads', size: 12, complete: false })), null, 'an incomplete upload')
  t.equal(await stores.sizeOf(record({ store: 'Webdav:Uploads', size: 12 })), null, 'a store not read here')
  t.equal(await stores.sizeOf(record({ size: 12 })), 12, 'GridFS')
})

t.test('S3 from Rocket.Chat\'s settings: a BucketURL without a scheme is https, credentials from the environment when the settings have none, the SDK missing is said', async (t) => {
  const server = await startMongo(t)
  const s3 = await startS3(t)
  const db = await connect(t, server.url)
  const bucket = await s3.bucket()
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'by the environment\'s key' }))
  const settings = (values: Record<string, unknown>) => db.collection('rocketchat_settings').insertMany(Object.entries(values).map(([_id, value]) => ({ _id, value })) as unknown as Document[])
  await settings({ FileUpload_S3_Bucket: bucket, FileUpload_S3_BucketURL: s3.endpoint.replace('http://', ''), FileUpload_S3_ForcePathStyle: true })
  const upload = { _id: 'k', rid: 'FILES', store: 'AmazonS3:Uploads', AmazonS3: { path: 'k' } }
  await t.rejects(createUploadStores(db).open(upload), 'https to a server speaking http: the TLS handshake fails')

  await db.collection('rocketchat_settings').updateOne({ _id: 'FileUpload_S3_BucketURL' as unknown as Document['_id'] }, { $set: { value: s3.endpoint } })
  const environment = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY }
  process.env.AWS_ACCESS_KEY_ID = 'environment-key'
  process.env.AWS_SECRET_ACCESS_KEY = 'environment-secret'
  t.teardown(() => { Object.assign(process.env, environment) })
  const opened = await createUploadStores(db).open(upload)
  const chunks: Buffer[] = []
  for await (const chunk of opened as AsyncIterable<Buffer>) chunks.push(chunk)
  t.equal(Buffer.concat(chunks).toString(), 'by the environment\'s key')

  const { createUploadStores: withoutSdk } = await t.mockImport<typeof import('../lib/backends/upload-stores.ts')>('../lib/backends/upload-stores.ts', {
    '@aws-sdk/client-s3': { get S3Client () { throw new Error('Cannot find package \'@aws-sdk/client-s3\'') } }
  })
  t.same(await withoutSdk(db).open(upload), { unavailable: 'stored in AmazonS3:Uploads; install @aws-sdk/client-s3 to read it' })
})
