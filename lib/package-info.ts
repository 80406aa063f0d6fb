/**
 * The package's name and version as manifests state them. Kept here rather
 * than read from package.json at run time, which a bundled host does not
 * ship; test/signing.test.ts checks they match package.json.
 */
export const packageName = 'fastify-rooms-export'
export const packageVersion = '0.1.0'
