import { createHash, createPublicKey, KeyObject } from 'node:crypto'
import { open } from 'node:fs/promises'
import yauzl from 'yauzl'
import { verifyManifestSignature, type Jwks } from './manifest-signature.ts'
import { readTimestampImprint } from './timestamp-token.ts'

/** The keys a signature is checked with: the server's JWKS (`rooms.export.keys`), or one public key. */
export interface VerificationKeys {
  /** `{ keys: [...] }` as `rooms.export.keys` publishes it: the key is the one the signature's `kid` names */
  jwks?: Jwks
  /** an Ed25519 public key (PEM or `KeyObject`): the signature must verify with it, whatever its `kid` */
  publicKey?: string | KeyObject
}

/** One check of `verifyExport`: what was checked, whether it holds, and what was found. */
export interface VerificationCheck {
  check: string
  ok: boolean
  detail: string
}

export interface Verification {
  /** every check holds: the archive is whole, as signed, and says it is complete */
  valid: boolean
  checks: VerificationCheck[]
}

/** An entry of `manifest.json`'s `entries`. */
interface ListedEntry { name: string, bytes: number, sha256: string }

/** Entries that the manifest cannot list: itself, its signature and its time-stamp. */
const manifestEntries = new Set(['manifest.json', 'manifest.jws', 'manifest.tsr'])
/** Kept whole for the checks (manifests are small); any bigger is not one of ours. */
const largestManifestEntry = 64 * 1024 * 1024

interface ReadArchive {
  /** each name's entries: size and sha256 of what they hold */
  digests: Map<string, { bytes: number, sha256: string }[]>
  manifestFiles: Map<string, Buffer>
  /** what is wrong with how the entries are laid out, when something is (see `checkLayout`) */
  layout: string | null
}

/** The largest of the manifest's companions the verifier reads whole: a signature or a time-stamp token is a few KB. */
const largestCompanion = 64 * 1024

/** An entry as its central directory record places it. */
export interface PlacedEntry {
  name: string
  raw: Buffer
  offset: number
  compressedSize: number
  flags: number
  zip64: boolean
  /** the Info-ZIP Unicode Path field (0x7075) gave another name than the entry's own */
  renamed: boolean
}

const localHeaderSignature = 0x04034b50
const dataDescriptorSignature = 0x08074b50

/**
 * Whether the archive is only its listed entries: every central directory
 * record's local entry starts where the one before ended, from the first
 * byte of the file to the central directory, under the same name. A zip can
 * carry bytes its central directory does not list (a second `general.html`
 * that a streaming unzip extracts), or name an entry twice (the Info-ZIP
 * Unicode Path field, which some readers follow and others do not): the
 * verifier reads the central directory, so either would let it check other
 * bytes than a reader gets.
 */
export async function checkLayout (entries: PlacedEntry[], centralDirectoryOffset: number, readAt: (offset: number, length: number) => Promise<Buffer>): Promise<string | null> {
  const renamed = entries.find((entry) => entry.renamed)
  if (renamed !== undefined) return `the entry ${JSON.stringify(renamed.name)} is named twice (a Unicode path field naming another file)`
  let expected = 0
  for (const entry of [...entries].sort((a, b) => a.offset - b.offset)) {
    if (entry.offset !== expected) return `${entry.offset - expected > 0 ? `${entry.offset - expected} bytes` : 'overlapping bytes'} before the entry ${JSON.stringify(entry.name)} that no entry accounts for`
    const header = await readAt(entry.offset, 30)
    if (header.length < 30 || header.readUInt32LE(0) !== localHeaderSignature) return `no local header where the entry ${JSON.stringify(entry.name)} starts`
    const nameLength = header.readUInt16LE(26)
    const localName = await readAt(entry.offset + 30, nameLength)
    if (!localName.equals(entry.raw)) return `the entry ${JSON.stringify(entry.name)} has another name in its local header`
    let end = entry.offset + 30 + nameLength + header.readUInt16LE(28) + entry.compressedSize
    if ((entry.flags & 0x08) !== 0) {
      // A data descriptor: with or without its signature, with 64-bit sizes for a ZIP64 entry.
      const next = await readAt(end, 4)
      const signed = next.length === 4 && next.readUInt32LE(0) === dataDescriptorSignature
      end += (signed ? 4 : 0) + (entry.zip64 ? 20 : 12)
    }
    expected = end
  }
  return expected === centralDirectoryOffset ? null : `${centralDirectoryOffset - expected} bytes after the last entry that no entry accounts for`
}

