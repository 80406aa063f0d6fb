import { mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
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
      // Opened before streaming, so the clean-up below always finds (and removes) the file,
      // even when the source failed before the first byte.
      const file = await open(partialPath, 'wx')
      try {
        await pipeline(source, file.createWriteStream())
        await rename(partialPath, finalPath)
      } catch (err) {
        await file.close().catch(() => {})
        await rm(partialPath, { force: true })
        throw err
      }
    },

    async read (key) {
      try {
        const file = await open(pathOf(key))
        return file.createReadStream()
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
    },

    async remove (key) {
      await rm(pathOf(key), { force: true })
    }
  }
}
