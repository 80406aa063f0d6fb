/**
 * The package's command (its `bin` is lib/bin.ts): `fastify-rooms-export verify <archive.zip> [--jwks <file> | --key <pem file>]`.
 * One line per check; exit 0 when the archive is valid, 1 when it is not,
 * 2 for a wrong command line or a key file that cannot be read.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Jwks } from './signing/manifest-signature.ts'
import { verifyExport, type VerificationKeys } from './signing/verify-export.ts'

const usage = `usage: fastify-rooms-export verify <archive.zip> [--jwks <keys.json> | --key <public-key.pem>]

Checks an archive exported by fastify-rooms-export: every entry against
manifest.json (size and sha256), no entry it does not list, the signature
manifest.jws with the key its "kid" names in the JWKS (as the server's
rooms.export.keys route publishes it) or with the given public key, the
time-stamp manifest.tsr if there is one, and that the export is complete.
Exit status: 0 valid, 1 invalid, 2 usage.`

class UsageError extends Error {}

function readKeys (jwksFile: string | undefined, keyFile: string | undefined): VerificationKeys {
  if (jwksFile !== undefined && keyFile !== undefined) throw new UsageError('give --jwks or --key, not both')
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
    }
  }
  if (jwksFile !== undefined) {
    let jwks: Jwks
    try {
      jwks = JSON.parse(read(jwksFile))
    } catch (err) {
      if (err instanceof UsageError) throw err
      throw new UsageError(`${jwksFile} is not JSON`)
    }
    if (!Array.isArray(jwks?.keys)) throw new UsageError(`${jwksFile} is not a JWKS ({ "keys": [...] })`)
    return { jwks }
  }
  return keyFile === undefined ? {} : { publicKey: read(keyFile) }
}

/** What is wrong with the command line; Node's own wording of a bad option varies between versions. */
function usageProblem (err: Error & { code?: string }): string {
  if (err.code?.startsWith('ERR_PARSE_ARGS_') !== true) return err.message
  const option = /'(-[^' ]+)/.exec(err.message)?.[1]
  return err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${option}` : `option ${option} needs a value`
}

export async function main (args: string[], out: (line: string) => void): Promise<number> {
  let archive: string
  let keys: VerificationKeys
  try {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { jwks: { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help === true) {
      out(usage)
      return 0
    }
    if (positionals[0] !== 'verify' || positionals.length !== 2) throw new UsageError(positionals.length === 0 ? 'no command given' : `expected: verify <archive.zip>, got: ${positionals.join(' ')}`)
    archive = positionals[1]
    keys = readKeys(values.jwks, values.key)
  } catch (err) {
    out(`fastify-rooms-export: ${usageProblem(err as Error)}`)
    out(usage)
    return 2
  }
  const { valid, checks } = await verifyExport(archive, keys)
  for (const { check, ok, detail } of checks) out(`${ok ? 'ok  ' : 'FAIL'}  ${check}: ${detail}`)
  out(valid ? `${archive}: valid` : `${archive}: INVALID (${checks.filter((check) => !check.ok).length} of ${checks.length} checks failed)`)
  return valid ? 0 : 1
}
