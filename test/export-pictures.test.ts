/// <reference lib="dom" />
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { createMemoryRepository, type RoomRepository } from '../index.ts'
import { maxPictureBytes, maxPictures } from '../lib/export/pictures.ts'
import { exportToZip } from './helpers/exports.ts'
import { buildApp, temporaryDirectory } from './helpers/app.ts'
import { launchBrowser } from './helpers/browser.ts'
import { alice, bob, carol, fixtureData, general, message } from './helpers/fixtures.ts'
import { redPng } from './helpers/rich-room.ts'
import { compressionMethods, readZip } from './helpers/zip.ts'

/** The smallest GIF: one transparent pixel (an animated custom emoji is a GIF). */
const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const alicePng = redPng(48, 48)
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

const bobAuthor = { _id: bob._id, username: bob.username, name: bob.name }
const carolAuthor = { _id: carol._id, username: carol.username }
const slashed = { _id: 'u-slash', username: '../evil/x', name: 'Slashed' }

function pictureData () {
  const data = fixtureData()
  data.messages = [
    message(general._id, '2024-03-21T09:00:00.000Z', 'morning :party_parrot: and :smile: and :no_such_emoji:', { _id: 'p1', reactions: { ':party_parrot:': { usernames: ['bob'] }, ':+1:': { usernames: ['alice'] } } }),
    message(general._id, '2024-03-21T09:01:00.000Z', ':party_parrot:', { _id: 'p2', u: bobAuthor }),
    message(general._id, '2024-03-21T09:02:00.000Z', 'no picture for me, and a :huge: one', { _id: 'p3', u: carolAuthor }),
    message(general._id, '2024-03-21T09:03:00.000Z', 'a name that is a path', { _id: 'p4', u: slashed }),
    message(general._id, '2024-03-21T09:04:00.000Z', 'times like 10:30:45 are no emoji', { _id: 'p5' })
  ]
  return {
    ...data,
    avatars: { alice: alicePng, bob: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), '../evil/x': alicePng },
    customEmoji: { party_parrot: gif, huge: Buffer.concat([redPng(2, 2), Buffer.alloc(maxPictureBytes)]) }
  }
}

/** The memory repository, counting its picture reads by kind and name. */
function countingPictures (repository: RoomRepository) {
  const opened: string[] = []
  return {
    opened,
    repository: {
      ...repository,
      openAvatar: async (username: string) => { opened.push(`avatar:${username}`); return await repository.openAvatar!(username) },
      openCustomEmoji: async (name: string) => { opened.push(`emoji:${name}`); return await repository.openCustomEmoji!(name) }
    } satisfies RoomRepository
  }
}

const range = { rid: general._id, type: 'file', dateFrom: '2024-03-21', dateTo: '2024-03-21' }

