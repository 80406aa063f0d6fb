import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip, postExport } from './helpers/exports.ts'
import { alice, fixtureData, general, message } from './helpers/fixtures.ts'
import { startSmtpServer } from './helpers/smtp.ts'
import { readZip } from './helpers/zip.ts'

/** Hebrew and Arabic beside English: each text reads in its own direction and reorders nothing around it. */
const at = (minute: number) => new Date(Date.UTC(2024, 4, 2, 9, minute)).toISOString()
const noa = { _id: 'u-noa', username: 'noa', name: 'נועה כהן' }
const yusuf = { _id: 'u-yusuf', username: 'yusuf', name: 'يوسف' }
const messages = [
  { ...message(general._id, at(0), 'ה-PR מוכן לבדיקה ב-GitLab.', { u: noa }), _id: 'hebrew' },
  { ...message(general._id, at(10), 'تم دمج الطلب.', { u: yusuf }), _id: 'arabic' },
  // Reactions in the data's order: 👋 by Yusuf, ❤️ by Noa.
  { ...message(general._id, at(20), 'Thanks, both!', { reactions: { ':wave:': { usernames: ['yusuf'] }, ':heart:': { usernames: ['noa'] } } }), _id: 'english' }
]
const range = { dateFrom: '2024-05-02', dateTo: '2024-05-02' }

/** The mail's bodies and names with their direction, and each reaction's people, as the browser lays them out. */
const layout = `({
  bodies: [...document.querySelectorAll('.text[dir="auto"], div[dir="auto"]')].map((element) => [element.textContent.trim(), getComputedStyle(element).direction]),
  names: [...document.querySelectorAll('b[dir="auto"], .author[dir="auto"]')].map((element) => [element.textContent.trim(), getComputedStyle(element).direction, getComputedStyle(element).unicodeBidi]),
  reactions: [...document.querySelectorAll('bdi')].filter((element) => element.querySelector('bdi')).map((element) => [...element.querySelectorAll('bdi')].map((person) => person.textContent))
})`

t.test('right-to-left text in the page and the mail: each body and name in its own direction, each reactor isolated; the text part isolates names', async (t) => {
  const smtp = await startSmtpServer(t)
  const app = await buildApp(t, { mailer: { transport: smtp.transport, from: 'exports@chat.example' } }, { ...fixtureData(), messages })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', ...range }))
  const directory = await temporaryDirectory(t)
  await writeFile(join(directory, 'general.html'), entries.get('general.html')!)
  t.equal((await postExport(app, alice, { rid: general._id, type: 'email', toEmails: ['reader@example.com'], ...range })).statusCode, 200)
  // The email export's mail (the file export sent an "export ready" one too).
  const mail = smtp.mails.find((candidate) => candidate.text?.includes('GitLab') === true)!

  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)
  const direction = async (selector: string) => await page.$eval(selector, (element) => getComputedStyle(element).direction)
  t.equal(await direction('#m-hebrew .text'), 'rtl', 'Hebrew reads right to left')
  t.equal(await direction('#m-arabic .text'), 'rtl', 'Arabic too')
  t.equal(await direction('#m-english .text'), 'ltr')
  t.equal(await direction('#m-hebrew .author'), 'rtl', 'a Hebrew name in its own direction')
  t.equal(await page.$eval('#m-hebrew .author', (element) => getComputedStyle(element).unicodeBidi), 'isolate', 'and isolated from the username and time beside it')
  // A string, not a function: the test's TypeScript has no DOM types.
  t.same(await page.evaluate('[...document.querySelectorAll("#m-english ul.reactions li")].map((item) => [...item.querySelectorAll("bdi")].map((person) => person.textContent))'), [['يوسف'], ['נועה כהן']], 'each reactor isolated, in the data\'s order')

  await page.setContent(mail.html as string)
  const inMail = await page.evaluate(layout) as { bodies: Array<[string, string]>, names: Array<[string, string, string]>, reactions: string[][] }
  t.same(inMail.bodies.filter(([text]) => messages.some((source) => source.msg === text)), [
    ['ה-PR מוכן לבדיקה ב-GitLab.', 'rtl'],
    ['تم دمج الطلب.', 'rtl'],
    ['Thanks, both!', 'ltr']
  ], 'the mail\'s bodies, each in its direction')
  t.same(inMail.names.filter(([name]) => [noa.name, yusuf.name].includes(name)), [['נועה כהן', 'rtl', 'isolate'], ['يوسف', 'rtl', 'isolate']], 'the mail\'s names, isolated')
  t.same(inMail.reactions, [['يوسف'], ['נועה כהן']], 'the mail\'s reactions: 👋 by Yusuf, ❤️ by Noa, as in the data')

  t.match(mail.text, '\u2068נועה כהן\u2069: ה-PR מוכן לבדיקה ב-GitLab.', 'the text part isolates the name (FSI … PDI)')
  t.match(mail.text, '\u2068يوسف\u2069: تم دمج الطلب.')
})

t.test('a Hebrew table: the table reads right to left, each cell in its own direction ("2300 ms" stays so)', async (t) => {
  const table = { ...message(general._id, at(30), '| שלב | זמן |\n|:---|---:|\n| בנייה | 2300 ms |', { u: noa }), _id: 'hebrew-table' }
  const app = await buildApp(t, {}, { ...fixtureData(), messages: [table] })
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', ...range }))
  const directory = await temporaryDirectory(t)
  await writeFile(join(directory, 'general.html'), entries.get('general.html')!)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)
  const cells = await page.evaluate('[...document.querySelectorAll(\'#m-hebrew-table td, #m-hebrew-table th\')].map((cell) => [cell.textContent, getComputedStyle(cell).direction])')
  t.same(cells, [['שלב', 'rtl'], ['זמן', 'rtl'], ['בנייה', 'rtl'], ['2300 ms', 'ltr']])
  t.equal(await page.$eval('#m-hebrew-table .md-table', (element) => getComputedStyle(element).direction), 'rtl', 'the table itself, in a Hebrew message, runs right to left')
})
