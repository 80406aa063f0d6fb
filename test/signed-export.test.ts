import { execFile } from 'node:child_process'
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import { compactVerify, importJWK } from 'jose'
import t from 'tap'
import yazl from 'yazl'
import { verifyExport, type Jwks, type RoomsExportOptions } from '../index.ts'
import { checkLayout } from '../lib/signing/verify-export.ts'
import { packageName, packageVersion } from '../lib/package-info.ts'
import { buildApp } from './helpers/app.ts'
import { exportToZip, generalJsonManifestHead, postExport, waitForExport } from './helpers/exports.ts'
import { alice, general } from './helpers/fixtures.ts'
import { localTsa } from './helpers/tsa.ts'
import { readZip, writeZip } from './helpers/zip.ts'

const run = promisify(execFile)
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex')
const pem = (key: KeyObject) => key.export({ format: 'pem', type: key.type === 'private' ? 'pkcs8' : 'spki' }).toString()
const jsonRange = { rid: general._id, type: 'file', format: 'json', dateFrom: '2024-03-21', dateTo: '2024-03-22' }

const current = generateKeyPairSync('ed25519')
const earlier = generateKeyPairSync('ed25519')
const signing = { privateKey: pem(current.privateKey), keyId: '2026-12', publicKeys: [{ keyId: '2026-06', publicKey: pem(earlier.publicKey) }] }
const jwkOf = (key: KeyObject, kid: string) => ({ kty: 'OKP', crv: 'Ed25519', x: key.export({ format: 'jwk' }).x, kid, use: 'sig', alg: 'EdDSA' })

async function signedApp (test: Parameters<typeof buildApp>[0], options: RoomsExportOptions = {}) {
  return await buildApp(test, { signing, publicUrl: 'https://chat.example', ...options })
}

async function keysOf (app: Awaited<ReturnType<typeof buildApp>>): Promise<Jwks> {
  return (await app.inject({ url: '/api/v1/rooms.export.keys' })).json()
}

t.test('rooms.export.keys: the public keys as a JWKS, to anyone, cacheable; 404 without signing', async (t) => {
  const app = await signedApp(t)
  const keys = await app.inject({ url: '/api/v1/rooms.export.keys' })
  t.equal(keys.statusCode, 200)
  t.equal(keys.headers['cache-control'], 'public, max-age=3600')
  t.match(keys.headers['content-type'], /^application\/json/)
  t.same(keys.json(), { keys: [jwkOf(current.publicKey, '2026-12'), jwkOf(earlier.publicKey, '2026-06')] })

  const unsigned = await buildApp(t)
  const none = await unsigned.inject({ url: '/api/v1/rooms.export.keys' })
  t.equal(none.statusCode, 404)
  t.same(none.json(), { success: false, error: '[error-not-found]', errorType: 'error-not-found', details: 'this server does not sign exports' })
})

