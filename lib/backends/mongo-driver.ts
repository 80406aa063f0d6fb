import type * as MongoDriver from 'mongodb'
import type { Db } from 'mongodb'
import type { MongoDatabase } from './mongo-database.ts'

let driver: Promise<typeof MongoDriver> | undefined

/**
 * The `mongodb` driver — an optional peer dependency, so this resolves to the
 * host's own copy (the one its `Db` comes from: classes such as GridFSBucket
 * must match it), and is imported only once a database is in use. The name is
 * held in a variable so that bundlers leave the import to run time: a host that
 * never uses MongoDB bundles without it installed and without
 * `--external:mongodb`.
 */
export async function mongoDriver (): Promise<typeof MongoDriver> {
  const name = 'mongodb'
  driver ??= import(name) as Promise<typeof MongoDriver>
  return await driver
}

/** A duplicate-key error from any driver version (no `instanceof` across copies). */
export function isDuplicateKey (err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000
}

/** The driver's own type for a database handle the public API typed by shape. */
export function asDb (database: MongoDatabase): Db {
  return database as unknown as Db
}
