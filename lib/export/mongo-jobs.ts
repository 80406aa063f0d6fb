import type { Db, Document } from 'mongodb'
import { isDuplicateKey } from '../backends/mongo-driver.ts'
import type { ExportJob, ExportJobStore, JobAttempt, JobStoreSettings, SlotLimits } from './jobs.ts'

/**
 * Jobs in MongoDB, shared by every server instance on the database: status,
 * downloads and concurrency limits hold across instances.
 *
 * A concurrency slot is a document with a fixed `_id` (`user:<id>:<n>`,
 * `all:<n>`): inserting it is the atomic claim, without transactions. The
 * instance running the job refreshes `heartbeatAt` with its progress; a job
 * whose heartbeat is older than the instance timeout belongs to an instance
 * that stopped: another instance runs it again (keeping its slots), or fails
 * it once its attempts are used. A slot whose heartbeat stopped and whose job
 * will not run again is taken over by the next claim.
 *
 * Every decision between instances is made by something atomic on MongoDB
 * and FerretDB alike — an insert of a fixed `_id`, or the `matchedCount` of
 * a conditional write — and every time is the database's: instances' clocks
 * may disagree, the database's is one. Jobs and slots are read and written
 * on the primary (`w: 'majority'`), whatever the host's read preference.
 */
/** How often the offset between this instance's clock and the database's is measured again. */
const clockRefreshMs = 60_000

/** The database's time, from `hello.localTime`: an offset measured now and then, added to this clock. */
export function databaseClock (db: Db): () => Promise<Date> {
  let offset = 0
  let measuredAt = Number.NEGATIVE_INFINITY
  return async () => {
    if (Date.now() - measuredAt > clockRefreshMs) {
      const sent = Date.now()
      const { localTime } = await db.command({ hello: 1 })
      const received = Date.now()
      // The server read its clock about halfway through the round trip.
      offset = (localTime as Date).getTime() - (sent + received) / 2
      measuredAt = received
    }
    return new Date(Date.now() + offset)
  }
}

const activeStatuses = ['queued', 'running']

