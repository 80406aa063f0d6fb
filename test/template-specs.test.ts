import { readFile } from 'node:fs/promises'
import t from 'tap'
// @ts-expect-error -- a plain JavaScript script, untyped
import { specsFile, templateSpecsModule } from '../scripts/embed-templates.mjs'

t.test('the templates built into the package are templates/*.hbs, precompiled by the installed handlebars (node scripts/embed-templates.mjs)', async (t) => {
  t.equal(await readFile(specsFile, 'utf8'), templateSpecsModule())
})
