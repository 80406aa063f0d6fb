import t from 'tap'
import { assertStorageKey, isStorageKey, recordAccountsFor } from '../lib/storage/storage.ts'

/** What a storage may be asked to write, read or remove, and which stored names a job accounts for. */
t.test('a storage key is 1 to 128 letters, digits, _ or -: nothing that could name another place', async (t) => {
  for (const key of ['a', 'A-z_09', 'x'.repeat(128), 'abc-2']) t.equal(isStorageKey(key), true, `${key.slice(0, 20)} is a key`)
  for (const key of ['', 'x'.repeat(129), '../x', 'a/b', 'a\\b', '.hidden', 'a.zip', 'a b', 'ä', 'a\nb', 'a\u0000']) t.equal(isStorageKey(key), false, `${JSON.stringify(key.slice(0, 20))} is not`)
  t.doesNotThrow(() => { assertStorageKey('abc-2') })
  t.throws(() => { assertStorageKey('../x') }, { name: 'FastifyError', code: 'FST_ROOMS_EXPORT_INVALID_STORAGE_KEY', message: 'fastify-rooms-export: invalid storage key "../x"' })
})

t.test('a stored name is accounted for by its job: the zip, an attempt\'s zip, a partial one, a claim', async (t) => {
  const recorded = new Set(['job1', 'job-2'])
  for (const name of ['job1.zip', 'job1-3.zip', 'job1-12.zip', 'job1-3.zip.partial', 'job1.2.1700000000000.claim', 'job-2.zip', 'job-2-7.zip']) t.equal(recordAccountsFor(name, recorded), true, `${name}: its job is recorded`)
  for (const name of ['job3.zip', 'job1x.zip', 'job1-x.zip', 'xjob1.zip', 'job1-3-4.zip', 'job.zip', 'job-.zip']) t.equal(recordAccountsFor(name, recorded), false, `${name}: no recorded job`)
})
