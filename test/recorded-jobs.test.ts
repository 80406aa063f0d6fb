import t from 'tap'
import type { ExportJob } from '../index.ts'
import { createRecordedJobStore, type JobRecordPlace } from '../lib/export/recorded-jobs.ts'

/** Records in a map, as a directory or a bucket keeps them; `saving` holds each save until released. */
function placeInMemory () {
  const records = new Map<string, { text: string, version: number }>()
  const claims = new Set<string>()
  let version = 0
  let hold: Promise<void> | null = null
  const place: JobRecordPlace = {
    async list () { return [...records].map(([id, record]) => ({ id, version: String(record.version) })) },
    async read (id) { return records.get(id)?.text ?? null },
    async save (id, text) {
      await hold
      records.set(id, { text, version: ++version })
    },
    async delete (id) { records.delete(id) },
    async claim (_id, name) {
      if (claims.has(name)) return false
      claims.add(name)
      return true
    },
    async deleteClaims (id) { for (const name of claims) if (name.startsWith(`${id}.`)) claims.delete(name) }
  }
  return {
    place,
    record: (id: string) => JSON.parse(records.get(id)!.text) as Record<string, unknown>,
    overwrite: (id: string, patch: Record<string, unknown>) => { records.set(id, { text: JSON.stringify({ ...JSON.parse(records.get(id)!.text), ...patch }), version: ++version }) },
    holdSaves: () => {
      let release!: () => void
      hold = new Promise((resolve) => { release = resolve })
      return () => { hold = null; release() }
    }
  }
}

const settings = { exportTtlMs: 60_000, instanceTimeoutMs: 30_000, exportAttempts: 3 }
const limits = { perUser: 5, overall: 5 }
const job = (id: string): ExportJob => ({ _id: id, rid: 'room', userId: 'user', format: 'json', status: 'queued', messages: 0, bytes: 0, createdAt: new Date(), fileName: 'room.zip', attempt: 1 })

t.test('a status read while the finished record is being written says done, never the running record before it', async (t) => {
  const memory = placeInMemory()
  const jobs = await createRecordedJobStore(memory.place, settings)
  await jobs.insertIfSlotFree(job('a'), limits)
  t.equal(await jobs.updateActive({ _id: 'a', attempt: 1 }, { status: 'running' }), true)
  const release = memory.holdSaves()
  const finishing = jobs.updateActive({ _id: 'a', attempt: 1 }, { status: 'done', messages: 3 })
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(memory.record('a').status, 'running', 'the record is not written yet')
  t.match(await jobs.findById('a'), { status: 'done', messages: 3 })
  release()
  t.equal(await finishing, true)
  t.match(await jobs.findById('a'), { status: 'done', messages: 3 })
  t.equal(memory.record('a').status, 'done')
  t.same(memory.record('a').owner !== undefined, true, 'the record names who wrote it')
  await jobs.close!()
})

t.test('an attempt replaced by another process: its own writes stop, its clean-up does not overwrite the record', async (t) => {
  const memory = placeInMemory()
  const jobs = await createRecordedJobStore(memory.place, settings)
  await jobs.insertIfSlotFree(job('b'), limits)
  // Another process took the job for stopped and runs its second attempt.
  memory.overwrite('b', { attempt: 2, status: 'running', owner: { instance: 'other', pid: 1, host: 'elsewhere' } })
  t.equal(await jobs.updateActive({ _id: 'b', attempt: 1 }, { status: 'running' }), false)
  await jobs.update({ _id: 'b', attempt: 1 }, { status: 'failed', error: 'late' })
  t.match(memory.record('b'), { attempt: 2, status: 'running' })
  t.notOk('error' in memory.record('b'))
  t.match(await jobs.findById('b'), { attempt: 2, status: 'running' }, 'the record answers, not the lost attempt')
  t.equal(await jobs.claimSlot('mail', 'user', { perUser: 1, overall: 1 }), true, 'the lost attempt holds no slot')
  await jobs.close!()
})

t.test('progress reaches the record with the heartbeat, a third of the instance timeout apart', async (t) => {
  const memory = placeInMemory()
  const jobs = await createRecordedJobStore(memory.place, { ...settings, instanceTimeoutMs: 300 })
  await jobs.insertIfSlotFree(job('c'), limits)
  await jobs.updateActive({ _id: 'c', attempt: 1 }, { status: 'running' })
  const written = memory.record('c').heartbeatAt as string
  await jobs.updateActive({ _id: 'c', attempt: 1 }, { messages: 10 })
  t.equal(memory.record('c').messages, 0, 'not yet')
  t.match(await jobs.findById('c'), { messages: 10 }, 'this process reads its own progress')
  await new Promise((resolve) => setTimeout(resolve, 120))
  await jobs.updateActive({ _id: 'c', attempt: 1 }, { messages: 20 })
  t.equal(memory.record('c').messages, 20)
  t.ok((memory.record('c').heartbeatAt as string) > written, 'a newer heartbeat')
  await jobs.close!()
})

t.test('a job that has just ended holds no slot while its record is being written', async (t) => {
  const memory = placeInMemory()
  const jobs = await createRecordedJobStore(memory.place, settings)
  const one = { perUser: 1, overall: 1 }
  await jobs.insertIfSlotFree(job('d'), one)
  t.equal(await jobs.insertIfSlotFree(job('e'), one), false, 'the one slot is taken')
  const release = memory.holdSaves()
  const finishing = jobs.updateActive({ _id: 'd', attempt: 1 }, { status: 'done' })
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(await jobs.findById('d'), { status: 'done' })
  t.equal(await jobs.claimSlot('mail', 'user', one), true, 'done: its slot is free')
  release()
  await finishing
  await jobs.close!()
})
