import Fastify from 'fastify'
import roomsExport, { createMemoryRepository } from 'fastify-rooms-export'
import { exportAndCheck, hostOptions } from './export-and-check.mjs'

const app = Fastify({ logger: { level: 'warn' } })
await app.register(roomsExport, hostOptions(createMemoryRepository, 'hello from a bundle'))
await exportAndCheck(app)
