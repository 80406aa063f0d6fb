import { Value } from '@sinclair/typebox/value'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage, type RoomsExportOptions } from '../index.ts'
import { ExportDocumentSchema } from '../lib/schemas.ts'
import { readStoredMessage } from '../lib/stored-message.ts'
import { capturingLogger, hostHooks, temporaryDirectory } from './helpers/app.ts'
import { exportToZip, postExport, waitForExport } from './helpers/exports.ts'
import { alice, fixtureData, general } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { readZip } from './helpers/zip.ts'

/**
 * Records as an attacker with write access to the database, an import or an
 * imperfect adapter leaves them: each must cost its own field, never the
 * message, never the export.
 */
const at = new Date('2024-03-21T10:00:00.000Z')
const author = { _id: 'u-alice', username: 'alice', name: 'Alice Archer' }
const paragraph = (node: unknown) => [{ type: 'PARAGRAPH', value: [node] }]
let sequence = 0
const stored = (fields: Record<string, unknown>): Record<string, unknown> => ({ _id: `bad-${++sequence}`, rid: general._id, ts: at, msg: `text <${sequence}> & more`, u: author, ...fields })

/** The reproductions of issue 17 whose markup tree cannot be used: the message shows its text. */
const unusableTrees = [
  stored({ md: [null] }),
  stored({ md: paragraph(null) }),
  stored({ md: [{ type: 'QUOTE' }] }),
  stored({ md: paragraph({ type: 'COLOR' }) }),
  stored({ md: [{ type: 'TABLE', value: { header: 'x', rows: [] } }] }),
  stored({ md: [{ type: 'CODE', value: [null] }] }),
  stored({ md: paragraph({ type: 'TIMESTAMP', value: { timestamp: '8640000000000', format: 'f' } }) }),
  stored({ md: paragraph({ type: 'TIMESTAMP', value: { timestamp: { toString: 1 }, format: 'f' } }) })
]
const editedPastTime = stored({ editedAt: new Date(8.64e15), editedBy: { _id: 'u-bob', username: 'bob' } })
const records = [...unusableTrees, editedPastTime]

/** A host whose repository hands over `records` as they are (the memory repository sorts by `ts`, which a broken record may not have). */
async function hostOf (t: Test, records: unknown[], options: RoomsExportOptions = {}): Promise<{ app: FastifyInstance, lines: Array<Record<string, unknown>> }> {
  const memory = createMemoryRepository(fixtureData())
  const { logger, lines } = capturingLogger('warn')
  const app = Fastify({ logger })
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    repository: { ...memory, async * findMessages () { yield * records as ExportMessage[] } },
    storage: createDirectoryStorage(await temporaryDirectory(t)),
    ...options
  })
  return { app, lines }
}

const articleOf = (html: string, id: string) => new RegExp(`<article class="message[^"]*" id="m-${id}">[\\s\\S]*?</article>`).exec(html)?.[0] ?? ''

for (const renderInWorker of [true, false]) {
  t.test(`HTML (${renderInWorker ? 'worker' : 'main thread'}): each unusable record is shown as well as it can be, counted, logged once and listed in the manifest`, async (t) => {
    const { app, lines } = await hostOf(t, records, { renderInWorker })
    const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })
    const status = await waitForExport(app, alice, started.json().exportId)
    t.equal(status.export.status, 'done')
    const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
    const html = entries.get('general.html')!.toString()
    for (const record of unusableTrees) {
      const sequenceNumber = (record._id as string).slice(4)
      t.match(articleOf(html, record._id as string), `<div class="text" dir="auto"><p class="md-p">text &lt;${sequenceNumber}&gt; &amp; more</p></div>`, `${record._id}: its text, escaped`)
    }
    t.match(articleOf(html, editedPastTime._id as string), '<div class="edited">edited by <bdi>bob</bdi> at unknown time</div>')
    const manifest = JSON.parse(entries.get('manifest.json')!.toString())
    t.same(manifest.malformedMessages, {
      count: records.length,
      // In the order noticed: a field as its batch is read (`[null]` is no tree at all), a node as its tree renders.
      listed: [
        { _id: unusableTrees[0]._id, fields: ['md'] },
        { _id: editedPastTime._id, fields: ['editedAt'] },
        ...unusableTrees.slice(1).map((record) => ({ _id: record._id, fields: ['md'] }))
      ]
    })
    const warnings = lines.filter((line) => line.msg === 'rooms.export: messages with stored fields the export could not use were exported without them')
    t.equal(warnings.length, 2, 'once per export (two exports)')
    t.match(warnings[0], { exportId: started.json().exportId, malformedMessages: records.length })
  })
}

