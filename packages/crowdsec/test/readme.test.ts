import { testReadme } from '@bulwark/testkit/readme'
import { beforeAll } from 'vitest'
import { describeLapi } from './helpers/lapi.js'

// The README's examples run against a real Local API started for them; its bouncer example expects this range ban.
describeLapi('README against a real LAPI', (lapi) => {
  beforeAll(async () => {
    await lapi().cscli(
      'decisions',
      'add',
      '--range',
      '203.0.113.0/24',
      '--duration',
      '1h',
      '--reason',
      'scanners',
    )
  })
  testReadme(new URL('../README.md', import.meta.url), {
    env: () => ({
      CROWDSEC_LAPI_URL: lapi().url,
      CROWDSEC_BOUNCER_KEY: lapi().apiKey,
      CROWDSEC_MACHINE_ID: lapi().machineId,
      CROWDSEC_MACHINE_PASSWORD: lapi().password,
    }),
  })
})
