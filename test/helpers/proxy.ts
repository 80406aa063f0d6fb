import { connect, createServer, type Server, type Socket } from 'node:net'
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
  return {
    port: await serveOnLoopback(t, server, sockets),
    pause () {
      paused = true
    },
    resume () {
      paused = false
      for (const [to, chunk] of held.splice(0)) to.write(chunk)
    }
  }
}

export interface CuttingProxy {
  port: number
  /** The next client message `matches` accepts is not passed on: its connection is cut both ways instead, mid-operation. */
  cutAt (matches: (message: Buffer) => boolean): void
  /** how many connections were cut so far */
  readonly cuts: number
}

/**
 * A TCP proxy to `127.0.0.1:targetPort` that reads the client's side as
 * wire-protocol messages (each starts with its length, an int32) and can
 * drop the connection that sends a given one: the server never sees it,
 * the driver sees its connection closed while it waits for the reply.
 */
export async function startCuttingProxy (t: Test, targetPort: number): Promise<CuttingProxy> {
  const sockets = new Set<Socket>()
  let cutWhen: ((message: Buffer) => boolean) | null = null
  let cuts = 0
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    const cut = () => { client.destroy(); upstream.destroy() }
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => { sockets.delete(socket); cut() })
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    let pending = Buffer.alloc(0)
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const message = pending.subarray(0, pending.readInt32LE(0))
        pending = pending.subarray(message.length)
        if (cutWhen?.(message) === true) {
          cutWhen = null
          cuts++
          cut()
          return
        }
        upstream.write(message)
      }
    })
  })
  return {
    port: await serveOnLoopback(t, server, sockets),
    cutAt (matches) { cutWhen = matches },
    get cuts () { return cuts }
  }
}

/** Listens on a free loopback port; at the test's end every socket is destroyed and the server closed. */
async function serveOnLoopback (t: Test, server: Server, sockets: Set<Socket>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as { port: number }).port
}
