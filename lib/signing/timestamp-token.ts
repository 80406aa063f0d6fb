/**
 * Reads what an RFC 3161 time-stamp token says it stamped — the message
 * imprint (hash algorithm and digest) and the time — so the verifier can check
 * that `manifest.tsr` covers `manifest.json`. It does not check the time-stamp
 * authority's signature: that needs the authority's certificate, which the
 * archive does not carry (VERIFY.txt shows the `openssl ts -verify` command).
 *
 * Only the DER path to the imprint is walked:
 * TimeStampResp? → ContentInfo (signedData) → [0] SignedData →
 * encapContentInfo (id-ct-TSTInfo) → [0] OCTET STRING → TSTInfo →
 * messageImprint, genTime.
 */

export interface TimestampImprint {
  /** the hash algorithm's name when known (`sha256`, …), else its OID */
  algorithm: string
  digest: Buffer
  /** the token's `genTime`, as written (GeneralizedTime) */
  time: string
}

interface Element {
  tag: number
  /** where the element begins (its tag) */
  offset: number
  /** the content's bounds in the buffer */
  start: number
  end: number
}

const tags = { integer: 0x02, octetString: 0x04, oid: 0x06, sequence: 0x30, set: 0x31, generalizedTime: 0x18, explicit0: 0xa0 }

const oids = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4'
}

const hashNames: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1'
}

class MalformedToken extends Error {}

function element (der: Buffer, offset: number, end: number): Element {
  if (offset + 2 > end) throw new MalformedToken('truncated')
  const tag = der[offset]
  let length = der[offset + 1]
  let start = offset + 2
  if (length >= 0x80) {
    const octets = length & 0x7f
    // Indefinite lengths (BER) are not DER; four octets are more than any token needs.
    if (octets === 0 || octets > 4 || start + octets > end) throw new MalformedToken('bad length')
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]
    start += octets
  }
  if (start + length > end) throw new MalformedToken('truncated')
  return { tag, offset, start, end: start + length }
}

/** The elements inside a constructed one. */
function children (der: Buffer, parent: Element): Element[] {
  const found: Element[] = []
  for (let offset = parent.start; offset < parent.end;) {
    const child = element(der, offset, parent.end)
    found.push(child)
    offset = child.end
  }
  return found
}

function expect (child: Element | undefined, tag: number): Element {
  if (child?.tag !== tag) throw new MalformedToken(`expected tag ${tag}`)
  return child
}

function oidOf (der: Buffer, oid: Element): string {
  const bytes = der.subarray(oid.start, oid.end)
  if (bytes.length === 0) throw new MalformedToken('empty OID')
  const arcs = [Math.min(2, Math.floor(bytes[0] / 40)), bytes[0] - Math.min(2, Math.floor(bytes[0] / 40)) * 40]
  let value = 0
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      arcs.push(value)
      value = 0
    }
  }
  return arcs.join('.')
}

/** The ContentInfo of a bare token, or the one inside a TimeStampResp (`openssl ts -reply` writes either). */
function contentInfoOf (der: Buffer): Element {
  const outer = expect(element(der, 0, der.length), tags.sequence)
  const [first, second] = children(der, outer)
  if (first?.tag === tags.oid) return outer
  // TimeStampResp: status (a SEQUENCE), then the token.
  expect(first, tags.sequence)
  return expect(second, tags.sequence)
}

/**
 * The token itself (its DER bytes) and what it stamps, when `der` is a token
 * or a TimeStampResp holding one; `null` when it is neither.
 */
export function readTimestampToken (der: Buffer): { token: Buffer, imprint: TimestampImprint } | null {
  const imprint = readTimestampImprint(der)
  if (imprint === null) return null
  // Read once already: the ContentInfo is there.
  const contentInfo = contentInfoOf(der)
  return { token: der.subarray(contentInfo.offset, contentInfo.end), imprint }
}

/** A time-stamp token is a few KB; anything much bigger is not one, and is not walked. */
const largestToken = 64 * 1024

/** The imprint and time of an RFC 3161 token (or of the token in a TimeStampResp), or `null` when it is not one. */
export function readTimestampImprint (token: Buffer): TimestampImprint | null {
  if (token.length > largestToken) return null
  try {
    const contentInfo = children(token, contentInfoOf(token))
    if (oidOf(token, expect(contentInfo[0], tags.oid)) !== oids.signedData) return null
    const signedData = expect(children(token, expect(contentInfo[1], tags.explicit0))[0], tags.sequence)
    const encapsulated = children(token, expect(children(token, signedData)[2], tags.sequence))
    if (oidOf(token, expect(encapsulated[0], tags.oid)) !== oids.tstInfo) return null
    const tstInfoOctets = expect(children(token, expect(encapsulated[1], tags.explicit0))[0], tags.octetString)
    const tstInfo = children(token, expect(children(token, tstInfoOctets)[0], tags.sequence))
    const imprint = children(token, expect(tstInfo[2], tags.sequence))
    const algorithmOid = oidOf(token, expect(children(token, expect(imprint[0], tags.sequence))[0], tags.oid))
    const digest = expect(imprint[1], tags.octetString)
    const time = expect(tstInfo[4], tags.generalizedTime)
    return {
      algorithm: hashNames[algorithmOid] ?? algorithmOid,
      digest: Buffer.from(token.subarray(digest.start, digest.end)),
      time: token.subarray(time.start, time.end).toString('latin1')
    }
  } catch (err) {
    if (err instanceof MalformedToken) return null
    throw err
  }
}
