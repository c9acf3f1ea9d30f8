export const HELP = `bulwark: manage Bulwark bans and the whitelist, in Redis or through a running app's admin API

Usage:
  bulwark bans [--json]                            List active bans: source, reason, time left
  bulwark ban <ip|cidr|key:hash> [--ttl 1h] [--reason text]
                                                   Ban an IP, a CIDR range (or an API key hash) now
  bulwark unban <ip|cidr|key:hash>                 Lift a ban and reset the subject's counters
  bulwark whitelist add <ip|cidr|key>              Never inspect this client
  bulwark whitelist remove <ip|cidr|key>
  bulwark whitelist list [--json]
  bulwark whitelist import <file|->                Add every entry of a file (one a line, # comments)
  bulwark rules [--json]                           Decisions per rule since the app started (--admin-url only)
  bulwark stats [--json]                           Totals since start, active bans, decisions per rule, deny
                                                   sources and crawlers seen (--admin-url only)
  bulwark info [--json]                            The app's mode, store, rule limits and endpoint limits
                                                   (--admin-url only)
  bulwark events [--topics decisions,ban,unban,store,stats] [--count n] [--json]
                                                   Follow the app's live feed: a line per decision, ban, unban
                                                   or store change (--json: one JSON object a line) until
                                                   Ctrl-C or n lines (--admin-url only)
  bulwark export [--format nginx] [--out file]     Write the banned addresses for the edge: nginx (deny lines),
                                                   nginx-geo (a geo block), ipset (ipset restore input) or json
  bulwark export --out file --watch [--interval 10s] [--reload "nginx -s reload"]
                                                   Keep the file current: rewrite it atomically when the bans
                                                   change, then run the reload command

Where (Redis by default):
  --url <url>        Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --cluster          Treat --url (comma-separated) as Redis Cluster startup nodes
  --prefix <prefix>  Key prefix the app servers use (default: $BULWARK_REDIS_PREFIX, else bulwark:)
  --admin-url <url>  Instead of Redis, a running app's admin API (@bulwark/admin), at its mount point, e.g.
                     https://app.example.com/admin (default: $BULWARK_ADMIN_URL)
  --token <token>    The admin API's bearer token (default: $BULWARK_ADMIN_TOKEN)

Options:
  --ttl <duration>   Ban length: 90 (seconds), 30s, 15m, 1h, 1h30m, 2d (default: the engine's ban TTL)
  --reason <text>    Why, shown in 'bulwark bans' and ban events
  --format <format>  export: nginx, nginx-geo, ipset or json (default nginx)
  -o, --out <file>   export: the file to write (default: standard output)
  --name <name>      export: the ipset set name (default bulwark; IPv6 in bulwark6), or the nginx-geo variable
                     (default bulwark_banned)
  --watch            export: keep running, check every --interval (default 10s); Ctrl-C stops
  --reload <command> export --watch: run this (through the shell) after each rewrite
  --topics <list>    events: what to follow (default decisions,ban,unban,store; stats ticks every second)
  --count <n>        events: stop after n lines
  --timeout <ms>     Give up after this long (default 10000; events: for the stream to open)
  --json             Print JSON
  -h, --help         Show this help

IPs are normalised as the engine does (IPv6 grouped by IPV6_PREFIX, default /64). Raw API keys in the
whitelist are hashed with BULWARK_KEY_SECRET, which must match the app servers'. Long commands (export,
watch, whitelist import) report counts on stderr: one live line on a terminal, plain lines otherwise or
when CI is set.

blocks, block and unblock are deprecated names of bans, ban and unban; they still work, for one release.

Exit status: 0 done, 1 runtime error (e.g. Redis unreachable), 2 usage error (or entries refused by an import).
`
