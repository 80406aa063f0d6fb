import t from 'tap'
import type { ExportLimits } from '../lib/options.ts'
import { createMemoryRepository, type ExportUser } from '../index.ts'
import { headerSafe, MailTimeoutError, parseAddress, resolveRecipients, sendMail, userAddress } from '../lib/mail.ts'
import type { ResolvedMailer } from '../lib/options.ts'
import { alice, bob, carol, fixtureData } from './helpers/fixtures.ts'

/**
 * The checks every mail's addresses go through, one by one: one mailbox per
 * address within RFC 5321's lengths, a user's verified address first, and
 * the recipient rules of SPEC §3 in their order.
 */
t.test('an address is exactly one mailbox within RFC 5321\'s lengths', async (t) => {
  t.same(parseAddress('Ops.Team+exports@Mail.Example.COM'), { address: 'Ops.Team+exports@Mail.Example.COM', domain: 'mail.example.com' }, 'the domain in lower case, the address as written')
  t.same(parseAddress("a!#$%&'*+/=?^_`{|}~-z@example.com"), { address: "a!#$%&'*+/=?^_`{|}~-z@example.com", domain: 'example.com' }, 'every dot-atom character')
  const local64 = 'l'.repeat(64)
  t.same(parseAddress(`${local64}@example.com`), { address: `${local64}@example.com`, domain: 'example.com' }, '64 characters of local part')
  t.equal(parseAddress(`${local64}l@example.com`), null, '65 are too many')
  const at254 = `a@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(60)}`
  t.equal(at254.length, 254)
  t.same(parseAddress(at254), { address: at254, domain: at254.slice(2) }, '254 characters in all')
  t.equal(parseAddress(`a${at254}`), null, '255 are too many')
  t.same(parseAddress(`x@${'d'.repeat(63)}.com`), { address: `x@${'d'.repeat(63)}.com`, domain: `${'d'.repeat(63)}.com` }, 'a label of 63 characters')
  t.equal(parseAddress(`x@${'d'.repeat(64)}.com`), null, 'a label of 64 is too long')
  t.same(parseAddress('x@a.b.c'), { address: 'x@a.b.c', domain: 'a.b.c' }, 'one-letter labels')
  for (const refused of [
    '@example.com', 'a@', 'a@example', 'a@-example.com', 'a@example-.com', 'a@exa_mple.com', 'a@.example.com', 'a@example..com', 'a@example.com.',
    'a..b@example.com', '.a@example.com', 'a.@example.com', '"a b"@example.com', 'a b@example.com', 'a,b@example.com', 'a@example.com, b@example.com',
    'a@example.com\r\nBcc: x@example.com', 'Ops <a@example.com>', 'example.com', 'ops.example.com', 'ü@example.com', 'a@exämple.com', 'a', '', 5, null, undefined, ['a@example.com']
  ]) t.equal(parseAddress(refused), null, `${JSON.stringify(refused)} is refused`)
})

t.test('a user\'s mail goes to a valid verified address first, then any valid one', async (t) => {
  const user = (emails: ExportUser['emails']): ExportUser => ({ _id: 'u', username: 'u', emails })
  t.same(userAddress(user([{ address: 'unverified@example.com' }, { address: 'verified@example.com', verified: true }])), { address: 'verified@example.com', domain: 'example.com' }, 'the verified one, though listed second')
  t.same(userAddress(user([{ address: 'first@example.com', verified: false }, { address: 'second@example.com' }])), { address: 'first@example.com', domain: 'example.com' }, 'none verified: the first valid one, in order')
  t.same(userAddress(user([{ address: 'not an address', verified: true }, { address: 'valid@example.com' }])), { address: 'valid@example.com', domain: 'example.com' }, 'an invalid verified one is passed over')
  t.same(userAddress(user([{ address: 'a@example.com', verified: true }, { address: 'b@example.com', verified: true }])), { address: 'a@example.com', domain: 'example.com' }, 'two verified: the first')
  t.equal(userAddress(user([{ address: 'nope' }])), null)
  t.equal(userAddress(user(undefined)), null, 'no addresses at all')
  const emails = [{ address: 'b@example.com' }, { address: 'a@example.com', verified: true }]
  userAddress(user(emails))
  t.same(emails, [{ address: 'b@example.com' }, { address: 'a@example.com', verified: true }], 'the user\'s own list is left in its order')
})

