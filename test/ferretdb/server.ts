import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort, waitForPort } from '../helpers/local-server.ts'

/** This folder: its build.sh and bin/ferretdb. A bundled caller (the benches) passes it, since it runs from elsewhere. */
const ownFolder = fileURLToPath(new URL('./', import.meta.url))

export interface FerretDbProcess {
  port: number
  /** kills the server, keeping its data */
  stop (): Promise<void>
  /** starts it again on the same port and data */
  start (): Promise<void>
}

/**
 * FerretDB v1.24.2 (built by build.sh when missing) with its SQLite data in
 * `dataDirectory`, on a free loopback port. Used by the tests and the benchmarks.
 */
export async function startFerretDb (dataDirectory: string, folder = ownFolder): Promise<FerretDbProcess> {
  const binary = `${folder}bin/ferretdb`
  if (!existsSync(binary)) execFileSync('bash', [`${folder}build.sh`], { stdio: 'inherit' })
  const port = await freePort()
  let child: ChildProcess | null = null
  const server: FerretDbProcess = {
    port,
    async start () {
      child = spawn(binary, ['-listen', `127.0.0.1:${port}`, '-sqlite-url', `file:${dataDirectory}/`], { stdio: 'ignore' })
      await waitForPort(port, child, 'FerretDB')
    },
    async stop () {
      const running = child
      if (running === null || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGKILL')
      await exited
      child = null
    }
  }
  await server.start()
  return server
}