t.test('a signed archive: VERIFY.txt, manifest.json whole, manifest.jws; valid for our verifier and for jose', async (t) => {
  const app = await signedApp(t)
  const zip = await exportToZip(app, alice, jsonRange)
  const entries = await readZip(zip)
  t.same([...entries.keys()], ['general.json', 'schema.json', 'assets/file-1-report__1_.pdf', 'VERIFY.txt', 'manifest.json', 'manifest.jws'])
  const manifestBytes = entries.get('manifest.json')!
  const manifest = JSON.parse(manifestBytes.toString())
  const digestOf = (name: string) => ({ name, bytes: entries.get(name)!.length, sha256: sha256(entries.get(name)!) })
  const pdf = { fileId: 'file-1', name: 'report <1>.pdf', path: 'assets/file-1-report__1_.pdf', bytes: 9, sha256: sha256(Buffer.from('PDF-BYTES')) }
  t.same(manifest, {
    ...generalJsonManifestHead(manifest.exportedAt),
    parts: [digestOf('general.json')],
    assets: { included: [pdf], missing: [] },
    malformedMessages: { count: 0, listed: [] },
    entries: ['general.json', 'schema.json', 'assets/file-1-report__1_.pdf', 'VERIFY.txt'].map(digestOf),
    complete: true
  })
  t.equal(manifestBytes.toString().trimEnd().split('\n').at(-2), '  "complete": true', '"complete" is the manifest\'s last field')
  const document = JSON.parse(entries.get('general.json')!.toString())
  t.same([manifest.firstMessage._id, manifest.lastMessage._id], [document.messages[0]._id, document.messages.at(-1)._id])

  const jws = entries.get('manifest.jws')!.toString()
  const [header, payload, signature] = jws.split('.')
  t.equal(payload, '', 'the payload is detached')
  t.same(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'EdDSA', kid: '2026-12', typ: 'rooms-export-manifest+jws' })
  // jose, independently of our verifier: the detached payload put back (RFC 7515 Appendix F).
  const verified = await compactVerify(`${header}.${manifestBytes.toString('base64url')}.${signature}`, await importJWK((await keysOf(app)).keys[0], 'EdDSA'))
  t.ok(Buffer.from(verified.payload).equals(manifestBytes), 'jose verifies the signature over the exact bytes of manifest.json')
  t.same(verified.protectedHeader, { alg: 'EdDSA', kid: '2026-12', typ: 'rooms-export-manifest+jws' })

  const verification = await verifyExport(zip, { jwks: await keysOf(app) })
  t.same(verification, {
    valid: true,
    checks: [
      { check: 'zip', ok: true, detail: '6 entries read' },
      { check: 'zip layout', ok: true, detail: 'every byte belongs to a listed entry, each under one name' },
      { check: 'manifest.json', ok: true, detail: `lists 4 entries; sha256 ${sha256(manifestBytes)}` },
      { check: 'signature', ok: true, detail: 'manifest.jws: EdDSA signature of manifest.json by the key "2026-12"' },
      ...manifest.entries.map((entry: { name: string, bytes: number, sha256: string }) => ({ check: `entry ${entry.name}`, ok: true, detail: `${entry.bytes} bytes, sha256 ${entry.sha256}` })),
      { check: 'unlisted entries', ok: true, detail: 'none: the archive holds only what manifest.json lists, itself, its signature and time-stamp' },
      { check: 'complete', ok: true, detail: 'manifest.json says the export is complete (written after its last message)' }
    ]
  })
  t.same((await verifyExport(zip, { publicKey: pem(current.publicKey) })).valid, true, 'one public key (PEM) verifies it too')
  t.same((await verifyExport(zip, { publicKey: current.privateKey })).valid, true, 'so does a KeyObject (its public half)')
})

