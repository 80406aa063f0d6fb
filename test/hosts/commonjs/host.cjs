'use strict'
const Fastify = require('fastify')
const roomsExport = require('fastify-rooms-export').default
const { createMemoryRepository } = require('fastify-rooms-export')
const { exportAndCheck, hostOptions } = require('./export-and-check.mjs')

async function main () {
  const app = Fastify({ logger: { level: 'warn' } })
  await app.register(roomsExport, hostOptions(createMemoryRepository, 'hello from CommonJS'))
  await exportAndCheck(app)
}

main().catch((err) => { console.error(err); process.exit(1) })
