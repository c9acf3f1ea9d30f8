/**
 * A user-agent signature: a fragment matched case-insensitively anywhere in the whole `User-Agent` header, or a
 * regular expression (matched case-insensitively) for a tool whose name alone is too short to match as a fragment.
 */
export interface AgentSignature {
  readonly pattern: string | RegExp
  /**
   * Where it comes from: `<source>:<detail>`, `<source>` a key of `SIGNATURE_SOURCES` (`crs`, `tool`, `bulwark` …),
   * the detail the file or the tool's own source that shows it.
   */
  readonly source: string
  readonly note?: string
}

/** When a probe counts: `strong` before the response, whatever the app answers; `weak` only when the app answered 404. */
export type ProbeStrength = 'strong' | 'weak'

/**
 * A probe-path signature. `pattern` is matched against the canonical path (decoded, dot segments resolved, lower-case),
 * segment by segment:
 * - `'.env'` — a segment named `.env`;
 * - `'phpmyadmin*'`, `'*admin'`, `'*phpinfo*'`, `'wp-*.php'` — a segment matching the glob (`*` stays inside a segment);
 * - `'*.php'`, `'*~'` — a file name ending so (an extension family; always the last segment);
 * - `'cgi-bin/awstats.pl'`, `'remote/login'` — consecutive segments;
 * - a RegExp — tested against the whole canonical path (`/a/b`, lower-case).
 *
 * `where` says which segments: `any` (the default for strong signatures: `/.git/config` is a `.git` probe), `last`
 * (the default for weak ones: the thing asked for was `/backup.zip`, while `/backup.zip/7` answering 404 is something
 * else) or `top`: the last segment of a path at most two segments long — a generic name asked for at the top of the
 * site (`/admin`, `/admin/backup`), not the last part of a deeper route that answered 404 for a missing resource
 * (`/repos/o/r/readme`); or `root`: a path of one segment (`/error.log`, not `/logs/kube-apiserver.log`). A file-name ending (`*.php`) always applies to the last segment, at any depth; a RegExp to the
 * whole path.
 */
export interface ProbeSignature {
  readonly pattern: string | RegExp
  readonly strength: ProbeStrength
  readonly where?: 'any' | 'last' | 'top' | 'root'
  /** `<source>:<detail>` as for `AgentSignature`. */
  readonly source: string
  readonly note?: string
}

/** A public list the default signatures are derived from, pinned to the commit they were taken at. */
export interface SignatureSource {
  readonly name: string
  readonly repository: string
  /** The files read from it. */
  readonly files: readonly string[]
  /** The commit the committed signatures were derived from (`refresh-signatures.mjs` updates it). */
  readonly commit: string
  /** SPDX identifier of the source's licence, as its LICENSE file states. */
  readonly licence: string
  readonly copyright: string
}