export async function createMongoJobStore (db: Db, { exportTtlMs, instanceTimeoutMs, exportAttempts }: JobStoreSettings): Promise<ExportJobStore> {
  const consistent = { readPreference: 'primary', writeConcern: { w: 'majority' } } as const
  const jobs = db.collection('rooms_export_jobs', consistent)
  const slots = db.collection('rooms_export_slots', consistent)
  await jobs.createIndex({ expiresAt: 1 })
  await jobs.createIndex({ userId: 1, createdAt: -1 })
  await slots.createIndex({ jobId: 1 })
  const now = databaseClock(db)

  const key = (value: string) => value as unknown as Document['_id']
  const staleBefore = (instant: Date) => new Date(instant.getTime() - instanceTimeoutMs)
  /** A stopped job that another instance will run again rather than fail. */
  const runsAgain = (document: Document) => document.request !== undefined && (document.attempt ?? 1) < exportAttempts

  /**
   * The first free slot of `count` under `prefix`, claimed by inserting it.
   * A slot whose holder's heartbeat stopped is taken over — decided by an
   * insert too: a marker named after that holder and heartbeat, which only
   * one of several instances racing for the slot can insert (conditional
   * updates and deletes are not atomic on FerretDB v1). The winner then
   * rewrites the slot; the marker goes with its slots when it releases them.
   */
  async function claim (prefix: string, count: number, jobId: string, claimedAt: Date): Promise<string | null> {
    for (let index = 0; index < count; index++) {
      const slotId = `${prefix}:${index}`
      try {
        await slots.insertOne({ _id: key(slotId), jobId, heartbeatAt: claimedAt })
        return slotId
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
      }
      const holder = await slots.findOne({ _id: key(slotId) })
      if (holder === null || holder.heartbeatAt >= staleBefore(claimedAt)) continue
      // A stopped job that will run again keeps its slots for its next attempt.
      const holdingJob = await jobs.findOne({ _id: holder.jobId, status: { $in: activeStatuses } }, { projection: { request: 1, attempt: 1 } })
      if (holdingJob !== null && runsAgain(holdingJob)) continue
      try {
        await slots.insertOne({ _id: key(`takeover:${slotId}:${String(holder.jobId)}:${(holder.heartbeatAt as Date).getTime()}`), jobId, heartbeatAt: claimedAt })
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        continue
      }
      await slots.replaceOne({ _id: key(slotId) }, { jobId, heartbeatAt: claimedAt }, { upsert: true })
      return slotId
    }
    return null
  }

  /**
   * A slot per user and one overall for `holderId`, both or neither: the
   * user slot goes back when the overall one is taken, and when claiming it
   * failed (a dropped connection) — else that user could export nothing
   * until the slot went stale.
   */
  async function claimBoth (holderId: string, userId: string, limits: SlotLimits, claimedAt: Date): Promise<boolean> {
    const userSlot = await claim(`user:${userId}`, limits.perUser, holderId, claimedAt)
    if (userSlot === null) return false
    const giveBack = async () => { await slots.deleteOne({ _id: key(userSlot), jobId: holderId }) }
    const overallSlot = await claim('all', limits.overall, holderId, claimedAt).catch(async (err: unknown) => {
      await giveBack().catch(() => {}) // the database still away: the slot goes stale instead (instanceTimeoutMs)
      throw err
    })
    if (overallSlot === null) {
      await giveBack()
      return false
    }
    return true
  }

  function toJob (document: Document): ExportJob {
    const { heartbeatAt, leftovers, ...job } = document
    // Records written before jobs had attempts were all first attempts.
    return { attempt: 1, ...job } as ExportJob
  }

  /** The filter of one attempt's writes (this version writes `attempt` into every job it creates). */
  const attemptFilter = ({ _id: id, attempt }: JobAttempt) => ({ _id: key(id), attempt })

  const stopped = (document: Document, at: Date) =>
    activeStatuses.includes(document.status as string) && document.heartbeatAt < staleBefore(at)

  /**
   * A job whose instance stopped and that will not run again is failed, once:
   * the update matches only the state and heartbeat it saw, and only the
   * instance whose update matched frees the job's slots. Any other sees
   * the job as it now is.
   */
  async function failIfStopped (document: Document, at: Date): Promise<Document> {
    if (!stopped(document, at) || runsAgain(document)) return document
    // `leftovers`: what its attempts stored is still there, for the next sweep to remove.
    const failed = { status: 'failed', error: 'the server running this export stopped', finishedAt: at, expiresAt: new Date(at.getTime() + exportTtlMs), leftovers: true }
    const { matchedCount } = await jobs.updateOne({ _id: document._id, status: document.status, heartbeatAt: document.heartbeatAt }, { $set: failed })
    if (matchedCount === 1) {
      await slots.deleteMany({ jobId: document._id })
      return { ...document, ...failed }
    }
    return await jobs.findOne({ _id: document._id }) ?? document
  }

  return {
    async insertIfSlotFree (job, limits) {
      const claimedAt = await now()
      if (!await claimBoth(job._id, job.userId, limits, claimedAt)) return false
      await jobs.insertOne({ ...job, _id: key(job._id), heartbeatAt: claimedAt }).catch(async (err: unknown) => {
        // No job holds the slots: they go back (or, the database still away, go stale).
        await slots.deleteMany({ jobId: job._id }).catch(() => {})
        throw err
      })
      return true
    },

    async claimSlot (holderId, userId, limits) {
      return await claimBoth(holderId, userId, limits, await now())
    },

    async releaseSlot (holderId) {
      await slots.deleteMany({ jobId: holderId })
    },

    /** Only the clean-up writes this way (a failed attempt's final record), so the job's slots go with it. */
    async update (attempt, patch) {
      const { matchedCount } = await jobs.updateOne(attemptFilter(attempt), { $set: { ...patch, heartbeatAt: await now() } })
      if (matchedCount === 1) await slots.deleteMany({ jobId: attempt._id })
    },

    async updateActive (attempt, patch) {
      const at = await now()
      const { matchedCount } = await jobs.updateOne({ ...attemptFilter(attempt), status: { $in: activeStatuses } }, { $set: { ...patch, heartbeatAt: at } })
      if (matchedCount === 0) return false
      if (patch.status === 'done') await slots.deleteMany({ jobId: attempt._id })
      else await slots.updateMany({ jobId: attempt._id }, { $set: { heartbeatAt: at } })
      return true
    },

    async findById (id) {
      const document = await jobs.findOne({ _id: key(id) })
      return document === null ? null : toJob(await failIfStopped(document, await now()))
    },

    async cancel (attempt, patch) {
      const { matchedCount } = await jobs.updateOne({ ...attemptFilter(attempt), status: { $in: activeStatuses } }, { $set: { ...patch, heartbeatAt: await now() } })
      if (matchedCount === 0) return false
      await slots.deleteMany({ jobId: attempt._id })
      return true
    },

    // Expired by the database's clock, as the sweep decides.
    async findByUser (userId, { offset, count }) {
      const filter = { userId, $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: await now() } }] }
      const page = await jobs.find(filter, { sort: { createdAt: -1, _id: -1 }, skip: offset, limit: count }).toArray()
      return { jobs: page.map(toJob), total: await jobs.countDocuments(filter) }
    },

    async findExpired () {
      return (await jobs.find({ expiresAt: { $lte: await now() } }).toArray()).map(toJob)
    },

    /**
     * Who runs a stopped job again is decided by an insert, atomic on FerretDB
     * too: a marker `rerun:<job>:<attempt>` in the slots collection, which only
     * one instance can insert per attempt (it goes with the job's slots). The
     * winner moves the job to its next attempt — conditionally, so a job that
     * came back to life meanwhile (a long pause, not a crash) keeps running
     * where it is — and refreshes the job's slots, which stay the job's.
     */
    async takeOverStopped () {
      const at = await now()
      const taken: ExportJob[] = []
      for (const document of await jobs.find({ status: { $in: activeStatuses }, heartbeatAt: { $lt: staleBefore(at) } }).toArray()) {
        if (!runsAgain(document)) {
          await failIfStopped(document, at)
          continue
        }
        const attempt = (document.attempt as number | undefined) ?? 1
        const marker = `rerun:${String(document._id)}:${attempt}`
        try {
          await slots.insertOne({ _id: key(marker), jobId: document._id, heartbeatAt: at })
        } catch (err) {
          if (!isDuplicateKey(err)) throw err
          continue
        }
        const next = { status: 'queued', attempt: attempt + 1, messages: 0, bytes: 0, heartbeatAt: at }
        const { matchedCount } = await jobs.updateOne({ _id: document._id, status: document.status, heartbeatAt: document.heartbeatAt }, { $set: next })
        if (matchedCount === 0) {
          // Its instance wrote between our read and our update: it is alive, and this attempt stays claimable.
          await slots.deleteOne({ _id: key(marker) })
          continue
        }
        await slots.updateMany({ jobId: document._id }, { $set: { heartbeatAt: at } })
        taken.push(toJob({ ...document, ...next }))
      }
      return taken
    },

    /** Stale at once: the next sweep of any instance (this one's included, after a restart) takes it over. */
    async handOver (attempt) {
      await jobs.updateOne({ ...attemptFilter(attempt), status: { $in: activeStatuses } }, { $set: { heartbeatAt: new Date(0) } })
    },

    async remove (id) {
      await jobs.deleteOne({ _id: key(id) })
      await slots.deleteMany({ jobId: id })
    },

    async findLeftovers () {
      return (await jobs.find({ status: 'failed', leftovers: true }).toArray()).map(toJob)
    },

    async leftoversRemoved (id) {
      await jobs.updateOne({ _id: key(id) }, { $unset: { leftovers: '' } })
    }
  }
}
