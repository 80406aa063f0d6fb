/// <reference lib="dom" />
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Value } from '@sinclair/typebox/value'
import fc from 'fast-check'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportMessage } from '../index.ts'
import { ExportDocumentSchema } from '../lib/schemas.ts'
import { hostHooks, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip, postExport } from './helpers/exports.ts'
import { alice, fixtureData, general } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { readZip } from './helpers/zip.ts'

/**
 * Stored messages with anything in every field the plugin reads, as a
 * database someone else writes may hold them: each run exports a room of
 * them as HTML (render worker and main thread), JSON and email. One message
 * may never fail an export, crash the process or break out of its page.
 */

// A script that ran would say so on the console; an alert would open a dialog; a load would be a request.
const hostile = fc.constantFrom(
  '<script>console.log("ran")</script>',
  '"><img src=x onerror=console.log("ran")>',
  '<svg onload=console.log("ran")>',
  'javascript:console.log("ran")',
  '//tracker.example/pixel.png',
  '{{constructor.constructor("console.log(1)")()}}',
  '</textarea></style></title><script>alert(1)</script>',
  '\u202e\u0000\ud800'
)
const text = fc.oneof(fc.string(), hostile, fc.string({ unit: 'grapheme' }))
const anything = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue(),
  text,
  fc.date({ noInvalidDate: false }),
  fc.bigInt(),
  fc.double(),
  fc.constant(undefined),
  fc.constant(new Date(8.64e15))
)
const nodeTypes = ['PARAGRAPH', 'PLAIN_TEXT', 'BOLD', 'ITALIC', 'STRIKE', 'INLINE_CODE', 'CODE', 'CODE_LINE', 'HEADING', 'QUOTE', 'SPOILER', 'SPOILER_BLOCK',
  'UNORDERED_LIST', 'ORDERED_LIST', 'LIST_ITEM', 'TASKS', 'TASK', 'LINE_BREAK', 'HORIZONTAL_RULE', 'LINK', 'IMAGE', 'MENTION_USER', 'MENTION_CHANNEL',
  'EMOJI', 'BIG_EMOJI', 'COLOR', 'KATEX', 'INLINE_KATEX', 'TIMESTAMP', 'TABLE', 'MYSTERY']
/** Trees shaped like Rocket.Chat's, with anything where a value goes. */
const { tree } = fc.letrec((tie) => ({
  node: fc.record({
    type: fc.oneof(fc.constantFrom(...nodeTypes), anything),
    value: fc.oneof({ depthSize: 'small' }, tie('nodes'), tie('node'), anything, tie('parts'))
  }, { requiredKeys: [] }),
  nodes: fc.array(fc.oneof(tie('node'), anything), { maxLength: 4 }),
  parts: fc.record({
    src: fc.oneof(tie('node'), anything),
    label: fc.oneof(tie('nodes'), anything),
    header: fc.oneof(tie('nodes'), anything),
    rows: fc.oneof(fc.array(fc.record({ value: tie('nodes') }), { maxLength: 2 }), anything),
    timestamp: fc.oneof(fc.integer().map(String), anything),
    format: anything,
    r: anything,
    g: anything,
    b: anything,
    a: anything,
    unicode: anything,
    shortCode: anything
  }, { requiredKeys: [] }),
  tree: fc.oneof(fc.array(tie('node'), { maxLength: 4 }), anything)
}))
const maybe = <T>(value: fc.Arbitrary<T>) => fc.oneof(value, anything)
const person = maybe(fc.record({ _id: maybe(fc.string()), username: maybe(text), name: maybe(text) }, { requiredKeys: [] }))
const file = maybe(fc.record({ _id: maybe(fc.string()), name: maybe(text), type: maybe(fc.constantFrom('image/png', 'image/svg+xml', 'text/html')), size: maybe(fc.double()) }, { requiredKeys: [] }))
const attachment = maybe(fc.record({
  title: maybe(text),
  title_link: maybe(text),
  image_url: maybe(text),
  description: maybe(text),
  descriptionMd: tree,
  text: maybe(text),
  md: tree,
  author_name: maybe(text),
  message_link: maybe(text),
  ts: anything,
  attachments: anything
}, { requiredKeys: [] }))
const inRange = fc.date({ min: new Date('2024-03-01T00:00:00Z'), max: new Date('2024-03-31T00:00:00Z'), noInvalidDate: true })
const storedMessage = fc.record({
  _id: fc.oneof(fc.uuid(), anything),
  rid: fc.constant(general._id),
  ts: fc.oneof(inRange, inRange, anything),
  msg: maybe(text),
  u: person,
  t: maybe(fc.constantFrom('uj', 'ul', 'au', 'ru', 'r', 'e2e', 'subscription-role-added', 'discussion-created', 'unknown-type')),
  tmid: maybe(fc.string()),
  tcount: maybe(fc.double()),
  editedAt: anything,
  editedBy: person,
  pinned: anything,
  reactions: maybe(fc.dictionary(fc.string(), maybe(fc.record({ usernames: maybe(fc.array(maybe(text), { maxLength: 3 })) })), { maxKeys: 3 })),
  attachments: maybe(fc.array(attachment, { maxLength: 3 })),
  file,
  files: maybe(fc.array(file, { maxLength: 3 })),
  md: tree,
  mentions: maybe(fc.array(person, { maxLength: 2 })),
  channels: maybe(fc.array(maybe(fc.record({ _id: maybe(fc.string()), name: maybe(text), fname: maybe(text) })), { maxLength: 2 })),
  urls: maybe(fc.array(maybe(fc.record({ url: maybe(text), title: maybe(text), description: maybe(text) })), { maxLength: 2 })),
  role: anything
}, { requiredKeys: ['_id', 'rid', 'ts', 'msg', 'u'] })
const room = fc.array(fc.oneof(storedMessage, storedMessage, storedMessage, anything), { minLength: 1, maxLength: 12 })

