// `npm run mutate`: Stryker on each group of test/mutation-groups.mjs in turn, then one table of the
// mutation score per module. A surviving mutant must be killed by a test, or explained at its line
// as equivalent (`// Stryker disable next-line <mutator>: why`); until each group has got there, it
// states the score it has reached (`floor`), and a module scoring below its group's floor fails.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { groups } from '../test/mutation-groups.mjs'

const only = process.argv.slice(2)
const names = only.length > 0 ? only : Object.keys(groups)
const rows = []
let survivors = 0
for (const name of names) {
  const started = Date.now()
  const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATE_GROUP: name } })
  if (run.status !== 0) {
    console.error(`mutation testing: group ${name} did not complete (exit ${run.status})`)
    process.exit(run.status ?? 1)
  }
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'))
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const count = (status) => mutants.filter((mutant) => mutant.status === status).length
    const killed = count('Killed') + count('Timeout')
    const survived = count('Survived') + count('NoCoverage')
    survivors += survived
    rows.push({ group: name, file, killed, survived, ignored: count('Ignored'), score: killed + survived === 0 ? 100 : 100 * killed / (killed + survived), floor: groups[name].floor ?? 100, seconds: Math.round((Date.now() - started) / 1000) })
  }
}
console.log('\nmutation score per module (killed / killed + survived; equivalent mutants explained at their line are ignored)')
for (const row of rows) {
  console.log(`  ${row.file.padEnd(32)} ${row.score.toFixed(1).padStart(5)} %  killed ${row.killed}, survived ${row.survived}, ignored ${row.ignored}  (group ${row.group}, floor ${row.floor} %, ${row.seconds} s)`)
}
const below = rows.filter((row) => row.score < row.floor)
for (const row of below) console.error(`mutation testing: ${row.file} scores ${row.score.toFixed(1)} %, below its group's floor of ${row.floor} %`)
console.log(`mutation testing: ${survivors} surviving mutants, ${below.length} modules below their floor`)
process.exit(below.length === 0 ? 0 : 1)
