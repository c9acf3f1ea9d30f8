// What the refresh scripts share (run by a maintainer with internet; CI tests the committed files): their command-line
// options, their downloads, the --check / write ending and how they run as a command.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The value (or `count` values) after `--name` in `args`, or undefined when the option is absent. */
export function option(args, name, count = 1) {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const values = args.slice(i + 1, i + 1 + count)
  if (values.length < count || values.some((v) => v.startsWith('--'))) {
    throw new Error(`${name} takes ${count} value(s)`)
  }
  return count === 1 ? values[0] : values
}

/** GET `url` as text, naming the script in the user agent; an HTTP error is thrown. */
export async function fetchText(url, script) {
  const response = await fetch(url, { headers: { 'user-agent': `bulwark-${script}` } })
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  return response.text()
}

/**
 * The end of a ranges refresh: with --check, say whether `out` is up to date (exit code 0 or 1); otherwise write
 * `text` to it. Returns the exit code.
 */
export function checkOrWrite(args, out, same, text, date) {
  if (args.includes('--check')) {
    console.log(same ? `${out} is up to date` : `${out} is out of date`)
    return same ? 0 : 1
  }
  writeFileSync(out, text)
  console.log(same ? `ranges unchanged; ${out} retrieved ${date}` : `wrote ${out}: add a changeset`)
  return 0
}

/** Run `main(argv)` when the module at `moduleUrl` is the command being run; errors exit with 2. */
export function runAsCommand(moduleUrl, name, main) {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`${name}: ${error.message}`)
      process.exit(2)
    },
  )
}
