import { packageName, packageVersion } from '../package-info.ts'

interface VerifyInstructions {
  keyId: string
  /** where the server publishes its keys, when it knows its public URL */
  keysUrl: string | null
  timestamped: boolean
}

/** The text of `VERIFY.txt`: how anyone checks a signed archive, with our tool or by hand. */
export function verifyInstructions ({ keyId, keysUrl, timestamped }: VerifyInstructions): string {
  const keys = keysUrl ?? 'https://<the chat server>/api/v1/rooms.export.keys'
  const timestampDescription = !timestamped
    ? ''
    : `- manifest.tsr is an RFC 3161 time-stamp token over the SHA-256 of
  manifest.json, from the server's time-stamp authority.
`
  const timestampCheck = !timestamped
    ? ''
    : `4. Check the time-stamp with the authority's CA certificate:
     openssl ts -verify -data manifest.json -in manifest.tsr -token_in -CAfile tsa-ca.pem
   It must print "Verification: OK"; openssl ts -reply -in manifest.tsr -token_in -text
   shows the time.
`
  return `HOW TO CHECK THIS ARCHIVE

This archive was written by ${packageName} ${packageVersion}.

- manifest.json lists every other file in it (besides manifest.jws${timestamped ? ' and manifest.tsr' : ''})
  with its size in bytes and its SHA-256, says what was exported (room,
  range, format, who asked), the first and last message, and ends with
  "complete": true, written after the last message.
- manifest.jws signs the exact bytes of manifest.json: a JWS (RFC 7515) with
  a detached payload, algorithm EdDSA (Ed25519), by the key "${keyId}".
${timestampDescription}
The server publishes its public keys (a JWKS) at:
  ${keys}

WITH THE TOOL (Node.js 22 or later)

  curl -o keys.json ${keys}
  npx ${packageName} verify this-archive.zip --jwks keys.json

It prints one line per check and exits 0 when the archive is valid, 1 when
it is not (saying what and where). --key public-key.pem checks with one
public key instead.

BY HAND (Linux: coreutils, jq and OpenSSL 3)

1. Unzip the archive, and check every file against manifest.json:
     jq -r '.entries[] | "\\(.sha256)  \\(.name)"' manifest.json | sha256sum -c -
   Every line must say OK, and the archive must hold no other file than
   those listed, manifest.json, manifest.jws${timestamped ? ' and manifest.tsr' : ''}.
2. Check that it is complete (this must print true):
     jq .complete manifest.json
3. Check the signature. Any JOSE library verifies it: put the base64url of
   manifest.json between the two dots of manifest.jws and verify that JWS
   with the key whose "kid" is "${keyId}". With OpenSSL, given that key as
   public-key.pem (the server's administrator has it):
     header=$(cut -d. -f1 manifest.jws)
     printf '%s.%s' "$header" "$(base64 -w0 manifest.json | tr '+/' '-_' | tr -d '=')" > signing-input
     sig=$(cut -d. -f3 manifest.jws | tr '_-' '/+'); while [ $(( \${#sig} % 4 )) -ne 0 ]; do sig="$sig="; done
     printf '%s' "$sig" | base64 -d > signature
     openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in signing-input -sigfile signature
   It must print "Signature Verified Successfully".
${timestampCheck}`
}
