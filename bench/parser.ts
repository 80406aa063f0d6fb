/**
 * The markup parser alone, ours against Rocket.Chat's (`@rocket.chat/message-parser`,
 * a development dependency): the same distinct realistic texts, one at a
 * time, after a warm-up; median µs per message and the total, and the median
 * of the per-text ratios (Rocket.Chat's time over ours). Then 100 KB of
 * delimiters, which Rocket.Chat's parser takes quadratic time on.
 *   tsx bench/parser.ts [messages]
 * Prints JSON lines.
 */
import { parse } from '@rocket.chat/message-parser'
import { parseMarkup } from '../lib/markup/parser.ts'
import { realisticText } from './texts.ts'

const count = Number(process.argv[2] ?? 50_000)
const options = { emoticons: true, colors: true, katex: { dollarSyntax: true, parenthesisSyntax: true } }
const parsers = {
  ours: (text: string) => parseMarkup(text),
  rocketchat: (text: string) => parse(text, options)
}

function timings (run: (text: string) => unknown, offset: number): number[] {
  const times = new Array<number>(count)
  for (let index = 0; index < count; index++) {
    const text = realisticText(offset + index)
    const start = performance.now()
    run(text)
    times[index] = performance.now() - start
  }
  return times
}
/** The middle value; for an even count (50,000 texts), the mean of the two middle ones. */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

for (const run of Object.values(parsers)) timings(run, 10_000_000)
const times = { ours: timings(parsers.ours, 0), rocketchat: timings(parsers.rocketchat, 0) }
for (const [name, parserTimes] of Object.entries(times)) {
  process.stdout.write(`${JSON.stringify({ parser: name, messages: count, medianMicroseconds: Number((median(parserTimes) * 1000).toFixed(2)), totalMs: Math.round(parserTimes.reduce((a, b) => a + b, 0)) })}\n`)
}
// The speed-up text by text: each text's time in Rocket.Chat's parser over its time in ours, the
// median of those (a ratio of the two medians would compare two different texts' times).
process.stdout.write(`${JSON.stringify({ pairedSpeedup: Number(median(times.rocketchat.map((theirs, index) => theirs / times.ours[index])).toFixed(2)) })}\n`)

// 100 KB of a delimiter: Rocket.Chat's parser only on 10 KB (100 KB takes it minutes).
for (const unit of ['*', '_', '[', 'a_', '<t:']) {
  const time = (run: (text: string) => unknown, size: number) => {
    const text = unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
    const start = performance.now()
    run(text)
    return Math.round(performance.now() - start)
  }
  process.stdout.write(`${JSON.stringify({ soup: unit, oursMs10k: time(parsers.ours, 10_000), oursMs100k: time(parsers.ours, 100_000), rocketchatMs10k: time(parsers.rocketchat, 10_000) })}\n`)
}
