// The dashboard: vanilla JS, no build step. It reads the admin API's server-sent events with fetch() (so the token
// travels in the Authorization header, never in a URL) and draws with the DOM and a small SVG chart.
// Everything that came from a request (paths, addresses, reasons) is set with textContent, never as HTML.

// The API sits under the page: a dashboard at /admin/ talks to /admin/api.
const API = new URL('api', window.location.href).pathname
const TOKEN_KEY = `bulwark-admin-token:${API}`
const $ = (id) => document.getElementById(id)

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  // True when the admin has no token and serves loopback clients only (`loopbackOnly`): no login, no token sent.
  open: false,
  controller: null,
  clockOffset: 0, // server time minus browser time
  bans: [],
  retryMs: 1000,
}

// ---------------------------------------------------------------- token and connection

function authHeaders() {
  return state.open ? {} : { Authorization: `Bearer ${state.token}` }
}

async function connect(token) {
  state.token = token
  const res = await fetch(`${API}/info`, { headers: authHeaders() }).catch(() => null)
  if (res === null) return showGate('The app does not answer. Is it running?')
  if (res.status === 401) return showGate('That token is not right.')
  if (res.status === 403) {
    const detail = state.open ? (await res.json().catch(() => null))?.detail : undefined
    return showGate(
      detail ??
        'This address is banned (too many wrong tokens). Wait for the ban to end, or lift it with the bulwark CLI.',
    )
  }
  if (!res.ok) return showGate(`The admin API answered ${res.status}.`)
  const info = await res.json()
  if (!state.open) sessionStorage.setItem(TOKEN_KEY, token)
  $('gate').hidden = true
  $('main').hidden = false
  $('logout').hidden = state.open
  $('store').textContent = `store: ${info.store.name}`
  $('mode').textContent = `mode: ${info.mode}`
  $('limits').textContent = describeLimits(info)
  stream()
}

