import { parse } from '@rocket.chat/message-parser'
import type { ExportMessage, ExportRoom, MemoryRepositoryData } from '../../index.ts'
import { png } from '../../example/pictures.ts'
import { systemTypes } from '../../lib/render/system-messages.ts'
import { alice, bob, carol, users } from './fixtures.ts'

/** A Rocket.Chat-shaped room with everything an export has to render, as Rocket.Chat stores it. */
export const richRoom: ExportRoom = { _id: 'room-rich', t: 'c', name: 'rich', fname: 'Rich room with a very long name: Supercalifragilisticexpialidocious-and-then-some-more-unbroken-text' }

/** A valid PNG of `width` × `height` red pixels, built here so the test needs no binary fixture. */
export function redPng (width: number, height: number): Buffer {
  return png(width, height, () => [220, 40, 40])
}

export const pngBytes = redPng(40, 24)

/** Every node type the message parser produces, one message each. */
export const markupSamples: Record<string, string> = {
  bold: '*bold* text',
  italic: '_italic_ text',
  strike: '~struck~ text',
  inlineCode: 'run `npm test` now',
  codeBlock: '```js\nconst a = 1 < 2\n```',
  quote: '> quoted line\n> second quoted line',
  heading: '# A heading',
  orderedList: '1. first\n2. second',
  unorderedList: '- apples\n- pears',
  tasks: '- [ ] open task\n- [x] done task',
  lineBreak: 'first line\nsecond line',
  link: 'see [the docs](https://docs.example.com/page) and https://example.org',
  bareDomain: 'visit example.com today',
  mentions: 'hello @bob and @all in #general',
  emoji: 'great work :+1: :white_check_mark: :party_parrot:',
  bigEmoji: ':tada:',
  timestamp: 'meeting at <t:1711015200:f>',
  katex: '$E = mc^2$',
  color: 'color:#ff0000',
  spoiler: '||the butler did it||',
  table: '| step | time |\n|:---|---:|\n| build | 2300 ms |\n| a_very_long_identifier_that_would_otherwise_break_anywhere_in_the_middle | 12 ms |',
  image: '![remote cat](https://images.example.com/cat.png)',
  emoticon: 'nice :)'
}

const at = (minute: number) => new Date(Date.UTC(2024, 2, 21, 9, minute))

