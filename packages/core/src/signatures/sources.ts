// Written by scripts/refresh-signatures.mjs from the sources in ./sources.ts: run it again rather than editing by
// hand (the curated tables live in the script). Where every default signature comes from.

import type { SignatureSource } from './types.js'

/*!
 * @bulwark/core detection signatures are derived from public lists (entries selected, lower-cased, grouped into
 * families; see packages/core/src/signatures/README.md):
 * - OWASP CRS (Core Rule Set) (github.com/coreruleset/coreruleset): Apache-2.0, Copyright 2026 OWASP CRS project.
 * - CrowdSec sec-lists (github.com/crowdsecurity/sec-lists): MIT, Copyright (c) 2020 crowdsecurity.
 * - CrowdSec hub (scenarios and parsers) (github.com/crowdsecurity/hub): MIT, Copyright (c) 2025 CrowdSecurity.
 * - SecLists (github.com/danielmiessler/SecLists): MIT, Copyright (c) 2025 Daniel Miessler.
 * The MIT licence (https://opensource.org/license/mit) and the Apache License 2.0
 * (https://www.apache.org/licenses/LICENSE-2.0) apply to the material taken from those lists.
 */

/**
 * The public lists the default signatures are derived from, each pinned to the commit it was read at, with its
 * licence. A signature's `source` starts with one of these keys. See ./README.md for the notices.
 */
export const SIGNATURE_SOURCES: Readonly<Record<string, SignatureSource>> = Object.freeze({
  crs: {
    name: 'OWASP CRS (Core Rule Set)',
    repository: 'coreruleset/coreruleset',
    files: ['rules/scanners-user-agents.data'],
    commit: '2cbd1d019cb7c85319ba4d9102a382c9de7a8e53',
    licence: 'Apache-2.0',
    copyright: 'Copyright 2026 OWASP CRS project',
  },
  crowdsec: {
    name: 'CrowdSec sec-lists',
    repository: 'crowdsecurity/sec-lists',
    files: ['web/admin_interfaces.txt', 'web/backdoors.txt', 'web/sensitive_data.txt'],
    commit: '1149fa30e8b184c3e17c4f0ad11997a762f8a237',
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
    commit: 'b03cb59b2131ebfc5300f5f14828e29967efd1a5',
    licence: 'MIT',
    copyright: 'Copyright (c) 2025 CrowdSecurity',
  },
  seclists: {
    name: 'SecLists',
    repository: 'danielmiessler/SecLists',
    files: ['Discovery/Web-Content/quickhits.txt'],
    commit: '04d9eeea1186dbd08f0287b98f7a449fbed4ae80',
    licence: 'MIT',
    copyright: 'Copyright (c) 2025 Daniel Miessler',
  },
  tool: {
    name: "Attack tools' own source code (their default User-Agent)",
    repository: 'several: see each signature',
    files: [],
    commit: '',
    licence: 'facts only (a default header value); no code is copied',
    copyright: '',
  },
  bulwark: {
    name: 'Bulwark',
    repository: 'this repository',
    files: [],
    commit: '',
    licence: 'MIT',
    copyright: '',
  },
})
