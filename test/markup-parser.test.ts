import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { parse } from '@rocket.chat/message-parser'
import t from 'tap'
import { parseMarkup, parseSteps } from '../lib/markup/parser.ts'

/**
 * Our parser against Rocket.Chat's (`@rocket.chat/message-parser`, a
 * development dependency kept as the oracle): the same tree for every text,
 * with and without the memory that keeps long texts linear.
 */
const referenceOptions = { emoticons: true, colors: true, katex: { dollarSyntax: true, parenthesisSyntax: true } }

function reference (text: string): unknown {
  try {
    return parse(text, referenceOptions)
  } catch {
    // Rocket.Chat's throws on the empty text; ours answers null there.
    return null
  }
}

function differences (text: string): string | null {
  const expected = reference(text)
  for (const remember of [false, true]) {
    const actual = parseMarkup(text, { remember })
    if (!isDeepStrictEqual(actual, expected)) return `${remember ? 'remembering' : 'direct'}: ${JSON.stringify(actual)}\n  expected ${JSON.stringify(expected)}`
  }
  return null
}

t.test('the character classes are the ones generate-markup-classes.mjs reads from Rocket.Chat\'s parser', async (t) => {
  const generated = join(t.testdir(), 'character-classes.ts')
  execFileSync(process.execPath, [new URL('../scripts/generate-markup-classes.mjs', import.meta.url).pathname, generated])
  t.equal(readFileSync(new URL('../lib/markup/character-classes.ts', import.meta.url), 'utf8'), readFileSync(generated, 'utf8'))
})

t.test('the inputs of Rocket.Chat\'s own parser tests parse to the same trees', async (t) => {
  const { inputs } = JSON.parse(readFileSync(new URL('./fixtures/rocketchat-parser-inputs.json', import.meta.url), 'utf8')) as { inputs: string[] }
  t.ok(inputs.length > 1000, `${inputs.length} inputs`)
  const differing = inputs.flatMap((input) => {
    const difference = differences(input)
    return difference === null ? [] : [`${JSON.stringify(input)} → ${difference}`]
  })
  t.same(differing, [])
})

// Pieces of Rocket.Chat markup, composed at random: delimiters nested and unbalanced, fences, line
// starts, list markers, links of both kinds, bare addresses, mentions, emoji, emoticons, timestamps,
// KaTeX, spoilers, tables, line ends, right-to-left and CJK text, marks, emoji sequences.
const pieces = [
  '*', '**', '_', '__', '~', '~~', '`', '```', '[', ']', '](', '(', ')', '<', '>', '|', '||', '\\', '$', '$$', '\\(', '\\)', '\\[', '\\]',
  '#', '##', '####', '@', ':', '!', '![', '-', '---', '+', '.', ',', '=', ';', '\'', '"', '%', '&', '?', '/', '//', '^', '{', '}',
  ' ', '  ', '\t', '\n', '\r\n', '\r', '\n\n',
  'a', 'b', 'x', 'word', 'Hello', 'snake_case', '12', '2025', '0', '5pm', 'X', 'O', 'D', 'B', '8', 'y', 'L',
  'https://', 'http://example.com', 'ftp:', 'rocket.chat', 'example.com/a?b=c', 'www.', '.com', '.org', '.co.uk', '.io', '.dev', '.xyz', '.local',
  'localhost', 'localhost:3000', '127.0.0.1', 'mailto:', 'user@', 'a@b.co', 'first.last+tag@mail.example.net', 'user:pass@',
  'tel:', '+55', '(11)', '1-555', '+1-555-0100', 'color:#', 'ff0000', 'abc', 'fff', '12345678',
  '@user', '@user.name', '@a:b', '#general', '#ch-1', ':smile:', ':+1:', ':)', ':(', ':D', ';)', '<3', '</3', ':P', '-_-', 'O:)', '(y)', '*\\0/*', '>.<', 'B-)', '8)', ':\'(',
  '<t:', '1630360800', ':f>', ':R>', '12:30', '12:30:45', '2025-07-22T10:00:00.000Z', '2025-07-22T10:00:00', '+03:00',
  '> ', '- ', '* ', '1. ', '10. ', '- [x] ', '- [ ] ', '# ', '| a | b |\n|---|:-:|\n', '|:--|--:|', '||\n', '\\|',
  'שלום', 'مرحبا', 'ה-PR', '日本語', '中文', 'é', 'e\u0301', '\u00a0', '\u2003', '٣', '१२', '𝟘', '😀', '👍🏽', '👨\u200d👩\u200d👧', '🇧🇷', '❤️', '☀', '#️⃣', '©️',
  '🏴\udb40\udc67\udb40\udc62\udb40\udc65\udb40\udc6e\udb40\udc67\udb40\udc7f', '\u200d', '\ufe0f', '\u0000', '\ud800'
]
const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...pieces) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 2 }) }
)
const markup = fc.array(piece, { minLength: 1, maxLength: 16 }).map((parts) => parts.join(''))

