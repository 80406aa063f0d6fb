/**
 * What highlighting code blocks costs a page: distinct code blocks (a
 * numbered template in four languages, 3–12 lines each) rendered to the page
 * with highlight.js and without (the mail target renders the same block
 * plain), one at a time after a warm-up; median µs per block, the median of
 * the per-block ratios (block i highlighted over block i plain), and the heap
 * highlight.js's common languages take once loaded.
 *   tsx bench/highlight.ts [blocks]
 * Prints JSON lines.
 */
import { loadMarkupParser, renderMarkup } from '../lib/render/markup.ts'

const count = Number(process.argv[2] ?? 20_000)
// A budget without end: the per-block cost is what is measured (an export stops highlighting once it
// has spent its 1 s). Without a budget the page target highlights nothing, as an email does.
const context = { mentionName: () => undefined, timestamp: (instant: Date) => instant.toISOString(), budget: { remainingMs: Number.POSITIVE_INFINITY } }

const templates: Array<(n: number) => string> = [
  (n) => `\`\`\`js\nconst total${n} = items.filter((item) => item.price > ${n % 97}).reduce((sum, item) => sum + item.price, 0)\nconsole.log(\`total ${n}: \${total${n}}\`)\n\`\`\``,
  (n) => `\`\`\`python\ndef handler_${n}(event, context):\n    # retry up to ${n % 7} times\n    for attempt in range(${n % 7}):\n        result = call("svc-${n}", timeout=${n % 30})\n        if result.ok:\n            return result.json()\n    raise RuntimeError("gave up on ${n}")\n\`\`\``,
  (n) => `\`\`\`sql\nSELECT u.id, count(*) AS orders_${n}\nFROM users u JOIN orders o ON o.user_id = u.id\nWHERE o.created_at > now() - interval '${n % 90} days'\nGROUP BY u.id HAVING count(*) > ${n % 13};\n\`\`\``,
  (n) => `\`\`\`bash\nfor f in logs/app-${n}-*.log; do\n  grep -c "ERROR ${n}" "$f" || true\ndone | sort -n | tail -${n % 20 + 1}\n\`\`\``
]
const block = (index: number) => templates[index % templates.length](index)
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

await loadMarkupParser()
function timings (target: 'page' | 'mail', offset: number): number[] {
  const times = new Array<number>(count)
  for (let index = 0; index < count; index++) {
    const text = block(offset + index)
    const start = performance.now()
    renderMarkup(text, undefined, target, context)
    times[index] = performance.now() - start
  }
  return times
}
// Heap before and after highlight.js loads (on the first page block), each after a full collection when exposed.
const heap = () => { (globalThis as { gc?: () => void }).gc?.(); return process.memoryUsage().heapUsed }
timings('mail', 10_000_000)
const before = heap()
renderMarkup(block(0), undefined, 'page', context)
const loaded = heap() - before
timings('page', 10_000_000)
const plain = timings('mail', 0)
const highlighted = timings('page', 0)
process.stdout.write(`${JSON.stringify({ blocks: count, plainMedianMicroseconds: Number((median(plain) * 1000).toFixed(1)), highlightedMedianMicroseconds: Number((median(highlighted) * 1000).toFixed(1)), ratio: Number(median(highlighted.map((time, index) => time / plain[index])).toFixed(2)), highlighterHeapMb: Number((loaded / 1048576).toFixed(1)) })}\n`)
