import type { ExportUser } from '../model.ts'
import type { ExportStatus } from '../schemas.ts'

export type ExportFormat = 'html' | 'json'
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

/** One file export, from the request to its expiry. */
export interface ExportJob {
  _id: string
  rid: string
  userId: string
  format: ExportFormat
  status: JobStatus
  /** messages written so far */
  messages: number
  /** how many messages the export will hold, counted at its start (when the repository can count) */
  total?: number
  /** bytes of the stored zip so far */
  bytes: number
  /** of the whole stored zip, once done: the download's strong ETag */
  sha256?: string
  createdAt: Date
  finishedAt?: Date
  /** after this the export is gone: its zip removed, its id unknown */
  expiresAt?: Date
  error?: string
  /** the name the download is offered under */
  fileName: string
  /** 1, then one more each time another instance runs the job again because its own stopped */
  attempt: number
  /** what another instance needs to run the job again */
  request?: JobRequest
}

/** A file export's request as the job keeps it: the range resolved, the requester as authenticated. */
export interface JobRequest {
  /** ISO instants, inclusive */
  from: string
  to: string
  timezone: string
  requester: Pick<ExportUser, '_id' | 'username' | 'name' | 'language' | 'emails'>
  /** the HTTP request that started the export, for the log lines of every attempt */
  reqId: string
  /** asked for edit history and deletions (`includeHistory`); absent when not */
  includeHistory?: true
}

/** Which run of a job a write comes from: a job run again elsewhere no longer takes the writes of the run it replaced. */
export type JobAttempt = Pick<ExportJob, '_id' | 'attempt'>

/**
 * Where an attempt stores its zip: each attempt its own key, so the clean-up
 * of an attempt that lost its job can never remove what the next one stored.
 */
export function storageKeyOf ({ _id: id, attempt }: JobAttempt): string {
  return attempt === 1 ? id : `${id}-${attempt}`
}

/** What a job store shared by several processes or instances is told at start (from `limits`). */
export interface JobStoreSettings {
  /** a finished job (and its zip) is kept this long */
  exportTtlMs: number
  /** a job or slot whose heartbeat is older than this belongs to a process or instance that stopped */
  instanceTimeoutMs: number
  /** how many times a job is started in all when the processes or instances running it stop */
  exportAttempts: number
}

/** A page of a list: `count` items after the first `offset`. */
export interface JobPage {
  offset: number
  count: number
}

/** Newest first (`createdAt`, then `_id`, both descending): the order of a user's list. */
function newestFirst (a: ExportJob, b: ExportJob): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || Number(b._id > a._id) - Number(b._id < a._id)
}

/** A user's jobs not expired at `now`, newest first, paged. */
export function pageOfUser (jobs: Iterable<ExportJob>, userId: string, { offset, count }: JobPage, now: Date): { jobs: ExportJob[], total: number } {
  const own = [...jobs].filter((job) => job.userId === userId && (job.expiresAt === undefined || job.expiresAt > now)).sort(newestFirst)
  return { jobs: own.slice(offset, offset + count), total: own.length }
}

export interface SlotLimits {
  perUser: number
  overall: number
}

/**
 * Job bookkeeping. `insertIfSlotFree` claims a concurrency slot and records
 * the job in one step, so two requests cannot both take the last slot; a job
 * holds its slot while queued or running. `claimSlot` takes a slot for work
 * that has no job record (an email export) until `releaseSlot`.
 */
export interface ExportJobStore {
  insertIfSlotFree (job: ExportJob, limits: SlotLimits): Promise<boolean>
  claimSlot (holderId: string, userId: string, limits: SlotLimits): Promise<boolean>
  releaseSlot (holderId: string): Promise<void>
  /** Records an attempt's end from outside its run (the clean-up's `failed`), unless another attempt has replaced it. */
  update (job: JobAttempt, patch: Partial<Omit<ExportJob, '_id'>>): Promise<void>
  /**
   * The running attempt's own writes (progress, `running`, `done`): applied
   * only while the job is still queued or running in this attempt; `false`
   * when it is not — failed elsewhere, or run again by another instance
   * (this one looked stopped) — and the attempt must stop.
   */
  updateActive (job: JobAttempt, patch: Partial<Omit<ExportJob, '_id'>>): Promise<boolean>
  /**
   * Ends a queued or running job as its owner asked (`patch`: `cancelled`,
   * with its times), and frees its slots — unless it has ended meanwhile:
   * `false` then. The instance running it sees the record at its next write.
   */
  cancel (job: JobAttempt, patch: Partial<Omit<ExportJob, '_id'>>): Promise<boolean>
  findById (id: string): Promise<ExportJob | null>
  /** One user's jobs not expired at `now`, newest first: the page asked for, and how many there are in all. */
  findByUser (userId: string, page: JobPage, now: Date): Promise<{ jobs: ExportJob[], total: number }>
  findExpired (now: Date): Promise<ExportJob[]>
  remove (id: string): Promise<void>
  /**
   * Jobs whose instance stopped (no heartbeat for the instance timeout), now
   * this caller's to run again: each already in its next attempt, `queued`,
   * its counts reset and its slots kept. One that has used its attempts, or
   * has no `request` to run again from, is failed instead. Stores shared by
   * several instances only.
   */
  takeOverStopped? (): Promise<ExportJob[]>
  /**
   * A running attempt this instance gives up without failing it (the server
   * is closing): it is left for another instance to take over at once.
   */
  handOver? (job: JobAttempt): Promise<void>
  /**
   * Jobs failed because their instance stopped and they could not run again
   * (`takeOverStopped`, or a status read that found them so): what their
   * attempts stored is still there until `leftoversRemoved`. Stores shared by
   * several instances only.
   */
  findLeftovers? (): Promise<ExportJob[]>
  leftoversRemoved? (id: string): Promise<void>
  /** The server is closing (after its exports stopped): a store shared by processes stops counting this one among the living. */
  close? (): Promise<void>
}

