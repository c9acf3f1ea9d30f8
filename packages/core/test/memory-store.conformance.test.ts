import { MemoryStore } from '@bulwark/core'
import { storeConformanceSuite } from '@bulwark/testkit'

storeConformanceSuite('MemoryStore', { create: () => new MemoryStore() })
storeConformanceSuite('MemoryStore (tiny caps)', {
  create: () => new MemoryStore({ maxSubjects: 64, maxHotSubjects: 4, maxItemSubjects: 4 }),
})
