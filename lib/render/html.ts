import type { DateLabels } from '../time/locale.ts'
import type { ExportMessage } from '../model.ts'
import type { ExportContext } from '../schemas.ts'
import { repliesAnchorOf, unknownDayLabel, type MessageRenderer, type MessageView } from './message-view.ts'
import { renderDeletions, renderPageMessages, renderThreadNotes } from './page-messages.ts'
import { pauseIfSliceSpent } from './slices.ts'
import type { Templates } from './templates.ts'
import { Utf8Chunks } from './utf8-chunks.ts'

/**
 * Text gathered before it goes to the zip: 64 KB, as JSON's. It was smaller
 * while it was gathered as strings: what is not yet written stays alive through garbage collections (when it was
 * gathered as strings, a rope of many small ones, and the views behind it),
 * and a long export then grows the heap with what those collections
 * promote — 16 KB and runs of 20 messages
 * kept the render worker's heap at 33 MB over a million messages, 64 KB and
 * runs of 100 let it grow to 62 MB, in the same time. Each chunk is a message
 * from the render worker and an acknowledgement back: 32 KB (with batches of
 * 128 messages and the worker's young generation at 8 MB) took a 1M-message
 * plain export from 2.48× the baseline to 1.89× (median of 3 paired runs by
 * hand; `npm run bench` then printed 1.92×), peak RSS +3 MB.
 * Since the chunks are UTF-8 bytes (no rope of strings kept alive), 64 KB took
 * 300k rich messages without `md` 7.34 → 6.89 s, plain 3.23 → 2.90 s (median
 * of 4 and 3 paired runs), the same peak RSS.
 */
const htmlChunkSize = 64 * 1024

/** The first part's text held while the count is not known (see `headed`): 4 MB of UTF-8 at most. */
const maxHeldBytes = 4 * 1024 * 1024

/** Messages written by one `renderPageMessages` call. */
const messagesPerRun = 20

/**
 * The count of the export's messages, for the parts' labels: `value` settles
 * with it (`undefined`: no count); `waiting` is told when rendering waits on it.
 */
export interface PendingCount {
  value: Promise<number | undefined>
  waiting?: () => void
}

const noCount: PendingCount = { value: Promise.resolve(undefined) }

export interface RenderedPart {
  /** file name inside the archive */
  name: string
  /** its text: strings (a page's head, the index), or UTF-8 already (the rest of a page) */
  chunks: AsyncIterable<string | Uint8Array>
}

export interface PageLabels {
  language: string
  roomTitle: string
  topic: string | null
  range: ExportContext['range']
  rangeFromLabel: string
  rangeToLabel: string
  exportedAt: string
  exportedAtLabel: string
  exportedByLabel: string
}

export function roomTitle (room: ExportContext['room']): string {
  return room.fname ?? room.name ?? room._id
}

export function personLabel (person: { username: string, name?: string }): string {
  return person.name === undefined ? `@${person.username}` : `${person.name} (@${person.username})`
}

export function pageLabels (context: ExportContext, labels: DateLabels): PageLabels {
  const label = (iso: string) => labels.dateTime(new Date(iso))
  return {
    language: labels.language,
    roomTitle: roomTitle(context.room),
    topic: context.room.topic ?? null,
    range: context.range,
    rangeFromLabel: label(context.range.from),
    rangeToLabel: label(context.range.to),
    exportedAt: context.exportedAt,
    exportedAtLabel: label(context.exportedAt),
    exportedByLabel: personLabel(context.exportedBy)
  }
}

interface PartSummary {
  name: string
  number: number
  messageCount: number
  /** the days it has messages of (a message of unknown time counts as a day of its own) */
  dayCount: number
  oneDay: boolean
  from: { iso: string, label: string } | null
  to: { iso: string, label: string } | null
}

/**
 * The HTML export as one or more self-contained pages of at most
 * `messagesPerPart` messages each; `<base>.html`, then `<base>-2.html`, …,
 * and, when there is more than one, `index.html` listing them with their
 * dates. Parts link to their neighbours and to the index by relative href, so
 * they work unzipped from disk. Each part must be read to its end before the
 * next is asked for: they share one pass over `messages` (in batches, as
 * `exportableMessages` reads them).
 */
