// A small HTTP client for the simulator. It plays the trusted proxy in front of the demo: it connects from loopback
// and appends the simulated client's address to X-Forwarded-For, as a real proxy would.
import http from 'node:http'

/**
 * @typedef {object} SimRequest
 * @property {string} [method]
 * @property {string} [path]
 * @property {string} [ip] the simulated client address, appended to X-Forwarded-For
 * @property {string} [forged] what the client itself put in X-Forwarded-For (left of the proxy's entry)
 * @property {Record<string, string>} [headers]
 * @property {unknown} [json] a JSON body
 * @property {number} [declaredLength] send this Content-Length and no body (the server must answer first)
 * @property {boolean} [fresh] on a connection of its own, closed after the answer (never shared with other scenarios)
 * @property {string} [from] the local address to connect from (a loopback alias such as 127.3.4.5: another proxy);
 *   on a connection of its own
 */

/**
 * @typedef {object} SimResponse
 * @property {number} status
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {any} body parsed JSON, or the text
 * @property {number} at when the response ended (performance.now())
 */

/** @param {{ maxSockets?: number, timeoutMs?: number }} [options] */
export function createHttp({ maxSockets = 64, timeoutMs = 10_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets })

  /**
   * @param {string} base e.g. http://127.0.0.1:3000
   * @param {SimRequest} r
   * @returns {Promise<SimResponse>}
   */
  function request(base, r) {
    return attempt(base, r).catch(
      (/** @type {Error & { code?: string, reusedSocket?: boolean }} */ error) => {
        // A kept-alive connection the server closed just as it was reused: send once more on a fresh one (the request
        // never reached the server).
        if (error.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
          return attempt(base, r)
        throw error
      },
    )
  }

  /** @param {string} base @param {SimRequest} r @returns {Promise<SimResponse>} */
  function attempt(base, r) {
    const url = new URL(r.path ?? '/', base)
    /** @type {Record<string, string | number>} */
    const headers = { 'user-agent': 'bulwark-simulator/1.0', ...r.headers }
    if (r.ip !== undefined) headers['x-forwarded-for'] = r.forged ? `${r.forged}, ${r.ip}` : r.ip
    /** @type {Buffer | undefined} */
    let payload
    if (r.json !== undefined) {
      payload = Buffer.from(JSON.stringify(r.json))
      headers['content-type'] = 'application/json'
      headers['content-length'] = payload.length
    }
    const declared = r.declaredLength !== undefined
    if (declared) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = /** @type {number} */ (r.declaredLength)
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: url.pathname + url.search,
          method: r.method ?? 'GET',
          headers,
          // A request whose body is never sent leaves its connection unusable: give it one of its own.
          agent: declared || r.fresh === true || r.from !== undefined ? false : agent,
          ...(r.from === undefined ? {} : { localAddress: r.from }),
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = []
          res.on('data', (c) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let body = text
            if (String(res.headers['content-type']).includes('json')) {
              try {
                body = JSON.parse(text)
              } catch {}
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, at: performance.now() })
            if (declared) req.destroy()
          })
          res.on('error', reject)
        },
      )
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${r.method ?? 'GET'} ${url} timed out`)))
      req.on('error', (error) => {
        if (r.from !== undefined && /** @type {{ code?: string }} */ (error).code === 'EADDRNOTAVAIL') {
          error.message = `cannot connect from ${r.from}: this machine answers on 127.0.0.1 only, not on all of 127.0.0.0/8 (macOS); leave this scenario out with --only`
        }
        reject(Object.assign(error, { reusedSocket: req.reusedSocket }))
      })
      if (declared) req.flushHeaders()
      else req.end(payload)
    })
  }

  return {
    request,
    close() {
      agent.destroy()
    },
  }
}

/** @typedef {ReturnType<typeof createHttp>} Http */

/**
 * The admin API, for the simulator: whitelist entries, the demo's settings and a stream of ban events.
 * @param {Http} client @param {string} adminUrl e.g. http://127.0.0.1:3000/admin/api @param {string} token
 */
export function adminClient(client, adminUrl, token) {
  const auth = { authorization: `Bearer ${token}` }
  /** @param {string} method @param {string} path @param {unknown} [json] @param {number[]} [fine] statuses that are no error */
  async function call(method, path, json, fine = []) {
    const res = await client.request(adminUrl, {
      method,
      path: `${new URL(adminUrl).pathname}${path}`,
      headers: auth,
      json,
    })
    if (res.status === 401 || res.status === 403) {
      throw new Error(
        `The admin API at ${adminUrl} refused the token (${res.status}): pass the demo's admin token`,
      )
    }
    if (res.status >= 400 && !fine.includes(res.status))
      throw new Error(`${method} ${adminUrl}${path}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  return {
    info: () => call('GET', '/info'),
    bans: () => call('GET', '/bans'),
    /** @param {string} entry */
    whitelistAdd: (entry) => call('POST', '/whitelist', { entry }),
    /** @param {string} entry */
    whitelistRemove: (entry) => call('DELETE', `/whitelist/${encodeURIComponent(entry)}`),
    /** Lift a ban (and forget the target's counters); not banned is fine. @param {string} target */
    unban: (target) => call('DELETE', `/bans/${encodeURIComponent(target)}`, undefined, [404]),
  }
}

/**
 * Follow the admin API's server-sent events for bans. Resolves once the stream is open.
 * @param {string} adminUrl @param {string} token
 * @returns {Promise<{ events: import('@bulwark/core').BanEvent[], close(): void }>}
 */
export function watchBans(adminUrl, token) {
  const url = new URL(`${adminUrl}/events?topics=ban`)
  /** @type {import('@bulwark/core').BanEvent[]} */
  const events = []
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname + url.search,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(
            new Error(
              `The admin API at ${adminUrl} answered ${res.statusCode} to the event stream: check the admin token`,
            ),
          )
          return
        }
        res.setEncoding('utf8')
        let buffer = ''
        res.on('data', (chunk) => {
          buffer += chunk
          let end = buffer.indexOf('\n\n')
          while (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf('\n\n')
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n')
            if (event === 'hello') resolve({ events, close: () => req.destroy() })
            else if (event === 'ban' && data) events.push(JSON.parse(data))
          }
        })
        res.on('error', () => {})
      },
    )
    req.on('error', reject)
  })
}
