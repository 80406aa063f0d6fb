import { randomBytes } from 'node:crypto'
import { exportError } from '../errors.ts'
import type { ExportUser } from '../model.ts'
import type { ExportLimits } from '../options.ts'
import type { ExportJobStore, SlotLimits } from './jobs.ts'

/**
 * Concurrency slots for work that is not a file job: an email export holds
 * one, per user and overall, while it renders and sends — the same slots file
 * exports count, so neither kind can flood the server.
 */
export interface ExportSlots {
  /** a slot for `user`, or `error-too-many-requests` */
  claim (user: ExportUser): Promise<string>
  release (slotId: string): Promise<void>
}

export function createExportSlots (jobs: ExportJobStore, limits: ExportLimits): ExportSlots {
  return {
    async claim (user) {
      const holderId = `email-${randomBytes(12).toString('base64url')}`
      const claimed = await jobs.claimSlot(holderId, user._id, slotLimits(limits))
      if (!claimed) throw tooManyExports()
      return holderId
    },
    async release (holderId) {
      await jobs.releaseSlot(holderId)
    }
  }
}

/** The slots one export may take: per user and overall, file and email exports alike. */
export function slotLimits (limits: ExportLimits): SlotLimits {
  return { perUser: limits.concurrentExportsPerUser, overall: limits.concurrentExports }
}

export function tooManyExports () {
  return exportError('error-too-many-requests', 'too many exports are running; try again when one has finished')
}
