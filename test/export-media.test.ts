/// <reference lib="dom" />
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { exportToZip } from './helpers/exports.ts'
import { alice, fixtureData, general, message } from './helpers/fixtures.ts'
import { pngBytes } from './helpers/rich-room.ts'
import { compressionMethods, readZip } from './helpers/zip.ts'

/** A second of 8 kHz mono 8-bit PCM silence as a WAV file: a sound Chromium plays. */
function wav (): Buffer {
  const samples = Buffer.alloc(8000, 0x80)
  const header = Buffer.alloc(44)
  header.write('RIFF', 0)
  header.writeUInt32LE(36 + samples.length, 4)
  header.write('WAVEfmt ', 8)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(8000, 24)
  header.writeUInt32LE(8000, 28)
  header.writeUInt16LE(1, 32)
  header.writeUInt16LE(8, 34)
  header.write('data', 36)
  header.writeUInt32LE(samples.length, 40)
  return Buffer.concat([header, samples])
}

const upload = (id: string, name: string, type: string, description?: string) => ({
  file: { _id: id, name, type },
  attachments: [{ title: name, title_link: `/file-upload/${id}/${name}`, type: 'file', ...(description === undefined ? {} : { description }) }]
})

t.test('sounds and videos play from the archive; images and players are described by their description', async (t) => {
  const data = fixtureData()
  data.messages.push(
    message(general._id, '2024-03-21T13:00:00.000Z', '', { _id: 'media-audio', ...upload('aud-1', 'standup.wav', 'audio/wav', 'the *standup* recording') }),
    message(general._id, '2024-03-21T13:01:00.000Z', '', { _id: 'media-video', ...upload('vid-1', 'demo.webm', 'video/webm') }),
    message(general._id, '2024-03-21T13:02:00.000Z', '', { _id: 'media-image', ...upload('img-1', 'chart.png', 'image/png', 'revenue by week') }),
    message(general._id, '2024-03-21T13:03:00.000Z', '', { _id: 'media-svg-video', ...upload('fake-1', 'clip.svg', 'video/mp4') })
  )
  data.files['aud-1'] = { rid: general._id, content: wav() }
  data.files['vid-1'] = { rid: general._id, content: Buffer.from('not a real video') }
  data.files['img-1'] = { rid: general._id, content: pngBytes }
  data.files['fake-1'] = { rid: general._id, content: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>' }
  const app = await buildApp(t, {}, data)
  const zip = await exportToZip(app, alice, { rid: general._id, type: 'file', format: 'html', dateFrom: '2024-03-21', dateTo: '2024-03-21' })
  const entries = await readZip(zip)
  const html = entries.get('general.html')!.toString()
  const methods = await compressionMethods(zip)
  t.same([methods['general.html'], methods['assets/aud-1-standup.wav'], methods['assets/fake-1-clip.svg.txt'], methods['assets/vid-1-demo.webm'], methods['assets/img-1-chart.png']], [8, 8, 8, 0, 0],
    'the page, a WAV and text deflated; a video and a PNG, compressed already, stored as they are')
  t.match(html, '<audio controls preload="none" src="assets/aud-1-standup.wav" aria-label="the standup recording"></audio>')
  t.match(html, '<video controls preload="none" src="assets/vid-1-demo.webm" aria-label="demo.webm"></video>', 'no description: the name')
  t.match(html, '<img src="assets/img-1-chart.png" alt="revenue by week" loading="lazy">')
  t.notMatch(html, /<(video|audio)[^>]*fake-1/, 'an SVG declared a video is no player: it is saved, never opened')

  const directory = await temporaryDirectory(t)
  for (const [name, content] of entries) {
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const outside: string[] = []
  const refused: string[] = []
  page.on('request', (sent) => { if (!sent.url().startsWith('file://')) outside.push(sent.url()) })
  page.on('requestfailed', (failed) => { if (failed.failure()?.errorText === 'csp') refused.push(failed.url()) })
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)
  // Asked to play, the sound loads from assets/ under the page's own policy (media-src 'self').
  const duration = await page.evaluate(`new Promise((resolve) => {
    const audio = document.querySelector('#m-media-audio audio')
    audio.addEventListener('loadedmetadata', () => resolve(audio.duration))
    audio.addEventListener('error', () => resolve(-1))
    audio.load()
    audio.preload = 'metadata'
  })`)
  t.equal(duration, 1, 'the recording, a second long, loads from the archive')
  t.same([outside, refused], [[], []], 'nothing requested outside the archive, nothing refused')
})
