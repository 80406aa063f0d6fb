import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import type { Test } from 'tap'
import { freePort, waitForPort } from '../helpers/local-server.ts'

const ownFolder = fileURLToPath(new URL('./', import.meta.url))

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  /** a client of the server (path-style, any credentials) */
  client: S3Client
  /** a new, empty bucket */
  bucket: () => Promise<string>
}

let buckets = 0

/** An S3-compatible server (gofakes3, built by build.sh when missing) on a free loopback port, for one test. */
export async function startS3 (t: Test): Promise<S3Server> {
  const binary = `${ownFolder}bin/s3-test`
  if (!existsSync(binary)) execFileSync('bash', [`${ownFolder}build.sh`], { stdio: 'inherit' })
  const port = await freePort()
  const child = spawn(binary, ['-listen', `127.0.0.1:${port}`], { stdio: 'ignore' })
  t.teardown(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  })
  await waitForPort(port, child, 'the S3 server')
  const endpoint = `http://127.0.0.1:${port}`
  // gofakes3 sends a whole object's CRC32 with a byte range of it (S3 does not): the SDK would reject
  // every ranged read it did not ask to check.
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test-key', secretAccessKey: 'test-secret' }, responseChecksumValidation: 'WHEN_REQUIRED' })
  t.teardown(() => { client.destroy() })
  return {
    endpoint,
    client,
    async bucket () {
      const name = `bucket-${process.pid}-${++buckets}`
      await client.send(new CreateBucketCommand({ Bucket: name }))
      return name
    }
  }
}
