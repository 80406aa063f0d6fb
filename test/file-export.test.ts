import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { createDirectoryStorage, createMemoryRepository, ExportDocumentSchema, type ExportJob, type ExportUser } from '../index.ts'
import { exportDocumentJsonSchema } from '../lib/schemas.ts'
import { buildApp, storedFiles, temporaryDirectory } from './helpers/app.ts'
import { eventually, exportToZip, generalJsonManifestHead, postExport, waitForExport } from './helpers/exports.ts'
import { alice, authHeaders, bob, dave, fixtureData, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex')

t.test('a JSON file export: answer, status, download and the whole archive', async (t) => {
  const app = await buildApp(t)
  const started = await postExport(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  t.equal(started.statusCode, 200)
  const { exportId } = started.json()
  t.same(started.json(), { success: true, exportId })
  t.match(exportId, /^[A-Za-z0-9_-]{16}$/)

  const status = await waitForExport(app, alice, exportId)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 200)
  const { createdAt, finishedAt } = status.export
  t.match(createdAt, isoPattern)
  t.match(finishedAt, isoPattern)
  t.same(status, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'json', status: 'done', messages: 7, total: 7, progress: 1, bytes: download.rawPayload.length, createdAt, finishedAt }
  })
  const today = new Date().toISOString().slice(0, 10)
  t.same(download.headers['content-type'], 'application/zip')
  t.same(download.headers['content-disposition'], `attachment; filename="general-${today}.zip"; filename*=UTF-8''general-${today}.zip`)
  t.same(download.headers['cache-control'], 'private, no-store')

  const entries = await readZip(download.rawPayload)
  t.same([...entries.keys()], ['general.json', 'schema.json', 'assets/file-1-report__1_.pdf', 'manifest.json'])
  t.same(JSON.parse(entries.get('schema.json')!.toString()), JSON.parse(exportDocumentJsonSchema), 'the schema the document follows ships in the archive')
  const documentText = entries.get('general.json')!
  const document = JSON.parse(documentText.toString())
  t.ok(Value.Check(ExportDocumentSchema, document), 'the document matches the exported schema')
  t.same(document.messages.map((message: { _id: string }) => message._id), ['start', 'join', 'parent', 'reply', 'edited', 'links', 'end'])
  const exportedAt = document.exportedAt
  const pdf = { name: 'assets/file-1-report__1_.pdf', bytes: 9, sha256: sha256(Buffer.from('PDF-BYTES')) }
  const schemaText = entries.get('schema.json')!
  t.same(JSON.parse(entries.get('manifest.json')!.toString()), {
    ...generalJsonManifestHead(exportedAt),
    parts: [{ name: 'general.json', bytes: documentText.length, sha256: sha256(documentText) }],
    assets: {
      included: [{ fileId: 'file-1', name: 'report <1>.pdf', path: pdf.name, bytes: pdf.bytes, sha256: pdf.sha256 }],
      missing: []
    },
    malformedMessages: { count: 0, listed: [] },
    entries: [
      { name: 'general.json', bytes: documentText.length, sha256: sha256(documentText) },
      { name: 'schema.json', bytes: schemaText.length, sha256: sha256(schemaText) },
      pdf
    ],
    complete: true
  })
  t.equal(entries.get('assets/file-1-report__1_.pdf')!.toString(), 'PDF-BYTES')
})

