import type { BanNowCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/** `ban` (scanner user agents): trips at once. Field: note (`''` = none, else `=` and the note). No counter. */
export const banSection: CountSection<BanNowCount> = {
  kind: 'ban',
  code: 'B',
  fields: 1,
  trips: true,
  clearedByBan: false,
  numbers: () => [0, 0, 0],
  encode(args, c) {
    args.push(c.note === undefined ? '' : `=${c.note}`)
  },
  parse: `
  local note = ARGV[a + 1]`,
  count: `
  return nil, { rule = c.rule, monitor = c.monitor, note = (note ~= '') and string.sub(note, 2) or nil }`,
}
