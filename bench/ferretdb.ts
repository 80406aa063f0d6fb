import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ferretDirectory = fileURLToPath(new URL('../test/ferretdb/', import.meta.url))

/** FerretDB on a free loopback port with SQLite in a temporary directory; `stop()` removes it all. */
export async function startFerretDb (): Promise<{ url: string, stop: () => Promise<void> }> {
  if (!existsSync(`${ferretDirectory}bin/ferretdb`)) execFileSync('bash', [`${ferretDirectory}build.sh`], { stdio: 'inherit' })
  const dataDirectory = await mkdtemp(join(tmpdir(), 'rooms-export-bench-ferret-'))
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  const child = spawn(`${ferretDirectory}bin/ferretdb`, ['-listen', `127.0.0.1:${port}`, '-sqlite-url', `file:${dataDirectory}/`], { stdio: 'ignore' })
  for (let attempt = 0; ; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket()
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
      socket.connect(port, '127.0.0.1')
    })
    if (open) break
    if (attempt > 200) throw new Error('FerretDB did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `mongodb://127.0.0.1:${port}/bench`,
    async stop () {
      child.kill('SIGKILL')
      await rm(dataDirectory, { recursive: true, force: true })
    }
  }
}
