#!/usr/bin/env node
// npm run demo: start the demo from the environment and print where everything is.
import { relative } from 'node:path'
import { DENY_LIST } from '../src/config.mjs'
import { startDemo } from '../src/demo.mjs'
import { describeStartError } from '../src/errors.mjs'

let demo
try {
  demo = await startDemo()
} catch (error) {
  console.error(describeStartError(error))
  process.exit(1)
}

let stopping = false
const stop = async (/** @type {string} */ signal) => {
  if (stopping) process.exit(130)
  stopping = true
  console.log(`\n${signal}: stopping (Ctrl-C again to force)`)
  await demo.close()
  // Nothing is left running, so the process ends by itself; the timer only guards against a hang.
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))

const { urls, config } = demo
const store =
  demo.storeName === 'redis'
    ? `redis (${redact(String(config.redisUrl))}, keys under ${config.redisPrefix})`
    : 'memory (set REDIS_URL=redis://127.0.0.1:6379 to keep counters and bans in Redis)'
const trust =
  demo.trustProxy === false ? 'none: the socket address is the client' : JSON.stringify(demo.trustProxy)

console.log(`
Bulwark demo: one engine behind three frameworks

  Express    ${urls.express}   (also the dashboard, admin API and metrics)
  Fastify    ${urls.fastify}
  Koa        ${urls.koa}

  Dashboard  ${demo.dashboardUrl}
  Admin API  ${demo.adminUrl}   (Authorization: Bearer <admin token>)
  Metrics    ${demo.metricsUrl}

  Admin token    ${demo.adminToken}${demo.adminTokenGenerated ? '   (random; set ADMIN_TOKEN to choose one)' : ''}
  Store          ${store}
  Notifications  ${config.webhook ? 'log and SECURITY_WEBHOOK_URL' : 'log (set SECURITY_WEBHOOK_URL to send them)'}
  Proxy trust    ${trust}
  Deny list      ${DENY_LIST.name}: ${relative(process.cwd(), DENY_LIST.file) || DENY_LIST.file} (192.0.2.0/24, 3fff:0:dead::/48)
  Crawlers       Googlebot, Bingbot, Applebot verified by their published ranges (no DNS)

Try it:
  curl -i ${urls.express}/
  curl -s -X POST ${urls.fastify}/auth/login -H 'content-type: application/json' -d '{"username":"demo","password":"${config.password === 'demo-password' ? 'demo-password' : '…'}"}'
  for i in $(seq 1 60); do curl -s -o /dev/null -w '%{http_code} ' ${urls.koa}/; done; echo

Attack it: npm run attack   (replays the attacks against a demo of its own on free ports)
${demo.trustProxy === false ? `To watch them here, restart with TRUST_PROXY=loopback and run: ADMIN_TOKEN=<token> npm run attack -- --target ${urls.express}` : `Attack this one: ADMIN_TOKEN=${demo.adminToken} npm run attack -- --target ${urls.express}`}

Ctrl-C stops.
`)

/** @param {string} url */
function redact(url) {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
