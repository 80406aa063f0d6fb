import type { Db, Document } from 'mongodb'
import { isDuplicateKey } from '../backends/mongo-driver.ts'
import type { ExportJob, ExportJobStore, SlotLimits } from './jobs.ts'

/**
 * Jobs in MongoDB, shared by every server instance on the database: status,
 * downloads and concurrency limits hold across instances.
 *
 * A concurrency slot is a document with a fixed `_id` (`user:<id>:<n>`,
 * `all:<n>`): inserting it is the atomic claim, without transactions. The
 * instance running the job refreshes `heartbeatAt` with its progress; a slot
 * or job whose heartbeat is older than `staleAfterMs` belongs to an instance
 * that stopped, and is taken over or reported failed.
 */
export const staleAfterMs = 30_000

export async function createMongoJobStore (db: Db, exportTtlMs: number): Promise<ExportJobStore> {
  const jobs = db.collection('rooms_export_jobs')
  const slots = db.collection('rooms_export_slots')
  await jobs.createIndex({ expiresAt: 1 })
  await slots.createIndex({ jobId: 1 })

  const key = (value: string) => value as unknown as Document['_id']
  const staleBefore = (now: Date) => new Date(now.getTime() - staleAfterMs)

  async function claim (prefix: string, count: number, jobId: string, now: Date): Promise<string | null> {
    for (let index = 0; index < count; index++) {
      const slotId = `${prefix}:${index}`
      try {
        await slots.insertOne({ _id: key(slotId), jobId, heartbeatAt: now })
        return slotId
      } catch (err) {
        /* c8 ignore next -- any other failure is the database's, and is thrown on */
        if (!isDuplicateKey(err)) throw err
      }
      const takenOver = await slots.findOneAndUpdate(
        { _id: key(slotId), heartbeatAt: { $lt: staleBefore(now) } },
        { $set: { jobId, heartbeatAt: now } }
      )
      if (takenOver !== null) return slotId
    }
    return null
  }

  function toJob (document: Document): ExportJob {
    const { heartbeatAt, ...job } = document
    return job as ExportJob
  }

  /**
   * A queued or running job whose heartbeat stopped is failed, once: the
   * update matches only the heartbeat it saw, so instances do not race.
   * Its slots are freed; its partial zip goes with it when it expires.
   */
  async function failIfStale (document: Document, now: Date): Promise<Document> {
    const active = document.status === 'queued' || document.status === 'running'
    if (!active || document.heartbeatAt >= staleBefore(now)) return document
    const failed = { status: 'failed', error: 'the server running this export stopped', finishedAt: now, expiresAt: new Date(now.getTime() + exportTtlMs) }
    await jobs.updateOne({ _id: document._id, status: document.status, heartbeatAt: document.heartbeatAt }, { $set: failed })
    await slots.deleteMany({ jobId: document._id })
    return { ...document, ...failed }
  }

  /** A slot per user and one overall for `holderId`, both or neither. */
  async function claimBoth (holderId: string, userId: string, limits: SlotLimits, now: Date): Promise<boolean> {
    const userSlot = await claim(`user:${userId}`, limits.perUser, holderId, now)
    if (userSlot === null) return false
    const overallSlot = await claim('all', limits.overall, holderId, now)
    if (overallSlot === null) {
      await slots.deleteOne({ _id: key(userSlot), jobId: holderId })
      return false
    }
    return true
  }

  return {
    async insertIfSlotFree (job, limits) {
      const now = new Date()
      if (!await claimBoth(job._id, job.userId, limits, now)) return false
      await jobs.insertOne({ ...job, _id: key(job._id), heartbeatAt: now })
      return true
    },

    async claimSlot (holderId, userId, limits) {
      return await claimBoth(holderId, userId, limits, new Date())
    },

    async releaseSlot (holderId) {
      await slots.deleteMany({ jobId: holderId })
    },

    async update (id, patch) {
      const now = new Date()
      await jobs.updateOne({ _id: key(id) }, { $set: { ...patch, heartbeatAt: now } })
      if (patch.status === 'done' || patch.status === 'failed') await slots.deleteMany({ jobId: id })
      else await slots.updateMany({ jobId: id }, { $set: { heartbeatAt: now } })
    },

    async findById (id) {
      const document = await jobs.findOne({ _id: key(id) })
      return document === null ? null : toJob(await failIfStale(document, new Date()))
    },

    /** Also fails the jobs of instances that stopped, so their debris expires like any failed export. */
    async findExpired (now) {
      const stale = await jobs.find({ status: { $in: ['queued', 'running'] }, heartbeatAt: { $lt: staleBefore(now) } }).toArray()
      for (const document of stale) await failIfStale(document, now)
      return (await jobs.find({ expiresAt: { $lte: now } }).toArray()).map(toJob)
    },

    async remove (id) {
      await jobs.deleteOne({ _id: key(id) })
      await slots.deleteMany({ jobId: id })
    }
  }
}