t.test('VERIFY.txt says how to check the archive, and its by-hand commands work as written', async (t) => {
  const app = await signedApp(t)
  const entries = await readZip(await exportToZip(app, alice, jsonRange))
  const instructions = entries.get('VERIFY.txt')!.toString()
  t.match(instructions, `This archive was written by ${packageName} ${packageVersion}.`)
  t.match(instructions, '  curl -o keys.json https://chat.example/api/v1/rooms.export.keys\n  npx fastify-rooms-export verify this-archive.zip --jwks keys.json\n')
  t.match(instructions, 'by the key "2026-12"')
  t.notMatch(instructions, 'manifest.tsr', 'no time-stamp without the timestamp hook')

  // The archive unzipped, and each indented command line of VERIFY.txt run in it by bash, in order.
  const directory = await mkdtemp(join(tmpdir(), 'rooms-export-verify-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  for (const [name, content] of entries) {
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  await writeFile(join(directory, 'public-key.pem'), pem(current.publicKey))
  const byHand = instructions.slice(instructions.indexOf('BY HAND'))
  const commands = byHand.split('\n').filter((line) => line.startsWith('     ')).map((line) => line.trim())
  t.same(commands.length, 7, 'sha256sum, complete, and the five lines of the signature check')
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', commands.join('\n')], { cwd: directory })
  t.same(stdout.split('\n'), [
    'general.json: OK',
    'schema.json: OK',
    'assets/file-1-report__1_.pdf: OK',
    'VERIFY.txt: OK',
    'true',
    'Signature Verified Successfully',
    ''
  ])
  // OpenSSL's digest of each file, independently of sha256sum and of our verifier.
  const listed = JSON.parse(entries.get('manifest.json')!.toString()).entries as { name: string, sha256: string }[]
  for (const entry of listed) {
    const { stdout: digest } = await run('openssl', ['dgst', '-sha256', '-r', entry.name], { cwd: directory })
    t.equal(digest, `${entry.sha256} *${entry.name}\n`, `openssl dgst: ${entry.name}`)
  }
  // The same signature check fails for another manifest.json.
  await writeFile(join(directory, 'manifest.json'), entries.get('manifest.json')!.toString().replace('"messageCount": 7', '"messageCount": 6'))
  const refused = await run('bash', ['-euo', 'pipefail', '-c', commands.slice(2).join('\n')], { cwd: directory }).then(() => null, (err: { code: number, stdout: string }) => err)
  t.match(refused, { code: 1, stdout: 'Signature Verification Failure\n' })
})

t.test('each tampering is caught, with its own message', async (t) => {
  const app = await signedApp(t)
  const zip = await exportToZip(app, alice, jsonRange)
  const jwks = await keysOf(app)
  const entries = [...(await readZip(zip)).entries()]
  const manifest = JSON.parse(entries.find(([name]) => name === 'manifest.json')![1].toString())
  const listed = (name: string) => manifest.entries.find((entry: { name: string }) => entry.name === name)
  const replaced = (name: string, change: (content: Buffer) => Buffer) => entries.map(([entry, content]): [string, Buffer] => [entry, entry === name ? change(content) : content])
  const flipped = (content: Buffer, at: number) => {
    const copy = Buffer.from(content)
    copy[at] ^= 0x01
    return copy
  }
  const failures = async (tampered: [string, Buffer][]) => (await verifyExport(await writeZip(tampered), { jwks })).checks.filter((check) => !check.ok)

  t.same((await verifyExport(await writeZip(entries), { jwks })).valid, true, 'the same entries, zipped by another archiver, still verify')

  const part = flipped(entries[0][1], 20)
  t.same(await failures(replaced('general.json', () => part)), [
    { check: 'entry general.json', ok: false, detail: `sha256 ${sha256(part)}; manifest.json says ${listed('general.json').sha256}` }
  ], 'a changed byte in a part')
  const asset = flipped(entries[2][1], 3)
  t.same(await failures(replaced('assets/file-1-report__1_.pdf', () => asset)), [
    { check: 'entry assets/file-1-report__1_.pdf', ok: false, detail: `sha256 ${sha256(asset)}; manifest.json says ${listed('assets/file-1-report__1_.pdf').sha256}` }
  ], 'a changed byte in an asset')
  t.same(await failures(replaced('general.json', (content) => Buffer.concat([content, Buffer.from(' ')]))), [
    { check: 'entry general.json', ok: false, detail: `${listed('general.json').bytes + 1} bytes; manifest.json says ${listed('general.json').bytes}` }
  ], 'a part grown by a byte')
  t.same(await failures(replaced('manifest.json', (content) => Buffer.from(content.toString().replace('"messageCount": 7', '"messageCount": 6')))), [
    { check: 'signature', ok: false, detail: 'manifest.jws: the signature does not match manifest.json for the key "2026-12"' }
  ], 'a changed manifest')
  t.same(await failures(replaced('manifest.jws', (content) => Buffer.from(`${content.toString().slice(0, -3)}${content.toString().endsWith('AAA') ? 'BBB' : 'AAA'}`))), [
    { check: 'signature', ok: false, detail: 'manifest.jws: the signature does not match manifest.json for the key "2026-12"' }
  ], 'a changed signature')
  t.same(await failures(entries.filter(([name]) => name !== 'assets/file-1-report__1_.pdf')), [
    { check: 'entry assets/file-1-report__1_.pdf', ok: false, detail: 'listed in manifest.json but not in the archive' }
  ], 'an entry removed')
  t.same(await failures([...entries, ['assets/extra.html', Buffer.from('<script>alert(1)</script>')]]), [
    { check: 'unlisted entries', ok: false, detail: 'not in manifest.json: "assets/extra.html"' }
  ], 'an entry added')
  t.same(await failures([...entries, ['general.json', Buffer.from('{}')]]), [
    { check: 'entry general.json', ok: false, detail: 'the archive holds 2 entries of this name' }
  ], 'a second entry of a listed name')
  t.same(await failures([...entries, ['manifest.json', Buffer.from('{}')]]), [
    { check: 'unlisted entries', ok: false, detail: 'more than one entry named manifest.json' }
  ], 'a second manifest')

  // A manifest replaced by an unsigned one: the signature goes with it.
  const unsigned = { ...manifest, messageCount: 6 }
  t.same(await failures(replaced('manifest.json', () => Buffer.from(JSON.stringify(unsigned))).filter(([name]) => name !== 'manifest.jws')), [
    { check: 'signature', ok: false, detail: 'the archive is not signed (no manifest.jws)' }
  ], 'a manifest replaced by an unsigned one')
  // "complete" removed by someone holding the key (re-signed): only the completeness check fails.
  const { complete, ...cut } = manifest
  t.equal(complete, true)
  const cutBytes = Buffer.from(JSON.stringify(cut))
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: '2026-12', typ: 'rooms-export-manifest+jws' })).toString('base64url')
  const resigned = `${header}..${sign(null, Buffer.from(`${header}.${cutBytes.toString('base64url')}`), current.privateKey).toString('base64url')}`
  t.same(await failures(replaced('manifest.json', () => cutBytes).map(([name, content]): [string, Buffer] => [name, name === 'manifest.jws' ? Buffer.from(resigned) : content])), [
    { check: 'complete', ok: false, detail: 'manifest.json does not say "complete": true — the export may be cut short' }
  ], '"complete" removed')
  t.same(await failures(entries.filter(([name]) => name !== 'manifest.json')), [
    { check: 'manifest.json', ok: false, detail: 'the archive has no manifest.json' }
  ], 'no manifest at all')
  t.same(await failures(replaced('manifest.json', () => Buffer.from('{"entries": "all of them"}'))), [
    { check: 'manifest.json', ok: false, detail: 'manifest.json is not a manifest (JSON with an "entries" list of { name, bytes, sha256 })' }
  ], 'a manifest of another shape')
  t.same((await verifyExport(Buffer.from('PK\u0003\u0004 not a zip'), { jwks })).checks, [
    { check: 'zip', ok: false, detail: 'not a readable zip archive: End of central directory record signature not found. Either not a zip file, or file is truncated.' }
  ], 'no zip')
  t.same((await verifyExport(zip)).checks.filter((check) => !check.ok), [
    { check: 'signature', ok: false, detail: 'not checked: no key given (the server\'s JWKS, or its public key)' }
  ], 'no key to check with')
})

