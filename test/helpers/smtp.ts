import { createServer, type AddressInfo, type Socket } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'

export interface TestSmtpServer {
  port: number
  /** mails accepted so far, parsed */
  mails: ParsedMail[]
  /** the envelope recipients of each accepted mail */
  envelopes: string[][]
  /** the envelope recipients of every mail that reached DATA, refused ones too */
  attempts: string[][]
  /** resolves with the next accepted mail (or one already waiting) */
  nextMail (): Promise<ParsedMail>
  transport: { host: string, port: number, secure: false, ignoreTLS: true }
}

export interface SmtpBehaviour {
  /** refuse every mail at DATA with this message */
  rejectWith?: string
  /** refuse these recipients at RCPT TO (550), take the rest */
  refuseRecipients?: string[]
  /** hold each mail at DATA until this settles (a slow server) */
  holdData?: Promise<void>
}

/** A real SMTP server on a free loopback port, behaving as `behaviour` says. */
export async function startSmtpServer (t: Test, behaviour: SmtpBehaviour = {}): Promise<TestSmtpServer> {
  const { rejectWith, refuseRecipients = [], holdData } = behaviour
  const mails: ParsedMail[] = []
  const envelopes: string[][] = []
  const attempts: string[][] = []
  const waiting: ((mail: ParsedMail) => void)[] = []
  let delivered = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo (address, _session, callback) {
      if (refuseRecipients.includes(address.address)) callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }))
      else callback()
    },
    onData (stream, session, callback) {
      attempts.push(session.envelope.rcptTo.map((rcpt) => rcpt.address))
      simpleParser(stream).then(async (mail) => {
        await holdData
        if (rejectWith !== undefined) {
          callback(Object.assign(new Error(rejectWith), { responseCode: 554 }))
          return
        }
        mails.push(mail)
        envelopes.push(session.envelope.rcptTo.map((rcpt) => rcpt.address))
        callback()
        waiting.shift()?.(mail)
      }, callback)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => { resolve() })))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    mails,
    envelopes,
    attempts,
    async nextMail () {
      if (delivered < mails.length) return mails[delivered++]
      return await new Promise<ParsedMail>((resolve) => waiting.push((mail) => { delivered++; resolve(mail) }))
    },
    transport: { host: '127.0.0.1', port, secure: false, ignoreTLS: true }
  }
}

/** A TCP listener that accepts connections and never says a word: an SMTP server that hangs. */
export async function startSilentServer (t: Test): Promise<{ port: number, connections: () => number }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => { resolve() })
  }))
  return { port: (server.address() as AddressInfo).port, connections: () => accepted }
}
