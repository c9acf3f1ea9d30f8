import { findCrowdsec } from './lapi.js'

/**
 * The one place that says whether the LAPI tests run. Without CrowdSec's binaries they are skipped with one loud
 * line, except on CI (CI=true), where that fails the run.
 */
export default function setup(): void {
  const bins = findCrowdsec()
  if (bins !== null) return
  const line =
    '@bulwark/crowdsec: CrowdSec is not unpacked here (apt-get download crowdsec && dpkg-deb -x crowdsec_*.deb ~/.cache/bulwark-crowdsec, or set BULWARK_CROWDSEC_DIR): the LAPI tests are SKIPPED'
  if (process.env.CI === 'true') throw new Error(line.replace('SKIPPED', 'required on CI'))
  console.warn(`\n!!! ${line}\n`)
}
