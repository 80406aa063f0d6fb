// `node --import ./test/mongodb6/use.mjs`: the process sees MongoDB driver 6 as a host on
// @fastify/mongodb@9 does — one copy, the one @fastify/mongodb@9 depends on — for every
// `import 'mongodb'` (the tests' and the plugin's lazy import) and `import '@fastify/mongodb'`.
import { register } from 'node:module'

register('./resolve.mjs', import.meta.url)
