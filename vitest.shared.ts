import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ViteUserConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

/**
 * Tests import every @bulwark package from its source, so a change is tested without a rebuild. Exact matches
 * only, and `@bulwark/testkit/readme`: other subpaths resolve through the package's `exports`.
 */
function sourceAliases(): Array<{ find: RegExp; replacement: string }> {
  const aliases: Array<{ find: RegExp; replacement: string }> = []
  const dir = join(root, 'packages')
  for (const name of readdirSync(dir)) {
    const entry = join(dir, name, 'src', 'index.ts')
    if (existsSync(entry)) aliases.push({ find: new RegExp(`^@bulwark/${name}$`), replacement: entry })
  }
  // testkit's second entry point, so README tests never wait for testkit's build.
  aliases.push({ find: /^@bulwark\/testkit\/readme$/, replacement: join(dir, 'testkit', 'src', 'readme.ts') })
  return aliases
}

export const sharedConfig: ViteUserConfig = {
  resolve: { alias: sourceAliases() },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
}
