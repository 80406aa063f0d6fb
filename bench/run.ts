/**
 * `npm run bench`: every figure of SPEC §5 and of the performance issue,
 * measured in one run, each with its target beside it: medians of several
 * runs, and ratios against a baseline measured alongside — each ratio the
 * median of the runs' own ratios (run i over run i's baseline: the runs are
 * interleaved, so a pair shared the machine's state). Each export runs in a
 * process of its own so its peak RSS is its own; its figures are per message
 * it reports exporting, and a run that exports another count than asked fails.
 *
 * Sizes: BENCH_MESSAGES (throughput and memory, default 1,000,000),
 * BENCH_RUNS (default 3), BENCH_RESPONSIVENESS_MESSAGES (each of four
 * concurrent exports, default 200,000), BENCH_MONGO_MESSAGES (FerretDB,
 * default 20000,50000,100000), BENCH_MONGO_RUNS (default 3),
 * BENCH_ZIP_MEGABYTES (default 200). BENCH_SECTIONS runs some sections only.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const big = Number(process.env.BENCH_MESSAGES ?? 1_000_000)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const responsivenessMessages = Number(process.env.BENCH_RESPONSIVENESS_MESSAGES ?? 200_000)
const mongoSizes = (process.env.BENCH_MONGO_MESSAGES ?? '20000,50000,100000').split(',').map(Number)
const mongoRuns = Number(process.env.BENCH_MONGO_RUNS ?? 3)
const zipMegabytes = Number(process.env.BENCH_ZIP_MEGABYTES ?? 200)

const esbuild = fileURLToPath(new URL('../node_modules/.bin/esbuild', import.meta.url))
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url))

// The measured processes run plain JavaScript, as a host does: bundled by esbuild (packages stay
// external), without tsx, whose loader alone would add ~60 MB to every peak RSS and start the HTML
// render worker through its loader too. The worker's entry is built beside them, where the bundled
// plugin looks for it.
const built = ['export-once.ts', 'responsiveness.ts', 'ping-client.ts', 'zip-writers.ts', 'mongo-throughput.ts', 'parser.ts', 'pathological.ts', 'highlight.ts', 'ready-rss.ts', 'utf8-chunks.ts']
const bundle = (source: string, output: string) => {
  execFileSync(esbuild, [source, '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', `--outfile=${script(`.build/${output}`)}`, '--log-level=warning'])
}
for (const name of built) bundle(script(name), name.replace(/\.ts$/, '.mjs'))
bundle(fileURLToPath(new URL('../lib/render/html-worker-thread.ts', import.meta.url)), 'html-worker-thread.js')
/** A measured process's JSON lines. */
type Result = Record<string, number | string>
function child (name: string, ...args: (string | number)[]): Result[] {
  return childWith([], name, ...args)
}
function childWith (nodeFlags: string[], name: string, ...args: (string | number)[]): Result[] {
  const output = execFileSync(process.execPath, [...nodeFlags, script(`.build/${name.replace(/\.ts$/, '.mjs')}`), ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 })
  return output.trim().split('\n').map((line) => JSON.parse(line))
}
/** The middle value; for an even count, the mean of the two middle ones. */
function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}
/** The median of run i's value over run i's baseline: interleaved runs pair up, each pair under one state of the machine. */
function pairedRatio (values: number[], baselines: number[]): number {
  if (values.length !== baselines.length) throw new Error(`${values.length} runs paired with ${baselines.length}`)
  return median(values.map((value, index) => value / baselines[index]))
}
const range = (values: number[]) => `${Math.min(...values)}–${Math.max(...values)}`
/** A median of whole numbers, which may end in .5. */
const figure = (value: number) => String(Number(value.toFixed(1)))
/** A difference, with its sign: +3, −1. */
const signed = (value: number) => value < 0 ? `−${figure(-value)}` : `+${figure(value)}`
const print = (line: string) => { process.stdout.write(`${line}\n`) }
const count = (value: number) => value.toLocaleString('en')
const verdict = (ok: boolean) => ok ? 'met' : 'NOT MET'
/** Uploads among a rich corpus's first `messages` (bench/synthetic.ts: message 50 of every hundred). */
const uploadsIn = (messages: number) => Math.max(0, Math.ceil((messages - 50) / 100))

