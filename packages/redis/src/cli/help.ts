export const HELP = `bulwark: manage Bulwark bans and the shared whitelist in Redis

Usage:
  bulwark bans [--json]                            List active bans with reason and time left
  bulwark ban <ip|key:hash> [--ttl 1h] [--reason text]
                                                   Ban an IP (or an API key hash) now
  bulwark unban <ip|key:hash>                      Lift a ban and reset the subject's counters
  bulwark whitelist add <ip|cidr|key>              Never inspect this client
  bulwark whitelist remove <ip|cidr|key>
  bulwark whitelist list [--json]

Options:
  --url <url>        Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --cluster          Treat --url (comma-separated) as Redis Cluster startup nodes
  --prefix <prefix>  Key prefix the app servers use (default: $BULWARK_REDIS_PREFIX, else bulwark:)
  --ttl <duration>   Ban length: 90 (seconds), 30s, 15m, 1h, 1h30m, 2d (default: the engine's ban TTL)
  --reason <text>    Why, shown in 'bulwark bans' and ban events
  --timeout <ms>     Give up after this long (default 10000)
  --json             Print JSON
  -h, --help         Show this help

IPs are normalised as the engine does (IPv6 grouped by IPV6_PREFIX, default /64). Raw API keys in the
whitelist are hashed with BULWARK_KEY_SECRET, which must match the app servers'.

blocks, block and unblock are deprecated names of bans, ban and unban; they still work, for one release.

Exit status: 0 done, 1 runtime error (e.g. Redis unreachable), 2 usage error.
`
