// Writes lib/render/template-sources.ts: every templates/*.hbs as a string, so the
// built package (and any bundle of a host) reads no template from disk at run time.
// Run after editing a template: node scripts/embed-templates.mjs (npm test checks they agree).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

const directory = new URL('../templates/', import.meta.url)
const entries = readdirSync(directory)
  .filter((name) => name.endsWith('.hbs'))
  .sort()
  .map((name) => `  ${JSON.stringify(name.slice(0, -4))}: ${JSON.stringify(readFileSync(new URL(name, directory), 'utf8'))}`)
writeFileSync(new URL('../lib/render/template-sources.ts', import.meta.url), `// Generated from templates/*.hbs by scripts/embed-templates.mjs; do not edit.
/** The Handlebars sources of every template, by file name without \`.hbs\`. */
export const templateSources: Readonly<Record<string, string>> = {
${entries.join(',\n')}
}
`)
