/**
 * The demo host server: a chat server's side of the plugin, on the embedded
 * in-memory repository. `npm start`, then paste the printed curl commands.
 * Environment: PORT (3000), HOST (127.0.0.1), LOG_LEVEL (info),
 * EXPORT_SECRET (signs the mailed download links) and EXPORT_SIGNING_KEY_FILE
 * (an Ed25519 private key in PEM that signs the archives). See docs/demo.md.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import nodemailer from 'nodemailer'
import type { Transport } from 'nodemailer'
import roomsExport, { createMemoryRepository } from '../index.ts'
import { demoData, demoUsers } from './seed.ts'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const mailDirectory = join(process.cwd(), 'demo-mail')

/**
 * Mail goes to ./demo-mail/*.eml (under the working directory) instead of an SMTP server:
 * the email exports, and the "export ready" mail with its signed download link that each
 * finished file export sends. Open them with any mail client.
 */
const folderTransport: Transport = {
  name: 'demo-folder',
  version: '1.0.0',
  send (mail, callback) {
    const chunks: Buffer[] = []
    const stream = mail.message.createReadStream()
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('error', callback)
    stream.on('end', () => {
      const file = join(mailDirectory, `${new Date().toISOString().replace(/[:.]/g, '-')}.eml`)
      mkdir(mailDirectory, { recursive: true })
        .then(async () => { await writeFile(file, Buffer.concat(chunks)) })
        .then(() => { app.log.info({ file }, 'demo mail written'); callback(null, { envelope: mail.message.getEnvelope(), messageId: mail.message.messageId() }) })
        .catch(callback)
    })
  }
}

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })

// Archives are signed: with the key in EXPORT_SIGNING_KEY_FILE, else a key made for this run (its
// archives then verify only against this run's rooms.export.keys).
const signingKeyFile = process.env.EXPORT_SIGNING_KEY_FILE
const signing = signingKeyFile === undefined
  ? { privateKey: generateKeyPairSync('ed25519').privateKey, keyId: 'demo-run' }
  : { privateKey: await readFile(signingKeyFile, 'utf8'), keyId: 'demo' }

await app.register(roomsExport, {
  repository: createMemoryRepository(demoData()),
  async authenticate (request) {
    const user = demoUsers.find((candidate) => candidate._id === request.headers['x-user-id'])
    if (user === undefined || request.headers['x-auth-token'] !== user.token) return null
    const { token, ...exportUser } = user
    return exportUser
  },
  async hasPermission (user, permission) {
    return permission === 'mail-messages' && (user.roles ?? []).some((role) => role === 'admin' || role === 'moderator')
  },
  async canAccessRoom (room, user) {
    return room.t === 'c' || (room.usernames ?? []).includes(user.username)
  },
  mailer: { transport: nodemailer.createTransport(folderTransport), from: 'Demo chat <exports@chat.example>' },
  publicUrl: `http://${host}:${port}`,
  secret: process.env.EXPORT_SECRET ?? 'demo-secret-change-me-in-production',
  signing,
  allowHistory: true
})

app.get('/', async () => ({ service: 'fastify-rooms-export demo', routes: ['POST /api/v1/rooms.export', 'GET /api/v1/rooms.export.status', 'GET /api/v1/rooms.export.download', 'POST /api/v1/rooms.export.cancel', 'GET /api/v1/rooms.export.list', 'GET /api/v1/rooms.export.keys'] }))

await app.listen({ port, host })

const base = `http://${host}:${port}/api/v1`
const auth = "-H 'X-User-Id: demo-admin' -H 'X-Auth-Token: demo-admin-token'"
process.stdout.write(`
fastify-rooms-export demo is running on http://${host}:${port}
Room "GENERAL" has 3000 messages from January to May 2024. Users: admin (may export), user (may not).

# 1. start a file export (answers {"success":true,"exportId":"…"})
curl -s -X POST ${base}/rooms.export ${auth} -H 'Content-Type: application/json' \\
  -d '{"rid":"GENERAL","type":"file","format":"html","dateFrom":"2024-03-01","dateTo":"2024-03-31","timezone":"Europe/Berlin"}'

# 2. its status (put the exportId in)
curl -s '${base}/rooms.export.status?exportId=EXPORT_ID' ${auth}

# 3. download the zip
curl -s -o export.zip '${base}/rooms.export.download?exportId=EXPORT_ID' ${auth} && unzip -l export.zip

# 4. an email export (the mail lands in ${mailDirectory})
curl -s -X POST ${base}/rooms.export ${auth} -H 'Content-Type: application/json' \\
  -d '{"rid":"GENERAL","type":"email","toUsers":["mod","nobody"],"toEmails":["auditor@example.com"],"subject":"Week 10","dateFrom":"2024-03-04","dateTo":"2024-03-08"}'

# 5. cancel an export, and list yours
curl -s -X POST ${base}/rooms.export.cancel ${auth} -H 'Content-Type: application/json' -d '{"exportId":"EXPORT_ID"}'
curl -s '${base}/rooms.export.list?offset=0&count=25' ${auth}

# 6. check a downloaded archive offline: the server's public keys, then the package's verifier
curl -s ${base}/rooms.export.keys > keys.json
node dist/lib/bin.js verify export.zip --jwks keys.json

# 7. an export with each message's earlier versions and the deleted messages (allowHistory is on here)
curl -s -X POST ${base}/rooms.export ${auth} -H 'Content-Type: application/json' \\
  -d '{"rid":"GENERAL","type":"file","format":"json","dateFrom":"2024-03-01","dateTo":"2024-03-31","includeHistory":true}'

# or all of it from a client that draws the progress bar: npm run demo:client (-- --cancel)

# a user without the mail-messages permission
curl -s -X POST ${base}/rooms.export -H 'X-User-Id: demo-user' -H 'X-Auth-Token: demo-user-token' -H 'Content-Type: application/json' -d '{"rid":"GENERAL","type":"file","format":"json"}'

`)
