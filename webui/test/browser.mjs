// Drives Debian's chromium (never a downloaded browser) through
// playwright-core: opens URL, waits for window.nniescope, prints it as JSON.
// Usage: node browser.mjs URL [screenshot.png]
import { chromium } from 'playwright-core';

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const failed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`page error: ${e}`))));
  await page.goto(url);
  await Promise.race([page.waitForFunction(() => window.nniescope || null, null, { timeout: 60000 }), failed]);
  if (shot) await page.screenshot({ path: shot });
  console.log(JSON.stringify(await page.evaluate(() => window.nniescope)));
} finally {
  await browser.close();
}
