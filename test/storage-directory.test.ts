import { spawnSync } from 'node:child_process'
import { chmod, chown, mkdir, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { createDirectoryStorage } from '../index.ts'
import { temporaryDirectory } from './helpers/app.ts'

const text = async (stream: Readable) => {
  let content = ''
  for await (const chunk of stream) content += chunk
  return content
}

const preparation = { abandonedAfterMs: 60_000, expiredAfterMs: 3_600_000 }

t.test('write, read back, remove', async (t) => {
  const directory = await temporaryDirectory(t)
  const storage = createDirectoryStorage(join(directory, 'nested'))
  await storage.prepare!(preparation)
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
  await storage.prepare!(preparation)
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

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

/**
 * A storage in a parent open to all, with one export written: only the
 * storage's own permissions stand between another user and the export.
 */
async function storageInOpenParent (t: Test): Promise<string> {
  const parent = await temporaryDirectory(t)
  await chmod(parent, 0o755)
  const directory = join(parent, 'exports')
  const storage = createDirectoryStorage(directory)
  await storage.prepare!(preparation)
  await storage.write('export-1', Readable.from(['private room']))
  return directory
}

t.test('the directory is created 0700 and exports 0600', async (t) => {
  const directory = await storageInOpenParent(t)
  t.equal(await modeOf(directory), 0o700)
  t.equal(await modeOf(join(directory, 'export-1.zip')), 0o600)
})

/** Checks that need another user: run as root (CI does), else skipped, with the reason in the totals. */
const needsRoot = process.getuid!() === 0 ? false : 'needs root, to act as another user (CI runs as root)'

t.test('another local user (nobody) cannot read an export', { skip: needsRoot }, async (t) => {
  const directory = await storageInOpenParent(t)
  const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', join(directory, 'export-1.zip')], { encoding: 'utf8' })
  t.not(asNobody.status, 0, 'nobody cannot read the export')
  t.match(asNobody.stderr, /Permission denied/)
})

t.test('a directory another user owns is refused at prepare, naming it', { skip: needsRoot }, async (t) => {
  const parent = await temporaryDirectory(t)
  const foreign = join(parent, 'foreign')
  await mkdir(foreign, { mode: 0o700 })
  await chown(foreign, 65534, 65534)
  await t.rejects(createDirectoryStorage(foreign).prepare!(preparation), {
    message: `fastify-rooms-export: storage directory ${foreign} belongs to another user (uid 65534); use a directory of your own`
  })
})

t.test('a directory that group or others may write, a link or a file, is refused at prepare naming it', async (t) => {
  const parent = await temporaryDirectory(t)
  const shared = join(parent, 'shared')
  await mkdir(shared, { mode: 0o700 })
  await chmod(shared, 0o777)
  await t.rejects(createDirectoryStorage(shared).prepare!(preparation), {
    message: `fastify-rooms-export: storage directory ${shared} is writable by group or others; chmod 700 it or use another`
  })
  const readable = join(parent, 'readable')
  await mkdir(readable, { mode: 0o755 })
  await chmod(readable, 0o755)
  await createDirectoryStorage(readable).prepare!(preparation)
  t.equal(await modeOf(readable), 0o700, 'our own directory, readable by others, is closed')

  // A symbolic link could be pointed elsewhere later (or already be): refused.
  const link = join(parent, 'link')
  await symlink(readable, link)
  await t.rejects(createDirectoryStorage(link).prepare!(preparation), { message: `fastify-rooms-export: storage path ${link} is not a directory` })

  const file = join(parent, 'file')
  await writeFile(file, 'x')
  await t.rejects(createDirectoryStorage(file).prepare!(preparation), { code: 'EEXIST' })
})

t.test('prepare removes writes abandoned by a crash and exports past their time, keeps the rest', async (t) => {
  const directory = await temporaryDirectory(t)
  const old = new Date(Date.now() - 10 * 60_000)
  for (const name of ['abandoned.zip.partial', 'recent.zip.partial', 'expired.zip', 'kept.zip', 'other.txt']) await writeFile(join(directory, name), 'x')
  for (const name of ['abandoned.zip.partial', 'expired.zip', 'other.txt']) await utimes(join(directory, name), old, old)
  await createDirectoryStorage(directory).prepare!({ abandonedAfterMs: 60_000, expiredAfterMs: 5 * 60_000 })
  t.same((await readdir(directory)).sort(), ['kept.zip', 'other.txt', 'recent.zip.partial'])
})
