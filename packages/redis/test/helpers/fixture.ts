import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('..', import.meta.url))

/**
 * Bundle `test/fixtures/<name>.ts` (with core and redis from source) into one CommonJS file in a temp folder, so a
 * child process runs the code as it is now, without a build. `cleanup()` removes the folder.
 */
export async function bundleFixture(name: string): Promise<{ script: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), `bulwark-${name}-`))
  const script = join(dir, `${name}.cjs`)
  await build({
    entryPoints: [join(here, `fixtures/${name}.ts`)],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    alias: { '@bulwark/core': join(here, '../../core/src/index.ts') },
  })
  return { script, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
