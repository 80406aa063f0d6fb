/**
 * `JSON.stringify(value, null, 2)`, the same text, in pieces: arrays and plain
 * objects are written member by member, so no piece holds the whole text.
 * Why: the manifest of an export with 10,000 uploads is ~4 MB of JSON; made
 * as one string, then flattened and copied into one buffer, it added ~10 MB
 * to the peak RSS of a 1M-message export at its very end. Every other value
 * (a string, a number, a date or anything else with `toJSON`, an instance of
 * a class) is one piece, `JSON.stringify`'s own, indented in place.
 */
export function * prettyJsonPieces (value: unknown, indent = ''): Generator<string> {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]'
      return
    }
    for (let index = 0; index < value.length; index++) {
      yield `${index === 0 ? '[' : ','}\n${inner}`
      // As in JSON.stringify: what JSON cannot hold is null in an array.
      yield * prettyJsonPieces(isLeftOut(value[index]) ? null : value[index], inner)
    }
    yield `\n${indent}]`
  } else if (isPlainObject(value)) {
    // …and left out of an object.
    const keys = Object.keys(value).filter((key) => !isLeftOut(value[key]))
    if (keys.length === 0) {
      yield '{}'
      return
    }
    for (let index = 0; index < keys.length; index++) {
      yield `${index === 0 ? '{' : ','}\n${inner}${JSON.stringify(keys[index])}: `
      yield * prettyJsonPieces(value[keys[index]], inner)
    }
    yield `\n${indent}}`
  } else {
    // A string in JSON holds no raw line break: every one here is the layout's, indented one level in.
    yield JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`)
  }
}

function isLeftOut (value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

/** An object JSON.stringify lists by its own keys, and nothing else would change. */
function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value) as unknown
  return (prototype === Object.prototype || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function'
}
