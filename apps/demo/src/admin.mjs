// The admin API and the dashboard come from @bulwark/admin, mounted on the Express server before the Bulwark
// middleware, so an operator is never locked out by a ban on their own address; a wrong token is reported to the
// engine as a failed authentication, so whoever guesses is banned after 10 tries (403 from then on).
import { createAdmin } from '@bulwark/admin'
import { ClientIpResolver } from '@bulwark/core'

/** True when a client behind the loopback proxy (the simulator) is seen by its forwarded address. */
export function trustsLoopbackProxy(/** @type {import('@bulwark/core').TrustProxy} */ trustProxy) {
  try {
    const resolver = new ClientIpResolver({ trustProxy })
    return resolver.resolve('127.0.0.1', '198.18.0.1').ip === '198.18.0.1'
  } catch {
    return false
  }
}

/**
 * The demo's admin: the engine's bans, whitelist, counts and live feed, behind the admin token.
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   token: string,
 *   storeName: string,
 *   notifier: import('@bulwark/admin').NotifierStatsSource,
 *   info: () => Record<string, unknown>,
 * }} options
 */
export function createDemoAdmin({ engine, token, storeName, notifier, info }) {
  return createAdmin({ engine, token, storeName, notifier, info, env: {} })
}