/** The rules in force, in one line: what a newcomer needs to read the numbers. */
function describeLimits(info) {
  const w = (ms) =>
    ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`
  const r = info.rules
  const parts = []
  if (r.burst) parts.push(`burst ${r.burst.limit} in ${w(r.burst.windowMs)}`)
  if (r.authFailures) parts.push(`auth failures ${r.authFailures.limit} in ${w(r.authFailures.windowMs)}`)
  if (r.scraping) parts.push(`scraping ${r.scraping.limit} items in ${w(r.scraping.windowMs)}`)
  if (r.suspicion) parts.push(`suspicion ${r.suspicion.events} events in ${w(r.suspicion.windowMs)}`)
  const per = (ms) => (ms === 60_000 ? 'minute' : ms === 1000 ? 'second' : w(ms))
  for (const e of info.endpoints) {
    parts.push(`${e.match === '/' ? 'other paths' : e.match} ${e.limit} a ${per(e.windowMs)}`)
  }
  return `Limits: ${parts.join(' · ')}. Bans last ${w(r.ban.ttlMs)}, longer for repeat offenders.`
}

function showGate(message) {
  state.controller?.abort()
  $('gate').hidden = false
  $('main').hidden = true
  $('logout').hidden = true
  setConnection(false, 'not connected')
  const error = $('login-error')
  error.hidden = !message
  error.textContent = message ?? ''
  $('token').focus()
}

function setConnection(on, text) {
  const el = $('conn')
  el.className = `pill ${on ? 'on' : 'off'}`
  el.textContent = text
}

/** Read the event stream; reconnect with a growing delay when it ends. */
async function stream() {
  state.controller?.abort()
  const controller = new AbortController()
  state.controller = controller
  try {
    const res = await fetch(`${API}/events`, { headers: authHeaders(), signal: controller.signal })
    if (res.status === 401) return showGate('The token is no longer accepted.')
    if (!res.ok || !res.body) throw new Error(`status ${res.status}`)
    setConnection(true, '● live')
    state.retryMs = 1000
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        handleMessage(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return
    console.warn('event stream:', error)
  }
  if (controller.signal.aborted) return
  setConnection(false, 'reconnecting…')
  setTimeout(() => state.controller === controller && stream(), state.retryMs)
  state.retryMs = Math.min(state.retryMs * 2, 15_000)
}

function handleMessage(message) {
  let event = 'message'
  const data = []
  for (const line of message.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
  }
  if (data.length === 0) return
  const payload = JSON.parse(data.join('\n'))
  if (event === 'stats') renderStats(payload)
  else if (event === 'decisions') renderFeed(payload)
  else if (event === 'hello') state.clockOffset = payload.now - Date.now()
}

// ---------------------------------------------------------------- stats, chart, rules

const number = new Intl.NumberFormat()

function renderStats(s) {
  state.clockOffset = s.now - Date.now()
  const last = s.series.at(-2) ?? { allow: 0, limit: 0, block: 0 } // the last complete second
  $('rps').textContent = number.format(last.allow + last.limit + last.block)
  $('t-allow').textContent = number.format(s.totals.allow)
  $('t-limit').textContent = number.format(s.totals.limit)
  $('t-block').textContent = number.format(s.totals.block)
  $('t-bans').textContent = number.format(s.banCount)
  const channels = Object.values(s.notifier?.channels ?? {})
  $('t-notify').textContent = number.format(channels.reduce((n, c) => n + c.sent, 0))
  $('store').textContent =
    `store: ${s.store.name}${s.store.state === 'fallback' ? ' (down: local fallback)' : ''}`
  $('mode').textContent = `mode: ${s.mode}`
  renderChart(s.series)
  renderRules(s.rules)
  renderBans(s.bans, s.banCount)
  renderDeny(s.denyEntries ?? {}, s.denied ?? {})
  renderBots(s.bots ?? [])
}

const SVG = 'http://www.w3.org/2000/svg'
function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  if (text !== undefined) el.textContent = text
  return el
}

/** A stacked bar per second: allowed at the bottom, then limited, then blocked. */
function renderChart(series) {
  const W = 600
  const H = 180
  const left = 34
  const bottom = 16
  const top = 6
  const max = niceMax(Math.max(1, ...series.map((p) => p.allow + p.limit + p.block)))
  const plotH = H - bottom - top
  const slot = (W - left) / series.length
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' })
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f)
    root.append(svg('line', { class: 'grid', x1: left, x2: W, y1: y, y2: y }))
    root.append(
      svg('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, number.format(Math.round(max * f))),
    )
  }
  series.forEach((p, i) => {
    let y = top + plotH
    for (const kind of ['allow', 'limit', 'block']) {
      const h = (p[kind] / max) * plotH
      if (h <= 0) continue
      y -= h
      root.append(
        svg('rect', { class: kind, x: left + i * slot + 0.5, y, width: Math.max(1, slot - 1.5), height: h }),
      )
    }
  })
  root.append(svg('text', { x: left, y: H - 3 }, '−60 s'))
  root.append(svg('text', { x: W, y: H - 3, 'text-anchor': 'end' }, 'now'))
  $('chart').replaceChildren(root)
}

function niceMax(n) {
  const p = 10 ** Math.floor(Math.log10(n))
  for (const m of [1, 2, 5, 10]) if (n <= m * p) return m * p
  return 10 * p
}

const RULE_ORDER = [
  'burst',
  'auth-failures',
  'scraping',
  'scanner',
  'probe',
  'suspicion',
  'endpoint',
  'body-size',
  'manual',
  'deny',
  'good-bots',
  'whitelist',
]

const rank = (rule) => (RULE_ORDER.includes(rule) ? RULE_ORDER.indexOf(rule) : RULE_ORDER.length)

function renderRules(rules) {
  const rows = Object.entries(rules)
    .filter(([rule]) => rule !== 'none')
    .sort(([a], [b]) => rank(a) - rank(b))
  $('rules-empty').hidden = rows.length > 0
  const max = Math.max(1, ...rows.map(([, c]) => c.allow + c.limit + c.block))
  $('rules').replaceChildren(
    ...rows.map(([rule, c]) => {
      const total = c.allow + c.limit + c.block
      const li = document.createElement('li')
      const name = document.createElement('span')
      name.className = 'rule'
      name.textContent = rule
      const bar = document.createElement('div')
      bar.className = 'bar'
      bar.title = `${c.allow} allowed, ${c.limit} limited, ${c.block} blocked`
      for (const kind of ['allow', 'limit', 'block']) {
        if (c[kind] === 0) continue
        const part = document.createElement('span')
        part.className = kind
        part.style.width = `${(c[kind] / max) * 100}%`
        bar.append(part)
      }
      const n = document.createElement('span')
      n.className = 'n'
      n.textContent = number.format(total)
      li.append(name, bar, n)
      return li
    }),
  )
}

// ---------------------------------------------------------------- bans

function renderBans(bans, count) {
  state.bans = bans
  $('ban-count').textContent =
    count > bans.length ? `(${bans.length} newest of ${number.format(count)})` : `(${count})`
  $('bans-empty').hidden = bans.length > 0
  $('bans').replaceChildren(
    ...bans.map((b) => {
      const tr = document.createElement('tr')
      tr.dataset.target = b.target
      const client = cell(
        'client',
        b.target.startsWith('key:') ? `API key ${b.target.slice(4, 16)}…` : b.target,
      )
      client.title = b.subject
      const rule = document.createElement('td')
      const tag = document.createElement('span')
      tag.className = 'rule'
      tag.textContent = b.rule
      rule.append(tag)
      // A deny source's entry (a list, a feed): its source, and no unban (the source decides; edit the list).
      const listed = b.rule === 'deny'
      if (listed) {
        const source = document.createElement('span')
        source.className = 'source muted small'
        source.textContent = ` ${b.source}`
        rule.append(source)
        tr.dataset.source = b.source
      }
      const reason = cell('reason', b.offense > 1 ? `${b.reason} · offense ${b.offense}` : b.reason)
      const countdown = cell('countdown', b.expiresAt === 0 ? 'listed' : '')
      if (b.expiresAt !== 0) countdown.dataset.expires = String(b.expiresAt)
      else countdown.title = 'Until the source drops it'
      const action = document.createElement('td')
      if (!listed) {
        const button = document.createElement('button')
        button.type = 'button'
        button.className = 'unban'
        button.textContent = 'Unban'
        button.addEventListener('click', () => unban(b.target, button))
        action.append(button)
      }
      tr.append(client, rule, reason, countdown, action)
      return tr
    }),
  )
  tickCountdowns()
}

function cell(className, text) {
  const td = document.createElement('td')
  td.className = className
  td.textContent = text
  return td
}

function tickCountdowns() {
  const now = Date.now() + state.clockOffset
  for (const td of document.querySelectorAll('td.countdown[data-expires]')) {
    const s = Math.max(0, Math.ceil((Number(td.dataset.expires) - now) / 1000))
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    const sec = String(s % 60).padStart(2, '0')
    td.textContent = h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
  }
}

async function unban(target, button) {
  button.disabled = true
  button.textContent = '…'
  const res = await fetch(`${API}/bans/${encodeURIComponent(target)}`, {
    method: 'DELETE',
    headers: authHeaders(),
  }).catch(() => null)
  if (res?.ok || res?.status === 404) {
    button.closest('tr')?.remove()
    $('bans-empty').hidden = document.querySelectorAll('#bans tr').length > 0
  } else {
    button.disabled = false
    button.textContent = 'Retry'
  }
}

// ---------------------------------------------------------------- deny lists and crawlers

/** One row per deny source: its entries now, and the requests it refused since start. */
function renderDeny(entries, denied) {
  const names = [...new Set([...Object.keys(entries), ...Object.keys(denied)])].sort()
  $('deny-empty').hidden = names.length > 0
  $('deny').replaceChildren(
    ...names.map((name) => {
      const tr = document.createElement('tr')
      tr.dataset.source = name
      const n = cell('entries num', number.format(entries[name] ?? 0))
      const refused = cell('refused num', number.format(denied[name] ?? 0))
      tr.append(cell('source', name), n, refused)
      return tr
    }),
  )
}

/** The crawlers seen lately: verified ones (their published ranges or DNS) and fakes (a suspicious event each). */
function renderBots(bots) {
  $('bots-empty').hidden = bots.length > 0
  $('bots').replaceChildren(
    ...bots.map((b) => {
      const tr = document.createElement('tr')
      tr.dataset.bot = b.bot
      tr.dataset.ip = b.ip
      tr.dataset.status = b.status
      const status = document.createElement('td')
      const tag = document.createElement('span')
      tag.className = `status-tag ${b.status}`
      tag.textContent = b.status
      status.append(tag)
      tr.append(
        cell('bot', b.bot),
        cell('ip', b.ip),
        status,
        cell('reason', b.detail),
        cell('num', number.format(b.count)),
      )
      return tr
    }),
  )
}

// ---------------------------------------------------------------- live feed

const MAX_FEED = 150
const time = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

function tag(kind, text) {
  const el = document.createElement('span')
  el.className = `tag ${kind}`
  el.textContent = text
  return el
}

function renderFeed({ items, skipped }) {
  const hideAllows = $('hide-allows').checked
  const feed = $('feed')
  const fresh = []
  for (const d of items) {
    if (hideAllows && d.conclusion === 'allow' && d.rule === null) continue
    const li = document.createElement('li')
    const t = document.createElement('span')
    t.className = 'time'
    t.textContent = time.format(d.at)
    const c = document.createElement('span')
    c.className = `c ${d.conclusion}`
    c.textContent = d.rule === 'auth-failure' ? 'auth' : d.conclusion
    const what = document.createElement('span')
    what.className = 'what'
    const ip = document.createElement('span')
    ip.className = 'ip'
    ip.textContent = d.ip
    const reason = document.createElement('span')
    reason.className = 'reason'
    reason.textContent = d.reason
      ? ` · ${d.reason}`
      : d.rule === 'auth-failure'
        ? ' · failed authentication'
        : ''
    what.append(ip, ` ${d.method === 'AUTH' ? '' : `${d.method} ${d.path}`}`)
    // Where a refusal comes from (a deny list's name), and which crawler a verified bot's request is.
    if (d.rule === 'deny' && d.source) what.append(tag('source', d.source))
    if (d.bot) what.append(tag('bot', `✓ ${d.bot}`))
    what.append(reason)
    what.title = `${d.ip} ${d.method} ${d.path} ${d.reason}`
    li.append(t, c, what)
    fresh.push(li)
  }
  feed.prepend(...fresh.reverse())
  while (feed.children.length > MAX_FEED) feed.lastElementChild.remove()
  $('feed-skipped').textContent =
    skipped > 0 ? `${number.format(skipped)} more in the last 250 ms not shown` : ''
}

// ---------------------------------------------------------------- start

$('login').addEventListener('submit', (e) => {
  e.preventDefault()
  connect($('token').value.trim())
})
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY)
  state.token = ''
  showGate('')
})
setInterval(tickCountdowns, 1000)

/**
 * Whether the admin asks for a token: the page's own answer says so (`X-Bulwark-Admin-Auth: loopback` when it has
 * none and serves loopback clients only). Asked with HEAD on the page, so no API call fails and counts as a wrong
 * token.
 */
async function start() {
  const page = await fetch(window.location.pathname, { method: 'HEAD', cache: 'no-store' }).catch(() => null)
  state.open = page?.headers.get('x-bulwark-admin-auth') === 'loopback'
  if (state.open || state.token) connect(state.token)
  else showGate('')
}
start()