/** The zip with `extra` bytes put just before its central directory, the end record's offset moved past them. */
function withBytesBeforeDirectory (zip: Buffer, extra: Buffer): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const directory = zip.readUInt32LE(end + 16)
  const moved = Buffer.concat([zip.subarray(0, directory), extra, zip.subarray(directory)])
  moved.writeUInt32LE(directory + extra.length, end + extra.length + 16)
  return moved
}

/** The zip with an Info-ZIP Unicode Path field (0x7075) on the central record of `name`, naming `alias`. */
function withUnicodePath (zip: Buffer, name: string, alias: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const directory = zip.readUInt32LE(end + 16)
  const records: Buffer[] = []
  for (let offset = directory; offset < end;) {
    const nameLength = zip.readUInt16LE(offset + 28)
    const length = 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32)
    let record = Buffer.from(zip.subarray(offset, offset + length))
    const raw = record.subarray(46, 46 + nameLength)
    if (raw.toString() === name) {
      const aliasBytes = Buffer.from(alias)
      const field = Buffer.alloc(9 + aliasBytes.length)
      field.writeUInt16LE(0x7075, 0)
      field.writeUInt16LE(5 + aliasBytes.length, 2)
      field.writeUInt8(1, 4)
      field.writeUInt32LE(crc32(raw), 5)
      aliasBytes.copy(field, 9)
      const extraEnd = 46 + nameLength + record.readUInt16LE(30)
      record = Buffer.concat([record.subarray(0, extraEnd), field, record.subarray(extraEnd)])
      record.writeUInt16LE(record.readUInt16LE(30) + field.length, 30)
    }
    records.push(record)
    offset += length
  }
  const rebuilt = Buffer.concat(records)
  const tail = Buffer.from(zip.subarray(end))
  tail.writeUInt32LE(rebuilt.length, 12)
  return Buffer.concat([zip.subarray(0, directory), rebuilt, tail])
}

t.test('zip tricks the central directory hides: bytes no entry accounts for, an entry named twice; an empty folder is no entry', async (t) => {
  const app = await signedApp(t)
  const zip = await exportToZip(app, alice, jsonRange)
  const jwks = await keysOf(app)
  const failures = async (tampered: Buffer) => (await verifyExport(tampered, { jwks })).checks.filter((check) => !check.ok)
  // A second general.html a streaming unzip would extract, between the last entry and the central directory.
  const hidden = await writeZip([['general.json', Buffer.from('{"forged":true}')]])
  const hiddenLocal = hidden.subarray(0, hidden.readUInt32LE(hidden.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) + 16))
  t.same(await failures(withBytesBeforeDirectory(zip, hiddenLocal)), [
    { check: 'zip layout', ok: false, detail: `${hiddenLocal.length} bytes after the last entry that no entry accounts for` }
  ])
  // The schema entry named general.json too, by a Unicode path field some readers follow.
  const renamed = await failures(withUnicodePath(zip, 'schema.json', 'general.json'))
  t.same(renamed.find((check) => check.check === 'zip layout'), { check: 'zip layout', ok: false, detail: 'the entry "general.json" is named twice (a Unicode path field naming another file)' })
  const entries = [...(await readZip(zip)).entries()]
  const folder = new yazl.ZipFile()
  for (const [name, content] of entries) folder.addBuffer(content, name)
  folder.addEmptyDirectory('assets')
  folder.end()
  const chunks: Buffer[] = []
  for await (const chunk of folder.outputStream) chunks.push(chunk as Buffer)
  t.same(await failures(Buffer.concat(chunks)), [], 'an empty folder entry holds nothing to check')
})

