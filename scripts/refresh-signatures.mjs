#!/usr/bin/env node
// Regenerates Bulwark's detection signatures, and the test corpora that measure them, from the public lists they come
// from. Run by a maintainer with internet before a release; CI only uses the committed files. Commit the result
// with a changeset when the signatures changed.
//
//   node scripts/refresh-signatures.mjs                 download every source at its default branch and rewrite
//   node scripts/refresh-signatures.mjs --check         download and exit 1 when a committed file is out of date
//   --from <dir>     read the sources from a directory instead (the file names of SOURCE_FILES below, and a
//                    sources.json giving each source's commit: { "crs": "<sha>", ... })
//
// What it writes (see packages/core/src/signatures/README.md):
//   packages/core/src/signatures/sources.ts         the sources, their commits and licences
//   packages/core/src/signatures/scanner-agents.ts  user-agent signatures: every entry of CRS's
//                                                   scanners-user-agents.data, plus tools' own default user agents
//   packages/core/src/signatures/probe-paths.ts     probe-path signatures: the curated families below, plus the
//                                                   webshell names of CrowdSec's backdoors.txt
//   packages/core/test/fixtures/signatures/*.json   what the detection and false-positive tests run on
//
// The curated tables (TOOL_AGENTS, EXTRA_AGENTS, PROBES, CLIENT_AGENTS) are the maintained part: edit them here, never
// the generated files.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { option, runAsCommand } from './refresh-common.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SIGNATURES = 'packages/core/src/signatures'
const FIXTURES = 'packages/core/test/fixtures/signatures'

// ---------------------------------------------------------------------------------------------------- sources

/** Every public source: where its files are, its licence (as its LICENSE file states) and what we read from it. */
const SOURCES = {
  crs: {
    name: 'OWASP CRS (Core Rule Set)',
    repository: 'coreruleset/coreruleset',
    files: ['rules/scanners-user-agents.data'],
    licence: 'Apache-2.0',
    copyright: 'Copyright 2026 OWASP CRS project',
  },
  crowdsec: {
    name: 'CrowdSec sec-lists',
    repository: 'crowdsecurity/sec-lists',
    files: ['web/admin_interfaces.txt', 'web/backdoors.txt', 'web/sensitive_data.txt'],
    licence: 'MIT',
    copyright: 'Copyright (c) 2020 crowdsecurity',
  },
  'crowdsec-hub': {
    name: 'CrowdSec hub (scenarios and parsers)',
    repository: 'crowdsecurity/hub',
    files: [
      'scenarios/crowdsecurity/http-probing.yaml',
      'scenarios/crowdsecurity/http-sensitive-files.yaml',
      'scenarios/crowdsecurity/http-admin-interface-probing.yaml',
      'scenarios/crowdsecurity/http-backdoors-attempts.yaml',
      'parsers/s02-enrich/crowdsecurity/http-logs.yaml',
    ],
    licence: 'MIT',
    copyright: 'Copyright (c) 2025 CrowdSecurity',
  },
  seclists: {
    name: 'SecLists',
    repository: 'danielmiessler/SecLists',
    files: ['Discovery/Web-Content/quickhits.txt'],
    licence: 'MIT',
    copyright: 'Copyright (c) 2025 Daniel Miessler',
  },
  tool: {
    name: "Attack tools' own source code (their default User-Agent)",
    repository: 'several: see each signature',
    files: [],
    licence: 'facts only (a default header value); no code is copied',
    copyright: '',
  },
  bulwark: {
    name: 'Bulwark',
    repository: 'this repository',
    files: [],
    licence: 'MIT',
    copyright: '',
  },
}

/** The local file name of each downloaded source file (also what `--from <dir>` reads). */
const SOURCE_FILES = {
  'crs-scanners-user-agents.data': ['crs', 'rules/scanners-user-agents.data'],
  'crowdsec-admin_interfaces.txt': ['crowdsec', 'web/admin_interfaces.txt'],
  'crowdsec-backdoors.txt': ['crowdsec', 'web/backdoors.txt'],
  'crowdsec-sensitive_data.txt': ['crowdsec', 'web/sensitive_data.txt'],
  'quickhits.txt': ['seclists', 'Discovery/Web-Content/quickhits.txt'],
}

/**
 * Public API descriptions for the false-positive corpus, and the browser user agents. Pinned: a description that
 * grows past what CI should carry is read at a commit where it was still small enough (Stripe's spec3.json).
 */
const ROUTE_SOURCES = {
  github: {
    name: 'GitHub REST API (route list generated from github/rest-api-description)',
    repository: 'octokit/plugin-rest-endpoint-methods.js',
    file: 'src/generated/endpoints.ts',
    local: 'github-endpoints.ts',
    licence: 'MIT',
  },
  stripe: {
    name: 'Stripe API OpenAPI description',
    repository: 'stripe/openapi',
    file: 'openapi/spec3.json',
    local: 'stripe-spec3.json',
    licence: 'MIT',
    // The newest spec3.json under 4 MiB (2022-04-12): later ones are larger than a test fixture needs to read.
    ref: 'e0123a38b40c8d840b4c0469ac0ee1650b6bfea3',
  },
  kubernetes: {
    name: 'Kubernetes API OpenAPI description (as vendored by kubernetes-client/python)',
    repository: 'kubernetes-client/python',
    file: 'kubernetes/swagger.json.unprocessed',
    local: 'k8s-swagger.json',
    licence: 'Apache-2.0',
  },
  twilio: {
    name: 'Twilio API OpenAPI descriptions',
    repository: 'twilio/twilio-oai',
    file: 'spec/json/*.json',
    local: 'twilio/',
    licence: 'MIT',
  },
  slack: {
    name: 'Slack Web API OpenAPI description',
    repository: 'slackapi/slack-api-specs',
    file: 'web-api/slack_web_openapi_v2_without_examples.json',
    local: 'slack.json',
    licence: 'MIT',
  },
}
const BROWSER_SOURCE = {
  name: 'top-user-agents (the most common browser user agents)',
  repository: 'microlinkhq/top-user-agents',
  files: ['src/index.json', 'src/mobile.json'],
  local: ['top-ua-index.json', 'top-ua-mobile.json'],
  licence: 'MIT',
}

// ---------------------------------------------------------------------------------------------------- user agents

/**
 * Tools' real default user agents, each from the tool's own source (file and commit), or observed in captures where
 * noted. `crs` names the CRS entry that matches it, when one does; `signature` is added when none does.
 */
