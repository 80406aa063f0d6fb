import t from 'tap'
import { createMemoryRepository, type ExportMessage } from '../index.ts'

const at = (id: string, iso: string, rid = 'r1'): ExportMessage => ({ _id: id, rid, ts: new Date(iso), msg: id, u: { _id: 'u', username: 'u' } })

t.test('range reads: inclusive, ascending by ts then _id, per room', async (t) => {
  const repository = createMemoryRepository({
    rooms: [{ _id: 'r1', t: 'c' }],
    users: [{ _id: 'u', username: 'u' }],
    messages: [at('c', '2024-01-02T00:00:00Z'), at('b', '2024-01-01T00:00:00Z'), at('a', '2024-01-02T00:00:00Z'), at('z', '2024-01-01T12:00:00Z', 'r2'), at('d', '2024-01-03T00:00:00Z'), at('a2', '2024-01-02T00:00:00Z')]
  })
  const ids = async (iterable: AsyncIterable<ExportMessage>) => {
    const found = []
    for await (const message of iterable) found.push(message._id)
    return found
  }
  t.same(await ids(repository.findMessages({ rid: 'r1', from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-02T00:00:00Z') })), ['b', 'a', 'a2', 'c'])
  t.same(await ids(repository.findMessages({ rid: 'r1', from: new Date('2024-01-02T00:00:00.001Z'), to: new Date('2030-01-01') })), ['d'])
  t.same(await ids(repository.findMessages({ rid: 'nope', from: new Date(0), to: new Date() })), [])
  t.same(await ids(repository.findMessagesByIds('r1', ['d', 'z', 'b'])), ['b', 'd'], 'ids from another room are not returned')
  t.same(await ids(repository.findMessagesByIds('nope', ['d'])), [])
  t.same(await repository.findUsersByUsernames(['u', 'ghost']), [{ _id: 'u', username: 'u' }])
  t.equal(await repository.findRoomById('r2'), null)
  t.equal(await repository.openFile!({ _id: 'f', name: 'f' }, 'r1'), null, 'no files given')
})

t.test('an upload is served for its own room only', async (t) => {
  const repository = createMemoryRepository({ rooms: [], users: [], messages: [], files: { dm: { rid: 'direct', content: 'private bytes' } } })
  const file = { _id: 'dm', name: 'private.txt' }
  t.equal(await repository.openFile!(file, 'general'), null, 'another room names it: not served')
  t.equal(await repository.fileSize!(file, 'general'), null)
  t.equal(await repository.fileSize!(file, 'direct'), 13)
  const chunks: Buffer[] = []
  for await (const chunk of (await repository.openFile!(file, 'direct')) as AsyncIterable<Buffer>) chunks.push(chunk)
  t.equal(Buffer.concat(chunks).toString(), 'private bytes')
})
