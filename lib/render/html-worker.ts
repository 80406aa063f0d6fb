import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import type { ExportMessage, FileRef, RoomRepository } from '../model.ts'
import { readStoredMessage } from '../stored-message.ts'
import { messageFiles } from './uploads.ts'
import { raceAbort } from '../export/abortable.ts'
import type { ExportContext } from '../schemas.ts'
import type { PendingCount, RenderedPart } from './html.ts'
import type { Translate } from './system-messages.ts'
import type { MessageRendererOptions } from './message-view.ts'
import type { PictureKind } from '../export/pictures.ts'
import { fromThreadError, toThreadError, type ThreadError } from './thread-errors.ts'

/**
 * HTML exports render in a worker thread of the lowest priority
 * (`html-worker-thread.ts`): rendering is most of an export's work, and on
 * the main thread even in 1 ms slices it delays the server's requests — by
 * its garbage collection, and by taking the machine's cores. Here the main
 * thread only reads the messages, posts them over, and zips the text that
 * comes back.
 */

/** What the worker starts with. */
export interface HtmlWorkerData {
  context: ExportContext
  baseName: string
  messagesPerPart: number
  language: string
  archivesUploads: boolean
  inlineImageBytes: number
  readsFileSizes: boolean
  typesetsMath: boolean
  /** which pictures the pages show (asked for with `pictures` calls), or none */
  pictures: { avatars: boolean, emoji: boolean } | null
  /** the host's `translate`, called over this port while the worker waits on `signal` */
  translate: { port: MessagePort, signal: SharedArrayBuffer } | null
}

export type RepositoryMethod = 'findUsersByUsernames' | 'findMessagesByIds' | 'fileSize' | 'pictures'

/** Messages from the worker. */
export type ToMain =
  | { type: 'ready' }
  /** `count` batches more: the worker keeps a few on their way, so it never waits on one */
  | { type: 'more', count: number }
  | { type: 'call', id: number, method: RepositoryMethod, args: unknown[] }
  | { type: 'part', name: string }
  /** a chunk of the part's text, as UTF-8 (its buffer moved, not copied) */
  | { type: 'chunk', bytes: Uint8Array }
  /** every part rendered; `usesMath`: a formula was typeset (the archive needs KaTeX's style sheet and fonts) */
  | { type: 'end', usesMath: boolean }
  | { type: 'failed', error: ThreadError }
  /** a message whose stored markup tree could not be used (see `MessageRendererOptions.onUnusableTree`) */
  | { type: 'unusable', messageId: string, field: 'md' | 'attachments' }

/** An upload's stored size as `repository.fileSize` answered it, or how it failed. */
type StoredSize = { size: number | null } | { error: ThreadError }
/** Stored sizes by the upload's id. */
export type StoredSizes = ReadonlyMap<string, StoredSize>

/** Messages to the worker. */
export type FromMain =
  /** `sizes`: the stored sizes of the batch's uploads, asked for before the batch went (see `storedSizesOf`) */
  | { type: 'messages', batch: readonly ExportMessage[] | null, sizes?: StoredSizes }
  /** the export's count of messages, once known (see `PendingCount`) */
  | { type: 'total', total: number | undefined }
  | { type: 'reply', id: number, value?: unknown, error?: ThreadError }
  | { type: 'taken' }

/** The worker's entry: beside this module, compiled (`.js`) or run from source by tsx (`.ts`). */
const entry = new URL(`./html-worker-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

/** False where the plugin was bundled into a host's one file: HTML then renders on the main thread. */
export const htmlWorkerAvailable = existsSync(fileURLToPath(entry))

/**
 * The worker's heap limits, measured on 300k- and 1M-message exports: a young
 * generation of 8 MB keeps a long export's footprint near that of a short one
 * (V8 would grow it to 48 MB over a long export). At 4 MB the worker collected
 * 1,081 times in a 300k plain export, 631 ms in all; at 8 MB 537 times,
 * 334 ms, for a peak RSS 5 MB higher (16 MB: 265 ms, +12 MB; 32 MB: 221 ms,
 * +24 MB). An old generation limit of 512 MB
 * makes V8 grow the heap by smaller steps (with the default limit, ~4 GB here,
 * it let the worker's heap reach 31–35 MB for a live 12 MB; under 1 GB,
 * 26–28 MB). 512 MB is far above what real messages need; a flood reaches it
 * (16 MB of bold words, each a node of the parser's tree) and fails only its
 * export, where the default limit would let it grow toward the process's.
 */
const heapLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 }

function startWorker (workerData: HtmlWorkerData, transferList: MessagePort[]): Worker {
  const options = { workerData, transferList, resourceLimits: heapLimits }
  // Run from source (the tests, `npm start`), the worker needs tsx's loader as well: Node 20 does not
  // run the process's `--import` in workers.
  if (entry.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api')
    return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`, { ...options, eval: true })
  }
  /* c8 ignore next -- the compiled plugin's way: run by the packed tarball in test/host-fixtures.test.ts */
  return new Worker(entry, options)
}

