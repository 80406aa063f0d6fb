import { addressCharacters, alphanumericCharacters, nameCharacters } from './character-classes.ts'
import { emoticonsByFirstCharacter } from './emoticons.ts'

/**
 * One table of flags per UTF-16 code unit for the grammar's character
 * classes: a parser that tests a class with one array read instead of a
 * regular expression.
 */
export const NAME = 1
export const ADDRESS = 2
export const ALPHANUMERIC = 4
/** `AnyText`: printable ASCII but `(`, `)`, `*`, `[`-`` ` ``, `{`-`~`, and everything from U+0080 */
export const TEXT = 8
/** `Extra`: `.,!%~*"':;()=` — punctuation that ends a bare address */
export const EXTRA = 16
/** ends a plain run: `*_~`:` newline `<[]!` space tab `()\|` */
export const RUN_END = 32
/** the characters of a URL body inside `<…|…>`: printable but `)`, `\`, `|` */
export const URL_BODY = 64
/** `DomainChar`'s stop characters `\/|><%`[]` */
export const DOMAIN_STOP = 128
/** `Space`: a space or a tab */
export const SPACE = 0x100
/** ends a bold's plain run: newline `*` space `_~` */
export const BOLD_STOP = 0x200
/** ends an italic's plain run: newline `_` space `*~` */
export const ITALIC_STOP = 0x400
/** ends a link title's text: `]()*_~`, space, tab, line ends */
export const TITLE_STOP = 0x800
/** ends a strike-through's plain run: newline `~` space `*_:`@#[]\<!|`, surrogates of emoji, U+2300–U+27BF */
export const STRIKE_STOP = 0x1000
export const DIGIT = 0x2000
export const ASCII_ALPHANUMERIC = 0x4000
/** the first character of an emoticon (lib/markup/emoticons.ts) */
export const EMOTICON_START = 0x8000

export const classes = new Uint16Array(0x10000)

function mark (flag: number, ranges: Array<number | [number, number]>): void {
  for (const range of ranges) {
    const [from, to] = typeof range === 'number' ? [range, range] : range
    for (let unit = from; unit <= to; unit++) classes[unit] |= flag
  }
}

const codes = (characters: string): number[] => Array.from(characters, (character) => character.charCodeAt(0))

mark(NAME, nameCharacters)
mark(ADDRESS, addressCharacters)
mark(ALPHANUMERIC, alphanumericCharacters)
mark(TEXT, [[0x20, 0x27], [0x2b, 0x5a], [0x61, 0x7a], [0x80, 0xffff]])
mark(EXTRA, codes('.,!%~*"\':;()='))
mark(RUN_END, codes('*_~`:\n<[]! \t()\\|'))
mark(URL_BODY, [[0x20, 0x28], [0x2a, 0x5b], [0x5d, 0x7b], [0x7d, 0x7e], [0x80, 0xffff]])
mark(DOMAIN_STOP, codes('\\/|><%`[]'))
mark(SPACE, codes(' \t'))
mark(BOLD_STOP, codes('\n* _~'))
mark(ITALIC_STOP, codes('\n_ *~'))
mark(TITLE_STOP, codes(']()*_~ \t\r\n'))
mark(STRIKE_STOP, [...codes('\n~ *_:`@#[]\\<!|'), [0xd83c, 0xd83e], [0x2300, 0x27bf]])
mark(DIGIT, [[0x30, 0x39]])
mark(ASCII_ALPHANUMERIC, [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]])
mark(EMOTICON_START, Object.keys(emoticonsByFirstCharacter).map((first) => first.charCodeAt(0)))

export const isDigit = (unit: number): boolean => unit >= 0x30 && unit <= 0x39
export const isAsciiAlphanumeric = (unit: number): boolean => (unit >= 0x30 && unit <= 0x39) || (unit >= 0x41 && unit <= 0x5a) || (unit >= 0x61 && unit <= 0x7a)
export const isAsciiLetter = (unit: number): boolean => (unit >= 0x41 && unit <= 0x5a) || (unit >= 0x61 && unit <= 0x7a)
export const isHex = (unit: number): boolean => isDigit(unit) || (unit >= 0x41 && unit <= 0x46) || (unit >= 0x61 && unit <= 0x66)
/** `Space`: a space or a tab */
export const isSpace = (unit: number): boolean => unit === 0x20 || unit === 0x09
export const isLineEnd = (unit: number): boolean => unit === 0x0a || unit === 0x0d
