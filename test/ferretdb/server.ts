import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

/** This folder: its build.sh and bin/ferretdb. A bundled caller (the benches) passes it, since it runs from elsewhere. */
const ownFolder = fileURLToPath(new URL('./', import.meta.url))

export interface FerretDbProcess {
  port: number
  /** kills the server, keeping its data */
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

async function waitForPort (port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}`)
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
      await waitForPort(port, child)
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
