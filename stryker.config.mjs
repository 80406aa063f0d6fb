// Mutation testing (Stryker) of the modules that guard users: `npm run mutate` runs every group of
// test/mutation-groups.mjs in turn (scripts/mutate.mjs); `MUTATE_GROUP=<name> npx stryker run` runs one.
import { groups } from './test/mutation-groups.mjs'

const group = groups[process.env.MUTATE_GROUP ?? '']
if (group === undefined) throw new Error(`MUTATE_GROUP must be one of: ${Object.keys(groups).join(', ')}`)

export default {
  testRunner: 'tap',
  tap: { testFiles: group.testFiles, nodeArgs: ['--import', 'tsx'], forceBail: true },
  coverageAnalysis: 'perTest',
  mutate: group.mutate,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: `reports/mutation/${process.env.MUTATE_GROUP}.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  concurrency: 2,
  timeoutMS: 60_000,
  ignorePatterns: ['bench/.build', '.scratch', 'reports', 'dist', '.tap', 'docs'],
  cleanTempDir: 'always',
  thresholds: { high: 100, low: 95, break: null }
}
