import { execFile } from 'node:child_process'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from './helpers/app.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, general } from './helpers/fixtures.ts'
import { readZip, writeZip } from './helpers/zip.ts'

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex')
const bin = fileURLToPath(new URL('../lib/bin.ts', import.meta.url))

/** The command as a user runs it (here from the sources; the host fixtures run the packed tarball's). */
async function verifyCommand (args: string[]): Promise<{ code: number, lines: string[] }> {
  return await new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', bin, ...args], (err, stdout) => {
      resolve({ code: err === null ? 0 : (err as { code: number }).code, lines: stdout.trimEnd().split('\n') })
    })
  })
}

t.test('fastify-rooms-export verify: one line per check; exit 0 valid, 1 invalid, 2 usage', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const app = await buildApp(t, { signing: { privateKey, keyId: 'k1' } })
  const zip = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-22' })
  const directory = await mkdtemp(join(tmpdir(), 'rooms-export-cli-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  const file = (name: string) => join(directory, name)
  await writeFile(file('export.zip'), zip)
  await writeFile(file('keys.json'), (await app.inject({ url: '/api/v1/rooms.export.keys' })).body)
  await writeFile(file('key.pem'), publicKey.export({ format: 'pem', type: 'spki' }))
  const listed = JSON.parse((await readZip(zip)).get('manifest.json')!.toString()).entries as { name: string, bytes: number, sha256: string }[]

  const valid = await verifyCommand(['verify', file('export.zip'), '--jwks', file('keys.json')])
  t.equal(valid.code, 0)
  t.same(valid.lines, [
    'ok    zip: 5 entries read',
    'ok    zip layout: every byte belongs to a listed entry, each under one name',
    valid.lines[2],
    'ok    signature: manifest.jws: EdDSA signature of manifest.json by the key "k1"',
    ...listed.map((entry) => `ok    entry ${entry.name}: ${entry.bytes} bytes, sha256 ${entry.sha256}`),
    'ok    unlisted entries: none: the archive holds only what manifest.json lists, itself, its signature and time-stamp',
    'ok    complete: manifest.json says the export is complete (written after its last message)',
    `${file('export.zip')}: valid`
  ])
  t.match(valid.lines[2], /^ok {4}manifest\.json: lists 3 entries; sha256 [0-9a-f]{64}$/)
  t.equal((await verifyCommand(['verify', file('export.zip'), '--key', file('key.pem')])).code, 0, 'with --key')

  // One byte of the page changed (its length kept), zipped again: exit 1, the failing check named.
  const tamperedEntries = [...(await readZip(zip)).entries()].map(([name, content]): [string, Buffer] => [name, name === 'general.html' ? Buffer.from(content.toString().replace('<!doctype html>', '<!DOCTYPE html>')) : content])
  await writeFile(file('tampered.zip'), await writeZip(tamperedEntries))
  const invalid = await verifyCommand(['verify', file('tampered.zip'), '--jwks', file('keys.json')])
  t.equal(invalid.code, 1)
  const page = listed.find((entry) => entry.name === 'general.html')!
  t.same(invalid.lines.filter((line) => line.startsWith('FAIL')), [`FAIL  entry general.html: sha256 ${sha256(tamperedEntries[0][1])}; manifest.json says ${page.sha256}`])
  t.equal(invalid.lines.at(-1), `${file('tampered.zip')}: INVALID (1 of ${invalid.lines.length - 1} checks failed)`)
  const unkeyed = await verifyCommand(['verify', file('export.zip')])
  t.equal(unkeyed.code, 1, 'no key: the signature is not checked, so the archive is not shown valid')
  t.ok(unkeyed.lines.includes('FAIL  signature: not checked: no key given (the server\'s JWKS, or its public key)'))
  const missing = await verifyCommand(['verify', file('no-such.zip'), '--jwks', file('keys.json')])
  t.equal(missing.code, 1)
  t.match(missing.lines[0], /^FAIL {2}zip: not a readable zip archive: ENOENT/)

  await writeFile(file('not-json'), 'keys')
  await writeFile(file('not-jwks.json'), '{"kty":"OKP"}')
  const usage: [string[], string][] = [
    [[], 'no command given'],
    [['check', file('export.zip')], `expected: verify <archive.zip>, got: check ${file('export.zip')}`],
    [['verify'], 'expected: verify <archive.zip>, got: verify'],
    [['verify', file('export.zip'), '--jwks', file('keys.json'), '--key', file('key.pem')], 'give --jwks or --key, not both'],
    [['verify', file('export.zip'), '--jwks', file('absent.json')], `cannot read ${file('absent.json')}: ENOENT: no such file or directory, open '${file('absent.json')}'`],
    [['verify', file('export.zip'), '--jwks', file('not-json')], `${file('not-json')} is not JSON`],
    [['verify', file('export.zip'), '--jwks', file('not-jwks.json')], `${file('not-jwks.json')} is not a JWKS ({ "keys": [...] })`],
    [['verify', file('export.zip'), '--unknown'], 'unknown option --unknown'],
    [['verify', file('export.zip'), '--jwks'], 'option --jwks needs a value'],
    [['verify', file('export.zip'), '--key', file('absent.pem')], `cannot read ${file('absent.pem')}: ENOENT: no such file or directory, open '${file('absent.pem')}'`]
  ]
  for (const [args, message] of usage) {
    const result = await verifyCommand(args)
    t.equal(result.code, 2, message)
    t.same(result.lines.slice(0, 2), [`fastify-rooms-export: ${message}`, 'usage: fastify-rooms-export verify <archive.zip> [--jwks <keys.json> | --key <public-key.pem>]'])
  }
  const help = await verifyCommand(['--help'])
  t.equal(help.code, 0)
  t.equal(help.lines[0], 'usage: fastify-rooms-export verify <archive.zip> [--jwks <keys.json> | --key <public-key.pem>]')
  t.equal(help.lines.at(-1), 'Exit status: 0 valid, 1 invalid, 2 usage.')
})
