import { createZoneClock } from '../time/zones.ts'
import type { ExportMessage } from '../model.ts'
import type { ExportContext } from '../schemas.ts'
import { renderChunkSize } from './json.ts'
import { localLabel, toMessageView, type MessageView } from './message-view.ts'
import type { Templates } from './templates.ts'

/** Messages rendered by one template call. */
const messagesPerRun = 100

export interface RenderedPart {
  /** file name inside the archive */
  name: string
  chunks: AsyncIterable<string>
}

export interface PageLabels {
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

export function pageLabels (context: ExportContext): PageLabels {
  const clock = createZoneClock(context.range.timezone)
  const label = (iso: string) => localLabel(clock, new Date(iso))
  return {
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

/**
 * The HTML export as one or more self-contained pages of at most
 * `messagesPerPart` messages each; `<base>.html`, then `<base>-2.html`, …
 * Parts link to their neighbours by relative href, so they work unzipped
 * from disk. Each part must be read to its end before the next is asked for:
 * they share one pass over `messages`.
 */
export async function * renderHtmlParts (
  templates: Templates,
  context: ExportContext,
  messages: AsyncIterable<ExportMessage>,
  baseName: string,
  messagesPerPart: number
): AsyncGenerator<RenderedPart> {
  const labels = pageLabels(context)
  const clock = createZoneClock(context.range.timezone)
  const partName = (number: number) => number === 1 ? `${baseName}.html` : `${baseName}-${number}.html`
  const iterator = messages[Symbol.asyncIterator]()
  try {
    let next = await iterator.next()
    let partNumber = 1
    do {
      const number = partNumber
      yield {
        name: partName(number),
        chunks: (async function * () {
          yield templates.pageStart({
            ...labels,
            partLabel: number === 1 ? null : `part ${number}`,
            previousPart: number === 1 ? null : partName(number - 1)
          })
          let currentDay = ''
          let count = 0
          let pending = ''
          // One template call renders a run of messages: Handlebars' per-call set-up is paid per run.
          let run: MessageView[] = []
          while (next.done !== true && count < messagesPerPart) {
            const view = toMessageView(next.value, clock)
            if (view.day !== currentDay) {
              currentDay = view.day
              view.dayHeading = view.day
            }
            run.push(view)
            count++
            next = await iterator.next()
            if (run.length === messagesPerRun) {
              pending += templates.messages({ messages: run })
              run = []
              if (pending.length >= renderChunkSize) {
                yield pending
                pending = ''
              }
            }
          }
          if (run.length > 0) pending += templates.messages({ messages: run })
          yield pending + templates.pageEnd({ nextPart: next.done === true ? null : partName(number + 1), messageCount: count })
        })()
      }
      partNumber++
    } while (next.done !== true)
  } finally {
    await iterator.return?.()
  }
}