export interface HtmlWorkerInput {
  context: ExportContext
  /** the count of messages, for the parts' labels; it reaches the worker once known */
  total: PendingCount
  messages: AsyncIterable<readonly ExportMessage[]>
  baseName: string
  messagesPerPart: number
  language: string
  archivesUploads: boolean
  inlineImageBytes: number
  repository: Pick<RoomRepository, 'findUsersByUsernames' | 'findMessagesByIds' | 'fileSize'>
  translate: Translate | null
  /** what the export waits on now (the stall watchdog's stage): the worker (starting, or rendering), or the repository it asked */
  waitingOn: (stage: 'the repository' | 'the HTML render worker') => void
  onUnusableTree: (messageId: string, field: 'md' | 'attachments') => void
  /** pages typeset formulas (see `MessageRendererOptions.typesetsMath`) */
  typesetsMath: boolean
  /** told, once the parts are rendered, that a formula was typeset */
  onMath: () => void
  /** avatars and custom emoji in the archive (see `MessageRendererOptions.pictures`) */
  pictures: MessageRendererOptions['pictures']
  /** the export's: ends a wait on the repository's upload sizes (before the first part, nothing else would) */
  signal: AbortSignal
}

async function answer ({ repository, pictures }: HtmlWorkerInput, method: RepositoryMethod, args: unknown[]): Promise<unknown> {
  if (method === 'pictures') return await pictures!.pathsOf(args[0] as PictureKind, args[1] as string[])
  if (method === 'findUsersByUsernames') {
    // Only what the export shows: a host's user records may hold what cannot cross threads.
    return (await repository.findUsersByUsernames(args[0] as string[])).map(({ username, name }) => ({ username, name }))
  }
  if (method === 'fileSize') return await repository.fileSize!(args[0] as FileRef, args[1] as string)
  // Read here: a host's record may hold what cannot cross threads.
  const found: ExportMessage[] = []
  for await (const message of repository.findMessagesByIds(args[0] as string, args[1] as string[])) found.push(readStoredMessage(message, []))
  return found
}

/**
 * The stored sizes of a batch's uploads, asked for on this thread before the batch goes: the
 * worker would otherwise stop at each upload to ask and wait for the answer (3,000 round trips in
 * a 300k-message export, the worker idle ~13 % of its time). A failure is passed on, for the
 * worker to meet where it would have met it.
 */
async function storedSizesOf (fileSize: NonNullable<RoomRepository['fileSize']>, rid: string, batch: readonly ExportMessage[]): Promise<StoredSizes | undefined> {
  let sizes: Map<string, StoredSize> | undefined
  for (const message of batch) {
    for (const file of messageFiles(message)) {
      sizes ??= new Map()
      if (sizes.has(file._id)) continue
      try {
        sizes.set(file._id, { size: await fileSize(file, rid) })
      } catch (err) {
        sizes.set(file._id, { error: toThreadError(err) })
      }
    }
  }
  return sizes
}

/** Answers the worker's `translate` calls while it waits: the reply is on the port before `signal` wakes it. */
function serveTranslate (port: MessagePort, signal: Int32Array, translate: Translate): void {
  port.on('message', ({ key, vars, language }: { key: string, vars: Record<string, string>, language: string }) => {
    let reply: { value?: string, error?: ThreadError }
    try {
      const value = translate(key, vars, language)
      reply = { value: typeof value === 'string' ? value : undefined }
    } catch (err) {
      reply = { error: toThreadError(err) }
    }
    port.postMessage(reply)
    Atomics.store(signal, 0, 1)
    Atomics.notify(signal, 0)
  })
}

/**
 * `renderHtmlParts` in a worker: the same parts, text and order. Each part
 * must be read to its end before the next is asked for; the worker renders at
 * most two chunks ahead of the reader. A failure on either side — a read, a
 * lookup, a render, an error the worker did not catch — ends the parts with
 * that error, and the worker is stopped whenever the parts end (once it is up).
 */