const TOOL_AGENTS = [
  {
    tool: 'ffuf',
    ua: 'Fuzz Faster U Fool v2.1.0-dev',
    source:
      'ffuf/ffuf pkg/runner/simple.go ("%s v%s", "Fuzz Faster U Fool", Version()), pkg/ffuf/constants.go @8162f48',
    crs: 'fuzz faster',
  },
  {
    tool: 'skipfish',
    ua: 'Mozilla/5.0 SF/2.10b',
    source:
      'spinkham/skipfish src/http_client.c ("Mozilla/5.0 SF/" VERSION), Makefile VERSION = 2.10b @093800c',
    signature: {
      pattern: /(?:^|[\s(;])sf\/\d/,
      note: 'skipfish: "SF/<version>", alone or after Mozilla/5.0',
    },
  },
  {
    tool: 'skipfish',
    ua: 'SF/2.10b',
    source: 'spinkham/skipfish src/http_client.c (the SF/ token alone, as issue 13 reports it)',
  },
  {
    tool: 'gobuster',
    ua: 'gobuster/3.8.2',
    source: 'OJ/gobuster libgobuster/helpers.go DefaultUserAgent, libgobuster/version.go @2548b9e',
    crs: 'gobuster',
  },
  {
    tool: 'feroxbuster',
    ua: 'feroxbuster/2.13.1',
    source: 'epi052/feroxbuster src/config/utils.rs (format!("feroxbuster/{VERSION}")), Cargo.toml @242b134',
    crs: 'feroxbuster',
  },
  {
    tool: 'wfuzz',
    ua: 'Wfuzz/3.1.0',
    source: 'xmendez/wfuzz src/wfuzz/facade.py ("Wfuzz/%s" % version) @1b695ee',
    crs: 'wfuzz',
  },
  {
    tool: 'wpscan',
    ua: 'WPScan v4.1.0 (https://wpscan.com/wordpress-security-scanner)',
    source: 'wpscanteam/wpscan lib/wpscan/browser.rb default_user_agent, lib/wpscan/version.rb @f6169f0',
    crs: 'wpscan',
  },
  {
    tool: 'whatweb',
    ua: 'WhatWeb/0.6.2',
    source: 'urbanadventurer/WhatWeb lib/whatweb.rb ($USER_AGENT = "WhatWeb/#{VERSION}") @660f0f4',
    crs: 'whatweb',
  },
  {
    tool: 'nikto',
    ua: 'Mozilla/5.00 (Nikto/2.6.1) (Evasions:None) (Test:000001)',
    source:
      'sullo/nikto program/nikto.conf.default (documented USERAGENT format), program/nikto.pl version 2.6.1 @d506740; since 2.5 the default is a browser agent',
    crs: 'nikto',
  },
  {
    tool: 'sqlmap',
    ua: 'sqlmap/1.8.11#stable (https://sqlmap.org)',
    source:
      'sqlmapproject/sqlmap lib/core/settings.py (DEFAULT_USER_AGENT = "%s (%s)" % (VERSION_STRING, SITE))',
    crs: 'sqlmap',
  },
  {
    tool: 'masscan',
    ua: 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
    source: 'robertdavidgraham/masscan src/proto-http.c (http_hello)',
    crs: 'masscan',
  },
  {
    tool: 'tsunami',
    ua: 'TsunamiSecurityScanner',
    source: 'google/tsunami-security-scanner HttpClient.java (TSUNAMI_USER_AGENT)',
    crs: 'TsunamiSecurityScanner',
  },
  {
    tool: 'medusa',
    ua: 'Teh Forest Lobster',
    source: 'jmk-foofus/medusa src/modsrc/http.c ("USER-AGENT ... Default: Teh Forest Lobster")',
    signature: { pattern: 'teh forest lobster', note: 'Medusa (password brute forcer), its HTTP module' },
  },
  {
    tool: 'nmap',
    ua: 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
    source: 'nmap NSE http library default (observed in packet captures)',
    crs: 'nmap',
  },
  {
    tool: 'dirbuster',
    ua: 'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)',
    source: 'OWASP DirBuster 1.0-RC1 default (observed)',
    crs: 'dirbuster',
  },
  {
    tool: 'nuclei',
    ua: 'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
    source:
      'projectdiscovery/nuclei (the agent its templates and interactsh send when not randomised; observed)',
    crs: 'nuclei',
  },
]

/** Signatures of our own, beyond CRS: the seed list this project started with, and tokens CRS does not carry. */
const EXTRA_AGENTS = [
  { pattern: 'ffuf', note: 'ffuf, when a wrapper names it' },
  { pattern: 'w3af', note: 'w3af (CRS matches w3af.org only)' },
  { pattern: 'jaeles', note: 'Jaeles web scanner' },
  { pattern: 'hydra', note: 'THC Hydra (CRS matches "Mozilla/4.0 (Hydra)")' },
  { pattern: 'burpcollaborator', note: 'Burp Suite Collaborator' },
  { pattern: /\bburp\b/, note: 'Burp Suite, when it names itself (its default is a browser agent)' },
  { pattern: /\b(?:owasp[ _-]?)?zap(?:\/|\b)/, note: 'OWASP ZAP, when it names itself; not Zapier' },
]

/** CRS entries deliberately not used, with the reason. Empty: every CRS entry is a default signature. */
const EXCLUDED_CRS_AGENTS = {}

/**
 * The common-agent corpus beside the browsers: HTTP clients, platform probes, uptime monitors, link-preview bots,
 * search engines and webhooks, each in its documented default form (versions illustrative). None may be refused.
 */
const CLIENT_AGENTS = [
  'curl/8.5.0',
  'curl/7.88.1',
  'Wget/1.21.4',
  'Wget/1.21.3 (linux-gnu)',
  'python-requests/2.32.3',
  'python-httpx/0.27.2',
  'Python-urllib/3.12',
  'Python/3.12 aiohttp/3.10.5',
  'Go-http-client/1.1',
  'Go-http-client/2.0',
  'okhttp/4.12.0',
  'okhttp/3.14.9',
  'PostmanRuntime/7.42.0',
  'insomnia/10.0.0',
  'HTTPie/3.2.3',
  'axios/1.7.7',
  'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'node',
  'undici',
  'got (https://github.com/sindresorhus/got)',
  'Java/17.0.12',
  'Java-http-client/21.0.4',
  'Apache-HttpClient/4.5.14 (Java/17.0.12)',
  'Apache-HttpClient/5.3.1 (Java/21.0.4)',
  'ReactorNetty/1.1.22',
  'Dart/3.5 (dart:io)',
  'Faraday v2.12.0',
  'Ruby',
  'GuzzleHttp/7',
  'Symfony HttpClient (Curl)',
  'ureq/2.10.1',
  'reqwest/0.12.7',
  'RestSharp/112.0.0.0',
  'CFNetwork/1568.100.1 Darwin/24.0.0',
  'MyApp/3.4.1 (com.example.myapp; build:120; iOS 18.0.0) Alamofire/5.9.1',
  'aws-sdk-js/3.637.0 ua/2.0 os/linux#6.8.0 lang/js md/nodejs#20.17.0 api/s3#3.637.0',
  'Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.0',
  'grpc-node-js/1.11.1',
  'k6/0.53.0 (https://k6.io/)',
  'kube-probe/1.31',
  'ELB-HealthChecker/2.0',
  'GoogleHC/1.0',
  'Consul Health Check',
  'Prometheus/2.54.1',
  'Blackbox Exporter/0.25.0',
  'Grafana/11.2.0',
  'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
  'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; StatusCake) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Site24x7',
  'Datadog/Synthetics',
  'Better Uptime Bot Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Checkly/1.0 (https://www.checklyhq.com)',
  'NewRelicPinger/1.0 (1234567)',
  'Zapier',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'Slackbot 1.0 (+https://api.slack.com/robots)',
  'Twitterbot/1.0',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
  'TelegramBot (like TwitterBot)',
  'WhatsApp/2.23.20.0 A',
  'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
  'Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)',
  'Iframely/1.3.1 (+https://iframely.com/docs/about)',
  'Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
  'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)',
  'Mozilla/5.0 (compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)',
  'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  'GitHub-Hookshot/6c1b5a9',
  'Bitbucket-Webhooks/2.0',
  'Shopify-Captain-Hook',
  'TwilioProxy/1.1',
  'SendGrid Event API (https://sendgrid.com)',
  'Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd-abc)',
  'Vercel Edge Functions',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.0.0',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.6613.127 Mobile Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/478.0.0.40.108;FBBV/628386544;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/17.6;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]',
]

// ---------------------------------------------------------------------------------------------------- probe paths

const QH = 'seclists:quickhits.txt'
const CS_SENS = 'crowdsec:web/sensitive_data.txt'
const CS_ADMIN = 'crowdsec:web/admin_interfaces.txt'
const OURS = 'bulwark'

/**
 * The curated probe signatures: [pattern, strength, source, note?, where?]. Strong ones (count before the response,
 * whatever the app answers) name what no app should serve: secrets, version control, webshells, other products'
 * admin panels. Weak ones (count only when the app answered 404) name what a real app may serve on purpose: generic
 * names (`admin`, `config`, `backup`), code and archive extensions, editor leftovers. Pattern syntax: see
 * `ProbeSignature` in packages/core/src/signatures/types.ts.
 */
const PROBES = [
  // Version control.
  ['.git', 'strong', `${CS_SENS} ${QH}`, 'git repository'],
  ['.gitconfig', 'strong', QH],
  ['.git-credentials', 'strong', OURS, 'git credential store'],
  ['.svn', 'strong', `${CS_SENS} ${QH}`, 'Subversion working copy'],
  ['.hg', 'strong', QH, 'Mercurial repository'],
  ['.bzr', 'strong', QH, 'Bazaar repository'],
  ['.cvs', 'strong', CS_SENS],
  ['cvs/root', 'strong', QH, 'CVS working copy'],
  ['cvs/entries', 'strong', OURS, 'CVS working copy'],
  // Environment files, credentials and keys.
  ['.env', 'strong', `${CS_SENS} ${QH}`, 'environment file'],
  ['.env.*', 'strong', CS_SENS, '.env.local, .env.production …'],
  ['.env-*', 'strong', QH],
  ['.env_*', 'strong', OURS],
  ['.env~', 'strong', CS_SENS],
  ['.envrc', 'strong', CS_SENS, 'direnv'],
  ['.envs', 'strong', CS_SENS],
  ['.environment', 'strong', `${CS_SENS} ${QH}`],
  ['.aws', 'strong', CS_SENS, 'AWS credentials and config'],
  ['.awscfg', 'strong', CS_SENS],
  ['aws/credentials', 'strong', CS_SENS],
  ['aws-key.yml', 'strong', CS_SENS],
  ['.s3cfg', 'strong', CS_SENS, 's3cmd credentials'],
  ['.boto', 'strong', OURS, 'boto credentials'],
  ['.ssh', 'strong', `${CS_SENS} ${QH}`],
  ['id_rsa*', 'strong', QH, 'SSH private keys'],
  ['id_dsa*', 'strong', QH],
  ['id_ecdsa*', 'strong', OURS],
  ['id_ed25519*', 'strong', OURS],
  ['authorized_keys', 'strong', QH],
  ['.netrc', 'strong', QH],
  ['.npmrc', 'strong', QH, 'npm tokens'],
  ['.pypirc', 'strong', OURS, 'PyPI tokens'],
  ['.docker', 'strong', CS_SENS, 'Docker registry credentials'],
  ['.kube', 'strong', OURS, 'Kubernetes credentials'],
  ['.pgpass', 'strong', OURS],
  ['.my.cnf', 'strong', OURS],
  ['.msmtprc', 'strong', CS_SENS],
  ['.ftppass', 'strong', QH],
  ['.passwd', 'strong', `${CS_SENS} ${QH}`],
  ['.pwd', 'strong', CS_SENS],
  ['.htaccess*', 'strong', `${CS_SENS} ${QH}`, 'Apache access files and their backups'],
  ['.htpasswd*', 'strong', `${CS_SENS} ${QH}`],
  ['*.htaccess', 'strong', QH, 'old.htaccess, 1.htaccess …'],
  ['*.htpasswd', 'strong', QH],
  ['.htgroup', 'strong', QH],
  ['.htusers', 'strong', QH],
  ['.hta', 'strong', `${CS_SENS} ${QH}`],
  ['.ht_wsr.txt', 'strong', QH],
  ['.lanproxy', 'strong', CS_SENS],
  ['.jupyter', 'strong', CS_SENS],
  ['.deployment-config.json', 'strong', CS_SENS],
  ['.remote-sync.json', 'strong', QH, 'editor deployment credentials'],
  ['sftp-config.json', 'strong', QH, 'Sublime SFTP credentials'],
  ['.vscode', 'strong', CS_SENS],
  ['.idea', 'strong', QH, 'JetBrains project files'],
  ['.ds_store', 'strong', OURS, 'macOS folder metadata'],
  ['secrets.yml', 'strong', CS_SENS],
  ['secrets.json', 'strong', CS_SENS],
  ['_wpeprivate', 'strong', CS_SENS],
  ['.rhosts', 'strong', `${CS_SENS} ${QH}`],
  ['.forward', 'strong', `${CS_SENS} ${QH}`],
  ['.subversion', 'strong', `${CS_SENS} ${QH}`],
  ['.*_history', 'strong', `${CS_SENS} ${QH}`, 'shell and client histories'],
  ['.history', 'strong', `${CS_SENS} ${QH}`],
  ['.bashrc', 'strong', `${CS_SENS} ${QH}`],
  ['.bash_profile', 'strong', QH],
  ['.bash_logout', 'strong', QH],
  ['.profile', 'strong', `${CS_SENS} ${QH}`],
  ['.zshrc', 'strong', OURS],
  ['.cshrc', 'strong', QH],
  ['.shrc', 'strong', QH],
  ['.viminfo', 'strong', QH],
  ['.lesshst', 'strong', QH],
  ['etc/passwd', 'strong', QH],
  ['etc/shadow', 'strong', OURS],
  ['master.passwd', 'strong', QH],
  // Server internals of other stacks: never served by design.
  ['web.config*', 'strong', `${OURS} ${QH}`, 'IIS configuration'],
  ['web.*.config', 'strong', QH],
  ['global.asa*', 'strong', QH, 'ASP application files'],
  ['trace.axd*', 'strong', QH, 'ASP.NET trace'],
  ['elmah.axd', 'strong', OURS],
  ['web-inf*', 'strong', QH, 'Java web application internals'],
  ['meta-inf', 'strong', QH],
  ['_vti_*', 'strong', QH, 'FrontPage extensions'],
  ['cgi-bin', 'strong', OURS],
  ['eval-stdin.php', 'strong', OURS, 'PHPUnit RCE (CVE-2017-9841)'],
  // Admin panels of other products.
  ['wp-admin', 'strong', `${CS_ADMIN} ${QH}`, 'WordPress'],
  ['wp-login*', 'strong', CS_ADMIN],
  ['wp-includes', 'strong', OURS],
  ['wp-content', 'strong', QH],
  ['wp-config*', 'strong', QH],
  ['.wp-config*', 'strong', QH],
  ['wp-*.php', 'strong', QH],
  ['xmlrpc.php', 'strong', OURS],
  ['*myadmin*', 'strong', `${CS_ADMIN} ${QH}`, 'phpMyAdmin and its spellings'],
  ['php-my-admin', 'strong', QH],
  ['php-myadmin', 'strong', QH],
  ['phpmy-admin', 'strong', QH],
  ['phpmyad', 'strong', QH],
  ['phpmy', 'strong', QH],
  ['phpadmin', 'strong', QH],
  ['phpadminmy', 'strong', QH],
  ['mysqladmin', 'strong', QH],
  ['mysql-admin', 'strong', QH],
  ['pma*', 'strong', `${CS_ADMIN} ${QH}`, 'phpMyAdmin'],
  ['__pma___', 'strong', QH],
  ['phpma', 'strong', QH],
  ['p/m/a', 'strong', QH],
  ['phppgadmin', 'strong', QH],
  ['phpredisadmin', 'strong', QH],
  ['phpredmin', 'strong', QH],
  ['phpmemcachedadmin', 'strong', QH],
  ['phpliteadmin*', 'strong', QH],
  ['phpldapadmin', 'strong', QH],
  ['adminer*', 'strong', QH, 'Adminer'],
  ['sqlbuddy', 'strong', QH],
  ['moadmin.php', 'strong', QH],
  ['mysqldumper', 'strong', QH],
  ['bigdump.php', 'strong', QH],
  ['*phpinfo*', 'strong', `${CS_ADMIN} ${QH}`],
  ['php_info.php', 'strong', QH],
  ['php-info.php', 'strong', QH],
  ['boaform', 'strong', CS_ADMIN, 'CVE-2020-8958'],
  ['hnap1', 'strong', OURS, 'D-Link HNAP'],
  ['+cscoe+', 'strong', CS_ADMIN, 'Cisco ASA'],
  ['dana-na', 'strong', CS_ADMIN, 'Ivanti'],
  ['jmx-console', 'strong', QH, 'JBoss'],
  ['web-console', 'strong', QH, 'JBoss'],
  ['invoker/jmxinvokerservlet', 'strong', QH, 'JBoss'],
  ['manager/html', 'strong', QH, 'Tomcat manager'],
  ['bitrix', 'strong', QH, 'Bitrix CMS'],
  ['xampp', 'strong', QH],
  ['typo3', 'strong', QH],
  ['app/etc/local.xml*', 'strong', QH, 'Magento database credentials'],
  ['app/etc/env.php', 'strong', OURS, 'Magento 2 database credentials'],
  ['backdoor*', 'strong', QH],
  // Named database dumps.
  ...[
    'backup*',
    'dump',
    'dump_file',
    'db',
    'database',
    'site',
    'www',
    'wwwroot',
    'htdocs',
    'localhost',
    'mysql',
    'data',
  ].map((n) => [`${n}.sql*`, 'strong', `${OURS} ${QH}`, 'a database dump by its usual name']),
  // Weak: only when the app answered 404. Generic names count only at the top of the site (`/admin`,
  // `/admin/backup`), not as the last part of a deeper route (`/repos/o/r/readme`, a real route answering 404).
  ['.*', 'weak', `${CS_SENS} ${QH}`, 'any dot file or folder but .well-known', 'any'],
  ['admin', 'weak', `${CS_ADMIN} ${QH}`, undefined, 'top'],
  ['*-admin', 'weak', QH, 'cms-admin, db-admin …', 'top'],
  ['*_admin', 'weak', QH, 'site_admin, database_admin …', 'top'],
  ...[
    'admins',
    'adm',
    'sqladm',
    'myadm',
    'webadmin',
    'sysadmin',
    'sysadmins',
    'siteadmin',
    'useradmin',
    'fileadmin',
    'dbadmin',
    'sqladmin',
    'fpadmin',
    'b2badmin',
    'pbmadmin',
    'azureadmin',
    'aspwpadmin',
  ].map((n) => [n, 'weak', QH, undefined, 'top']),
  ['admin_*', 'weak', QH, 'admin_login, admin_files …', 'top'],
  ['admin-console', 'weak', QH, undefined, 'top'],
  ['admin-serv', 'weak', QH, undefined, 'top'],
  ...['admin0', 'admin1', 'admin2', 'adminpanel', 'adminconsole', 'admincp'].map((n) => [
    n,
    'weak',
    QH,
    undefined,
    'top',
  ]),
  ['administrat*', 'weak', QH, 'administrator, administration …', 'top'],
  ['install', 'weak', QH, undefined, 'top'],
  ['install1', 'weak', QH, undefined, 'top'],
  ['install2', 'weak', QH, undefined, 'top'],
  ['install_', 'weak', QH, undefined, 'top'],
  ['installer', 'weak', QH, undefined, 'top'],
  ['install.*', 'weak', QH, 'INSTALL.txt, install.mysql …', 'top'],
  ['license', 'weak', QH, undefined, 'top'],
  ['license.*', 'weak', QH, undefined, 'top'],
  ['contributors.*', 'weak', QH, undefined, 'top'],
  ['history', 'weak', QH, undefined, 'top'],
  ['history.*', 'weak', QH, undefined, 'top'],
  ['manager', 'weak', CS_ADMIN, undefined, 'top'],
  ['console', 'weak', QH, undefined, 'top'],
  ['cpanel', 'weak', QH, undefined, 'top'],
  ['panel', 'weak', QH, undefined, 'top'],
  ['controlpanel', 'weak', OURS, undefined, 'top'],
  ['config', 'weak', QH, undefined, 'top'],
  ['config.*', 'weak', QH, 'config.json, config.xml, config.php.txt …'],
  ['settings.*', 'weak', QH, undefined, 'top'],
  ['configs', 'weak', QH, undefined, 'top'],
  ['conf', 'weak', QH, undefined, 'top'],
  ['setup', 'weak', QH, undefined, 'top'],
  ['*backup*', 'weak', QH, 'backup, dbbackup, mysql_backups, Database_Backup …', 'top'],
  ['*dump*', 'weak', QH, 'dump, filedump, dumper …', 'top'],
  ['sql', 'weak', QH, undefined, 'top'],
  ['sql_*', 'weak', QH, undefined, 'top'],
  ['mysql', 'weak', QH, undefined, 'top'],
  ['mssql', 'weak', QH, undefined, 'top'],
  ['msql', 'weak', QH, undefined, 'top'],
  ['db', 'weak', QH, undefined, 'top'],
  ['database', 'weak', QH, undefined, 'top'],
  ['databases', 'weak', QH, undefined, 'top'],
  ['dbase', 'weak', QH, undefined, 'top'],
  ['debug', 'weak', QH, undefined, 'top'],
  ['secret', 'weak', QH, undefined, 'top'],
  ['secrets', 'weak', QH, undefined, 'top'],
  ['test.*', 'weak', QH, undefined, 'top'],
  ['error.*', 'weak', QH, undefined, 'top'],
  ['cp', 'weak', QH, 'control panel', 'top'],
  ['cms', 'weak', QH, undefined, 'top'],
  ['crm', 'weak', QH, undefined, 'top'],
  ['nova', 'weak', QH, 'Laravel Nova', 'top'],
  ['syslog', 'weak', QH, undefined, 'top'],
  ['logs_console', 'weak', QH, undefined, 'top'],
  ['new folder*', 'weak', QH, undefined, 'top'],
  ['etc', 'weak', QH, 'a Unix folder asked for over HTTP', 'any'],
  ['web/database/manager', 'weak', CS_ADMIN, 'Odoo database manager'],
  ['kindeditor', 'weak', QH, undefined, 'any'],
  ['phpmailer', 'weak', QH, undefined, 'any'],
  ['jsp-examples', 'weak', QH, 'Tomcat examples', 'any'],
  ['installed.json', 'weak', QH],
  ['local.xml*', 'weak', QH, 'Magento configuration'],
  ['read.me', 'weak', QH],
  ['svn.revision', 'weak', QH],
  ['dwsync.xml', 'weak', QH, 'Dreamweaver'],
  ['yahoo.htm', 'weak', QH],
  ...[
    'admin.htm',
    'admin.html',
    'adminpanel.html',
    'webadmin.html',
    'log.htm',
    'log.html',
    'logs.htm',
    'logs.html',
  ].map((n) => [n, 'weak', QH]),
  ['password.html', 'weak', QH],
  ['passwords.html', 'weak', QH],
  ['*.log.*', 'weak', QH, 'rotated logs'],
  ...['csv', 'tsv', 'xls', 'xlsx'].map((e) => [
    `*.${e}`,
    'weak',
    QH,
    'data exports at the top of the site',
    'top',
  ]),
  ['test', 'weak', QH, undefined, 'top'],
  ['tests', 'weak', QH, undefined, 'top'],
  ['testing', 'weak', QH, undefined, 'top'],
  ['tst', 'weak', QH, undefined, 'top'],
  ['test_', 'weak', QH, undefined, 'top'],
  ['dev', 'weak', QH, undefined, 'top'],
  ['development*', 'weak', QH, undefined, 'top'],
  ['demo', 'weak', QH, undefined, 'top'],
  ['beta', 'weak', QH, undefined, 'top'],
  ['qa', 'weak', QH, undefined, 'top'],
  ['staging', 'weak', OURS, undefined, 'top'],
  ['dist', 'weak', QH, undefined, 'top'],
  ['cache', 'weak', QH, undefined, 'top'],
  ['_*', 'weak', QH, '_data, _files, _include, __cache …', 'top'],
  ['~*', 'weak', QH, undefined, 'top'],
  ['error', 'weak', QH, undefined, 'top'],
  ['errors', 'weak', QH, undefined, 'top'],
  ['err', 'weak', QH, undefined, 'top'],
  ['shell', 'weak', QH, undefined, 'top'],
  ['alfa', 'weak', QH, 'a webshell', 'top'],
  ['sxd', 'weak', QH, 'Sypex Dumper', 'any'],
  ['php', 'weak', QH, undefined, 'top'],
  ['php-error*', 'weak', QH, undefined, 'top'],
  ['php.ini*', 'weak', QH, undefined, 'top'],
  ['maintenance*', 'weak', QH, undefined, 'top'],
  ['readme*', 'weak', QH, 'files of a source tree', 'top'],
  ['read_me*', 'weak', QH, undefined, 'top'],
  ['changelog*', 'weak', QH, undefined, 'top'],
  ['changes*', 'weak', QH, undefined, 'top'],
  ['copying', 'weak', QH, undefined, 'top'],
  ['credits', 'weak', QH, undefined, 'top'],
  ['contributing*', 'weak', QH, undefined, 'top'],
  ['maintainers*', 'weak', QH, undefined, 'top'],
  ['release_notes*', 'weak', QH, undefined, 'top'],
  ['upgrade*', 'weak', QH, undefined, 'top'],
  ['todo', 'weak', QH, undefined, 'top'],
  ['upload*', 'weak', QH, 'upload, uploads, uploader …', 'top'],
  ['file_upload*', 'weak', QH, undefined, 'top'],
  ['fileupload', 'weak', QH, undefined, 'top'],
  ['userfile*', 'weak', QH, 'FCKeditor upload folders', 'top'],
  ['user_uploads', 'weak', QH, undefined, 'top'],
  ['pass', 'weak', QH, undefined, 'top'],
  ['passlist', 'weak', QH, undefined, 'top'],
  ['passes', 'weak', QH, undefined, 'top'],
  ['*passwd*', 'weak', QH, undefined, 'top'],
  ['secring.*', 'weak', QH, undefined, 'top'],
  ['jdbc', 'weak', QH, undefined, 'top'],
  ['odbc', 'weak', QH, undefined, 'top'],
  ['db2', 'weak', QH, undefined, 'top'],
  ['gitlab', 'weak', QH, undefined, 'top'],
  ['gitlog', 'weak', QH, undefined, 'top'],
  ['git-service', 'weak', QH, undefined, 'top'],
  ['mw-config', 'weak', QH, 'MediaWiki', 'top'],
  ['webmail', 'weak', QH, undefined, 'top'],
  ['webmin', 'weak', QH, undefined, 'top'],
  ['webdb', 'weak', QH, undefined, 'top'],
  ['websql', 'weak', QH, undefined, 'top'],
  ['sqlweb', 'weak', QH, undefined, 'top'],
  ...['sqlmanager', 'mysqlmanager', 'phpmanager'].map((n) => [n, 'weak', QH, undefined, 'top']),
  ['phpmem', 'weak', QH, undefined, 'top'],
  ['phpsecinfo', 'weak', QH, undefined, 'top'],
  ['phpsysinfo', 'weak', QH, undefined, 'top'],
  ['webgrind', 'weak', QH, undefined, 'top'],
  ['zabbix', 'weak', QH, undefined, 'top'],
  ['ganglia', 'weak', QH, undefined, 'top'],
  ['citrix', 'weak', QH, undefined, 'any'],
  ['confluence', 'weak', QH, undefined, 'top'],
  ['jira', 'weak', QH, undefined, 'top'],
  ['ispmgr', 'weak', QH, undefined, 'top'],
  ['surgemail', 'weak', QH, undefined, 'any'],
  ['telescope', 'weak', QH, 'Laravel', 'top'],
  ['horizon', 'weak', QH, 'Laravel', 'top'],
  ['graphiql', 'weak', QH, 'API explorers', 'top'],
  ['graphql-explorer', 'weak', QH, undefined, 'top'],
  ['altair', 'weak', QH, undefined, 'top'],
  ['swagger-ui', 'weak', QH, undefined, 'top'],
  ['awstats*', 'weak', QH, undefined, 'top'],
  ['webstat*', 'weak', QH, undefined, 'top'],
  ['wwwstats*', 'weak', QH, undefined, 'top'],
  ['nbproject', 'weak', QH, 'NetBeans project', 'any'],
  ['nb-configuration.xml', 'weak', QH, undefined, 'top'],
  ['nbactions.xml', 'weak', QH, undefined, 'top'],
  ['project.xml', 'weak', QH, undefined, 'top'],
  ['coverage.*', 'weak', QH, undefined, 'top'],
  ['crossdomain.xml', 'weak', QH, undefined, 'top'],
  ['clientaccesspolicy.xml', 'weak', QH, undefined, 'top'],
  ['ecosystem.json', 'weak', QH, 'pm2', 'top'],
  ['xsql', 'weak', QH, 'Oracle XSQL', 'any'],
  ['xsqlconfig.xml', 'weak', QH, undefined, 'top'],
  ['upstream_conf', 'weak', QH, undefined, 'top'],
  ['old', 'weak', QH, undefined, 'top'],
  ['old_*', 'weak', QH, undefined, 'top'],
  ['oldfiles', 'weak', QH, undefined, 'top'],
  ['_old', 'weak', QH, undefined, 'top'],
  ['temp', 'weak', QH, undefined, 'top'],
  ['tmp', 'weak', QH, undefined, 'top'],
  ['_private', 'weak', QH, undefined, 'top'],
  ['_log', 'weak', QH, undefined, 'top'],
  ['_logs', 'weak', QH, undefined, 'top'],
  ['logfile*', 'weak', QH, undefined, 'top'],
  ['error_log', 'weak', QH],
  ['errorlog', 'weak', QH],
  ['access_log', 'weak', QH],
  ['access-log', 'weak', QH],
  ['accesslog*', 'weak', QH],
  ['error-log', 'weak', QH],
  ['php_error*', 'weak', QH, undefined, 'top'],
  ['phperrors.log', 'weak', QH, undefined, 'top'],
  ['server-status', 'weak', OURS, 'Apache mod_status; an app may serve its own', 'top'],
  ['server-info', 'weak', QH, undefined, 'top'],
  ['nginx_status', 'weak', QH, undefined, 'top'],
  ['nginx-status', 'weak', QH, undefined, 'top'],
  ['stub-status', 'weak', QH, undefined, 'top'],
  ['haproxy_stats*', 'weak', QH, undefined, 'top'],
  ['stronghold-*', 'weak', QH, undefined, 'top'],
  ['phpunit', 'weak', OURS, 'PHPUnit folder (the package, or a route named so)', 'top'],
  ['actuator', 'weak', QH, 'Spring Boot actuator', 'any'],
  ['jolokia', 'weak', QH, 'JMX over HTTP', 'any'],
  ['heapdump', 'weak', QH, undefined, 'top'],
  ['threaddump', 'weak', OURS, undefined, 'top'],
  ['webdav', 'weak', QH, undefined, 'any'],
  ['fckeditor*', 'weak', QH, 'web editors and file managers', 'any'],
  ['ckeditor', 'weak', QH, undefined, 'any'],
  ['ckfinder', 'weak', QH, undefined, 'any'],
  ['kcfinder', 'weak', `${CS_ADMIN} ${QH}`, undefined, 'any'],
  ['tiny_mce', 'weak', QH, undefined, 'any'],
  ['tinymce', 'weak', QH, undefined, 'any'],
  ['spaw*', 'weak', QH, undefined, 'any'],
  ['elfinder', 'weak', QH, undefined, 'any'],
  ['filemanager', 'weak', QH, undefined, 'top'],
  ['file_manager', 'weak', QH, undefined, 'top'],
  ['uploadify', 'weak', QH, undefined, 'any'],
  ['swfupload', 'weak', QH, undefined, 'any'],
  ['plupload', 'weak', QH, undefined, 'top'],
  ['phpthumb', 'weak', QH, undefined, 'top'],
  ['scriptcase', 'weak', CS_ADMIN, undefined, 'any'],
  ['sitefinity', 'weak', CS_ADMIN, undefined, 'any'],
  ['commandcenter', 'weak', CS_ADMIN, 'Commvault', 'any'],
  ['solr', 'weak', CS_ADMIN, undefined, 'top'],
  ['remote/login', 'weak', CS_ADMIN, 'Fortinet', 'top'],
  ['sfmc/login', 'weak', CS_ADMIN, undefined, 'top'],
  ['wp-json', 'weak', QH, 'WordPress REST API', 'any'],
  ['jenkins/script', 'weak', QH, undefined, 'top'],
  ['cvs', 'weak', QH, undefined, 'top'],
  ['svn', 'weak', QH, undefined, 'top'],
  ['env', 'weak', `${CS_SENS} ${QH}`, undefined, 'top'],
  ['env.*', 'weak', CS_SENS, 'env.json, env.js: a SPA may serve its own', 'top'],
  ['*-env.json', 'weak', CS_SENS, undefined, 'top'],
  ['password', 'weak', QH, undefined, 'top'],
  ['passwords', 'weak', QH, undefined, 'top'],
  ['htaccess*', 'weak', QH, undefined, 'top'],
  ['ht.access', 'weak', QH, undefined, 'top'],
  ['htgroup', 'weak', QH, undefined, 'top'],
  ['composer.*', 'weak', `${CS_SENS} ${QH}`, undefined, 'top'],
  ['package.json', 'weak', QH, undefined, 'top'],
  ['package-lock.json', 'weak', OURS, undefined, 'top'],
  ['bower.json', 'weak', QH, undefined, 'top'],
  ['gemfile*', 'weak', QH, undefined, 'top'],
  ['dockerfile', 'weak', QH, undefined, 'top'],
  ['docker-compose.*', 'weak', QH, undefined, 'top'],
  ['makefile', 'weak', QH, undefined, 'top'],
  ['vagrantfile', 'weak', QH, undefined, 'top'],
  ['capfile', 'weak', QH, undefined, 'top'],
  ['gruntfile.js', 'weak', QH, undefined, 'top'],
  ['gulpfile.js', 'weak', OURS, undefined, 'top'],
  ['webpack.config*', 'weak', QH, undefined, 'top'],
  ['gradlew', 'weak', QH, undefined, 'top'],
  ['pom.xml', 'weak', QH, undefined, 'top'],
  ['build.xml', 'weak', QH, undefined, 'top'],
  ['build.gradle', 'weak', QH, undefined, 'top'],
  ['web.xml', 'weak', QH, undefined, 'top'],
  ['server.xml', 'weak', QH, undefined, 'top'],
  ['context.xml', 'weak', QH, undefined, 'top'],
  ['phpunit.*', 'weak', QH, 'phpunit.xml, phpunit.xml.dist …'],
  ['phpunit_*', 'weak', QH],
  ['__macosx', 'weak', QH, undefined, 'top'],
  ['nohup.out', 'weak', QH, undefined, 'top'],
  ['dead.letter', 'weak', QH, undefined, 'top'],
  ['*-bak', 'weak', QH, undefined, 'top'],
  ['*_bak', 'weak', OURS, undefined, 'top'],
  ['*_original', 'weak', QH, undefined, 'top'],
  // Extension families (the name asked for ends so).
  ...[
    'php',
    'php1',
    'php2',
    'php3',
    'php4',
    'php5',
    'php7',
    'php56',
    'phtml',
    'phps',
    'pht',
    'phar',
    'inc',
    'asp',
    'aspx',
    'asa',
    'asax',
    'ashx',
    'asmx',
    'axd',
    'jsp',
    'jspa',
    'jspx',
    'jsf',
    'action',
    'cgi',
    'pl',
    'cfm',
    'cfc',
    'shtml',
    'shtm',
    'py',
    'pyc',
    'rb',
    'sh',
    'bat',
    'cmd',
    'exe',
    'dll',
    'msi',
    'fcgi',
    'printer',
  ].map((e) => [`*.${e}`, 'weak', `${CS_SENS} ${QH}`, 'server-side code and executables']),
  ...[
    'sql',
    'gz',
    'bz2',
    'xz',
    'zip',
    'tar',
    'tgz',
    'rar',
    '7z',
    'mdb',
    'accdb',
    'sqlite',
    'sqlite3',
    'db',
    'dump',
    'rdb',
    'dmp',
    'mysql',
    'pgsql',
    'bak',
    'backup',
    'bkp',
  ].map((e) => [`*.${e}`, 'weak', `${CS_SENS} ${QH}`, 'dumps and archives']),
  ...[
    'ini',
    'conf',
    'cfg',
    'config',
    'cnf',
    'yml',
    'yaml',
    'properties',
    'env',
    'log',
    'lock',
    'err',
    'core',
    'pem',
    'key',
    'ppk',
    'pgp',
    'p12',
    'pfx',
    'jks',
    'ovpn',
    'passwd',
    'pwd',
    'sln',
    'csproj',
    'iml',
    'esproj',
    'pac',
    'git',
    'dat',
    'txt',
    'logs',
    'swf',
    'lnk',
    'crt',
    'pbxproj',
    'md5',
    'wadl',
    'sample',
  ].map((e) => [`*.${e}`, 'weak', `${CS_SENS} ${QH}`, 'configuration, logs and keys']),
  ['*~', 'weak', QH, 'editor backups'],
  ...[
    'swp',
    'swo',
    'old',
    'orig',
    'save',
    'sav',
    'tmp',
    'temp',
    'dist',
    'templ',
    'copy',
    'back',
    'bakup',
    'bak1',
  ].map((e) => [`*.${e}`, 'weak', QH, 'editor backups and leftovers']),
]

// ---------------------------------------------------------------------------------------------------- parsing

/** The non-empty, non-comment lines of a list (a `#` line is a comment). Lines are kept as they are, but trimmed. */
export function listEntries(text, { comments = true } = {}) {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !(comments && l.startsWith('#')))
}

