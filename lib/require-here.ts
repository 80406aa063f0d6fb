/**
 * A CommonJS `require` for optional packages loaded on first use (highlight.js,
 * KaTeX). Taken from `process.getBuiltinModule` rather than an import of
 * `createRequire`: esbuild hoists such an import to the top of a host's
 * bundle, where the usual ESM banner (`import { createRequire } from
 * 'node:module'`) already declares the name, and the bundle would not load.
 */
export function requireHere (): NodeJS.Require {
  return process.getBuiltinModule('node:module').createRequire(import.meta.url)
}