for (const renderInWorker of [true, false]) {
  t.test(`avatars and custom emoji are pictures from the archive (${renderInWorker ? 'render worker' : 'main thread'})`, async (t) => {
    const counted = countingPictures(createMemoryRepository(pictureData()))
    const app = await buildApp(t, { repository: counted.repository, renderInWorker }, pictureData())
    const zip = await exportToZip(app, alice, { ...range, format: 'html' })
    const entries = await readZip(zip)
    const html = entries.get('general.html')!.toString()

    t.same(entries.get('avatars/alice.png'), alicePng, 'her avatar, byte for byte')
    const methods = await compressionMethods(zip)
    t.same([methods['avatars/alice.png'], methods['emoji/party_parrot.gif'], methods['general.html']], [0, 0, 8], 'pictures stored as they are (compressed already), the page deflated')
    t.same(entries.get('avatars/~2e~.~2f~evil~2f~x.png'), alicePng, 'a username that is a path is a file name, reversibly escaped')
    t.same(entries.get('emoji/party_parrot.gif'), gif)
    t.same([...entries.keys()].filter((name) => /^(avatars|emoji)\//.test(name)).sort(), ['avatars/alice.png', 'avatars/~2e~.~2f~evil~2f~x.png', 'emoji/party_parrot.gif'], 'nothing else: no SVG, nothing too big')

    const article = (id: string) => new RegExp(`<article class="message[^"]*" id="m-${id}">[\\s\\S]*?</article>`).exec(html)![0]
    t.match(article('p1'), '<div class="avatar" style="--hue: 0" aria-hidden="true">AA<img src="avatars/alice.png" alt="" loading="lazy"></div>')
    t.match(article('p1'), 'morning <img class="md-emoji-picture" src="emoji/party_parrot.gif" alt=":party_parrot:" title=":party_parrot:"> and <span class="md-emoji"')
    t.match(article('p1'), '<span class="md-emoji-custom">:no_such_emoji:</span>', 'a name the server has no emoji for stays text')
    t.match(article('p1'), '<li title=":party_parrot: Bob &lt;b&gt;Builder&lt;/b&gt;"><img class="md-emoji-picture" src="emoji/party_parrot.gif" alt=":party_parrot:" title=":party_parrot:"> 1 · ')
    t.match(article('p2'), '<p class="md-emoji-big"><img class="md-emoji-picture" src="emoji/party_parrot.gif" alt=":party_parrot:" title=":party_parrot:"></p>')
    t.match(article('p2'), /<div class="avatar" style="--hue: \d+" aria-hidden="true">BB<\/div>/, 'an SVG avatar is no picture: the initials')
    t.match(article('p3'), /aria-hidden="true">C<\/div>/, 'no avatar: the initials')
    t.match(article('p3'), '<span class="md-emoji-custom">:huge:</span>', 'an emoji too big to archive stays text')
    t.match(article('p4'), '<img src="avatars/~2e~.~2f~evil~2f~x.png" alt="" loading="lazy">')

    const manifest = JSON.parse(entries.get('manifest.json')!.toString())
    t.same(manifest.pictures, {
      included: [
        { kind: 'avatar', name: 'alice', path: 'avatars/alice.png', bytes: alicePng.length, sha256: sha256(alicePng) },
        { kind: 'emoji', name: 'party_parrot', path: 'emoji/party_parrot.gif', bytes: gif.length, sha256: sha256(gif) },
        { kind: 'avatar', name: '../evil/x', path: 'avatars/~2e~.~2f~evil~2f~x.png', bytes: alicePng.length, sha256: sha256(alicePng) }
      ],
      missing: [
        { kind: 'avatar', name: 'bob', reason: 'not a PNG, JPEG, GIF or WebP image' },
        { kind: 'emoji', name: 'huge', reason: `larger than ${maxPictureBytes} bytes` }
      ]
    })
    t.match(manifest.entries, [{ name: 'general.html' }, { name: 'avatars/alice.png' }, { name: 'emoji/party_parrot.gif' }, { name: 'avatars/~2e~.~2f~evil~2f~x.png' }], 'the pictures follow the parts, each in the entries')
    // Each name read once to name its picture, and once more to archive the ones named; the Unicode
    // emoji (:smile:, :+1:) and the time's "30" are never asked for as custom emoji… except "30",
    // which could be one: `10:30:45` holds `:30:`, and the server may have an emoji of that name.
    t.same(counted.opened.sort(), [
      'avatar:../evil/x', 'avatar:../evil/x', 'avatar:alice', 'avatar:alice', 'avatar:bob', 'avatar:carol',
      'emoji:30', 'emoji:huge', 'emoji:no_such_emoji', 'emoji:party_parrot', 'emoji:party_parrot'
    ])
  })
}

t.test('in Chromium the pictures load from the archive; a picture gone from the archive leaves the initials', async (t) => {
  const data = pictureData()
  const app = await buildApp(t, {}, data)
  const entries = await readZip(await exportToZip(app, alice, { ...range, format: 'html' }))
  const directory = await temporaryDirectory(t)
  for (const [name, content] of entries) {
    if (name === 'avatars/~2e~.~2f~evil~2f~x.png') continue // as if it had gone between the two reads
    await mkdir(dirname(join(directory, name)), { recursive: true })
    await writeFile(join(directory, name), content)
  }
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const outside: string[] = []
  page.on('request', (sent) => { if (!sent.url().startsWith('file://')) outside.push(sent.url()) })
  await page.goto(pathToFileURL(join(directory, 'general.html')).href)
  await page.evaluate('Promise.all([...document.images].map((image) => image.decode().catch(() => null)))')
  const seen = await page.evaluate(`[...document.querySelectorAll('.avatar img, img.md-emoji-picture')].map((image) => {
    const box = image.getBoundingClientRect()
    return { src: image.getAttribute('src'), loaded: image.naturalWidth > 0, width: Math.round(box.width), height: Math.round(box.height) }
  })`)
  t.same(seen, [
    { src: 'avatars/alice.png', loaded: true, width: 36, height: 36 },
    { src: 'emoji/party_parrot.gif', loaded: true, width: 21, height: 21 },
    { src: 'emoji/party_parrot.gif', loaded: true, width: 17, height: 17 },
    { src: 'emoji/party_parrot.gif', loaded: true, width: 32, height: 32 },
    { src: 'avatars/~2e~.~2f~evil~2f~x.png', loaded: false, width: 36, height: 36 },
    { src: 'avatars/alice.png', loaded: true, width: 36, height: 36 }
  ], 'avatars fill their box, emoji sit in the line, a big one is big')
  // The missing picture draws nothing (alt=""): the initials under it are what shows.
  const initials = await page.evaluate(`(() => {
    const avatar = document.querySelector('#m-p4 .avatar')
    const box = avatar.getBoundingClientRect()
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)
    return { text: avatar.textContent, hit: hit.tagName, picture: getComputedStyle(avatar.querySelector('img')).visibility }
  })()`)
  t.same(initials, { text: 'S', hit: 'IMG', picture: 'visible' })
  const shot = await page.locator('#m-p4 .avatar').screenshot()
  const blank = await page.locator('#m-p5 .avatar').screenshot()
  t.not(shot.equals(blank), true)
  t.same(outside, [], 'nothing requested outside the archive')
})

t.test('JSON exports, and repositories without picture methods, read no pictures', async (t) => {
  const counted = countingPictures(createMemoryRepository(pictureData()))
  const app = await buildApp(t, { repository: counted.repository })
  const json = await readZip(await exportToZip(app, alice, { ...range, format: 'json' }))
  t.same(counted.opened, [])
  t.equal(JSON.parse(json.get('manifest.json')!.toString()).pictures, undefined)
  t.same([...json.keys()].filter((name) => /^(avatars|emoji)\//.test(name)), [])

  const plain = await buildApp(t, {}, fixtureData())
  const html = await readZip(await exportToZip(plain, alice, { ...range, format: 'html' }))
  t.equal(JSON.parse(html.get('manifest.json')!.toString()).pictures, undefined, 'no picture methods: no pictures in the manifest')
})

t.test('a picture that fails to open, fails to read or changes in between is listed missing; the export is done', async (t) => {
  const data = pictureData()
  const memory = createMemoryRepository(data)
  let emojiReads = 0
  const repository: RoomRepository = {
    ...memory,
    openAvatar: async (username) => {
      if (username === 'bob') throw new Error('avatar store away')
      if (username === 'carol') return Readable.from((async function * () { yield Buffer.from('partial'); throw new Error('connection reset') })())
      return await memory.openAvatar!(username)
    },
    // The second read of the parrot (to archive it) finds a PNG where a GIF was.
    openCustomEmoji: async (name) => name === 'party_parrot' && ++emojiReads === 2 ? Readable.from([redPng(2, 2)]) : await memory.openCustomEmoji!(name)
  }
  const app = await buildApp(t, { repository })
  const entries = await readZip(await exportToZip(app, alice, { ...range, format: 'html' }))
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  t.same(manifest.pictures.missing, [
    { kind: 'avatar', name: 'bob', reason: 'could not be opened' },
    { kind: 'avatar', name: 'carol', reason: 'could not be read' },
    { kind: 'emoji', name: 'huge', reason: `larger than ${maxPictureBytes} bytes` },
    { kind: 'emoji', name: 'party_parrot', reason: 'changed type since the page named it' }
  ])
  t.same(manifest.pictures.included.map((picture: { path: string }) => picture.path), ['avatars/alice.png', 'avatars/~2e~.~2f~evil~2f~x.png'])
  t.notOk(entries.has('emoji/party_parrot.gif'))
  t.match(entries.get('general.html')!.toString(), 'src="emoji/party_parrot.gif"', 'the page named it before it changed: its alt text shows')
})

t.test(`at most ${maxPictures} pictures an export: beyond, names stay text`, async (t) => {
  const data = pictureData()
  const names = Array.from({ length: maxPictures + 1 }, (_, index) => `e${index}`)
  data.messages = [message(general._id, '2024-03-21T09:00:00.000Z', names.map((name) => `:${name}:`).join(' '), { _id: 'many' })]
  const customEmoji = Object.fromEntries(names.map((name) => [name, gif]))
  const app = await buildApp(t, {}, { ...data, avatars: undefined, customEmoji })
  const entries = await readZip(await exportToZip(app, alice, { ...range, format: 'html' }))
  const manifest = JSON.parse(entries.get('manifest.json')!.toString())
  t.equal(manifest.pictures.included.length, maxPictures)
  t.equal([...entries.keys()].filter((name) => name.startsWith('emoji/')).length, maxPictures)
  const html = entries.get('general.html')!.toString()
  t.match(html, `<span class="md-emoji-custom">:e${maxPictures}:</span>`, 'the one too many is text')
  t.match(html, `<img class="md-emoji-picture" src="emoji/e${maxPictures - 1}.gif"`)
})
