/**
 * A map that holds at most `limit` keys: setting a new key beyond that
 * forgets the oldest one set. The order of keys is kept in a ring beside the
 * map, because a `Map` used as that queue (`map.delete(map.keys().next().value)`)
 * costs time growing with the deleted entries its table still holds — for the
 * 10,000 messages a page remembers, a third of the render worker's time on
 * plain messages in a CPU profile.
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>()
  /** keys in the order they were first set; the slot at `oldest` is the next to go */
  private readonly order: K[] = []
  private oldest = 0
  private readonly limit: number

  constructor (limit: number) {
    this.limit = limit
  }

  get size (): number {
    return this.entries.size
  }

  get (key: K): V | undefined {
    return this.entries.get(key)
  }

  has (key: K): boolean {
    return this.entries.has(key)
  }

  /** A key set again keeps its place in the order, as in a `Map`. */
  set (key: K, value: V): void {
    if (!this.entries.has(key)) {
      if (this.order.length < this.limit) {
        this.order.push(key)
      } else {
        this.entries.delete(this.order[this.oldest])
        this.order[this.oldest] = key
        this.oldest = (this.oldest + 1) % this.limit
      }
    }
    this.entries.set(key, value)
  }
}