async function readArchive (zip: string | Buffer): Promise<ReadArchive> {
  const archive = typeof zip === 'string'
    ? await yauzl.openPromise(zip, { lazyEntries: true })
    : await yauzl.fromBufferPromise(zip, { lazyEntries: true })
  // yauzl starts reading the central directory here: where the entries must end.
  const centralDirectoryOffset = (archive as unknown as { readEntryCursor: number }).readEntryCursor
  const digests: ReadArchive['digests'] = new Map()
  const manifestFiles = new Map<string, Buffer>()
  const placed: PlacedEntry[] = []
  try {
    for await (const entry of archive.eachEntry()) {
      const unicodePath = entry.extraFields.find((field) => field.id === 0x7075)
      placed.push({
        name: entry.fileName,
        raw: entry.fileNameRaw,
        offset: entry.relativeOffsetOfLocalHeader,
        compressedSize: entry.compressedSize,
        flags: entry.generalPurposeBitFlag,
        zip64: entry.extraFields.some((field) => field.id === 0x0001),
        renamed: unicodePath !== undefined && entry.fileName !== entry.fileNameRaw.toString('utf8')
      })
      // A directory is no file, unless it holds bytes: then it is an entry like any.
      if (entry.fileName.endsWith('/') && entry.uncompressedSize === 0) continue
      const hash = createHash('sha256')
      const kept: Buffer[] = []
      const keep = manifestEntries.has(entry.fileName) && entry.uncompressedSize <= (entry.fileName === 'manifest.json' ? largestManifestEntry : largestCompanion)
      let bytes = 0
      for await (const chunk of await archive.openReadStreamPromise(entry)) {
        hash.update(chunk as Buffer)
        bytes += (chunk as Buffer).length
        if (keep) kept.push(chunk as Buffer)
      }
      if (keep && !manifestFiles.has(entry.fileName)) manifestFiles.set(entry.fileName, Buffer.concat(kept))
      const list = digests.get(entry.fileName) ?? []
      list.push({ bytes, sha256: hash.digest('hex') })
      digests.set(entry.fileName, list)
    }
    const bytes = typeof zip === 'string' ? null : zip
    const handle = typeof zip === 'string' ? await open(zip) : null
    try {
      const readAt = async (offset: number, length: number) => {
        if (bytes !== null) return bytes.subarray(offset, offset + length)
        const buffer = Buffer.alloc(length)
        const { bytesRead } = await handle!.read(buffer, 0, length, offset)
        return buffer.subarray(0, bytesRead)
      }
      return { digests, manifestFiles, layout: await checkLayout(placed, centralDirectoryOffset, readAt) }
    } finally {
      await handle?.close()
    }
  } finally {
    archive.close()
  }
}

function isListedEntry (value: unknown): value is ListedEntry {
  const entry = value as ListedEntry
  return typeof entry === 'object' && entry !== null && typeof entry.name === 'string' && Number.isSafeInteger(entry.bytes) && typeof entry.sha256 === 'string'
}

function publicKeyOf (key: string | KeyObject): KeyObject {
  return key instanceof KeyObject ? key : createPublicKey(key)
}

/**
 * Checks an exported archive offline (a path, or its bytes): every entry
 * `manifest.json` lists is there with its size and sha256, the archive holds
 * nothing it does not list (besides the manifest, `manifest.jws` and
 * `manifest.tsr`), the manifest's signature verifies with `keys`, a
 * time-stamp covers the manifest's digest, and the manifest says the export
 * is complete. Each check is reported, passed or not; an archive that cannot
 * be read as a zip is one failed check.
 */