t.test('an email export of the same records is sent, the text shown for each', async (t) => {
  const smtp = await startSmtpServer(t)
  const { app, lines } = await hostOf(t, records, { mailer: { transport: smtp.transport, from: 'exports@chat.example' } })
  const response = await postExport(app, alice, { rid: general._id, type: 'email', format: 'html', toEmails: ['boss@example.com'] })
  t.same(response.json(), { success: true, missing: [] })
  const mail = await smtp.nextMail()
  for (const record of unusableTrees) t.match(mail.text, `\u2068Alice Archer\u2069: text <${(record._id as string).slice(4)}> & more`)
  t.match(lines.find((line) => line.msg === 'rooms.export: messages with stored fields the export could not use were exported without them'), { malformedMessages: records.length })
})

t.test('JSON: whatever the stored data, the document follows its schema; what does not fit is left out', async (t) => {
  const bad: Array<Record<string, unknown>> = [
    stored({ tcount: Number.NaN, file: { _id: 'file-1', name: 'report.pdf', size: Number.POSITIVE_INFINITY } }),
    stored({ editedAt: new Date(8.64e15) }),
    stored({ md: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 10n }] }] }),
    stored({ md: { type: 'PARAGRAPH' } }),
    stored({ ts: new Date(Number.NaN) }),
    stored({ ts: '2024-03-21T10:00:00Z', u: 'alice', reactions: { ':+1:': { usernames: ['bob', 7] }, ':x:': 'no' }, pinned: 'yes' })
  ]
  const { app } = await hostOf(t, [...bad, 'not a message'])
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' }))
  const document = JSON.parse(entries.get('general.json')!.toString())
  t.ok(Value.Check(ExportDocumentSchema, document), 'the document matches its schema')
  t.same(JSON.parse(entries.get('schema.json')!.toString()).properties.messages.items.required, ['_id', 'rid', 'msg', 'u'])
  const u = { _id: 'u-alice', username: 'alice', name: 'Alice Archer' }
  const ts = at.toISOString()
  t.same(document.messages, [
    { _id: bad[0]._id, rid: general._id, ts, msg: bad[0].msg, u, files: [{ _id: 'file-1', name: 'report.pdf', size: 9, path: 'assets/file-1-report.pdf' }] },
    { _id: bad[1]._id, rid: general._id, ts, msg: bad[1].msg, u },
    { _id: bad[2]._id, rid: general._id, ts, msg: bad[2].msg, u },
    { _id: bad[3]._id, rid: general._id, ts, msg: bad[3].msg, u },
    { _id: bad[4]._id, rid: general._id, msg: bad[4].msg, u },
    { _id: bad[5]._id, rid: general._id, msg: bad[5].msg, u: { _id: '', username: '' }, reactions: { ':+1:': { usernames: ['bob'] } } },
    { _id: '', rid: '', msg: '', u: { _id: '', username: '' } }
  ])
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  t.same([manifest.firstMessage, manifest.lastMessage], [{ _id: bad[0]._id, ts }, { _id: '', ts: null }], 'the last message, of no known time, named by its id')
  t.same(manifest.malformedMessages, {
    count: 7,
    listed: [
      { _id: bad[0]._id, fields: ['tcount', 'file.size'] },
      { _id: bad[1]._id, fields: ['editedAt'] },
      { _id: bad[2]._id, fields: ['md'] },
      { _id: bad[3]._id, fields: ['md'] },
      { _id: bad[4]._id, fields: ['ts'] },
      // in the record's order of fields; a missing one after those present
      { _id: bad[5]._id, fields: ['ts', 'u', 'reactions', 'pinned'] },
      { _id: '', fields: ['message', '_id', 'ts', 'u'] }
    ]
  })
})