t.test('the JSON document, whole, with every kind of message', async (t) => {
  const app = await buildApp(t)
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21T09:00:00Z', dateTo: '2024-03-22T12:00:00Z' }))
  const text = entries.get('general.json')!.toString()
  const document = JSON.parse(text)
  const alicePerson = { _id: alice._id, username: 'alice', name: 'Alice Archer' }
  const bobPerson = { _id: bob._id, username: 'bob', name: 'Bob <b>Builder</b>' }
  t.same(document, {
    version: '1.0.0',
    room: { _id: general._id, t: 'c', name: 'general', fname: 'General', topic: 'Everything & <anything>' },
    range: { from: '2024-03-21T09:00:00.000Z', to: '2024-03-22T12:00:00.000Z', timezone: 'UTC' },
    exportedAt: document.exportedAt,
    exportedBy: alicePerson,
    messages: [
      { _id: 'join', rid: general._id, ts: '2024-03-21T09:00:00.000Z', msg: '', u: bobPerson, t: 'uj', sentence: 'Bob <b>Builder</b> joined the channel' },
      { _id: 'parent', rid: general._id, ts: '2024-03-21T10:00:00.000Z', msg: 'line one\nline two <script>alert(1)</script>', u: bobPerson, tcount: 1, reactions: { ':+1:': { usernames: ['alice', 'bob'] } } },
      { _id: 'reply', rid: general._id, ts: '2024-03-21T10:00:00.000Z', msg: 'same instant, later id', u: alicePerson, tmid: 'parent', pinned: true },
      { _id: 'edited', rid: general._id, ts: '2024-03-21T11:00:00.000Z', msg: 'new text', u: alicePerson, editedAt: '2024-03-21T11:05:00.000Z', editedBy: { _id: alice._id, username: 'alice' } },
      {
        _id: 'links',
        rid: general._id,
        ts: '2024-03-22T12:00:00.000Z',
        msg: 'see links',
        u: alicePerson,
        attachments: [{ title: 'safe', title_link: 'https://example.com/a?b=1&c=2' }, { title: 'evil', title_link: 'javascript:alert(1)', description: 'desc <i>x</i>' }],
        files: [{ _id: 'file-1', name: 'report <1>.pdf', type: 'application/pdf', size: 9, path: 'assets/file-1-report__1_.pdf' }] // the stored file's size; the message claimed 2048
      }
    ],
    messageCount: 5,
    users: [alicePerson, bobPerson],
    parents: []
  })
  t.notMatch(text, /@example\.(com|org)/, 'no email address anywhere in the export')
})