export function richRoomData (): MemoryRepositoryData & { files: NonNullable<MemoryRepositoryData['files']> } {
  const messages: ExportMessage[] = []
  const add = (message: Omit<ExportMessage, 'rid'>) => { messages.push({ rid: richRoom._id, ...message }) }
  const alicePerson = { _id: alice._id, username: alice.username, name: alice.name }
  const bobPerson = { _id: bob._id, username: bob.username, name: 'Bob Builder' }

  // A thread whose first message is before the export's range.
  add({ _id: 'old-parent', ts: new Date(Date.UTC(2024, 2, 20, 8, 0)), msg: 'Yesterday\'s *question* about backups', u: bobPerson, tcount: 1 })

  let minute = 0
  for (const [name, msg] of Object.entries(markupSamples)) {
    add({
      _id: `md-${name}`,
      ts: at(minute++),
      msg,
      u: minute % 3 === 0 ? bobPerson : alicePerson,
      mentions: name === 'mentions' ? [{ _id: bob._id, username: 'bob', name: 'Bob Builder' }, { _id: 'all', username: 'all' }] : undefined,
      channels: name === 'mentions' ? [{ _id: 'room-general', name: 'general' }] : undefined
    })
  }
  add({ _id: 'stored-md', ts: at(minute++), msg: 'text as typed', md: parse('*the stored tree wins*') as ExportMessage['md'], u: alicePerson })
  add({ _id: 'thread-parent', ts: at(minute++), msg: 'Shall we ship on *Friday*?', u: alicePerson, tcount: 2, reactions: { ':+1:': { usernames: ['bob', 'carol'] }, ':party_parrot:': { usernames: ['alice'] } } })
  add({ _id: 'image', ts: at(minute++), msg: '', u: bobPerson, file: { _id: 'img-1', name: 'chart.png', type: 'image/png', size: 99999 }, files: [{ _id: 'img-1', name: 'chart.png', type: 'image/png', size: 99999 }], attachments: [{ title: 'chart.png', title_link: '/file-upload/img-1/chart.png', image_url: '/file-upload/img-1/chart.png', image_type: 'image/png', type: 'file', description: 'the *weekly* chart', descriptionMd: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'the ' }, { type: 'ITALIC', value: [{ type: 'PLAIN_TEXT', value: 'weekly' }] }, { type: 'PLAIN_TEXT', value: ' chart' }] }] }] })
  add({ _id: 'preview', ts: at(minute++), msg: 'article: https://news.example.com/story', u: alicePerson, urls: [{ url: 'https://news.example.com/story', title: 'Big story', description: 'What happened today' }] })
  add({ _id: 'remote-attachment', ts: at(minute++), msg: 'bot post', u: bobPerson, attachments: [{ title: 'Build #42', title_link: 'https://ci.example.com/42', image_url: 'https://ci.example.com/badge.png', text: 'build *passed*' }] })
  add({ _id: 'quote', ts: at(minute++), msg: '[ ](https://chat.example.com/channel/rich?msg=thread-parent) Friday works for me', u: { _id: carol._id, username: 'carol' }, attachments: [{ author_name: 'Alice Archer', message_link: 'https://chat.example.com/channel/rich?msg=thread-parent', text: 'Shall we ship on *Friday*?', ts: at(minute - 5) }] })
  // Rocket.Chat names a video upload in its attachment's video_url only: still the upload, shown once.
  add({ _id: 'video', ts: at(minute++), msg: '', u: alicePerson, file: { _id: 'vid-1', name: 'demo.mp4', type: 'video/mp4' }, attachments: [{ title: 'demo.mp4', video_url: '/file-upload/vid-1/demo.mp4', type: 'file', description: 'the demo' }] })
  for (const type of systemTypes) {
    const namesUser = ['au', 'ru', 'ui', 'user-muted', 'user-unmuted', 'user-banned', 'user-unbanned', 'added-user-to-team', 'removed-user-from-team', 'subscription-role-added', 'subscription-role-removed'].includes(type)
    add({ _id: `sys-${type}`, ts: at(minute++), msg: namesUser ? 'bob' : type === 'room_changed_privacy' ? 'private' : 'the release plan', t: type, role: type.startsWith('subscription-role') ? 'moderator' : undefined, u: alicePerson })
  }
  add({ _id: 'pin', ts: at(minute++), msg: '', t: 'message_pinned', u: bobPerson, reactions: { ':eyes:': { usernames: ['alice'] } }, attachments: [{ author_name: 'Alice Archer', message_link: 'https://chat.example.com/channel/rich?msg=thread-parent', text: 'Shall we ship on *Friday*?' }] })
  add({ _id: 'encrypted', ts: at(minute++), msg: '{"ciphertext":"U2VjcmV0IHBsYW5z"}', t: 'e2e', u: bobPerson })
  // Replies: in the next part, and to a parent before the range.
  for (let index = 0; index < 12; index++) add({ _id: `filler-${String(index).padStart(2, '0')}`, ts: at(minute++), msg: `filler message ${index}`, u: index % 2 === 0 ? alicePerson : bobPerson })
  add({ _id: 'reply-far', ts: at(minute++), msg: 'replying across parts', u: bobPerson, tmid: 'thread-parent' })
  add({ _id: 'reply-old', ts: at(minute++), msg: 'answering yesterday\'s question', u: alicePerson, tmid: 'old-parent' })
  // Bob's display name here is plain, so sentences read the same whether the name came from a message or from `users`.
  return { rooms: [richRoom], users: users.map((user) => user._id === bob._id ? { ...user, name: 'Bob Builder' } : user), messages, files: { 'img-1': { rid: richRoom._id, content: pngBytes }, 'vid-1': { rid: richRoom._id, content: Buffer.from('not really a video') } } }
}