/** The webshell names of CrowdSec's backdoors.txt, lower-cased, that no curated signature covers already. */
function webshellSignatures(backdoors) {
  const curated = new Set(PROBES.map(([p]) => String(p).toLowerCase()))
  const names = [...new Set(backdoors.map((n) => n.toLowerCase()))].filter((n) => !curated.has(n)).sort()
  return names.map((n) => [n, 'strong', 'crowdsec:web/backdoors.txt', 'webshell'])
}

/** Route templates of each API description. */
function routeTemplates(name, read) {
  if (name === 'github') {
    return [...read('github-endpoints.ts').matchAll(/"(?:GET|POST|PUT|PATCH|DELETE|HEAD) (\/[^"\s]*)"/g)].map(
      (m) => m[1],
    )
  }
  if (name === 'twilio') {
    return read('twilio/')
      .flatMap((text) => {
        const spec = JSON.parse(text)
        const base = (spec.servers?.[0]?.url ?? '').replace(/^https?:\/\/[^/]+/, '')
        return Object.keys(spec.paths ?? {}).map((p) => `${base}${p}`)
      })
      .filter(Boolean)
  }
  const spec = JSON.parse(read(ROUTE_SOURCES[name].local))
  const base = (spec.servers?.[0]?.url ?? spec.basePath ?? '')
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/\/$/, '')
  return Object.keys(spec.paths ?? {}).map((p) => `${base}${p}`)
}

