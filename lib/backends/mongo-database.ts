/**
 * A MongoDB database handle — the `Db` of driver 6 or 7 — typed by shape in
 * the public API, so TypeScript hosts without the driver installed compile
 * (mongodb is an optional peer). Inside, `asDb` makes it the driver's `Db`.
 */
export interface MongoDatabase {
  readonly databaseName: string
  collection (name: string): unknown
}
