import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { assertStorageKey, type ExportStorage } from './storage.ts'

/**
 * Exports as files in one directory. A file is written as `<key>.zip.partial`
 * and renamed only when complete, so a reader never sees half an export and a
 * failed write leaves nothing behind.
 */
export function createDirectoryStorage (directory: string): ExportStorage {
  const pathOf = (key: string): string => {
    assertStorageKey(key)
    return join(directory, `${key}.zip`)
  }

  return {
    async write (key, source) {
      const finalPath = pathOf(key)
      const partialPath = `${finalPath}.partial`
      await mkdir(directory, { recursive: true })
      try {
        await pipeline(source, createWriteStream(partialPath, { flags: 'wx' }))
        await rename(partialPath, finalPath)
      } catch (err) {
        await rm(partialPath, { force: true })
        throw err
      }
    },

    async read (key) {
      const path = pathOf(key)
      const stream = createReadStream(path)
      return await new Promise<Readable | null>((resolve, reject) => {
        stream.once('open', () => { resolve(stream) })
        stream.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') resolve(null)
          else reject(err)
        })
      })
    },

    async remove (key) {
      await rm(pathOf(key), { force: true })
    }
  }
}
