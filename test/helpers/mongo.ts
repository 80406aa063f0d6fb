import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import { temporaryDirectory } from './app.ts'

const ferretDirectory = fileURLToPath(new URL('../ferretdb/', import.meta.url))
const ferretBinary = `${ferretDirectory}bin/ferretdb`

export interface MongoServer {
  /** a connection string with a database of this test's own */
  url: string
  /** stops the server (FerretDB only), keeping its data */
  stop (): Promise<void>
  /** starts it again on the same port and data */
  start (): Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort (port: number, process: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (process.exitCode !== null) throw new Error(`FerretDB exited with ${process.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket()
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
      socket.connect(port, '127.0.0.1')
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`FerretDB did not listen on ${port}`)
}

let databaseCounter = 0

/**
 * A real MongoDB-wire server for one test: `MONGODB_URL` when set (a real
 * MongoDB), else FerretDB v1.24.2 with SQLite in a temporary directory on a
 * free loopback port, built first if needed (test/ferretdb/build.sh).
 */
export async function startMongo (t: Test): Promise<MongoServer> {
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

  if (!existsSync(ferretBinary)) execFileSync('bash', [`${ferretDirectory}build.sh`], { stdio: 'inherit' })
  const dataDirectory = await temporaryDirectory(t)
  const port = await freePort()
  let child: ChildProcess | null = null
  const start = async () => {
    child = spawn(ferretBinary, ['-listen', `127.0.0.1:${port}`, '-sqlite-url', `file:${dataDirectory}/`], { stdio: 'ignore' })
    await waitForPort(port, child)
  }
  const stop = async () => {
    const running = child
    if (running === null || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
    child = null
  }
  await start()
  t.teardown(stop)
  return { url: `mongodb://127.0.0.1:${port}/${database}`, stop, start }
}
