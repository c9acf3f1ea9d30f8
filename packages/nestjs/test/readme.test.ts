import { testReadme } from '@bulwark/testkit/readme'

testReadme(new URL('../README.md', import.meta.url))
