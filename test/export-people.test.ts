import { Value } from '@sinclair/typebox/value'
import { Ajv } from 'ajv'
import t, { type Test } from 'tap'
import { createMemoryRepository, ExportDocumentSchema, type RoomRepository } from '../index.ts'
import { exportDocumentJsonSchema } from '../lib/schemas.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, bob, dave, fixtureData, general, message } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'

/**
 * Names resolved for everyone who appears, whatever the order: a reactor who
 * has not posted yet is named as they will be when they post; the JSON lists
 * everyone once (`users`), and a reply's parent before the range (`parents`).
 */

const range = { rid: general._id, type: 'file', dateFrom: '2024-03-21', dateTo: '2024-03-22' }
const davePerson = { _id: dave._id, username: 'dave', name: 'Dave' }

function peopleData () {
  const data = fixtureData()
  data.messages.push(
    // Dave reacts before he ever posts; carol never posts; "ghost" is no user at all.
    message(general._id, '2024-03-21T10:30:00.000Z', 'lunch?', { _id: 'p-lunch', reactions: { ':+1:': { usernames: ['dave', 'ghost', 'bob', 'carol'] } } }),
    message(general._id, '2024-03-21T10:31:00.000Z', 'me too', { _id: 'p-dave', u: davePerson }),
    // A reply whose parent is the day before the range.
    message(general._id, '2024-03-20T08:00:00.000Z', 'the *old* question\nsecond line', { _id: 'p-old', u: { _id: bob._id, username: 'bob', name: 'Bob <b>Builder</b>' }, tcount: 1 }),
    message(general._id, '2024-03-21T10:32:00.000Z', 'an answer', { _id: 'p-answer', tmid: 'p-old' }),
    message(general._id, '2024-03-21T10:33:00.000Z', 'a second answer', { _id: 'p-answer-2', tmid: 'p-old' }),
    // A reply whose parent is nowhere.
    message(general._id, '2024-03-21T10:34:00.000Z', 'to nothing', { _id: 'p-orphan', tmid: 'p-missing' })
  )
  return data
}

/** The repository, counting the lookups the export makes. */
function countingRepository (): { repository: RoomRepository, userLookups: string[][], parentReads: string[][] } {
  const repository = createMemoryRepository(peopleData())
  const userLookups: string[][] = []
  const parentReads: string[][] = []
  return {
    userLookups,
    parentReads,
    repository: {
      ...repository,
      async findUsersByUsernames (usernames) {
        userLookups.push(usernames)
        return await repository.findUsersByUsernames(usernames)
      },
      findMessagesByIds (rid, ids) {
        parentReads.push(ids)
        return repository.findMessagesByIds(rid, ids)
      }
    }
  }
}

t.test('HTML: a reactor who has not posted yet is named as everywhere else; an unknown one keeps the username', async (t) => {
  const { repository, userLookups } = countingRepository()
  const app = await buildApp(t, { repository })
  const page = (await readZip(await exportToZip(app, alice, { ...range, format: 'html' }))).get('general.html')!.toString()
  t.match(page, '<li title=":+1: Dave, ghost, Bob &lt;b&gt;Builder&lt;/b&gt;, carol">👍 4 · <bdi>Dave</bdi>, <bdi>ghost</bdi>, <bdi>Bob &lt;b&gt;Builder&lt;/b&gt;</bdi>, <bdi>carol</bdi></li>')
  t.match(page, '<span class="author" dir="auto">Dave</span>', 'and so is the author, later')
  t.same(userLookups.flat().filter((username) => ['dave', 'ghost', 'carol'].includes(username)).sort(), ['carol', 'dave', 'ghost'], 'each unknown reactor looked up once')
})

