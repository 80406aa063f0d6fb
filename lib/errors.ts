import createError from '@fastify/error'

/**
 * Every error the API answers, in one table. Handlers throw `exportError(...)`;
 * the plugin's error handler turns it into the Rocket.Chat error shape
 * `{ success: false, error: '[errorType]', errorType, details }`.
 */
export const errorTable = {
  unauthorized: 401,
  'error-invalid-params': 400,
  'error-invalid-format': 400,
  'error-action-not-allowed': 403,
  'error-invalid-room': 400,
  'error-not-allowed': 403,
  'error-invalid-dates': 400,
  'error-email-not-configured': 400,
  'error-invalid-email': 400,
  'error-invalid-recipient': 400,
  'error-too-many-requests': 429,
  'error-too-many-messages': 400,
  'error-email-send-failed': 502,
  'error-not-found': 404,
  'error-export-not-ready': 409,
  'error-export-failed': 409,
  'error-export-cancelled': 409,
  'error-range-not-satisfiable': 416,
  'error-internal': 500
} as const

export type ErrorType = keyof typeof errorTable

export class ExportApiError extends Error {
  readonly errorType: ErrorType
  readonly statusCode: number
  readonly details: string | undefined

  constructor (errorType: ErrorType, details?: string, statusCode: number = errorTable[errorType]) {
    super(details === undefined ? errorType : `${errorType}: ${details}`)
    this.name = 'ExportApiError'
    this.errorType = errorType
    this.statusCode = statusCode
    this.details = details
  }
}

export function exportError (errorType: ErrorType, details?: string): ExportApiError {
  return new ExportApiError(errorType, details)
}

export interface ErrorBody {
  success: false
  error: string
  errorType?: ErrorType
  details?: string
}

/** Rocket.Chat answers a bad login with a bare `error` and no `errorType`. */
export function errorBody (error: ExportApiError): ErrorBody {
  if (error.errorType === 'unauthorized') return { success: false, error: 'unauthorized' }
  const body: ErrorBody = { success: false, error: `[${error.errorType}]`, errorType: error.errorType }
  if (error.details !== undefined) body.details = error.details
  return body
}

/**
 * Errors of configuration and set-up — thrown at registration (`ready()`) or
 * by a storage given a bad key — each with a stable `code` a host can test.
 */
export const InvalidOptionError = createError('FST_ROOMS_EXPORT_INVALID_OPTION', 'fastify-rooms-export: %s')
export const UnsafeStorageError = createError('FST_ROOMS_EXPORT_UNSAFE_STORAGE', 'fastify-rooms-export: %s')
export const InvalidStorageKeyError = createError('FST_ROOMS_EXPORT_INVALID_STORAGE_KEY', 'fastify-rooms-export: invalid storage key %s')