const SHA = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'

/** A concrete value for a path parameter, from its name: what a real client would send there. */
export function parameterValue(param, api) {
  const p = param.toLowerCase()
  if (api === 'stripe') return `${p.replace(/[^a-z]/g, '').slice(0, 3) || 'obj'}_1NirD82eZvKYlo2C`
  if (api === 'twilio' || /sid$/.test(p)) return 'CA0123456789abcdef0123456789abcdef'
  if (/^(owner|username|user|login|assignee|follower|target_user)$/.test(p)) return 'octocat'
  if (/^(org|organization|enterprise|account)$/.test(p)) return 'github'
  if (p === 'repo' || p === 'repository') return 'hello-world'
  if (/(^|_)(sha|commit_sha|ref|tree_sha|file_sha|basehead)$/.test(p)) return SHA
  if (p === 'path') return 'src/index.js'
  if (p === 'base') return 'main'
  if (p === 'head') return 'octocat:feature'
  if (p === 'namespace') return 'default'
  if (p === 'name') return 'web-7d4b9c'
  if (/(^|_)(id|number|num)$|^id$/.test(p) || /_id$/.test(p)) return '42'
  if (/slug$/.test(p)) return 'justice-league'
  if (/branch/.test(p)) return 'main'
  if (/tag/.test(p)) return 'v1.0.0'
  if (/email/.test(p)) return 'octocat%40github.com'
  if (/(^|_)(logpath)$/.test(p)) return 'kube-apiserver.log'
  return 'example'
}

