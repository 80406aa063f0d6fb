import { emojiTable } from './emoji-table.ts'

let unicodeByShortcode: Map<string, string> | null = null

/**
 * Shortcode → Unicode (JoyPixels names, the ones Rocket.Chat uses), built
 * once on first use from `emoji-table.ts` — emoji-toolkit's list, generated
 * by scripts/generate-emoji-table.mjs: loading emoji-toolkit itself costs
 * ~20 MB in every thread that renders (its code and data), the table a
 * fraction of that. The lookup is a Map hit.
 */
function unicodeTable (): Map<string, string> {
  if (unicodeByShortcode === null) {
    unicodeByShortcode = new Map()
    for (const line of emojiTable.split('\n')) {
      const [unicode, ...names] = line.split(' ')
      for (const name of names) unicodeByShortcode.set(name, unicode)
    }
  }
  return unicodeByShortcode
}

/** A shortcode's name, given with or without colons (`:smile:` → `smile`; a reaction's key has them). */
export function shortcodeName (shortcode: string): string {
  return shortcode.length > 2 && shortcode.startsWith(':') && shortcode.endsWith(':') ? shortcode.slice(1, -1) : shortcode
}

/** The Unicode emoji for a shortcode given with or without colons (`+1`, `:smile:`), or `undefined` for a custom emoji. */
export function emojiFor (shortcode: string): string | undefined {
  return unicodeTable().get(shortcodeName(shortcode))
}