t.test('the layout check on entries as their central records place them: gaps, overlaps, headers, names, data descriptors', async (t) => {
  /** A local header for `name`, then `data` bytes, then `descriptor` (a data descriptor's bytes, or none). */
  const local = (name: string, data: number, descriptor: Buffer = Buffer.alloc(0)) => {
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(Buffer.byteLength(name), 26)
    return Buffer.concat([header, Buffer.from(name), Buffer.alloc(data), descriptor])
  }
  const placed = (name: string, offset: number, compressedSize: number, flags = 0, zip64 = false) => ({ name, raw: Buffer.from(name), offset, compressedSize, flags, zip64, renamed: false })
  const reader = (bytes: Buffer) => async (offset: number, length: number) => bytes.subarray(offset, offset + length)
  const a = local('a.txt', 5)
  const unsignedZip64 = local('b.txt', 3, Buffer.alloc(20, 1))
  const file = Buffer.concat([a, unsignedZip64])
  t.equal(await checkLayout([placed('a.txt', 0, 5), placed('b.txt', a.length, 3, 0x08, true)], file.length, reader(file)), null, 'a descriptor without its signature, with 64-bit sizes, is accounted for')
  t.equal(await checkLayout([], 0, reader(Buffer.alloc(0))), null, 'an empty archive')
  t.equal(await checkLayout([placed('b.txt', 7, 3)], 7 + 30 + 5 + 3, reader(Buffer.concat([Buffer.alloc(7), local('b.txt', 3)]))), '7 bytes before the entry "b.txt" that no entry accounts for')
  t.equal(await checkLayout([placed('a.txt', 0, 5), placed('b.txt', 10, 3)], file.length, reader(file)), 'overlapping bytes before the entry "b.txt" that no entry accounts for')
  t.equal(await checkLayout([placed('a.txt', 0, 5)], 40, reader(Buffer.alloc(40))), 'no local header where the entry "a.txt" starts')
  t.equal(await checkLayout([placed('a.txt', 0, 5)], 4, reader(Buffer.alloc(4))), 'no local header where the entry "a.txt" starts', 'the file ends inside it')
  t.equal(await checkLayout([placed('c.txt', 0, 5)], a.length, reader(a)), 'the entry "c.txt" has another name in its local header')
  t.equal(await checkLayout([{ ...placed('a.txt', 0, 5), renamed: true }], a.length, reader(a)), 'the entry "a.txt" is named twice (a Unicode path field naming another file)')
  const signed = Buffer.alloc(16)
  signed.writeUInt32LE(0x08074b50, 0)
  const withDescriptor = local('a.txt', 5, signed)
  t.equal(await checkLayout([placed('a.txt', 0, 5, 0x08)], withDescriptor.length, reader(withDescriptor)), null, 'a signed descriptor')
  t.equal(await checkLayout([placed('a.txt', 0, 5, 0x08)], a.length + 12, reader(a)), null, 'an unsigned one at the very end of the entries')
})

t.test('a key rotated: old archives verify with the earlier key still published; a wrong kid or key fails', async (t) => {
  // Signed before the rotation, by the key that is now `earlier`.
  const before = await buildApp(t, { signing: { privateKey: earlier.privateKey, keyId: '2026-06' } })
  const oldArchive = await exportToZip(before, alice, jsonRange)
  const after = await signedApp(t)
  const newArchive = await exportToZip(after, alice, jsonRange)
  const jwks = await keysOf(after)
  t.same((await verifyExport(oldArchive, { jwks })).checks.find((check) => check.check === 'signature'), { check: 'signature', ok: true, detail: 'manifest.jws: EdDSA signature of manifest.json by the key "2026-06"' })
  t.equal((await verifyExport(newArchive, { jwks })).valid, true)

  // A JWKS with the kid, but another key under it; a JWKS without the kid; a PEM of another key.
  const wrongKey = { keys: [{ ...jwks.keys[0], x: jwks.keys[1].x }] }
  t.same((await verifyExport(newArchive, { jwks: wrongKey })).checks.filter((check) => !check.ok), [{ check: 'signature', ok: false, detail: 'manifest.jws: the signature does not match manifest.json for the key "2026-12"' }])
  t.same((await verifyExport(newArchive, { jwks: { keys: [jwks.keys[1]] } })).checks.filter((check) => !check.ok), [{ check: 'signature', ok: false, detail: 'manifest.jws: no key with id "2026-12" among the given keys ("2026-06")' }])
  t.same((await verifyExport(newArchive, { publicKey: pem(earlier.publicKey) })).checks.filter((check) => !check.ok), [{ check: 'signature', ok: false, detail: 'manifest.jws: the signature does not match manifest.json for the key "2026-12"' }])
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  t.same((await verifyExport(newArchive, { publicKey: pem(rsa.publicKey) })).checks.filter((check) => !check.ok), [{ check: 'signature', ok: false, detail: 'manifest.jws: the given key is not an Ed25519 key' }])
  t.same((await verifyExport(newArchive, { publicKey: 'not a key' })).checks.filter((check) => !check.ok), [{ check: 'signature', ok: false, detail: 'manifest.jws: the key could not be read: error:1E08010C:DECODER routines::unsupported' }])
})

