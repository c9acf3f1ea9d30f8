import type { Count } from '@bulwark/core'
import { banSection } from './ban.js'
import { distinctSection } from './distinct.js'
import { eventsSection } from './events.js'
import { requestsSection } from './requests.js'
import type { CountSection } from './section.js'
import { spreadSection } from './spread.js'
import { windowSection } from './window.js'

export { LUA_COUNT_HELPERS } from './helpers.js'
export type { CountSection } from './section.js'

/** Every count kind's section, by kind. The script defines them in this order. */
export const COUNT_SECTIONS: { readonly [K in Count['kind']]: CountSection<Extract<Count, { kind: K }>> } = {
  requests: requestsSection,
  events: eventsSection,
  spread: spreadSection,
  distinct: distinctSection,
  window: windowSection,
  ban: banSection,
}