/**
 * One export in a fresh process (bench/export-once.ts), checked: its figures are per message it
 * reports exporting, so one that exported another count than asked — or, on a rich corpus, did
 * not archive every upload — fails the run rather than pass as faster.
 */
function exportOnce (format: string, messages: number, corpus: string, ...flags: string[]): Result {
  return exportOnceWith([], format, messages, corpus, ...flags)
}
/** `exportOnce` in a process started with `nodeFlags` (a host's V8 settings). */
function exportOnceWith (nodeFlags: string[], format: string, messages: number, corpus: string, ...flags: string[]): Result {
  const [result] = childWith(nodeFlags, 'export-once.ts', format, messages, corpus, ...flags)
  const what = `${corpus}/${format}${flags.map((flag) => ` ${flag}`).join('')} of ${count(messages)}`
  if (Number(result.messages) !== messages) throw new Error(`${what}: the export reports ${result.messages} messages`)
  const uploads = format === 'baseline' || corpus === 'plain' ? 0 : uploadsIn(messages)
  if (Number(result.uploads) !== uploads) throw new Error(`${what}: ${result.uploads} uploads archived of ${uploads}`)
  return result
}
const numbers = (results: Result[], field: string) => results.map((result) => Number(result[field]))
/** Messages a second of each run, by the count each export reports. */
const rates = (results: Result[]) => results.map((result) => Number(result.messages) / Number(result.ms) * 1000)

/** `BENCH_SECTIONS=throughput,zip` runs only those sections (all by default): parser, highlight, slow, utf8, throughput (with the extras and memory), ready, responsiveness, zip, mongo. */
const sections = process.env.BENCH_SECTIONS?.split(',').map((name) => name.trim())
const section = (name: string) => sections === undefined || sections.includes(name)

if (section('parser')) {
  print('# Markup parser alone: ours (lib/markup/) against Rocket.Chat\'s, 50,000 distinct realistic messages (bench/texts.ts), one at a time')
  const parsed = child('parser.ts', 50_000)
  const [ours, theirs] = ['ours', 'rocketchat'].map((name) => parsed.find((result) => result.parser === name)!)
  // The speed-up text by text: the median of each text's Rocket.Chat time over its time in ours.
  const speedup = Number(parsed.find((result) => result.pairedSpeedup !== undefined)!.pairedSpeedup)
  print(`  median ${ours.medianMicroseconds} µs a message against Rocket.Chat's ${theirs.medianMicroseconds} µs; per text (median of each text's ratio): ${speedup.toFixed(1)}× (target ≥ 15× — ${verdict(speedup >= 15)}); in total ${ours.totalMs} against ${theirs.totalMs} ms (${(Number(theirs.totalMs) / Number(ours.totalMs)).toFixed(1)}×)`)
  for (const soup of parsed.filter((result) => result.soup !== undefined)) {
    print(`  ${JSON.stringify(soup.soup).padEnd(6)} × 10 KB: ours ${soup.oursMs10k} ms, Rocket.Chat's ${soup.rocketchatMs10k} ms; × 100 KB: ours ${soup.oursMs100k} ms`)
  }
  print('  parse cache: none — every text parsed is parsed (the cache of 2,048 texts it replaced was answering the old bench\'s dozen repeated texts)\n')
}

if (section('highlight')) {
  print('# Code highlighting (highlight.js, at export time): 20,000 distinct code blocks in four languages, one at a time, to the page and to the mail (plain)')
  // --expose-gc: it collects before reading the heap highlight.js takes (never while timing).
  const [highlighting] = childWith(['--expose-gc'], 'highlight.ts', 20_000)
  print(`  median ${highlighting.highlightedMedianMicroseconds} µs a block highlighted against ${highlighting.plainMedianMicroseconds} µs plain (${highlighting.ratio}×, the median of each block's ratio); highlight.js's common languages take ${highlighting.highlighterHeapMb} MB of heap once loaded (only by an export with a code block naming a language)\n`)
}