t.test('readStoredMessage: a record made of JSON, read field by field', async (t) => {
  const flaws: string[] = []
  const message = readStoredMessage({
    _id: 'm',
    rid: 'r',
    ts: at,
    msg: 'x',
    u: { _id: 'u', username: 'n', name: 5 },
    attachments: [null, { title: 7, ts: new Date(Number.NaN), md: [{ type: 'PARAGRAPH', value: [] }], attachments: [{ attachments: [{ attachments: [{}] }] }] }],
    files: [{ name: 'no id' }, { _id: 'f', type: 3 }],
    mentions: [{ _id: 1, username: 'bob' }],
    channels: 'general',
    urls: [{ url: 5 }, { url: 'https://example.com', title: 'Example' }],
    md: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'deep' }], extra: { toJSON: () => 1 } }],
    _hidden: true,
    format: () => 'not data'
  }, flaws)
  t.same(message, {
    _id: 'm',
    rid: 'r',
    ts: at,
    msg: 'x',
    u: { _id: 'u', username: 'n' },
    _hidden: true,
    attachments: [{ md: [{ type: 'PARAGRAPH', value: [] }], attachments: [{ attachments: [{}] }] }],
    files: [{ _id: 'f', name: 'f' }],
    mentions: [{ _id: '', username: 'bob' }],
    urls: [{ url: 'https://example.com', title: 'Example' }]
  })
  t.same(new Set(flaws), new Set(['u.name', 'attachments', 'attachments.title', 'attachments.ts', 'attachments.attachments.attachments.attachments', 'files._id', 'files.type', 'mentions._id', 'channels', 'urls.url', 'md']))
  const deep: unknown[] = []
  let node: unknown[] = deep
  for (let level = 0; level < 70; level++) node = (node[0] = { type: 'QUOTE', value: [] } as { value: unknown[] }).value as unknown[]
  const tooDeep: string[] = []
  t.equal(readStoredMessage({ _id: 'd', rid: 'r', ts: at, msg: 'deep', u: author, md: deep }, tooDeep).md, undefined, 'a tree deeper than any Rocket.Chat writes is not walked')
  t.same(tooDeep, ['md'])
})

t.test('a room record of other types: names only when they are text, anything but an object is no room', async (t) => {
  const rooms: Record<string, unknown> = {
    numbers: { _id: 'numbers', t: 'c', name: 5, fname: ['x'], topic: null, usernames: ['a', 7] },
    'no-id': { t: 'c', name: 'no id' },
    scalar: 'a room',
    absent: undefined
  }
  const memory = createMemoryRepository(fixtureData())
  const { app } = await hostOf(t, [stored({ rid: 'numbers' })], { repository: { ...memory, findRoomById: async (rid: string) => rooms[rid] as never, async * findMessages () { yield stored({ rid: 'numbers' }) as never } } })
  const entries = await readZip(await exportToZip(app, alice, { rid: 'numbers', type: 'file', format: 'json' }))
  t.same(JSON.parse(entries.get('numbers.json')!.toString()).room, { _id: 'numbers', t: 'c' }, 'named by its id, as a room without a name')
  const noId = await readZip(await exportToZip(app, alice, { rid: 'no-id', type: 'file', format: 'json' }))
  t.same(JSON.parse(noId.get('no_id.json')!.toString()).room, { _id: 'no-id', t: 'c', name: 'no id' }, 'the id asked for')
  for (const rid of ['scalar', 'absent']) {
    const response = await postExport(app, alice, { rid, type: 'file', format: 'json' })
    t.same([response.statusCode, response.json()], [400, { success: false, error: '[error-invalid-room]', errorType: 'error-invalid-room', details: 'no such room' }], `${rid}: no such room`)
  }
})
