/**
 * The AWS SDK's S3 packages are optional peer dependencies, like `mongodb`:
 * imported only once S3 is used (uploads in Rocket.Chat's AmazonS3 store, or
 * `createS3Storage`), from the host's own install. The specifiers are held in
 * variables so that bundlers leave the imports to run time.
 */
export type S3Sdk = typeof import('@aws-sdk/client-s3')
export type S3Storage = typeof import('@aws-sdk/lib-storage')

let sdk: Promise<S3Sdk> | undefined
let storage: Promise<S3Storage> | undefined

export async function s3Sdk (): Promise<S3Sdk> {
  const name = '@aws-sdk/client-s3'
  sdk ??= import(name) as Promise<S3Sdk>
  return await sdk
}

/** `@aws-sdk/lib-storage`: its `Upload` streams an export to S3 in parts, without knowing its length first. */
export async function s3Uploads (): Promise<S3Storage> {
  const name = '@aws-sdk/lib-storage'
  storage ??= import(name) as Promise<S3Storage>
  return await storage
}