if (section('slow')) {
  print('# Messages written to be slow, in a fresh process (what held the event loop, or never finished, under Rocket.Chat\'s parser)')
  for (const result of child('pathological.ts')) {
    if (result.export === 'email') {
      const goal = result.run === 'first' ? 'the process\'s first export: loads the templates and the parser, V8 compiles it' : `goal ≤ 50 ms — ${verdict(Number(result.longestGapMs) <= 50)}`
      print(`  email of ${result.messages} messages, text and attachment description each 5,000 \`*\`, ${result.run} export: answered in ${result.ms} ms (target < 2 s — ${verdict(Number(result.ms) < 2000)}); the event loop held at most ${result.longestGapMs} ms (a 5 ms timer's longest wait; ${goal})`)
    } else {
      print(`  ${String(result.export).toUpperCase().padEnd(4)} file export of ${result.messages} messages of 100 KB delimiter soups (*, _, ~, \`, [, a_, <t:, _*~): ${result.ms} ms (target < 5 s — ${verdict(Number(result.ms) < 5000)})`)
    }
  }
  print('')
}

if (section('utf8')) {
  print('# Rendered text to UTF-8: 200,000 messages\' JSON gathered by += into 64 KB strings, each encoded at once, against Utf8Chunks (lib/render/utf8-chunks.ts: 16 KB at a time into the chunk); best of 5, the same bytes')
  for (const corpus of ['rich', 'plain']) {
    const [encoding] = childWith(['--expose-gc'], 'utf8-chunks.ts', corpus, 200_000)
    const speedup = Number(encoding.stringsMs) / Number(encoding.chunksMs)
    print(`  ${corpus.padEnd(5)} ${encoding.megabytes} MB: 64 KB strings ${encoding.stringsMs} ms, Utf8Chunks ${encoding.chunksMs} ms (${speedup.toFixed(1)}×)${corpus === 'rich' ? ' — a string holding one character beyond Latin-1 is flattened to two bytes a character, then transcoded' : ''}`)
  }
  print('')
}