export async function * renderHtmlParts (
  templates: Templates,
  context: ExportContext,
  messages: AsyncIterable<readonly ExportMessage[]>,
  baseName: string,
  messagesPerPart: number,
  renderer: MessageRenderer,
  labels: DateLabels,
  total: PendingCount = noCount
): AsyncGenerator<RenderedPart> {
  const page = pageLabels(context, labels)
  const partName = (number: number) => number === 1 ? `${baseName}.html` : `${baseName}-${number}.html`
  // The parts there will be, from the count (taken beside the read, see `headed`): every part says "Part 2 of 3".
  // Without a count, or past it (messages added since), a part says its number alone.
  const counted: { known: boolean, total: number | undefined } = { known: false, total: undefined }
  const count = total.value.then((value) => { counted.known = true; counted.total = value })
  // An export that ends before its count does (a failure, an abort) leaves this promise to nobody.
  count.catch(() => {})
  const partLabel = (number: number) => {
    const expectedParts = counted.total === undefined ? null : Math.max(1, Math.ceil(counted.total / messagesPerPart))
    return expectedParts !== null && number <= expectedParts
      ? (expectedParts === 1 ? null : `Part ${number} of ${expectedParts}`)
      : (number === 1 ? null : `Part ${number}`)
  }
  /**
   * The part's text after its head, which names the part ("Part 1 of 3") and
   * so needs the count: the count runs beside the read (FerretDB reads every
   * document to count them), and until it is known the text is held here —
   * at most `maxHeldBytes`, and never past the first part's end: there
   * rendering waits for the count.
   */
  async function * headed (head: () => string, body: AsyncIterable<Uint8Array>): AsyncGenerator<string | Uint8Array> {
    let held: Uint8Array[] | null = []
    let heldBytes = 0
    const release = async function * (texts: Uint8Array[]) {
      if (!counted.known) {
        total.waiting?.()
        await count
      }
      yield head()
      yield * texts
    }
    for await (const text of body) {
      if (held === null) {
        yield text
        continue
      }
      held.push(text)
      heldBytes += text.byteLength
      if (!counted.known && heldBytes < maxHeldBytes) continue
      yield * release(held)
      held = null
    }
    if (held !== null) yield * release(held)
  }
  renderer.partHref = partName
  const summaries: PartSummary[] = []
  const batches = messages[Symbol.asyncIterator]()
  let batch: readonly ExportMessage[] = []
  let position = 0
  /** Moves to the next batch when this one is used up; afterwards `position < batch.length` unless the messages ended. */
  const refill = async () => {
    while (position === batch.length) {
      const next = await batches.next()
      if (next.done === true) return
      batch = next.value
      position = 0
    }
  }
  const hasMore = () => position < batch.length
  try {
    await refill()
    let partNumber = 1
    do {
      const number = partNumber
      const summary: PartSummary = { name: partName(number), number, messageCount: 0, dayCount: 0, oneDay: false, from: null, to: null }
      summaries.push(summary)
      yield {
        name: partName(number),
        chunks: headed(() => templates.pageStart({
          ...page,
          partLabel: partLabel(number),
          previousPart: number === 1 ? null : partName(number - 1),
          indexPage: number === 1 ? null : 'index.html'
        }), (async function * () {
          renderer.currentPart = number
          renderer.startPage()
          let currentDay = ''
          // Days are counted from the part's first message, whose day may be '' (unknown).
          let countedDay: string | null = null
          // Messages are rendered in runs, and the runs gathered into ~64 KB chunks of UTF-8.
          const pending = new Utf8Chunks(htmlChunkSize)
          let run: MessageView[] = []
          let last: ExportMessage | null = null
          while (hasMore() && summary.messageCount < messagesPerPart) {
            const message = batch[position++]
            const built = renderer.view(message)
            const view = built instanceof Promise ? await built : built
            const pause = pauseIfSliceSpent()
            if (pause !== undefined) await pause
            if (view.day !== countedDay) {
              summary.dayCount++
              countedDay = view.day
            }
            if (view.day !== currentDay) {
              currentDay = view.day
              view.dayHeading = view.day === '' ? unknownDayLabel : labels.day(message.ts)
              view.grouped = false
            }
            // The part's first and last known times: a message of unknown time is in the part, but names no bound.
            if (view.isoTime !== '') {
              if (summary.from === null) summary.from = { iso: view.isoTime, label: labels.dateTime(message.ts) }
              last = message
            }
            run.push(view)
            summary.messageCount++
            await refill()
            if (run.length === messagesPerRun) {
              pending.add(renderPageMessages(run))
              run = []
              if (pending.full) yield pending.take()
            }
          }
          if (last !== null) summary.to = { iso: last.ts.toISOString(), label: labels.dateTime(last.ts) }
          summary.oneDay = summary.dayCount === 1
          if (run.length > 0) pending.add(renderPageMessages(run))
          const hasNext = hasMore()
          pending.add(renderThreadNotes(renderer.threadsWithoutReplies().map(repliesAnchorOf), hasNext ? partName(number + 1) : null))
          if (!hasNext && context.deleted !== undefined) {
            pending.add(renderDeletions(context.deleted.map(({ _id: id, deletedAt, deletedBy }) => {
              const at = new Date(deletedAt)
              return { id, by: deletedBy?.username ?? null, isoTime: deletedAt, label: labels.dateTime(at) }
            })))
          }
          pending.add(templates.pageEnd({
            nextPart: hasNext ? partName(number + 1) : null,
            indexPage: number > 1 || hasNext ? 'index.html' : null,
            messageCount: summary.messageCount
          }))
          yield pending.take()
        })())
      }
      partNumber++
    } while (hasMore())
  } finally {
    await batches.return?.()
  }
  if (summaries.length > 1) {
    const index = templates.index({ ...page, parts: summaries, messageCount: summaries.reduce((sum, summary) => sum + summary.messageCount, 0) })
    yield { name: 'index.html', chunks: (async function * () { yield index })() }
  }
}
