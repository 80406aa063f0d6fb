import { connect, createServer, type Socket } from 'node:net'
import type { Test } from 'tap'

export interface PausableProxy {
  port: number
  /** Stops moving bytes either way, connections kept open: to its clients, a process frozen mid-flight. */
  pause (): void
  resume (): void
}

/**
 * A TCP proxy to `127.0.0.1:targetPort` that can be frozen: the instance
 * behind it looks stopped to everyone else (no heartbeat) while it is not —
 * a long GC pause or a partition — and then carries on where it was.
 */
export async function startPausableProxy (t: Test, targetPort: number): Promise<PausableProxy> {
  let paused = false
  const sockets = new Set<Socket>()
  /** bytes that arrived while paused, in arrival order, with where they go */
  const held: [Socket, Buffer][] = []
  const forward = (from: Socket, to: Socket) => {
    sockets.add(from)
    from.on('error', () => {})
    from.on('close', () => { sockets.delete(from); to.destroy() })
    from.on('data', (chunk: Buffer) => {
      if (paused) held.push([to, chunk])
      else to.write(chunk)
    })
  }
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    port: (server.address() as { port: number }).port,
    pause () {
      paused = true
    },
    resume () {
      paused = false
      for (const [to, chunk] of held.splice(0)) to.write(chunk)
    }
  }
}
