import type { SendMailOptions } from 'nodemailer'
import { exportError } from './errors.ts'
import type { ExportUser, RoomRepository } from './model.ts'
import type { ExportLimits, ResolvedMailer } from './options.ts'

/**
 * A practical address check: one `@`, no spaces, quotes, angle brackets or
 * separators in the local part (header injection), a dotted host name.
 */
const addressPattern = /^[^\s@<>()[\]\\,;:"]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function isValidAddress (address: string): boolean {
  return addressPattern.test(address)
}

/** The address mail for a user goes to: a verified one first. */
export function userAddress (user: ExportUser): string | null {
  const emails = user.emails ?? []
  return (emails.find((email) => email.verified === true) ?? emails[0])?.address ?? null
}

export interface Recipients {
  addresses: string[]
  /** requested usernames that are unknown or have no address */
  missing: string[]
}

/**
 * SPEC §3 rows 9 and 10, in that order: malformed `toEmails` first, then
 * nobody to send to, too many, or a domain outside the allowed list.
 */
export async function resolveRecipients (
  requester: ExportUser,
  toUsers: string[],
  toEmails: string[],
  repository: RoomRepository,
  limits: ExportLimits
): Promise<Recipients> {
  const malformed = toEmails.find((address) => !isValidAddress(address))
  if (malformed !== undefined) throw exportError('error-invalid-email', `toEmails: ${JSON.stringify(malformed)} is not an email address`)

  const usernames = [...new Set(toUsers)]
  const found = usernames.length === 0 ? [] : await repository.findUsersByUsernames(usernames)
  const addressByUsername = new Map(found.map((user) => [user.username, userAddress(user)]))
  const missing = usernames.filter((username) => (addressByUsername.get(username) ?? null) === null)

  const requested = [...usernames.flatMap((username) => addressByUsername.get(username) ?? []), ...toEmails]
  let addresses = dedupeAddresses(requested)
  if (toUsers.length === 0 && toEmails.length === 0) {
    const own = userAddress(requester)
    if (own === null) throw exportError('error-invalid-recipient', 'no recipients given and you have no email address')
    addresses = [own]
  }
  if (addresses.length === 0) throw exportError('error-invalid-recipient', 'none of the recipients has an email address')
  if (addresses.length > limits.maxRecipients) throw exportError('error-invalid-recipient', `at most ${limits.maxRecipients} recipients`)
  const allowed = limits.allowedEmailDomains
  if (allowed !== undefined) {
    const outside = addresses.find((address) => !allowed.includes(address.slice(address.lastIndexOf('@') + 1).toLowerCase()))
    if (outside !== undefined) throw exportError('error-invalid-recipient', `${outside} is outside the allowed email domains`)
  }
  return { addresses, missing }
}

function dedupeAddresses (addresses: string[]): string[] {
  const seen = new Set<string>()
  return addresses.filter((address) => {
    const key = address.toLowerCase()
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Header values never carry line breaks, whatever a user typed. */
export function headerSafe (value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim()
}

export async function sendMail (mailer: ResolvedMailer, mail: Omit<SendMailOptions, 'from'>): Promise<void> {
  await mailer.transporter.sendMail({ ...mail, from: mailer.from })
}