t.test('signatures the verifier refuses: another algorithm or type, an attached payload, critical extensions, garbage', async (t) => {
  const app = await signedApp(t)
  const entries = [...(await readZip(await exportToZip(app, alice, jsonRange))).entries()]
  const jwks = await keysOf(app)
  const manifestBytes = entries.find(([name]) => name === 'manifest.json')![1]
  const withSignature = (jws: string) => entries.map(([name, content]): [string, Buffer] => [name, name === 'manifest.jws' ? Buffer.from(jws) : content])
  const signedWith = (header: object, attached = false) => {
    const encoded = Buffer.from(JSON.stringify(header)).toString('base64url')
    const payload = manifestBytes.toString('base64url')
    return `${encoded}.${attached ? payload : ''}.${sign(null, Buffer.from(`${encoded}.${payload}`), current.privateKey).toString('base64url')}`
  }
  const detail = async (jws: string) => (await verifyExport(await writeZip(withSignature(jws)), { jwks })).checks.find((check) => check.check === 'signature')!.detail
  const typ = 'rooms-export-manifest+jws'
  t.equal(await detail(signedWith({ alg: 'none', kid: '2026-12', typ })), 'manifest.jws: its algorithm is "none", not "EdDSA"')
  t.equal(await detail(signedWith({ alg: 'EdDSA', kid: '2026-12', typ: 'JWT' })), 'manifest.jws: its type is "JWT", not "rooms-export-manifest+jws"')
  t.equal(await detail(signedWith({ alg: 'EdDSA', kid: '2026-12', typ }, true)), 'manifest.jws: the payload is not detached (the JWS must leave it empty)')
  t.equal(await detail(signedWith({ alg: 'EdDSA', kid: '2026-12', typ, crit: ['exp'], exp: 1 })), 'manifest.jws: its header names critical extensions ("crit")')
  t.equal(await detail('one.two'), 'manifest.jws: not a JWS compact serialization (three parts separated by ".")')
  t.equal(await detail('%%%..abc'), 'manifest.jws: its header is not base64url-encoded JSON')
  t.equal(await detail(`${Buffer.from('"EdDSA"').toString('base64url')}..abc`), 'manifest.jws: its header is not a JSON object')
  t.equal(await detail(`${Buffer.from('null').toString('base64url')}..abc`), 'manifest.jws: its header is not a JSON object')
  const noKid = signedWith({ alg: 'EdDSA', typ })
  t.equal(await detail(noKid), 'manifest.jws: no key with id undefined among the given keys ("2026-12", "2026-06")')
  t.same((await verifyExport(await writeZip(withSignature(noKid)), { publicKey: pem(current.publicKey) })).checks.find((check) => check.check === 'signature'), {
    check: 'signature', ok: true, detail: 'manifest.jws: EdDSA signature of manifest.json'
  }, 'with one public key, the kid is not needed')
  t.equal(await verifyExport(await writeZip(withSignature(noKid)), { jwks: { keys: [{ ...jwks.keys[0], kid: undefined as unknown as string, x: 'short' }] } }).then(({ checks }) => checks.find((check) => check.check === 'signature')!.detail),
    'manifest.jws: the key undefined is not a valid Ed25519 JWK')
  t.equal(await verifyExport(await writeZip(withSignature(signedWith({ alg: 'EdDSA', kid: '2026-12', typ }))), { jwks: { keys: [] } }).then(({ checks }) => checks.find((check) => check.check === 'signature')!.detail),
    'manifest.jws: no key with id "2026-12" among the given keys (none)')
})