export function instantiate(template, api) {
  return template.replace(/\{([^}]+)\}/g, (_, name) => parameterValue(name, api))
}

// ---------------------------------------------------------------------------------------------------- rendering

const q = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const pat = (p) => (p instanceof RegExp ? p.toString() : q(p))

function header(what) {
  return `// Written by scripts/refresh-signatures.mjs from the sources in ./sources.ts: run it again rather than editing by
// hand (the curated tables live in the script). ${what}
`
}

function renderSources(commits) {
  const entries = Object.entries(SOURCES).map(([id, s]) => {
    const commit = commits[id] ?? ''
    return `  ${id.includes('-') ? q(id) : id}: {
    name: ${q(s.name)},
    repository: ${q(s.repository)},
    files: [${s.files.map(q).join(', ')}],
    commit: ${q(commit)},
    licence: ${q(s.licence)},
    copyright: ${q(s.copyright)},
  },`
  })
  const notices = Object.values(SOURCES)
    .filter((s) => s.files.length > 0)
    .map((s) => ` * - ${s.name} (github.com/${s.repository}): ${s.licence}, ${s.copyright}.`)
    .join('\n')
  return `${header('Where every default signature comes from.')}
import type { SignatureSource } from './types.js'

/*!
 * @bulwark/core detection signatures are derived from public lists (entries selected, lower-cased, grouped into
 * families; see packages/core/src/signatures/README.md):
${notices}
 * The MIT licence (https://opensource.org/license/mit) and the Apache License 2.0
 * (https://www.apache.org/licenses/LICENSE-2.0) apply to the material taken from those lists.
 */

/**
 * The public lists the default signatures are derived from, each pinned to the commit it was read at, with its
 * licence. A signature's \`source\` starts with one of these keys. See ./README.md for the notices.
 */
export const SIGNATURE_SOURCES: Readonly<Record<string, SignatureSource>> = Object.freeze({
${entries.join('\n')}
})
`
}

