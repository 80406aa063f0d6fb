import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import roomsExport, { createDirectoryStorage, createMemoryRepository, type ExportUser, type MemoryRepositoryData, type RoomRepository, type RoomsExportOptions } from '../../index.ts'
import { fixtureData, tokenOf, users } from './fixtures.ts'

/** Hooks as a small host would write them: header login, admins may mail messages, members or public rooms. */
export function hostHooks (known: ExportUser[] = users): Pick<RoomsExportOptions, 'authenticate' | 'hasPermission' | 'canAccessRoom'> {
  return {
    async authenticate (request) {
      const user = known.find((candidate) => candidate._id === request.headers['x-user-id'])
      return user !== undefined && request.headers['x-auth-token'] === tokenOf(user) ? user : null
    },
    async hasPermission (user, permission) {
      return permission === 'mail-messages' && (user.roles ?? []).includes('admin')
    },
    async canAccessRoom (room, user) {
      return room.t === 'c' || (room.usernames ?? []).includes(user.username)
    }
  }
}

export async function temporaryDirectory (t: Test): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rooms-export-test-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  return directory
}

/** A host app with the plugin on the memory repository and storage in a temporary directory. */
export async function buildApp (t: Test, options: RoomsExportOptions = {}, data: MemoryRepositoryData = fixtureData()): Promise<FastifyInstance> {
  // The directory first: teardowns run last-in first-out, so the app closes before its directory goes.
  const directory = await temporaryDirectory(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(roomsExport, {
    ...hostHooks(),
    repository: createMemoryRepository(data),
    storage: createDirectoryStorage(directory),
    ...options
  })
  await app.ready()
  return app
}

/** `repository` whose range reads wait for `release()`: keeps an export running as long as a test needs. */
export function heldRepository (repository: RoomRepository): { repository: RoomRepository, release: () => void, reading: Promise<void> } {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let startReading!: () => void
  // Resolves once an export asks for its messages: past its own start-up writes ("running").
  const reading = new Promise<void>((resolve) => { startReading = resolve })
  return {
    repository: {
      ...repository,
      async * findMessages (query) {
        startReading()
        await gate
        yield * repository.findMessages(query)
      }
    },
    release,
    reading
  }
}

/** The exports (`.zip`) and unfinished writes (`.partial`) in a directory storage, without its job records. */
export async function storedFiles (directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.zip') || name.endsWith('.partial')).sort()
}

export interface LogLine { level: number, msg: string, [field: string]: unknown }

/** A logger for `Fastify({ logger })` that keeps every line it writes, parsed, in `lines`. */
export function capturingLogger (level: string): { logger: { level: string, stream: { write (line: string): void } }, lines: LogLine[] } {
  const lines: LogLine[] = []
  return { logger: { level, stream: { write (line) { lines.push(JSON.parse(line)) } } }, lines }
}
