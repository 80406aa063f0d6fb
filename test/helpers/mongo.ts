import { readFileSync } from 'node:fs'
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import { startFerretDb } from '../ferretdb/server.ts'
import { temporaryDirectory } from './app.ts'

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
  t.comment(`MongoDB driver ${driverVersion}`)
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
