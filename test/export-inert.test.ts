/// <reference lib="dom" />
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import type { ExportMessage, FileRef, MemoryRepositoryData } from '../index.ts'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, fixtureData, general } from './helpers/fixtures.ts'
import { readZip } from './helpers/zip.ts'
import { uploadSniffsActive } from '../lib/render/uploads.ts'

/**
 * Uploads are the one thing in an archive whose bytes come straight from the
 * data. Opened from the extracted archive — the page's links, or a person
 * double-clicking in the folder — none may run a script.
 */
const page = '<!doctype html><html><body><p>page</p><script>console.log("ran script " + location.pathname)</script><img src="x" onerror="console.log(\'ran onerror\')"><img src="http://127.0.0.1:47913/remote.png"></body></html>'
const svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="console.log(\'ran svg onload\')"><script>console.log("ran svg script")</script><image href="http://127.0.0.1:47913/remote.png"/></svg>'
const xml = '<?xml version="1.0"?><root xmlns:h="http://www.w3.org/1999/xhtml"><h:script>console.log("ran xml script")</h:script></root>'
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+M8AAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64')

/** Active documents as people upload them, declared honestly or not. */
const active: Array<[FileRef, string]> = [
  [{ _id: 'svg', name: 'logo.svg', type: 'image/svg+xml' }, svg],
  [{ _id: 'svg-as-png', name: 'logo.png', type: 'image/png' }, svg],
  [{ _id: 'svg-undeclared', name: 'drawing.svg' }, svg],
  [{ _id: 'html', name: 'report.html', type: 'text/html' }, page],
  [{ _id: 'xhtml', name: 'page.xhtml', type: 'application/xhtml+xml' }, page],
  [{ _id: 'xml', name: 'data.xml', type: 'text/xml' }, xml],
  [{ _id: 'js', name: 'app.js', type: 'text/javascript' }, 'console.log("ran js")'],
  [{ _id: 'no-extension', name: 'README', type: 'application/octet-stream' }, page],
  [{ _id: 'unknown-extension', name: 'notes.md', type: 'text/markdown' }, page],
  [{ _id: 'html-as-text', name: 'notes.txt', type: 'text/html' }, page],
  // longer than the 512 bytes a browser sniffs
  [{ _id: 'long-page', name: 'long.txt' }, `\ufeff  ${page}${' '.repeat(2000)}`]
]
/** Every extension kept as it is, each holding an HTML page: the extension alone must make it inert. */
const inert = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico', 'avif', 'mp3', 'm4a', 'ogg', 'oga', 'opus', 'wav', 'flac', 'mp4', 'm4v', 'webm', 'mov', 'pdf', 'txt', 'csv', 'json', 'zip', 'gz', 'docx', 'xlsx', 'pptx']
  .map((extension): [FileRef, string] => [{ _id: `inert-${extension}`, name: `disguised.${extension}` }, page])
const photo: [FileRef, Buffer] = [{ _id: 'photo', name: 'photo.png', type: 'image/png' }, png]

function roomWithUploads (): MemoryRepositoryData {
  const data = fixtureData()
  const uploads = [...active, ...inert, photo]
  const messages: ExportMessage[] = uploads.map(([file], index) => ({
    _id: `u${index}`,
    rid: general._id,
    ts: new Date(Date.UTC(2024, 2, 21, 9, index)),
    msg: '',
    u: { _id: alice._id, username: 'alice' },
    file
  }))
  return { ...data, messages, files: Object.fromEntries(uploads.map(([file, content]) => [file._id, { rid: general._id, content }])) }
}

async function unzipTo (t: Test, zip: Buffer): Promise<string[]> {
  const directory = await temporaryDirectory(t)
  for (const [name, content] of await readZip(zip)) {
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  const files = await readdir(directory, { recursive: true, withFileTypes: true })
  return files.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name))
}

