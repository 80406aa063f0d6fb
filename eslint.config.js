import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'bench/.build/**', '.stryker-tmp/**', 'reports/**', 'test/hosts/*/node_modules/**', 'lib/time/zone-aliases.ts', 'lib/render/template-specs.ts', 'demo-mail/**']
  }),
  // `void promise;` marks a promise deliberately not awaited (its errors handled where it is made).
  { rules: { 'no-void': ['error', { allowAsStatement: true }] } }
]
