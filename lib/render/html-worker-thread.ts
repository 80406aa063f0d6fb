/**
 * The worker thread an HTML export renders in (started by `html-worker.ts`).
 * It runs `renderHtmlParts` as the main thread would, on messages the main
 * thread reads and posts to it, and posts back the parts' text. What only
 * the main thread has — the repository, the host's `translate` — it asks for.
 */
import { setPriority } from 'node:os'
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import type { ExportMessage, ExportUser, FileRef } from '../model.ts'
import { createDateLabels } from '../time/locale.ts'
import { renderHtmlParts } from './html.ts'
import type { FromMain, HtmlWorkerData, RepositoryMethod, StoredSizes, ToMain } from './html-worker.ts'
import { loadMarkupParser } from './markup.ts'
import { MessageRenderer, type MessageRendererOptions } from './message-view.ts'
import type { Translate } from './system-messages.ts'
import type { PictureKind } from '../export/pictures.ts'
import { createTemplates } from './templates.ts'
import { fromThreadError, toThreadError, type ThreadError } from './thread-errors.ts'

// The lowest priority: the server's own requests come first, the export takes what the machine has
// left. Only on Linux, where nice is per thread; elsewhere it would lower the whole server.
if (process.platform === 'linux') setPriority(19)

const data = workerData as HtmlWorkerData
const port = parentPort!
const post = (message: ToMain) => { port.postMessage(message) }
// Handlebars and the message parser, which load on first use, load now: once every module is
// loaded, the main thread may stop this thread.
const templates = await createTemplates()
await loadMarkupParser()
post({ type: 'ready' })

/** Replies to `call`s, by call id. */
const calls = new Map<number, { resolve: (value: unknown) => void, reject: (err: Error) => void }>()
let lastCall = 0
async function call (method: RepositoryMethod, args: unknown[]): Promise<unknown> {
  const id = ++lastCall
  return await new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject })
    post({ type: 'call', id, method, args })
  })
}

/**
 * Batches of messages as the main thread posts them. A few more are always on
 * their way (the first came unasked), so rendering never waits on the round trip.
 */
const batches: ({ messages: readonly ExportMessage[], sizes: StoredSizes | undefined } | null)[] = []
/** The stored sizes of the uploads of the batch being rendered, asked for by the main thread ahead of it. */
let sizesAhead: StoredSizes | undefined
const batchesAhead = 4
let onTheirWay = 1
let ended = false
let batchArrived: (() => void) | null = null
let totalArrived!: (total: number | undefined) => void
const total = new Promise<number | undefined>((resolve) => { totalArrived = resolve })
function askForMore (): void {
  const count = batchesAhead - batches.length - onTheirWay
  if (ended || count <= 0) return
  onTheirWay += count
  post({ type: 'more', count })
}
async function * messages (): AsyncGenerator<readonly ExportMessage[]> {
  for (;;) {
    askForMore()
    if (batches.length === 0) await new Promise<void>((resolve) => { batchArrived = resolve })
    const batch = batches.shift()!
    if (batch === null) return
    sizesAhead = batch.sizes
    yield batch.messages
  }
}

const utf8 = new TextEncoder()

/** Chunks posted but not yet taken by the zip: rendering waits beyond two. */
let unacknowledged = 0
let acknowledged: (() => void) | null = null

port.on('message', (message: FromMain) => {
  if (message.type === 'messages') {
    onTheirWay--
    if (message.batch === null) ended = true
    batches.push(message.batch === null ? null : { messages: message.batch, sizes: message.sizes })
    batchArrived?.()
    batchArrived = null
  } else if (message.type === 'total') {
    totalArrived(message.total)
  } else if (message.type === 'reply') {
    const waiting = calls.get(message.id)!
    calls.delete(message.id)
    if (message.error === undefined) waiting.resolve(message.value)
    else waiting.reject(fromThreadError(message.error))
  } else {
    unacknowledged--
    acknowledged?.()
    acknowledged = null
  }
})

/** The host's `translate`, called on the main thread: this thread waits for the answer, as a call there would. */
function translateOnMain (translatePort: MessagePort, signal: Int32Array): Translate {
  return (key, vars, language) => {
    Atomics.store(signal, 0, 0)
    translatePort.postMessage({ key, vars, language })
    while (Atomics.wait(signal, 0, 0, 1000) === 'timed-out');
    const { value, error } = receiveMessageOnPort(translatePort)!.message as { value?: string, error?: ThreadError }
    if (error !== undefined) throw fromThreadError(error)
    return value
  }
}

const repository: MessageRendererOptions['repository'] = {
  findUsersByUsernames: async (usernames) => await call('findUsersByUsernames', [usernames]) as ExportUser[],
  async * findMessagesByIds (rid, ids) {
    yield * (await call('findMessagesByIds', [rid, ids]) as ExportMessage[])
  },
  fileSize: data.readsFileSizes
    ? async (file: FileRef, rid: string) => {
      // An upload not among them (the renderer asked ahead of its batch) is asked for now.
      const known = sizesAhead?.get(file._id)
      if (known === undefined) return await call('fileSize', [file, rid]) as number | null
      if ('error' in known) throw fromThreadError(known.error)
      return known.size
    }
    : undefined
}

try {
  const labels = createDateLabels(data.language, data.context.range.timezone)
  const translate = data.translate === null ? null : translateOnMain(data.translate.port, new Int32Array(data.translate.signal))
  const onUnusableTree = (messageId: string, field: 'md' | 'attachments') => { post({ type: 'unusable', messageId, field }) }
  const pictures = data.pictures === null ? undefined : { ...data.pictures, pathsOf: async (kind: PictureKind, names: readonly string[]) => await call('pictures', [kind, names]) as (string | null)[] }
  const renderer = await MessageRenderer.create({ target: 'page', labels, translate, repository, rid: data.context.room._id, archivesUploads: data.archivesUploads, inlineImageBytes: data.inlineImageBytes, typesetsMath: data.typesetsMath, onUnusableTree, pictures })
  for await (const part of renderHtmlParts(templates, data.context, messages(), data.baseName, data.messagesPerPart, renderer, labels, { value: total })) {
    post({ type: 'part', name: part.name })
    for await (const text of part.chunks) {
      // Encoded here, off the main thread, and moved to it without a copy (a chunk owns its memory: lib/render/utf8-chunks.ts).
      const bytes = typeof text === 'string' ? utf8.encode(text) : text
      port.postMessage({ type: 'chunk', bytes } satisfies ToMain, [bytes.buffer as ArrayBuffer])
      if (++unacknowledged > 2) await new Promise<void>((resolve) => { acknowledged = resolve })
    }
  }
  post({ type: 'end', usesMath: renderer.usesMath })
} catch (err) {
  post({ type: 'failed', error: toThreadError(err) })
}
port.close()
data.translate?.port.close()