t.test('every file of an HTML and a JSON archive, opened in Chromium from disk, runs no script and loads nothing', async (t) => {
  const app = await buildApp(t, {}, roomWithUploads())
  const html = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' })
  const json = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'json' })
  const files = [...await unzipTo(t, html), ...await unzipTo(t, json)]
  t.equal(files.length, 2 * (active.length + inert.length + 1) + 2 + 3, 'every upload in both, and each archive\'s own files')

  const browser = await launchBrowser(t)
  const context = await browser.newContext({ acceptDownloads: true })
  const ran: string[] = []
  const requests: string[] = []
  const saved: string[] = []
  const tab = await context.newPage()
  tab.on('console', (message) => { ran.push(message.text()) })
  tab.on('dialog', (dialog) => { ran.push(`dialog ${dialog.message()}`); void dialog.dismiss() })
  // The browser's own PDF viewer and text styles are its pages; anything else beyond the disk is the data's.
  tab.on('request', (request) => { if (!/^(?:file|chrome-extension|chrome):/.test(request.url())) requests.push(request.url()) })
  // The check itself: the same SVG, under its own name, does run.
  const control = join(await temporaryDirectory(t), 'control.svg')
  await writeFile(control, svg)
  await tab.goto(pathToFileURL(control).href, { waitUntil: 'load' })
  t.ok(ran.includes('ran svg script') && ran.includes('ran svg onload'), 'an SVG opened as one runs its script')
  t.same(requests, ['http://127.0.0.1:47913/remote.png'], 'and loads its remote image')
  ran.length = 0
  requests.length = 0
  for (const file of files) {
    try {
      await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' })
      await tab.waitForTimeout(20)
    } catch (err) {
      // A type the browser saves rather than shows: nothing of it runs.
      if (!String(err).includes('Download is starting')) throw err
      saved.push(relative(dirname(file), file))
    }
  }
  // From disk Chromium ignores `download` (a file: page is no origin the file shares): the link opens what is stored, the SVG's source as text.
  await tab.goto(pathToFileURL(files.find((file) => file.endsWith('general.html'))!).href)
  await tab.click('a[download="logo.svg"]')
  await tab.waitForURL(/svg-logo\.svg\.txt$/)
  t.equal(await tab.evaluate(() => document.body.innerText), svg, 'clicked, the link shows the SVG\'s source')
  t.same(ran, [], 'no script from the data ran')
  t.same(requests, [], 'nothing was loaded from the network')
  t.ok(saved.length > 0, `${saved.length} files were offered for saving instead`)
})

t.test('the page links an active upload for saving, under its own name; only real images are inline', async (t) => {
  const app = await buildApp(t, {}, roomWithUploads())
  const entries = await readZip(await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html' }))
  const html = entries.get('general.html')!.toString()
  const links = [...html.matchAll(/<li>(?:<a href="[^"]*"><img [^>]*><\/a>)?<a href="([^"]+)"( download="[^"]*")? dir="auto">/g)].map(([, href, download]) => `${href}${download ?? ''}`)
  t.same(links.slice(0, active.length), [
    'assets/svg-logo.svg.txt download="logo.svg"',
    'assets/svg-as-png-logo.png',
    'assets/svg-undeclared-drawing.svg.txt download="drawing.svg"',
    'assets/html-report.html.txt download="report.html"',
    'assets/xhtml-page.xhtml.txt download="page.xhtml"',
    'assets/xml-data.xml.txt download="data.xml"',
    'assets/js-app.js.txt download="app.js"',
    'assets/no-extension-README.txt download="README"',
    'assets/unknown-extension-notes.md.txt download="notes.md"',
    'assets/html-as-text-notes.txt download="notes.txt"',
    'assets/long-page-long.txt'
  ])
  // An SVG called .png and declared image/png is an <img> of a PNG from disk (its name decides): a broken image, never a document.
  t.same([...html.matchAll(/<img src="([^"]+)"/g)].map(([, src]) => src), ['assets/svg-as-png-logo.png', 'assets/photo-photo.png'], 'only uploads named and declared as raster images are inline; an SVG never is')
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  const marked = manifest.assets.included.filter((asset: { active?: boolean }) => asset.active === true).map((asset: { fileId: string }) => asset.fileId)
  t.same(marked, [...active.map(([file]) => file._id), ...inert.map(([file]) => file._id)], 'the manifest marks every upload active by name, declared type or content')
})

t.test('what sniffs as a document: the signatures a browser looks for, after white space and a byte-order mark', async (t) => {
  const sniffs = (text: string) => uploadSniffsActive(Buffer.from(text, 'latin1'))
  for (const text of ['<!DOCTYPE html>', '\xef\xbb\xbf<html>', ' \n\t<SCRIPT>', '<p>hi', '<!-- x -->', '<svg>', '<svg\nxmlns="…">', '<?xml version="1.0"?>', '\xff\xfe<body class="x">']) t.ok(sniffs(text), JSON.stringify(text))
  for (const text of ['', 'plain text', '<pre>', '<svgx>', '<a', 'GIF89a', '%PDF-1.7 <html>', '<bx>']) t.notOk(sniffs(text), JSON.stringify(text))
})