t.test('recipients: typed addresses checked first, then who has an address, how many, and their domains', async (t) => {
  const repository = createMemoryRepository(fixtureData())
  const limits = { maxRecipients: 3 } as ExportLimits
  const resolve = async (toUsers: string[], toEmails: string[], requester: ExportUser = alice, extra: Partial<ExportLimits> = {}) =>
    await resolveRecipients(requester, toUsers, toEmails, repository, { ...limits, ...extra })
  const error = (errorType: string, details: string) => ({ name: 'ExportApiError', errorType, details, message: `${errorType}: ${details}` })

  const { reportedAs, ...whole } = await resolve(['bob', 'carol', 'nobody', 'bob'], ['Ops@Example.com', 'bob@example.org'])
  t.same(whole, { addresses: ['bob@example.org', 'Ops@Example.com'], missing: ['carol', 'nobody'] }, 'each address once (case aside), in order; who has none is missing')
  t.same([...reportedAs], [['bob@example.org', ['bob', 'bob@example.org']], ['ops@example.com', ['Ops@Example.com']]], 'a refused address is reported as each way it was asked for')
  t.same(await resolve([], []), { addresses: ['alice@example.com'], missing: [], reportedAs: new Map([['alice@example.com', ['alice']]]) }, 'nobody named: the requester')
  await t.rejects(resolve([], [], carol), error('error-invalid-recipient', 'no recipients given and you have no email address'))
  await t.rejects(resolve(['carol', 'nobody'], []), error('error-invalid-recipient', 'none of the recipients has an email address'))
  await t.rejects(resolve(['bob', 'nobody'], ['not an address']), error('error-invalid-email', 'toEmails: "not an address" is not an email address'), 'a malformed typed address first, before anyone is looked up')
  t.same((await resolve([], ['a@example.com', 'b@example.com', 'c@example.com'])).addresses, ['a@example.com', 'b@example.com', 'c@example.com'], 'as many as maxRecipients')
  await t.rejects(resolve([], ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']), error('error-invalid-recipient', 'at most 3 recipients'), 'one more is refused')
  t.same((await resolve(['bob'], ['a@EXAMPLE.com'], alice, { allowedEmailDomains: ['example.org', 'example.com'] })).addresses, ['bob@example.org', 'a@EXAMPLE.com'], 'allowed domains, compared in lower case')
  await t.rejects(resolve(['bob'], ['a@example.com'], alice, { allowedEmailDomains: ['example.com'] }), error('error-invalid-recipient', 'bob@example.org is outside the allowed email domains'))
  t.same(bob.emails, [{ address: 'bob@example.org', verified: true }])
})

t.test('header values carry no line breaks or other control characters', async (t) => {
  t.equal(headerSafe('Export of #general\r\nBcc: x@example.com'), 'Export of #general Bcc: x@example.com')
  t.equal(headerSafe('\u0000a\u0007b\u001fc\u007fd\u009fe\u00a0f '), 'a b c d e\u00a0f', 'C0, DEL and C1 become one space each run; a no-break space stays')
  t.equal(headerSafe('\n\tplain\t\n'), 'plain', 'trimmed')
})

t.test('no one to look up: the repository is not asked', async (t) => {
  const repository = { ...createMemoryRepository(fixtureData()), findUsersByUsernames: async () => { throw new Error('asked for nobody') } }
  t.same((await resolveRecipients(alice, [], ['a@example.com'], repository, { maxRecipients: 3 } as ExportLimits)).addresses, ['a@example.com'])
})

t.test('a mail goes to each address as an object with no display name, and a server that never answers times out leaving no timer', async (t) => {
  const sent: unknown[] = []
  const mailer = (sendMail: (mail: unknown) => Promise<unknown>) => ({ transporter: { sendMail }, from: 'Exports <exports@example.com>', ownsTransport: false }) as unknown as ResolvedMailer
  const answered = await sendMail(mailer(async (mail) => { sent.push(mail); return { rejected: ['b@example.com', { address: 'c@example.com' }] } }), { to: ['a@example.com', 'b@example.com'], subject: 's', text: 'x' }, 1000)
  t.same(sent, [{ to: [{ name: '', address: 'a@example.com' }, { name: '', address: 'b@example.com' }], subject: 's', text: 'x', from: 'Exports <exports@example.com>' }], 'never a string nodemailer would parse into a list')
  t.same(answered, { rejected: ['b@example.com', 'c@example.com'] })
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
  const before = timers()
  await sendMail(mailer(async () => ({})), { to: ['a@example.com'], subject: 's' }, 60_000)
  t.equal(timers(), before, 'a mail that went leaves no deadline timer behind')
  const error = await sendMail(mailer(async () => await new Promise(() => {})), { to: ['a@example.com'], subject: 's' }, 50).catch((err: unknown) => err)
  t.type(error, MailTimeoutError)
  t.match(error, { name: 'MailTimeoutError', message: 'the mail server did not finish within 50 ms' })
})

t.test('a send that fails after its deadline is nobody\'s rejection: the process goes on', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => { unhandled.push(reason) }
  // tap's own listener would fail the test by itself; this one records what reached the process.
  const theirs = process.listeners('unhandledRejection')
  process.removeAllListeners('unhandledRejection')
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled)
    for (const listener of theirs) process.on('unhandledRejection', listener)
  })
  const failsLate = { transporter: { sendMail: async () => { await new Promise((resolve) => setTimeout(resolve, 60)); throw new Error('connection reset') } }, from: 'exports@example.com', ownsTransport: false } as unknown as ResolvedMailer
  const error = await sendMail(failsLate, { to: ['a@example.com'], subject: 's' }, 10).catch((err: unknown) => err)
  t.type(error, MailTimeoutError, 'the deadline answers')
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.same(unhandled, [], 'the late failure reached no one')
})
