import emojiToolkit from 'emoji-toolkit'

let unicodeByShortcode: Map<string, string> | null = null

/**
 * Shortcode → Unicode, built once from emoji-toolkit's list (JoyPixels names,
 * the ones Rocket.Chat uses) on first use: the lookup is a Map hit, the
 * library's regex-based converters stay off the render path.
 */
function emojiTable (): Map<string, string> {
  if (unicodeByShortcode === null) {
    const { emojiList } = emojiToolkit
    unicodeByShortcode = new Map()
    for (const [shortname, entry] of Object.entries(emojiList)) {
      const unicode = String.fromCodePoint(...entry.uc_full.split('-').map((hex) => Number.parseInt(hex, 16)))
      for (const name of [shortname, ...entry.shortnames]) unicodeByShortcode.set(name.slice(1, -1), unicode)
    }
  }
  return unicodeByShortcode
}

/** The Unicode emoji for a shortcode given with or without colons (`+1`, `:smile:`), or `undefined` for a custom emoji. */
export function emojiFor (shortcode: string): string | undefined {
  const name = shortcode.length > 2 && shortcode.startsWith(':') && shortcode.endsWith(':') ? shortcode.slice(1, -1) : shortcode
  return emojiTable().get(name)
}
