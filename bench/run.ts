/**
 * `npm run bench`: every figure of SPEC §5 and of the performance issue,
 * measured in one run, each with its target beside it: medians of several
 * runs and ratios against a baseline measured alongside. Each export runs in
 * a process of its own so its peak RSS is its own.
 *
 * Sizes: BENCH_MESSAGES (throughput and memory, default 1,000,000),
 * BENCH_RUNS (default 3), BENCH_RESPONSIVENESS_MESSAGES (each of four
 * concurrent exports, default 200,000), BENCH_MONGO_MESSAGES (FerretDB,
 * default 20000,50000,100000), BENCH_ZIP_MEGABYTES (default 200).
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const big = Number(process.env.BENCH_MESSAGES ?? 1_000_000)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const responsivenessMessages = Number(process.env.BENCH_RESPONSIVENESS_MESSAGES ?? 200_000)
const mongoSizes = (process.env.BENCH_MONGO_MESSAGES ?? '20000,50000,100000').split(',').map(Number)
const zipMegabytes = Number(process.env.BENCH_ZIP_MEGABYTES ?? 200)

const esbuild = fileURLToPath(new URL('../node_modules/.bin/esbuild', import.meta.url))
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url))

// The measured processes run plain JavaScript, as a host does: bundled by esbuild (packages stay
// external), without tsx, whose loader alone would add ~60 MB to every peak RSS and start the HTML
// render worker through its loader too. The worker's entry is built beside them, where the bundled
// plugin looks for it.
const built = ['export-once.ts', 'responsiveness.ts', 'ping-client.ts', 'zip-writers.ts', 'mongo-throughput.ts', 'parser.ts', 'pathological.ts', 'highlight.ts']
const bundle = (source: string, output: string) => {
  execFileSync(esbuild, [source, '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', `--outfile=${script(`.build/${output}`)}`, '--log-level=warning'])
}
for (const name of built) bundle(script(name), name.replace(/\.ts$/, '.mjs'))
bundle(fileURLToPath(new URL('../lib/render/html-worker-thread.ts', import.meta.url)), 'html-worker-thread.js')
function child (name: string, ...args: (string | number)[]): Record<string, number | string>[] {
  return childWith([], name, ...args)
}
function childWith (nodeFlags: string[], name: string, ...args: (string | number)[]): Record<string, number | string>[] {
  const output = execFileSync(process.execPath, [...nodeFlags, script(`.build/${name.replace(/\.ts$/, '.mjs')}`), ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 })
  return output.trim().split('\n').map((line) => JSON.parse(line))
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const print = (line: string) => { process.stdout.write(`${line}\n`) }
const count = (value: number) => value.toLocaleString('en')
const verdict = (ok: boolean) => ok ? 'met' : 'NOT MET'

print('# Markup parser alone: ours (lib/markup/) against Rocket.Chat\'s, 50,000 distinct realistic messages (bench/texts.ts), one at a time')
const parsed = child('parser.ts', 50_000)
const [ours, theirs] = ['ours', 'rocketchat'].map((name) => parsed.find((result) => result.parser === name)!)
const speedup = Number(theirs.medianMicroseconds) / Number(ours.medianMicroseconds)
print(`  median ${ours.medianMicroseconds} µs a message against Rocket.Chat's ${theirs.medianMicroseconds} µs: ${speedup.toFixed(1)}× (target ≥ 15× — ${verdict(speedup >= 15)}); in total ${ours.totalMs} against ${theirs.totalMs} ms (${(Number(theirs.totalMs) / Number(ours.totalMs)).toFixed(1)}×)`)
for (const soup of parsed.filter((result) => result.soup !== undefined)) {
  print(`  ${JSON.stringify(soup.soup).padEnd(6)} × 10 KB: ours ${soup.oursMs10k} ms, Rocket.Chat's ${soup.rocketchatMs10k} ms; × 100 KB: ours ${soup.oursMs100k} ms`)
}
print('  parse cache: none — every text parsed is parsed (the cache of 2,048 texts it replaced was answering the old bench\'s dozen repeated texts)\n')

print('# Code highlighting (highlight.js, at export time): 20,000 distinct code blocks in four languages, one at a time, to the page and to the mail (plain)')
// --expose-gc: it collects before reading the heap highlight.js takes (never while timing).
const [highlighting] = childWith(['--expose-gc'], 'highlight.ts', 20_000)
print(`  median ${highlighting.highlightedMedianMicroseconds} µs a block highlighted against ${highlighting.plainMedianMicroseconds} µs plain (${highlighting.ratio}×); highlight.js's common languages take ${highlighting.highlighterHeapMb} MB of heap once loaded (only by an export with a code block naming a language)\n`)

print('# Messages written to be slow, in a fresh process (Rocket.Chat\'s parser: 9.8 s in one stretch for the mail; the soups did not finish in 30 s)')
for (const result of child('pathological.ts')) {
  if (result.export === 'email') {
    const goal = result.run === 'first' ? 'the process\'s first export: loads the templates and the parser, V8 compiles it' : `goal ≤ 50 ms — ${verdict(Number(result.longestGapMs) <= 50)}`
    print(`  email of ${result.messages} messages, text and attachment description each 5,000 \`*\`, ${result.run} export: answered in ${result.ms} ms (target < 2 s — ${verdict(Number(result.ms) < 2000)}); the event loop held at most ${result.longestGapMs} ms (a 5 ms timer's longest wait; ${goal})`)
  } else {
    print(`  ${String(result.export).toUpperCase().padEnd(4)} file export of ${result.messages} messages of 100 KB delimiter soups (*, _, ~, \`, [, a_, <t:, _*~): ${result.ms} ms (target < 5 s — ${verdict(Number(result.ms) < 5000)})`)
  }
}
print('')

// Each corpus against its own baseline (the same messages stringified and gzipped).
const variants: { corpus: string, format: string, target: number | null }[] = [
  { corpus: 'plain', format: 'baseline', target: null },
  { corpus: 'plain', format: 'json', target: 1.0 },
  { corpus: 'plain', format: 'html', target: 2.0 },
  { corpus: 'rich', format: 'baseline', target: null },
  { corpus: 'rich', format: 'json', target: 1.0 },
  { corpus: 'rich', format: 'html', target: 2.5 },
  { corpus: 'rich-no-md', format: 'baseline', target: null },
  { corpus: 'rich-no-md', format: 'html', target: 2.5 }
]
print(`# Throughput and memory: ${count(big)} messages per export, median of ${runs} interleaved runs`)
print('  corpora: plain (synthetic words); rich (Rocket.Chat-shaped: ~30 % markup with stored md, mentions, emoji, links, quotes, threads, 1 % uploads, 3 % system messages, 1 % each code blocks, formulas and custom emoji, avatars for three people in four); rich-no-md (the same, parsed by the export)')
const results = new Map<string, Record<string, number | string>[]>(variants.map(({ corpus, format }) => [`${corpus}/${format}`, []]))
for (let run = 0; run < runs; run++) {
  for (const { corpus, format } of variants) results.get(`${corpus}/${format}`)!.push(child('export-once.ts', format, big, corpus)[0])
}
const msOf = (key: string) => median(results.get(key)!.map((result) => Number(result.ms)))
const rssOf = (key: string) => median(results.get(key)!.map((result) => Number(result.peakRssMb)))
const rssRange = (values: number[]) => `${Math.min(...values)}–${Math.max(...values)}`
for (const { corpus, format, target } of variants) {
  const key = `${corpus}/${format}`
  const ms = msOf(key)
  const ratio = ms / msOf(`${corpus}/baseline`)
  const goal = target === null ? '' : `target ≤ ${target.toFixed(1)}× — ${verdict(ratio <= target)}`
  print(`  ${key.padEnd(20)} ${String(ms).padStart(7)} ms ${count(Math.round(big / ms * 1000)).padStart(9)} msg/s  ${ratio.toFixed(2)}× baseline  peak RSS ${rssOf(key)} MB  ${goal}  (runs: ${results.get(key)!.map((result) => result.ms).join(', ')} ms)`)
}

const extrasMessages = Math.min(big, 200_000)
print(`\n# What the rich corpus's pictures, code and formulas cost: rich HTML, ${count(extrasMessages)} messages, with them and without (median of ${runs} interleaved runs)`)
print('  with: avatars for 30 of 40 people (200 px PNGs, each read twice: to name it, then to archive it), 1 % messages with a :party_parrot: custom emoji, 1 % JavaScript code blocks highlighted, 1 % KaTeX formulas — within the export\'s 1 s budget for code and formulas')
const extrasRuns = { with: [] as Record<string, number | string>[], without: [] as Record<string, number | string>[] }
for (let run = 0; run < runs; run++) {
  extrasRuns.with.push(child('export-once.ts', 'html', extrasMessages, 'rich')[0])
  extrasRuns.without.push(child('export-once.ts', 'html', extrasMessages, 'rich', 'no-extras')[0])
}
const extrasMs = median(extrasRuns.with.map((result) => Number(result.ms)))
const bareMs = median(extrasRuns.without.map((result) => Number(result.ms)))
print(`  with ${extrasMs} ms, without ${bareMs} ms: ${(extrasMs / bareMs).toFixed(2)}× (${extrasMs - bareMs} ms for ${count(extrasMessages / 100)} code blocks, as many formulas and emoji, and 30 avatars); peak RSS ${median(extrasRuns.with.map((result) => Number(result.peakRssMb)))} vs ${median(extrasRuns.without.map((result) => Number(result.peakRssMb)))} MB  (runs: ${extrasRuns.with.map((result) => result.ms).join(', ')} vs ${extrasRuns.without.map((result) => result.ms).join(', ')} ms)`)

print(`\n# Memory: peak RSS of the exporting process, median of ${runs} runs (range), 10,000 vs ${count(big)} messages (the ${count(big)} figures from the runs above)`)
const peaksOf = (key: string, field: string) => results.get(key)!.map((result) => Number(result[field]))
for (const { corpus, format } of variants.filter((variant) => variant.format !== 'baseline' && variant.corpus !== 'rich-no-md')) {
  const smallRuns = Array.from({ length: runs }, () => child('export-once.ts', format, 10_000, corpus)[0])
  const smallRss = smallRuns.map((result) => Number(result.peakRssMb))
  const small = median(smallRss)
  const key = `${corpus}/${format}`
  const large = rssOf(key)
  const heap = `V8 heap ${median(smallRuns.map((result) => Number(result.peakHeapMb)))} → ${median(peaksOf(key, 'peakHeapMb'))} MB`
  print(`  ${key.padEnd(12)} 10k: ${small} MB (${rssRange(smallRss)})   ${count(big)}: ${large} MB (${rssRange(peaksOf(key, 'peakRssMb'))})   difference ${large - small} MB   (the baseline's process: ${rssOf(`${corpus}/baseline`)} MB)   target ≤ 150 MB and ≤ 30 MB more — ${verdict(large <= 150 && large - small <= 30)}   (${heap})`)
}

print(`\n# Responsiveness: GET /ping while four HTML exports of ${count(responsivenessMessages)} messages run at once`)
const latency = child('responsiveness.ts', responsivenessMessages, 4)[0]
print(`  idle  median ${latency.idleMedianMs} ms, p99 ${latency.idleP99Ms} ms, max ${latency.idleMaxMs} ms`)
print(`  busy  median ${latency.busyMedianMs} ms, p99 ${latency.busyP99Ms} ms, max ${latency.busyMaxMs} ms  (${latency.requests} requests)`)
print(`  event-loop delay (monitorEventLoopDelay, 5 ms timer): idle p99 ${latency.idleLoopDelayP99Ms} ms; busy p99 ${latency.loopDelayP99Ms} ms, max ${latency.loopDelayMaxMs} ms`)
print(`  targets: busy p99 ≤ 2× idle p99 — ${verdict(Number(latency.busyP99Ms) <= 2 * Number(latency.idleP99Ms))}; max < 50 ms — ${verdict(Number(latency.busyMaxMs) < 50)}`)

print(`\n# Zip writer: ${zipMegabytes} MB of export text zipped by each candidate`)
const writers = child('zip-writers.ts', zipMegabytes)
const floor = Number(writers.find((writer) => writer.writer === 'zlib+crc32')!.ms)
for (const writer of writers) print(`  ${String(writer.writer).padEnd(11)} ${String(writer.ms).padStart(6)} ms  ${(Number(writer.ms) / floor).toFixed(2)}× the zlib+crc32 floor  ${count(Number(writer.bytes))} bytes`)

print(`\n# Mongo backend on FerretDB v1.24.2 (SQLite), the room beside a neighbour room as busy: ${mongoSizes.map(count).join(', ')} messages`)
const mongoTimes: number[] = []
for (const size of mongoSizes) {
  for (const result of child('mongo-throughput.ts', size, size === mongoSizes[0] ? 'compare' : 'no-compare')) {
    if (result.format === 'reads') {
      print(`  reads  ${count(size)}: one cursor ${result.cursorMs} ms, Rocket.Chat's skip pages ${result.skipMs} ms — ${result.ratio}× (goal ≥ 10× — ${verdict(Number(result.ratio) >= 10)})`)
    } else {
      if (result.format === 'json') mongoTimes.push(Number(result.ms))
      print(`  ${String(result.format).padEnd(5)}  ${count(size)}: ${result.ms} ms  ${result.messagesPerSecond} msg/s (target ≥ 5,000 — ${verdict(Number(String(result.messagesPerSecond).replace(/,/g, '')) >= 5000)})`)
    }
  }
}
for (let index = 1; index < mongoSizes.length; index++) {
  const roomRatio = mongoSizes[index] / mongoSizes[index - 1]
  const timeRatio = mongoTimes[index] / mongoTimes[index - 1]
  const limit = roomRatio * 1.15
  print(`  growth ${count(mongoSizes[index - 1])} → ${count(mongoSizes[index])}: ${roomRatio.toFixed(1)}× the room, ${timeRatio.toFixed(2)}× the time (target ≤ ${limit.toFixed(2)}× — ${verdict(timeRatio <= limit)})`)
}