const escaped: unknown[] = []
process.on('unhandledRejection', (reason) => { escaped.push(reason) })
process.on('uncaughtException', (err) => { escaped.push(err) })

/** One host, exporting whatever `records` holds when asked. */
async function hostOf (t: Test, records: { current: unknown[] }, renderInWorker: boolean, mailer?: { transport: object, from: string }): Promise<FastifyInstance> {
  const memory = createMemoryRepository(fixtureData())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    repository: {
      ...memory,
      async * findMessages () { yield * records.current as ExportMessage[] },
      async * findMessagesByIds () { yield * records.current.slice(0, 1) as ExportMessage[] },
      async fileSize () { return 12 },
      async openFile () { return null }
    },
    storage: createDirectoryStorage(await temporaryDirectory(t)),
    renderInWorker,
    ...(mailer === undefined ? {} : { mailer })
  })
  return app
}

const runs = Number(process.env.PROPERTY_RUNS ?? 25)

t.test('any stored data: HTML in the worker and on the main thread, JSON and email all complete; JSON follows its schema; pages stay inert in Chromium', async (t) => {
  const records: { current: unknown[] } = { current: [] }
  const smtp = await startSmtpServer(t)
  const worker = await hostOf(t, records, true)
  const main = await hostOf(t, records, false, { transport: smtp.transport, from: 'exports@chat.example' })
  const pages: string[] = []
  await fc.assert(fc.asyncProperty(room, async (stored) => {
    records.current = stored
    for (const app of [worker, main]) {
      const html = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
      const page = html.get('general.html')!.toString()
      // The page's own tags only: whatever the data held is text. (An event handler counts inside a tag:
      // escaped text may read " onerror=", as KaTeX's annotation of a hostile formula's source does.)
      if (/<script|<img (?!src="assets\/)|<svg|<iframe|<[a-z][^>]*\son\w+=|href="javascript:/i.test(page)) throw new Error(`active markup in the page: ${page}`)
      pages.push(page)
    }
    const json = await readZip(await exportToZip(main, alice, { rid: general._id, type: 'file', format: 'json' }))
    const document = JSON.parse(json.get('general.json')!.toString())
    if (!Value.Check(ExportDocumentSchema, document)) throw new Error(`the document breaks its schema: ${JSON.stringify([...Value.Errors(ExportDocumentSchema, document)].slice(0, 3))}`)
    if (document.messages.length !== stored.filter((record) => (record as { _hidden?: unknown } | null)?._hidden !== true).length) throw new Error('a message went missing')
    for (const format of ['html', 'json']) {
      const mailed = await postExport(main, alice, { rid: general._id, type: 'email', format, toEmails: ['boss@example.com'] })
      if (mailed.statusCode !== 200) throw new Error(`email export ${format}: ${mailed.statusCode} ${mailed.body}`)
      await smtp.nextMail()
    }
  }), { numRuns: runs })
  t.same(escaped, [], 'no unhandled rejection, no uncaught exception')
  t.equal(pages.length, 2 * runs, 'every run exported its pages')

  const browser = await launchBrowser(t)
  const tab = await browser.newPage()
  const ran: string[] = []
  const requests: string[] = []
  // The pages are opened without the archive's assets/: an inline upload is missing, which the browser says on the console.
  tab.on('console', (message) => { if (!message.text().startsWith('Failed to load resource: net::ERR_FILE_NOT_FOUND')) ran.push(message.text()) })
  tab.on('dialog', (dialog) => { ran.push(`dialog ${dialog.message()}`); void dialog.dismiss() })
  tab.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()) })
  const directory = await temporaryDirectory(t)
  for (const [index, page] of pages.entries()) {
    const path = join(directory, `page-${index}.html`)
    await writeFile(path, page)
    await tab.goto(pathToFileURL(path).href)
  }
  t.same(ran, [], 'no page ran a script')
  t.same(requests, [], 'no page loaded anything')
})