t.test('an HTML export is one self-contained page with the uploads beside it', async (t) => {
  const app = await buildApp(t)
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-22' }))
  t.same([...entries.keys()], ['general.html', 'assets/file-1-report__1_.pdf', 'manifest.json'])
  const html = entries.get('general.html')!.toString()
  t.match(html, /^<!doctype html>\n<html lang="en">/)
  t.match(html, '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'self\' \'unsafe-inline\'; font-src \'self\'; img-src \'self\'; media-src \'self\'; base-uri \'none\'; form-action \'none\'">')
  t.notMatch(html, /<script|<link |<img|<iframe|@import|url\(/i, 'no scripts, no remote loads, no image (the upload is a PDF)')
  t.same([...html.matchAll(/<h2 class="day"><time datetime="([^"]+)">([^<]+)</g)].map((match) => [match[1], match[2]]), [['2024-03-21', 'Thursday, March 21, 2024'], ['2024-03-22', 'Friday, March 22, 2024']])
  t.same([...html.matchAll(/<article class="message[^"]*" id="m-([^"]+)"/g)].map((match) => match[1]), ['start', 'join', 'parent', 'reply', 'edited', 'links', 'end'])
  t.match(html, '<article class="message system" id="m-join"><span class="meta"><a class="permalink" href="#m-join"><time datetime="2024-03-21T09:00:00.000Z">9:00 AM</time></a></span> <span class="sentence" dir="auto">Bob &lt;b&gt;Builder&lt;/b&gt; joined the channel</span>\n</article>')
  t.match(html, '<div class="text" dir="auto"><p class="md-p">line one</p><p class="md-p">line two &lt;script&gt;alert(1)&lt;/script&gt;</p></div>')
  t.match(html, '<div class="thread" id="t-parent">reply in thread: <a href="#m-parent" dir="auto">Bob &lt;b&gt;Builder&lt;/b&gt;</a> <span class="excerpt" dir="auto">line one</span></div>', 'the first reply carries the id its parent\'s reply count links to')
  t.match(html, '<span class="pinned">pinned</span>')
  t.match(html, '<div class="edited">edited by <bdi>Alice Archer</bdi> at <time datetime="2024-03-21T11:05:00.000Z">Mar 21, 2024, 11:05 AM</time></div>')
  t.match(html, '<div class="replies"><a href="#t-parent">1 thread reply</a></div>')
  t.match(html, '<span class="username" dir="auto">@alice</span> <a class="permalink" href="#m-reply"><time datetime="2024-03-21T10:00:00.000Z">10:00 AM</time></a>', 'every time is its message\'s permalink')
  t.match(html, '<li title=":+1: Alice Archer, Bob &lt;b&gt;Builder&lt;/b&gt;">👍 2 · <bdi>Alice Archer</bdi>, <bdi>Bob &lt;b&gt;Builder&lt;/b&gt;</bdi></li>')
  t.match(html, '<a href="https://example.com/a?b&#x3D;1&amp;c&#x3D;2" rel="noopener noreferrer nofollow">safe</a>')
  t.match(html, '<div class="attachment" dir="auto">evil<p class="md-p">desc &lt;i&gt;x&lt;/i&gt;</p></div>', 'a javascript: link loses its href')
  t.match(html, '<ul class="uploads"><li><a href="assets/file-1-report__1_.pdf" dir="auto">report &lt;1&gt;.pdf</a> (9 B)</li></ul>', 'the size of the archived bytes, not the one the message claims')
  t.match(html, '<div class="avatar" style="--hue: 157" aria-hidden="true">BB</div>\n<div class="content">\n<div class="meta"><span class="author" dir="auto">Bob &lt;b&gt;Builder&lt;/b&gt;</span>')
  t.match(html, '<h1>General</h1>\n<p class="topic">Everything &amp; &lt;anything&gt;</p>')
  t.notMatch(html, /nav class="parts"/, 'a single part has no part navigation')
})

/** 25 messages, ten a day from 2024-01-01: three parts of at most 10. */
const threePartsOfMessages = Array.from({ length: 25 }, (_, index) => ({
  _id: `n${String(index).padStart(2, '0')}`,
  rid: general._id,
  ts: new Date(Date.UTC(2024, 0, 1 + Math.floor(index / 10), 12, index)),
  msg: `message ${index}`,
  u: { _id: alice._id, username: 'alice' }
}))

t.test('big HTML exports are split into linked parts', async (t) => {
  const messages = threePartsOfMessages
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 10 } }, { ...fixtureData(), messages })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  t.same([...entries.keys()], ['general.html', 'general-2.html', 'general-3.html', 'index.html', 'manifest.json'])
  const pages = ['general.html', 'general-2.html', 'general-3.html'].map((name) => entries.get(name)!.toString())
  t.same(pages.map((page) => [...page.matchAll(/id="m-(n\d+)"/g)].length), [10, 10, 5])
  t.same(pages.map((page) => [...page.matchAll(/<nav class="parts" aria-label="([^"]+)">(.*)<\/nav>/g)].map((match) => [match[1], ...[...match[2].matchAll(/href="([^"]+)"/g)].map((link) => link[1])])), [
    [['Parts, after this one', 'general-2.html', 'index.html']],
    [['Parts, before this one', 'general.html', 'index.html'], ['Parts, after this one', 'general-3.html', 'index.html']],
    [['Parts, before this one', 'general-2.html', 'index.html'], ['All parts', 'index.html']]
  ])
  t.same(pages.map((page) => /<title>(.*)<\/title>/.exec(page)![1]), ['General — export (Part 1 of 3)', 'General — export (Part 2 of 3)', 'General — export (Part 3 of 3)'], 'every part, the first too, says which of how many')
  t.match(pages[0], '<p>Exported by Alice Archer (@alice) at ')
  t.match(pages[0], '</time> · Part 1 of 3</p>')
  t.match(pages[0], '<body>\n<a class="skip-link" href="#messages">Skip to the messages</a>\n<header class="export">', 'a skip link past the header and navigation')
  t.match(pages[1], /<main id="messages">\n<h2 class="day"><time datetime="2024-01-02">/, 'each part starts with its day heading')
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  t.same(manifest.parts, ['general.html', 'general-2.html', 'general-3.html', 'index.html'].map((name) => ({ name, bytes: entries.get(name)!.length, sha256: sha256(entries.get(name)!) })))
  const index = entries.get('index.html')!.toString()
  t.same([...index.matchAll(/<li>(.*)<\/li>/g)].map((match) => match[1]), [
    '<a href="general.html">Part 1</a>: 10 messages on 1 day, <time datetime="2024-01-01T12:00:00.000Z">Jan 1, 2024, 12:00 PM</time> – <time datetime="2024-01-01T12:09:00.000Z">Jan 1, 2024, 12:09 PM</time>',
    '<a href="general-2.html">Part 2</a>: 10 messages on 1 day, <time datetime="2024-01-02T12:10:00.000Z">Jan 2, 2024, 12:10 PM</time> – <time datetime="2024-01-02T12:19:00.000Z">Jan 2, 2024, 12:19 PM</time>',
    '<a href="general-3.html">Part 3</a>: 5 messages on 1 day, <time datetime="2024-01-03T12:20:00.000Z">Jan 3, 2024, 12:20 PM</time> – <time datetime="2024-01-03T12:24:00.000Z">Jan 3, 2024, 12:24 PM</time>'
  ], 'the index lists every part with its dates')
  t.match(index, '<h2 class="day">3 parts, 25 messages</h2>')
  t.equal(manifest.messageCount, 25)
})

