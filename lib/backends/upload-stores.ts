import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Document } from 'mongodb'
import type { UnavailableUpload } from '../model.ts'
import type { MongoDatabase } from './mongo-database.ts'
import { asDb, mongoDriver } from './mongo-driver.ts'
import { s3Sdk, type S3Sdk } from '../aws-sdk.ts'

/**
 * Rocket.Chat keeps each upload's bytes in the store that was configured when
 * it was uploaded (`FileUpload_Storage_Type` only chooses the store of new
 * uploads), and says which in the upload's record in `rocketchat_uploads`:
 * `store` is `GridFS:Uploads`, `FileSystem:Uploads`, `AmazonS3:Uploads`,
 * `GoogleCloudStorage:Uploads`, `Webdav:Uploads` (or `MatrixRemote:Uploads`
 * for a federated file). One room can mix them. Layouts as in Rocket.Chat's
 * source (RocketChat/Rocket.Chat, apps/meteor/):
 * - GridFS: the bucket `rocketchat_uploads`, the GridFS file's `_id` the
 *   record's (server/ufs/ufs-gridfs.ts: `openUploadStreamWithId(fileId, …)`).
 * - FileSystem: `<FileUpload_FileSystemPath>/<_id>`, or `<_id>.<extension>` for
 *   a record with an `extension` (server/ufs/ufs-local.ts, `getFilePath`).
 * - AmazonS3: the object key stored on the record, `AmazonS3.path`
 *   (app/file-upload/ufs/AmazonS3/server.ts; written as
 *   `<uniqueID>/uploads/<rid>/<userId>/<_id>` by app/file-upload/server/lib/FileUpload.ts),
 *   else the legacy `s3.path` + `_id`, else `_id`.
 * Settings are documents of `rocketchat_settings`: `_id` the setting's name, `value` its value.
 */

/** What an upload's record says, as far as reading its bytes goes. */
export interface UploadRecord {
  _id: string
  rid: string
  store?: string
  size?: number
  extension?: string
  complete?: boolean
  AmazonS3?: { path?: string }
  s3?: { path?: string }
}

/**
 * An `S3Client` of `@aws-sdk/client-s3`, typed by the one method the plugin
 * calls, so a host's types need no `@aws-sdk` package unless it uses S3. The
 * plugin sends it the SDK's own commands (and `createS3Storage` hands it to
 * `@aws-sdk/lib-storage`): pass a real `S3Client`. Its credentials are
 * never logged.
 */
export interface S3ClientLike {
  send: (command: never) => Promise<unknown>
}

/**
 * Where the Rocket.Chat repository (`createMongoRepository`, `mongo.uploads`)
 * reads uploads kept outside GridFS. Each upload is read from the store its
 * record in `rocketchat_uploads` names; one in a store not set up (or not
 * read: Google Cloud Storage, WebDAV) is listed in the export's manifest as
 * unavailable, with why.
 */
export interface MongoUploadsOptions {
  /**
   * The folder of Rocket.Chat's FileSystem store (`FileSystem:Uploads`, and `FileSystem:Avatars`).
   * @default Rocket.Chat's `FileUpload_FileSystemPath` setting, read once, at the first upload that needs it
   */
  fileSystemPath?: string
  /**
   * For uploads in `AmazonS3:Uploads` (AWS or any S3-compatible server): a
   * client of `@aws-sdk/client-s3` and the bucket.
   * @default a client made from Rocket.Chat's `FileUpload_S3_*` settings (bucket, region or `us-east-1`, `BucketURL` as the endpoint, `ForcePathStyle`, the access key), read once, when `@aws-sdk/client-s3` is installed
   */
  s3?: { client: S3ClientLike, bucket: string }
}

type Opened = NodeJS.ReadableStream | UnavailableUpload | null
/** Why a store cannot be read, said after its name ("stored in AmazonS3:Uploads, whose bucket …") */
interface NotSetUp { notSetUp: string }

/**
 * Rocket.Chat keeps avatars as it keeps uploads — records in
 * `rocketchat_avatars` (`name` the username) whose `store` is `GridFS:Avatars`,
 * `FileSystem:Avatars` or `AmazonS3:Avatars`, read as the same store's uploads
 * are, from the bucket `rocketchat_avatars` in GridFS
 * (app/file-upload/server/lib/FileUpload.ts, `FileUpload.getStore('Avatars')`).
 */
