import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createMemoryJobStore, type ExportJob, type ExportJobStore } from '../export/jobs.ts'
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
  const restored: ExportJob[] = []
  for (const name of await readdir(directory)) {
    if (!name.endsWith(jobSuffix)) continue
    const path = join(directory, name)
    try {
      restored.push(reviveJob(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>))
    } catch {
      // A record cut short by a crash: its export is unknown, and the sweep removes its zip when it expires.
      await rm(path, { force: true })
    }
  }
  const records = {
    async save (job: ExportJob) {
      const path = pathOf(job._id, jobSuffix)
      const file = await open(`${path}.tmp`, 'w', 0o600)
      try {
        await file.writeFile(JSON.stringify(job))
      } finally {
        await file.close()
      }
      await rename(`${path}.tmp`, path)
    },
    async delete (id: string) {
      await rm(pathOf(id, jobSuffix), { force: true })
    }
  }
  const jobs = createMemoryJobStore(restored, records)
  // Exports that were running when the last server stopped cannot finish: they failed
  // (their `.partial` is gone with the start-up sweep), and say so until they expire.
  const now = new Date()
  for (const job of restored) {
    if (job.status === 'queued' || job.status === 'running') {
      await rm(pathOf(job._id, partialSuffix), { force: true })
      await jobs.update(job, { status: 'failed', error: 'the server stopped during the export', bytes: 0, finishedAt: now, expiresAt: new Date(now.getTime() + exportTtlMs) })
    }
  }
  return jobs
}

function reviveJob (record: Record<string, unknown>): ExportJob {
  const job = { ...record } as unknown as ExportJob
  for (const field of ['createdAt', 'finishedAt', 'expiresAt'] as const) {
    if (typeof record[field] === 'string') job[field] = new Date(record[field])
  }
  if (typeof job._id !== 'string' || !(job.createdAt instanceof Date)) throw new Error('not a job record')
  // Records written before jobs had attempts were all first attempts.
  job.attempt ??= 1
  return job
}
