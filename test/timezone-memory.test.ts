import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { buildApp } from './helpers/app.ts'
import { postExport } from './helpers/exports.ts'
import { bob, general } from './helpers/fixtures.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Resident memory after two full collections: what the process keeps, not garbage waiting. */
function settledRss (): number {
  gc()
  gc()
  return process.memoryUsage().rss
}

/** `zone` in a letter case chosen by `seed`'s bits: ICU accepts them all, and there are about 2^30. */
function spelling (zone: string, seed: number): string {
  let bit = 0
  return zone.replace(/[a-z]/gi, (letter) => ((seed >> (bit++ % 30)) & 1) === 1 ? letter.toUpperCase() : letter.toLowerCase())
}

t.test('10,000 spellings of one time zone from a user without the permission do not grow memory', async (t) => {
  const app = await buildApp(t)
  const zone = 'America/Argentina/ComodRivadavia'
  const send = async (seed: number) => await postExport(app, bob, { rid: general._id, type: 'file', format: 'json', timezone: spelling(zone, seed) })
  // Warm up: code paths compiled, pools filled. Node 22 and later keep what the allocator took for
  // the first ~10,000 requests (measured on Node 24: RSS +100 MB, then +1–3 MB per 10,000 more, one
  // spelling or many alike), so the measured stretch starts after 20,000.
  const statuses = new Set<number>()
  for (let seed = 0; seed < 20_000; seed++) statuses.add((await send(seed)).statusCode)
  const before = settledRss()
  for (let seed = 20_000; seed < 30_000; seed++) statuses.add((await send(seed)).statusCode)
  const grownMb = (settledRss() - before) / 1024 / 1024
  t.same([...statuses], [403], 'every request answered: refused, no permission')
  // Before zones were looked up in a table, each spelling built an Intl.DateTimeFormat: +330 MB here.
  t.ok(grownMb < 30, `RSS grew ${grownMb.toFixed(1)} MB over 10,000 spellings`)
})
