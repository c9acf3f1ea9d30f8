import { MemoryStore } from '@bulwark/core'
import { storeConformanceSuite } from '@bulwark/testkit'

// Your store. Here it is the memory store under another name, so that this example runs as it is.
class MyStore extends MemoryStore {}

const open = new Map<string, MyStore>()

storeConformanceSuite('MyStore', {
  // A fresh, empty store per test. `namespace` is unique per test: prefix your keys with it when tests share one
  // server (the Redis store does), so that no test sees another's counters.
  create: ({ namespace }) => {
    const store = new MyStore()
    open.set(namespace, store)
    return store
  },
  // After each test, after store.close(): drop what the test left behind (the keys under `namespace`).
  cleanup: ({ namespace }) => {
    open.delete(namespace)
  },
})