// The count runs beside the read (FerretDB reads every document to count): here it answers only once
// the whole room has been read — before, the read waited for it, and this export would never end.
for (const renderInWorker of [true, false]) {
  t.test(`a count that answers after the read: the first part waits for it and says "Part 1 of 3"; the status has the total (${renderInWorker ? 'render worker' : 'main thread'})`, async (t) => {
    const memory = createMemoryRepository({ ...fixtureData(), messages: threePartsOfMessages })
    let readToTheEnd!: () => void
    const read = new Promise<void>((resolve) => { readToTheEnd = resolve })
    const events: string[] = []
    const app = await buildApp(t, {
      renderInWorker,
      limits: { htmlMessagesPerPart: 10 },
      repository: {
        ...memory,
        async * findMessages (query) {
          yield * memory.findMessages(query)
          events.push('read')
          readToTheEnd()
        },
        async countMessages (query) {
          await read
          events.push('counted')
          return await memory.countMessages!(query)
        }
      }
    })
    const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
    const status = await waitForExport(app, alice, exportId)
    t.same(events, ['read', 'counted'])
    t.same(status.export, { _id: exportId, rid: general._id, format: 'html', status: 'done', messages: 25, total: 25, progress: 1, bytes: status.export.bytes, createdAt: status.export.createdAt, finishedAt: status.export.finishedAt })
    const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
    const entries = await readZip(download.rawPayload)
    const pages = ['general.html', 'general-2.html', 'general-3.html'].map((name) => entries.get(name)!.toString())
    t.same(pages.map((page) => /<title>(.*)<\/title>/.exec(page)![1]), ['General — export (Part 1 of 3)', 'General — export (Part 2 of 3)', 'General — export (Part 3 of 3)'])
    t.same(pages.map((page) => [...page.matchAll(/id="m-(n\d+)"/g)].length), [10, 10, 5], 'the held text is all there, once')
    t.ok(pages[0].startsWith('<!doctype html>'), 'the head comes first')
  })
}

t.test('a thread whose replies are in a later part, or in none: its reply count leads to a note that says so', async (t) => {
  const messages = Array.from({ length: 15 }, (_, index) => ({
    _id: `n${String(index).padStart(2, '0')}`,
    rid: general._id,
    ts: new Date(Date.UTC(2024, 0, 1, 12, index)),
    msg: `message ${index}`,
    u: { _id: alice._id, username: 'alice' },
    ...(index === 8 ? { tcount: 1 } : index === 12 ? { tmid: 'n08' } : index === 13 ? { tcount: 3 } : {})
  }))
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 10 } }, { ...fixtureData(), messages })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  const [first, second] = ['general.html', 'general-2.html'].map((name) => entries.get(name)!.toString())
  t.match(first, '<div class="replies"><a href="#t-n08">1 thread reply</a></div>')
  t.match(first, '<p class="thread-note" id="t-n08">The replies to this thread follow in a later part: <a href="general-2.html">next part</a>.</p>\n</main>')
  t.match(second, '<div class="thread">reply in thread: <a href="general.html#m-n08" dir="auto">alice</a>', 'the reply in the next part links back to its parent')
  t.match(second, '<div class="replies"><a href="#t-n13">3 thread replies</a></div>')
  t.match(second, '<p class="thread-note" id="t-n13">No reply to this thread is in this export.</p>\n</main>')
})