t.test('registration refuses a signing key that is not Ed25519, and malformed signing options', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const refused = async (options: RoomsExportOptions, message: string) => {
    await t.rejects(buildApp(t, options), { code: 'FST_ROOMS_EXPORT_INVALID_OPTION', message: `fastify-rooms-export: ${message}` }, message)
  }
  await refused({ signing: { privateKey: pem(rsa.privateKey), keyId: 'k' } }, 'option "signing.privateKey" must be an Ed25519 private key (e.g. openssl genpkey -algorithm ed25519)')
  await refused({ signing: { privateKey: current.publicKey, keyId: 'k' } }, 'option "signing.privateKey" must be an Ed25519 private key (e.g. openssl genpkey -algorithm ed25519)')
  await refused({ signing: { privateKey: 'not a key', keyId: 'k' } }, 'option "signing.privateKey" is not a key in PEM form')
  await refused({ signing: { privateKey: 42 as unknown as string, keyId: 'k' } }, 'option "signing.privateKey" must be a PEM string or a KeyObject')
  await refused({ signing: { privateKey: current.privateKey, keyId: '' } }, 'option "signing.keyId" must be 1 to 200 printable ASCII characters')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'a b' } }, 'option "signing.keyId" must be 1 to 200 printable ASCII characters')
  await refused({ signing: 'key' as unknown as RoomsExportOptions['signing'] }, 'option "signing" must be an object { privateKey, keyId, publicKeys? }')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', key: 1 } as unknown as RoomsExportOptions['signing'] }, 'unknown option "signing.key"')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: {} as unknown as [] } }, 'option "signing.publicKeys" must be an array of { keyId, publicKey }')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: [null as unknown as { keyId: string, publicKey: string }] } }, 'option "signing.publicKeys[0]" must be { keyId, publicKey }')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: [{ keyId: 'k', publicKey: earlier.publicKey }] } }, 'option "signing.publicKeys[0].keyId" repeats the key id "k"')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: [{ keyId: 'old', publicKey: pem(rsa.publicKey) }] } }, 'option "signing.publicKeys[0].publicKey" must be an Ed25519 key')
  await refused({ signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: [{ keyId: 'old', publicKey: 'garbage' }] } }, 'option "signing.publicKeys[0].publicKey" is not a key in PEM form')
  await refused({ timestamp: 'https://tsa.example' as unknown as RoomsExportOptions['timestamp'] }, 'option "timestamp" must be a function')

  // A private key among the earlier ones publishes its public half only.
  const app = await buildApp(t, { signing: { privateKey: current.privateKey, keyId: 'k', publicKeys: [{ keyId: 'old', publicKey: earlier.privateKey }] } })
  t.same(await keysOf(app), { keys: [jwkOf(current.publicKey, 'k'), jwkOf(createPublicKey(earlier.privateKey), 'old')] })
})

