import yauzl from 'yauzl'
import yazl from 'yazl'

/** Every entry of a zip, in archive order, read back with a real unzip library (CRCs checked). */
export async function readZip (zip: Buffer): Promise<Map<string, Buffer>> {
  const archive = await yauzl.fromBufferPromise(zip)
  const entries = new Map<string, Buffer>()
  for await (const entry of archive.eachEntry()) {
    const chunks: Buffer[] = []
    for await (const chunk of await archive.openReadStreamPromise(entry)) chunks.push(chunk as Buffer)
    entries.set(entry.fileName, Buffer.concat(chunks))
  }
  return entries
}

/** A zip of `entries` in order, as an archiver that is not ours writes it (yazl): tampered copies of an export. */
export async function writeZip (entries: Iterable<[string, Buffer]>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of entries) zip.addBuffer(content, name)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Each entry's compression method as the central directory says: 0 stored, 8 deflated. */
export async function compressionMethods (zip: Buffer): Promise<Record<string, number>> {
  const archive = await yauzl.fromBufferPromise(zip)
  const methods: Record<string, number> = {}
  for await (const entry of archive.eachEntry()) methods[entry.fileName] = entry.compressionMethod
  return methods
}