t.test('parts without a count up front say their number alone; a part spanning days counts them', async (t) => {
  const messages = Array.from({ length: 15 }, (_, index) => ({
    _id: `d${String(index).padStart(2, '0')}`,
    rid: general._id,
    ts: new Date(Date.UTC(2024, 0, 1 + Math.floor(index / 4), 12, index)),
    msg: `message ${index}`,
    u: { _id: alice._id, username: 'alice' }
  }))
  const { countMessages, ...uncounted } = createMemoryRepository({ ...fixtureData(), messages })
  t.ok(countMessages !== undefined)
  const app = await buildApp(t, { limits: { htmlMessagesPerPart: 10 }, repository: uncounted })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  t.same(['general.html', 'general-2.html'].map((name) => /<title>(.*)<\/title>/.exec(entries.get(name)!.toString())![1]), ['General — export', 'General — export (Part 2)'])
  t.same([...entries.get('index.html')!.toString().matchAll(/<li><a href="[^"]+">Part \d<\/a>: ([^,]+),/g)].map((match) => match[1]), ['10 messages on 3 days', '5 messages on 2 days'])
})

t.test('a large export streams through with backpressure and reads back byte for byte', async (t) => {
  const messages = Array.from({ length: 150 }, (_, index) => ({
    _id: `big${String(index).padStart(3, '0')}`,
    rid: general._id,
    ts: new Date(Date.UTC(2024, 0, 1, 0, index)),
    // random-looking text compresses badly, so the zip grows as fast as the page
    msg: createHash('sha256').update(String(index)).digest('hex').repeat(600),
    u: { _id: alice._id, username: 'alice' }
  }))
  const app = await buildApp(t, {}, { ...fixtureData(), messages })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' }))
  const documentText = entries.get('general.json')!
  t.ok(documentText.length > 5_000_000)
  const document = JSON.parse(documentText.toString())
  t.same(document.messages.map((message: { msg: string }) => message.msg), messages.map((message) => message.msg))
  t.equal(JSON.parse(entries.get('manifest.json')!.toString()).parts[0].sha256, sha256(documentText))

  const htmlEntries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  const page = htmlEntries.get('general.html')!
  t.same([...page.toString().matchAll(/<div class="text" dir="auto"><p class="md-p">([0-9a-f]+)<\/p><\/div>/g)].map((match) => match[1]), messages.map((message) => message.msg))
  t.equal(JSON.parse(htmlEntries.get('manifest.json')!.toString()).parts[0].sha256, sha256(page))
})

t.test('an empty range exports an empty, valid archive', async (t) => {
  const app = await buildApp(t)
  for (const format of ['json', 'html']) {
    const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format, dateFrom: '2000-01-01', dateTo: '2000-01-02' }))
    const manifest = JSON.parse(entries.get('manifest.json')!.toString())
    t.equal(manifest.messageCount, 0)
    t.same(manifest.assets, { included: [], missing: [] })
    const part = entries.get(`general.${format}`)!.toString()
    if (format === 'json') t.same(JSON.parse(part).messages, [])
    else t.match(part, '<footer class="export"><p style="padding: 0 24px; color: var(--muted); font-size: 12px;">0 messages in this part.</p></footer>')
  }
})

t.test('uploads the repository cannot open are listed as missing', async (t) => {
  const memory = createMemoryRepository({
    ...fixtureData(),
    files: {},
    messages: [{ _id: 'f', rid: general._id, ts: new Date('2024-01-01T00:00:00Z'), msg: '', u: { _id: alice._id, username: 'alice' }, file: { _id: 'gone', name: 'a.png' }, files: [{ _id: 'gone', name: 'a.png' }, { _id: 'broken', name: 'b.png' }] }]
  })
  const app = await buildApp(t, {
    repository: {
      ...memory,
      async openFile (file, rid) {
        if (file._id === 'broken') throw new Error('disk on fire')
        return await memory.openFile!(file, rid)
      }
    }
  })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' }))
  t.same([...entries.keys()], ['general.json', 'schema.json', 'manifest.json'])
  t.same(JSON.parse(entries.get('manifest.json')!.toString()).assets, {
    included: [],
    missing: [{ fileId: 'gone', name: 'a.png', reason: 'not found' }, { fileId: 'broken', name: 'b.png', reason: 'could not be opened' }]
  })
})

t.test('a repository without openFile exports no assets', async (t) => {
  const { openFile, ...withoutFiles } = createMemoryRepository(fixtureData())
  t.type(openFile, 'function')
  const app = await buildApp(t, { repository: withoutFiles })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  t.same([...entries.keys()], ['general.html', 'manifest.json'])
})

