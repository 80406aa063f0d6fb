import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { active, createProcessSlots, pageOfUser, type ExportJob, type ExportJobStore, type JobStoreSettings } from './jobs.ts'

/**
 * Where a storage keeps job records beside its exports (a directory's
 * `<id>.job.json` files, an S3 bucket's `jobs/<id>.json` objects), shared by
 * every process that uses the same place.
 */
export interface JobRecordPlace {
  /** every record's id, with a version that changes whenever the record is written */
  list (): Promise<Array<{ id: string, version: string }>>
  /** one record's text, or `null` when there is none */
  read (id: string): Promise<string | null>
  /** writes the record whole: a reader sees the old text or the new, never a part */
  save (id: string, text: string): Promise<void>
  delete (id: string): Promise<void>
  /** creates the marker `name` of job `id` unless it exists: `true` for the one caller of all processes that created it */
  claim (id: string, name: string): Promise<boolean>
  /** the markers of job `id` go with it */
  deleteClaims (id: string): Promise<void>
}

/** Who runs a job: this registration of the plugin, in this process, on this host. */
interface JobOwner {
  instance: string
  pid: number
  host: string
}

/** A job as its record holds it: the running one names its owner and when it last said it was alive. */
type RecordedJob = ExportJob & { owner?: JobOwner, heartbeatAt?: Date, leftovers?: boolean }

/** Registrations of this process whose store is open: a record of this pid naming another instance is a dead one's. */
const openInstances = new Set<string>()

/**
 * Jobs recorded in `place`, which several processes (cluster workers, a
 * rolling restart, parallel test files, two registrations) may share: status
 * and downloads answer for every job there. Each process runs its own jobs
 * and rewrites their records (with a heartbeat) at least every third of
 * `instanceTimeoutMs`. A running job is stopped only when its heartbeat is
 * older than `instanceTimeoutMs` and its owner, if on this host, no longer
 * runs — then exactly one process (the one whose claim marker is created)
 * runs it again, or fails it once its attempts are used. Concurrency slots
 * are counted per process.
 */
