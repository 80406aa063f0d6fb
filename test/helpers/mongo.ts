import fastifyMongodb from '@fastify/mongodb'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { readFileSync } from 'node:fs'
import { MongoClient, type Db } from 'mongodb'
import type { Test } from 'tap'
import roomsExport, { type RoomsExportOptions } from '../../index.ts'
import { startFerretDb } from '../ferretdb/server.ts'
import { temporaryDirectory } from './app.ts'
import { rcHeaders, rcUsers, type RcUser } from './rocketchat.ts'

export interface MongoServer {
  /** a connection string with a database of this test's own */
  url: string
  /** stops the server (FerretDB only), keeping its data */
  stop (): Promise<void>
  /** starts it again on the same port and data */
  start (): Promise<void>
}

let databaseCounter = 0

/** The driver this process imports as `mongodb`: 7, or 6 under `--import ./test/mongodb6/use.mjs`. */
const driverVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('mongodb')), 'utf8')) as { version: string }).version

/**
 * A real MongoDB-wire server for one test: `MONGODB_URL` when set (a real
 * MongoDB), else FerretDB v1.24.2 with SQLite in a temporary directory on a
 * free loopback port.
 */
export async function startMongo (t: Test): Promise<MongoServer> {
  // The driver-6 run says which major it must be on: a loader that quietly failed would run driver 7 twice.
  const expected = process.env.MONGODB_DRIVER_MAJOR
  if (expected !== undefined) t.equal(driverVersion.split('.')[0], expected, `MongoDB driver ${driverVersion}, as this run asks (${expected})`)
  else t.comment(`MongoDB driver ${driverVersion}`)
  const database = `rooms_export_test_${process.pid}_${++databaseCounter}`
  if (process.env.MONGODB_URL !== undefined) {
    const url = new URL(process.env.MONGODB_URL)
    url.pathname = `/${database}`
    t.teardown(async () => {
      const client = await MongoClient.connect(url.href)
      await client.db(database).dropDatabase()
      await client.close()
    })
    const unsupported = async () => { throw new Error('stopping the server needs FerretDB (unset MONGODB_URL)') }
    return { url: url.href, stop: unsupported, start: unsupported }
  }
  const ferret = await startFerretDb(await temporaryDirectory(t))
  t.teardown(() => ferret.stop())
  return { url: `mongodb://127.0.0.1:${ferret.port}/${database}`, stop: ferret.stop, start: ferret.start }
}

export async function connect (t: Test, url: string): Promise<Db> {
  const client = await MongoClient.connect(url)
  t.teardown(() => client.close())
  return client.db()
}

/** A host that registers @fastify/mongodb and then the plugin with (almost) no options. */
export async function mongoApp (t: Test, url: string, options: RoomsExportOptions = {}, logger: FastifyServerOptions['logger'] = false): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(fastifyMongodb, { url, forceClose: true })
  await app.register(roomsExport, options)
  await app.ready()
  return app
}

export const post = async (app: FastifyInstance, user: RcUser | null, payload: object) =>
  await app.inject({ method: 'POST', url: '/api/v1/rooms.export', headers: user === null ? {} : rcHeaders(user), payload })

export async function settle (app: FastifyInstance, user: RcUser, exportId: string) {
  for (let attempt = 0; attempt < 3000; attempt++) {
    const body = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: rcHeaders(user) })).json()
    if (body.export?.status === 'done' || body.export?.status === 'failed') return body
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('export did not settle')
}

/**
 * The job record an instance leaves behind when it stops mid-export: a
 * heartbeat a minute old. Without `fields` it has no `request` (as an earlier
 * version wrote it), so it cannot be run again.
 */
export async function insertStoppedJob (db: Db, id: string, user: RcUser, status: 'queued' | 'running', fields: Record<string, unknown> = {}): Promise<Date> {
  const longAgo = new Date(Date.now() - 60_000)
  const counts = status === 'running' ? { messages: 10, bytes: 100 } : { messages: 0, bytes: 0 }
  await db.collection('rooms_export_jobs').insertOne({ _id: id as never, rid: 'GENERAL', userId: user._id, format: 'json', status, ...counts, createdAt: longAgo, fileName: 'general.zip', heartbeatAt: longAgo, ...fields })
  return longAgo
}

/** `count` messages by admin in GENERAL, one a second from 2024-05-01, ids `<prefix>-0000`…, texts from `text`. */
export async function insertMayMessages (db: Db, prefix: string, count: number, text: (index: number) => string): Promise<void> {
  await db.collection('rocketchat_message').insertMany(Array.from({ length: count }, (_, index) => ({
    _id: `${prefix}-${String(index).padStart(4, '0')}`,
    rid: 'GENERAL',
    ts: new Date(Date.UTC(2024, 4, 1, 0, 0, index)),
    msg: text(index),
    u: { _id: rcUsers.admin._id, username: 'admin' }
  })) as never[])
}