if (section('throughput')) {
  // Each corpus against its own baseline (the same messages stringified and gzipped). HTML on the main
  // thread (`renderInWorker: false`) runs beside the worker's, in the same interleaved runs.
  interface Variant { corpus: string, format: string, mainThread?: boolean, target: number | null }
  const variants: Variant[] = [
    { corpus: 'plain', format: 'baseline', target: null },
    { corpus: 'plain', format: 'json', target: 1.0 },
    { corpus: 'plain', format: 'html', target: 2.0 },
    { corpus: 'plain', format: 'html', mainThread: true, target: null },
    { corpus: 'rich', format: 'baseline', target: null },
    { corpus: 'rich', format: 'json', target: 1.0 },
    { corpus: 'rich', format: 'html', target: 2.5 },
    { corpus: 'rich-no-md', format: 'baseline', target: null },
    { corpus: 'rich-no-md', format: 'html', target: 2.5 }
  ]
  const keyOf = ({ corpus, format, mainThread }: Variant) => `${corpus}/${format}${mainThread === true ? ' main-thread' : ''}`
  print(`# Throughput and memory: ${count(big)} messages per export, median of ${runs} interleaved runs; each ratio the median of the runs' own ratios`)
  print('  corpora: plain (synthetic words); rich (Rocket.Chat-shaped: ~30 % markup with stored md, mentions, emoji, links, quotes, threads, 1 % uploads of 48 KB archived, 3 % system messages, 1 % each code blocks, formulas and custom emoji, avatars for three people in four); rich-no-md (the same, parsed by the export)')
  const results = new Map<string, Result[]>(variants.map((variant) => [keyOf(variant), []]))
  for (let run = 0; run < runs; run++) {
    for (const variant of variants) results.get(keyOf(variant))!.push(exportOnce(variant.format, big, variant.corpus, ...(variant.mainThread === true ? ['main-thread'] : [])))
  }
  const msOf = (key: string) => numbers(results.get(key)!, 'ms')
  const rssOf = (key: string) => median(numbers(results.get(key)!, 'peakRssMb'))
  for (const variant of variants) {
    const key = keyOf(variant)
    const { target } = variant
    const ms = msOf(key)
    const ratio = pairedRatio(ms, msOf(`${variant.corpus}/baseline`))
    const goal = target === null ? '' : `target ≤ ${target.toFixed(1)}× — ${verdict(ratio <= target)}`
    // The main thread's figure beside the worker's: its time over the worker's, run by run.
    const beside = variant.mainThread === true ? `renderInWorker: false, ${pairedRatio(ms, msOf(keyOf({ ...variant, mainThread: false }))).toFixed(2)}× the worker's time` : ''
    const uploads = variant.format === 'baseline' || variant.corpus === 'plain' ? '' : `  ${count(Number(results.get(key)![0].uploads))} uploads archived`
    print(`  ${key.padEnd(22)} ${figure(median(ms)).padStart(7)} ms ${count(Math.round(median(rates(results.get(key)!)))).padStart(9)} msg/s  ${ratio.toFixed(2)}× baseline  peak RSS ${figure(rssOf(key))} MB  ${goal}${beside}${uploads}  (runs: ${ms.join(', ')} ms)`)
  }

  const extrasMessages = Math.min(big, 200_000)
  print(`\n# What the rich corpus's pictures, code and formulas cost: rich HTML, ${count(extrasMessages)} messages, with them and without (median of ${runs} interleaved runs; the ratio and difference: medians of the runs' own)`)
  print('  with: avatars for 30 of 40 people (200 px PNGs, each read twice: to name it, then to archive it), 1 % messages with a :party_parrot: custom emoji, 1 % JavaScript code blocks highlighted, 1 % KaTeX formulas — within the export\'s 1 s budget for code and formulas; both with the 1 % uploads')
  const extrasRuns = { with: [] as Result[], without: [] as Result[] }
  for (let run = 0; run < runs; run++) {
    extrasRuns.with.push(exportOnce('html', extrasMessages, 'rich'))
    extrasRuns.without.push(exportOnce('html', extrasMessages, 'rich', 'no-extras'))
  }
  const [extrasMs, bareMs] = [numbers(extrasRuns.with, 'ms'), numbers(extrasRuns.without, 'ms')]
  const extrasCost = median(extrasMs.map((ms, index) => ms - bareMs[index]))
  print(`  with ${figure(median(extrasMs))} ms, without ${figure(median(bareMs))} ms: ${pairedRatio(extrasMs, bareMs).toFixed(2)}× (${figure(extrasCost)} ms for ${count(extrasMessages / 100)} code blocks, as many formulas and emoji, and 30 avatars); peak RSS ${figure(median(numbers(extrasRuns.with, 'peakRssMb')))} vs ${figure(median(numbers(extrasRuns.without, 'peakRssMb')))} MB  (runs: ${extrasMs.join(', ')} vs ${bareMs.join(', ')} ms)`)

  print(`\n# Memory: peak RSS of the exporting process, median of ${runs} runs (range), 10,000 vs ${count(big)} messages (the ${count(big)} figures from the runs above)`)
  const peaksOf = (key: string, field: string) => numbers(results.get(key)!, field)
  // The baseline's own process at 10k as well: how much of the growth to 1M is the host's (V8 sizing
  // its heap over a long run of allocation, the generated messages), which no export can take back.
  const baselineAt10k = new Map(['plain', 'rich'].map((corpus) => [corpus, median(Array.from({ length: runs }, () => Number(exportOnce('baseline', 10_000, corpus).peakRssMb)))]))
  for (const variant of variants.filter(({ format, corpus, mainThread }) => format !== 'baseline' && corpus !== 'rich-no-md' && mainThread !== true)) {
    const { corpus, format } = variant
    const smallRuns = Array.from({ length: runs }, () => exportOnce(format, 10_000, corpus))
    const smallRss = numbers(smallRuns, 'peakRssMb')
    const small = median(smallRss)
    const key = keyOf(variant)
    const large = rssOf(key)
    const baselineSmall = baselineAt10k.get(corpus)!
    const baselineLarge = rssOf(`${corpus}/baseline`)
    const heap = `V8 heap ${figure(median(numbers(smallRuns, 'peakHeapMb')))} → ${figure(median(peaksOf(key, 'peakHeapMb')))} MB`
    print(`  ${key.padEnd(12)} 10k: ${figure(small)} MB (${range(smallRss)})   ${count(big)}: ${figure(large)} MB (${range(peaksOf(key, 'peakRssMb'))})   difference ${figure(large - small)} MB   (the baseline's own process: ${figure(baselineSmall)} → ${figure(baselineLarge)} MB, ${signed(baselineLarge - baselineSmall)} MB)   target ≤ 150 MB and ≤ 30 MB more — ${verdict(large <= 150 && large - small <= 30)}   (${heap})`)
  }
  // Most of the growth is the host's main-thread heap, sized by V8 (its young generation grows to
  // its maximum over any long run of allocation; its old one collects late): what a host that
  // bounds V8 gets, for the heaviest export. Not the targets' configuration: a plugin cannot set these.
  const hostFlags = ['--max-old-space-size=256', '--max-semi-space-size=4']
  const bounded = Array.from({ length: runs }, () => exportOnceWith(hostFlags, 'html', big, 'rich'))
  const boundedRss = numbers(bounded, 'peakRssMb')
  print(`  rich/html in a host run with node ${hostFlags.join(' ')}: ${count(big)}: ${figure(median(boundedRss))} MB (${range(boundedRss)}), V8 heap ${figure(median(numbers(bounded, 'peakHeapMb')))} MB, ${figure(median(numbers(bounded, 'ms')))} ms (without the flags, above: ${figure(rssOf('rich/html'))} MB, ${figure(median(msOf('rich/html')))} ms)`)
}

