// Placeholder until apps/demo lands: shows the engine banning a burst on the in-memory store.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

if (!existsSync(new URL('../packages/core/dist/index.js', import.meta.url))) {
  execSync('npx turbo run build --filter=@bulwark/core --output-logs=errors-only', { stdio: 'inherit' })
}
const { createBulwark } = await import('../packages/core/dist/index.js')
const engine = createBulwark()
console.log('Sending 60 requests in one second from 198.51.100.42 (burst limit: 50 req/s)…')
for (let i = 1; i <= 60; i++) {
  const d = await engine.inspect({ ip: '198.51.100.42', method: 'GET', path: '/api/items' })
  if (d.conclusion !== 'allow') {
    console.log(`request ${i}: ${d.conclusion} (${d.status}) ${d.reason}, retry after ${d.retryAfterS}s`)
    if (d.newBan)
      console.log('  ^ this request created the ban; later ones are answered from the local ban cache')
  }
}
await engine.close()
