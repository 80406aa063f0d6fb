import type { ExportStatus } from '../schemas.ts'

export type ExportFormat = 'html' | 'json'
export type JobStatus = 'queued' | 'running' | 'done' | 'failed'

/** One file export, from the request to its expiry. */
export interface ExportJob {
  _id: string
  rid: string
  userId: string
  format: ExportFormat
  status: JobStatus
  /** messages written so far */
  messages: number
  /** bytes of the stored zip so far */
  bytes: number
  createdAt: Date
  finishedAt?: Date
  /** after this the export is gone: its zip removed, its id unknown */
  expiresAt?: Date
  error?: string
  /** the name the download is offered under */
  fileName: string
}

export interface SlotLimits {
  perUser: number
  overall: number
}

/**
 * Job bookkeeping. `insertIfSlotFree` claims a concurrency slot and records
 * the job in one step, so two requests cannot both take the last slot.
 */
export interface ExportJobStore {
  insertIfSlotFree (job: ExportJob, limits: SlotLimits): Promise<boolean>
  update (id: string, patch: Partial<Omit<ExportJob, '_id'>>): Promise<void>
  findById (id: string): Promise<ExportJob | null>
  findExpired (now: Date): Promise<ExportJob[]>
  remove (id: string): Promise<void>
}

const active = (job: ExportJob) => job.status === 'queued' || job.status === 'running'

export function createMemoryJobStore (): ExportJobStore {
  const jobs = new Map<string, ExportJob>()
  return {
    async insertIfSlotFree (job, limits) {
      let running = 0
      let runningForUser = 0
      for (const other of jobs.values()) {
        if (!active(other)) continue
        running++
        if (other.userId === job.userId) runningForUser++
      }
      if (running >= limits.overall || runningForUser >= limits.perUser) return false
      jobs.set(job._id, { ...job })
      return true
    },
    async update (id, patch) {
      const job = jobs.get(id)
      if (job !== undefined) Object.assign(job, patch)
    },
    async findById (id) {
      const job = jobs.get(id)
      return job === undefined ? null : { ...job }
    },
    async findExpired (now) {
      return [...jobs.values()].filter((job) => job.expiresAt !== undefined && job.expiresAt <= now).map((job) => ({ ...job }))
    },
    async remove (id) {
      jobs.delete(id)
    }
  }
}

export function toExportStatus (job: ExportJob): ExportStatus {
  const status: ExportStatus = {
    _id: job._id,
    rid: job.rid,
    format: job.format,
    status: job.status,
    messages: job.messages,
    bytes: job.bytes,
    createdAt: job.createdAt.toISOString()
  }
  if (job.finishedAt !== undefined) status.finishedAt = job.finishedAt.toISOString()
  if (job.error !== undefined) status.error = job.error
  return status
}
