import { defineConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// Nest's decorators, everywhere vitest transforms TypeScript: the tests, and the README's examples it writes to
// test-output/ (outside this tsconfig's `include`). Constructor injection by type needs the emitted metadata.
export default defineConfig({
  ...sharedConfig,
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
})
