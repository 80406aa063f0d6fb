import { InvalidOptionError } from './errors.ts'
import type { ExportFormat } from './export/jobs.ts'

/**
 * A `prom-client` `Registry` as the `metrics` option takes it: typed by
 * shape, so a host's types need no prom-client unless it uses metrics
 * (`fastify-metrics` hosts pass `app.metrics.client.register`).
 */
export interface MetricsRegistry {
  registerMetric (metric: unknown): void
  getSingleMetric (name: string): unknown
}

export type ExportType = 'file' | 'email'
/** How an export ended, as `rooms_export_exports_total` counts it. */
export type ExportOutcome = 'done' | 'failed' | 'cancelled'

/** What the plugin reports of each export; a no-op without the `metrics` option. */
export interface ExportMetrics {
  /** an export took its slot and began */
  started (): void
  /**
   * An export ended: `outcome` counted with its duration, messages and
   * bytes; `null` for one that only stopped here (the server closing, or
   * another instance running it) and ends elsewhere.
   */
  ended (type: ExportType, format: ExportFormat, outcome: ExportOutcome | null, figures: { seconds: number, messages: number, bytes: number }): void
  /** an export refused for want of a free slot (429) */
  refused (type: ExportType, format: ExportFormat): void
}

export const noMetrics: ExportMetrics = { started () {}, ended () {}, refused () {} }

type PromClient = typeof import('prom-client')

/**
 * The plugin's metrics in the host's registry, from the host's own
 * `prom-client` (an optional peer dependency, imported only with this
 * option; the specifier is held in a variable so bundlers leave it alone).
 * A metric already in the registry (a second registration of the plugin on
 * it) is shared, not registered twice.
 */
export async function createExportMetrics (registry: MetricsRegistry): Promise<ExportMetrics> {
  const name = 'prom-client'
  let client: PromClient
  try {
    client = await import(name) as PromClient
  } catch (err) {
    throw new InvalidOptionError('option "metrics" needs prom-client installed beside the plugin', { cause: err })
  }
  const registers = [registry as unknown as import('prom-client').Registry]
  const existing = <T> (metricName: string, create: () => T): T => (registry.getSingleMetric(metricName) as T | undefined) ?? create()
  const exports = existing('rooms_export_exports_total', () => new client.Counter({ name: 'rooms_export_exports_total', help: 'Exports by type, format and outcome (done, failed, cancelled, refused)', labelNames: ['type', 'format', 'outcome'] as const, registers }))
  const duration = existing('rooms_export_duration_seconds', () => new client.Histogram({ name: 'rooms_export_duration_seconds', help: 'How long exports took, from their start to done, failed or cancelled', labelNames: ['type', 'format'] as const, buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600], registers }))
  const running = existing('rooms_export_running', () => new client.Gauge({ name: 'rooms_export_running', help: 'Exports running in this process', registers }))
  const messages = existing('rooms_export_messages_total', () => new client.Counter({ name: 'rooms_export_messages_total', help: 'Messages exported by exports that ended done', labelNames: ['type', 'format'] as const, registers }))
  const bytes = existing('rooms_export_bytes_total', () => new client.Counter({ name: 'rooms_export_bytes_total', help: 'Bytes of the zips of file exports that ended done', labelNames: ['type', 'format'] as const, registers }))
  return {
    started () {
      running.inc()
    },
    ended (type, format, outcome, figures) {
      running.dec()
      if (outcome === null) return
      exports.inc({ type, format, outcome })
      duration.observe({ type, format }, figures.seconds)
      if (outcome !== 'done') return
      messages.inc({ type, format }, figures.messages)
      bytes.inc({ type, format }, figures.bytes)
    },
    refused (type, format) {
      exports.inc({ type, format, outcome: 'refused' })
    }
  }
}
