import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { ExportJobStore } from '../export/jobs.ts'
import { createRecordedJobStore } from '../export/recorded-jobs.ts'
import { UnsafeStorageError } from '../errors.ts'
import { assertStorageKey, type ExportStorage } from './storage.ts'

const zipSuffix = '.zip'
const partialSuffix = '.zip.partial'
const jobSuffix = '.job.json'

/**
 * Exports as files in one private directory (0700, files 0600). A file is
 * written as `<key>.zip.partial` and renamed only when complete, so a reader
 * never sees half an export and a failed write leaves nothing behind. Job
 * records live beside the zips as `<key>.job.json`, so a restart on the same
 * directory keeps finished exports downloadable until they expire.
 */
export function createDirectoryStorage (directory: string): ExportStorage {
  const pathOf = (key: string, suffix = zipSuffix): string => {
    assertStorageKey(key)
    return join(directory, `${key}${suffix}`)
  }

  return {
    async prepare ({ abandonedAfterMs, expiredAfterMs }) {
      await mkdir(directory, { recursive: true, mode: 0o700 })
      const info = await lstat(directory)
      const uid = process.getuid?.()
      if (!info.isDirectory()) throw new UnsafeStorageError(`storage path ${directory} is not a directory`)
      /* c8 ignore next -- process.getuid exists on every POSIX system; Windows has no owner to compare */
      if (uid !== undefined && info.uid !== uid) throw new UnsafeStorageError(`storage directory ${directory} belongs to another user (uid ${info.uid}); use a directory of your own`)
      if ((info.mode & 0o022) !== 0) throw new UnsafeStorageError(`storage directory ${directory} is writable by group or others; chmod 700 it or use another`)
      // Our own directory, once readable by others (an older version made it 0755): close it.
      if ((info.mode & 0o077) !== 0) await chmod(directory, 0o700)
      const now = Date.now()
      for (const name of await readdir(directory)) {
        const limit = name.endsWith(partialSuffix) ? abandonedAfterMs : name.endsWith(zipSuffix) ? expiredAfterMs : null
        if (limit === null) continue
        const path = join(directory, name)
        const { mtimeMs } = await stat(path)
        if (now - mtimeMs > limit) await rm(path, { force: true })
      }
    },

    async write (key, source) {
      const finalPath = pathOf(key)
      const partialPath = pathOf(key, partialSuffix)
      // Opened before streaming, so the clean-up below always finds (and removes) the file,
      // even when the source failed before the first byte.
      const file = await open(partialPath, 'wx', 0o600)
      try {
        await pipeline(source, file.createWriteStream())
        await rename(partialPath, finalPath)
      } catch (err) {
        await file.close().catch(() => {})
        await rm(partialPath, { force: true })
        throw err
      }
    },

    async read (key, range) {
      try {
        const file = await open(pathOf(key))
        return file.createReadStream(range)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
    },

    async remove (key) {
      await rm(pathOf(key), { force: true })
    },

    async createJobStore (exportTtlMs) {
      return await directoryJobStore(directory, pathOf, exportTtlMs)
    }
  }
}

/** Job records as `<id>.job.json` (written whole, then renamed into place); read back at start. */
async function directoryJobStore (directory: string, pathOf: (key: string, suffix: string) => string, exportTtlMs: number): Promise<ExportJobStore> {
  return await createRecordedJobStore({
    async readAll () {
      const records = []
      for (const name of await readdir(directory)) {
        if (!name.endsWith(jobSuffix)) continue
        records.push({ id: name.slice(0, -jobSuffix.length), text: await readFile(join(directory, name), 'utf8') })
      }
      return records
    },
    async save (job) {
      const path = pathOf(job._id, jobSuffix)
      const file = await open(`${path}.tmp`, 'w', 0o600)
      try {
        await file.writeFile(JSON.stringify(job))
      } finally {
        await file.close()
      }
      await rename(`${path}.tmp`, path)
    },
    // Also for a record read back that was not one (its id as listed).
    async delete (id) {
      await rm(join(directory, `${id}${jobSuffix}`), { force: true })
    },
    async removeUnfinishedWrite (id) {
      await rm(pathOf(id, partialSuffix), { force: true })
    }
  }, exportTtlMs)
}
