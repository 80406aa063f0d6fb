// Writes dist/schema.json, the JSON Schema of the JSON export document (the same text every
// JSON export carries as schema.json), from the TypeBox source. Run by `npm run build`.
import { writeFileSync } from 'node:fs'
import { exportDocumentJsonSchema } from '../lib/schemas.ts'

writeFileSync(new URL('../dist/schema.json', import.meta.url), exportDocumentJsonSchema)
