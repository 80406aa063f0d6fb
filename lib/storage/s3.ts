import type { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { s3Sdk, s3Uploads } from '../aws-sdk.ts'
import type { S3ClientLike } from '../backends/upload-stores.ts'
import { createRecordedJobStore } from '../export/recorded-jobs.ts'
import { assertStorageKey, isStorageKey, recordAccountsFor, type ExportStorage } from './storage.ts'

export interface S3StorageOptions {
  /** an `S3Client` of `@aws-sdk/client-s3` (AWS, or any S3-compatible server: MinIO, Ceph, …) */
  client: S3ClientLike
  bucket: string
  /** where in the bucket exports and their job records go; default `rooms-export/` */
  prefix?: string
}

/** Parts of a multipart upload: S3's smallest allowed size, so an export holds at most one part in memory. */
const partSize = 5 * 1024 * 1024

/**
 * Exports as objects in an S3 bucket: `<prefix><key>.zip`, streamed in
 * multipart uploads (the length is not known until the zip ends), read with
 * ranges for resumed downloads; job records beside them as
 * `<prefix>jobs/<id>.json`, so a restart keeps finished exports
 * downloadable. The credentials are the client's: never logged, never in a
 * status. Needs `@aws-sdk/client-s3` and `@aws-sdk/lib-storage` (optional peer dependencies).
 */
export function createS3Storage ({ client: host, bucket, prefix = 'rooms-export/' }: S3StorageOptions): ExportStorage {
  // Typed by shape in the options, so a host's types need no @aws-sdk package unless it uses S3.
  const client = host as unknown as S3Client
  const objectKey = (key: string) => {
    assertStorageKey(key)
    return `${prefix}${key}.zip`
  }
  const recordsUnder = `${prefix}jobs/`
  const recordKey = (id: string) => {
    assertStorageKey(id)
    return `${recordsUnder}${id}.json`
  }
  const isMissing = (err: unknown) => (err as { name?: string }).name === 'NoSuchKey'

  /** Every object under `under`, with its last change and its version (the ETag). */
  async function list (under: string): Promise<Array<{ key: string, modified: Date, version: string }>> {
    const { ListObjectsV2Command } = await s3Sdk()
    const objects: Array<{ key: string, modified: Date, version: string }> = []
    let token: string | undefined
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ContinuationToken: token }))
      for (const object of page.Contents ?? []) objects.push({ key: object.Key!, modified: object.LastModified!, version: `${object.ETag}:${object.LastModified!.getTime()}` })
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return objects
  }

  /** Every job record's id, with its version. */
  async function listRecords (): Promise<Array<{ id: string, version: string }>> {
    return (await list(recordsUnder)).map(({ key, version }) => ({ id: key.slice(recordsUnder.length, -'.json'.length), version }))
  }

  async function removeObject (key: string): Promise<void> {
    const { DeleteObjectCommand } = await s3Sdk()
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  }

  /**
   * Multipart uploads never completed (their parts cost storage until aborted)
   * of `key`, or all of them but those a job record accounts for (another
   * process may be writing them).
   */
  async function abortUnfinished (olderThan: Date, key?: string): Promise<void> {
    const recorded = key === undefined ? new Set((await listRecords()).map((record) => record.id)) : null
    const { ListMultipartUploadsCommand, AbortMultipartUploadCommand } = await s3Sdk()
    // Some S3-compatible servers (gofakes3) answer NoSuchUpload where S3 lists none.
    const { Uploads: uploads = [] } = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key ?? prefix }))
      .catch((err: unknown) => { if ((err as { name?: string }).name === 'NoSuchUpload') return { Uploads: [] }; throw err })
    for (const upload of uploads) {
      if (upload.Initiated !== undefined && upload.Initiated > olderThan) continue
      if (recorded !== null && recordAccountsFor(upload.Key!.slice(prefix.length), recorded)) continue
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
    }
  }

  return {
    async prepare ({ abandonedAfterMs, expiredAfterMs }) {
      const now = Date.now()
      await abortUnfinished(new Date(now - abandonedAfterMs))
      for (const { key, modified } of await list(prefix)) {
        if (key.endsWith('.zip') && !key.slice(prefix.length).includes('/') && now - modified.getTime() > expiredAfterMs) await removeObject(key)
      }
    },

    async write (key, source) {
      const { Upload } = await s3Uploads()
      // One part at a time: the export waits on the bucket rather than buffering ahead of it.
      const upload = new Upload({ client, params: { Bucket: bucket, Key: objectKey(key), Body: source, ContentType: 'application/zip' }, partSize, queueSize: 1, leavePartsOnError: false })
      // A source that fails or is destroyed (the plugin's abort) fails the upload; its parts are aborted.
      const failed = new Promise<never>((_resolve, reject) => { source.once('error', reject) })
      failed.catch(() => {})
      try {
        await Promise.race([upload.done(), failed])
      } catch (err) {
        await upload.abort().catch(() => {})
        throw err
      }
    },

    async read (key, range) {
      const { GetObjectCommand } = await s3Sdk()
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key), ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }) }))
        return object.Body as Readable
      } catch (err) {
        if (isMissing(err)) return null
        throw err
      }
    },

    // An upload under way too: a take-over removes what a stopped process was writing.
    async remove (key) {
      await removeObject(objectKey(key))
      await abortUnfinished(new Date(), objectKey(key))
    },

    async createJobStore (settings) {
      const { GetObjectCommand, PutObjectCommand } = await s3Sdk()
      const claimsUnder = `${prefix}claims/`
      return await createRecordedJobStore({
        list: listRecords,
        // Any id a client sends comes here: one that is no key names no record.
        async read (id) {
          if (!isStorageKey(id)) return null
          try {
            const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: recordKey(id) }))
            return await object.Body!.transformToString()
          } catch (err) {
            if (isMissing(err)) return null
            throw err
          }
        },
        async save (id, text) {
          // One PUT: an object is replaced whole, never seen half written.
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: recordKey(id), Body: text, ContentType: 'application/json' }))
        },
        async delete (id) {
          await removeObject(recordKey(id))
        },
        // A conditional write (AWS S3 since 2024, MinIO, Ceph): of several processes, one creates the object.
        async claim (id, name) {
          assertStorageKey(id)
          try {
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${claimsUnder}${name}`, Body: '', IfNoneMatch: '*' }))
            return true
          } catch (err) {
            const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
            // 412: it exists; 409: another conditional write of it is under way.
            if (status === 412 || status === 409) return false
            throw err
          }
        },
        async deleteClaims (id) {
          assertStorageKey(id)
          for (const { key } of await list(`${claimsUnder}${id}.`)) await removeObject(key)
        }
      }, settings)
    }
  }
}
