/**
 * The search engines' crawlers Bulwark can verify, and how each operator says to verify its crawler. Each entry
 * names where that method is documented (`source`): an operator that publishes reverse-DNS domains is verified by
 * reverse DNS then forward DNS; one that publishes its address ranges can be verified by them (`rangesUrl`: a copy
 * ships as `GOOD_BOT_RANGES`, with its date in `GOOD_BOT_RANGE_SOURCES`; `fetchBotRanges()` downloads the current
 * files), passed as `goodBots({ ranges })`.
 */
export interface GoodBotSignature {
  /** The bot's id in decisions and events: `googlebot`, `bingbot` … */
  readonly id: string
  /** The operator's name for people. */
  readonly name: string
  /** Matched (case-insensitively) anywhere in the User-Agent header: a request that matches claims to be this bot. */
  readonly agent: RegExp
  /**
   * Reverse-DNS names of the operator's crawlers end with one of these (`.googlebot.com`); the name must resolve
   * forward to the same address. Empty when the operator verifies by its published ranges only.
   */
  readonly domains: readonly string[]
  /** Where the operator publishes its crawlers' address ranges (JSON), when it does. */
  readonly rangesUrl?: string
  /** The operator's page that documents the verification method. */
  readonly source: string
}

export const GOOD_BOT_SIGNATURES: readonly GoodBotSignature[] = Object.freeze([
  {
    id: 'googlebot',
    name: 'Googlebot',
    agent:
      /\b(?:googlebot|adsbot-google|mediapartners-google|google-inspectiontool|googleother|storebot-google)\b/i,
    domains: ['googlebot.com', 'google.com', 'googleusercontent.com'],
    rangesUrl: 'https://developers.google.com/static/search/apis/ipranges/googlebot.json',
    source: 'https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot',
  },
  {
    id: 'bingbot',
    name: 'Bingbot',
    agent: /\b(?:bingbot|bingpreview|msnbot|adidxbot)\b/i,
    domains: ['search.msn.com'],
    rangesUrl: 'https://www.bing.com/toolbox/bingbot.json',
    source: 'https://www.bing.com/webmasters/help/how-to-verify-bingbot-3905dc26',
  },
  {
    id: 'applebot',
    name: 'Applebot',
    agent: /\bapplebot\b/i,
    domains: ['applebot.apple.com'],
    rangesUrl: 'https://search.developer.apple.com/applebot.json',
    source: 'https://support.apple.com/en-us/119829',
  },
  {
    id: 'duckduckbot',
    name: 'DuckDuckBot',
    agent: /\bduckduck(?:go-favicons-)?bot\b|\bduckassistbot\b/i,
    // DuckDuckGo publishes its crawlers' addresses, not reverse-DNS names: give them as `ranges.duckduckbot`.
    domains: [],
    source: 'https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot/',
  },
  {
    id: 'yandexbot',
    name: 'YandexBot',
    agent:
      /\byandex(?:bot|images|mobilebot|video|media|news|metrika|direct|accessibilitybot|renderresourcesbot)\b/i,
    domains: ['yandex.ru', 'yandex.net', 'yandex.com'],
    source: 'https://yandex.com/support/webmaster/robot-workings/check-yandex-robots.html',
  },
  {
    id: 'baiduspider',
    name: 'Baiduspider',
    agent: /\bbaiduspider\b/i,
    domains: ['baidu.com', 'baidu.jp'],
    source: 'https://www.baidu.com/search/spider_english.html',
  },
] satisfies GoodBotSignature[])
