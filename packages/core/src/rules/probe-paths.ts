import { BoundedMap } from '../bounded-map.js'

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
