import { createMemoryJobStore, type ExportJob, type ExportJobStore } from './jobs.ts'

/**
 * Where a storage keeps job records beside its exports (a directory's
 * `<id>.job.json` files, an S3 bucket's `jobs/<id>.json` objects): each
 * written whole, read back at start.
 */
export interface JobRecordPlace {
  /** every record's id and text */
  readAll (): Promise<Array<{ id: string, text: string }>>
  save (job: ExportJob): Promise<void>
  delete (id: string): Promise<void>
  /** what an export that was running when the server stopped left of its zip */
  removeUnfinishedWrite (id: string): Promise<void>
}

/**
 * Jobs in memory, written through to `place`, so a restart on the same place
 * keeps finished exports downloadable until they expire. Exports that were
 * running when the last server stopped cannot finish: they read failed (what
 * they wrote goes), and say so until they expire.
 */
export async function createRecordedJobStore (place: JobRecordPlace, exportTtlMs: number): Promise<ExportJobStore> {
  const restored: ExportJob[] = []
  for (const { id, text } of await place.readAll()) {
    try {
      restored.push(reviveJob(JSON.parse(text) as Record<string, unknown>))
    } catch {
      // A record cut short by a crash: its export is unknown, and the sweep removes its zip when it expires.
      await place.delete(id)
    }
  }
  const jobs = createMemoryJobStore(restored, place)
  const now = new Date()
  for (const job of restored) {
    if (job.status === 'queued' || job.status === 'running') {
      await place.removeUnfinishedWrite(job._id)
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