export type UploadKind = 'Uploads' | 'Avatars'
const gridFsBuckets: Record<UploadKind, string> = { Uploads: 'rocketchat_uploads', Avatars: 'rocketchat_avatars' }

/**
 * A custom emoji's record in `rocketchat_custom_emoji`. Its picture is a file
 * named `encodeURIComponent(<name>.<extension>)` in the store that
 * `EmojiUpload_Storage_Type` names: the GridFS bucket `custom_emoji`, or the
 * folder `EmojiUpload_FileSystemPath` (app/emoji-custom/server/startup/emoji-custom.js,
 * app/file/server/file.server.ts).
 */
export interface CustomEmojiRecord { name: string, extension: string }

const settingNames = ['EmojiUpload_Storage_Type', 'EmojiUpload_FileSystemPath', 'FileUpload_FileSystemPath', 'FileUpload_S3_Bucket', 'FileUpload_S3_Region', 'FileUpload_S3_BucketURL', 'FileUpload_S3_ForcePathStyle', 'FileUpload_S3_AWSAccessKeyId', 'FileUpload_S3_AWSSecretAccessKey']

export interface UploadStores {
  /** the upload's bytes, `null` when they are not there, or why they are not read */
  open: (record: UploadRecord) => Promise<Opened>
  /** the size its record gives, `null` when `open` would not give the bytes */
  sizeOf: (record: UploadRecord) => Promise<number | null>
  /** an avatar's bytes (a record of `rocketchat_avatars`), as `open` gives an upload's */
  openAvatar: (record: UploadRecord) => Promise<Opened>
  /** a custom emoji's picture */
  openCustomEmoji: (record: CustomEmojiRecord) => Promise<Opened>
}

