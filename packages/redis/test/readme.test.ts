import { testReadme } from '@bulwark/testkit/readme'
import { describeRedis, REDIS_URL } from './helpers/redis.js'

// The examples talk to the Redis the other tests use (REDIS_URL, default redis://127.0.0.1:6379); the Cluster and
// Sentinel ones are marked skipped in the README itself.
describeRedis('README', () => {
  testReadme(new URL('../README.md', import.meta.url), {
    env: { REDIS_URL, BULWARK_KEY_SECRET: 'readme-example-secret-0123456789' },
  })
})
