import t from 'tap'
import { ExportArchive } from '../lib/export/archive.ts'
import { createMemoryJobStore, type ExportJob } from '../lib/export/jobs.ts'
import { StallWatchdog } from '../lib/export/watchdog.ts'

const job = (id: string, userId: string): ExportJob => ({ _id: id, rid: 'r', userId, format: 'json', status: 'queued', messages: 0, bytes: 0, createdAt: new Date(0), fileName: 'r.zip', attempt: 1 })

t.test('slots count jobs and slot holders alike, per user and overall', async (t) => {
  const jobs = createMemoryJobStore()
  const limits = { perUser: 1, overall: 2 }
  t.ok(await jobs.insertIfSlotFree(job('a', 'alice'), limits))
  t.notOk(await jobs.claimSlot('mail-1', 'alice', limits), 'alice has her one')
  t.ok(await jobs.claimSlot('mail-2', 'bob', limits))
  t.notOk(await jobs.insertIfSlotFree(job('c', 'carol'), limits), 'two in all')
  await jobs.releaseSlot('mail-2')
  t.ok(await jobs.insertIfSlotFree(job('c', 'carol'), limits))
  await jobs.update({ _id: 'a', attempt: 1 }, { status: 'done' })
  t.ok(await jobs.claimSlot('mail-3', 'alice', limits), 'a finished job holds no slot')
  await jobs.update({ _id: 'unknown', attempt: 1 }, { status: 'failed' })
  t.equal(await jobs.findById('unknown'), null, 'updating an unknown job is a no-op')
  t.equal(await jobs.updateActive({ _id: 'a', attempt: 1 }, { messages: 5 }), false, 'a finished job takes no more writes of its own')
  t.equal(await jobs.updateActive({ _id: 'unknown', attempt: 1 }, { messages: 5 }), false)
  t.equal(await jobs.updateActive({ _id: 'c', attempt: 2 }, { status: 'running' }), false, 'another attempt\'s writes are not this one\'s')
  await jobs.update({ _id: 'c', attempt: 2 }, { status: 'failed' })
  t.equal((await jobs.findById('c'))?.status, 'queued', 'nor is its clean-up')
  t.equal(await jobs.updateActive({ _id: 'c', attempt: 1 }, { status: 'running' }), true)
  t.equal((await jobs.findById('c'))?.status, 'running')
})

t.test('the archive refuses two entries of one name', async (t) => {
  const watchdog = new StallWatchdog(60_000, () => {})
  t.teardown(() => { watchdog.stop() })
  const archive = new ExportArchive(new AbortController().signal, watchdog)
  await archive.addBuffer('manifest.json', Buffer.from('{}'))
  await t.rejects(archive.addBuffer('manifest.json', Buffer.from('{}')), { message: 'fastify-rooms-export: duplicate zip entry "manifest.json"' })
  archive.destroy(new Error('test over'))
})
