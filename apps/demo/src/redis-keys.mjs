// Delete every key under a prefix (the simulator's private demo and the tests use a prefix of their own).

/**
 * @param {import('@bulwark/core').Store | undefined} store a RedisStore (anything else is left alone)
 * @param {string} prefix
 * @returns {Promise<number>} how many keys were deleted
 */
export async function deleteKeys(store, prefix) {
  const client = /** @type {{ client?: import('ioredis').Redis } | undefined} */ (
    /** @type {unknown} */ (store)
  )?.client
  if (!client || typeof client.scan !== 'function') return 0
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      1000,
    )
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}
