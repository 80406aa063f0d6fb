import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GridFSBucket, type Db, type Document } from 'mongodb'
import { assertStorageKey, type ExportStorage } from './storage.ts'

/**
 * Exports in a GridFS bucket, so every server instance on the database can
 * serve every download. GridFS writes the file document only after the last
 * chunk, so a reader never finds half an export; a failed write's chunks are
 * deleted.
 */
export function createGridFsStorage (db: Db, bucketName = 'rooms_export'): ExportStorage {
  const bucket = new GridFSBucket(db, { bucketName })
  const files = db.collection(`${bucketName}.files`)
  const chunks = db.collection(`${bucketName}.chunks`)
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
      const upload = bucket.openUploadStreamWithId(id(key), `${key}.zip`, { metadata: { contentType: 'application/zip' } })
      try {
        await pipeline(source, upload)
      } catch (err) {
        await remove(key)
        throw err
      }
    },

    async read (key) {
      const stored = await files.findOne({ _id: id(key) }, { projection: { _id: 1 } })
      return stored === null ? null : bucket.openDownloadStream(stored._id) as Readable
    },

    remove
  }
}