t.test('random compositions of markup parse to the same trees as Rocket.Chat\'s parser', async (t) => {
  // 50,000 in CI; MARKUP_FUZZ_RUNS=1000000 (and MARKUP_FUZZ_SEED) while working on the parser.
  const runs = Number(process.env.MARKUP_FUZZ_RUNS ?? 50_000)
  let compared = 0
  fc.assert(fc.property(markup, (text) => {
    compared++
    const difference = differences(text)
    if (difference !== null) throw new Error(`${JSON.stringify(text)}\n  ${difference}`)
  }), { numRuns: runs, seed: process.env.MARKUP_FUZZ_SEED === undefined ? undefined : Number(process.env.MARKUP_FUZZ_SEED) })
  t.equal(compared, runs, `${runs} texts compared`)
})

t.test('a word of letters and digits is read whole, unless what follows it or its first character may start markup', async (t) => {
  // Before a space, a tab, a newline or the end, in one step; anything else after it (`\r`, `.`, `@`,
  // `_`, `:`, `#`, `*`, `~`, `(`) or an emoticon's first character (`XD`, `8)`, `B-)`, `D:`) or a
  // keycap's digit sends it through the grammar's rules.
  const texts = ['deploy review 42 done', 'tab\tsep\nline', 'word\r\nnext', 'example.com now', 'mail ops12@example.org', 'snake_case x', 'ping:pong',
    'a#b', 'x*y*', 'x~y~', 'call(me)', 'XD hi', 'so 8) yes', 'B-) cool', 'D: no', 'Xylophone 8ball Ok Dance Bob', '1\ufe0f\u20e3 keycap', '5pm at 10am', 'end']
  for (const text of texts) t.equal(differences(text), null, JSON.stringify(text))
})

t.test('what the parser makes of some texts, as Rocket.Chat makes it', async (t) => {
  t.same(parseMarkup('*bold* and _it_'), [{
    type: 'PARAGRAPH',
    value: [
      { type: 'BOLD', value: [{ type: 'PLAIN_TEXT', value: 'bold' }] },
      { type: 'PLAIN_TEXT', value: ' and ' },
      { type: 'ITALIC', value: [{ type: 'PLAIN_TEXT', value: 'it' }] }
    ]
  }])
  t.same(parseMarkup('see example.com'), [{
    type: 'PARAGRAPH',
    value: [
      { type: 'PLAIN_TEXT', value: 'see ' },
      { type: 'LINK', value: { src: { type: 'PLAIN_TEXT', value: '//example.com' }, label: [{ type: 'PLAIN_TEXT', value: 'example.com' }] } }
    ]
  }])
  t.same(parseMarkup(':)'), [{ type: 'BIG_EMOJI', value: [{ type: 'EMOJI', value: { type: 'PLAIN_TEXT', value: ':)' }, shortCode: 'slight_smile' }] }])
  t.equal(parseMarkup(''), null, 'an empty text has no tree (Rocket.Chat\'s parser throws)')
})

/**
 * Work linear in the text: 100 KB of each delimiter, delimiter mix and random
 * soup takes no more than 15× the steps of 10 KB (linear is 10×; Rocket.Chat's
 * parser takes ~100× the time on most of these). Steps — rules tried, items
 * of repetitions, characters read by scans — are what time measures without
 * the machine's noise; `npm run bench` prints the times.
 */
t.test('the parser\'s work grows linearly with the text, whatever it holds', async (t) => {
  const units = ['*', '_', '~', '`', '[', '<t:', ':a', '_*~', 'a_', '||', '$', '>', '\\(', '](', '- [', '[a](', 'a.', '-.', '-(', '@', '#', ':)', ':):', '__a',
    '**a', '~~a', 'a@', 'a.b@', '((', '![', '<http://a|', 'a:', '\\', '|', '+1', 'x://', ':smile', '* a\n', '> a\n', '| a |\n', '```\n', '*a _b ~c', '\\[', '$$', 'a@b.', '_a.b']
  const soups = fc.sample(fc.array(fc.constantFrom('*', '_', '~', '`', '[', ']', '(', ')', '<', '>', '|', '$', ':', '@', '#', '\\', '.', '-', ' ', 'a', '\n'), { minLength: 8, maxLength: 8 }).map((characters) => characters.join('')), { numRuns: 20, seed: 42 })
  for (const unit of [...units, ...soups]) {
    const small = parseSteps(unit.repeat(Math.ceil(10_000 / unit.length)).slice(0, 10_000))
    const large = parseSteps(unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000))
    t.ok(large <= 15 * small, `${JSON.stringify(unit)}: 10 KB ${small} steps, 100 KB ${large} (${(large / small).toFixed(1)}×)`)
  }
})
