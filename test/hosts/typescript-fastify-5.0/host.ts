import Fastify from 'fastify'
import roomsExport, { createMemoryRepository, type ExportUser } from 'fastify-rooms-export'
import { exportAndCheck } from './export-and-check.mjs'

const admin: ExportUser = { _id: 'u1', username: 'admin', roles: ['admin'] }
const app = Fastify({ logger: { level: 'warn' } })
await app.register(roomsExport, {
  authenticate: async (request) => request.headers['x-user-id'] === admin._id ? admin : null,
  hasPermission: async (user) => (user.roles ?? []).includes('admin'),
  canAccessRoom: async () => true,
  repository: createMemoryRepository({
    rooms: [{ _id: 'GENERAL', t: 'c', name: 'general' }],
    messages: [{ _id: 'm1', rid: 'GENERAL', ts: new Date('2024-03-21T10:00:00Z'), msg: 'hello from a Fastify 5.0 host', u: { _id: 'u1', username: 'admin' } }],
    users: [admin]
  })
})
await exportAndCheck(app)
