import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { positionalFileStream } from './positional-file.ts'
import { createRecordedJobStore, type JobRecordPlace } from '../export/recorded-jobs.ts'
import { UnsafeStorageError } from '../errors.ts'
import { assertStorageKey, isStorageKey, recordAccountsFor, type ExportStorage, type StoragePreparation } from './storage.ts'

const zipSuffix = '.zip'
const partialSuffix = '.zip.partial'
const jobSuffix = '.job.json'
const claimSuffix = '.claim'
const temporarySuffix = '.tmp'

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
      // What a crash left that no job accounts for. Other processes may be using the directory:
      // what a job record names (a `.partial` being written, a claim) is the jobs' to remove.
      const now = Date.now()
      const names = await readdir(directory)
      const recorded = new Set(names.filter((name) => name.endsWith(jobSuffix)).map((name) => name.slice(0, -jobSuffix.length)))
      for (const name of names) {
        const limit = leftAfterMs(name, recordAccountsFor(name, recorded), { abandonedAfterMs, expiredAfterMs })
        if (limit === null) continue
        const path = join(directory, name)
        const info = await stat(path).catch(absentAsNull)
        if (info !== null && now - info.mtimeMs > limit) await rm(path, { force: true })
      }
    },

    async write (key, source) {
      const finalPath = pathOf(key)
      const partialPath = pathOf(key, partialSuffix)
      // Opened before streaming, so the clean-up below always finds (and removes) the file,
      // even when the source failed before the first byte.
      const file = await open(partialPath, 'wx', 0o600)
      try {
        await pipeline(source, positionalFileStream(file))
        await file.close()
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

    // The `.partial` too: a take-over removes what a stopped process was writing.
    async remove (key) {
      await rm(pathOf(key), { force: true })
      await rm(pathOf(key, partialSuffix), { force: true })
    },

    async createJobStore (settings) {
      return await createRecordedJobStore(directoryRecords(directory, pathOf), settings)
    }
  }
}

/**
 * Job records as `<id>.job.json` (written to a file of their own, then renamed
 * into place); claims as `<name>.claim`, created exclusively.
 */
function directoryRecords (directory: string, pathOf: (key: string, suffix: string) => string): JobRecordPlace {
  const recordPath = (id: string) => pathOf(id, jobSuffix)
  return {
    async list () {
      const records = []
      for (const name of await readdir(directory)) {
        if (!name.endsWith(jobSuffix)) continue
        const info = await stat(join(directory, name)).catch(absentAsNull)
        if (info !== null) records.push({ id: name.slice(0, -jobSuffix.length), version: `${info.mtimeMs}:${info.size}:${info.ino}` })
      }
      return records
    },
    // Any id a client sends comes here: one that is no key names no record.
    async read (id) {
      if (!isStorageKey(id)) return null
      return await readFile(recordPath(id), 'utf8').catch(absentAsNull)
    },
    async save (id, text) {
      const path = recordPath(id)
      // A temporary name of this writer's own: two processes writing one record never share a file.
      const temporary = `${path}.${randomBytes(6).toString('hex')}${temporarySuffix}`
      try {
        await writeFile(temporary, text, { mode: 0o600 })
        await rename(temporary, path)
      } catch (err) {
        await rm(temporary, { force: true })
        throw err
      }
    },
    async delete (id) {
      await rm(join(directory, `${id}${jobSuffix}`), { force: true })
    },
    async claim (id, name) {
      assertStorageKey(id)
      try {
        await (await open(join(directory, `${name}${claimSuffix}`), 'wx', 0o600)).close()
        return true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw err
      }
    },
    async deleteClaims (id) {
      assertStorageKey(id)
      for (const name of await readdir(directory)) {
        if (name.startsWith(`${id}.`) && name.endsWith(claimSuffix)) await rm(join(directory, name), { force: true })
      }
    }
  }
}

/** How old a file of the directory is when a start-up sweep removes it; `null`: never (not ours, or its job's). */
function leftAfterMs (name: string, recorded: boolean, { abandonedAfterMs, expiredAfterMs }: StoragePreparation): number | null {
  if (name.endsWith(partialSuffix)) return recorded ? null : abandonedAfterMs
  if (name.endsWith(zipSuffix)) return expiredAfterMs
  if (name.endsWith(temporarySuffix)) return abandonedAfterMs
  if (name.endsWith(claimSuffix)) return recorded ? null : 0
  return null
}

function absentAsNull (err: unknown): null {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
  throw err
}