if (section('ready')) {
  print(`\n# Memory at ready(): a fresh process with Fastify and the plugin on the in-memory backend, lazy loading as shipped, median of ${runs} processes (range)`)
  const ready = Array.from({ length: runs }, () => child('ready-rss.ts')[0])
  print(`  RSS ${figure(median(numbers(ready, 'rssMb')))} MB (${range(numbers(ready, 'rssMb'))}), V8 heap used ${figure(median(numbers(ready, 'heapUsedMb')))} MB; with everything loaded up front: not measured — the plugin has no supported way to load it at start`)
}

if (section('responsiveness')) {
  print(`\n# Responsiveness: GET /ping while four HTML exports of ${count(responsivenessMessages)} messages run at once`)
  const latency = child('responsiveness.ts', responsivenessMessages, 4)[0]
  print(`  idle  median ${latency.idleMedianMs} ms, p99 ${latency.idleP99Ms} ms, max ${latency.idleMaxMs} ms`)
  print(`  busy  median ${latency.busyMedianMs} ms, p99 ${latency.busyP99Ms} ms, max ${latency.busyMaxMs} ms  (${latency.requests} requests)`)
  print(`  event-loop delay (monitorEventLoopDelay, 5 ms timer): idle p99 ${latency.idleLoopDelayP99Ms} ms; busy p99 ${latency.loopDelayP99Ms} ms, max ${latency.loopDelayMaxMs} ms`)
  const busyOverIdle = Number(latency.busyP99Ms) / Number(latency.idleP99Ms)
  print(`  busy p99 ${busyOverIdle.toFixed(2)}× idle p99 (one run); targets: busy p99 ≤ 2× idle p99 — ${verdict(busyOverIdle <= 2)}; max < 50 ms — ${verdict(Number(latency.busyMaxMs) < 50)}`)
}

