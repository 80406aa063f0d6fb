import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'

export interface TestSmtpServer {
  port: number
  /** mails accepted so far, parsed */
  mails: ParsedMail[]
  /** the envelope recipients of each accepted mail */
  envelopes: string[][]
  /** resolves with the next accepted mail (or one already waiting) */
  nextMail (): Promise<ParsedMail>
  transport: { host: string, port: number, secure: false, ignoreTLS: true }
}

/** A real SMTP server on a free loopback port; `rejectWith` makes it refuse every mail. */
export async function startSmtpServer (t: Test, rejectWith?: string): Promise<TestSmtpServer> {
  const mails: ParsedMail[] = []
  const envelopes: string[][] = []
  const waiting: ((mail: ParsedMail) => void)[] = []
  let delivered = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, session, callback) {
      simpleParser(stream).then((mail) => {
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
    async nextMail () {
      if (delivered < mails.length) return mails[delivered++]
      return await new Promise<ParsedMail>((resolve) => waiting.push((mail) => { delivered++; resolve(mail) }))
    },
    transport: { host: '127.0.0.1', port, secure: false, ignoreTLS: true }
  }
}
