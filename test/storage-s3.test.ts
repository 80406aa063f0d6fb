import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createMemoryRepository, createS3Storage } from '../index.ts'
import { hostHooks } from './helpers/app.ts'
import { postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, fixtureData, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'
import { startS3, type S3Server } from './s3/server.ts'

/** What is in the bucket under the storage's prefix, and the multipart uploads not completed. */
async function contents (s3: S3Server, bucket: string) {
  const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }))
  // gofakes3 answers NoSuchUpload where S3 lists none
  const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => ({ Uploads: [] }))
  return { objects: (objects.Contents ?? []).map((object) => object.Key).sort(), unfinished: (uploads.Uploads ?? []).map((upload) => upload.Key) }
}

async function collect (stream: Readable | null): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream!) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

t.test('write in parts, read whole and by range, remove; a missing key reads null', async (t) => {
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const storage = createS3Storage({ client: s3.client, bucket })
  // Bigger than one part (5 MB): a real multipart upload.
  const bytes = randomBytes(12 * 1024 * 1024)
  await storage.write('export-1', Readable.from((function * () { for (let at = 0; at < bytes.length; at += 65536) yield bytes.subarray(at, at + 65536) })()))
  t.same(await contents(s3, bucket), { objects: ['rooms-export/export-1.zip'], unfinished: [] })
  t.equal(createHash('sha256').update(await collect(await storage.read('export-1'))).digest('hex'), createHash('sha256').update(bytes).digest('hex'), 'read back byte for byte')
  t.same(await collect(await storage.read('export-1', { start: 6_000_000, end: 6_000_009 })), bytes.subarray(6_000_000, 6_000_010), 'a range reads only those bytes')
  t.equal(await storage.read('missing'), null)
  await storage.remove('export-1')
  await storage.remove('export-1')
  t.same(await contents(s3, bucket), { objects: [], unfinished: [] }, 'removed, and removing again is no error')
  await t.rejects(storage.read('../x'), { code: 'FST_ROOMS_EXPORT_INVALID_STORAGE_KEY' })
})

t.test('a write whose source fails — in its first part or after several — leaves nothing: no object, no unfinished upload', async (t) => {
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const storage = createS3Storage({ client: s3.client, bucket, prefix: 'exports/' })
  for (const failAfter of [1, 200]) {
    const source = Readable.from((async function * () {
      for (let index = 0; index < failAfter; index++) yield randomBytes(65536)
      throw new Error('the export failed')
    })())
    await t.rejects(storage.write(`failing-${failAfter}`, source), { message: 'the export failed' })
  }
  const destroyed = new Readable({ read () {} })
  destroyed.push(randomBytes(7 * 1024 * 1024))
  const writing = storage.write('aborted', destroyed)
  setTimeout(() => { destroyed.destroy(new Error('aborted by the plugin')) }, 200)
  await t.rejects(writing, { message: 'aborted by the plugin' })
  t.same(await contents(s3, bucket), { objects: [], unfinished: [] })
})

async function hostOn (t: Test, s3: S3Server, bucket: string, limits = {}) {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, { ...hostHooks(), repository: createMemoryRepository(fixtureData()), storage: createS3Storage({ client: s3.client, bucket }), limits })
  await app.ready()
  return app
}

t.test('exports kept in S3: done, downloaded whole and resumed, still there after a restart, gone once expired', async (t) => {
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const app = await hostOn(t, s3, bucket)
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.equal(status.export.status, 'done')
  const whole = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(whole.statusCode, 200)
  t.equal(whole.rawPayload.length, status.export.bytes)
  t.ok((await readZip(whole.rawPayload)).has('general.html'))
  const tail = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: { ...authHeaders(alice), range: 'bytes=100-' } })
  t.equal(tail.statusCode, 206)
  t.same(tail.rawPayload, whole.rawPayload.subarray(100))
  const job = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: `rooms-export/jobs/${exportId}.json` }))).Body!.transformToString())
  t.match(job, { _id: exportId, status: 'done' }, 'the job record is beside the export')

  // A restart on the same bucket: the export is still there, and downloads.
  await app.close()
  const again = await hostOn(t, s3, bucket)
  t.equal((await waitForExport(again, alice, exportId)).export.status, 'done')
  t.same((await again.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload, whole.rawPayload)
  await again.close()

  // Expired: the sweep removes the zip and the record.
  const expiring = await hostOn(t, s3, bucket, { exportTtlMs: 1000 })
  const short = (await postExport(expiring, alice, { rid: general._id, type: 'file', format: 'json' })).json().exportId
  await waitForExport(expiring, alice, short)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await expiring.close()
  const afterExpiry = await hostOn(t, s3, bucket, { exportTtlMs: 1000 })
  t.ok(await eventuallyEmpty(s3, bucket, `rooms-export/${short}`), 'the expired export\'s zip and record are gone')
  t.equal((await afterExpiry.inject({ url: `/api/v1/rooms.export.status?exportId=${short}`, headers: authHeaders(alice) })).statusCode, 404)
})