if (section('zip')) {
  print(`\n# Zip writer: ${zipMegabytes} MB of export text zipped by each candidate (one run each), every zip read back (yauzl: one entry, its size and CRC-32, inflated)`)
  const writers = child('zip-writers.ts', zipMegabytes)
  const floor = Number(writers.find((writer) => writer.writer === 'floor')!.ms)
  const writerNames: Record<string, string> = { own: 'own (lib/export/zip-writer.ts)', yazl: 'yazl', fflate: 'fflate', floor: 'floor: zlib+crc32, no zip' }
  for (const writer of writers) {
    const check = writer.entries === undefined ? 'not a zip, not read back' : `read back: ${writer.entries} entry, ${count(Number(writer.size))} bytes, CRC-32 ${Number(writer.crc32).toString(16)} — the input's`
    print(`  ${writerNames[writer.writer].padEnd(30)} ${String(writer.ms).padStart(6)} ms  ${(Number(writer.ms) / floor).toFixed(2)}× the floor  ${count(Number(writer.bytes)).padStart(12)} bytes  ${check}`)
  }
}

if (section('mongo')) {
  print(`\n# Mongo backend on FerretDB v1.24.2 (SQLite), the room beside a neighbour room as busy: ${mongoSizes.map(count).join(', ')} messages, median of ${mongoRuns} interleaved runs (range); growth: the median of the runs' own ratios`)
  // Interleaved as the exports above: run i of every size back to back, so a growth ratio compares
  // two exports under one state of the machine. Each run of the smallest size also times the reads.
  const mongoResults = new Map<number, Result[][]>(mongoSizes.map((size) => [size, []]))
  for (let run = 0; run < mongoRuns; run++) {
    for (const size of mongoSizes) mongoResults.get(size)!.push(child('mongo-throughput.ts', size, size === mongoSizes[0] ? 'compare' : 'no-compare'))
  }
  /** Each run's line of `format` at `size`, its count checked as the exports' above are. */
  const mongoRunsOf = (size: number, format: string) => mongoResults.get(size)!.map((lines) => {
    const result = lines.find((line) => line.format === format)!
    if (format !== 'reads' && Number(result.messages) !== size) throw new Error(`FerretDB ${format} of ${count(size)}: the export reports ${result.messages} messages`)
    return result
  })
  const reads = mongoRunsOf(mongoSizes[0], 'reads')
  const readRatios = numbers(reads, 'ratio')
  print(`  reads  ${count(mongoSizes[0])}: one cursor ${figure(median(numbers(reads, 'cursorMs')))} ms (${range(numbers(reads, 'cursorMs'))}), Rocket.Chat's skip pages ${figure(median(numbers(reads, 'skipMs')))} ms (${range(numbers(reads, 'skipMs'))}) — ${figure(median(readRatios))}× (${range(readRatios)}; goal ≥ 10× — ${verdict(median(readRatios) >= 10)})`)
  for (const size of mongoSizes) {
    for (const format of ['json', 'html']) {
      const sizeRuns = mongoRunsOf(size, format)
      const perSecond = rates(sizeRuns).map(Math.round)
      print(`  ${format.padEnd(5)}  ${count(size)}: ${figure(median(numbers(sizeRuns, 'ms')))} ms (${range(numbers(sizeRuns, 'ms'))})  ${count(Math.round(median(perSecond)))} msg/s (${count(Math.min(...perSecond))}–${count(Math.max(...perSecond))}; target ≥ 5,000 — ${verdict(median(perSecond) >= 5000)})`)
    }
  }
  for (let index = 1; index < mongoSizes.length; index++) {
    const roomRatio = mongoSizes[index] / mongoSizes[index - 1]
    const timeRatios = numbers(mongoRunsOf(mongoSizes[index], 'json'), 'ms').map((ms, run) => ms / Number(mongoRunsOf(mongoSizes[index - 1], 'json')[run].ms))
    const timeRatio = median(timeRatios)
    const limit = roomRatio * 1.15
    print(`  growth ${count(mongoSizes[index - 1])} → ${count(mongoSizes[index])} (JSON): ${roomRatio.toFixed(1)}× the room, ${timeRatio.toFixed(2)}× the time (runs ${timeRatios.map((ratio) => ratio.toFixed(2)).join(', ')}; target ≤ ${limit.toFixed(2)}× — ${verdict(timeRatio <= limit)})`)
  }
}
