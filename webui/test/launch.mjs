// The one way the browser tests start Chromium: Debian's (never a
// downloaded browser), headless, with background networking off (this
// machine's network is closed; without the flags Chromium keeps trying).
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
