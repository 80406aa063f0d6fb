import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const fastifyMongodb9 = require.resolve('@fastify/mongodb9')
const driver6 = createRequire(fastifyMongodb9).resolve('mongodb')
const redirects = {
  mongodb: pathToFileURL(driver6).href,
  '@fastify/mongodb': pathToFileURL(fastifyMongodb9).href
}

export async function resolve (specifier, context, next) {
  const url = redirects[specifier]
  if (url !== undefined) return { url, format: 'commonjs', shortCircuit: true }
  return await next(specifier, context)
}
