// Writes lib/render/template-specs.ts: every templates/*.hbs precompiled by Handlebars, so the
// package reads no template from disk and runs on Handlebars' runtime alone — its compiler (and
// the source-map library it brings) would cost each rendering thread ~1.4 MB of heap and the
// worker's start a compilation. Run after editing a template or updating handlebars:
// node scripts/embed-templates.mjs (test/template-specs.test.ts fails while the file differs).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Handlebars from 'handlebars'

const directory = new URL('../templates/', import.meta.url)
export const specsFile = new URL('../lib/render/template-specs.ts', import.meta.url)
/** Templates whose `{{#each}}` uses `@last` and the like (`mail-message` as the mail's partial too). */
const usesDataVariables = new Set(['mail-export', 'mail-message'])

/** The text of lib/render/template-specs.ts for the templates and the handlebars installed now. */
export function templateSpecsModule () {
  const { version } = JSON.parse(readFileSync(new URL('../node_modules/handlebars/package.json', import.meta.url), 'utf8'))
  const entries = readdirSync(directory)
    .filter((file) => file.endsWith('.hbs'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -4)
      // No helpers beyond the built-in ones: Handlebars compiles direct calls instead of per-expression
      // helper lookups. (The page's messages are rendered in code: see page-messages.ts.)
      const spec = Handlebars.precompile(readFileSync(new URL(file, directory), 'utf8'), { knownHelpersOnly: true, data: usesDataVariables.has(name) })
      return `  ${JSON.stringify(name)}: ${spec}`
    })
  return `// Generated from templates/*.hbs by scripts/embed-templates.mjs with handlebars ${version}; do not edit.
// @ts-nocheck -- Handlebars' generated code (TemplateSpecification is the global type handlebars declares)

/** Every template, precompiled, by file name without \`.hbs\`. */
export const templateSpecs: Readonly<Record<string, TemplateSpecification>> = {
${entries.join(',\n')}
}
`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(specsFile, templateSpecsModule())
