// Runs one suite in this (fresh) process and hands its result to the parent over IPC, or prints it as JSON.
const [suite, profile = 'quick'] = process.argv.slice(2)
const log = (line) => {
  if (process.send) process.send({ type: 'log', line })
  else console.error(line)
}
/** Where the suite is (`{ label, done, total, round, rounds }`), for the run's progress line; ignored when alone. */
const progress = (p) => {
  if (process.send) process.send({ type: 'progress', ...p })
}
try {
  const mod = await import(new URL(`../suites/${suite}.mjs`, import.meta.url))
  const result = await mod.run({ profile, log, progress })
  if (process.send) process.send({ type: 'result', result }, () => process.exit(0))
  else {
    console.log(JSON.stringify(result, null, 2))
    process.exit(0)
  }
} catch (error) {
  const message = error?.stack ?? String(error)
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1))
  else {
    console.error(message)
    process.exit(1)
  }
}