t.test('a trusted time: the timestamp hook\'s token is manifest.tsr, checked by the verifier and by openssl ts', async (t) => {
  const tsa = await localTsa(t)
  const app = await signedApp(t, { timestamp: tsa.timestamp })
  const zip = await exportToZip(app, alice, jsonRange)
  const entries = await readZip(zip)
  t.same([...entries.keys()].slice(-4), ['VERIFY.txt', 'manifest.json', 'manifest.jws', 'manifest.tsr'])
  const manifestBytes = entries.get('manifest.json')!
  t.same(tsa.stamped.map((digest) => digest.toString('hex')), [sha256(manifestBytes)], 'the hook was asked once, for the manifest\'s SHA-256')
  t.match(entries.get('VERIFY.txt')!.toString(), 'openssl ts -verify -data manifest.json -in manifest.tsr -token_in -CAfile tsa-ca.pem')

  const verification = await verifyExport(zip, { jwks: await keysOf(app) })
  t.equal(verification.valid, true)
  const timestamp = verification.checks.find((check) => check.check === 'timestamp')!
  t.match(timestamp, { ok: true, detail: /^manifest\.tsr stamps manifest\.json's sha256 at \d{14}Z — as it says: its authority's signature is not checked here \(openssl ts -verify with the authority's certificate: see VERIFY\.txt\)$/ })
  t.equal(JSON.parse(manifestBytes.toString()).timestamped, true, 'the manifest says a token goes with it')
  const withoutToken = await writeZip([...entries.entries()].filter(([name]) => name !== 'manifest.tsr'))
  t.same((await verifyExport(withoutToken, { jwks: await keysOf(app) })).checks.filter((check) => !check.ok), [
    { check: 'timestamp', ok: false, detail: 'manifest.json says the export was time-stamped, but the archive has no manifest.tsr' }
  ], 'a token removed is missed')
  const oversized = await writeZip([...entries.entries()].map(([name, content]): [string, Buffer] => [name, name === 'manifest.tsr' ? Buffer.concat([Buffer.from([0x30, 0x84, 0x04, 0x00, 0x00, 0x00]), Buffer.alloc(64 * 1024 * 1024)]) : content]))
  t.same((await verifyExport(oversized, { jwks: await keysOf(app) })).checks.filter((check) => !check.ok), [
    { check: 'timestamp', ok: false, detail: `manifest.tsr is not an RFC 3161 time-stamp token (${64 * 1024 * 1024 + 6} bytes)` }
  ], 'a 64 MB "token" is not read (a DER bomb of empty elements took 3 GB)')

  const directory = await mkdtemp(join(tmpdir(), 'rooms-export-tsr-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  await writeFile(join(directory, 'manifest.json'), manifestBytes)
  await writeFile(join(directory, 'manifest.tsr'), entries.get('manifest.tsr')!)
  await writeFile(join(directory, 'tsa-ca.pem'), await readFile(tsa.caFile))
  // VERIFY.txt's command, as written: the token carries the authority's certificate, the CA is the host's to hand out.
  const command = entries.get('VERIFY.txt')!.toString().split('\n').find((line) => line.trim().startsWith('openssl ts -verify'))!.trim()
  const openssl = await run('bash', ['-c', command], { cwd: directory })
  t.equal(openssl.stdout, 'Verification: OK\n', 'openssl ts verifies the token against the authority')

  // The token of another digest, in an archive whose manifest is unchanged: caught.
  const otherToken = await tsa.timestamp(createHash('sha256').update('another manifest').digest())
  const swapped = await writeZip([...entries.entries()].map(([name, content]): [string, Buffer] => [name, name === 'manifest.tsr' ? otherToken : content]))
  t.same((await verifyExport(swapped, { jwks: await keysOf(app) })).checks.filter((check) => !check.ok), [
    { check: 'timestamp', ok: false, detail: `manifest.tsr stamps another sha256 digest than manifest.json's (${sha256(Buffer.from('another manifest'))})` }
  ])
  const garbage = await writeZip([...entries.entries()].map(([name, content]): [string, Buffer] => [name, name === 'manifest.tsr' ? Buffer.from('0\u0003\u0002\u0001\u0001') : content]))
  t.same((await verifyExport(garbage, { jwks: await keysOf(app) })).checks.filter((check) => !check.ok), [
    { check: 'timestamp', ok: false, detail: 'manifest.tsr is not an RFC 3161 time-stamp token' }
  ])
})

t.test('a timestamp hook that fails, or returns no token of the manifest\'s digest, fails the export: nothing stored', async (t) => {
  const tsa = await localTsa(t)
  const hooks: [string, (digest: Buffer) => Promise<Buffer>][] = [
    ['throws', async () => { throw new Error('TSA unreachable at http://tsa.internal') }],
    ['returns no token', async () => Buffer.from('not DER')],
    ['stamps another digest', async () => await tsa.timestamp(Buffer.alloc(32))],
    ['returns far too much', async () => Buffer.concat([Buffer.from([0x30, 0x83, 0x01, 0x18, 0x00]), Buffer.alloc(70 * 1024)])]
  ]
  for (const [what, timestamp] of hooks) {
    const failed: string[] = []
    const app = await buildApp(t, { signing, timestamp, onExportFailed: (_job, _user, error) => { failed.push(`${error.message} / ${(error.cause as Error).message}`) } })
    const started = await postExport(app, alice, jsonRange)
    const status = await waitForExport(app, alice, started.json().exportId)
    t.match(status.export, { status: 'failed', error: 'export failed: the timestamp hook failed', bytes: 0 }, what)
    t.same(failed, [`export failed: the timestamp hook failed / ${{ throws: 'TSA unreachable at http://tsa.internal', 'returns no token': 'it returned no RFC 3161 time-stamp token', 'stamps another digest': 'its token stamps another digest than the manifest\'s SHA-256', 'returns far too much': 'it returned no RFC 3161 time-stamp token' }[what]}`], what)
  }
})

t.test('a TimeStampResp from the hook is kept as its token', async (t) => {
  const tsa = await localTsa(t)
  const responses: Buffer[] = []
  const timestamp = async (digest: Buffer) => {
    // The whole response (status and token), as `openssl ts -reply` writes it without -token_out.
    const token = await tsa.timestamp(digest)
    const status = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])
    const content = Buffer.concat([status, token])
    const response = Buffer.concat([Buffer.from([0x30, 0x82, content.length >> 8, content.length & 0xff]), content])
    responses.push(token)
    return new Uint8Array(response)
  }
  const app = await buildApp(t, { timestamp })
  const entries = await readZip(await exportToZip(app, alice, jsonRange))
  t.ok(entries.get('manifest.tsr')!.equals(responses[0]), 'the token alone is stored')
  t.notOk(entries.has('manifest.jws'), 'time-stamped, not signed')
  t.notOk(entries.has('VERIFY.txt'))
})
