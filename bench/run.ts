/**
 * `npm run bench`: every figure of SPEC §5 measured in one run, medians of
 * several runs and ratios against a baseline measured alongside. Each export
 * runs in a process of its own so its peak RSS is its own.
 *
 * Sizes: BENCH_MESSAGES (memory check, default 1,000,000), BENCH_THROUGHPUT_MESSAGES
 * (default 200,000), BENCH_MONGO_MESSAGES (FerretDB, sizes, default 20000,50000), BENCH_RUNS (default 3).
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const big = Number(process.env.BENCH_MESSAGES ?? 1_000_000)
const throughputMessages = Number(process.env.BENCH_THROUGHPUT_MESSAGES ?? 200_000)
const mongoSizes = (process.env.BENCH_MONGO_MESSAGES ?? '20000,50000').split(',').map(Number)
const runs = Number(process.env.BENCH_RUNS ?? 3)

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url))
function child (name: string, ...args: (string | number)[]): Record<string, number | string>[] {
  const output = execFileSync(tsx, [script(name), ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 })
  return output.trim().split('\n').map((line) => JSON.parse(line))
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const print = (line: string) => { process.stdout.write(`${line}\n`) }

print(`# Throughput: ${throughputMessages.toLocaleString('en')} synthetic messages, median of ${runs} runs`)
const times: Record<string, number[]> = { baseline: [], json: [], html: [] }
for (let run = 0; run < runs; run++) {
  // interleaved, so drift on a noisy machine hits every variant alike
  for (const format of Object.keys(times)) times[format].push(Number(child('export-once.ts', format, throughputMessages)[0].ms))
}
const baselineMs = median(times.baseline)
for (const format of Object.keys(times)) {
  const ms = median(times[format])
  print(`  ${format.padEnd(8)} ${String(ms).padStart(6)} ms  ${Math.round(throughputMessages / ms * 1000).toLocaleString('en').padStart(9)} msg/s  ${(ms / baselineMs).toFixed(2)}× baseline  (runs: ${times[format].join(', ')} ms)`)
}
print('  targets: json within 1.5× the baseline, html within 2.5×')

print(`\n# Memory: peak RSS of the exporting process, 10,000 vs ${big.toLocaleString('en')} messages`)
for (const format of ['json', 'html']) {
  const small = child('export-once.ts', format, 10_000)[0]
  const large = child('export-once.ts', format, big)[0]
  print(`  ${format.padEnd(5)} 10k: ${small.peakRssMb} MB   ${big.toLocaleString('en')}: ${large.peakRssMb} MB (${large.ms} ms)   difference ${Number(large.peakRssMb) - Number(small.peakRssMb)} MB`)
}
print('  targets: under 200 MB, and within 30 MB of the 10k export')

print(`\n# Responsiveness: GET /ping latency while an HTML export of ${throughputMessages.toLocaleString('en')} messages runs`)
const latency = child('responsiveness.ts', throughputMessages)[0]
print(`  idle  median ${latency.idleMedianMs} ms, p99 ${latency.idleP99Ms} ms`)
print(`  busy  median ${latency.busyMedianMs} ms, p99 ${latency.busyP99Ms} ms  (${latency.requests} requests during the export)`)

print(`\n# Mongo backend on FerretDB v1.24.2 (SQLite), the room beside a neighbour room as busy: ${mongoSizes.map((size) => size.toLocaleString('en')).join(', ')} messages`)
const mongoTimes: number[] = []
for (const size of mongoSizes) {
  for (const result of child('mongo-throughput.ts', size)) {
    if (result.format === 'reads') {
      print(`  reads  ${size.toLocaleString('en')}: one cursor ${result.cursorMs} ms, Rocket.Chat's skip pages ${result.skipMs} ms — ${result.ratio}× (goal ≥ 10×)`)
    } else {
      if (result.format === 'json') mongoTimes.push(Number(result.ms))
      print(`  ${String(result.format).padEnd(5)}  ${size.toLocaleString('en')}: ${result.ms} ms  ${result.messagesPerSecond} msg/s (target ≥ 5,000)`)
    }
  }
}
for (let index = 1; index < mongoSizes.length; index++) {
  const roomRatio = mongoSizes[index] / mongoSizes[index - 1]
  const timeRatio = mongoTimes[index] / mongoTimes[index - 1]
  print(`  growth ${mongoSizes[index - 1].toLocaleString('en')} → ${mongoSizes[index].toLocaleString('en')}: ${roomRatio.toFixed(1)}× the room, ${timeRatio.toFixed(2)}× the time (target ≤ ${(roomRatio * 1.15).toFixed(2)}×)`)
}