export async function verifyExport (zip: string | Buffer, keys: VerificationKeys = {}): Promise<Verification> {
  const checks: VerificationCheck[] = []
  const report = (check: string, ok: boolean, detail: string) => { checks.push({ check, ok, detail }) }
  const result = () => ({ valid: checks.every((check) => check.ok), checks })

  let archive: ReadArchive
  try {
    archive = await readArchive(zip)
  } catch (err) {
    report('zip', false, `not a readable zip archive: ${(err as Error).message}`)
    return result()
  }
  const entryCount = [...archive.digests.values()].reduce((sum, list) => sum + list.length, 0)
  report('zip', true, `${entryCount} entries read`)
  report('zip layout', archive.layout === null, archive.layout ?? 'every byte belongs to a listed entry, each under one name')

  const manifestBytes = archive.manifestFiles.get('manifest.json')
  let manifest: { entries?: unknown, complete?: unknown } | undefined
  try {
    manifest = manifestBytes === undefined ? undefined : JSON.parse(manifestBytes.toString('utf8'))
  } catch {}
  const listed = manifest?.entries
  if (manifestBytes === undefined || typeof manifest !== 'object' || manifest === null || !Array.isArray(listed) || !listed.every(isListedEntry)) {
    report('manifest.json', false, manifestBytes === undefined ? 'the archive has no manifest.json' : 'manifest.json is not a manifest (JSON with an "entries" list of { name, bytes, sha256 })')
    return result()
  }
  report('manifest.json', true, `lists ${listed.length} entries; sha256 ${createHash('sha256').update(manifestBytes).digest('hex')}`)

  const jws = archive.manifestFiles.get('manifest.jws')
  if (jws === undefined) {
    report('signature', false, 'the archive is not signed (no manifest.jws)')
  } else if (keys.jwks === undefined && keys.publicKey === undefined) {
    report('signature', false, 'not checked: no key given (the server\'s JWKS, or its public key)')
  } else {
    let signature: ReturnType<typeof verifyManifestSignature>
    try {
      signature = verifyManifestSignature(jws.toString('utf8'), manifestBytes, keys.jwks ?? publicKeyOf(keys.publicKey!))
    } catch (err) {
      signature = { valid: false, reason: `the key could not be read: ${(err as Error).message}` }
    }
    report('signature', signature.valid, signature.valid
      ? `manifest.jws: EdDSA signature of manifest.json${signature.kid === undefined ? '' : ` by the key ${JSON.stringify(signature.kid)}`}`
      : `manifest.jws: ${signature.reason}`)
  }

  const timestamp = archive.manifestFiles.get('manifest.tsr')
  if (timestamp === undefined && archive.digests.has('manifest.tsr')) {
    report('timestamp', false, `manifest.tsr is not an RFC 3161 time-stamp token (${archive.digests.get('manifest.tsr')![0].bytes} bytes)`)
  } else if (timestamp === undefined && (manifest as { timestamped?: unknown }).timestamped === true) {
    report('timestamp', false, 'manifest.json says the export was time-stamped, but the archive has no manifest.tsr')
  } else if (timestamp !== undefined) {
    const imprint = readTimestampImprint(timestamp)
    const digest = imprint === null || !['sha256', 'sha384', 'sha512'].includes(imprint.algorithm) ? null : createHash(imprint.algorithm).update(manifestBytes).digest()
    report('timestamp', digest !== null && digest.equals(imprint!.digest), imprint === null
      ? 'manifest.tsr is not an RFC 3161 time-stamp token'
      : digest === null
        ? `manifest.tsr stamps a ${imprint.algorithm} digest, which is not accepted`
        : digest.equals(imprint.digest)
          ? `manifest.tsr stamps manifest.json's ${imprint.algorithm} at ${imprint.time} — as it says: its authority's signature is not checked here (openssl ts -verify with the authority's certificate: see VERIFY.txt)`
          : `manifest.tsr stamps another ${imprint.algorithm} digest than manifest.json's (${imprint.digest.toString('hex')})`)
  }

  const listedNames = new Set<string>()
  for (const entry of listed) {
    const found = archive.digests.get(entry.name)
    const check = `entry ${entry.name}`
    if (listedNames.has(entry.name)) report(check, false, 'listed twice in manifest.json')
    else if (found === undefined) report(check, false, 'listed in manifest.json but not in the archive')
    else if (found.length > 1) report(check, false, `the archive holds ${found.length} entries of this name`)
    else if (found[0].bytes !== entry.bytes) report(check, false, `${found[0].bytes} bytes; manifest.json says ${entry.bytes}`)
    else if (found[0].sha256 !== entry.sha256) report(check, false, `sha256 ${found[0].sha256}; manifest.json says ${entry.sha256}`)
    else report(check, true, `${entry.bytes} bytes, sha256 ${entry.sha256}`)
    listedNames.add(entry.name)
  }
  const unlisted = [...archive.digests.keys()].filter((name) => !listedNames.has(name) && !manifestEntries.has(name))
  const repeated = [...manifestEntries].filter((name) => (archive.digests.get(name)?.length ?? 0) > 1)
  report('unlisted entries', unlisted.length === 0 && repeated.length === 0, unlisted.length === 0 && repeated.length === 0
    ? 'none: the archive holds only what manifest.json lists, itself, its signature and time-stamp'
    : [
        ...(unlisted.length === 0 ? [] : [`not in manifest.json: ${unlisted.map((name) => JSON.stringify(name)).join(', ')}`]),
        ...(repeated.length === 0 ? [] : [`more than one entry named ${repeated.join(', ')}`])
      ].join('; '))

  report('complete', manifest.complete === true, manifest.complete === true
    ? 'manifest.json says the export is complete (written after its last message)'
    : 'manifest.json does not say "complete": true — the export may be cut short')
  return result()
}
