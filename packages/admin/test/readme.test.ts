import { testReadme } from '@bulwark/testkit/readme'

// The framework examples listen on PORT (a free one here) and read the token from the environment.
testReadme(new URL('../README.md', import.meta.url), {
  env: { PORT: '0', BULWARK_ADMIN_TOKEN: 'readme-admin-token-0123456789' },
})