/** The bytes of an upload, from whichever store its record names. */
export function createUploadStores (database: MongoDatabase, options: MongoUploadsOptions = {}): UploadStores {
  const db = asDb(database)
  let settingsOnce: Promise<Map<string, unknown>> | undefined
  const settings = async () => await (settingsOnce ??= db.collection('rocketchat_settings')
    .find({ _id: { $in: settingNames as unknown as Document['_id'][] } }, { projection: { value: 1 } }).toArray()
    .then((found) => new Map(found.map((setting) => [String(setting._id), setting.value]))))
  let s3Once: Promise<{ client: S3ClientLike, bucket: string } | NotSetUp> | undefined
  const s3 = async () => await (s3Once ??= options.s3 !== undefined ? Promise.resolve(options.s3) : s3FromSettings(await settings()))

  async function fromGridFs (record: UploadRecord, kind: UploadKind): Promise<Opened> {
    const { GridFSBucket } = await mongoDriver()
    const bucket = new GridFSBucket(db, { bucketName: gridFsBuckets[kind] })
    const [stored] = await bucket.find({ _id: record._id as unknown as Document['_id'] }, { limit: 1, projection: { _id: 1 } }).toArray()
    return stored === undefined ? null : bucket.openDownloadStream(stored._id)
  }

  /** The FileSystem store's folder; Rocket.Chat's default is '' — which its store would read as the root of the disk: not configured. */
  async function fileSystemFolder (setting = 'FileUpload_FileSystemPath'): Promise<string | NotSetUp> {
    const configured = setting === 'FileUpload_FileSystemPath' && options.fileSystemPath !== undefined ? options.fileSystemPath : (await settings()).get(setting)
    return typeof configured === 'string' && configured.trim() !== '' ? configured : { notSetUp: `, whose folder is not configured (${setting})` }
  }

  async function fromFileSystem (record: UploadRecord, store: string): Promise<Opened> {
    const configured = await fileSystemFolder()
    if (typeof configured !== 'string') return { unavailable: `stored in ${store}${configured.notSetUp}` }
    const name = typeof record.extension === 'string' && record.extension !== '' ? `${record._id}.${record.extension}` : record._id
    return await fromFolder(configured, name)
  }

  /** A file of a store's folder; a name that could leave the folder is none of Rocket.Chat's (its ids are letters and digits). */
  async function fromFolder (folder: string, name: string): Promise<Opened> {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) return null
    try {
      const handle = await open(join(folder, name))
      return handle.createReadStream()
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return null
      throw err
    }
  }

  async function fromS3 (record: UploadRecord, store: string): Promise<Opened> {
    const target = await s3()
    if ('notSetUp' in target) return { unavailable: `stored in ${store}${target.notSetUp}` }
    const { GetObjectCommand } = await s3Sdk()
    const key = record.AmazonS3?.path ?? (typeof record.s3?.path === 'string' ? `${record.s3.path}${record._id}` : record._id)
    try {
      const object = await target.client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }) as never) as { Body?: NodeJS.ReadableStream }
      return object.Body ?? null
    } catch (err) {
      // A missing key is a missing upload; a missing bucket (a 404 too) is a store set up wrong: an error, logged.
      if ((err as { name?: string }).name === 'NoSuchKey') return null
      throw err
    }
  }

  /** Whether the store the record names is one read here, and set up to be. */
  async function isReadable (store: string): Promise<boolean> {
    if (store === 'GridFS:Uploads') return true
    if (store === 'FileSystem:Uploads') return typeof await fileSystemFolder() === 'string'
    if (store === 'AmazonS3:Uploads') return !('notSetUp' in await s3())
    return false
  }

  async function openOf (record: UploadRecord, kind: UploadKind): Promise<Opened> {
    // Rocket.Chat marks an upload complete once its bytes are all stored.
    if (record.complete === false) return null
    const store = record.store ?? `GridFS:${kind}`
    switch (store) {
      case `GridFS:${kind}`: return await fromGridFs(record, kind)
      case `FileSystem:${kind}`: return await fromFileSystem(record, store)
      case `AmazonS3:${kind}`: return await fromS3(record, store)
      default: return { unavailable: `stored in ${store}, which this export does not read` }
    }
  }

  return {
    open: async (record) => await openOf(record, 'Uploads'),
    openAvatar: async (record) => await openOf(record, 'Avatars'),

    async openCustomEmoji ({ name, extension }) {
      const fileName = encodeURIComponent(`${name}.${extension}`)
      const storage = (await settings()).get('EmojiUpload_Storage_Type') ?? 'GridFS'
      if (storage === 'FileSystem') {
        const folder = await fileSystemFolder('EmojiUpload_FileSystemPath')
        return typeof folder === 'string' ? await fromFolder(folder, fileName) : { unavailable: `stored in the emoji FileSystem store${folder.notSetUp}` }
      }
      if (storage !== 'GridFS') return { unavailable: `stored in the emoji store ${JSON.stringify(String(storage)).slice(0, 100)}, which this export does not read` }
      const { GridFSBucket } = await mongoDriver()
      const bucket = new GridFSBucket(db, { bucketName: 'custom_emoji' })
      // A picture uploaded again is a newer file of the same name.
      const [stored] = await bucket.find({ filename: fileName }, { sort: { uploadDate: -1 }, limit: 1, projection: { _id: 1 } }).toArray()
      return stored === undefined ? null : bucket.openDownloadStream(stored._id)
    },

    async sizeOf (record) {
      if (record.complete === false || !await isReadable(record.store ?? 'GridFS:Uploads')) return null
      return typeof record.size === 'number' && Number.isFinite(record.size) && record.size >= 0 ? record.size : null
    }
  }
}

/** A client for the bucket Rocket.Chat's settings name; its credentials go to the client only, never to a log or an error. */
async function s3FromSettings (settings: Map<string, unknown>): Promise<{ client: S3ClientLike, bucket: string } | NotSetUp> {
  const text = (name: string) => {
    const value = settings.get(name)
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
  }
  const bucket = text('FileUpload_S3_Bucket')
  if (bucket === undefined) return { notSetUp: ', whose bucket is not configured (FileUpload_S3_Bucket)' }
  let S3Client: S3Sdk['S3Client']
  try {
    ({ S3Client } = await s3Sdk())
  } catch {
    return { notSetUp: '; install @aws-sdk/client-s3 to read it' }
  }
  const endpoint = text('FileUpload_S3_BucketURL')
  const accessKeyId = text('FileUpload_S3_AWSAccessKeyId')
  const secretAccessKey = text('FileUpload_S3_AWSSecretAccessKey')
  // As Rocket.Chat builds its client: region us-east-1 unless set, a BucketURL without a scheme is https.
  const client = new S3Client({
    region: text('FileUpload_S3_Region') ?? 'us-east-1',
    ...(endpoint === undefined ? {} : { endpoint: /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}` }),
    forcePathStyle: settings.get('FileUpload_S3_ForcePathStyle') === true,
    ...(accessKeyId === undefined || secretAccessKey === undefined ? {} : { credentials: { accessKeyId, secretAccessKey } })
  })
  return { client, bucket }
}
