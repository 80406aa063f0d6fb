// Writes dist/schema.json, the JSON Schema of the JSON export document, from the built
// TypeBox schema (the same text every JSON export carries as schema.json). Run by `npm run build`.
import { writeFileSync } from 'node:fs'

const { exportDocumentJsonSchema } = await import('../dist/lib/schemas.js')
writeFileSync(new URL('../dist/schema.json', import.meta.url), exportDocumentJsonSchema)