t.test('status and download belong to the user who asked', async (t) => {
  const app = await buildApp(t)
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  const notFound = { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'no such export' }
  for (const [user, id] of [[dave, exportId], [alice, 'unknown-id'], [alice, '../../etc/passwd']] as [ExportUser, string][]) {
    for (const route of ['status', 'download']) {
      const response = await app.inject({ url: `/api/v1/rooms.export.${route}?exportId=${encodeURIComponent(id)}`, headers: authHeaders(user) })
      t.equal(response.statusCode, 404)
      t.same(response.json(), notFound)
    }
  }
  for (const url of ['/api/v1/rooms.export.status', '/api/v1/rooms.export.status?exportId=x&other=1', '/api/v1/rooms.export.download?exportId=']) {
    const response = await app.inject({ url, headers: authHeaders(alice) })
    t.equal(response.statusCode, 400, url)
    t.equal(response.json().errorType, 'error-invalid-params')
  }
  const missing = await app.inject({ url: '/api/v1/rooms.export.status', headers: authHeaders(alice) })
  t.same(missing.json(), { success: false, error: '[error-invalid-params]', errorType: 'error-invalid-params', details: 'querystring.exportId: Expected required property' })
})

t.test('a running export: status counts, download 409 until done', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const memory = createMemoryRepository(fixtureData())
  const app = await buildApp(t, {
    repository: {
      ...memory,
      async * findMessages (query) {
        let first = true
        for await (const message of memory.findMessages(query)) {
          yield message
          if (first) await gate
          first = false
        }
      }
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  let status
  for (let attempt = 0; attempt < 200; attempt++) {
    status = (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })).json()
    if (status.export.messages === 1) break
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  // bytes: the zip's first local header is out before the first message's bytes are compressed
  t.ok(Number.isInteger(status.export.bytes) && status.export.bytes >= 0)
  t.same(status, { success: true, export: { _id: exportId, rid: general._id, format: 'json', status: 'running', messages: 1, total: 9, progress: 0.1111, bytes: status.export.bytes, createdAt: status.export.createdAt } })
  const early = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(early.statusCode, 409)
  t.same(early.json(), { success: false, error: '[error-export-not-ready]', errorType: 'error-export-not-ready', details: 'the export is running' })
  release()
  t.equal((await waitForExport(app, alice, exportId)).export.status, 'done')
})

t.test('a failing repository fails the job, leaves no file and frees the slot', async (t) => {
  const directory = await temporaryDirectory(t)
  const memory = createMemoryRepository(fixtureData())
  let fail = true
  const app = await buildApp(t, {
    storage: createDirectoryStorage(directory),
    repository: {
      ...memory,
      async * findMessages (query) {
        let count = 0
        for await (const message of memory.findMessages(query)) {
          if (fail && ++count === 3) throw new Error('connection reset by database')
          yield message
        }
      }
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.same(status, {
    success: true,
    export: { _id: exportId, rid: general._id, format: 'html', status: 'failed', messages: 2, bytes: 0, createdAt: status.export.createdAt, finishedAt: status.export.finishedAt, error: 'export failed: the repository failed' }
  })
  t.same(await storedFiles(directory), [], 'no partial file is left')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 409)
  t.same(download.json(), { success: false, error: '[error-export-failed]', errorType: 'error-export-failed', details: 'export failed: the repository failed' })
  fail = false
  const again = await postExport(app, alice, { rid: general._id, type: 'file', format: 'html' })
  t.equal(again.statusCode, 200, 'the failed job gave its slot back')
  t.equal((await waitForExport(app, alice, again.json().exportId)).export.status, 'done')
})

t.test('a failing storage fails the job', async (t) => {
  const app = await buildApp(t, {
    storage: {
      async write (_key, source) {
        for await (const chunk of source) if (chunk.length > 0) throw new Error('disk full')
      },
      async read () { return null },
      async remove () {}
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.equal(status.export.status, 'failed')
  t.equal(status.export.error, 'export failed: the storage failed')
})

t.test('an export whose file vanished from storage is not found', async (t) => {
  const directory = await temporaryDirectory(t)
  const storage = createDirectoryStorage(directory)
  const app = await buildApp(t, { storage })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  await storage.remove(exportId)
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 404)
  t.same(download.json(), { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'the export is no longer stored' })
})

t.test('exports expire after exportTtlMs: gone from status, download and disk', async (t) => {
  const directory = await temporaryDirectory(t)
  const app = await buildApp(t, { storage: createDirectoryStorage(directory), limits: { exportTtlMs: 400 } })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  t.same(await storedFiles(directory), [`${exportId}.zip`])
  const statusOf = async () => (await app.inject({ url: `/api/v1/rooms.export.status?exportId=${exportId}`, headers: authHeaders(alice) })).statusCode
  t.ok(await eventually(async () => await statusOf() === 404), 'an expired export is not found')
  const download = await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })
  t.equal(download.statusCode, 404)
  t.ok(await eventually(async () => (await storedFiles(directory)).length === 0), 'the sweep removed the zip')
})

t.test('a storage that cannot remove an expired export: logged, retried on the next sweep', async (t) => {
  const directory = await temporaryDirectory(t)
  const storage = createDirectoryStorage(directory)
  let removeAttempts = 0
  const app = await buildApp(t, {
    limits: { exportTtlMs: 100 },
    storage: {
      ...storage,
      async remove (key) {
        removeAttempts++
        if (removeAttempts === 1) throw new Error('storage offline')
        await storage.remove(key)
      }
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await waitForExport(app, alice, exportId)
  t.ok(await eventually(async () => (await storedFiles(directory)).length === 0), 'the next sweep removed it')
  t.ok(removeAttempts >= 2, 'after a failed first try')
})

t.test('onExportReady runs once the zip is stored; its failure is logged, not fatal', async (t) => {
  const seen: [ExportJob, string][] = []
  const app = await buildApp(t, {
    async onExportReady (job, user) {
      seen.push([job, user.username])
      throw new Error('notification service down')
    }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  const status = await waitForExport(app, alice, exportId)
  t.equal(status.export.status, 'done')
  t.ok(await eventually(async () => seen.length === 1), 'called once, right after the status turned done')
  const [job, username] = seen[0]
  t.equal(username, 'alice')
  t.same(job, {
    _id: exportId,
    rid: general._id,
    userId: alice._id,
    format: 'json',
    status: 'done',
    messages: 9,
    bytes: status.export.bytes,
    sha256: sha256((await app.inject({ url: `/api/v1/rooms.export.download?exportId=${exportId}`, headers: authHeaders(alice) })).rawPayload),
    createdAt: new Date(status.export.createdAt),
    finishedAt: new Date(status.export.finishedAt),
    expiresAt: new Date(new Date(status.export.finishedAt).getTime() + 24 * 60 * 60 * 1000),
    fileName: job.fileName,
    attempt: 1,
    request: {
      from: '1970-01-01T00:00:00.000Z',
      to: job.request!.to,
      timezone: 'UTC',
      requester: { _id: alice._id, username: 'alice', name: 'Alice Archer', emails: [{ address: 'alice@example.com', verified: true }] },
      reqId: 'req-1'
    }
  })
})

t.test('closing the server aborts running exports: nothing stored, never announced, handed over in its record', async (t) => {
  const directory = await temporaryDirectory(t)
  const memory = createMemoryRepository(fixtureData())
  let stuck!: () => void
  const reachedStuck = new Promise<void>((resolve) => { stuck = resolve })
  const seenJobs: ExportJob[] = []
  const { default: Fastify } = await import('fastify')
  const { default: roomsExport } = await import('../index.ts')
  const { hostHooks } = await import('./helpers/app.ts')
  const app = Fastify()
  await app.register(roomsExport, {
    ...hostHooks(),
    storage: createDirectoryStorage(directory),
    repository: {
      ...memory,
      async * findMessages (query) {
        for await (const message of memory.findMessages(query)) {
          yield message
          stuck()
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
    },
    onExportReady: async (job) => { seenJobs.push(job) }
  })
  const { exportId } = (await postExport(app, alice, { rid: general._id, type: 'file', format: 'json' })).json()
  await reachedStuck
  await app.close()
  t.same(await storedFiles(directory), [])
  t.same(seenJobs, [], 'an aborted export is never announced')
  // Left for the next start (or another process) to run again: still running, with no owner, silent since 1970.
  const record = JSON.parse(await readFile(join(directory, `${exportId}.job.json`), 'utf8'))
  t.match(record, { _id: exportId, status: 'running', attempt: 1, heartbeatAt: new Date(0).toISOString() })
  t.notOk('owner' in record)
})
