import Fastify, { type FastifyInstance } from 'fastify'
import roomsExport, { createDirectoryStorage, type ExportMessage, type RoomRepository } from '../index.ts'

export const benchRoom = { _id: 'BENCH', t: 'c', name: 'bench', fname: 'Bench room', topic: 'synthetic' }
export const benchUser = { _id: 'bench-user', username: 'bench', name: 'Bench User', roles: ['admin'] }

const words = ['deploy', 'review', 'lunch', 'build', 'release', 'meeting', 'ticket', 'merge', 'coffee', 'incident', 'notes', 'plan']

/** The n-th message of a synthetic room: realistic sizes and fields, made on demand. */
export function syntheticMessage (index: number): ExportMessage {
  const text = Array.from({ length: 8 + (index % 17) }, (_, word) => words[(index * 7 + word * 3) % words.length]).join(' ')
  const message: ExportMessage = {
    _id: `m${index.toString(36).padStart(8, '0')}`,
    rid: benchRoom._id,
    ts: new Date(Date.UTC(2024, 0, 1) + index * 30_000),
    msg: index % 50 === 0 ? `${text}\n<b>markup</b> & "quotes"` : text,
    u: { _id: `u${index % 40}`, username: `user${index % 40}`, name: `User ${index % 40}` }
  }
  if (index % 20 === 0) message.reactions = { ':+1:': { usernames: ['user1', 'user2'] } }
  if (index % 33 === 0) message.tmid = `m${Math.max(0, index - 5).toString(36).padStart(8, '0')}`
  return message
}

/** A repository that generates `count` messages as they are read: memory holds none of them. */
export function syntheticRepository (count: number): RoomRepository {
  return {
    async findRoomById (rid) { return rid === benchRoom._id ? benchRoom : null },
    async * findMessages ({ from, to }) {
      for (let index = 0; index < count; index++) {
        const message = syntheticMessage(index)
        if (message.ts >= from && message.ts <= to) yield message
      }
    },
    async * findMessagesByIds () {},
    async findUsersByUsernames () { return [] }
  }
}

/** A host whose every request is the bench user, exporting `count` synthetic messages into `directory`. */
export async function benchApp (count: number, directory: string): Promise<FastifyInstance> {
  const app = Fastify()
  app.get('/ping', async () => ({ pong: true }))
  await app.register(roomsExport, {
    authenticate: async () => benchUser,
    hasPermission: async () => true,
    canAccessRoom: async () => true,
    repository: syntheticRepository(count),
    storage: createDirectoryStorage(directory),
    limits: { htmlMessagesPerPart: 1_000_000_000 }
  })
  return app
}