t.test('JSON: version, a users directory, the parents before the range; valid against its $id-bearing schema', async (t) => {
  const { repository, userLookups, parentReads } = countingRepository()
  const app = await buildApp(t, { repository })
  const entries = await readZip(await exportToZip(app, alice, { ...range, format: 'json' }))
  const document = JSON.parse(entries.get('general.json')!.toString())
  t.equal(document.version, '1.0.0')
  t.same(document.users, [
    { _id: alice._id, username: 'alice', name: 'Alice Archer' },
    { _id: bob._id, username: 'bob', name: 'Bob <b>Builder</b>' },
    { _id: 'u-carol', username: 'carol' },
    davePerson
  ], 'authors, editors, mentioned users and known reactors, once each, by username, no more than those fields; "ghost" is no user')
  t.same(document.parents, [{ _id: 'p-old', author: { _id: bob._id, username: 'bob', name: 'Bob <b>Builder</b>' }, excerpt: 'the old question' }], 'the reply\'s parent, once; a parent nowhere is not listed')
  t.same(parentReads, [['p-old'], ['p-missing']], 'each parent read once')
  t.same(userLookups, [['ghost', 'carol']], 'one lookup for the reactors no message of the batch names (dave posts in it)')

  const schema = JSON.parse(entries.get('schema.json')!.toString())
  t.equal(schema.$id, 'https://github.com/fastify-rooms-export/fastify-rooms-export/schema/export-document-1.0.0.json')
  t.same(schema, JSON.parse(exportDocumentJsonSchema))
  const validate = new Ajv({ strict: false }).compile(schema)
  t.ok(validate(document), JSON.stringify(validate.errors))
  t.notOk(validate({ ...document, version: 'one' }), 'a document of no version is refused')
  t.ok(Value.Check(ExportDocumentSchema, document))
})

t.test('JSON: a reactor lookup that fails costs the directory their names, not the export', async (t) => {
  const repository = createMemoryRepository(peopleData())
  const app = await buildApp(t, { repository: { ...repository, findUsersByUsernames: async () => { throw new Error('users collection away') } } })
  const document = JSON.parse((await readZip(await exportToZip(app, alice, { ...range, format: 'json' }))).get('general.json')!.toString())
  t.same(document.users.map((user: { username: string }) => user.username), ['alice', 'bob', 'dave'], 'dave is known from his own message; carol, a reactor only, is left out')
})

/**
 * 10,001 thread parents, then a late reply to the first — beyond what an export keeps of them:
 * the export's files, and the ids it read with `findMessagesByIds`.
 */
async function exportOfForgottenParent (t: Test, format: 'json' | 'html'): Promise<{ files: Map<string, Buffer>, reads: string[][] }> {
  const data = fixtureData()
  const threads = 10_001
  for (let index = 0; index < threads; index++) {
    data.messages.push(message(general._id, new Date(Date.UTC(2024, 2, 21, 1, 0, 0, index * 3)).toISOString(), `thread ${index}`, { _id: `t${index}`, tcount: 1 }))
  }
  data.messages.push(message(general._id, '2024-03-21T23:00:00.000Z', 'a late answer to the first thread', { _id: 't-reply', tmid: 't0' }))
  const repository = createMemoryRepository(data)
  const reads: string[][] = []
  const app = await buildApp(t, { repository: { ...repository, findMessagesByIds: (rid, ids) => { reads.push(ids); return repository.findMessagesByIds(rid, ids) } } })
  return { files: await readZip(await exportToZip(app, alice, { ...range, format })), reads }
}

t.test('JSON: the thread parents it remembers are bounded; one forgotten is read again and, in the range, not listed', async (t) => {
  const { files, reads } = await exportOfForgottenParent(t, 'json')
  const document = JSON.parse(files.get('general.json')!.toString())
  t.equal(document.messageCount, 10_001 + 8)
  t.same(reads, [['t0']], 'the first thread, forgotten among ten thousand, is read once')
  t.same(document.parents, [], 'and, being in the export, is not listed as a parent before the range')
})

t.test('HTML: the thread parents it keeps are bounded; a reply to one forgotten reads it once, and still links to it in its part', async (t) => {
  const { files, reads } = await exportOfForgottenParent(t, 'html')
  t.same(reads, [['t0']], 'the first thread, forgotten among ten thousand, is read once')
  const firstPart = files.get('general.html')!.toString()
  const secondPart = files.get('general-2.html')!.toString()
  const reply = secondPart.slice(secondPart.indexOf('<article class="message" id="m-t-reply">'))
  t.equal(reply.slice(reply.indexOf('<div class="thread"'), reply.indexOf('</div>\n<div class="text"') + 6),
    `<div class="thread">reply in thread: <a href="general.html#m-t0" dir="auto">${alice.name}</a> <span class="excerpt" dir="auto">thread 0</span></div>`,
    'its author and excerpt, linked to the parent in the first part')
  t.ok(firstPart.includes('<div class="replies"><a href="#t-t0">1 thread reply</a></div>'), 'the parent\'s reply count leads to the note on its replies')
  t.ok(firstPart.includes('<p class="thread-note" id="t-t0">The replies to this thread follow in a later part: <a href="general-2.html">next part</a>.</p>'), 'which says where they are')
})
