import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto'
import { InvalidOptionError } from '../errors.ts'

/** The `signing` option: the key that signs each archive's manifest, and earlier keys still published. */
export interface SigningOptions {
  /** An Ed25519 private key: PEM (PKCS #8) or a `KeyObject`. */
  privateKey: string | KeyObject
  /** The key's id: the JWS header's `kid` and the JWKS entry's. */
  keyId: string
  /**
   * Earlier keys, still published by `rooms.export.keys` so that archives
   * they signed keep verifying: Ed25519 public keys (PEM, or a `KeyObject`;
   * a private key gives its public half).
   * @default []
   */
  publicKeys?: { keyId: string, publicKey: string | KeyObject }[]
}

/** A public key as a JSON Web Key (RFC 8037), as the JWKS route publishes it. */
export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  use: 'sig'
  alg: 'EdDSA'
}

export interface Jwks { keys: PublicJwk[] }

export interface ResolvedSigning {
  privateKey: KeyObject
  keyId: string
  /** the current key first, then the earlier ones */
  jwks: Jwks
}

/** The JWS header's `typ`: what the signature is of, so it cannot be passed off as another kind of token. */
export const manifestSignatureType = 'rooms-export-manifest+jws'

function fail (message: string): never {
  throw new InvalidOptionError(message)
}

function isEd25519 (key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ed25519'
}

function publicJwkOf (key: KeyObject, kid: string): PublicJwk {
  const { x } = key.export({ format: 'jwk' })
  return { kty: 'OKP', crv: 'Ed25519', x: x!, kid, use: 'sig', alg: 'EdDSA' }
}

function readKey (value: unknown, name: string, read: (pem: string) => KeyObject): KeyObject {
  if (value instanceof KeyObject) return value
  if (typeof value !== 'string') fail(`option "${name}" must be a PEM string or a KeyObject`)
  try {
    return read(value)
  } catch {
    fail(`option "${name}" is not a key in PEM form`)
  }
}

function checkKeyId (keyId: unknown, name: string): string {
  if (typeof keyId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(keyId)) fail(`option "${name}" must be 1 to 200 printable ASCII characters`)
  return keyId
}

/** The `signing` option's keys checked (the object's shape is options.ts's): Ed25519 keys only, ids unique. */
export function resolveSigning ({ privateKey: given, keyId, publicKeys = [] }: SigningOptions): ResolvedSigning {
  const privateKey = readKey(given, 'signing.privateKey', (pem) => createPrivateKey(pem))
  if (privateKey.type !== 'private' || !isEd25519(privateKey)) fail('option "signing.privateKey" must be an Ed25519 private key (e.g. openssl genpkey -algorithm ed25519)')
  const keys = [publicJwkOf(createPublicKey(privateKey), checkKeyId(keyId, 'signing.keyId'))]
  if (!Array.isArray(publicKeys)) fail('option "signing.publicKeys" must be an array of { keyId, publicKey }')
  publicKeys.forEach((entry, index) => {
    const name = `signing.publicKeys[${index}]`
    if (typeof entry !== 'object' || entry === null) fail(`option "${name}" must be { keyId, publicKey }`)
    const kid = checkKeyId(entry.keyId, `${name}.keyId`)
    if (keys.some((key) => key.kid === kid)) fail(`option "${name}.keyId" repeats the key id ${JSON.stringify(kid)}`)
    const key = readKey(entry.publicKey, `${name}.publicKey`, (pem) => createPublicKey(pem))
    if (!isEd25519(key)) fail(`option "${name}.publicKey" must be an Ed25519 key`)
    keys.push(publicJwkOf(key.type === 'private' ? createPublicKey(key) : key, kid))
  })
  return { privateKey, keyId: keys[0].kid, jwks: { keys } }
}

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url')

/**
 * A JWS compact serialization (RFC 7515) of `manifest` with a detached
 * payload (Appendix F): `<header>..<signature>`, the signature over
 * `<header>.<base64url(manifest)>` as usual, the payload left out because the
 * archive carries it as `manifest.json`.
 */
export function signManifest (manifest: Buffer, signing: ResolvedSigning): string {
  const header = base64url(JSON.stringify({ alg: 'EdDSA', kid: signing.keyId, typ: manifestSignatureType }))
  const signature = sign(null, Buffer.from(`${header}.${base64url(manifest)}`), signing.privateKey)
  return `${header}..${base64url(signature)}`
}

/** What checking a detached manifest signature found: the key that verified it, or why it fails. */
export type SignatureCheck = { valid: true, kid: string | undefined } | { valid: false, reason: string }

/**
 * Checks `jws` (detached, as `signManifest` writes it) over `manifest`: with
 * `keys` as a JWKS, by the key its `kid` names; with one public key, by that.
 */
export function verifyManifestSignature (jws: string, manifest: Buffer, keys: Jwks | KeyObject): SignatureCheck {
  const parts = jws.trim().split('.')
  if (parts.length !== 3) return { valid: false, reason: 'not a JWS compact serialization (three parts separated by ".")' }
  const [encodedHeader, payload, signature] = parts
  if (payload !== '') return { valid: false, reason: 'the payload is not detached (the JWS must leave it empty)' }
  let header: { alg?: unknown, kid?: unknown, typ?: unknown, crit?: unknown }
  try {
    header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'))
  } catch {
    return { valid: false, reason: 'its header is not base64url-encoded JSON' }
  }
  if (typeof header !== 'object' || header === null) return { valid: false, reason: 'its header is not a JSON object' }
  if (header.alg !== 'EdDSA') return { valid: false, reason: `its algorithm is ${JSON.stringify(header.alg)}, not "EdDSA"` }
  if (header.typ !== manifestSignatureType) return { valid: false, reason: `its type is ${JSON.stringify(header.typ)}, not "${manifestSignatureType}"` }
  // RFC 7515 §4.1.11: a header naming extensions the verifier does not know is refused.
  if (header.crit !== undefined) return { valid: false, reason: 'its header names critical extensions ("crit")' }
  const kid = typeof header.kid === 'string' ? header.kid : undefined
  let key: KeyObject
  if (keys instanceof KeyObject) {
    key = keys.type === 'private' ? createPublicKey(keys) : keys
  } else {
    const jwk = keys.keys.find((candidate) => candidate.kid === kid)
    if (jwk === undefined) return { valid: false, reason: `no key with id ${JSON.stringify(kid)} among the given keys (${keys.keys.map((candidate) => JSON.stringify(candidate.kid)).join(', ') || 'none'})` }
    try {
      key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' })
    } catch {
      return { valid: false, reason: `the key ${JSON.stringify(kid)} is not a valid Ed25519 JWK` }
    }
  }
  if (!isEd25519(key)) return { valid: false, reason: 'the given key is not an Ed25519 key' }
  const signed = verify(null, Buffer.from(`${encodedHeader}.${base64url(manifest)}`), key, Buffer.from(signature, 'base64url'))
  return signed ? { valid: true, kid } : { valid: false, reason: `the signature does not match manifest.json${kid === undefined ? '' : ` for the key ${JSON.stringify(kid)}`}` }
}
