import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Document, GridFSBucket, GridFSBucketWriteStream } from 'mongodb'
import type { MongoDatabase } from '../backends/mongo-database.ts'
import { asDb, mongoDriver } from '../backends/mongo-driver.ts'
import { assertStorageKey, type ExportStorage } from './storage.ts'

/**
 * Exports in a GridFS bucket, so every server instance on the database can
 * serve every download. GridFS writes the file document only after the last
 * chunk, so a reader never finds half an export; a failed write's chunks are
 * deleted.
 */
export function createGridFsStorage (database: MongoDatabase, bucketName = 'rooms_export'): ExportStorage {
  const db = asDb(database)
  // On the primary whatever the host's read preference: "done" must mean readable by the next request.
  const consistent = { readPreference: 'primary', writeConcern: { w: 'majority' } } as const
  let bucketOnce: Promise<GridFSBucket> | undefined
  const bucket = async () => await (bucketOnce ??= mongoDriver().then(({ GridFSBucket, ReadPreference }) =>
    new GridFSBucket(db, { bucketName, readPreference: ReadPreference.primary, writeConcern: consistent.writeConcern })))
  const files = db.collection(`${bucketName}.files`, consistent)
  const chunks = db.collection(`${bucketName}.chunks`, consistent)
  const id = (key: string) => {
    assertStorageKey(key)
    return key as unknown as Document['_id']
  }
  const remove = async (key: string) => {
    // The file document first: from then on readers find nothing rather than a file with chunks
    // going missing under them. Orphan chunks of an interrupted removal go with the next try.
    await files.deleteOne({ _id: id(key) })
    await chunks.deleteMany({ files_id: id(key) })
  }

  return {
    async write (key, source) {
      const upload = (await bucket()).openUploadStreamWithId(id(key), `${key}.zip`, { metadata: { contentType: 'application/zip' } })
      try {
        await pipeline(source, upload)
      } catch (err) {
        await chunkInsertsSettled(upload)
        await remove(key)
        throw err
      }
    },

    async read (key, range) {
      const stored = await files.findOne({ _id: id(key) }, { projection: { _id: 1 } })
      // GridFS reads only the chunks the range touches; its `end` is exclusive.
      const options = range === undefined ? {} : { start: range.start, end: range.end + 1 }
      return stored === null ? null : (await bucket()).openDownloadStream(stored._id, options) as Readable
    },

    remove
  }
}

/**
 * When the source fails, the driver may still be inserting the chunk it had
 * filled; removing before that insert lands would leave it behind. The driver
 * counts its in-flight inserts (and stops counting once one has failed, so an
 * errored upload has nothing more to land); 30 s bounds the wait regardless.
 */
async function chunkInsertsSettled (upload: GridFSBucketWriteStream): Promise<void> {
  const deadline = Date.now() + 30_000
  while (upload.state.outstandingRequests > 0 && !upload.state.errored && Date.now() < deadline) await sleep(10)
}
