import type * as MongoDriver from 'mongodb'

let driver: Promise<typeof MongoDriver> | undefined

/**
 * The `mongodb` driver — an optional peer dependency, so this resolves to the
 * host's own copy (the one its `Db` comes from: classes such as GridFSBucket
 * must match it), and is imported only once a database is in use.
 */
export async function mongoDriver (): Promise<typeof MongoDriver> {
  driver ??= import('mongodb')
  return await driver
}

/** A duplicate-key error from any driver version (no `instanceof` across copies). */
export function isDuplicateKey (err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000
}