export async function createRecordedJobStore (place: JobRecordPlace, { exportTtlMs, instanceTimeoutMs, exportAttempts }: JobStoreSettings): Promise<ExportJobStore> {
  const self: JobOwner = { instance: randomBytes(9).toString('base64url'), pid: process.pid, host: hostname() }
  openInstances.add(self.instance)
  const heartbeatEveryMs = Math.ceil(instanceTimeoutMs / 3)
  /** this process's queued and running jobs, with their latest progress, and when their record was last written */
  const own = new Map<string, { job: ExportJob, savedAt: number }>()
  // A job that has just ended stays in `own` until its record says so: it holds no slot meanwhile.
  const { free, claimSlot, releaseSlot } = createProcessSlots(() => [...own.values()].filter(({ job }) => active(job)).map(({ job }) => job.userId))
  /** records parsed, by id and version: a sweep reads again only what changed */
  const parsed = new Map<string, { version: string, job: RecordedJob }>()

  const write = async (job: RecordedJob) => { await place.save(job._id, JSON.stringify(job)) }
  const writeOwned = async (job: ExportJob) => { await write({ ...job, owner: self, heartbeatAt: new Date() }) }

  async function readRecord (id: string): Promise<RecordedJob | null> {
    const text = await place.read(id)
    return text === null ? null : parseRecord(text)
  }

  /** The record of job `id` while it is queued or running in `attempt`; `null` once it is not (failed, or run again elsewhere). */
  async function activeRecord (id: string, attempt: number): Promise<RecordedJob | null> {
    const record = await readRecord(id)
    return record !== null && record.attempt === attempt && active(record) ? record : null
  }

  async function allRecords (): Promise<RecordedJob[]> {
    const records: RecordedJob[] = []
    const listed = new Set<string>()
    for (const { id, version } of await place.list()) {
      listed.add(id)
      let entry = parsed.get(id)
      if (entry?.version !== version) {
        const text = await place.read(id)
        // Removed since it was listed.
        if (text === null) continue
        const job = parseRecord(text)
        if (job === null) {
          // Not a record this plugin wrote whole (they are written whole): nothing to keep.
          await place.delete(id)
          continue
        }
        entry = { version, job }
        parsed.set(id, entry)
      }
      records.push({ ...entry.job })
    }
    for (const id of parsed.keys()) if (!listed.has(id)) parsed.delete(id)
    return records
  }

  function ownerRuns (owner: JobOwner | undefined): boolean {
    // A job handed over (or recorded without an owner) waits for nobody.
    if (owner === undefined) return false
    // On another host only the heartbeat can tell.
    if (owner.host !== self.host) return false
    if (owner.pid === process.pid) return openInstances.has(owner.instance)
    try {
      process.kill(owner.pid, 0)
      return true
    } catch (err) {
      // EPERM: the pid runs, as another user.
      return (err as NodeJS.ErrnoException).code === 'EPERM'
    }
  }

  const stopped = (record: RecordedJob, now: number) =>
    active(record) && record.owner?.instance !== self.instance &&
    (record.heartbeatAt ?? record.createdAt).getTime() < now - instanceTimeoutMs &&
    !ownerRuns(record.owner)

  const store: ExportJobStore = {
    async insertIfSlotFree (job, limits) {
      if (!free(job.userId, limits)) return false
      own.set(job._id, { job: { ...job }, savedAt: Date.now() })
      await writeOwned(job)
      return true
    },

    claimSlot,
    releaseSlot,

    async update ({ _id: id, attempt }, patch) {
      // The record decides: another process may have run the job again since.
      const record = await readRecord(id)
      if (record === null || record.attempt !== attempt) return
      const { owner, heartbeatAt, ...job } = record
      await write({ ...job, ...patch })
      // Only now: until the record says so, status reads must not fall back to the older record.
      if (own.get(id)?.job.attempt === attempt) own.delete(id)
    },

    async updateActive ({ _id: id, attempt }, patch) {
      const mine = own.get(id)
      if (mine === undefined || mine.job.attempt !== attempt) return false
      Object.assign(mine.job, patch)
      if (patch.status === undefined && Date.now() - mine.savedAt < heartbeatEveryMs) return true
      if (await activeRecord(id, attempt) === null) {
        // Failed or run again by another process, which took this one for stopped.
        own.delete(id)
        return false
      }
      mine.savedAt = Date.now()
      await writeOwned(mine.job)
      // A finished job's status comes from its record from now on — not before it is written.
      if (!active(mine.job)) own.delete(id)
      return true
    },

    async findById (id) {
      const mine = own.get(id)
      // This process's own running job: its counts are fresher than its record.
      if (mine !== undefined) return { ...mine.job }
      const record = await readRecord(id)
      return record === null ? null : asJob(record)
    },

    async cancel ({ _id: id, attempt }, patch) {
      const record = await activeRecord(id, attempt)
      if (record === null) return false
      // Running here: its counts (and total) are fresher than its record.
      const mine = own.get(id)?.job
      await write({ ...asJob(record), ...(mine?.attempt === attempt ? mine : {}), ...patch })
      // Its slot is free from now: the running attempt, here or elsewhere, stops at its next write.
      own.delete(id)
      return true
    },

    async findByUser (userId, page, now) {
      const records = new Map((await allRecords()).map((record) => [record._id, asJob(record)]))
      // This process's running jobs: their counts are fresher than their records.
      for (const { job } of own.values()) records.set(job._id, { ...job })
      return pageOfUser(records.values(), userId, page, now)
    },

    async findExpired (now) {
      return (await allRecords()).filter((record) => record.expiresAt !== undefined && record.expiresAt <= now).map(asJob)
    },

    async remove (id) {
      own.delete(id)
      parsed.delete(id)
      await place.delete(id)
      await place.deleteClaims(id)
    },

    /**
     * The claim's name holds the attempt and the heartbeat seen, so only one
     * process acts on one silence of one attempt; an owner that wrote again
     * meanwhile (it was slow, not gone) gives a new silence a new name.
     */
    async takeOverStopped () {
      const now = Date.now()
      const taken: ExportJob[] = []
      for (const record of await allRecords()) {
        if (!stopped(record, now)) continue
        const silentSince = (record.heartbeatAt ?? record.createdAt).getTime()
        if (!await place.claim(record._id, `${record._id}.${record.attempt}.${silentSince}`)) continue
        const { owner, heartbeatAt, ...job } = record
        if (job.request !== undefined && job.attempt < exportAttempts) {
          const next: ExportJob = { ...job, status: 'queued', attempt: job.attempt + 1, messages: 0, bytes: 0 }
          own.set(next._id, { job: next, savedAt: Date.now() })
          await writeOwned(next)
          taken.push({ ...next })
        } else {
          // `leftovers`: what its attempts stored is still there, for the next sweep to remove.
          const finishedAt = new Date(now)
          await write({ ...job, status: 'failed', error: 'the server running this export stopped', bytes: 0, finishedAt, expiresAt: new Date(now + exportTtlMs), leftovers: true })
        }
      }
      return taken
    },

    /** Without an owner and silent since 1970: the next sweep of any process (this one's after a restart) takes it over. */
    async handOver ({ _id: id, attempt }) {
      own.delete(id)
      const record = await activeRecord(id, attempt)
      if (record !== null) await write({ ...asJob(record), heartbeatAt: new Date(0) })
    },

    async findLeftovers () {
      return (await allRecords()).filter((record) => record.leftovers === true).map(asJob)
    },

    async leftoversRemoved (id) {
      const record = await readRecord(id)
      if (record === null) return
      const { leftovers, ...job } = record
      await write(job)
    },

    async close () {
      openInstances.delete(self.instance)
    }
  }
  return store
}

/** A record as the job it is: who ran it is the store's business. */
function asJob ({ owner, heartbeatAt, leftovers, ...job }: RecordedJob): ExportJob {
  return job
}

/** A record's job, or `null` for a text that is none (records are written whole, so it is not ours). */
function parseRecord (text: string): RecordedJob | null {
  try {
    const record = JSON.parse(text) as Record<string, unknown>
    const job = { ...record } as unknown as RecordedJob
    for (const field of ['createdAt', 'finishedAt', 'expiresAt', 'heartbeatAt'] as const) {
      if (typeof record[field] === 'string') job[field] = new Date(record[field])
    }
    if (typeof job._id !== 'string' || !(job.createdAt instanceof Date) || Number.isNaN(job.createdAt.getTime())) return null
    // Records written before jobs had attempts were all first attempts.
    job.attempt ??= 1
    return job
  } catch {
    return null
  }
}
