import emojiToolkit from 'emoji-toolkit'
import t from 'tap'
import { emojiFor } from '../lib/render/emoji.ts'
import { emojiTable } from '../lib/render/emoji-table.ts'

t.test('the generated emoji table is emoji-toolkit\'s list: every shortcode, the same emoji (scripts/generate-emoji-table.mjs)', async (t) => {
  const expected = new Map<string, string>()
  for (const [shortname, entry] of Object.entries(emojiToolkit.emojiList)) {
    const unicode = String.fromCodePoint(...entry.uc_full.split('-').map((hex) => Number.parseInt(hex, 16)))
    for (const name of [shortname, ...entry.shortnames]) expected.set(name.slice(1, -1), unicode)
  }
  const fromTable = new Map([...expected.keys()].map((name) => [name, emojiFor(name)]))
  t.same(fromTable, expected)
  t.equal(emojiTable.split('\n').length, Object.keys(emojiToolkit.emojiList).length, 'one line per emoji of the list, none more')
  t.ok(expected.size > 4000, `${expected.size} shortcodes`)
  t.equal(emojiFor(':+1:'), '👍')
  t.equal(emojiFor('thumbsup'), '👍')
  t.equal(emojiFor('rocketchat'), undefined, 'a custom emoji is none of them')
})
