// Micro-benchmark of @bulwark/validate: checks per second for each validator on a mix of benign and
// hostile inputs. Imports the built package, so run `npm run build -w @bulwark/validate` first.
//
//   node benchmarks/validators.mjs [--quick]
//
// Importable: `runValidatorBench({ quick })` resolves to `[{ name, opsPerSec, samples }]`.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { checkSelector, checkUrl, sanitizeFilename, sanitizeHtml } from '@bulwark/validate'

const CASES = [
  {
    name: 'checkUrl',
    run: checkUrl,
    inputs: [
      'https://example.com/products?page=2&sort=price#top',
      'http://0x7f.1/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'https://bücher.de/katalog',
      'javascript:alert(1)',
      'http://metadata.google.internal/computeMetadata/v1/',
    ],
  },
  {
    name: 'checkSelector',
    run: checkSelector,
    inputs: [
      'div.product > h2.title',
      'ul li:nth-child(2n+1) a[href^="https://"]',
      'article:not(.ad, .sponsored):has(> img)',
      'a < b',
      '[title="expression(x)"]',
    ],
  },
  {
    name: 'sanitizeFilename',
    run: sanitizeFilename,
    inputs: [
      'report.pdf',
      '../../etc/passwd',
      'CON .txt',
      'invoice\u202Etxt.exe',
      `${'long name '.repeat(40)}.jpeg`,
    ],
  },
  {
    name: 'sanitizeHtml',
    run: sanitizeHtml,
    inputs: [
      '<p>Hello <b>world</b> &amp; 1 < 2</p>',
      '<img src=x onerror=alert(1)><i>text</i>',
      '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
      'plain text without markup',
    ],
  },
]

/** Runs `fn` over `inputs` for about `durationMs`; returns calls per second. */
function sample(fn, inputs, durationMs) {
  let calls = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (let i = 0; i < 50; i++) {
      for (const input of inputs) fn(input)
      calls += inputs.length
    }
    elapsed = performance.now() - start
  } while (elapsed < durationMs)
  return (calls / elapsed) * 1000
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Measures each validator. `quick` takes well under 5 seconds in all; the full run about 15.
 * @param {{ quick?: boolean }} [options]
 * @returns {Promise<Array<{ name: string, opsPerSec: number, samples: number }>>}
 */
export async function runValidatorBench({ quick = false } = {}) {
  const samples = quick ? 5 : 10
  const sampleMs = quick ? 60 : 300
  const results = []
  for (const { name, run, inputs } of CASES) {
    sample(run, inputs, quick ? 50 : 200) // warm-up
    const rates = []
    for (let i = 0; i < samples; i++) rates.push(sample(run, inputs, sampleMs))
    results.push({ name, opsPerSec: Math.round(median(rates)), samples })
  }
  return results
}

function printTable(results) {
  const width = Math.max(...results.map((r) => r.name.length))
  console.log(`${'validator'.padEnd(width)}  ${'checks/s'.padStart(12)}  samples`)
  for (const { name, opsPerSec, samples } of results) {
    console.log(`${name.padEnd(width)}  ${opsPerSec.toLocaleString('en-US').padStart(12)}  ${samples}`)
  }
}

const invokedDirectly =
  process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
if (invokedDirectly) {
  const quick = process.argv.includes('--quick')
  printTable(await runValidatorBench({ quick }))
}