/** Queued or running: the job holds its slots, and its attempt may still write. */
export const active = (job: ExportJob) => job.status === 'queued' || job.status === 'running'

/**
 * Concurrency slots counted in this process: its queued and running jobs
 * (the users `jobUsers` lists, one per job) and the holders without a job
 * record (email exports).
 */
export function createProcessSlots (jobUsers: () => Iterable<string>): Pick<ExportJobStore, 'claimSlot' | 'releaseSlot'> & { free (userId: string, limits: SlotLimits): boolean } {
  /** holder id → user id */
  const holders = new Map<string, string>()
  const slots = {
    free (userId: string, limits: SlotLimits) {
      const users = [...holders.values(), ...jobUsers()]
      return users.length < limits.overall && users.filter((user) => user === userId).length < limits.perUser
    },
    async claimSlot (holderId: string, userId: string, limits: SlotLimits) {
      if (!slots.free(userId, limits)) return false
      holders.set(holderId, userId)
      return true
    },
    async releaseSlot (holderId: string) {
      holders.delete(holderId)
    }
  }
  return slots
}

/** Jobs in this process's memory: gone with it. */
export function createMemoryJobStore (): ExportJobStore {
  const jobs = new Map<string, ExportJob>()
  const { free, claimSlot, releaseSlot } = createProcessSlots(() => [...jobs.values()].filter(active).map((job) => job.userId))
  const store: ExportJobStore = {
    async insertIfSlotFree (job, limits) {
      if (!free(job.userId, limits)) return false
      jobs.set(job._id, { ...job })
      return true
    },
    claimSlot,
    releaseSlot,
    async update ({ _id: id, attempt }, patch) {
      const job = jobs.get(id)
      if (job === undefined || job.attempt !== attempt) return
      Object.assign(job, patch)
    },
    async updateActive (attempt, patch) {
      const job = jobs.get(attempt._id)
      if (job === undefined || job.attempt !== attempt.attempt || !active(job)) return false
      await store.update(attempt, patch)
      return true
    },
    // In memory a slot is held by an active job only: ending it is the running attempt's own write.
    async cancel (attempt, patch) {
      return await store.updateActive(attempt, patch)
    },
    async findById (id) {
      const job = jobs.get(id)
      return job === undefined ? null : { ...job }
    },
    async findByUser (userId, page, now) {
      const found = pageOfUser(jobs.values(), userId, page, now)
      return { jobs: found.jobs.map((job) => ({ ...job })), total: found.total }
    },
    async findExpired (now) {
      return [...jobs.values()].filter((job) => job.expiresAt !== undefined && job.expiresAt <= now).map((job) => ({ ...job }))
    },
    async remove (id) {
      jobs.delete(id)
    }
  }
  return store
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
  if (job.total !== undefined) status.total = job.total
  const progress = progressOf(job)
  if (progress !== undefined) status.progress = progress
  if (job.finishedAt !== undefined) status.finishedAt = job.finishedAt.toISOString()
  if (job.error !== undefined) status.error = job.error
  if (job.attempt > 1) status.attempt = job.attempt
  return status
}

/**
 * `messages / total`, 0 to 1, rounded down to four places (so it reaches 1
 * only when done); 1 once done, even when no total was counted.
 */
function progressOf ({ status, messages, total }: ExportJob): number | undefined {
  if (status === 'done') return 1
  if (total === undefined) return undefined
  if (total === 0) return 0
  return Math.min(0.9999, Math.floor(messages / total * 10_000) / 10_000)
}