async function eventuallyEmpty (s3: S3Server, bucket: string, prefix: string): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { objects } = await contents(s3, bucket)
    if (!objects.some((key) => key!.startsWith(prefix) || key!.includes(`jobs/${prefix.slice(prefix.lastIndexOf('/') + 1)}`))) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('at start: a record cut short is dropped, an export that was running reads failed and its unfinished upload goes, an old upload is aborted, an expired zip removed', async (t) => {
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const put = async (key: string, body: string) => await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  // Silent longer than instanceTimeoutMs (30 s), without an owner: its server stopped.
  const createdAt = new Date(Date.now() - 60_000).toISOString()
  await put('rooms-export/jobs/cut.json', '{"_id":"cut","rid":')
  await put('rooms-export/jobs/was-running.json', JSON.stringify({ _id: 'was-running', rid: general._id, userId: alice._id, format: 'json', status: 'running', messages: 3, bytes: 10, createdAt, fileName: 'general.zip', attempt: 1 }))
  await put('rooms-export/other/keep.zip', 'not ours to remove: in a folder of its own')
  const app = await hostOn(t, s3, bucket)
  const status = (await app.inject({ url: '/api/v1/rooms.export.status?exportId=was-running', headers: authHeaders(alice) })).json()
  t.same(status, { success: true, export: { _id: 'was-running', rid: general._id, format: 'json', status: 'failed', messages: 3, bytes: 0, createdAt, finishedAt: status.export.finishedAt, error: 'the server running this export stopped' } })
  const { objects } = await contents(s3, bucket)
  t.same(objects, [`rooms-export/claims/was-running.1.${Date.parse(createdAt)}`, 'rooms-export/jobs/was-running.json', 'rooms-export/other/keep.zip'], 'the cut record is gone; the claim of the one that failed the job stays with the job')
})

t.test('shared by instances: a job of a live instance is left alone; one silent past instanceTimeoutMs is run again by exactly one of two instances, claimed by a conditional write', async (t) => {
  const s3 = await startS3(t)
  const bucket = await s3.bucket()
  const put = async (key: string, body: string) => await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  const request = { from: '2024-03-21T00:00:00.000Z', to: '2024-03-22T23:59:59.999Z', timezone: 'UTC', requester: { _id: alice._id, username: alice.username, name: alice.name }, reqId: 'req-1' }
  const owner = { instance: 'elsewhere', pid: 4242, host: 'another-host' }
  const record = (id: string, heartbeatAt: Date) => JSON.stringify({ _id: id, rid: general._id, userId: alice._id, format: 'json', status: 'running', messages: 3, bytes: 10, createdAt: new Date(Date.now() - 120_000), fileName: 'general.zip', attempt: 1, request, owner, heartbeatAt })
  await put('rooms-export/jobs/alive.json', record('alive', new Date(Date.now() + 60_000)))
  await put('rooms-export/jobs/silent.json', record('silent', new Date(Date.now() - 10_000)))
  await put('rooms-export/silent.zip', 'what the stopped instance stored')
  const [first, second] = await Promise.all([hostOn(t, s3, bucket, { instanceTimeoutMs: 1000 }), hostOn(t, s3, bucket, { instanceTimeoutMs: 1000 })])
  const done = await waitForExport(first, alice, 'silent')
  t.same(done, { success: true, export: { _id: 'silent', rid: general._id, format: 'json', status: 'done', messages: 7, total: 7, progress: 1, bytes: done.export.bytes, createdAt: done.export.createdAt, finishedAt: done.export.finishedAt, attempt: 2 } })
  t.same(await waitForExport(second, alice, 'silent'), done, 'both instances answer for it')
  t.match((await second.inject({ url: '/api/v1/rooms.export.status?exportId=alive', headers: authHeaders(alice) })).json().export, { status: 'running', messages: 3 }, 'a heartbeat within the timeout: its owner lives')
  const { objects } = await contents(s3, bucket)
  const silentSince = Date.now() - 10_000
  t.same(objects.filter((key) => !key!.startsWith('rooms-export/claims/')), ['rooms-export/jobs/alive.json', 'rooms-export/jobs/silent.json', 'rooms-export/silent-2.zip'], 'the stopped attempt\'s zip is gone, the second attempt\'s stored')
  const claims = objects.filter((key) => key!.startsWith('rooms-export/claims/'))
  t.equal(claims.length, 1, 'one claim: one instance ran it again')
  t.match(claims[0], /^rooms-export\/claims\/silent\.1\.\d+$/)
  t.ok(Math.abs(Number(claims[0]!.split('.').pop()) - silentSince) < 5000)
  const storage = createS3Storage({ client: s3.client, bucket })
  const jobs = await storage.createJobStore!({ exportTtlMs: 60_000, instanceTimeoutMs: 1000, exportAttempts: 3 })
  const rival = await storage.createJobStore!({ exportTtlMs: 60_000, instanceTimeoutMs: 1000, exportAttempts: 3 })
  const lateSilence = record('late', new Date(Date.now() - 10_000))
  await put('rooms-export/jobs/late.json', lateSilence)
  t.same((await jobs.takeOverStopped!()).map((job) => job._id), ['late'])
  // The rival lists the record as it was before the take-over: the same silence, the same claim.
  await put('rooms-export/jobs/late.json', lateSilence)
  t.same(await rival.takeOverStopped!(), [], 'the same silence is claimed once: the bucket refuses the second conditional write (If-None-Match: *)')
  await jobs.close!()
  await rival.close!()
})
