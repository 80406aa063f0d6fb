import Fastify from 'fastify'
import fastifyMetrics from 'fastify-metrics'
import roomsExport, { createMemoryRepository } from 'fastify-rooms-export'
import { exportAndCheck, hostOptions } from './export-and-check.mjs'

const app = Fastify({ logger: { level: 'warn' } })
await app.register(fastifyMetrics, { endpoint: '/metrics', defaultMetrics: { enabled: false } })
await app.register(roomsExport, { ...hostOptions(createMemoryRepository, 'hello from a host with metrics'), metrics: { registry: app.metrics.client.register } })
await exportAndCheck(app, async () => {
  // What a Prometheus server would scrape: the plugin's counters and gauge (which follow the
  // status by a moment: the export counts once its run has returned).
  let scraped = ''
  for (let attempt = 0; attempt < 100 && !scraped.includes('rooms_export_running 0'); attempt++) {
    scraped = (await app.inject({ url: '/metrics' })).body
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  console.log(scraped.split('\n').filter((line) => /^rooms_export_(exports_total|running|messages_total)/.test(line)).join('\n'))
})
