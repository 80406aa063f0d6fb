import { readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { templateSources } from '../lib/render/template-sources.ts'

t.test('the templates built into the package are templates/*.hbs as they are (node scripts/embed-templates.mjs)', async (t) => {
  const directory = new URL('../templates/', import.meta.url)
  const onDisk: Record<string, string> = {}
  for (const name of (await readdir(directory)).filter((file) => file.endsWith('.hbs')).sort()) {
    onDisk[name.slice(0, -4)] = await readFile(new URL(name, directory), 'utf8')
  }
  t.same(templateSources, onDisk)
})