function renderAgents(agents) {
  const lines = agents.map(
    (a) => `  { pattern: ${pat(a.pattern)}, source: ${q(a.source)}${a.note ? `, note: ${q(a.note)}` : ''} },`,
  )
  return `${header('The user-agent signatures of the scanner rule.')}
import type { AgentSignature } from './types.js'

/**
 * User agents of attack and reconnaissance tools, matched case-insensitively anywhere in the whole header: every entry
 * of OWASP CRS's \`rules/scanners-user-agents.data\` (each a fragment, as CRS's \`@pmFromFile\` matches it), then tools'
 * own defaults that CRS does not match and this project's earlier list. Browsers, HTTP libraries, uptime monitors,
 * link-preview bots and search engines are never on it.
 */
export const SCANNER_AGENT_SIGNATURES: readonly AgentSignature[] = Object.freeze([
${lines.join('\n')}
])
`
}

function renderProbes(probes) {
  const lines = probes.map(([pattern, strength, source, note, where]) => {
    const parts = [`pattern: ${pat(pattern)}`, `strength: ${q(strength)}`]
    if (where) parts.push(`where: ${q(where)}`)
    parts.push(`source: ${q(source)}`)
    if (note) parts.push(`note: ${q(note)}`)
    return `  { ${parts.join(', ')} },`
  })
  return `${header('The probe-path signatures of the probe rule.')}
import type { ProbeSignature } from './types.js'

/**
 * Paths scanners ask for. Strong signatures count before the response, whatever the app answers: secrets, version
 * control, webshells, other products' admin panels. Weak ones count only when the app answered 404: generic names,
 * code and archive extensions, editor leftovers that a real app may serve on purpose. Curated from CrowdSec's
 * sec-lists and SecLists' quickhits.txt (see \`source\`); the webshell names are every entry of CrowdSec's
 * backdoors.txt.
 */
export const PROBE_SIGNATURES: readonly ProbeSignature[] = Object.freeze([
${lines.join('\n')}
])
`
}

