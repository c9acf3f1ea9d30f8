import { execFileSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { pingRedis, REDIS_URL } from './ping.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Redis answers on REDIS_URL. */
    redisAvailable: boolean
    /** redis-server and redis-cli are installed, so tests can run their own servers and clusters. */
    redisServerAvailable: boolean
  }
}

function installed(bin: string): boolean {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore', timeout: 5000 })
    return true
  } catch {
    return false
  }
}

/**
 * The one place that decides whether Redis tests run. Without Redis they are skipped with one loud line, except on
 * CI (CI=true), where a missing Redis fails the run.
 */
export default async function setup(project: TestProject): Promise<void> {
  const redisAvailable = await pingRedis(REDIS_URL, 2000)
  const redisServerAvailable = installed('redis-server') && installed('redis-cli')
  const missing = [
    redisAvailable ? '' : `no Redis answers on ${REDIS_URL}`,
    redisServerAvailable ? '' : 'redis-server/redis-cli are not installed',
  ].filter(Boolean)
  if (missing.length > 0) {
    const line = `@bulwark/redis: ${missing.join(' and ')}: Redis tests are SKIPPED (set REDIS_URL, install redis-server)`
    if (process.env.CI === 'true') throw new Error(`${line.replace('SKIPPED', 'required on CI')}`)
    console.warn(`\n!!! ${line}\n`)
  }
  project.provide('redisAvailable', redisAvailable)
  project.provide('redisServerAvailable', redisServerAvailable)
}
