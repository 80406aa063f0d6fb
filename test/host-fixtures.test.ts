import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { exportDocumentJsonSchema } from '../lib/schemas.ts'

/**
 * What users install, in hosts as they write them: the package is packed
 * (`npm pack`, which builds it) and installed from its tarball into each
 * fixture of test/hosts/, which then runs a file export through the plugin.
 */
const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname
const fixtures = join(root, 'test/hosts')

t.setTimeout(15 * 60_000)

const work = await mkdtemp(join(tmpdir(), 'rooms-export-hosts-'))
t.teardown(() => rm(work, { recursive: true, force: true }))
const packed = await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
const tarball = join(work, packed.stdout.trim().split('\n').at(-1)!)

const exported = /^ok: exported 1 message as JSON \(\d+ bytes\) and as HTML \(\d+ bytes\)$/m
const workerMissing = /the HTML render worker \(html-worker-thread\.js\) is not beside the plugin's code/

async function installFixture (name: string): Promise<string> {
  const directory = join(work, name)
  await cp(join(fixtures, name), directory, { recursive: true })
  await cp(join(fixtures, 'export-and-check.mjs'), join(directory, 'export-and-check.mjs'))
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: directory, maxBuffer: 16 * 1024 * 1024 })
  return directory
}

t.test('the tarball holds the build, the licence, the readme and its docs — no sources, maps or tests', async (t) => {
  const { stdout } = await run('tar', ['-tzf', tarball])
  const files = stdout.trim().split('\n').map((file) => file.replace(/^package\//, ''))
  t.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('LICENSE') && files.includes('README.md'))
  t.same(files.filter((file) => !/^(dist\/.*\.(js|d\.ts)|dist\/schema\.json|docs\/[a-z-]+\.(md|png)|LICENSE|README\.md|package\.json)$/.test(file)), [], 'nothing else')
  t.ok(files.includes('docs/storage.md'), 'the docs the README links to')
  const { stdout: schema } = await run('tar', ['-xzOf', tarball, 'package/dist/schema.json'])
  t.equal(schema, exportDocumentJsonSchema, 'the JSON export\'s schema ships as fastify-rooms-export/schema.json')
})

t.test('TypeScript (NodeNext, strict, skipLibCheck off) on Fastify 5.0.0, without mongodb installed', async (t) => {
  const directory = await installFixture('typescript-fastify-5.0')
  t.notOk((await readdir(join(directory, 'node_modules'))).includes('mongodb'), 'mongodb is an optional peer: not installed')
  const { stdout } = await run('npm', ['test', '--silent'], { cwd: directory })
  t.match(stdout, exported)
  t.notMatch(stdout, workerMissing, 'HTML rendered in the worker')
})

t.test('CommonJS: require(\'fastify-rooms-export\').default', async (t) => {
  const directory = await installFixture('commonjs')
  const { stdout } = await run('npm', ['test', '--silent'], { cwd: directory })
  t.match(stdout, exported)
  t.notMatch(stdout, workerMissing, 'HTML rendered in the worker')
})

t.test('a signing host: verifyExport() from the package, and its fastify-rooms-export command exits 0 valid, 1 invalid, 2 usage', async (t) => {
  const directory = await installFixture('signed')
  const { stdout } = await run('npm', ['test', '--silent'], { cwd: directory })
  t.match(stdout, /^ok: done, verifyExport valid after 9 checks$/m)
  const verify = async (...args: string[]) => await run(join(directory, 'node_modules/.bin/fastify-rooms-export'), args, { cwd: directory })
    .then(({ stdout }) => ({ code: 0, stdout }), (err: { code: number, stdout: string }) => ({ code: err.code, stdout: err.stdout }))
  const valid = await verify('verify', 'export.zip', '--jwks', 'keys.json')
  t.equal(valid.code, 0)
  t.match(valid.stdout, /^ok {4}signature: manifest\.jws: EdDSA signature of manifest\.json by the key "host-key-1"$/m)
  t.match(valid.stdout, /^export\.zip: valid$/m)
  const wrongKey = await verify('verify', 'export.zip', '--key', 'other-key.pem')
  t.equal(wrongKey.code, 1)
  t.match(wrongKey.stdout, /^FAIL {2}signature: manifest\.jws: the signature does not match manifest\.json for the key "host-key-1"$/m)
  t.match(wrongKey.stdout, /^export\.zip: INVALID \(1 of 9 checks failed\)$/m)
  const usage = await verify('verify')
  t.equal(usage.code, 2)
  t.match(usage.stdout, /^fastify-rooms-export: expected: verify <archive\.zip>, got: verify$/m)
})

t.test('fastify-metrics with prom-client installed beside the plugin: its /metrics shows the plugin\'s metrics', async (t) => {
  const directory = await installFixture('metrics')
  const { stdout } = await run('npm', ['test', '--silent'], { cwd: directory })
  t.match(stdout, exported)
  const metrics = stdout.split('\n').filter((line) => line.startsWith('rooms_export_')).sort()
  t.same(metrics, [
    'rooms_export_exports_total{type="file",format="html",outcome="done"} 1',
    'rooms_export_exports_total{type="file",format="json",outcome="done"} 1',
    'rooms_export_messages_total{type="file",format="html"} 1',
    'rooms_export_messages_total{type="file",format="json"} 1',
    'rooms_export_running 0'
  ])
})

t.test('an esbuild bundle of a host that never uses MongoDB — no mongodb installed, nothing marked external — runs its exports from a folder with no node_modules: in one file, and with the render worker beside it', async (t) => {
  const directory = await installFixture('esbuild-bundle')
  // A host that never uses MongoDB bundles without the driver: the plugin's import of it is left to run time.
  t.notOk((await readdir(join(directory, 'node_modules'))).includes('mongodb'), 'mongodb is an optional peer: not installed')
  const { scripts } = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.same(Object.values(scripts).filter((script) => script.includes('--external')), [], 'nothing marked external')
  await run('npm', ['run', 'bundle', '--silent'], { cwd: directory })
  const alone = join(work, 'bundle-alone')
  await cp(join(directory, 'bundle/host.mjs'), join(alone, 'host.mjs'))
  t.same(await readdir(alone), ['host.mjs'], 'one file, no node_modules, no templates/')
  const oneFile = await run(process.execPath, ['host.mjs'], { cwd: alone })
  t.match(oneFile.stdout, exported)
  t.match(oneFile.stdout, workerMissing, 'HTML rendered on the main thread, and the log says so')

  await run('npm', ['run', 'bundle-with-worker', '--silent'], { cwd: directory })
  const withWorker = join(work, 'bundle-with-worker')
  await cp(join(directory, 'bundle-with-worker'), withWorker, { recursive: true })
  await writeFile(join(withWorker, 'package.json'), '{ "type": "module" }\n')
  t.same((await readdir(withWorker)).sort(), ['host.js', 'html-worker-thread.js', 'package.json'])
  const twoFiles = await run(process.execPath, ['host.js'], { cwd: withWorker })
  t.match(twoFiles.stdout, exported)
  t.notMatch(twoFiles.stdout, workerMissing, 'HTML rendered in the worker')
})
