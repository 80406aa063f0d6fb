import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t from 'tap'
import { createDirectoryStorage } from '../index.ts'
import { temporaryDirectory } from './helpers/app.ts'

const text = async (stream: Readable) => {
  let content = ''
  for await (const chunk of stream) content += chunk
  return content
}

t.test('write, read back, remove', async (t) => {
  const directory = await temporaryDirectory(t)
  const storage = createDirectoryStorage(join(directory, 'nested'))
  await storage.write('export-1', Readable.from(['hello ', 'world']))
  t.same(await readdir(join(directory, 'nested')), ['export-1.zip'])
  t.equal(await text((await storage.read('export-1'))!), 'hello world')
  await storage.remove('export-1')
  await storage.remove('export-1')
  t.equal(await storage.read('export-1'), null)
})

t.test('a failing source leaves nothing; an existing key is never overwritten half-way', async (t) => {
  const directory = await temporaryDirectory(t)
  const storage = createDirectoryStorage(directory)
  const failing = Readable.from((async function * () {
    yield 'partial'
    throw new Error('source broke')
  })())
  await t.rejects(storage.write('broken', failing), { message: 'source broke' })
  t.same(await readdir(directory), [])
})

t.test('keys are export ids, never paths', async (t) => {
  const storage = createDirectoryStorage(await temporaryDirectory(t))
  for (const key of ['../escape', 'a/b', '', 'x'.repeat(129)]) {
    await t.rejects(storage.read(key), { message: `fastify-rooms-export: invalid storage key ${JSON.stringify(key)}` })
  }
})

t.test('errors other than a missing file are not hidden', async (t) => {
  const directory = await temporaryDirectory(t)
  const notADirectory = join(directory, 'file')
  await writeFile(notADirectory, 'x')
  const storage = createDirectoryStorage(notADirectory)
  await t.rejects(storage.read('key'), { code: 'ENOTDIR' })
})
