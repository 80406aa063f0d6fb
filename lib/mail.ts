import type { SendMailOptions } from 'nodemailer'
import { exportError } from './errors.ts'
import type { ExportUser, RoomRepository } from './model.ts'
import type { ExportLimits, ResolvedMailer } from './options.ts'

/** RFC 5322 dot-atom local part: printable ASCII atoms, no quotes, spaces, commas or brackets. */
const localPartPattern = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const domainPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export interface ParsedAddress {
  address: string
  /** lower case, for `allowedEmailDomains` */
  domain: string
}

/**
 * The one check every address goes through — typed by a requester or read
 * from the repository: exactly one mailbox (so no second recipient can hide in
 * a list), no control characters, RFC 5321 lengths (64 for the local part,
 * 254 in all). Quoted local parts and non-ASCII addresses are refused.
 */
export function parseAddress (value: unknown): ParsedAddress | null {
  if (typeof value !== 'string' || value.length > 254) return null
  const at = value.lastIndexOf('@')
  const localPart = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (at < 1 || localPart.length > 64 || !localPartPattern.test(localPart) || !domainPattern.test(domain)) return null
  return { address: value, domain: domain.toLowerCase() }
}

/** The address mail for a user goes to: a valid verified one first, then any valid one. */
export function userAddress (user: ExportUser): ParsedAddress | null {
  // Stryker disable next-line ArrayDeclaration: equivalent — any list stands in for no addresses, none of its items being an address
  const emails = [...user.emails ?? []].sort((a, b) => Number(b.verified === true) - Number(a.verified === true))
  for (const email of emails) {
    const parsed = parseAddress(email.address)
    if (parsed !== null) return parsed
  }
  return null
}

export interface Recipients {
  addresses: string[]
  /** requested usernames that are unknown or have no (valid) address */
  missing: string[]
  /** for each lower-cased address, what to report in `missing` when the server refuses it */
  reportedAs: Map<string, string[]>
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
  const typed: ParsedAddress[] = []
  for (const value of toEmails) {
    const parsed = parseAddress(value)
    if (parsed === null) throw exportError('error-invalid-email', `toEmails: ${JSON.stringify(value)} is not an email address`)
    typed.push(parsed)
  }

  const usernames = [...new Set(toUsers)]
  // Stryker disable next-line ArrayDeclaration: equivalent — with nobody asked for, no item of the list is looked up
  const found = usernames.length === 0 ? [] : await repository.findUsersByUsernames(usernames)
  const addressByUsername = new Map(found.map((user) => [user.username, userAddress(user)]))
  const missing = usernames.filter((username) => (addressByUsername.get(username) ?? null) === null)

  const reportedAs = new Map<string, string[]>()
  const recipients: ParsedAddress[] = []
  const add = (parsed: ParsedAddress, reported: string) => {
    const key = parsed.address.toLowerCase()
    if (!reportedAs.has(key)) {
      reportedAs.set(key, [])
      recipients.push(parsed)
    }
    reportedAs.get(key)!.push(reported)
  }
  for (const username of usernames) {
    const parsed = addressByUsername.get(username)
    if (parsed !== null && parsed !== undefined) add(parsed, username)
  }
  for (const parsed of typed) add(parsed, parsed.address)
  if (toUsers.length === 0 && toEmails.length === 0) {
    const own = userAddress(requester)
    if (own === null) throw exportError('error-invalid-recipient', 'no recipients given and you have no email address')
    add(own, requester.username)
  }
  if (recipients.length === 0) throw exportError('error-invalid-recipient', 'none of the recipients has an email address')
  if (recipients.length > limits.maxRecipients) throw exportError('error-invalid-recipient', `at most ${limits.maxRecipients} recipients`)
  const allowed = limits.allowedEmailDomains
  if (allowed !== undefined) {
    const outside = recipients.find((parsed) => !allowed.includes(parsed.domain))
    if (outside !== undefined) throw exportError('error-invalid-recipient', `${outside.address} is outside the allowed email domains`)
  }
  return { addresses: recipients.map((parsed) => parsed.address), missing, reportedAs }
}

/** Header values never carry line breaks or other control characters, whatever a user typed. */
export function headerSafe (value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  return value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
}

export class MailTimeoutError extends Error {
  constructor (timeoutMs: number) {
    super(`the mail server did not finish within ${timeoutMs} ms`)
    this.name = 'MailTimeoutError'
  }
}

/**
 * Hands one mail to the transport, within `mailTimeoutMs` whatever the server
 * does. Addresses go as objects, never as strings nodemailer would parse into
 * lists. Resolves with the addresses the server refused (when it took the rest).
 */
export async function sendMail (
  mailer: ResolvedMailer,
  mail: Omit<SendMailOptions, 'from' | 'to'> & { to: string[] },
  timeoutMs: number
): Promise<{ rejected: string[] }> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new MailTimeoutError(timeoutMs)) }, timeoutMs)
  })
  const sending = mailer.transporter.sendMail({ ...mail, to: mail.to.map((address) => ({ name: '', address })), from: mailer.from })
  try {
    // A send still running past the deadline may fail later: the race has subscribed to it, so
    // that failure is handled (it reaches no one), as test/mail.test.ts checks.
    const info = await Promise.race([sending, deadline]) as { rejected?: (string | { address: string })[] }
    return { rejected: (info.rejected ?? []).map((entry) => typeof entry === 'string' ? entry : entry.address) }
  } finally {
    clearTimeout(timer)
  }
}