const json = (value) => `${JSON.stringify(value, null, 2)}\n`

/** The text as the repository's formatter (biome) writes it, so a refresh leaves nothing for \`npm run format\`. */
function formatted(file, text) {
  const biome = join(root, 'node_modules/.bin/biome')
  if (!existsSync(biome)) return text
  const r = spawnSync(biome, ['format', `--stdin-file-path=${file}`], { input: text, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`biome could not format ${file}: ${r.stderr}`)
  return r.stdout
}

// ---------------------------------------------------------------------------------------------------- main

async function download(dir) {
  mkdirSync(dir, { recursive: true })
  const get = async (url) => {
    const response = await fetch(url, { headers: { 'user-agent': 'bulwark-refresh-signatures' } })
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
    return response.text()
  }
  const head = async (repository) =>
    JSON.parse(await get(`https://api.github.com/repos/${repository}/commits/HEAD`)).sha
  const commits = {}
  for (const id of ['crs', 'crowdsec', 'crowdsec-hub', 'seclists'])
    commits[id] = await head(SOURCES[id].repository)
  for (const [local, [id, file]] of Object.entries(SOURCE_FILES)) {
    const text = await get(
      `https://raw.githubusercontent.com/${SOURCES[id].repository}/${commits[id]}/${file}`,
    )
    writeFileSync(join(dir, local), text)
  }
  for (const [name, s] of Object.entries(ROUTE_SOURCES)) {
    commits[`routes:${name}`] = s.ref ?? (await head(s.repository))
    if (name === 'twilio') {
      mkdirSync(join(dir, 'twilio'), { recursive: true })
      const listing = JSON.parse(
        await get(
          `https://api.github.com/repos/${s.repository}/contents/spec/json?ref=${commits['routes:twilio']}`,
        ),
      )
      for (const f of listing) writeFileSync(join(dir, 'twilio', f.name), await get(f.download_url))
    } else {
      const text = await get(
        `https://raw.githubusercontent.com/${s.repository}/${commits[`routes:${name}`]}/${s.file}`,
      )
      writeFileSync(join(dir, s.local), text)
    }
  }
  commits.browsers = await head(BROWSER_SOURCE.repository)
  for (const [i, file] of BROWSER_SOURCE.files.entries()) {
    const text = await get(
      `https://raw.githubusercontent.com/${BROWSER_SOURCE.repository}/${commits.browsers}/${file}`,
    )
    writeFileSync(join(dir, BROWSER_SOURCE.local[i]), text)
  }
  writeFileSync(join(dir, 'sources.json'), json(commits))
}

export function build(dir) {
  const read = (file) => {
    const path = join(dir, file)
    if (file.endsWith('/')) {
      return readdirSync(path)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readFileSync(join(path, f), 'utf8'))
    }
    return readFileSync(path, 'utf8')
  }
  const commits = JSON.parse(read('sources.json'))

  // User agents: every CRS entry, then the tools' own signatures and ours.
  const crs = listEntries(read('crs-scanners-user-agents.data'))
  if (crs.length < 50) throw new Error(`CRS scanners-user-agents.data has only ${crs.length} entries`)
  const agents = crs
    .filter((e) => !(e in EXCLUDED_CRS_AGENTS))
    .map((e) => ({ pattern: e, source: 'crs:rules/scanners-user-agents.data' }))
  for (const t of TOOL_AGENTS) {
    if (t.signature) agents.push({ ...t.signature, source: `tool:${t.source}` })
    if (t.crs && !crs.some((e) => e.toLowerCase() === t.crs.toLowerCase())) {
      throw new Error(`${t.tool}: CRS no longer has the entry ${t.crs}`)
    }
  }
  for (const a of EXTRA_AGENTS) agents.push({ ...a, source: 'bulwark:earlier default list' })

  // Probe paths: the curated families, then every webshell name of backdoors.txt.
  const backdoors = listEntries(read('crowdsec-backdoors.txt'))
  const probes = [...PROBES, ...webshellSignatures(backdoors)]
  const seen = new Set()
  for (const [p] of probes) {
    const key = String(p).toLowerCase()
    if (seen.has(key)) throw new Error(`probe signature twice: ${key}`)
    seen.add(key)
  }

  // Corpora for the tests.
  const scannerCorpus = {
    source: {
      crs: { ...SOURCES.crs, commit: commits.crs },
    },
    crs: crs.map((entry) => {
      const tool = TOOL_AGENTS.find((t) => t.crs && t.crs.toLowerCase() === entry.toLowerCase())
      return tool
        ? { entry, ua: tool.ua, from: tool.source }
        : { entry, ua: entry, from: 'the CRS entry itself' }
    }),
    tools: TOOL_AGENTS.map((t) => ({ tool: t.tool, ua: t.ua, from: t.source })),
  }
  const probeCorpus = {
    source: {
      crowdsec: { ...SOURCES.crowdsec, commit: commits.crowdsec },
      seclists: { ...SOURCES.seclists, commit: commits.seclists },
    },
    'crowdsec:web/admin_interfaces.txt': listEntries(read('crowdsec-admin_interfaces.txt')),
    'crowdsec:web/backdoors.txt': backdoors,
    'crowdsec:web/sensitive_data.txt': listEntries(read('crowdsec-sensitive_data.txt')),
    'seclists:quickhits.txt': listEntries(read('quickhits.txt'), { comments: false }),
  }
  const routes = { source: {}, paths: {} }
  for (const name of Object.keys(ROUTE_SOURCES)) {
    const { local: _file, ...s } = ROUTE_SOURCES[name]
    routes.source[name] = { ...s, commit: commits[`routes:${name}`] }
    const templates = [...new Set(routeTemplates(name, read))].sort()
    routes.paths[name] = [...new Set(templates.map((t) => instantiate(t, name)))]
  }
  const browsers = [
    ...new Set(BROWSER_SOURCE.local.flatMap((f) => JSON.parse(read(f)).map((u) => String(u).trim()))),
  ]
  const { local: _local, ...browserSource } = BROWSER_SOURCE
  const agentCorpus = {
    source: { browsers: { ...browserSource, commit: commits.browsers }, clients: 'curated in the script' },
    browsers,
    clients: CLIENT_AGENTS,
  }

  return {
    [`${SIGNATURES}/sources.ts`]: renderSources(commits),
    [`${SIGNATURES}/scanner-agents.ts`]: renderAgents(agents),
    [`${SIGNATURES}/probe-paths.ts`]: renderProbes(probes),
    [`${FIXTURES}/scanner-agents.json`]: json(scannerCorpus),
    [`${FIXTURES}/probe-paths.json`]: json(probeCorpus),
    [`${FIXTURES}/api-routes.json`]: json(routes),
    [`${FIXTURES}/common-agents.json`]: json(agentCorpus),
  }
}

async function main(args) {
  let dir = option(args, '--from')
  if (dir === undefined) {
    dir = join(root, 'node_modules/.cache/refresh-signatures')
    await download(dir)
  }
  const files = build(dir)
  let stale = 0
  for (const [file, raw] of Object.entries(files)) {
    const text = formatted(file, raw)
    const path = join(root, file)
    const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
    if (current === text) continue
    stale++
    if (args.includes('--check')) console.log(`out of date: ${file}`)
    else {
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, text)
      console.log(`wrote ${file}`)
    }
  }
  if (args.includes('--check')) return stale === 0 ? 0 : 1
  console.log(
    stale === 0 ? 'signatures unchanged' : 'signatures changed: run the detection tests, add a changeset',
  )
  return 0
}

runAsCommand(import.meta.url, 'refresh-signatures', main)
