import { BoundedMap } from '../bounded-map.js'
import type { BanRecord, Mode } from '../types.js'
import { fail, modeOption, objectOption } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/**
 * Path segments no API serves and every scanner asks for. A request is a probe when any segment of its decoded path
 * equals one of these (case-insensitive) — `/.git/config` and `/x/wp-admin/` match, `/api/config` and
 * `/admin-guide` do not.
 */
export const DEFAULT_PROBE_SEGMENTS: readonly string[] = [
  '.env',
  '.git',
  '.svn',
  '.hg',
  '.bzr',
  '.ds_store',
  '.htaccess',
  '.htpasswd',
  '.aws',
  '.ssh',
  '.docker',
  '.npmrc',
  '.idea',
  'wp-admin',
  'wp-login.php',
  'wp-includes',
  'wp-config.php',
  'xmlrpc.php',
  'phpmyadmin',
  'pma',
  'myadmin',
  'phpinfo.php',
  'phpunit',
  'eval-stdin.php',
  'server-status',
  'cgi-bin',
  'boaform',
  'hnap1',
  'web.config',
  '..',
]

/**
 * Patterns for the last segment: environment-file variants, backups and dumps, editor leftovers.
 */
export const DEFAULT_PROBE_FILES: readonly RegExp[] = [
  /^\.env\.[\w.-]+$/, // .env.local, .env.production
  /\.(sql|sqlite3?|bak|backup|old|orig|save|swp|swo)$/, // dumps and backups
  /^(backup|backups|dump|db|database|site|www|wwwroot|htdocs)\.(zip|tar|tgz|gz|rar|7z|tar\.gz|sql\.gz)$/,
  /~$/, // editor backup
]

const MAX_PATH = 2048

export interface ProbeOptions {
  mode?: Mode
  segments?: readonly string[]
  files?: readonly RegExp[]
}

/** Decode percent-encoding (twice, for double-encoded probes) without ever throwing. */
function decode(path: string): string {
  let out = path
  for (let i = 0; i < 2 && out.includes('%'); i++) {
    try {
      out = decodeURIComponent(out)
    } catch {
      break
    }
  }
  return out
}

export class ProbeMatcher {
  private readonly segments: Set<string>
  private readonly files: readonly RegExp[]
  private readonly cache = new BoundedMap<string | false>(5_000)

  constructor(options: ProbeOptions = {}) {
    this.segments = new Set((options.segments ?? DEFAULT_PROBE_SEGMENTS).map((s) => s.toLowerCase()))
    this.files = (options.files ?? DEFAULT_PROBE_FILES).map(
      (r) => new RegExp(r.source, r.flags.replace(/[gy]/g, '')),
    )
  }

  /** The matched segment or file, or null. */
  match(path: string): string | null {
    if (this.segments.size === 0 && this.files.length === 0) return null
    const cached = this.cache.get(path)
    if (cached !== undefined) return cached === false ? null : cached
    const verdict = this.check(path)
    this.cache.set(path, verdict ?? false)
    return verdict
  }

  private check(rawPath: string): string | null {
    const q = rawPath.indexOf('?')
    const path = decode((q >= 0 ? rawPath.slice(0, q) : rawPath).slice(0, MAX_PATH))
      .replace(/\\/g, '/')
      .toLowerCase()
    const parts = path.split('/')
    let last = ''
    for (const part of parts) {
      if (part.length === 0) continue
      if (this.segments.has(part)) return part
      last = part
    }
    for (const re of this.files) if (re.test(last)) return last
    return null
  }
}

/**
 * A probe path (`/.env`, `/.git/config`, `/wp-admin`, backups and dumps) → a suspicious event; the request is served
 * (a probe of a path the app does not have gets its 404). The suspicion rule bans at the 5th event.
 */
export function probes(options?: ProbeOptions): Rule {
  const o = objectOption(options, 'probes')
  if (o.segments !== undefined && !Array.isArray(o.segments))
    fail('Invalid option probes.segments: must be an array')
  if (o.files !== undefined && !Array.isArray(o.files)) fail('Invalid option probes.files: must be an array')
  const mode = modeOption(o.mode, 'probes')
  const matcher = new ProbeMatcher(o)
  const asks = new BoundedMap<RuleAsk>(1_000)
  return {
    id: 'probe',
    mode,
    on: 'request',
    check(request) {
      const matched = matcher.match(request.rawPath)
      if (matched === null) return null
      let ask = asks.get(matched)
      if (ask === undefined) {
        ask = Object.freeze({
          signal: { kind: 'probe', detail: matched },
          verdict: { conclusion: 'allow', reason: `Probe path: ${matched}`, evidence: { matched } },
        } as const)
        asks.set(matched, ask)
      }
      return ask
    },
    describe: (ban: BanRecord) => `Probe path: ${ban.note ?? 'unknown'}`,
  }
}
