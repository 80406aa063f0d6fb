import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'

const run = promisify(execFile)

export interface LocalTsa {
  /** the CA certificate that issued the authority's, for `openssl ts -verify -CAfile` */
  caFile: string
  /** an RFC 3161 client of this authority: the token (DER) for a SHA-256 digest, as the `timestamp` option returns it */
  timestamp: (digest: Buffer) => Promise<Buffer>
  /** every digest it was asked to stamp */
  stamped: Buffer[]
}

/**
 * A time-stamp authority on this machine, made with Debian's `openssl ts`: a
 * CA, an authority certificate for time-stamping signed by it, and a reply per
 * query. Never a remote one.
 */
export async function localTsa (t: Test): Promise<LocalTsa> {
  const directory = await mkdtemp(join(tmpdir(), 'rooms-export-tsa-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  const file = (name: string) => join(directory, name)
  await writeFile(file('serial'), '01\n')
  await writeFile(file('tsa.cnf'), `[ tsa ]
default_tsa = local_tsa
[ local_tsa ]
dir = ${directory}
serial = $dir/serial
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
certs = $dir/tsa.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
[ tsa_ext ]
extendedKeyUsage = critical,timeStamping
basicConstraints = CA:false
`)
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Test time-stamp CA'])
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('tsa.key'), '-out', file('tsa.csr'), '-subj', '/CN=Test time-stamp authority'])
  await run('openssl', ['x509', '-req', '-in', file('tsa.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('tsa.pem'), '-days', '2', '-extfile', file('tsa.cnf'), '-extensions', 'tsa_ext'])
  const stamped: Buffer[] = []
  let queries = 0
  return {
    caFile: file('ca.pem'),
    stamped,
    async timestamp (digest) {
      stamped.push(digest)
      const query = file(`query-${++queries}.tsq`)
      const token = file(`token-${queries}.der`)
      await run('openssl', ['ts', '-query', '-digest', digest.toString('hex'), '-sha256', '-cert', '-out', query])
      await run('openssl', ['ts', '-reply', '-config', file('tsa.cnf'), '-queryfile', query, '-token_out', '-out', token])
      return await readFile(token)
    }
  }
}
