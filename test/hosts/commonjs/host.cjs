'use strict'
const Fastify = require('fastify')
const roomsExport = require('fastify-rooms-export').default
const { createMemoryRepository } = require('fastify-rooms-export')

async function main () {
  const { exportAndCheck } = require('./export-and-check.mjs')
  const admin = { _id: 'u1', username: 'admin', roles: ['admin'] }
  const app = Fastify()
  await app.register(roomsExport, {
    authenticate: async (request) => request.headers['x-user-id'] === admin._id ? admin : null,
    hasPermission: async () => true,
    canAccessRoom: async () => true,
    repository: createMemoryRepository({
      rooms: [{ _id: 'GENERAL', t: 'c', name: 'general' }],
      messages: [{ _id: 'm1', rid: 'GENERAL', ts: new Date('2024-03-21T10:00:00Z'), msg: 'hello from CommonJS', u: { _id: 'u1', username: 'admin' } }],
      users: [admin]
    })
  })
  await exportAndCheck(app)
}

main().catch((err) => { console.error(err); process.exit(1) })