export async function * renderHtmlPartsInWorker (input: HtmlWorkerInput): AsyncGenerator<RenderedPart> {
  const translateChannel = input.translate === null ? null : new MessageChannel()
  const signal = new SharedArrayBuffer(4)
  const workerData: HtmlWorkerData = {
    context: input.context,
    baseName: input.baseName,
    messagesPerPart: input.messagesPerPart,
    language: input.language,
    archivesUploads: input.archivesUploads,
    inlineImageBytes: input.inlineImageBytes,
    readsFileSizes: input.repository.fileSize !== undefined,
    typesetsMath: input.typesetsMath,
    pictures: input.pictures === undefined ? null : { avatars: input.pictures.avatars, emoji: input.pictures.emoji },
    translate: translateChannel === null ? null : { port: translateChannel.port2, signal }
  }
  const worker = startWorker(workerData, translateChannel === null ? [] : [translateChannel.port2])
  if (translateChannel !== null) serveTranslate(translateChannel.port1, new Int32Array(signal), input.translate!)

  // What the reader takes in order: the worker's parts, chunks and end, or the error that ends them.
  const inbox: (ToMain | Error)[] = []
  let wake: (() => void) | null = null
  const deliver = (item: ToMain | Error) => {
    inbox.push(item)
    wake?.()
    wake = null
  }
  const post = (message: FromMain) => {
    try {
      worker.postMessage(message)
    } catch (err) {
      deliver(err as Error) // a value that cannot cross threads
    }
  }
  // The worker holds the first part's text until the count is known: a wait then is the count's.
  // The count fails only when the export is aborted (a stall, a cancel): the worker, which would
  // wait for it forever, is stopped with the parts.
  let counted = false
  input.total.value.then((total) => {
    counted = true
    post({ type: 'total', total })
  }, deliver)
  const waitingOnWorker = () => {
    if (counted) input.waitingOn('the HTML render worker')
    else input.total.waiting?.()
  }

  const batches = input.messages[Symbol.asyncIterator]()
  // Reads of the repository under way (the batch, the worker's lookups): while there are, a wait is the repository's.
  let reads = 0
  let readerWaits = false
  const readEnded = () => {
    if (--reads === 0 && readerWaits) waitingOnWorker()
  }
  // Batches are read one after another, as many as the worker asked for (and the first unasked).
  const fileSize = input.repository.fileSize?.bind(input.repository)
  let wanted = 1
  let readingAhead = false
  const readAhead = async () => {
    if (readingAhead) return
    readingAhead = true
    try {
      while (wanted > 0) {
        wanted--
        reads++
        const next = await batches.next()
        const sizes = next.done === true || fileSize === undefined ? undefined : await raceAbort(storedSizesOf(fileSize, input.context.room._id, next.value), input.signal)
        readEnded()
        post({ type: 'messages', batch: next.done === true ? null : next.value, sizes })
        if (next.done === true) return
      }
    } catch (err) {
      deliver(err as Error)
    } finally {
      readingAhead = false
    }
  }
  // A worker stopped while it loads its modules can leave a file of them open: it is only stopped once up.
  let up!: () => void
  const started = new Promise<void>((resolve) => { up = resolve })
  worker.on('message', (message: ToMain) => {
    if (message.type === 'ready') {
      up()
    } else if (message.type === 'more') {
      wanted += message.count
      void readAhead()
    } else if (message.type === 'unusable') {
      input.onUnusableTree(message.messageId, message.field)
    } else if (message.type === 'call') {
      reads++
      input.waitingOn('the repository')
      answer(input, message.method, message.args).then(
        (value) => { post({ type: 'reply', id: message.id, value }) },
        (err: unknown) => { post({ type: 'reply', id: message.id, error: toThreadError(err) }) }
      ).finally(readEnded)
    } else {
      deliver(message)
    }
  })
  // An error the worker did not catch (it catches the export's own).
  worker.on('error', deliver)
  worker.on('exit', (code) => {
    up()
    deliver(new Error(`the HTML render worker stopped (exit code ${code})`))
  })

  type Output = Exclude<ToMain, { type: 'ready' | 'more' | 'call' | 'failed' | 'unusable' }>
  const next = async (): Promise<Output> => {
    while (inbox.length === 0) {
      readerWaits = true
      if (reads === 0) waitingOnWorker()
      await new Promise<void>((resolve) => { wake = resolve })
    }
    readerWaits = false
    const item = inbox.shift()!
    if (item instanceof Error) throw item
    if (item.type === 'failed') throw fromThreadError(item.error)
    return item as Output
  }
  // The first batch is read while the worker starts: it asks for more once it is up.
  void readAhead()
  try {
    let message = await next()
    while (message.type === 'part') {
      // What came after the part's last chunk: the next part, or the end.
      const after: { message: Output | null } = { message: null }
      yield {
        name: message.name,
        chunks: (async function * () {
          for (;;) {
            const item = await next()
            if (item.type !== 'chunk') {
              after.message = item
              return
            }
            yield item.bytes
            post({ type: 'taken' })
          }
        })()
      }
      message = after.message!
    }
    if (message.type === 'end' && message.usesMath) input.onMath()
  } finally {
    await started
    await worker.terminate()
    translateChannel?.port1.close()
    await batches.return?.()
  }
}
